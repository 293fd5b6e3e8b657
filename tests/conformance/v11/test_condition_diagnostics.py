"""Compile-time diagnostics of Arazzo 1.1 criteria: the 1.0 root-filter habit (a
warning with the 1.1 spelling), a jsonpointer criterion type (the schema admits it,
the prose does not: an override), version names per Arazzo version, successCriteria
that is empty, a malformed static part of a condition that embeds expressions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from arazzo_codegen.diagnostics import Severity
from arazzo_codegen.pipeline import Job, validate_only

OPENAPI = Path(__file__).resolve().parent / "conditions" / "openapi.yaml"

HEAD = """arazzo: {version}
info: {{title: T, version: 1.0.0}}
sourceDescriptions:
  - {{name: api, url: ./openapi.yaml, type: openapi}}
workflows:
  - workflowId: w
    inputs: {{type: object, properties: {{n: {{type: string}}}}}}
    steps:
      - stepId: check
        operationId: getStatus
        successCriteria:
"""


def diagnostics(tmp_path: Path, criterion: str, version: str = "1.1.0") -> list[tuple[str, str, str]]:
    shutil.copy(OPENAPI, tmp_path / "openapi.yaml")
    spec = tmp_path / "doc.arazzo.yaml"
    spec.write_text(HEAD.format(version=version) + "          - " + criterion + "\n", encoding="utf-8")
    result = validate_only(Job(spec=spec, package="doc", out=tmp_path / "out"))
    return [(d.severity.value, d.message, d.hint or "") for d in result.report.items if d.severity in (Severity.ERROR, Severity.WARNING)]


def test_root_filter_on_an_object_context_warns_with_the_1_1_spelling(tmp_path: Path) -> None:
    found = diagnostics(tmp_path, "{context: $response.body, condition: \"$[?@.status == 'ended']\", type: jsonpath}")
    assert len(found) == 1, found
    severity, message, hint = found[0]
    assert severity == "warning" and "applied at the root of an object" in message
    assert "\"$[?$.status == 'ended']\"" in hint and "arazzo: 1.0.1" in hint
    # 1.0 wraps the context: the same filter tests the body itself, no warning.
    assert diagnostics(tmp_path, "{context: $response.body, condition: \"$[?@.status == 'ended']\", type: jsonpath}", "1.0.1") == []
    # A root filter over an array context is what 1.1 means: no warning.
    assert diagnostics(tmp_path, "{context: $response.body#/items, condition: \"$[?@.price > 1]\", type: jsonpath}") == []


def test_jsonpointer_is_not_a_criterion_type(tmp_path: Path) -> None:
    found = diagnostics(tmp_path, "{context: $response.body, condition: /status, type: {type: jsonpointer, version: rfc6901}}")
    assert [m for s, m, _ in found if s == "error"] == ["unknown criterion expression type 'jsonpointer'"], found
    assert "Selector Object" in found[0][2]


@pytest.mark.parametrize(
    ("criterion", "v11_ok", "v10_ok"),
    [
        ("{context: $response.body, condition: '$.items[*]', type: {type: jsonpath, version: rfc9535}}", True, False),
        ("{context: $response.body, condition: '$..items[?(@.price > 1)]', type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}}", True, True),
        ("{context: $response.body, condition: '/a', type: {type: xpath, version: xpath-31}}", True, False),
        ("{context: $response.body, condition: '/a', type: {type: xpath, version: xpath-10}}", True, True),
        ("{context: $response.body, condition: '/a', type: {type: xpath, version: rfc9535}}", False, False),
    ],
)
def test_expression_type_versions_per_arazzo_version(tmp_path: Path, criterion: str, v11_ok: bool, v10_ok: bool) -> None:
    for version, ok in (("1.1.0", v11_ok), ("1.0.1", v10_ok)):
        errors = [m for s, m, _ in diagnostics(tmp_path, criterion, version) if s == "error"]
        assert (not errors) is ok, (version, errors)
        if not ok:
            assert any("version" in e for e in errors), errors


def test_static_part_of_an_embedded_condition_is_checked(tmp_path: Path) -> None:
    found = diagnostics(tmp_path, "{context: $response.body, condition: \"$.items[?@.name == '{$inputs.n}'\", type: jsonpath}")
    assert [s for s, _, _ in found] == ["error"] and "malformed JSONPath query" in found[0][1], found


def test_empty_success_criteria_is_refused(tmp_path: Path) -> None:
    shutil.copy(OPENAPI, tmp_path / "openapi.yaml")
    spec = tmp_path / "doc.arazzo.yaml"
    spec.write_text(HEAD.format(version="1.1.0").replace("        successCriteria:\n", "        successCriteria: []\n"), encoding="utf-8")
    result = validate_only(Job(spec=spec, package="doc", out=tmp_path / "out"))
    assert [d.message for d in result.report.items if d.severity is Severity.ERROR] == ["must not be empty"]
