"""The packages generated from every conformance feature are mypy --strict clean,
black-formatted and clean under ruff's default rules, like the provider packages (they include the JSONPath and XPath
runtime parts, which the provider packages may not)."""

from __future__ import annotations

import subprocess
import sys

from tests.conformance.harness import CONFORMANCE_DIR, Compiler
from tests.golden.test_generated_quality import RUFF

FEATURES = sorted(p.name for p in CONFORMANCE_DIR.iterdir() if (p / "arazzo.yaml").is_file())
EXTRA_SPECS = [("steps", "quirks.yaml"), ("documents", "dangling-root.yaml"), ("documents", "refs-actions.yaml"), ("workflows", "shadow.yaml"), ("workflows", "types.yaml"), ("workflows", "natural-inputs.yaml")]


def test_every_feature_compiles_without_errors(compile_feature: Compiler) -> None:
    for feature in FEATURES:
        compiled = compile_feature(feature)
        assert not compiled.errors, compiled.errors
    for feature, spec in EXTRA_SPECS:
        assert not compile_feature(feature, spec).errors


def test_generated_conformance_packages_pass_mypy_strict_and_black(compile_feature: Compiler) -> None:
    packages = [compile_feature(f).package for f in FEATURES] + [compile_feature(f, s).package for f, s in EXTRA_SPECS]
    args = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(compile_feature.out / ".mypy_cache")]
    for package in packages:
        args += ["-p", package]
    completed = subprocess.run(args, cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    black = subprocess.run([sys.executable, "-m", "black", "--check", "--quiet", *packages], cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert black.returncode == 0, black.stderr


def test_generated_conformance_packages_are_clean_under_ruffs_default_rules(compile_feature: Compiler) -> None:
    packages = [compile_feature(f).package for f in FEATURES] + [compile_feature(f, s).package for f, s in EXTRA_SPECS]
    completed = subprocess.run([*RUFF, *packages], cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
