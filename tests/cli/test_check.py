"""``check`` / ``generate --check`` and incremental ``generate``, on a small project
with two packages (callingbox, voiceinfra) generated once per module and copied
for each test.

What is proved: exit 0 when current, exit 1 with a unified diff on stdout when a
package is stale (spec or OpenAPI edited, options changed), missing, or edited by
hand; check writes nothing; the decision for unchanged inputs comes from stamps
alone, without importing the pipeline or its heavy dependencies; generate
rebuilds only what changed, --force rebuilds all; progress/quiet/verbose.
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
from arazzo_codegen.config import Job as ConfigJob
from arazzo_codegen.runtime_files import is_part_file
from arazzo_codegen.write import PACKAGE_FILES, package_listing, package_status, read_state

ROOT = Path(__file__).resolve().parents[2]
CALLINGBOX = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"
CALLINGBOX_OPENAPI = "specs/callingbox/openapi/callingbox-calls-openapi.yml"
VOICEINFRA = "specs/voiceinfra/arazzo/voiceinfra-outbound-call-workflow.yml"
PYPROJECT = f"""\
[project]
name = "demo"

[tool.arazzo-codegen]
out = "gen"

[[tool.arazzo-codegen.specs]]
spec = "{CALLINGBOX}"
package = "callingbox"

[[tool.arazzo-codegen.specs]]
spec = "{VOICEINFRA}"
package = "voiceinfra"
"""
SUMMARY = "Place an outbound call, then follow it to its end."
HEAVY = ("datamodel_code_generator", "black", "jinja2", "jsonschema", "openapi_spec_validator", "yaml", "arazzo_codegen.pipeline", "arazzo_codegen.load", "arazzo_codegen.emit_models")
OLD = 1_000_000_000  # a modification time (2001) no write of this test run can produce


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose two packages were just generated (once for the module)."""
    root = tmp_path_factory.mktemp("pristine")
    for provider in ("callingbox", "voiceinfra"):
        shutil.copytree(ROOT / "specs" / provider, root / "specs" / provider)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    before = Path.cwd()
    os.chdir(root)
    try:
        assert main(["generate", "--quiet"]) == 0
    finally:
        os.chdir(before)
    return root


@pytest.fixture
def project(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    dest = tmp_path / "project"
    shutil.copytree(pristine, dest)
    monkeypatch.chdir(dest)
    yield dest


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_process(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "arazzo_codegen", *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``folder``: its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def age(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def imported_by(argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run the CLI in a fresh interpreter; its exit code and the heavy modules it imported."""
    code = (
        "import sys\n"
        "from arazzo_codegen.cli import main\n"
        f"rc = main({argv!r})\n"
        f"heavy = sorted(m for m in sys.modules if m in {HEAVY!r} or m.split('.')[0] in {HEAVY!r})\n"
        "print('RESULT', rc, ' '.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    _, rc, *heavy = line.split(" ")
    return int(rc), [m for m in heavy if m]


# --- current -----------------------------------------------------------------------


def test_current_packages_pass(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check"], capsys) == (0, "", "")
    assert run(["generate", "--check"], capsys) == (0, "", "")
    code, out, err = run(["check", "--verbose"], capsys)
    assert (code, out) == (0, "")
    assert "callingbox: current (gen/callingbox, decided from stamps" in err
    assert "voiceinfra: current (gen/voiceinfra, decided from stamps" in err


def test_current_check_decides_from_stamps_without_heavy_imports(project: Path) -> None:
    assert imported_by(["check"], project) == (0, [])
    assert imported_by(["generate", "--check"], project) == (0, [])
    assert imported_by(["generate"], project) == (0, [])  # nothing to rebuild
    # The same probe sees the heavy modules as soon as a package must be built:
    edit(project / CALLINGBOX, SUMMARY, "Place an outbound call (edited).")
    code, heavy = imported_by(["check"], project)
    assert code == 1
    assert {"arazzo_codegen.pipeline", "yaml"} <= set(heavy)  # building loads the spec


def test_check_as_a_process_exits_0(project: Path) -> None:
    done = run_process(["check"], project)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_force_builds_and_compares(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "--force", "--quiet"], capsys)
    assert (code, out) == (0, ""), err


def test_pycache_in_a_generated_package_is_not_an_edit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = project / "gen" / "callingbox" / "__pycache__"
    cache.mkdir()
    (cache / "workflows.cpython-311.pyc").write_bytes(b"\0" * 16)
    assert run(["check"], capsys) == (0, "", "")


def test_package_layout_matches_what_the_pipeline_writes(pristine: Path) -> None:
    assert sorted(p.name for p in (pristine / "gen" / "callingbox").iterdir()) == sorted(PACKAGE_FILES)
    listed = package_listing(pristine / "gen" / "callingbox")
    assert listed is not None and "_runtime/__init__.py" in listed
    assert sorted(name for name in listed if is_part_file(name)) == [f"_runtime/{part}.py" for part in ("aionet", "body", "core", "errors", "inputs", "observe", "redact", "run", "transport", "values", "wire")]


# --- stale ---------------------------------------------------------------------------


def test_edited_spec_makes_check_fail_with_a_diff_then_generate_fixes_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(project / CALLINGBOX, SUMMARY, "Place an outbound call and follow it (edited).")
    before = snapshot(project / "gen")
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- gen/callingbox/workflows.py (on disk)\n+++ gen/callingbox/workflows.py (generated)\n" in out
    assert f'-    """{SUMMARY}' in out
    assert '+    """Place an outbound call and follow it (edited).' in out
    assert "gen/voiceinfra" not in out
    assert "callingbox: gen/callingbox is stale (its spec, the OpenAPI files it uses, the options or the generator changed); run 'arazzo-codegen generate'" in err
    assert snapshot(project / "gen") == before  # check writes nothing
    assert run(["generate", "--check"], capsys)[:2] == (code, out)

    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert run(["check"], capsys) == (0, "", "")
    assert imported_by(["check"], project) == (0, [])


def test_edited_openapi_file_makes_the_package_stale(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open(project / CALLINGBOX_OPENAPI, "a", encoding="utf-8") as handle:
        handle.write("# a comment: no effect on the code, but an input changed\n")
    assert package_status(project / "gen" / "callingbox", project / CALLINGBOX, ConfigJob(project / CALLINGBOX, "callingbox", project / "gen").options()) == "stale"
    code, out, _ = run(["check"], capsys)
    assert code == 1
    lines = changed_lines(out)
    assert len(lines) == 2 * (len(PACKAGE_FILES) - 1)  # the stamp line of each file with a header
    assert all(line.startswith(("-# stamp: ", "+# stamp: ")) for line in lines), lines


def test_changed_options_make_packages_stale(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "--line-length", "100"], capsys)
    assert code == 1
    assert "+++ gen/callingbox/workflows.py (generated)" in out and "+++ gen/voiceinfra/workflows.py (generated)" in out
    assert "is stale" in err


# --- missing -------------------------------------------------------------------------


def test_missing_package(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line per missing package, not a diff that adds every line of it."""
    shutil.rmtree(project / "gen" / "voiceinfra")
    shutil.rmtree(project / "gen" / "callingbox")
    (project / "gen" / "callingbox").mkdir()  # an empty folder is missing too
    code, out, err = run(["check"], capsys)
    assert (code, out) == (1, "")
    assert err == (
        "callingbox: gen/callingbox is missing; run 'arazzo-codegen generate'\n"
        "voiceinfra: gen/voiceinfra is missing; run 'arazzo-codegen generate'\n"
    )
    assert run(["check", "--quiet"], capsys) == (code, out, err)
    code, out, err = run(["check", "--force"], capsys)  # builds, then still one line
    assert (code, out) == (1, "")
    assert err.splitlines() == ["callingbox: gen/callingbox is missing; run 'arazzo-codegen generate'", "voiceinfra: gen/voiceinfra is missing; run 'arazzo-codegen generate'"]
    assert not (project / "gen" / "voiceinfra").exists()
    shutil.rmtree(project / "gen" / "callingbox")
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert {name.split("/")[0] for name in snapshot(project / "gen" / "voiceinfra")} == {*PACKAGE_FILES}


def test_missing_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "gen" / "callingbox" / "models.py").unlink()
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- /dev/null\n+++ gen/callingbox/models.py (generated)\n" in out  # a partly missing package keeps its diff
    assert "callingbox: gen/callingbox is incomplete (files are missing); run 'arazzo-codegen generate'" in err


# --- edited by hand ------------------------------------------------------------------


def test_hand_edit_of_generated_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pristine_text = (project / "gen" / "callingbox" / "workflows.py").read_text(encoding="utf-8")
    edit(project / "gen" / "callingbox" / "workflows.py", "        # Step dispatchCall: dispatchCall (POST /v1/calls)\n", "        # Step dispatchCall: tweaked\n")
    assert read_state(project / "gen" / "callingbox" / "workflows.py") is not None
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert changed_lines(out) == ["-        # Step dispatchCall: tweaked", "+        # Step dispatchCall: dispatchCall (POST /v1/calls)"]
    assert "callingbox: gen/callingbox was edited by hand; run 'arazzo-codegen generate'" in err
    # generate (without --force) notices the edit and restores the file
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert (project / "gen" / "callingbox" / "workflows.py").read_text(encoding="utf-8") == pristine_text


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("__init__.py", "Do not edit", "Feel free to edit"),  # the header is covered too
        ("models.py", "from __future__ import annotations\n", "from __future__ import annotations\nimport os\n"),
        ("_runtime/core.py", "MAX_ITERATIONS = 10_000", "MAX_ITERATIONS = 10_000_000"),
    ],
)
def test_any_hand_edit_is_seen(project: Path, capsys: pytest.CaptureFixture[str], name: str, old: str, new: str) -> None:
    edit(project / "gen" / "callingbox" / name, old, new)
    code, out, err = run(["check"], capsys)
    assert code == 1, err
    assert f"--- gen/callingbox/{name} (on disk)" in out
    assert "was edited by hand" in err


def test_extra_file_and_non_empty_py_typed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "gen" / "callingbox" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    (project / "gen" / "voiceinfra" / "py.typed").write_text("partial\n", encoding="utf-8")
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- gen/callingbox/extra.py (on disk)\n+++ /dev/null\n" in out
    assert "--- gen/voiceinfra/py.typed (on disk)\n+++ gen/voiceinfra/py.typed (generated)\n" in out
    assert err.count("was edited by hand") == 2
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert not (project / "gen" / "callingbox" / "extra.py").exists()
    assert run(["check"], capsys) == (0, "", "")


# --- the runtime parts (_runtime/<part>.py: copies of the generator's, no header) -----


def test_a_missing_runtime_part_is_seen_and_restored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pristine_text = (project / "gen" / "callingbox" / "_runtime" / "wire.py").read_bytes()
    (project / "gen" / "callingbox" / "_runtime" / "wire.py").unlink()
    assert package_status(project / "gen" / "callingbox", project / CALLINGBOX, ConfigJob(spec=project / CALLINGBOX, package="callingbox", out=project / "gen").options()) == "incomplete"
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- /dev/null\n+++ gen/callingbox/_runtime/wire.py (generated)\n" in out
    assert "callingbox: gen/callingbox is incomplete (files are missing)" in err
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert (project / "gen" / "callingbox" / "_runtime" / "wire.py").read_bytes() == pristine_text == (ROOT / "generator" / "runtime" / "wire.py").read_bytes()


def test_an_extra_file_in_the_runtime_is_seen_and_a_pycache_is_not(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = project / "gen" / "voiceinfra" / "_runtime" / "__pycache__"
    cache.mkdir()
    (cache / "core.cpython-311.pyc").write_bytes(b"\0")
    assert run(["check"], capsys) == (0, "", "")
    (project / "gen" / "callingbox" / "_runtime" / "xpath.py").write_bytes((ROOT / "generator" / "runtime" / "xpath.py").read_bytes())
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- gen/callingbox/_runtime/xpath.py (on disk)\n+++ /dev/null\n" in out
    assert "callingbox: gen/callingbox was edited by hand" in err
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert not (project / "gen" / "callingbox" / "_runtime" / "xpath.py").exists()
    assert run(["check"], capsys) == (0, "", "")


def test_a_package_with_the_old_one_module_runtime_is_stale_and_regenerated(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = project / "gen" / "callingbox"
    (package / "_runtime.py").write_text("# Generated by arazzo-codegen 0.1.0. Do not edit\n", encoding="utf-8")  # as an older version wrote it
    shutil.rmtree(package / "_runtime")
    code, out, err = run(["check"], capsys)
    assert code == 1
    assert "--- gen/callingbox/_runtime.py (on disk)\n+++ /dev/null\n" in out and "+++ gen/callingbox/_runtime/core.py (generated)" in out
    assert "callingbox: gen/callingbox is stale" in err
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert not (package / "_runtime.py").exists()
    assert (package / "_runtime" / "core.py").read_bytes() == (ROOT / "generator" / "runtime" / "core.py").read_bytes()
    assert run(["check"], capsys) == (0, "", "")


# --- specs with errors ---------------------------------------------------------------


def test_spec_with_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(project / CALLINGBOX, "operationId: getCall\n", "operationId: getCallz\n")
    before = snapshot(project / "gen")
    code, out, err = run(["check"], capsys)
    assert (code, out) == (1, "")
    assert f"{CALLINGBOX}:" in err and ": error: " in err
    assert "callingbox: cannot check gen/callingbox: 1 error" in err
    code, out, err = run(["generate"], capsys)
    assert (code, out) == (1, "")
    assert "[1/2] callingbox: not generated: 1 error; gen/callingbox left as it was" in err
    assert "[2/2] voiceinfra: up to date (gen/voiceinfra)" in err
    assert snapshot(project / "gen") == before


# --- incremental generate ------------------------------------------------------------


def test_generate_rebuilds_only_the_package_whose_inputs_changed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    age(project / "gen")
    before = snapshot(project / "gen")
    edit(project / CALLINGBOX, SUMMARY, "Place an outbound call, then follow it (incremental).")
    code, out, err = run(["generate"], capsys)
    assert (code, out) == (0, "")
    after = snapshot(project / "gen")
    assert after.keys() == before.keys()
    for name, (content, mtime) in after.items():
        if name.startswith("voiceinfra/"):
            assert (content, mtime) == before[name], name  # untouched
        else:
            assert mtime != before[name][1], name
            if name != "callingbox/py.typed" and not is_part_file(name.split("/", 1)[1]):  # the runtime parts have no stamp
                assert content != before[name][0], name  # at least the stamp changed
    lines = err.splitlines()
    assert any(line.startswith("[1/2] callingbox: generated 16 files in gen/callingbox (") for line in lines), err
    assert "[2/2] voiceinfra: up to date (gen/voiceinfra)" in lines


def test_force_rebuilds_everything_identically(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    age(project / "gen")
    before = snapshot(project / "gen")
    code, out, err = run(["generate", "--force"], capsys)
    assert (code, out) == (0, "")
    after = snapshot(project / "gen")
    assert {name: content for name, (content, _) in after.items()} == {name: content for name, (content, _) in before.items()}
    assert all(mtime != OLD * 10**9 for _, mtime in after.values())
    assert "[1/2] callingbox: generated 16 files" in err and "[2/2] voiceinfra: generated 16 files" in err


def test_quiet_and_verbose(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["generate"], capsys) == (0, "", "[1/2] callingbox: up to date (gen/callingbox)\n[2/2] voiceinfra: up to date (gen/voiceinfra)\n")
    assert run(["generate", "-q"], capsys) == (0, "", "")
    edit(project / VOICEINFRA, SUMMARY, "Place an outbound call (quiet).")
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    # One package: no progress line unless --verbose, which lists every file written.
    edit(project / VOICEINFRA, "(quiet)", "(single)")
    assert run(["generate", VOICEINFRA], capsys) == (0, "", "")
    edit(project / VOICEINFRA, "(single)", "(verbose)")
    code, out, err = run(["generate", VOICEINFRA, "--verbose"], capsys)
    assert (code, out) == (0, "")
    assert "voiceinfra: building (stale) from specs/voiceinfra/arazzo/voiceinfra-outbound-call-workflow.yml" in err
    for name in PACKAGE_FILES:
        assert f"  wrote gen/voiceinfra/{name if name != '_runtime' else '_runtime/__init__.py'} (" in err
    assert "  wrote gen/voiceinfra/_runtime/core.py (" in err
    assert "voiceinfra: generated 16 files in gen/voiceinfra (" in err  # 3 modules, py.typed, _runtime/__init__.py and 11 runtime parts


def test_spec_given_on_the_command_line_uses_its_configured_package(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", CALLINGBOX], capsys) == (0, "", "")
    edit(project / CALLINGBOX, SUMMARY, "Edited.")
    code, out, _ = run(["check", CALLINGBOX], capsys)
    assert code == 1 and "gen/callingbox/workflows.py (generated)" in out
    assert run(["check", VOICEINFRA], capsys) == (0, "", "")


def test_per_spec_output_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(PYPROJECT.replace('package = "voiceinfra"', 'package = "voiceinfra"\nout = "src/clients"'), encoding="utf-8")
    code, out, err = run(["check"], capsys)
    assert (code, out) == (1, "") and "voiceinfra: src/clients/voiceinfra is missing; run 'arazzo-codegen generate'" in err
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    assert sorted(p.name for p in (project / "src" / "clients" / "voiceinfra").iterdir()) == sorted(PACKAGE_FILES)
    assert run(["check"], capsys) == (0, "", "")
