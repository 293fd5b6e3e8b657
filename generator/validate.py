"""Stage 2, validate: the Arazzo document against the official JSON Schema, each
OpenAPI document with openapi-spec-validator, and the structural checks no schema
can make (duplicate ids, unknown goto targets, dependsOn cycles).

Checks that need bound operations or parsed expressions (unknown operationId,
``$steps.x.outputs.y`` that nothing defines, missing path parameters) run in the
resolve and analyze stages, which report into the same Report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import SourceFile

ARAZZO_VERSION_PREFIX = "1.0."


@lru_cache(maxsize=1)
def _arazzo_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("generator").joinpath("data/arazzo-1.0.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def validate_arazzo(source: SourceFile, report: Report) -> bool:
    """Schema and structure checks; False when the document cannot be compiled."""
    data = source.data
    if not isinstance(data, dict):
        report.add(source.diagnostic((), "an Arazzo document must be a mapping at the top level", "start the file with 'arazzo: 1.0.1'"))
        return False
    if "arazzo" not in data:
        if "openapi" in data or "swagger" in data:
            report.add(source.diagnostic((), "this is an OpenAPI document, not an Arazzo workflow document", "pass the Arazzo file that lists this one in its sourceDescriptions"))
        else:
            report.add(source.diagnostic((), "not an Arazzo document: the 'arazzo' version field is missing", "start the file with 'arazzo: 1.0.1'"))
        return False
    version = data["arazzo"]
    if not isinstance(version, str) or not version.startswith(ARAZZO_VERSION_PREFIX):
        report.add(source.diagnostic(("arazzo",), f"unsupported Arazzo version {version!r}", "this generator compiles Arazzo 1.0.x documents; write the version as a string such as '1.0.1'"))
        return False
    before = len(report.items)
    for error in sorted(_arazzo_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        _report_schema_error(source, error, report)
    if len(report.items) > before and report.has_errors:
        return False
    _check_structure(source, data, report)
    return not report.has_errors


def _report_schema_error(source: SourceFile, error: ValidationError, report: Report) -> None:
    deepest = error
    while deepest.context:
        candidate = best_match(deepest.context)
        if candidate is None:
            break
        deepest = candidate
    path: JsonPath = tuple(deepest.absolute_path)
    message = _schema_message(deepest)
    report.add(source.diagnostic(path, f"does not match the Arazzo 1.0 schema: {message}", _schema_hint(deepest)))


def _schema_message(error: ValidationError) -> str:
    message = str(error.message)
    if error.validator in ("required", "additionalProperties", "unevaluatedProperties"):
        return message
    if error.validator == "type":
        return f"{_short(error.instance)} is not of type {error.validator_value!r}"
    if error.validator == "enum":
        return f"{_short(error.instance)} is not one of {error.validator_value!r}"
    if error.validator == "pattern":
        return f"{_short(error.instance)} does not match the pattern {error.validator_value!r}"
    return message if len(message) < 300 else message[:300] + "..."


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _schema_hint(error: ValidationError) -> str | None:
    if error.validator == "enum":
        return "allowed values: " + ", ".join(map(str, error.validator_value))
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return "check the spelling of the field; extensions must start with 'x-'"
    if error.validator == "required":
        return "add the missing field"
    return None


def _check_structure(source: SourceFile, data: dict[str, Any], report: Report) -> None:
    workflows = [w for w in data.get("workflows", []) if isinstance(w, dict)]
    workflow_ids = [w.get("workflowId") for w in workflows]
    _check_unique(source, report, (("workflows", i, "workflowId") for i in range(len(workflows))), workflow_ids, "workflowId")
    names = [s.get("name") for s in data.get("sourceDescriptions", []) if isinstance(s, dict)]
    _check_unique(source, report, (("sourceDescriptions", i, "name") for i in range(len(names))), names, "source description name")
    known_workflows = {w for w in workflow_ids if isinstance(w, str)}
    for w_index, workflow in enumerate(workflows):
        steps = [s for s in workflow.get("steps", []) if isinstance(s, dict)]
        step_ids = [s.get("stepId") for s in steps]
        base: JsonPath = ("workflows", w_index)
        _check_unique(source, report, (base + ("steps", i, "stepId") for i in range(len(steps))), step_ids, "stepId")
        known_steps = {s for s in step_ids if isinstance(s, str)}
        for path, action in _actions(workflow, base):
            _check_action_target(source, report, path, action, known_steps, known_workflows)
        for index, dep in enumerate(workflow.get("dependsOn", []) or []):
            if isinstance(dep, str) and not dep.startswith("$") and dep not in known_workflows:
                report.add(source.diagnostic(base + ("dependsOn", index), f"dependsOn names unknown workflow {dep!r}", did_you_mean(dep, known_workflows)))
    _check_depends_cycles(source, report, workflows)


def _check_unique(source: SourceFile, report: Report, paths: Iterable[JsonPath], values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for path, value in zip(paths, values):
        if value in seen:
            report.add(source.diagnostic(path, f"duplicate {what} {value!r}", f"each {what} must be unique; rename one of them"))
        seen.add(value)


def _actions(workflow: dict[str, Any], base: JsonPath) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    for key in ("successActions", "failureActions"):
        for index, action in enumerate(workflow.get(key, []) or []):
            if isinstance(action, dict) and "reference" not in action:
                yield base + (key, index), action
    for s_index, step in enumerate(workflow.get("steps", []) or []):
        if not isinstance(step, dict):
            continue
        for key in ("onSuccess", "onFailure"):
            for index, action in enumerate(step.get(key, []) or []):
                if isinstance(action, dict) and "reference" not in action:
                    yield base + ("steps", s_index, key, index), action


def _check_action_target(source: SourceFile, report: Report, path: JsonPath, action: dict[str, Any], steps: set[str], workflows: set[str]) -> None:
    step_id = action.get("stepId")
    workflow_id = action.get("workflowId")
    if step_id is not None and workflow_id is not None:
        report.add(source.diagnostic(path, "an action names both a stepId and a workflowId", "keep one of them"))
    if isinstance(step_id, str) and step_id not in steps:
        report.add(source.diagnostic(path + ("stepId",), f"action {action.get('name')!r} goes to unknown step {step_id!r}", did_you_mean(step_id, steps)))
    if isinstance(workflow_id, str) and not workflow_id.startswith("$") and workflow_id not in workflows:
        report.add(source.diagnostic(path + ("workflowId",), f"action {action.get('name')!r} goes to unknown workflow {workflow_id!r}", did_you_mean(workflow_id, workflows)))
    if action.get("type") == "goto" and step_id is None and workflow_id is None:
        report.add(source.diagnostic(path, f"goto action {action.get('name')!r} has no stepId or workflowId", "add the step or workflow to go to"))


def _check_depends_cycles(source: SourceFile, report: Report, workflows: list[dict[str, Any]]) -> None:
    graph: dict[str, list[str]] = {}
    index_of: dict[str, int] = {}
    for index, workflow in enumerate(workflows):
        wid = workflow.get("workflowId")
        if isinstance(wid, str):
            index_of[wid] = index
            graph[wid] = [d for d in workflow.get("dependsOn", []) or [] if isinstance(d, str)]
    state: dict[str, int] = {}
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
            deps = graph.get(node, [])
            if child < len(deps):
                stack.append((node, child + 1))
                nxt = deps[child]
                if state.get(nxt) == 1:
                    cycle = trail[trail.index(nxt):] + [nxt]
                    report.add(source.diagnostic(("workflows", index_of[node], "dependsOn"), "dependsOn cycle: " + " -> ".join(cycle), "a workflow cannot depend on itself, directly or through others"))
                elif nxt in graph and not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                trail.pop()


def validate_openapi(source: SourceFile, report: Report) -> None:
    """openapi-spec-validator findings become warnings (errors under --strict).

    Real vendor descriptions often fail strict validation; generation goes on
    where the workflow does not depend on the broken part.
    """
    data = source.data
    if not isinstance(data, dict) or not isinstance(data.get("openapi"), str):
        report.add(source.diagnostic((), "not an OpenAPI 3.x document: the 'openapi' version field is missing", "sourceDescriptions of type openapi must point at OpenAPI 3.0 or 3.1 documents"))
        return
    version = data["openapi"]
    if not (version.startswith("3.0") or version.startswith("3.1")):
        report.add(source.diagnostic(("openapi",), f"OpenAPI {version} is not validated (only 3.0 and 3.1 are)", "the generator still reads the operations it needs", severity=Severity.WARNING))
        return
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    validator_cls = OpenAPIV30SpecValidator if version.startswith("3.0") else OpenAPIV31SpecValidator
    try:
        errors = list(validator_cls(data).iter_errors())
    except RecursionError:
        report.add(source.diagnostic((), "OpenAPI document is nested too deeply to validate", None, severity=Severity.WARNING))
        return
    except Exception as exc:  # the validator's own failures on odd input
        report.add(source.diagnostic((), f"openapi-spec-validator could not check this document: {exc.__class__.__name__}", None, severity=Severity.WARNING))
        return
    for error in errors:
        path: JsonPath = tuple(getattr(error, "absolute_path", ()) or ())
        message = str(getattr(error, "message", error)).splitlines()[0]
        if len(message) > 200:
            message = message[:197] + "..."
        report.add(source.diagnostic(path, f"OpenAPI validation: {message}", "the vendor description is not strictly valid; generation continues unless --strict", severity=Severity.WARNING))
