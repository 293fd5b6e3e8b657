"""``[tool.arazzo-codegen]``: what it accepts, what it rejects (one line, exit 2),
and how command-line options override it.  Nothing here runs the generator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arazzo_codegen.cli import build_parser, main
from arazzo_codegen.config import Config, Durable, Job, Overrides, jobs_for_specs, load_jobs, package_name, read_config
from arazzo_codegen.diagnostics import UsageError

ROOT = Path(__file__).resolve().parents[2]
SPEC = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"
OTHER = "specs/voiceinfra/arazzo/voiceinfra-outbound-call-workflow.yml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with two providers' specs; the working directory of the test."""
    for provider in ("callingbox", "voiceinfra"):
        shutil.copytree(ROOT / "specs" / provider, tmp_path / "specs" / provider)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_pyproject(project: Path, text: str) -> Path:
    path = project / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    """Exit code 2, nothing on stdout, exactly one line on stderr containing every needle."""
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("arazzo-codegen: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


BASE = f"""
[tool.arazzo-codegen]
out = "gen"

[[tool.arazzo-codegen.specs]]
spec = "{SPEC}"
package = "callingbox"
"""


# --- accepted configuration ----------------------------------------------------------


def test_defaults_and_relative_paths(project: Path) -> None:
    pyproject = write_pyproject(project, f'[tool.arazzo-codegen]\n[[tool.arazzo-codegen.specs]]\nspec = "{SPEC}"\npackage = "cb"\n')
    (job,) = load_jobs(pyproject, Overrides())
    assert job == Job(spec=project / SPEC, package="cb", out=project / "generated", strict=False, poll_interval=1.0, line_length=88)
    assert job.package_dir == project / "generated" / "cb"


def test_top_level_options_apply_to_every_spec_and_per_spec_values_win(project: Path) -> None:
    pyproject = write_pyproject(
        project,
        f"""
[tool.arazzo-codegen]
out = "gen"
strict = true
poll-interval = 2.5
line-length = 100

[[tool.arazzo-codegen.specs]]
spec = "{SPEC}"
package = "callingbox"

[[tool.arazzo-codegen.specs]]
spec = "{OTHER}"
package = "voiceinfra"
out = "src/clients"
strict = false
poll-interval = 0
line-length = 120
""",
    )
    first, second = load_jobs(pyproject, Overrides())
    assert (first.out, first.strict, first.poll_interval, first.line_length) == (project / "gen", True, 2.5, 100)
    assert (second.out, second.strict, second.poll_interval, second.line_length) == (project / "src" / "clients", False, 0.0, 120)
    assert second.package_dir == project / "src" / "clients" / "voiceinfra"


def test_overrides_beat_the_configuration(project: Path) -> None:
    pyproject = write_pyproject(
        project,
        f"""
[tool.arazzo-codegen]
strict = true
line-length = 100
[[tool.arazzo-codegen.specs]]
spec = "{SPEC}"
package = "callingbox"
out = "per-spec"
poll-interval = 3
""",
    )
    (job,) = load_jobs(pyproject, Overrides(out=Path("elsewhere"), strict=False, poll_interval=0.5, line_length=120))
    assert (job.out, job.strict, job.poll_interval, job.line_length) == (Path("elsewhere"), False, 0.5, 120)


def _cli_jobs(argv: list[str]) -> list[Job]:
    from arazzo_codegen import cli

    return cli._jobs(build_parser().parse_args(argv))


def test_command_line_options_reach_the_jobs(project: Path) -> None:
    write_pyproject(project, BASE.replace('out = "gen"', 'out = "gen"\nstrict = true\nline-length = 100'))
    (job,) = _cli_jobs(["generate"])
    assert (job.out, job.strict, job.line_length, job.poll_interval) == (project / "gen", True, 100, 1.0)
    (job,) = _cli_jobs(["generate", "--no-strict", "--line-length", "70", "--poll-interval", "4", "--out", "x"])
    assert (job.out, job.strict, job.line_length, job.poll_interval) == (Path("x"), False, 70, 4.0)
    (job,) = _cli_jobs(["check", "--strict"])
    assert job.strict is True


def test_spec_named_on_the_command_line_keeps_its_configured_package(project: Path) -> None:
    write_pyproject(project, BASE.replace('package = "callingbox"', 'package = "cb_client"\nline-length = 99'))
    (job,) = _cli_jobs(["generate", SPEC])
    assert (job.package, job.out, job.line_length) == ("cb_client", project / "gen", 99)
    # A spec the configuration does not list: package from the file name, top-level options.
    (job,) = _cli_jobs(["generate", OTHER])
    assert (job.package, job.out, job.line_length) == ("voiceinfra_outbound_call", project / "gen", 88)
    (job,) = _cli_jobs(["generate", OTHER, "--package", "vi"])
    assert job.package == "vi"


def test_specs_on_the_command_line_need_no_configuration(project: Path) -> None:
    # No pyproject.toml in the project; one above it (if any) without the section is ignored.
    jobs = jobs_for_specs([SPEC, OTHER], None, Overrides(), None)
    assert [(j.package, j.out) for j in jobs] == [("callingbox_outbound_call", Path("generated")), ("voiceinfra_outbound_call", Path("generated"))]


@pytest.mark.parametrize(
    ("file_name", "package"),
    [
        ("petstore.arazzo.yaml", "petstore"),
        ("vapi-ai-assistant-phone-outbound-call-workflow.yml", "vapi_ai_assistant_phone_outbound_call"),
        ("Payments_Workflows.json", "payments"),
        ("class.yaml", "class_"),
        ("2fa-flow.yml", "workflows_2fa_flow"),
        ("workflow.yaml", "workflow"),
    ],
)
def test_package_name_from_file_name(file_name: str, package: str) -> None:
    assert package_name(Path("x") / file_name) == package
    assert package.isidentifier()


def test_pyproject_without_section_is_not_an_error_when_specs_are_given(project: Path) -> None:
    pyproject = write_pyproject(project, '[project]\nname = "x"\n')
    assert read_config(pyproject, Overrides(), required=False) is None
    assert isinstance(read_config(write_pyproject(project, "[tool.arazzo-codegen]\nline-length = 90\n"), Overrides(), required=False), Config)


# --- rejected configuration: one line, exit code 2 -----------------------------------


def test_unknown_top_level_key_suggests_the_right_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE.replace('out = "gen"', 'out = "gen"\nline_length = 100'))
    line = assert_usage_error(["check"], capsys, "pyproject.toml: [tool.arazzo-codegen]: unknown key 'line_length'", "did you mean 'line-length'?")
    assert "Traceback" not in line


def test_unknown_spec_key_suggests_the_right_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE.replace('package = "callingbox"', 'packge = "callingbox"'))
    assert_usage_error(["generate"], capsys, "[[tool.arazzo-codegen.specs]] #1: unknown key 'packge'", "did you mean 'package'?")


def test_unknown_key_without_a_close_match_lists_the_known_ones(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE.replace('out = "gen"', 'out = "gen"\nzzz = 1'))
    assert_usage_error(["check"], capsys, "unknown key 'zzz'", "known: durable, idempotency-header, line-length, out, poll-interval, source-map, specs, strict")


def test_missing_section(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, '[project]\nname = "demo"\n')
    assert_usage_error(["check"], capsys, "pyproject.toml: no [tool.arazzo-codegen] section")


def test_misspelt_section_is_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE.replace("arazzo-codegen", "arazzo_codegen"))
    assert_usage_error(["generate"], capsys, "no [tool.arazzo-codegen] section; found [tool.arazzo_codegen]: did you mean [tool.arazzo-codegen]?")


def test_section_without_specs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, '[tool.arazzo-codegen]\nout = "gen"\n')
    assert_usage_error(["check"], capsys, "lists no specs", "[[tool.arazzo-codegen.specs]]")


def test_no_pyproject_at_all(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(["check", "--config", "nowhere/pyproject.toml"], capsys, "--config nowhere/pyproject.toml: no such file")


def test_bad_spec_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE.replace(SPEC, "specs/callingbox/arazzo/missing.yml"))
    assert_usage_error(["check"], capsys, "[[tool.arazzo-codegen.specs]] #1: spec specs/callingbox/arazzo/missing.yml: no such file")


def test_bad_spec_path_on_the_command_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(["validate", "specs/nope.yml"], capsys, "specs/nope.yml: no such file")
    assert_usage_error(["list", "specs"], capsys, "specs: not a file")


def test_missing_required_spec_keys(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, '[tool.arazzo-codegen]\n[[tool.arazzo-codegen.specs]]\npackage = "x"\n')
    assert_usage_error(["check"], capsys, "#1: missing 'spec'")
    write_pyproject(project, f'[tool.arazzo-codegen]\n[[tool.arazzo-codegen.specs]]\nspec = "{SPEC}"\n')
    assert_usage_error(["check"], capsys, "#1: missing 'package'")


@pytest.mark.parametrize(
    ("setting", "needle"),
    [
        ('line-length = "88"', "'line-length' must be an integer, not a string"),
        ("line-length = 88.5", "'line-length' must be an integer, not a float"),
        ("line-length = 10", "'line-length' must be between 40 and 300, not 10"),
        ("strict = 1", "'strict' must be a boolean, not an integer"),
        ("poll-interval = true", "'poll-interval' must be a number, not a boolean"),
        ("poll-interval = -1", "'poll-interval' must be a finite number of seconds >= 0, not -1"),
        ("out = 3", "'out' must be a string, not an integer"),
        ('out = ""', "'out' must not be empty"),
    ],
)
def test_wrong_values(project: Path, capsys: pytest.CaptureFixture[str], setting: str, needle: str) -> None:
    write_pyproject(project, BASE.replace('out = "gen"', setting))
    assert_usage_error(["check"], capsys, needle)


def test_specs_must_be_tables(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, f'[tool.arazzo-codegen]\nspecs = ["{SPEC}"]\n')
    assert_usage_error(["check"], capsys, "#1: must be a table")


def test_invalid_package_name(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE.replace('package = "callingbox"', 'package = "calling-box"'))
    assert_usage_error(["check"], capsys, "package 'calling-box' is not a valid Python package name")
    write_pyproject(project, BASE.replace('package = "callingbox"', 'package = "import"'))
    assert_usage_error(["check"], capsys, "package 'import' is not a valid Python package name")


def test_two_specs_into_one_package_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, BASE + f'\n[[tool.arazzo-codegen.specs]]\nspec = "{OTHER}"\npackage = "callingbox"\n')
    assert_usage_error(["generate"], capsys, "#2: package directory gen/callingbox is also the output of " + SPEC)


def test_invalid_toml(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, "[tool.arazzo-codegen\nout = 1\n")
    assert_usage_error(["check"], capsys, "pyproject.toml: not valid TOML:")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["generate", "--line-length", "20"], "--line-length must be between 40 and 300, not 20"),
        (["generate", "--poll-interval", "-2"], "--poll-interval must be a finite number of seconds >= 0"),
        (["generate", "--line-length", "wide"], "argument --line-length: invalid int value: 'wide'"),
        (["check", "--package", "x"], "--package needs a SPEC"),
        (["validate", SPEC, OTHER, "--package", "x"], "--package names one package; give one SPEC with it"),
        (["generate", SPEC, "--package", "not-valid"], "--package 'not-valid' is not a valid Python package name"),
        (["generate", "--quiet", "--verbose"], "not allowed with argument"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_command_lines(project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    write_pyproject(project, BASE)
    assert_usage_error(argv, capsys, needle)


def test_unwritable_output_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "gen").write_text("a file where the output directory should be\n", encoding="utf-8")
    write_pyproject(project, BASE)
    assert_usage_error(["generate"], capsys, "cannot write gen/callingbox:", "is not a directory")
    assert (project / "gen").read_text(encoding="utf-8").startswith("a file")


def test_read_config_raises_usage_error_not_traceback(project: Path) -> None:
    pyproject = write_pyproject(project, BASE.replace("out =", "ot ="))
    with pytest.raises(UsageError, match=r"unknown key 'ot'; did you mean 'out'\?"):
        read_config(pyproject, Overrides())


# --- idempotency-header ---------------------------------------------------------------


def test_idempotency_header_from_the_configuration_and_the_command_line(project: Path) -> None:
    write_pyproject(
        project,
        BASE.replace('out = "gen"', 'out = "gen"\nidempotency-header = "X-Request-Token"')
        + f'\n[[tool.arazzo-codegen.specs]]\nspec = "{OTHER}"\npackage = "voiceinfra"\nidempotency-header = "X-Idempotency-Token"\n',
    )
    first, second = _cli_jobs(["generate"])
    assert (first.idempotency_header, second.idempotency_header) == ("X-Request-Token", "X-Idempotency-Token")
    assert first.options()["idempotency_header"] == "X-Request-Token"
    first, second = _cli_jobs(["generate", "--idempotency-header", "Idem-Key"])
    assert (first.idempotency_header, second.idempotency_header) == ("Idem-Key", "Idem-Key")
    (job,) = _cli_jobs(["generate", SPEC])  # a configured spec named on the command line keeps it
    assert job.idempotency_header == "X-Request-Token"
    write_pyproject(project, BASE)
    (job,) = _cli_jobs(["generate"])
    assert job.idempotency_header is None and "idempotency_header" not in job.options()


@pytest.mark.parametrize(
    ("setting", "argv", "needle"),
    [
        ("idempotency-header = 1", ["check"], "'idempotency-header' must be a string, not an integer"),
        ('idempotency-header = ""', ["check"], "'idempotency-header' must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), but it is empty"),
        ('idempotency-header = "X Key:"', ["check"], "'idempotency-header' must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), but it contains ' ', ':'"),
        ("", ["generate", "--idempotency-header", "Bad\u00e9"], "--idempotency-header must be an HTTP header name"),
        ('idempotency_header = "X"', ["check"], "unknown key 'idempotency_header'; did you mean 'idempotency-header'?"),
    ],
)
def test_bad_idempotency_header(project: Path, capsys: pytest.CaptureFixture[str], setting: str, argv: list[str], needle: str) -> None:
    write_pyproject(project, BASE.replace('out = "gen"', setting))
    assert_usage_error(argv, capsys, needle)


# --- durable ---------------------------------------------------------------------------


def test_durable_from_the_configuration_and_the_command_line(project: Path) -> None:
    write_pyproject(
        project,
        BASE.replace('package = "callingbox"', 'package = "callingbox"\ndurable = { concurrency = 10, rate = 5 }')
        + f'\n[[tool.arazzo-codegen.specs]]\nspec = "{OTHER}"\npackage = "voiceinfra"\n',
    )
    first, second = _cli_jobs(["generate"])
    assert (first.durable, second.durable) == (Durable(10, 5.0), None)
    assert first.options()["durable"] == (10, 5.0) and "durable" not in second.options()  # in the stamp
    first, second = _cli_jobs(["generate", "--durable"])  # on for every spec, keeping configured limits
    assert (first.durable, second.durable) == (Durable(10, 5.0), Durable())
    first, second = _cli_jobs(["generate", "--no-durable"])
    assert (first.durable, second.durable) == (None, None)
    (job,) = _cli_jobs(["generate", SPEC])  # a configured spec named on the command line keeps it
    assert job.durable == Durable(10, 5.0)
    write_pyproject(project, BASE.replace('out = "gen"', 'out = "gen"\ndurable = true'))
    (job,) = _cli_jobs(["generate"])
    assert job.durable == Durable() and job.options()["durable"] == (None, None)
    write_pyproject(project, BASE.replace('out = "gen"', 'out = "gen"\ndurable = true').replace('package = "callingbox"', 'package = "callingbox"\ndurable = false'))
    (job,) = _cli_jobs(["generate"])
    assert job.durable is None


@pytest.mark.parametrize(
    ("setting", "needle"),
    [
        ('durable = "yes"', "'durable' must be a boolean or a table { concurrency = N, rate = M }, not a string"),
        ("durable = { concurrency = 0 }", "'durable': 'concurrency' must be a positive integer"),
        ("durable = { concurrency = 2.5 }", "'durable': 'concurrency' must be a positive integer"),
        ("durable = { rate = -1 }", "'durable': 'rate' must be a positive number"),
        ("durable = { rate = true }", "'durable': 'rate' must be a positive number"),
        ("durable = { concurency = 3 }", "'durable': unknown key 'concurency'; did you mean 'concurrency'?"),
    ],
)
def test_bad_durable(project: Path, capsys: pytest.CaptureFixture[str], setting: str, needle: str) -> None:
    write_pyproject(project, BASE.replace('out = "gen"', 'out = "gen"\n' + setting))
    assert_usage_error(["check"], capsys, needle)
