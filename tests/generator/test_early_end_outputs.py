"""An early end returns the workflow's outputs with None for the steps that did not run.
Each output is compiled once (with the rest of the workflow); an early end reuses that,
and builds again only an output that reads a step that did not run, once for every end
that shares which steps those are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arazzo_codegen.analysis.context import ExprContext
from arazzo_codegen.pipeline import Job, build

ROOT = Path(__file__).resolve().parents[2]

DOCUMENT = """\
arazzo: 1.0.1
info: {title: early ends, version: 1.0.0}
sourceDescriptions:
  - {name: museum-api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: fetchTwice
    steps:
      - stepId: first
        operationId: getThing
        parameters: [{name: id, in: path, value: "1"}]
        outputs: {name: $response.body#/name}
        onSuccess:
          - {name: seven, type: end, criteria: [{condition: $response.body#/name == 'Seven'}]}
          - {name: eight, type: end, criteria: [{condition: $response.body#/name == 'Eight'}]}
      - stepId: second
        operationId: getThing
        parameters: [{name: id, in: path, value: "2"}]
        outputs: {name: $response.body#/name}
    outputs:
      early: $steps.first.outputs.name
      late: $steps.second.outputs.name
      both: "{$steps.first.outputs.name} and {$steps.second.outputs.name}"
      fixed: constant
"""


def test_an_early_end_builds_only_the_outputs_that_read_later_steps_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "api.yaml").write_text((ROOT / "tests" / "conformance" / "documents" / "api.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "arazzo.yaml").write_text(DOCUMENT, encoding="utf-8")
    built: list[tuple[str, frozenset[str]]] = []
    original = ExprContext.value_node

    def value_node(self: ExprContext, raw: Any, at: Any) -> Any:
        if self.phase == "outputs" and self.info is None and at[-2:-1] == ("outputs",):
            built.append((str(at[-1]), frozenset(self.unset)))
        return original(self, raw, at)

    monkeypatch.setattr(ExprContext, "value_node", value_node)
    result = build(Job(spec=tmp_path / "arazzo.yaml", package="early", out=tmp_path / "out"))
    assert not [d.render() for d in result.report.items if d.severity.name == "ERROR"]
    # each output once for the end of the run; the two early ends share one build of the
    # outputs that read step 'second' (its variable None), and reuse the others
    assert sorted(built) == sorted(
        [(name, frozenset()) for name in ("early", "late", "both", "fixed")]
        + [("late", frozenset({"second_name"})), ("both", frozenset({"second_name"}))]
    )
    source = result.files["workflows.py"]
    early = '"early": first_name,\n                    "late": None,\n                    "both": _runtime.text(first_name) + " and " + _runtime.text(None),'
    assert source.count(early) == 4  # the two ends, in the function and its async twin
    assert '"late": second_name,' in source
