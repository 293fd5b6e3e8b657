"""Warnings that the bad-input catalogue cannot hold (a warning alone lets generation
succeed): JSONPath member names checked against the response schema, ``required``
naming no property, retry fields on an action that does not retry.

Each spec is validated by the real command line in-process (``cli.main``), next to
a copy of the catalogue's petstore; the test compares every diagnostic line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_codegen.expressions import ExpressionError, check_jsonpath
from tests.bad.test_bad_inputs import CATALOGUE, run_cli, split_report

HEAD = """arazzo: 1.0.1
info:
  title: Warnings
  version: 1.0.0
sourceDescriptions:
  - name: petstore
    url: petstore.yaml
    type: openapi
workflows:
"""


def _validate(tmp_path: Path, workflows: str, extra: str = "") -> tuple[int, list[str]]:
    (tmp_path / "petstore.yaml").write_bytes((CATALOGUE / "_shared" / "petstore.yaml").read_bytes())
    (tmp_path / "arazzo.yaml").write_text(HEAD + workflows + extra, encoding="utf-8")
    code, _, stderr = run_cli(["validate", "arazzo.yaml", "--package", "warned"], tmp_path)
    assert "Traceback" not in stderr, stderr
    diagnostics, _ = split_report(stderr)
    return code, diagnostics


GET_PET = """  - workflowId: w
    steps:
      - stepId: a
        operationId: getPet
        parameters:
          - {name: petId, in: path, value: p1}
"""


def test_jsonpath_filter_members_are_checked_against_the_response_schema(tmp_path: Path) -> None:
    """A typo'd member in a filter warns with a did-you-mean, like a typo'd JSON pointer;
    members that exist (here, through an array's items), a failure action's criteria
    (an error body) and a goessner ``.length`` do not."""
    code, diagnostics = _validate(
        tmp_path,
        GET_PET
        + """        successCriteria:
          - context: $response.body
            condition: $[?@.stauts == 'available' && @.name]
            type: jsonpath
        outputs:
          s: $response.body#/stauts
      - stepId: b
        operationId: listPets
        successCriteria:
          - context: $response.body
            condition: $[0][?@.nmae == 'x' || @.id]
            type: jsonpath
          - context: $response.body#/0
            condition: $[?@.colour]
            type: jsonpath
          - context: $response.body
            condition: $[?@[?@.status == 'sold']]
            type: jsonpath
          - context: $response.body
            condition: $[?@.length > 0]
            type:
              type: jsonpath
              version: draft-goessner-dispatch-jsonpath-00
        onFailure:
          - name: f
            type: end
            criteria:
              - context: $response.body
                condition: $[?@.message]
                type: jsonpath
""",
    )
    assert code == 0
    assert diagnostics == [
        "arazzo.yaml:18:24: warning: $.workflows[0].steps[0].successCriteria[0].condition: "
        "JSONPath query \"$[?@.stauts == 'available' && @.name]\" reads 'stauts': the response schema has no member at '/stauts'"
        "\n    hint: did you mean 'status'?",
        "arazzo.yaml:21:14: warning: $.workflows[0].steps[0].outputs.s: the response schema has no member at '/stauts'"
        "\n    hint: did you mean 'status'?",
        "arazzo.yaml:26:24: warning: $.workflows[0].steps[1].successCriteria[0].condition: "
        "JSONPath query \"$[0][?@.nmae == 'x' || @.id]\" reads 'nmae': the response schema has no member at '/0/nmae'"
        "\n    hint: did you mean 'name'?",
        "arazzo.yaml:29:24: warning: $.workflows[0].steps[1].successCriteria[1].condition: "
        "JSONPath query '$[?@.colour]' reads 'colour': the response schema has no member at '/0/colour'"
        "\n    hint: known: id, name, status",
    ]


def test_required_naming_no_property_warns(tmp_path: Path) -> None:
    """In a workflow's inputs, a nested object of them, and components.inputs; not where
    the members may come from elsewhere (allOf) or are all there."""
    code, diagnostics = _validate(
        tmp_path,
        """  - workflowId: w
    inputs:
      type: object
      required: [petId, limt]
      properties:
        petId: {type: string}
        limit: {type: integer}
        filter:
          type: object
          required: [nmae]
          properties:
            name: {type: string}
    steps:
      - stepId: a
        operationId: listPets
  - workflowId: v
    inputs:
      $ref: '#/components/inputs/shared'
    steps:
      - stepId: a
        operationId: listPets
  - workflowId: u
    inputs:
      type: object
      required: [extra]
      allOf:
        - {properties: {extra: {type: string}}}
    steps:
      - stepId: a
        operationId: listPets
""",
        """components:
  inputs:
    shared:
      type: object
      required: [token]
      properties:
        name: {type: string}
""",
    )
    assert code == 0
    assert diagnostics == [
        "arazzo.yaml:13:25: warning: $.workflows[0].inputs.required[1]: required names 'limt', which is not one of the schema's properties"
        "\n    hint: did you mean 'limit'?",
        "arazzo.yaml:19:22: warning: $.workflows[0].inputs.properties.filter.required[0]: required names 'nmae', which is not one of the schema's properties"
        "\n    hint: did you mean 'name'?",
        "arazzo.yaml:44:18: warning: $.components.inputs.shared.required[0]: required names 'token', which is not one of the schema's properties"
        "\n    hint: known: name",
    ]


RETRY_HINT = "belongs on retry actions (type: retry, in onFailure or failureActions): change the type, or remove it"


def test_retry_fields_on_goto_or_end_say_they_belong_on_retry_actions(tmp_path: Path) -> None:
    """A warning on failure actions (the schema allows the fields there), the same hint
    on the schema's error for a success action; a retry action is left alone."""
    workflows = (
        GET_PET
        + """        onFailure:
          - {name: stop, type: end, retryAfter: 1, retryLimit: 3}
          - {name: again, type: retry, retryAfter: 1, retryLimit: 3}
    failureActions:
      - {name: back, type: goto, stepId: a, retryAfter: 2}
"""
    )
    components = "components:\n  failureActions:\n    later: {name: later, type: goto, stepId: a, retryAfter: 3}\n"
    code, diagnostics = _validate(tmp_path, workflows, components)
    assert code == 0
    assert diagnostics == [
        f"arazzo.yaml:17:49: warning: $.workflows[0].steps[0].onFailure[0].retryAfter: retryAfter on end action 'stop' has no effect\n    hint: retryAfter {RETRY_HINT}",
        f"arazzo.yaml:17:64: warning: $.workflows[0].steps[0].onFailure[0].retryLimit: retryLimit on end action 'stop' has no effect\n    hint: retryLimit {RETRY_HINT}",
        f"arazzo.yaml:20:57: warning: $.workflows[0].failureActions[0].retryAfter: retryAfter on goto action 'back' has no effect\n    hint: retryAfter {RETRY_HINT}",
        f"arazzo.yaml:23:61: warning: $.components.failureActions.later.retryAfter: retryAfter on goto action 'later' has no effect\n    hint: retryAfter {RETRY_HINT}",
    ]
    success = GET_PET + "        onSuccess:\n          - {name: again, type: goto, stepId: a, retryAfter: 5}\n"
    code, diagnostics = _validate(tmp_path, success)
    assert code == 1
    assert diagnostics == [
        f"arazzo.yaml:17:62: error: $.workflows[0].steps[0].onSuccess[0].retryAfter: unknown field 'retryAfter'\n    hint: retryAfter {RETRY_HINT}",
    ]


def test_jsonpath_filter_words_get_the_operators_as_hint() -> None:
    """``and``/``or``/``not`` in a filter (not inside a string literal, not as a member
    name) are refused with the query rewritten in ``&&``/``||``/``!``."""
    cases = {
        "$[?@.a == 1 and @.b == 2]": "JSONPath writes 'and' as '&&': '$[?@.a == 1 && @.b == 2]'",
        "$[?@.or == 'x or y' or @.b]": "JSONPath writes 'or' as '||': \"$[?@.or == 'x or y' || @.b]\"",
        "$[?not @.a]": "JSONPath writes 'not' as '!': '$[?!@.a]'",
        "$[?@.a == 1 and @.b or @.c]": "JSONPath writes 'or' as '||' and 'and' as '&&': '$[?@.a == 1 && @.b || @.c]'",
    }
    for query, hint in cases.items():
        with pytest.raises(ExpressionError) as caught:
            check_jsonpath(query)
        assert caught.value.hint == hint, query
    with pytest.raises(ExpressionError) as caught:
        check_jsonpath("$[?@.a == 1 @.b]")
    assert caught.value.hint is None
