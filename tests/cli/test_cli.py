"""The command line surface: --version, --help for every option, validate (nothing
written), list (workflows, inputs, outputs), exit codes."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arazzo_codegen import __version__
from arazzo_codegen.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
CALLINGBOX = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"
VOICEINFRA = "specs/voiceinfra/arazzo/voiceinfra-outbound-call-workflow.yml"
BAD = ROOT / "tests" / "bad"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the callingbox and voiceinfra specs and no configuration."""
    for provider in ("callingbox", "voiceinfra"):
        shutil.copytree(ROOT / "specs" / provider, tmp_path / "specs" / provider)
    shutil.copytree(BAD / "_shared", tmp_path / "bad" / "_shared")
    shutil.copytree(BAD / "duplicate-step-ids", tmp_path / "bad" / "duplicate-step-ids")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's --help and --version
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def files_below(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- version and help ------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys) == (0, f"arazzo-codegen {__version__}\n", "")


def test_version_and_help_as_processes() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "arazzo_codegen", "--version"], capture_output=True, text=True, timeout=120, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, f"arazzo-codegen {__version__}")
    script = shutil.which("arazzo-codegen", path=os.path.dirname(sys.executable))
    assert script is not None, "the console script is installed next to the interpreter"
    done = subprocess.run([script, "check", "--help"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0 and "usage: arazzo-codegen check" in done.stdout


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("usage: arazzo-codegen")
    for command in ("generate", "check", "validate", "list"):
        assert command in err


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["generate", "check", "validate", "list"])
def test_help_documents_every_option(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([command, "--help"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: arazzo-codegen {command}")
    parser = _subparsers()[command]
    flat = " ".join(out.split())
    for action in parser._actions:
        assert action.help and len(action.help) > 10, (command, action.dest)
        first_words = " ".join(action.help.split()[:4])
        assert first_words in flat, (command, action.dest, first_words)
        for option in action.option_strings:
            assert option in out, (command, option)
    assert "Exit codes: 0 ok, 1 spec errors or stale output, 2 usage error, 3 internal error." in out


def test_options_per_command() -> None:
    options = {name: {o for a in p._actions for o in a.option_strings} for name, p in _subparsers().items()}
    common = {"-h", "--help", "--config", "--package", "--source-map", "--strict", "--no-strict", "-q", "--quiet", "-v", "--verbose"}
    codegen = {"--out", "--poll-interval", "--line-length", "--idempotency-header", "--durable", "--no-durable"}
    assert options["generate"] == common | codegen | {"--check", "--force", "--hook"}
    assert options["check"] == common | codegen | {"--force"}
    assert options["validate"] == common
    assert options["list"] == common | {"--out"}


# --- validate ----------------------------------------------------------------------------


def test_validate_valid_specs_writes_nothing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files_below(workdir)
    code, out, err = run(["validate", CALLINGBOX, VOICEINFRA], capsys)
    assert (code, out) == (0, "")
    assert f"{CALLINGBOX}: valid (" in err and f"{VOICEINFRA}: valid (" in err
    assert files_below(workdir) == before
    assert not (workdir / "generated").exists()
    assert run(["validate", "--quiet", CALLINGBOX], capsys) == (0, "", "")


def test_validate_reports_diagnostics_and_exits_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files_below(workdir)
    code, out, err = run(["validate", "bad/duplicate-step-ids/arazzo.yaml", CALLINGBOX], capsys)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert any(re.match(r"bad/duplicate-step-ids/arazzo\.yaml:\d+:\d+: error: \$\.workflows\[0\]\.steps.*", line) for line in lines), err
    assert "bad/duplicate-step-ids/arazzo.yaml: invalid (1 error)" in lines
    assert f"{CALLINGBOX}: valid (0 warnings)" in lines  # the other spec is still reported
    assert "Traceback" not in err
    assert files_below(workdir) == before


def test_validate_strict_turns_warnings_into_errors(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = workdir / CALLINGBOX
    text = spec.read_text(encoding="utf-8")
    # a runtime expression embedded in a string without braces is a warning
    assert "Bearer {$inputs.apiKey}" in text
    spec.write_text(text.replace("Bearer {$inputs.apiKey}", "Bearer $inputs.apiKey"), encoding="utf-8")
    code, _, err = run(["validate", CALLINGBOX], capsys)
    assert code == 0 and ": warning: " in err and "valid (" in err
    code, _, err = run(["validate", "--strict", CALLINGBOX], capsys)
    assert code == 1 and ": error: " in err
    code, _, err = run(["validate", "--quiet", CALLINGBOX], capsys)
    assert (code, err) == (0, "")


def test_validate_uses_the_configuration_without_specs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "pyproject.toml").write_text(f'[tool.arazzo-codegen]\n[[tool.arazzo-codegen.specs]]\nspec = "{VOICEINFRA}"\npackage = "vi"\n', encoding="utf-8")
    code, out, err = run(["validate"], capsys)
    assert (code, out) == (0, "")
    assert f"{VOICEINFRA}: valid (" in err and CALLINGBOX not in err


# --- list ----------------------------------------------------------------------------------


def test_list_shows_workflows_inputs_and_outputs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["list", "--quiet", CALLINGBOX], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{CALLINGBOX} -> package callingbox_outbound_call (generated/callingbox_outbound_call)"
    assert lines[1] == "  callingbox-outbound-call: callingbox_outbound_call() / callingbox_outbound_call_async() -> CallingboxOutboundCallOutputs"
    assert lines[2] == "    Place an outbound call, then follow it to its end."
    assert lines[3] == "    inputs:"
    assert "      api_key: str  (apiKey, secret)" in lines
    assert "      to_number: str  (toNumber)" in lines
    assert "      from_number: str | None = None  (fromNumber)" in lines
    outputs = lines.index("    outputs:")
    assert lines.index("      api_key: str  (apiKey, secret)") < outputs
    assert "      call_id: str  (callId)" in lines[outputs:]
    assert any(line.startswith('      status: Literal["queued", ') for line in lines[outputs:])
    assert not (workdir / "generated").exists()


def test_list_package_name_follows_options_and_configuration(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["list", "-q", VOICEINFRA, "--package", "vi", "--out", "src"], capsys)
    assert code == 0 and out.startswith(f"{VOICEINFRA} -> package vi (src/vi)\n")
    (workdir / "pyproject.toml").write_text(f'[tool.arazzo-codegen]\nout = "clients"\n[[tool.arazzo-codegen.specs]]\nspec = "{CALLINGBOX}"\npackage = "cb"\n', encoding="utf-8")
    code, out, _ = run(["list", "-q"], capsys)
    assert code == 0 and out.startswith(f"{CALLINGBOX} -> package cb (clients/cb)\n")


def test_list_of_a_bad_spec_exits_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["list", "bad/duplicate-step-ids/arazzo.yaml"], capsys)
    assert (code, out) == (1, "")
    assert ": error: " in err and "bad/duplicate-step-ids/arazzo.yaml: cannot list: 1 error" in err


# --- generate from the command line ------------------------------------------------------


def test_generate_single_spec_with_package_and_out(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["generate", "-q", VOICEINFRA, "--package", "vi", "--out", "clients"], capsys)
    assert (code, out, err) == (0, "", "")
    assert sorted(p.name for p in (workdir / "clients" / "vi").iterdir()) == ["__init__.py", "_runtime", "models.py", "py.typed", "workflows.py"]
    assert run(["check", VOICEINFRA, "--package", "vi", "--out", "clients"], capsys) == (0, "", "")
    assert run(["check", VOICEINFRA, "--package", "vi2", "--out", "clients"], capsys)[0] == 1  # never generated


def test_internal_error_is_one_line_and_exit_3(workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from arazzo_codegen import cli

    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_jobs", explode)
    code, out, err = run(["check"], capsys)
    assert (code, out) == (3, "")
    assert err == "arazzo-codegen: internal error: RuntimeError: boom. Please report this with the spec that caused it.\n"


def test_two_specs_that_would_share_a_package_are_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(CALLINGBOX, workdir / "specs" / "callingbox" / "arazzo" / "a-b.yml")
    shutil.copy(CALLINGBOX, workdir / "specs" / "callingbox" / "arazzo" / "a_b.yml")
    folder = "specs/callingbox/arazzo/"
    code, out, err = run(["generate", folder + "a-b.yml", folder + "a_b.yml", "--out", "out"], capsys)
    assert code == 2
    assert "would both be written to" in err and err.count("\n") == 1
    assert not (workdir / "out").exists()
