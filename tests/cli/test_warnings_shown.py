"""A package's warnings stay with it and are shown on every run over it.

The warnings of a build are kept in the package (``warnings.txt``, file names
relative to the package, deterministic bytes, covered by the content hash and the
stamp), so a run that finds the package current still says how many there are,
``-v`` lists them, hook mode shows them, ``--quiet`` does not, ``--strict`` makes
them errors, and the check path still imports none of the heavy modules.

The project: specs/callingbox with one JSON pointer typo'd in an output
(``$response.body#/billed_duration_secs``: an ``Any`` field that is always None,
with a warning).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_codegen.cli import main
from arazzo_codegen.write import PACKAGE_FILES

WARNINGS_FILE = "warnings.txt"  # the file the contract table in README names

ROOT = Path(__file__).resolve().parents[2]
SPEC = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"
GOOD = "billedDurationSeconds: $response.body#/billed_duration_seconds"
TYPO = "billedDurationSeconds: $response.body#/billed_duration_secs"
WARNING = (
    f"{SPEC}:142:34: warning: $.workflows[0].steps[2].outputs.billedDurationSeconds: the response schema has no member at '/billed_duration_secs'\n"
    "    hint: did you mean 'billed_duration_seconds'?"
)
PYPROJECT = f'[tool.arazzo-codegen]\nout = "gen"\n\n[[tool.arazzo-codegen.specs]]\nspec = "{SPEC}"\npackage = "callingbox"\n'
HEAVY = ("datamodel_code_generator", "black", "jinja2", "jsonschema", "openapi_spec_validator", "yaml", "arazzo_codegen.pipeline")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "specs" / "callingbox", root / "specs" / "callingbox")
    spec = root / SPEC
    text = spec.read_text(encoding="utf-8")
    assert GOOD in text
    spec.write_text(text.replace(GOOD, TYPO), encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    monkeypatch.chdir(root)
    yield root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_warnings_are_shown_on_every_run_not_only_the_one_that_built(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["generate"], capsys)
    assert (code, out) == (0, ""), err
    assert WARNING in err  # the run that builds lists them, as before
    package = project / "gen" / "callingbox"
    assert sorted(p.name for p in package.iterdir()) == sorted([*PACKAGE_FILES, WARNINGS_FILE])

    count = "callingbox: up to date, 1 warning (-v to list)\n"
    assert run(["generate"], capsys) == (0, "", count)
    assert run(["check"], capsys) == (0, "", count)
    assert run(["generate", "--check"], capsys) == (0, "", count)
    assert run(["generate", "--hook"], capsys) == (0, "", count)

    code, out, err = run(["check", "-v"], capsys)
    assert (code, out) == (0, "")
    assert err.startswith("callingbox: current (gen/callingbox, decided from stamps in ")
    assert err.endswith(f"), 1 warning:\n{WARNING}\n")
    code, out, err = run(["generate", "--hook", "-v"], capsys)
    assert (code, out) == (0, "")
    assert err.endswith(f"callingbox: up to date (gen/callingbox), 1 warning:\n{WARNING}\n")

    # --quiet still means errors only.
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert run(["check", "--quiet"], capsys) == (0, "", "")


def test_file_names_are_shown_relative_to_the_working_directory(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    stored = (project / "gen" / "callingbox" / WARNINGS_FILE).read_text(encoding="utf-8")
    assert f"\n../../{WARNING}\n" in stored  # relative to the package, as the sources line is
    sub = project / "gen"
    monkeypatch.chdir(sub)
    code, out, err = run(["check", "-v"], capsys)
    assert (code, out) == (0, "")
    assert f"\n../{WARNING}\n" in err


def test_warnings_file_bytes_do_not_depend_on_the_working_directory(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    first = (project / "gen" / "callingbox" / WARNINGS_FILE).read_bytes()
    monkeypatch.chdir(project / "specs")
    assert run(["generate", "--force", "--quiet", "--config", str(project / "pyproject.toml")], capsys) == (0, "", "")
    assert (project / "gen" / "callingbox" / WARNINGS_FILE).read_bytes() == first


def test_a_hand_edit_or_removal_of_the_warnings_is_seen(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    kept = project / "gen" / "callingbox" / WARNINGS_FILE
    pristine = kept.read_text(encoding="utf-8")

    kept.write_text(pristine.replace("has no member at", "has a member at"), encoding="utf-8")
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- gen/callingbox/warnings.txt (on disk)" in out and "callingbox: gen/callingbox was edited by hand" in err

    kept.unlink()
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- /dev/null\n+++ gen/callingbox/warnings.txt (generated)" in out

    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert kept.read_text(encoding="utf-8") == pristine

    # Fixing the spec removes the file, and the count with it.
    spec = project / SPEC
    spec.write_text(spec.read_text(encoding="utf-8").replace(TYPO, GOOD), encoding="utf-8")
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert sorted(p.name for p in (project / "gen" / "callingbox").iterdir()) == sorted(PACKAGE_FILES)
    assert run(["check"], capsys) == (0, "", "")


def test_strict_makes_the_kept_warnings_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    code, out, err = run(["check", "--strict"], capsys)
    assert (code, out) == (1, "")
    assert "error: $.workflows[0].steps[2].outputs.billedDurationSeconds: the response schema has no member at '/billed_duration_secs' (an error under --strict)" in err
    code, _, err = run(["generate", "--hook", "--strict"], capsys)
    assert code == 1 and "callingbox: not generated: 1 error; gen/callingbox left as it was" in err


def test_showing_kept_warnings_imports_none_of_the_heavy_modules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    for argv in (["check", "-v"], ["generate", "--hook"]):
        probe = (
            "import sys\n"
            "from arazzo_codegen.cli import main\n"
            f"rc = main({argv!r})\n"
            f"print('RESULT', rc, sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}))\n"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", probe], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert done.stdout.strip().splitlines()[-1] == "RESULT 0 []", done.stdout + done.stderr
        assert "callingbox: " in done.stderr and "1 warning" in done.stderr, done.stderr
