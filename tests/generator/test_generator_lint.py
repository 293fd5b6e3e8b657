"""The generator's own code is formatted and lint-clean, like its output: black and ruff
with the project's configuration ([tool.black] and [tool.ruff] in pyproject.toml, 120
columns; generated/ keeps its own 88 and is checked by test_generated_quality.py); and
each of its modules is small enough to read in one sitting."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The most lines a module of the generator may have (black-formatted, so it is measured
#: the way it reads).
MAX_MODULE_LINES = 600
#: ruff as tests/golden/test_generated_quality.py runs it over generated code: default rules, no
#: configuration file, only a bare ``_`` a throwaway name.
RUFF_AS_GENERATED = [
    sys.executable,
    "-m",
    "ruff",
    "check",
    "--isolated",
    "--no-cache",
    "--output-format",
    "concise",
    "--config",
    "lint.dummy-variable-rgx = '^_$'",
]


def test_the_generator_is_black_formatted() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "black", "--check", "generator"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr


def test_the_generator_is_clean_under_ruff() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "generator"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_runtime_modules_are_formatted_and_linted_like_generated_code() -> None:
    # generator/runtime/*.py are copied byte for byte into the generated packages: black at
    # the generated code's line length, ruff's default rules without configuration (named
    # files, so the excludes of the generator's own configuration do not apply).
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "generator" / "runtime").glob("*.py"))
    if not files:  # the runtime still in templates/runtime/ (checked inside the generated packages)
        assert sorted((ROOT / "templates" / "runtime").glob("*.py.jinja"))
        return
    line_length = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["arazzo-codegen"][
        "line-length"
    ]
    for command in (
        [sys.executable, "-m", "black", "--check", "--quiet", "--line-length", str(line_length), *files],
        [*RUFF_AS_GENERATED, *files],
    ):
        completed = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_no_generator_module_is_longer_than_a_sitting() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "generator").rglob("*.py"))
    }
    assert len(sizes) > 40
    assert {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES} == {}
