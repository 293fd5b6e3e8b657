"""The ``durable`` option end to end through the CLI: ``--durable`` adds durable.py to
the package (and to its stamp), ``check`` sees it missing, edited, or left over once
the option is off; without the option the package is as before."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arazzo_codegen.cli import main
from arazzo_codegen.config import Durable, Job
from arazzo_codegen.write import PACKAGE_FILES, package_status
from tests.durable.harness import ROOT

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
    plain_files = {p.name: p.read_bytes() for p in package.iterdir() if p.name != "durable.py"}

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
