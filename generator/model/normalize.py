"""normalize: the validated Arazzo document -> the typed model (generator.model.document).

Runs after validate (which has already resolved JSON ``$ref`` parameters, actions and
request bodies in place).  It reports nothing: what cannot be resolved becomes a
:class:`Problem` carrying the message the compiling stage reports.

The rules, as the compiler has always applied them:

* **parameters** of a step that calls an operation (or a channel): the workflow's
  ``parameters`` first, then the step's; a parameter is known by ``(name, in)``, a
  header's name without regard to case (the first spelling is kept); a later one
  replaces an earlier one and takes its place at the end.  An item without ``in`` is
  left out (a Problem).  For a step that calls a workflow the key is the name alone
  (the parameters are the callee's inputs) and ``in`` is not needed.
* ``reference: $components.parameters.<name>`` is the reusable parameter; a ``value``
  beside the reference overrides its value.
* **actions**: the step's ``onSuccess``/``onFailure`` first, then the workflow's
  ``successActions``/``failureActions``; an action is known by its name, the first one
  wins (a step-level action overrides a workflow-level one).  A reusable action
  (``$components.successActions.<name>``) that goes to a step the workflow does not
  have, or to a workflow the document does not have, is left out (a Problem).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..condition_parse import parse_condition
from ..diagnostics import JsonPath, did_you_mean
from ..expr_ast import ExpressionError, Quirk, RuntimeExpr, SelfRoot
from ..expr_parse import parse_expression
from ..v11_identity import self_uri
from ..validate import is_arazzo_1_1
from .document import (
    Action,
    ActionItem,
    ActionKind,
    ChannelTarget,
    Components,
    Criterion,
    Document,
    OperationTarget,
    Output,
    Parameter,
    ParameterItem,
    Problem,
    Replacement,
    RequestBody,
    SourceDescription,
    Step,
    StepTarget,
    Workflow,
    WorkflowTarget,
)
from .inputs import read_inputs
from .values import dot_path, read_value

if TYPE_CHECKING:
    from ..resolve_model import Resolved

_PARAMETER_PREFIX = "$components.parameters."
_NO_IN_HINT = "operation parameters need in: path, query, header or cookie"


def normalize(data: Any) -> Document:
    """The typed model of a document that validate accepted."""
    data = data if isinstance(data, dict) else {}
    return _Normalizer(data).document()


def document_model(doc: Resolved) -> Document:
    """The model of a resolved document: the one the pipeline made after validate (made
    now, once, for a document that was resolved without it)."""
    if doc.model is None:
        doc.model = normalize(doc.arazzo.data)
    return doc.model


def _mapping(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _list(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else []


def _text(raw: Any) -> str | None:
    return raw if isinstance(raw, str) else None


class _Normalizer:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.v11 = is_arazzo_1_1(data)
        self.self_uri = self_uri(data) if self.v11 else None
        components = _mapping(data.get("components"))
        self.components = Components(
            _mapping(components.get("parameters")),
            _mapping(components.get("successActions")),
            _mapping(components.get("failureActions")),
            _mapping(components.get("inputs")),
        )
        workflows = data.get("workflows")
        self.workflow_id = ""
        self.parameter_index: dict[JsonPath, ParameterItem] = {}
        self.workflow_ids = [str(w.get("workflowId")) for w in _list(workflows) if isinstance(w, dict)]

    def document(self) -> Document:
        sources = tuple(
            SourceDescription(str(s.get("name")), _text(s.get("url")), _text(s.get("type")), ("sourceDescriptions", i))
            for i, s in enumerate(_list(self.data.get("sourceDescriptions")))
            if isinstance(s, dict)
        )
        workflows = tuple(
            self.workflow(w, ("workflows", i), i)
            for i, w in enumerate(_list(self.data.get("workflows")))
            if isinstance(w, dict)
        )
        return Document(
            str(self.data.get("arazzo", "")),
            self.v11,
            self.self_uri,
            sources,
            workflows,
            self.components,
            self.parameter_index,
            self.data,
        )

    # -- workflows and steps -----------------------------------------------------------

    def workflow(self, raw: dict[str, Any], at: JsonPath, index: int) -> Workflow:
        self.workflow_id = str(raw.get("workflowId"))
        raw_steps = [(i, s) for i, s in enumerate(_list(raw.get("steps"))) if isinstance(s, dict)]
        step_ids = {str(s.get("stepId")) for _, s in raw_steps}
        parameter_items = self.parameter_items(raw.get("parameters"), at + ("parameters",))
        success = self.action_items(raw.get("successActions"), at + ("successActions",), "successActions", step_ids)
        failure = self.action_items(raw.get("failureActions"), at + ("failureActions",), "failureActions", step_ids)
        steps = tuple(
            self.step(s, at + ("steps", i), i, step_ids, parameter_items, success, failure) for i, s in raw_steps
        )
        return Workflow(
            str(raw.get("workflowId")),
            index,
            at,
            raw.get("inputs"),
            read_inputs(self.data, raw.get("inputs"), at + ("inputs",)),
            tuple(str(d) for d in _list(raw.get("dependsOn"))),
            parameter_items,
            success,
            failure,
            steps,
            self.outputs(raw.get("outputs"), at + ("outputs",)),
            raw,
        )

    def step(
        self,
        raw: dict[str, Any],
        at: JsonPath,
        index: int,
        step_ids: set[str],
        workflow_parameters: tuple[ParameterItem, ...],
        workflow_success: tuple[ActionItem, ...],
        workflow_failure: tuple[ActionItem, ...],
    ) -> Step:
        target = _target(raw, at)
        items = self.parameter_items(raw.get("parameters"), at + ("parameters",))
        parameters, parameter_problems = merge_parameters(
            workflow_parameters + items, for_workflow=isinstance(target, WorkflowTarget)
        )
        success = self.action_items(raw.get("onSuccess"), at + ("onSuccess",), "successActions", step_ids)
        failure = self.action_items(raw.get("onFailure"), at + ("onFailure",), "failureActions", step_ids)
        success_actions, success_problems = merge_actions(success + workflow_success)
        failure_actions, failure_problems = merge_actions(failure + workflow_failure)
        body = raw.get("requestBody")
        return Step(
            str(raw.get("stepId")),
            index,
            at,
            target,
            items,
            parameters,
            parameter_problems,
            self.request_body(body, at + ("requestBody",)) if isinstance(body, dict) else None,
            self.criteria(raw.get("successCriteria"), at + ("successCriteria",)),
            success,
            failure,
            success_actions,
            failure_actions,
            success_problems + failure_problems,
            self.outputs(raw.get("outputs"), at + ("outputs",)),
            tuple(str(d) for d in _list(raw.get("dependsOn"))),
            read_value(raw["correlationId"], at + ("correlationId",), self.v11) if "correlationId" in raw else None,
            raw,
        )

    def outputs(self, raw: Any, at: JsonPath) -> tuple[Output, ...]:
        return tuple(
            Output(str(name), read_value(value, at + (name,), self.v11), at + (name,))
            for name, value in _mapping(raw).items()
        )

    def request_body(self, raw: dict[str, Any], at: JsonPath) -> RequestBody:
        replacements = tuple(
            Replacement(
                _text(item.get("target")),
                _text(item.get("targetSelectorType")),
                read_value(item["value"], at + ("replacements", i, "value"), self.v11) if "value" in item else None,
                at + ("replacements", i),
                item,
            )
            for i, item in enumerate(_list(raw.get("replacements")))
            if isinstance(item, dict)
        )
        payload = read_value(raw["payload"], at + ("payload",), self.v11) if "payload" in raw else None
        return RequestBody(_text(raw.get("contentType")), payload, replacements, at, raw)

    # -- parameters ----------------------------------------------------------------------

    def parameter_items(self, raw: Any, at: JsonPath) -> tuple[ParameterItem, ...]:
        items = tuple(self.parameter(item, at + (i,)) for i, item in enumerate(_list(raw)))
        self.parameter_index.update((item.at, item) for item in items)
        return items

    def parameter(self, item: Any, at: JsonPath) -> ParameterItem:
        if not isinstance(item, dict):
            return ParameterItem(at, None)
        if "reference" not in item:
            location = item.get("in")
            value = read_value(item["value"], at + ("value",), self.v11) if "value" in item else None
            name = str(item.get("name"))
            return ParameterItem(at, Parameter(name, _location(location), value, at, at + ("value",), None, item))
        ref = item["reference"]
        if not isinstance(ref, str) or not ref.startswith(_PARAMETER_PREFIX):
            message = f"parameter reference {ref!r} must point into components.parameters"
            return ParameterItem(at, None, Problem(at + ("reference",), message, f"write '{_PARAMETER_PREFIX}<name>'"))
        name = ref[len(_PARAMETER_PREFIX) :]
        components = self.components.parameters
        if name not in components or not isinstance(components[name], dict):
            problem = Problem(
                at + ("reference",), f"unknown reusable parameter {ref!r}", did_you_mean(name, components)
            )
            return ParameterItem(at, None, problem)
        target = components[name]
        if "value" in item:
            value_at: JsonPath = at + ("value",)
            value = read_value(item["value"], value_at, self.v11)
        else:
            value_at = ("components", "parameters", name, "value")
            value = read_value(target["value"], value_at, self.v11) if "value" in target else None
        parameter = Parameter(str(target.get("name")), _location(target.get("in")), value, at, value_at, name, item)
        return ParameterItem(at, parameter)

    # -- actions -------------------------------------------------------------------------

    def action_items(self, raw: Any, at: JsonPath, kind: ActionKind, step_ids: set[str]) -> tuple[ActionItem, ...]:
        return tuple(self.action(item, at + (i,), kind, step_ids) for i, item in enumerate(_list(raw)))

    def action(self, item: Any, at: JsonPath, kind: ActionKind, step_ids: set[str]) -> ActionItem:
        if not isinstance(item, dict):
            return ActionItem(at, None)
        item_at = at
        component: str | None = None
        if "reference" in item:
            ref = item["reference"]
            prefix = f"$components.{kind}."
            if not isinstance(ref, str) or not ref.startswith(prefix):
                message = f"reference {ref!r} must point into components.{kind}"
                return ActionItem(at, None, Problem(at + ("reference",), message, f"write '{prefix}<name>'"))
            component = ref[len(prefix) :]
            components = (
                self.components.success_actions if kind == "successActions" else self.components.failure_actions
            )
            if component not in components or not isinstance(components[component], dict):
                hint = did_you_mean(component, components)
                return ActionItem(at, None, Problem(at + ("reference",), f"unknown reusable action {ref!r}", hint))
            item = components[component]
            at = ("components", kind, component)
            problem = self._component_target(item, at, component, step_ids)
            if problem is not None:
                return ActionItem(item_at, None, problem)
        limit = item.get("retryLimit", 1)
        after = item.get("retryAfter")
        raw_parameters = item.get("parameters")
        action = Action(
            kind,
            str(item.get("name", "")),
            str(item.get("type")),
            _text(item.get("stepId")),
            _text(item.get("workflowId")),
            self.criteria(item.get("criteria"), at + ("criteria",)),
            float(after) if isinstance(after, (int, float)) and not isinstance(after, bool) and after >= 0 else None,
            int(limit) if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0 else 1,
            self.parameter_items(raw_parameters, at + ("parameters",)) if isinstance(raw_parameters, list) else None,
            at,
            component,
            item_at + ("reference",) if component is not None else None,
            item,
        )
        return ActionItem(item_at, action)

    def _component_target(self, item: dict[str, Any], at: JsonPath, name: str, step_ids: set[str]) -> Problem | None:
        step = item.get("stepId")
        if isinstance(step, str) and step not in step_ids:
            return Problem(
                at + ("stepId",),
                f"reusable action {name!r} goes to step {step!r}, which workflow {self.workflow_id!r} does not have",
                did_you_mean(step, step_ids),
            )
        workflow = item.get("workflowId")
        if isinstance(workflow, str) and not workflow.startswith("$") and workflow not in self.workflow_ids:
            return Problem(
                at + ("workflowId",),
                f"reusable action {name!r} goes to unknown workflow {workflow!r}",
                did_you_mean(workflow, self.workflow_ids),
            )
        return None

    # -- criteria ------------------------------------------------------------------------

    def criteria(self, raw: Any, at: JsonPath) -> tuple[Criterion, ...]:
        return tuple(self.criterion(c, at + (i,)) for i, c in enumerate(_list(raw)) if isinstance(c, dict))

    def criterion(self, raw: dict[str, Any], at: JsonPath) -> Criterion:
        kind = raw.get("type", "simple")
        version: str | None = None
        if isinstance(kind, dict):
            version = str(kind.get("version")) if kind.get("version") is not None else None
            kind = kind.get("type")
        condition = str(raw.get("condition", ""))
        context = _text(raw.get("context"))
        context_expr = _expression(context)
        if kind != "simple":
            return Criterion(condition, str(kind), version, context, at, context_expr, raw=raw)
        stripped = condition.strip()
        braced = stripped.startswith("{$") and stripped.endswith("}")
        quirks: list[Quirk] = []
        selves = SelfRoot(self.self_uri) if self.v11 else None
        try:
            tree = parse_condition(stripped[1:-1] if braced else condition, quirks, selves)
        except ExpressionError as exc:
            return Criterion(condition, "simple", version, context, at, context_expr, None, exc, braced=braced, raw=raw)
        reads_self = selves is not None and bool(selves.offsets)
        return Criterion(
            condition, "simple", version, context, at, context_expr, tree, None, tuple(quirks), braced, reads_self, raw
        )


def _expression(text: str | None) -> RuntimeExpr | None:
    """A criterion's context parsed, the dot-path quirk as the expression it means (as
    the criteria compiler reads it); None when absent or malformed."""
    if text is None:
        return None
    try:
        return parse_expression(text)
    except ExpressionError:
        return dot_path(text)


def _location(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _target(raw: dict[str, Any], at: JsonPath) -> StepTarget | None:
    if "operationId" in raw or "operationPath" in raw:
        key = "operationId" if "operationId" in raw else "operationPath"
        return OperationTarget(_text(raw.get("operationId")), _text(raw.get("operationPath")), at + (key,))
    if "workflowId" in raw:
        return WorkflowTarget(str(raw["workflowId"]), at + ("workflowId",))
    if "channelPath" in raw:
        return ChannelTarget(str(raw["channelPath"]), at + ("channelPath",))
    return None


def merge_parameters(
    items: tuple[ParameterItem, ...], *, for_workflow: bool
) -> tuple[tuple[Parameter, ...], tuple[Problem, ...]]:
    """What a step runs with, from the workflow's items then its own (module docstring)."""
    merged: dict[tuple[str, str], Parameter] = {}
    problems: list[Problem] = []
    for item in items:
        parameter = item.parameter
        if parameter is None:
            if item.problem is not None:
                problems.append(item.problem)
            continue
        if parameter.location is None and not for_workflow:
            problems.append(no_in_problem(parameter))
            continue
        key = (parameter.name, "input" if for_workflow else str(parameter.location))
        if parameter.location == "header" and not for_workflow:
            name = next((k[0] for k in merged if k[1] == "header" and k[0].lower() == parameter.name.lower()), None)
            if name is not None:
                key = (name, "header")
                parameter = dataclasses.replace(parameter, name=name)
        merged.pop(key, None)
        merged[key] = parameter
    return tuple(merged.values()), tuple(problems)


def no_in_problem(parameter: Parameter) -> Problem:
    """What an operation step's parameter without ``in`` is reported as."""
    if parameter.component is not None:
        name = parameter.component
        return Problem(("components", "parameters", name), f"reusable parameter {name!r} has no 'in'", _NO_IN_HINT)
    written = parameter.raw.get("name") if isinstance(parameter.raw, dict) else None
    return Problem(parameter.at, f"parameter {written!r} has no 'in'", _NO_IN_HINT)


def merge_actions(items: tuple[ActionItem, ...]) -> tuple[tuple[Action, ...], tuple[Problem, ...]]:
    """The actions a step runs with, its own first then the workflow's; first name wins."""
    actions: list[Action] = []
    names: set[str] = set()
    problems: list[Problem] = []
    for item in items:
        if item.action is None:
            if item.problem is not None:
                problems.append(item.problem)
            continue
        if item.action.name in names:
            continue
        names.add(item.action.name)
        actions.append(item.action)
    return tuple(actions), tuple(problems)
