"""Arazzo 1.1 schema findings said as the defect they are (the 27 "fail" documents of
the official 1.1 schema test suite each get a diagnostic naming it).

The vendored 1.1 schema stays byte-identical; where its messages mislead (a oneOf
whose branches each report something else: "expected string, found object" for a
Selector Object with a wrong field), the finding is rewritten here from the value.
"""

from __future__ import annotations

from typing import Any

from .diagnostics import JsonPath

Finding = tuple[JsonPath, str, "str | None"]

SELECTOR_FIELDS = ("context", "selector", "type")
SELECTOR_TYPES = ("jsonpath", "xpath", "jsonpointer")
VERSIONS = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
    "jsonpointer": ("rfc6901",),
}
_TARGETS = ("operationId", "operationPath", "workflowId", "channelPath")


def _at(data: Any, path: JsonPath) -> Any:
    node = data
    for key in path:
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
            continue
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def selector_defects(value: dict[str, Any], at: JsonPath) -> list[Finding]:
    """What keeps a mapping from being a Selector Object ({context, selector, type})."""
    found: list[Finding] = []
    for key in value:
        if key not in SELECTOR_FIELDS and not str(key).startswith("x-"):
            hint = (
                "a Selector Object names its context with 'context' ('expression' was a draft's name)"
                if key == "expression"
                else "a Selector Object has the fields context, selector and type (and x- extensions)"
            )
            found.append((at + (key,), f"unknown Selector Object field {key!r}", hint))
    for key in SELECTOR_FIELDS:
        if key not in value and not (key == "context" and "expression" in value):
            found.append(
                (
                    at,
                    f"a Selector Object needs {key!r}",
                    "a Selector Object is context (a runtime expression), selector and type",
                )
            )
    found += selector_type_defects(value.get("type"), at + ("type",))
    return found


def selector_type_defects(kind: Any, at: JsonPath, what: str = "selector type") -> list[Finding]:
    if kind is None:
        return []
    if isinstance(kind, str):
        return (
            []
            if kind in SELECTOR_TYPES
            else [
                (
                    at,
                    f"unknown {what} {kind!r}",
                    "use jsonpath, xpath or jsonpointer, or an Expression Type Object {type, version}",
                )
            ]
        )
    if isinstance(kind, dict):
        inner = kind.get("type")
        if inner not in VERSIONS:
            return [(at + ("type",), f"unknown expression type {inner!r}", "use jsonpath, xpath or jsonpointer")]
        if kind.get("version") not in VERSIONS[str(inner)]:
            return [
                (
                    at + ("version",),
                    f"{inner} has no version {kind.get('version')!r}",
                    "use " + ", ".join(VERSIONS[str(inner)]),
                )
            ]
    return []


def refine(data: Any, path: JsonPath, message: str, hint: str | None) -> list[Finding]:
    """The finding at ``path`` said as its defect (or unchanged)."""
    value = _at(data, path)
    parent = path[-2] if len(path) >= 2 else None
    last = path[-1] if path else None
    if isinstance(value, dict) and parent == "outputs" and "expected string" in message:
        return selector_defects(value, path) or [(path, message, hint)]
    if last == "targetSelectorType":
        return selector_type_defects(value, path, "targetSelectorType") or [(path, message, hint)]
    if isinstance(value, str) and value.startswith("$steps.") and "dependsOn" in path:
        step = value[len("$steps.") :].split(".")[0]
        return [
            (
                path,
                f"dependsOn entry {value!r}: a step is named by its stepId, not a $steps expression",
                f"write {step!r} (or $workflows.<workflowId>.steps.<stepId>, $sourceDescriptions.<name>.<workflowId>.steps.<stepId>)",
            )
        ]
    if (
        isinstance(value, dict)
        and parent == "parameters"
        and "name" in value
        and "value" not in value
        and "reference" not in value
    ):
        return [
            (
                path,
                f"parameter {value.get('name')!r} has no value",
                "add value: (a constant, a runtime expression or a Selector Object)",
            )
        ]
    if isinstance(value, dict) and parent == "steps" and not any(k in value for k in _TARGETS):
        return [
            (
                path,
                f"step {value.get('stepId')!r} names nothing to run",
                "add one of operationId, operationPath, workflowId or channelPath",
            )
        ]
    if isinstance(value, dict) and parent == "steps" and "channelPath" in value and "action" not in value:
        sources = _at(data, ("sourceDescriptions",)) or []
        if not any(isinstance(s, dict) and s.get("type") == "asyncapi" for s in sources):
            return [
                (
                    path + ("channelPath",),
                    f"step {value.get('stepId')!r}: channelPath names an AsyncAPI channel, but no source description is of type asyncapi",
                    "an OpenAPI operation is named with operationId or operationPath",
                )
            ]
    if path == ("$self",) and isinstance(value, str) and "#" in value:
        return [
            (
                path,
                "$self may not have a fragment ('#...'): it names the whole document",
                f"write {value.split('#', 1)[0]!r}",
            )
        ]
    step = _at(data, path[:-1])
    if (
        isinstance(step, dict)
        and parent is not None
        and "workflowId" in step
        and message.startswith("unknown field")
        and last in ("operationId", "operationPath", "channelPath", "action", "correlationId")
    ):
        return [
            (
                path,
                f"a step that calls workflow {step.get('workflowId')!r} cannot have {last!r}",
                "a step runs one thing: keep workflowId, or make it an operation step",
            )
        ]
    if last == "action" and "'receive' was expected" in message:
        return (
            [
                (
                    path,
                    f"correlationId is only allowed with action: receive, not {value!r}",
                    "a send step has no message to correlate: remove correlationId, or make the step receive",
                )
            ]
            if isinstance(step, dict) and "correlationId" in step
            else [(path, message, hint)]
        )
    return [(path, message, hint)]
