"""The ``durable`` option end to end through the CLI: ``--durable`` adds durable.py to
the package (and to its stamp), ``check`` sees it missing, edited, or left over once
the option is off; without the option the package is as before."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from arazzo_codegen.cli import main
from arazzo_codegen.config import Durable, Job
from arazzo_codegen.pipeline import build
from arazzo_codegen.write import PACKAGE_FILES, package_status

from tests.durable.harness import ROOT
from tests.golden.test_generated_quality import RUFF

SPECS = ROOT / "tests" / "durable" / "specs"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(SPECS, tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def generate(*extra: str) -> int:
    return main(["generate", "-q", "specs/orders.arazzo.yaml", "--package", "orders", "--out", "out", *extra])


def test_durable_py_is_a_package_file_only_with_the_option(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = project / "out" / "orders"
    spec = project / "specs" / "orders.arazzo.yaml"
    durable = Job(spec=spec, package="orders", out=project / "out", durable=Durable())
    plain = Job(spec=spec, package="orders", out=project / "out")

    assert generate("--durable") == 0
    assert sorted(p.name for p in package.iterdir()) == sorted([*PACKAGE_FILES, "durable.py"])
    assert package_status(package, spec, durable.options()) == "current"
    assert package_status(package, spec, plain.options()) == "stale"  # the option is part of the stamp
    plain_files = {p.relative_to(package).as_posix(): p.read_bytes() for p in package.rglob("*") if p.is_file() and p.name != "durable.py" and "__pycache__" not in p.parts}

    (package / "durable.py").unlink()
    assert package_status(package, spec, durable.options()) == "incomplete"
    assert generate("--durable") == 0 and package_status(package, spec, durable.options()) == "current"
    (package / "durable.py").write_text((package / "durable.py").read_text() + "# edited\n")
    assert package_status(package, spec, durable.options()) == "edited"
    assert main(["check", "-q", "specs/orders.arazzo.yaml", "--package", "orders", "--out", "out", "--durable"]) == 1

    assert generate() == 0  # the option off: durable.py goes, the rest is as with it (but the stamps)
    assert sorted(p.name for p in package.iterdir()) == sorted(PACKAGE_FILES)
    assert package_status(package, spec, plain.options()) == "current"
    for name, data in plain_files.items():
        assert _body(package.joinpath(name).read_bytes()) == _body(data), name
    capsys.readouterr()


def _body(data: bytes) -> bytes:
    """The file without its three header lines (the stamp depends on the options)."""
    return b"\n".join(data.split(b"\n")[3:]) if data else data


def test_inputs_named_like_durable_py_names_and_a_shared_secret(tmp_path: Path) -> None:
    job = Job(spec=SPECS / "names.arazzo.yaml", package="names", out=tmp_path, durable=Durable())
    result = build(job)
    text = result.files.get("durable.py")
    assert text is not None, [d.render() for d in result.report.items]
    compile(text, "durable.py", "exec")  # no duplicate argument, no clash
    assert text.count('"api_key": "NAMES_API_KEY",') == 1  # one entry for the secret both take
    assert "def start_look_up(\n    workflow_id_: str," in text and "with SetWorkflowID(workflow_id_):" in text
    assert 'api_key = _credential("api_key", "apiKey")' in text  # required in look-up
    assert 'password = _optional_credential("password", "password") or "hunter22"' in text
    assert 'api_key = _optional_credential("api_key", "apiKey")' in text  # optional in look-up-again
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "durable.py").write_text(text, encoding="utf-8")
    completed = subprocess.run([*RUFF, "names/durable.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert sys.modules.get("names") is None
