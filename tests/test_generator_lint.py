"""The generator's own code is formatted and lint-clean, like its output: black and ruff
with the project's configuration ([tool.black] and [tool.ruff] in pyproject.toml, 120
columns; generated/ keeps its own 88 and is checked by test_generated_quality.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
