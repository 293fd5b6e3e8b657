"""The packages generated from the Arazzo 1.1 selector, querystring and identity
documents (tests/conformance/v11/{selectors,querystring,identity}; they use the select
and querystring runtime parts) are mypy --strict, black and ruff clean, like every
other conformance package."""

from __future__ import annotations

import subprocess
import sys

from tests.conformance.harness import Compiler
from tests.golden.test_generated_quality import RUFF

SPECS = [("v11/selectors", "arazzo.yaml"), ("v11/selectors", "plain-value.yaml"), ("v11/selectors", "all-inputs.yaml"), ("v11/querystring", "arazzo.yaml"), ("v11/identity", "arazzo.yaml"), ("v11/identity", "anchor.yaml")]


def test_v11_data_packages_pass_mypy_strict_black_and_ruff(compile_feature: Compiler) -> None:
    compiled = [compile_feature(feature, spec) for feature, spec in SPECS]
    assert all(not c.errors for c in compiled), [c.errors for c in compiled]
    packages = [c.package for c in compiled]
    source = "\n".join(c.runtime for c in compiled)
    assert "def jp_children(" in source and "def replace_selected(" in source and "def query_string(" in source
    args = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(compile_feature.out / ".mypy_cache_v11data")]
    for package in packages:
        args += ["-p", package]
    completed = subprocess.run(args, cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    black = subprocess.run([sys.executable, "-m", "black", "--check", "--quiet", *packages], cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert black.returncode == 0, black.stderr
    ruff = subprocess.run([*RUFF, *packages], cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
