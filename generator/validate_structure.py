"""The structural checks no schema can make (part of stage 2, validate): duplicate
ids, unknown goto targets, dependsOn cycles, workflows that call themselves, output
names expressions cannot spell, criterion types.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import expressions
from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import SourceFile
from .validate_schema import _RETRY_FIELDS, _close, _or_list

# -- structure -------------------------------------------------------------------------

_NAME = re.compile(r"^[a-zA-Z0-9.\-_]+$")


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, item) for the mapping items of a list; nothing for anything else."""
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_structure(source: SourceFile, data: dict[str, Any], report: Report, minor: str = "1.0") -> list[JsonPath]:
    """The checks no schema makes; returns the paths they reported on or vetted,
    where schema findings would only repeat them."""
    start = len(report.items)
    vetted: list[JsonPath] = []
    workflows = _dicts(data.get("workflows"))
    _check_unique(
        source, report, [(("workflows", i, "workflowId"), w.get("workflowId")) for i, w in workflows], "workflowId"
    )
    _check_ids(
        source, report, [(("workflows", i, "workflowId"), w.get("workflowId")) for i, w in workflows], "workflowId"
    )
    _check_unique(
        source,
        report,
        [(("sourceDescriptions", i, "name"), s.get("name")) for i, s in _dicts(data.get("sourceDescriptions"))],
        "source description name",
    )
    known_workflows = {str(w["workflowId"]) for _, w in workflows if isinstance(w.get("workflowId"), str)}
    for w_index, workflow in workflows:
        base: JsonPath = ("workflows", w_index)
        steps = _dicts(workflow.get("steps"))
        _check_unique(source, report, [(base + ("steps", i, "stepId"), s.get("stepId")) for i, s in steps], "stepId")
        _check_ids(source, report, [(base + ("steps", i, "stepId"), s.get("stepId")) for i, s in steps], "stepId")
        known_steps = {str(s["stepId"]) for _, s in steps if isinstance(s.get("stepId"), str)}
        for path, action in _actions(workflow, base):
            _check_action_target(source, report, path, action, known_steps, known_workflows)
            _check_retry_fields(source, report, path, action)
        _check_required(source, report, workflow.get("inputs"), base + ("inputs",))
        dependencies = workflow.get("dependsOn")
        for index, dep in enumerate(dependencies if isinstance(dependencies, list) else []):
            if isinstance(dep, str) and not dep.startswith("$") and dep not in known_workflows:
                report.add(
                    source.diagnostic(
                        base + ("dependsOn", index),
                        f"dependsOn names unknown workflow {dep!r}",
                        did_you_mean(dep, known_workflows),
                    )
                )
        _check_names(source, report, workflow.get("outputs"), base + ("outputs",), "output")
        for s_index, step in steps:
            _check_names(source, report, step.get("outputs"), base + ("steps", s_index, "outputs"), "output")
            for c_path, criterion in _criteria(step, base + ("steps", s_index)):
                _check_criterion(source, report, c_path, criterion, vetted, minor)
        for key in ("successActions", "failureActions"):
            for a_index, action in _dicts(workflow.get(key)):
                for c_index, criterion in _dicts(action.get("criteria")):
                    _check_criterion(
                        source, report, base + (key, a_index, "criteria", c_index), criterion, vetted, minor
                    )
    for name, schema in _mapping(_mapping(data.get("components")).get("inputs")).items():
        _check_required(source, report, schema, ("components", "inputs", name))
    for name, action in _mapping(_mapping(data.get("components")).get("failureActions")).items():
        _check_retry_fields(source, report, ("components", "failureActions", name), _mapping(action))
    for kind in ("successActions", "failureActions"):
        for name, action in _mapping(_mapping(data.get("components")).get(kind)).items():
            for c_index, criterion in _dicts(_mapping(action).get("criteria")):
                _check_criterion(
                    source, report, ("components", kind, name, "criteria", c_index), criterion, vetted, minor
                )
    _check_depends_cycles(source, report, workflows)
    _check_call_cycles(source, report, workflows)
    return vetted + [d.json_path for d in report.items[start:] if d.severity is Severity.ERROR]


def _check_retry_fields(source: SourceFile, report: Report, path: JsonPath, action: dict[str, Any]) -> None:
    """retryAfter and retryLimit on a failure action that does not retry do nothing.
    (On a success action the schema refuses them: see _RETRY_FIELDS.)"""
    kind = action.get("type")
    if kind not in ("goto", "end") or not any(p in ("onFailure", "failureActions") for p in path):
        return
    for key in _RETRY_FIELDS:
        if key in action:
            report.add(
                source.diagnostic(
                    path + (key,),
                    f"{key} on {kind} action {action.get('name')!r} has no effect",
                    _RETRY_FIELDS[key],
                    severity=Severity.WARNING,
                )
            )


def _check_required(source: SourceFile, report: Report, schema: Any, at: JsonPath) -> None:
    """``required`` names in an inputs schema (and the object schemas inside it) that
    are not among its properties: only properties become inputs."""
    stack: list[tuple[Any, JsonPath]] = [(schema, at)]
    while stack:
        node, here = stack.pop()
        if not isinstance(node, dict):
            continue
        properties = node.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        stack.extend((value, here + ("properties", key)) for key, value in reversed(list(properties.items())))
        stack.append((node.get("items"), here + ("items",)))
        required = node.get("required")
        if (
            not isinstance(required, list)
            or any(k in node for k in _OTHER_MEMBERS)
            or node.get("additionalProperties", False) is not False
        ):
            continue  # the named members may be defined elsewhere
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in properties:
                hint = did_you_mean(name, properties) if properties else None
                report.add(
                    source.diagnostic(
                        here + ("required", index),
                        f"required names {name!r}, which is not one of the schema's properties",
                        hint or "declare it under properties, or remove it from required",
                        severity=Severity.WARNING,
                    )
                )


#: Schema keywords through which an object's members may be declared other than properties.
_OTHER_MEMBERS = (
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "patternProperties",
    "dependentSchemas",
    "if",
    "unevaluatedProperties",
)


def _check_unique(source: SourceFile, report: Report, items: list[tuple[JsonPath, Any]], what: str) -> None:
    seen: set[str] = set()
    for path, value in items:
        if not isinstance(value, str):
            continue
        if value in seen:
            report.add(
                source.diagnostic(
                    path, f"duplicate {what} {value!r}", f"each {what} must be unique; rename one of them"
                )
            )
        seen.add(value)


_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


def _check_ids(source: SourceFile, report: Report, items: list[tuple[JsonPath, Any]], what: str) -> None:
    """The spec: a workflowId or stepId SHOULD conform to [A-Za-z0-9_-]+."""
    for path, value in items:
        if isinstance(value, str) and not _ID.match(value):
            report.add(
                source.diagnostic(
                    path,
                    f"{what} {value!r} does not conform to [A-Za-z0-9_-]+, as the spec says it should",
                    "runtime expressions such as $steps.<stepId> and $workflows.<workflowId> cannot name it: rename it",
                    severity=Severity.WARNING,
                )
            )


def _check_names(source: SourceFile, report: Report, outputs: Any, at: JsonPath, what: str) -> None:
    for name in _mapping(outputs):
        if not _NAME.match(str(name)):
            report.add(
                source.diagnostic(
                    at + (name,),
                    f"{what} name {str(name)!r} may use only letters, digits, '.', '-' and '_'",
                    "runtime expressions could not name it otherwise: rename it",
                )
            )


def _criteria(step: dict[str, Any], at: JsonPath) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    for index, criterion in _dicts(step.get("successCriteria")):
        yield at + ("successCriteria", index), criterion
    for key in ("onSuccess", "onFailure"):
        for a_index, action in _dicts(step.get(key)):
            for c_index, criterion in _dicts(action.get("criteria")):
                yield at + (key, a_index, "criteria", c_index), criterion


_CRITERION_TYPES = ("simple", "regex", "jsonpath", "xpath")
_EXPRESSION_VERSIONS = {
    "jsonpath": ("draft-goessner-dispatch-jsonpath-00",),
    "xpath": ("xpath-10", "xpath-20", "xpath-30"),
}
#: Arazzo 1.1's Expression Type Object: RFC 9535 JSONPath and XPath 3.1 join the 1.0 names.
#: (The 1.1 schema also admits a jsonpointer type here; the prose does not, for criteria.)
_EXPRESSION_VERSIONS_1_1 = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
}


def _check_criterion(
    source: SourceFile,
    report: Report,
    at: JsonPath,
    criterion: dict[str, Any],
    vetted: list[JsonPath],
    minor: str = "1.0",
) -> None:
    """The criterion type, checked here because the official schema's messages for
    it mislead (and it rejects the expression type object the specification allows)."""
    if "type" not in criterion:
        return
    vetted.append(at + ("type",))
    kind = criterion["type"]
    if isinstance(kind, dict):
        inner = kind.get("type")
        table = _EXPRESSION_VERSIONS_1_1 if minor == "1.1" else _EXPRESSION_VERSIONS
        versions = table.get(inner) if isinstance(inner, str) else None
        if versions is None:
            hint = "a criterion expression type object names jsonpath or xpath, and a version"
            if (
                minor == "1.1" and inner == "jsonpointer"
            ):  # the 1.1 schema admits it; the Criterion Object's prose does not
                hint = "a JSON pointer selects a value, it does not test one: use it in a Selector Object or targetSelectorType; for a condition use jsonpath (rfc9535) or xpath"
            report.add(source.diagnostic(at + ("type",), f"unknown criterion expression type {inner!r}", hint))
            return
        if kind.get("version") not in versions:
            report.add(
                source.diagnostic(
                    at + ("type",), f"unknown {inner} version {kind.get('version')!r}", "use " + _or_list(versions)
                )
            )
            return
        kind = inner
    elif kind not in _CRITERION_TYPES:
        report.add(
            source.diagnostic(
                at + ("type",),
                f"unknown criterion type {kind!r}",
                _close(str(kind), _CRITERION_TYPES) or "use simple, regex, jsonpath or xpath",
            )
        )
        return
    if kind != "simple" and "context" not in criterion:
        report.add(source.diagnostic(at, f"a {kind} criterion needs a context", "add context: $response.body"))
    elif kind == "simple" and "context" not in criterion and "condition" in criterion:
        # Quirk: 'type: simple' without the context the specification then requires
        # ("If type is specified, then the context MUST be provided"); simple is the
        # default type, and a simple condition reads no context.
        vetted.append(at)
        report.add(
            source.diagnostic(
                at + ("type",),
                "a criterion that gives its type needs a context, also 'type: simple'",
                "leave out 'type: simple' (it is the default), or add context: $response.body",
                severity=Severity.WARNING,
            )
        )
    elif kind == "simple" and isinstance(criterion.get("context"), str) and not _is_expression(criterion["context"]):
        report.add(
            source.diagnostic(
                at + ("context",),
                f"context {criterion['context']!r} is not a runtime expression; a simple condition does not read it",
                "write context: $response.body (or leave out both context and 'type: simple')",
                severity=Severity.WARNING,
            )
        )


def _is_expression(text: str) -> bool:
    """Is ``text`` one runtime expression (braces allowed, as in {$response.body})?"""
    text = text.strip()
    if text.startswith("{$") and text.endswith("}"):
        text = text[1:-1]
    try:
        expressions.parse_expression(text)
        return True
    except expressions.ExpressionError:
        pass
    try:
        return expressions.body_dot_path(text) is not None
    except expressions.ExpressionError:
        return False


def _actions(workflow: dict[str, Any], base: JsonPath) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    for key in ("successActions", "failureActions"):
        for index, action in _dicts(workflow.get(key)):
            if "reference" not in action:
                yield base + (key, index), action
    for s_index, step in _dicts(workflow.get("steps")):
        for key in ("onSuccess", "onFailure"):
            for index, action in _dicts(step.get(key)):
                if "reference" not in action:
                    yield base + ("steps", s_index, key, index), action


def _check_action_target(
    source: SourceFile, report: Report, path: JsonPath, action: dict[str, Any], steps: set[str], workflows: set[str]
) -> None:
    step_id = action.get("stepId")
    workflow_id = action.get("workflowId")
    if step_id is not None and workflow_id is not None:
        report.add(
            source.diagnostic(
                path, f"action {action.get('name')!r} names both a stepId and a workflowId", "keep one of them"
            )
        )
    if isinstance(step_id, str) and step_id not in steps:
        report.add(
            source.diagnostic(
                path + ("stepId",),
                f"action {action.get('name')!r} goes to unknown step {step_id!r}",
                did_you_mean(step_id, steps),
            )
        )
    if isinstance(workflow_id, str) and not workflow_id.startswith("$") and workflow_id not in workflows:
        report.add(
            source.diagnostic(
                path + ("workflowId",),
                f"action {action.get('name')!r} goes to unknown workflow {workflow_id!r}",
                did_you_mean(workflow_id, workflows),
            )
        )
    if action.get("type") == "goto" and step_id is None and workflow_id is None:
        report.add(
            source.diagnostic(
                path,
                f"goto action {action.get('name')!r} has no stepId or workflowId",
                "add the step or workflow to go to",
            )
        )


def _check_depends_cycles(source: SourceFile, report: Report, workflows: list[tuple[int, dict[str, Any]]]) -> None:
    graph: dict[str, list[str]] = {}
    index_of: dict[str, int] = {}
    for index, workflow in workflows:
        wid = workflow.get("workflowId")
        deps = workflow.get("dependsOn")
        if isinstance(wid, str) and wid not in graph:
            index_of[wid] = index
            graph[wid] = [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []
    for cycle in _cycles(graph):
        report.add(
            source.diagnostic(
                ("workflows", index_of[cycle[-2]], "dependsOn"),
                "dependsOn cycle: " + " -> ".join(cycle),
                "a workflow cannot depend on itself, directly or through others",
            )
        )


def _check_call_cycles(source: SourceFile, report: Report, workflows: list[tuple[int, dict[str, Any]]]) -> None:
    """A step whose workflowId leads back to its own workflow would recurse without end."""
    graph: dict[str, list[str]] = {}
    call_site: dict[tuple[str, str], JsonPath] = {}
    for w_index, workflow in workflows:
        wid = workflow.get("workflowId")
        if not isinstance(wid, str) or wid in graph:
            continue
        graph[wid] = []
        for s_index, step in _dicts(workflow.get("steps")):
            target = step.get("workflowId")
            if isinstance(target, str) and not target.startswith("$"):
                graph[wid].append(target)
                call_site.setdefault((wid, target), ("workflows", w_index, "steps", s_index, "workflowId"))
    for cycle in _cycles(graph):
        at = call_site[(cycle[-2], cycle[-1])]
        if len(cycle) == 2:
            message = f"workflow {cycle[0]!r} calls itself: the call would recurse without end"
        else:
            message = "workflows call each other in a cycle without end: " + " -> ".join(cycle)
        report.add(
            source.diagnostic(
                at,
                message,
                "repeat steps with a goto to an earlier step instead (a goto loop is bounded by the timeout)",
            )
        )


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle of a directed graph found by a depth-first search, as a closed
    path (first == last); iterative, so no recursion limit."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = []
        while stack:
            node, child = stack.pop()
            if child == 0:
                state[node] = 1
                trail.append(node)
            edges = graph.get(node, [])
            if child < len(edges):
                stack.append((node, child + 1))
                nxt = edges[child]
                if state.get(nxt) == 1:
                    found.append(trail[trail.index(nxt) :] + [nxt])
                elif nxt in graph and not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                trail.pop()
    return found
