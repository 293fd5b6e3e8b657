"""A Literal of more than ALIAS_THRESHOLD members is named once per module
(model_set.name_large_enums, emit_models, analysis.module): models.py's classes and
workflows.py's Outputs refer to it by name, and importing the workflows does not
import models.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from arazzo_codegen.config import Job
from arazzo_codegen.ir.types import ALIAS_THRESHOLD
from arazzo_codegen.pipeline import build
from arazzo_codegen.write import write_package

REASONS = [f"reason-{i}" for i in range(ALIAS_THRESHOLD + 5)]

OPENAPI = """openapi: 3.1.0
info: {title: Calls, version: "1"}
servers: [{url: "https://calls.example"}]
paths:
  /calls/{id}:
    get:
      operationId: getCall
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: the call
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Call"}
components:
  schemas:
    Call:
      type: object
      required: [id]
      properties:
        id: {type: string}
        endedReason: {type: string, enum: [REASONS]}
        previousReason: {type: string, enum: [REVERSED]}
        status: {type: string, enum: [queued, ended]}
""".replace("REVERSED", ", ".join(reversed(REASONS))).replace("REASONS", ", ".join(REASONS))

ARAZZO = """arazzo: 1.0.1
info: {title: Calls, version: 1.0.0}
sourceDescriptions: [{name: callsApi, url: ./openapi.yaml, type: openapi}]
workflows:
  - workflowId: watch-call
    inputs: {type: object, required: [callId], properties: {callId: {type: string}}}
    steps:
      - stepId: get
        operationId: getCall
        parameters: [{name: id, in: path, value: $inputs.callId}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          reason: $response.body#/endedReason
          status: $response.body#/status
    outputs:
      reason: $steps.get.outputs.reason
      status: $steps.get.outputs.status
"""


def test_a_large_enum_is_named_once_per_module(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "calls.arazzo.yaml"
    spec.write_text(ARAZZO, encoding="utf-8")
    job = Job(spec=spec, package="calls", out=tmp_path / "out")
    result = build(job)
    assert result.files, [d.render() for d in result.report.items]
    models, workflows = result.files["models.py"], result.files["workflows.py"]
    # models.py: one alias for both properties (the same members, in another order), used by the class
    assert models.count("CallEndedReason: TypeAlias = Literal[") == 1
    assert models.count('"reason-0"') == 1
    assert "endedReason: CallEndedReason | None = None" in models
    assert "previousReason: CallEndedReason | None = None" in models
    assert 'Literal["queued", "ended"]' in models  # a small enum stays inline
    # workflows.py: its own definition, so that importing it leaves models.py alone
    assert workflows.count("CallEndedReason: TypeAlias = Literal[") == 1
    assert 'reason: CallEndedReason | None = Field(alias="reason")' in workflows
    assert "from . import _runtime, models" not in workflows
    write_package(job.package_dir, result.files)
    for command in (
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "calls"],
        [
            sys.executable,
            "-c",
            (
                "import sys, calls; print(calls.WatchCallOutputs.model_validate({'reason': 'reason-3', 'status': 'ended'}).reason,"
                " 'calls.models' in sys.modules)"
            ),
        ],
    ):
        completed = subprocess.run(
            command, check=False, cwd=tmp_path / "out", capture_output=True, text=True, timeout=600
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.split() == ["reason-3", "False"]
