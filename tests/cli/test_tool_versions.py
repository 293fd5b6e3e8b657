"""Output and diagnostics do not depend on which allowed version of a tool is installed.

Two colleagues (or a colleague and the pre-commit hook's own environment) may have
different allowed versions of black and PyYAML; they must not fight over
``generated/`` or see different diagnostics.  ``make test`` installs other allowed
releases beside the venv, in ``<venv>/alt/NAME-VERSION`` (see the Makefile's
ALT_PACKAGES): the oldest black of the allowed stable-style year, and the oldest
allowed PyYAML, which lacks the nesting limit that newer libyaml builds have.  Each
test puts one of them first on PYTHONPATH in a subprocess, checks that it really is
the version imported, and compares with what the pinned versions give.
(datamodel-code-generator is pinned to one release in pyproject.toml: its output
changes between releases.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALT = Path(sys.prefix) / "alt"


def _alt(name: str) -> Path:
    folders = sorted(ALT.glob(f"{name}-*"))
    assert folders, f"no {name} release in {ALT}: run the suite through 'make test', which installs it"
    return folders[0]


def _run(alt: Path, argv: list[str], cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(alt), str(ROOT)])
    env.pop("ARAZZO_CODEGEN_TRACEBACK", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=540)


def test_an_older_allowed_black_generates_the_same_bytes(tmp_path: Path) -> None:
    alt = _alt("black")
    wanted = alt.name.split("-", 1)[1]
    installed = _run(alt, ["-c", "import black; print(black.__version__)"], tmp_path)
    assert installed.stdout.strip() == wanted, installed.stderr
    import black

    assert black.__version__ != wanted, "the venv's black is the alternative one: nothing would be compared"
    # A copy of this repository's inputs, so that the copy's generated/ stands where ours does
    # (the headers name sources relative to the package).
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    packages = [entry["package"] for entry in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["arazzo-codegen"]["specs"]]
    # An empty cache: black must really run (the text cache is keyed by black's version anyway).
    done = _run(alt, ["-m", "arazzo_codegen", "generate", "--force", "-q"], tmp_path, {"ARAZZO_CODEGEN_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    for package in packages:
        ours = {p.relative_to(ROOT / "generated" / package).as_posix(): p.read_bytes() for p in sorted((ROOT / "generated" / package).rglob("*")) if p.is_file() and "__pycache__" not in p.parts}
        theirs = {p.relative_to(tmp_path / "generated" / package).as_posix(): p.read_bytes() for p in sorted((tmp_path / "generated" / package).rglob("*")) if p.is_file()}
        assert sorted(theirs) == sorted(ours), package
        for name, content in ours.items():
            assert theirs[name] == content, f"generated/{package}/{name} differs under black {wanted}"


def _catalogue_case(name: str) -> dict[str, object]:
    expected = yaml.safe_load((ROOT / "tests" / "bad" / "expected.yaml").read_text(encoding="utf-8"))
    case = expected["cases"][name]
    assert isinstance(case, dict)
    return case


def test_deep_nesting_gets_our_diagnostic_under_the_oldest_and_the_newest_pyyaml(tmp_path: Path) -> None:
    """PyYAML 6.0.4's libyaml refuses level 1,001 itself ('exceeded maximum nesting
    depth'); 6.0.1 has no limit. Both must give the catalogue's diagnostic."""
    import yaml as installed_yaml

    alt = _alt("pyyaml")
    wanted = alt.name.split("-", 1)[1]
    assert installed_yaml.__version__ != wanted
    case = _catalogue_case("nesting-100000-deep")
    [diagnostic] = case["diagnostics"]  # type: ignore[misc]
    from tests.bad.test_bad_inputs import BUILDERS

    BUILDERS["nesting-100000-deep"](tmp_path)
    expected_line = f"arazzo.yaml:{diagnostic['at'].split(':', 1)[1]}: error: {diagnostic['path']}: {diagnostic['message']}"
    for label, path in (("installed", tmp_path / "nothing-here"), (wanted, alt)):
        probe = _run(path, ["-c", "import yaml; print(yaml.__version__)"], tmp_path)
        assert probe.stdout.strip() == (installed_yaml.__version__ if label == "installed" else wanted)
        done = _run(path, ["-m", "arazzo_codegen", "validate", "arazzo.yaml"], tmp_path)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        lines = [re.sub(r"^.*?arazzo\.yaml", "arazzo.yaml", line) for line in done.stderr.splitlines() if re.search(r"arazzo\.yaml:\d", line)]
        assert lines == [expected_line], (label, done.stderr)
        assert f"hint: {diagnostic['hint']}" in done.stderr


def test_the_whole_bad_input_catalogue_holds_under_the_oldest_allowed_pyyaml(tmp_path: Path) -> None:
    """Every catalogue case (tests/bad/expected.yaml) gives its exact diagnostics under
    PyYAML 6.0.1 too; this process runs it under the pinned, newest one."""
    alt = _alt("pyyaml")
    wanted = alt.name.split("-", 1)[1]
    script = (
        "import sys, yaml, pytest\n"
        f"assert yaml.__version__ == {wanted!r}, yaml.__version__\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/bad/test_bad_inputs.py']))\n"
    )
    done = _run(alt, ["-c", script], ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout[-2000:]
