"""The typed Arazzo model and the normalize pass (generator/model).

Small documents: paths carried, components resolved, workflow-level parameters and
actions merged as the compiler has always merged them, values classified.  Then a
check over the repository's documents that what the analysis stage merges
(analysis/requests.py ``_merged_parameters``, analysis/actions.py ``_actions``,
analysis/workflow_inputs.py ``_deref_input_schema``) is what normalize made, problem
for problem.  (Before analysis read the model, this compared the two independent
implementations: 135 documents, 590 parameter merges, 562 action lists, all equal.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from arazzo_codegen import expressions as ex
from arazzo_codegen.analysis.context import ExprContext
from arazzo_codegen.analysis.workflow import WorkflowAnalyzer
from arazzo_codegen.config import Job
from arazzo_codegen.model import document as m
from arazzo_codegen.model import references as r
from arazzo_codegen.model import values as v
from arazzo_codegen.model.normalize import merge_actions, merge_parameters, normalize
from arazzo_codegen.pipeline import validate_only

ROOT = Path(__file__).resolve().parents[2]


def _doc(**workflow: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"workflowId": "w", "steps": [{"stepId": "s", "operationId": "op"}]}
    base.update(workflow)
    return {
        "arazzo": "1.0.1",
        "info": {"title": "t", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": "api.yaml", "type": "openapi"}],
        "workflows": [base],
        "components": {
            "parameters": {
                "auth": {"name": "Authorization", "in": "header", "value": "Bearer {$inputs.token}"},
                "page": {"name": "page", "in": "query", "value": 1},
                "bare": {"name": "bare", "value": "x"},
            },
            "successActions": {"done": {"name": "done", "type": "end"}},
            "failureActions": {
                "again": {"name": "again", "type": "retry", "retryAfter": 2, "retryLimit": 3},
                "lost": {"name": "lost", "type": "goto", "stepId": "nowhere"},
            },
        },
    }


def _step(doc: dict[str, Any]) -> m.Step:
    return normalize(doc).workflows[0].steps[0]


# -- values ------------------------------------------------------------------------------


def test_values_are_classified_with_their_paths() -> None:
    at = ("x",)
    assert v.read_value(42, at) == v.LiteralValue(42, at)
    assert v.read_value(None, at) == v.LiteralValue(None, at)
    assert v.read_value("plain text", at) == v.LiteralValue("plain text", at)
    expr = v.read_value("$inputs.id", at)
    assert isinstance(expr, v.ExpressionValue) and expr.expr == ex.Input("id", None)
    template = v.read_value("id {$inputs.id}!", at)
    assert isinstance(template, v.TemplateValue) and template.template.parts == ("id ", ex.Input("id", None), "!")
    broken = v.read_value("{$inputs.id", at)
    assert isinstance(broken, v.Malformed) and "unterminated" in broken.error.message
    nested = v.read_value({"a": ["$steps.s.outputs.o", {"b": "$inputs.x"}]}, at)
    assert isinstance(nested, v.MappingValue)
    ((key, seq),) = nested.items
    assert key == "a" and isinstance(seq, v.SequenceValue) and seq.at == ("x", "a")
    assert seq.items[1].at == ("x", "a", 1)
    assert list(v.expressions_in(nested)) == [ex.StepOutput("s", "o", None), ex.Input("x", None)]
    assert v.raw_of(nested) == {"a": ["$steps.s.outputs.o", {"b": "$inputs.x"}]}


def test_selector_objects_in_v11_only() -> None:
    raw = {"context": "$response.body", "selector": "$.a", "type": "jsonpath"}
    selector = v.read_value(raw, ("o",), v11=True)
    assert isinstance(selector, v.SelectorValue) and selector.selector == "$.a"
    assert isinstance(selector.context, v.ExpressionValue) and selector.context.at == ("o", "context")
    assert list(v.expressions_in(selector)) == [ex.ResponseBody(None)] and v.raw_of(selector) == raw
    assert isinstance(v.read_value(raw, ("o",)), v.MappingValue)  # Arazzo 1.0: an ordinary object


# -- parameters ----------------------------------------------------------------------------


def test_reusable_parameter_resolved_value_override_and_paths() -> None:
    step = _step(
        _doc(
            steps=[
                {
                    "stepId": "s",
                    "operationId": "op",
                    "parameters": [
                        {"reference": "$components.parameters.page"},
                        {"reference": "$components.parameters.auth", "value": "$inputs.raw"},
                    ],
                }
            ]
        )
    )
    page, auth = step.parameters
    assert (page.name, page.location, page.component) == ("page", "query", "page")
    assert page.value == v.LiteralValue(1, ("components", "parameters", "page", "value"))
    assert page.value_at == ("components", "parameters", "page", "value")
    assert page.at == ("workflows", 0, "steps", 0, "parameters", 0)
    assert auth.value_at == ("workflows", 0, "steps", 0, "parameters", 1, "value")
    assert isinstance(auth.value, v.ExpressionValue) and auth.value.text == "$inputs.raw"


def test_unresolvable_references_are_problems_not_parameters() -> None:
    step = _step(
        _doc(
            steps=[
                {
                    "stepId": "s",
                    "operationId": "op",
                    "parameters": [
                        {"reference": "$components.parameters.pag"},
                        {"reference": "#/components/parameters/page"},
                        {"reference": "$components.parameters.bare"},
                        {"name": "q", "value": 1},
                    ],
                }
            ]
        )
    )
    assert step.parameters == ()
    at = ("workflows", 0, "steps", 0, "parameters")
    assert [(p.at, p.message) for p in step.parameter_problems] == [
        (at + (0, "reference"), "unknown reusable parameter '$components.parameters.pag'"),
        (
            at + (1, "reference"),
            "parameter reference '#/components/parameters/page' must point into components.parameters",
        ),
        (("components", "parameters", "bare"), "reusable parameter 'bare' has no 'in'"),
        (at + (3,), "parameter 'q' has no 'in'"),
    ]
    assert step.parameter_problems[0].hint == "did you mean 'page'?"


def test_workflow_level_parameters_merge_order_and_override() -> None:
    step = _step(
        _doc(
            parameters=[
                {"name": "limit", "in": "query", "value": 10},
                {"name": "X-Trace", "in": "header", "value": "w"},
                {"name": "id", "in": "path", "value": "w"},
            ],
            steps=[
                {
                    "stepId": "s",
                    "operationId": "op",
                    "parameters": [
                        {"name": "x-trace", "in": "header", "value": "s"},
                        {"name": "limit", "in": "header", "value": 5},
                        {"name": "limit", "in": "query", "value": 20},
                    ],
                }
            ],
        )
    )
    shown = [(p.name, p.location, v.raw_of(p.value) if p.value else None, p.value_at[:2]) for p in step.parameters]
    assert shown == [
        ("id", "path", "w", ("workflows", 0)),
        ("X-Trace", "header", "s", ("workflows", 0)),  # the first spelling, the step's value, moved last
        ("limit", "header", 5, ("workflows", 0)),
        ("limit", "query", 20, ("workflows", 0)),
    ]
    assert step.parameters[1].value_at == ("workflows", 0, "steps", 0, "parameters", 0, "value")
    assert [p.name for p in step.parameters[1:]] == ["X-Trace", "limit", "limit"]


def test_parameters_of_a_workflow_step_are_inputs_by_name() -> None:
    step = _step(
        _doc(
            parameters=[{"name": "a", "in": "query", "value": 1}],
            steps=[
                {
                    "stepId": "s",
                    "workflowId": "other",
                    "parameters": [{"name": "a", "value": 2}, {"name": "b", "value": 3}],
                }
            ],
        )
    )
    assert isinstance(step.target, m.WorkflowTarget) and step.target.at[-1] == "workflowId"
    assert [(p.name, v.raw_of(p.value) if p.value else None) for p in step.parameters] == [("a", 2), ("b", 3)]
    assert step.parameter_problems == ()
    merged, _ = merge_parameters(step.parameter_items, for_workflow=False)
    assert merged == ()  # as an operation step's, neither has an 'in'


def test_parameter_items_are_indexed_by_path() -> None:
    doc = _doc(
        steps=[
            {
                "stepId": "s",
                "operationId": "op",
                "parameters": [{"reference": "$components.parameters.page"}],
                "onFailure": [{"reference": "$components.failureActions.go"}],
            }
        ]
    )
    doc["components"]["failureActions"]["go"] = {
        "name": "go",
        "type": "goto",
        "workflowId": "w",
        "parameters": [{"name": "n", "value": "$inputs.n"}],
    }
    model = normalize(doc)
    item = model.parameter_item(("workflows", 0, "steps", 0, "parameters", 0))
    assert item is not None and item.parameter is not None and item.parameter.component == "page"
    action_item = model.parameter_item(("components", "failureActions", "go", "parameters", 0))
    assert action_item is not None and action_item.parameter is not None and action_item.parameter.location is None
    assert model.parameter_item(("nowhere",)) is None


# -- actions -------------------------------------------------------------------------------


def test_actions_step_level_first_reusable_resolved_workflow_level_overridden() -> None:
    step = _step(
        _doc(
            successActions=[{"name": "done", "type": "goto", "stepId": "s"}, {"name": "log", "type": "end"}],
            failureActions=[{"reference": "$components.failureActions.lost"}],
            steps=[
                {
                    "stepId": "s",
                    "operationId": "op",
                    "onSuccess": [{"reference": "$components.successActions.done"}],
                    "onFailure": [{"reference": "$components.failureActions.again"}],
                }
            ],
        )
    )
    assert [(a.name, a.type, a.at) for a in step.success_actions] == [
        ("done", "end", ("components", "successActions", "done")),
        ("log", "end", ("workflows", 0, "successActions", 1)),
    ]
    assert step.success_actions[0].reference_at == ("workflows", 0, "steps", 0, "onSuccess", 0, "reference")
    (again,) = step.failure_actions
    assert (again.retry_after, again.retry_limit, again.component) == (2.0, 3, "again")
    (problem,) = step.action_problems
    assert problem.at == ("components", "failureActions", "lost", "stepId")
    assert problem.message == "reusable action 'lost' goes to step 'nowhere', which workflow 'w' does not have"


def test_action_retry_defaults_and_criteria() -> None:
    step = _step(
        _doc(
            steps=[
                {
                    "stepId": "s",
                    "operationId": "op",
                    "onFailure": [
                        {
                            "name": "r",
                            "type": "retry",
                            "retryLimit": -1,
                            "retryAfter": True,
                            "criteria": [{"condition": "$statusCode == 503"}],
                        }
                    ],
                }
            ]
        )
    )
    (action,) = step.failure_actions
    assert (action.retry_limit, action.retry_after) == (1, None)
    (criterion,) = action.criteria
    assert criterion.at == ("workflows", 0, "steps", 0, "onFailure", 0, "criteria", 0)
    assert isinstance(criterion.tree, ex.Compare)


# -- criteria, bodies, outputs -------------------------------------------------------------


def test_criteria_parsed_once() -> None:
    step = _step(
        _doc(
            steps=[
                {
                    "stepId": "s",
                    "operationId": "op",
                    "successCriteria": [
                        {"condition": "{$statusCode == 200}"},
                        {"condition": '$response.body#/kind == "robot"'},
                        {"condition": "$statusCode ==="},
                        {"context": "$response.body", "condition": "^ok", "type": "regex"},
                        {
                            "context": "$response.body",
                            "condition": "$.a",
                            "type": {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"},
                        },
                    ],
                }
            ]
        )
    )
    braced, quoted, broken, regex, jsonpath = step.success_criteria
    assert braced.braced and isinstance(braced.tree, ex.Compare)
    assert quoted.quirks and isinstance(quoted.tree, ex.Compare)
    assert broken.tree is None and broken.error is not None
    assert (regex.kind, regex.tree, regex.context) == ("regex", None, "$response.body")
    assert (jsonpath.kind, jsonpath.version) == ("jsonpath", "draft-goessner-dispatch-jsonpath-00")


def test_request_body_outputs_and_targets() -> None:
    step = _step(
        _doc(
            outputs={"id": "$steps.s.outputs.id"},
            steps=[
                {
                    "stepId": "s",
                    "operationPath": "{$sourceDescriptions.api.url}#/paths/~1pets/post",
                    "requestBody": {
                        "contentType": "application/json",
                        "payload": {"name": "$inputs.name"},
                        "replacements": [{"target": "/tag", "value": "t-{$inputs.tag}"}],
                    },
                    "outputs": {"id": "$response.body#/id"},
                }
            ],
        )
    )
    assert isinstance(step.target, m.OperationTarget) and step.target.operation_id is None
    body = step.request_body
    assert body is not None and body.at == ("workflows", 0, "steps", 0, "requestBody")
    assert isinstance(body.payload, v.MappingValue) and body.payload.at == body.at + ("payload",)
    (replacement,) = body.replacements
    assert isinstance(replacement.value, v.TemplateValue)
    assert replacement.value.at == body.at + ("replacements", 0, "value")
    (output,) = step.outputs
    assert output.at == ("workflows", 0, "steps", 0, "outputs", "id")
    assert isinstance(output.value, v.ExpressionValue) and isinstance(output.value.expr, ex.ResponseBody)


def test_v11_channel_target_and_self() -> None:
    doc = _doc(
        steps=[
            {
                "stepId": "s",
                "channelPath": "#/channels/orders",
                "action": "receive",
                "successCriteria": [{"condition": "$self == 'x'"}],
            }
        ]
    )
    doc["arazzo"] = "1.1.0"
    doc["$self"] = "https://example.com/a.arazzo.yaml"
    model = normalize(doc)
    assert model.v11 and model.self_uri == "https://example.com/a.arazzo.yaml"
    step = model.workflows[0].steps[0]
    assert step.target == m.ChannelTarget("#/channels/orders", ("workflows", 0, "steps", 0, "channelPath"))
    assert step.success_criteria[0].reads_self


def test_inputs_schema_ref_followed_once() -> None:
    doc = _doc(inputs={"$ref": "#/components/inputs/creds"})
    doc["components"]["inputs"] = {
        "creds": {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"$ref": "#/components/inputs/tok"}},
        },
        "tok": {"type": "string"},
    }
    inputs = normalize(doc).workflows[0].input_schema
    assert inputs is not None and inputs.at == ("components", "inputs", "creds") and inputs.problem is None
    (token,) = inputs.inputs
    assert (token.name, token.schema, token.at, token.required) == (
        "token",
        {"type": "string"},
        ("components", "inputs", "tok"),
        True,
    )
    broken = normalize(_doc(inputs={"$ref": "#/components/inputs/nope"})).workflows[0].input_schema
    assert broken is not None and broken.schema == {} and broken.problem is not None
    assert broken.problem.message == "inputs $ref '#/components/inputs/nope' points at nothing"
    assert normalize(_doc()).workflows[0].input_schema is None


# -- reference searches walk the parsed values ----------------------------------------------


def test_references_walk_the_asts() -> None:
    doc = _doc(
        outputs={"all": "$steps.b.outputs.list"},
        steps=[
            {"stepId": "a", "operationId": "op", "outputs": {"id": "$response.body#/id"}},
            {
                "stepId": "b",
                "operationId": "op",
                "parameters": [{"name": "id", "in": "path", "value": "$steps.a.outputs.id"}],
                "requestBody": {"payload": {"note": "see {$steps.a.outputs.note}", "w": "$workflows.other.outputs.x"}},
                "successCriteria": [{"context": "$steps.a.outputs.raw", "condition": "^x", "type": "regex"}],
                "onSuccess": [
                    {
                        "name": "more",
                        "type": "goto",
                        "workflowId": "next",
                        "criteria": [{"condition": "$steps.c.outputs.n > 1"}],
                    }
                ],
                "outputs": {"list": "$response.body"},
            },
            {"stepId": "c", "workflowId": "callee", "outputs": {"n": "$outputs.n"}},
        ],
    )
    workflow = normalize(doc).workflows[0]
    a, b, c = workflow.steps
    assert r.steps_referenced(b) == {"a", "c"}
    assert r.steps_referenced(a) == set()
    assert r.step_outputs_read(r.step_expressions(b)) == {("a", "id"), ("a", "note"), ("a", "raw"), ("c", "n")}
    assert r.workflows_referenced(b) == {"other", "next"}
    assert r.workflows_referenced(c) == {"callee"}
    assert ("b", "list") in r.step_outputs_read(r.workflow_expressions(workflow))


def test_the_written_search_reads_what_the_raw_text_search_missed() -> None:
    """An output named ``summary`` is a value, not prose; a dot-path value and context read
    what they mean; a workflow-level parameter every step overrides is still written."""
    doc = _doc(
        parameters=[{"name": "id", "in": "query", "value": "$steps.a.outputs.early"}],
        outputs={"summary": "$steps.a.outputs.summary"},
        steps=[
            {
                "stepId": "a",
                "operationId": "op",
                "parameters": [{"name": "id", "in": "query", "value": "$inputs.id"}],
                "successCriteria": [
                    {"condition": "$statusCode == 201 || !($statusCode == 202) && $statusCode != 203"},
                    {"context": "$request.body.name", "condition": "^x", "type": "regex"},
                    {"context": "$statusCode", "condition": "$statusCode == 204", "type": "regex"},
                ],
                "outputs": {"summary": "$response.body.text"},
            }
        ],
    )
    workflow = normalize(doc).workflows[0]
    (step,) = workflow.steps
    assert r.step_outputs_read(r.workflow_expressions(workflow)) == {("a", "early"), ("a", "summary")}
    assert r.step_outputs_read(r.step_expressions(step)) == set()  # the step's own parameter wins
    (output,) = step.outputs
    assert isinstance(output.value, v.Malformed) and output.value.dotted == ex.ResponseBody(("text",))
    assert list(r.output_expressions(step.outputs)) == [ex.ResponseBody(("text",))]
    assert [type(e) for e in r.criteria_expressions(step.success_criteria[1:2])] == [ex.RequestBody]
    assert [r.status_equalities(c) for c in step.success_criteria] == [{"201", "202"}, set(), set()]


def test_a_receive_steps_correlation_id_is_a_value() -> None:
    doc = _doc(steps=[{"stepId": "r", "channelPath": "/x", "action": "receive", "correlationId": "$steps.s.outputs.id"}])
    doc["arazzo"] = "1.1.0"
    (step,) = normalize(doc).workflows[0].steps
    assert step.correlation_id is not None
    assert r.step_outputs_read(r.written_step_expressions(step)) == {("s", "id")}


# -- agreement with the analysis stage ---------------------------------------------------


def _documents() -> list[Path]:
    found = sorted(ROOT.glob("specs/*/arazzo/*.y*ml"))
    for folder in ("tests/conformance", "tests/bad", "tests/arazzo11/schema/pass"):
        found += sorted(p for p in (ROOT / folder).rglob("*.y*ml") if "arazzo" in p.name)
    return [p for p in found if p.is_file() and b"workflows" in p.read_bytes()]


@pytest.mark.parametrize("spec", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_normalize_agrees_with_analysis(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every merge the analysis does, the model has done the same way (names, values,
    paths, order, and the problems it reports)."""
    errors: list[tuple[Any, ...]] = []
    seen = {"parameters": 0, "actions": 0, "inputs": 0}
    original_merge = ExprContext._merged_parameters
    original_actions = WorkflowAnalyzer._actions
    original_error = ExprContext.error
    original_wf_error = WorkflowAnalyzer.error

    def record(self: Any, at: Any, message: str, hint: str | None = None) -> None:
        errors.append((at, message, hint))

    def merged(self: ExprContext, step: dict[str, Any], at: Any, *, for_workflow: bool) -> Any:
        errors.clear()
        monkeypatch.setattr(ExprContext, "error", record)
        try:
            result = original_merge(self, step, at, for_workflow=for_workflow)
        finally:
            monkeypatch.setattr(ExprContext, "error", original_error)
        reported = list(errors)
        model = self.doc.model
        assert model is not None
        workflow = model.workflow_at(at[1])
        assert workflow is not None
        mine = workflow.steps[[s.index for s in workflow.steps].index(at[3])]
        params, problems = merge_parameters(workflow.parameter_items + mine.parameter_items, for_workflow=for_workflow)
        if for_workflow == isinstance(mine.target, m.WorkflowTarget):
            assert params == mine.parameters
        assert [
            ((p.name, "input" if for_workflow else p.location), (v.raw_of(p.value) if p.value else None, p.value_at))
            for p in params
        ] == [(key, value) for key, value in result.items()]
        assert [(p.at, p.message, p.hint) for p in problems] == reported
        seen["parameters"] += 1
        for original in reported:
            original_error(self, *original)
        return result

    def actions(self: WorkflowAnalyzer, raw: Any, at: Any, kind: str, workflow_level: Any) -> Any:
        errors.clear()
        monkeypatch.setattr(WorkflowAnalyzer, "error", record)
        try:
            result = original_actions(self, raw, at, kind, workflow_level)
        finally:
            monkeypatch.setattr(WorkflowAnalyzer, "error", original_wf_error)
        reported = list(errors)
        model = self.doc.model
        assert model is not None
        workflow = model.workflow_at(at[1])
        assert workflow is not None
        mine = workflow.steps[[s.index for s in workflow.steps].index(at[3])]
        ours = mine.success_actions if kind == "successActions" else mine.failure_actions
        assert [
            (
                a.name,
                a.type,
                a.at,
                a.step_id,
                a.retry_after,
                a.retry_limit,
                [c.at for c in a.criteria],
                a.raw.get("parameters") if isinstance(a.raw.get("parameters"), list) else None,
            )
            for a in ours
        ] == [
            (
                a.name,
                a.kind,
                a.json_path,
                a.target_step,
                a.retry_after,
                a.retry_limit,
                [c_at for _, c_at in a.criteria],
                a.parameters,
            )
            for a in result
        ]
        own, shared = (
            (mine.success_items, workflow.success_items)
            if kind == "successActions"
            else (mine.failure_items, workflow.failure_items)
        )
        problems = merge_actions(own + shared)[1]
        resolution = [
            e for e in reported if e[1].startswith(("reference ", "unknown reusable action", "reusable action"))
        ]
        assert sorted((p.at, p.message, p.hint) for p in problems) == sorted(resolution)
        seen["actions"] += 1
        for original in reported:
            original_wf_error(self, *original)
        return result

    original_deref = WorkflowAnalyzer._deref_input_schema

    def deref(self: WorkflowAnalyzer, schema: Any, at: Any) -> Any:
        errors.clear()
        monkeypatch.setattr(WorkflowAnalyzer, "error", record)
        try:
            result = original_deref(self, schema, at)
        finally:
            monkeypatch.setattr(WorkflowAnalyzer, "error", original_wf_error)
        reported = list(errors)
        model = self.doc.model
        assert model is not None
        workflow = model.workflow_at(self.index)
        assert workflow is not None and workflow.input_schema is not None
        inputs = workflow.input_schema
        if at == workflow.at + ("inputs",):
            found: Any = (inputs.schema, inputs.at, inputs.problem)
        else:
            found = next((i.schema, i.at, i.problem) for i in inputs.inputs if inputs.at + ("properties", i.name) == at)
        assert (found[0], found[1]) == result
        assert [(p.at, p.message, p.hint) for p in [found[2]] if p is not None] == reported
        seen["inputs"] += 1
        for original in reported:
            original_wf_error(self, *original)
        return result

    monkeypatch.setattr(WorkflowAnalyzer, "_deref_input_schema", deref)
    monkeypatch.setattr(ExprContext, "_merged_parameters", merged)
    monkeypatch.setattr(WorkflowAnalyzer, "_actions", actions)
    validate_only(Job(spec=spec, package="pkg", out=tmp_path / "out"))
    COUNTS[str(spec.relative_to(ROOT))] = (seen["parameters"], seen["actions"], seen["inputs"])


COUNTS: dict[str, tuple[int, int, int]] = {}


def test_agreement_was_checked() -> None:
    """The differential test above compared real merges (when it ran in this session)."""
    if len(COUNTS) < 20:
        pytest.skip("runs after test_normalize_agrees_with_analysis")
    for kind in range(3):
        assert sum(counts[kind] for counts in COUNTS.values()) > 100


def test_located_references_sort_into_document_order() -> None:
    """The model lists a step's values by kind; document_order puts them back in the order
    they are written (outputs written before parameters come first)."""
    from arazzo_codegen.load import document_order

    doc = _doc(
        steps=[
            {
                "stepId": "s",
                "operationId": "op",
                "outputs": {"b": "$inputs.b"},
                "parameters": [{"name": "a", "in": "query", "value": "$inputs.a"}],
            }
        ]
    )
    located = list(r.workflow_references(normalize(doc).workflows[0]))
    assert [e.name for _, e in located] == ["a", "b"]
    ordered = sorted(located, key=lambda found: document_order(doc, found[0]))
    assert [(at, e.name) for at, e in ordered] == [
        (("workflows", 0, "steps", 0, "outputs", "b"), "b"),
        (("workflows", 0, "steps", 0, "parameters", 0, "value"), "a"),
    ]
    assert document_order(doc, ("workflows", 0, "nothing")) == (list(doc).index("workflows"), 0, len(doc["workflows"][0]))
