"""``list`` and ``validate`` show an Arazzo 1.1 document's step timeouts and step
``dependsOn``; a 1.0 document's output is unchanged (no 1.1 line, no suffix)."""

from __future__ import annotations

from pathlib import Path

import pytest
from arazzo_codegen.cli import main

OPENAPI = """\
openapi: 3.1.0
info: {title: Users, version: 1.0.0}
servers: [{url: https://users.example.com}]
paths:
  /users:
    get:
      operationId: getUsers
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
"""

DOC = """\
arazzo: 1.1.0
info: {title: Users, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: ./openapi.yaml, type: openapi}
workflows:
  - workflowId: twoSteps
    steps:
      - stepId: first
        operationId: getUsers
        timeout: 500
        outputs: {id: $response.body#/id}
      - stepId: second
        operationId: getUsers
        dependsOn: [first]
        timeout: 1500
      - stepId: third
        operationId: getUsers
        dependsOn: [first, second]
    outputs:
      id: $steps.first.outputs.id
  - workflowId: plain
    steps:
      - stepId: only
        operationId: getUsers
"""

PLAIN = "\n".join(line for line in DOC.splitlines() if "timeout" not in line and "dependsOn" not in line) + "\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_counts_step_timeouts_and_depends_on(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "doc.yaml").write_text(DOC, encoding="utf-8")
    assert main(["validate", "doc.yaml"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "doc.yaml: valid (0 warnings; Arazzo 1.1: 2 step timeouts, 2 steps with dependsOn)"


def test_list_shows_each_step_with_a_timeout_or_depends_on(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "doc.yaml").write_text(DOC, encoding="utf-8")
    assert main(["list", "doc.yaml"]) == 0
    out = capsys.readouterr().out
    assert "    steps (Arazzo 1.1):\n      first: timeout 500 ms\n      second: timeout 1500 ms; dependsOn first\n      third: dependsOn first, second\n  plain:" in out
    assert out.count("steps (Arazzo 1.1)") == 1  # the workflow with neither shows no such line


@pytest.mark.parametrize("version", ["1.0.1", "1.1.0"])
def test_without_these_features_the_output_is_as_before(folder: Path, capsys: pytest.CaptureFixture[str], version: str) -> None:
    # The same document without timeouts and dependsOn, labelled 1.0.1 and 1.1.0: no 1.1 line.
    (folder / "doc.yaml").write_text(PLAIN.replace("arazzo: 1.1.0", f"arazzo: {version}"), encoding="utf-8")
    assert main(["validate", "doc.yaml"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "doc.yaml: valid (0 warnings)"
    assert main(["list", "doc.yaml"]) == 0
    out = capsys.readouterr().out
    assert "Arazzo 1.1" not in out and "timeout" not in out and out.startswith("doc.yaml -> package doc (generated/doc)\n  twoSteps: two_steps()")
