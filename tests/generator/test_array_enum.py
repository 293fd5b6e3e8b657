"""A schema of ``type: array`` whose enum lists non-array values (a vendor slip seen
in Vapi's OpenAPI) cannot validate anything: the enum moves to the items, or is left
out when the items have their own, with a warning either way."""

from __future__ import annotations

from pathlib import Path

from arazzo_codegen.diagnostics import Severity
from arazzo_codegen.pipeline import Job, build

ARAZZO = """\
arazzo: 1.0.1
info: {title: t, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: read
    steps:
      - stepId: get
        operationId: getThing
"""

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: 1.0.0}
paths:
  /thing:
    get:
      operationId: getThing
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      properties:
        languages:
          type: array
          enum: [en, fr]
          items: {type: string}
        redaction:
          type: array
          enum: [pci]
          items: {type: string, enum: [pci, pii]}
        matrix:
          type: array
          enum: [[1, 2]]
          items: {type: integer}
"""


def test_array_enum_of_non_arrays_moves_to_items_or_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "arazzo.yaml").write_text(ARAZZO)
    (tmp_path / "openapi.yaml").write_text(OPENAPI)
    result = build(Job(spec=tmp_path / "arazzo.yaml", package="pkg", out=tmp_path / "out"))
    warnings = [d for d in result.report.items if d.severity is Severity.WARNING and "enum of a schema of type 'array'" in d.message]
    assert [(d.json_path, d.message.rsplit("; ", 1)[1]) for d in warnings] == [
        (("components", "schemas", "Thing", "properties", "languages", "enum"), "it is applied to the items instead"),
        (("components", "schemas", "Thing", "properties", "redaction", "enum"), "it is left out of the model (the items have their own)"),
    ]
    assert (warnings[0].line, warnings[0].column) == (20, 11)
    models = result.files["models.py"]
    # languages: the enum now constrains the items; redaction keeps the items' own (wider) enum
    assert "'en'" in models.replace('"', "'") and "'fr'" in models.replace('"', "'")
    assert "'pii'" in models.replace('"', "'")
    # an enum of arrays fits type: array and is kept as written (no warning for 'matrix')
    assert not any("matrix" in d.json_path for d in warnings)
