"""Confinement: no name from a spec (workflowIds, stepIds, input, output and
source names, file names, URLs with ``../``, absolute paths) makes the generator
write anywhere but ``OUT/<package>/``, and a package name that could (from the
command line or pyproject.toml) is a usage error.

Each test runs the CLI in-process from an empty working directory inside a
sandbox and then lists every file in the sandbox (and the absolute paths the
spec names) to see that nothing else appeared.
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from pathlib import Path

import pytest

from arazzo_codegen import cli
from arazzo_codegen.runtime_files import is_part_file

PACKAGE_FILES = ["__init__.py", "_runtime", "_runtime/__init__.py", "models.py", "py.typed", "warnings.txt", "workflows.py"]  # its OpenAPI gives warnings

OPENAPI = """openapi: 3.1.0
info:
  title: "../../escape"
  version: 1.0.0
servers:
  - url: https://api.example/../../v1
paths:
  /things/{thing}:
    post:
      operationId: "../../createThing"
      parameters:
        - name: thing
          in: path
          required: true
          schema:
            type: string
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/..~1..~1Thing'
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/..~1..~1Thing'
components:
  schemas:
    ../../Thing:
      type: object
      properties:
        ../../id:
          type: string
        /etc/passwd:
          type: string
"""


def _arazzo(escape: str) -> str:
    return f"""arazzo: 1.0.1
info:
  title: "{escape}"
  version: 1.0.0
sourceDescriptions:
  - name: up-up-escape
    url: ../specs/./../specs/openapi.yaml
    type: openapi
workflows:
  - workflowId: "../../{escape}"
    summary: "{escape}/__init__.py"
    inputs:
      type: object
      properties:
        "../..":
          type: string
          default: "{escape}"
        "/etc/passwd":
          type: string
          default: "{escape}/models.py"
    steps:
      - stepId: "{escape}/workflows.py"
        operationId: "../../createThing"
        parameters:
          - name: thing
            in: path
            value: $inputs.../..
        requestBody:
          contentType: application/json
          payload:
            "../../id": "{escape}"
        successCriteria:
          - condition: $statusCode == 201
        outputs:
          ..: $response.body#/..~1..~1id
"""


def _files(root: Path) -> list[str]:
    """Every path below ``root`` (but the runtime parts, ``_runtime/core.py`` and the like:
    copies of the generator's own modules, whose names no input can change)."""
    return sorted(name for name in (p.relative_to(root).as_posix() for p in root.rglob("*")) if not is_part_file("/".join(name.split("/")[-2:])))


def _run(argv: list[str], cwd: Path) -> tuple[int, str]:
    err = io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(argv)
    finally:
        os.chdir(previous)
    return code, err.getvalue()


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "cwd").mkdir()
    (tmp_path / "specs" / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    return tmp_path


def test_hostile_names_stay_inside_the_package(sandbox: Path) -> None:
    escape = f"/tmp/arazzo-escape-{uuid.uuid4().hex}"
    spec = sandbox / "specs" / "arazzo.yaml"
    spec.write_text(_arazzo(escape), encoding="utf-8")
    code, stderr = _run(["generate", str(spec), "--out", str(sandbox / "out"), "--package", "confined"], sandbox / "cwd")
    # Whether or not every hostile name compiles, nothing may land outside out/confined.
    created = [name for name in _files(sandbox) if not name.startswith("specs")]
    if code == 0:
        assert created == ["cwd", "out", "out/confined"] + [f"out/confined/{n}" for n in PACKAGE_FILES], stderr
    else:
        assert code == 1, stderr
        assert created == ["cwd"], stderr
    assert not Path(escape).exists()
    assert not Path(escape).parent.joinpath("workflows.py").exists()
    assert _files(sandbox / "specs") == ["arazzo.yaml", "openapi.yaml"]


def test_hostile_names_generate_and_compile(sandbox: Path) -> None:
    """The same hostile names are not a reason to refuse the spec: they become safe identifiers."""
    spec = sandbox / "specs" / "arazzo.yaml"
    spec.write_text(_arazzo("/tmp/arazzo-escape"), encoding="utf-8")
    code, stderr = _run(["generate", str(spec), "--out", str(sandbox / "out"), "--package", "confined"], sandbox / "cwd")
    assert code == 0, stderr
    for name in PACKAGE_FILES:
        path = sandbox / "out" / "confined" / name
        if name.endswith(".py"):
            compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.parametrize(
    "file_name",
    ["..hidden.arazzo.yaml", "__init__.yaml", "1-first.yaml", "café au lait.yaml", "-rf.yaml", "....yaml", "con.yaml"],
)
def test_package_names_derived_from_file_names_are_identifiers(sandbox: Path, file_name: str) -> None:
    spec = sandbox / "specs" / file_name
    spec.write_text(_arazzo("x").replace("../specs/./../specs/openapi.yaml", "openapi.yaml"), encoding="utf-8")
    code, stderr = _run(["generate", f"./{file_name}", "--out", str(sandbox / "out")], sandbox / "specs")
    assert code == 0, stderr
    packages = [p for p in (sandbox / "out").iterdir()]
    assert len(packages) == 1
    assert packages[0].name.isidentifier(), packages[0].name
    assert _files(packages[0]) == PACKAGE_FILES
    assert sorted(p.name for p in sandbox.iterdir()) == ["cwd", "out", "specs"]


@pytest.mark.parametrize(
    "package",
    [
        "../escape",
        "/tmp/escape",
        "a/b",
        "..",
        "class",
        "1abc",
        "a.b",
        "",
    ],
)
def test_unsafe_package_option_is_a_usage_error(sandbox: Path, package: str) -> None:
    spec = sandbox / "specs" / "arazzo.yaml"
    spec.write_text(_arazzo("x"), encoding="utf-8")
    code, stderr = _run(["generate", str(spec), "--out", str(sandbox / "out"), "--package", package], sandbox / "cwd")
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert _files(sandbox) == ["cwd", "specs", "specs/arazzo.yaml", "specs/openapi.yaml"]


@pytest.mark.parametrize("package", ["../escape", "/tmp/escape", "a/b", "class"])
def test_unsafe_package_in_pyproject_is_a_usage_error(sandbox: Path, package: str) -> None:
    spec = sandbox / "specs" / "arazzo.yaml"
    spec.write_text(_arazzo("x"), encoding="utf-8")
    (sandbox / "cwd" / "pyproject.toml").write_text(
        f'[tool.arazzo-codegen]\nout = "out"\n\n[[tool.arazzo-codegen.specs]]\nspec = "../specs/arazzo.yaml"\npackage = "{package}"\n',
        encoding="utf-8",
    )
    code, stderr = _run(["generate"], sandbox / "cwd")
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert _files(sandbox) == ["cwd", "cwd/pyproject.toml", "specs", "specs/arazzo.yaml", "specs/openapi.yaml"]


def test_a_symlinked_package_directory_is_replaced_not_followed(sandbox: Path) -> None:
    """If OUT/<package> is a symlink to somewhere else, generation replaces the link;
    it never writes into (or deletes) what the link points at."""
    spec = sandbox / "specs" / "arazzo.yaml"
    spec.write_text(_arazzo("x"), encoding="utf-8")
    elsewhere = sandbox / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the generator's\n", encoding="utf-8")
    (sandbox / "out").mkdir()
    (sandbox / "out" / "confined").symlink_to(elsewhere, target_is_directory=True)
    code, stderr = _run(["generate", str(spec), "--out", str(sandbox / "out"), "--package", "confined"], sandbox / "cwd")
    assert code == 0, stderr
    assert _files(elsewhere) == ["keep.txt"]
    assert (elsewhere / "keep.txt").read_text(encoding="utf-8") == "not the generator's\n"
    assert not (sandbox / "out" / "confined").is_symlink()
    assert _files(sandbox / "out" / "confined") == PACKAGE_FILES
    assert [p.name for p in (sandbox / "out").iterdir() if not p.name.startswith(".arazzo-codegen-tmp-")] == ["confined"]


def test_a_symlinked_package_directory_leaves_nothing_behind(sandbox: Path) -> None:
    spec = sandbox / "specs" / "arazzo.yaml"
    spec.write_text(_arazzo("x"), encoding="utf-8")
    (sandbox / "elsewhere").mkdir()
    (sandbox / "out").mkdir()
    (sandbox / "out" / "confined").symlink_to(sandbox / "elsewhere", target_is_directory=True)
    code, stderr = _run(["generate", str(spec), "--out", str(sandbox / "out"), "--package", "confined"], sandbox / "cwd")
    assert code == 0, stderr
    assert sorted(p.name for p in (sandbox / "out").iterdir()) == ["confined"]
