"""Schema findings rewritten for people (part of stage 2, validate).

jsonschema's errors for an Arazzo document become one diagnostic each: the branch of a
oneOf/anyOf the value was meant for, "unknown field 'operationID'; did you mean
'operationId'?", one "expected object, found null" instead of every consequence of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from difflib import get_close_matches
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from .diagnostics import JsonPath

_SCHEMA_PREFIX = "does not match the Arazzo 1.0 schema: "
_TYPE_PREFIX = _SCHEMA_PREFIX + "expected "
_ID_ARRAYS = {"workflows", "steps", "sourceDescriptions"}  # duplicates there are duplicate ids


def _shared_defect(error: ValidationError) -> ValidationError:
    """For the 1.1 schema, whose step (and action) objects are a oneOf of kinds: a
    finding deeper inside the value that every kind reports is the value's defect
    whatever kind it was meant to be (an empty successCriteria, a bad action), so
    it is explained rather than the kind the explanation would have to guess."""
    for _ in range(64):  # bounded: each round goes one level deeper into the value
        if error.validator not in ("oneOf", "anyOf") or not error.context:
            return error
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else 0, []).append(sub)
        if len(branches) < 2:
            return error
        depth = len(error.absolute_path)
        keyed = [
            {(tuple(map(str, e.absolute_path)), e.message): e for e in errs if len(e.absolute_path) > depth}
            for errs in branches.values()
        ]
        shared = set(keyed[0]).intersection(*keyed[1:])
        if shared:
            error = keyed[0][min(shared)]
            continue
        meant = _step_kind(error, branches)
        if meant is None:
            return error
        # In the kind the step was meant to be, its own finding; "unevaluated" lists
        # every field once a part of the kind failed, so it comes last.
        return min(meant, key=lambda e: e.validator == "unevaluatedProperties")
    return error


#: The 1.1 step kinds, by their schema, and the fields that say a step is of that kind.
_STEP_KINDS = {
    "#/$defs/workflow-step-object": ("workflowId",),
    "#/$defs/asyncapi-step-object": ("channelPath", "action", "correlationId"),
}


def _step_kind(error: ValidationError, branches: dict[Any, list[ValidationError]]) -> list[ValidationError] | None:
    """The errors of the step kind a 1.1 step was meant to be (by its fields; an
    OpenAPI step otherwise), or None when ``error`` is not about a step."""
    options = error.validator_value if isinstance(error.validator_value, list) else []
    refs = [o.get("$ref") if isinstance(o, dict) else None for o in options]
    if "#/$defs/openapi-step-object" not in refs or not isinstance(error.instance, dict):
        return None
    chosen = refs.index("#/$defs/openapi-step-object")
    for ref, fields in _STEP_KINDS.items():
        if ref in refs and any(field in error.instance for field in fields):
            chosen = refs.index(ref)
            break
    return branches.get(chosen) or None


def _explain(error: ValidationError, root: Any = None) -> list[tuple[JsonPath, str, str | None]]:
    """One schema error as (path, message, hint)s a person can act on."""
    error = _deepest(error)
    path: JsonPath = tuple(error.absolute_path)
    instance = error.instance
    validator = error.validator
    if validator in ("unevaluatedProperties", "additionalProperties") and isinstance(instance, dict):
        known = _known_properties(error.schema, root)
        unknown = [k for k in instance if k not in known and not str(k).startswith("x-")]
        if validator == "additionalProperties" and error.schema.get("additionalProperties") is False:
            unknown = [
                k
                for k in instance
                if k not in known and not any(re.search(p, str(k)) for p in error.schema.get("patternProperties", {}))
            ]
        # Nothing unknown: the properties were declared only in a failing branch, which has its own finding.
        return [
            (
                path + (key,),
                f"unknown field {key!r}",
                _close(str(key), known) or _RETRY_FIELDS.get(str(key)) or "remove it; extensions must start with 'x-'",
            )
            for key in unknown
        ]
    if validator == "oneOf" and _all_required(error.validator_value):
        options = [next(iter(branch["required"])) for branch in error.validator_value]
        present = [o for o in options if isinstance(instance, dict) and o in instance]
        listed = _or_list(options)
        if present:
            return [
                (
                    path,
                    f"names both {present[0]!r} and {present[1]!r}; exactly one of {listed} is allowed",
                    "keep one of them",
                )
            ]
        return [(path, f"needs one of {listed}", "add the one that says what this does")]
    if validator == "required":
        missing = [name for name in error.validator_value if isinstance(instance, dict) and name not in instance]
        return [(path, f"missing required field {name!r}", "add it") for name in missing[:1]]
    if validator == "type":
        expected = error.validator_value
        found = "null" if instance is None else f"{_json_type(instance)} {_short(instance)}"
        return [
            (
                path,
                f"{_TYPE_PREFIX}{_or_list(expected) if isinstance(expected, list) else expected}, found {found}",
                _type_hint(expected, instance),
            )
        ]
    if validator == "uniqueItems" and isinstance(instance, list):
        if path and path[-1] in _ID_ARRAYS:
            return []  # identical items have identical ids: the duplicate-id check reports them
        first, second = _duplicate_pair(instance)
        return [(path + (second,), f"item {second} repeats item {first}", "remove one of them")]
    if validator == "enum":
        return [
            (
                path,
                f"{_short(instance)} is not one of {', '.join(map(str, error.validator_value))}",
                _enum_hint(path, instance, error.validator_value),
            )
        ]
    if validator == "pattern":
        return [
            (
                path,
                f"{_short(instance)} does not match the pattern {error.validator_value!r}",
                _pattern_hint(instance, error.validator_value),
            )
        ]
    if validator == "minItems" and error.validator_value == 1:
        return [
            (
                path,
                "must not be empty",
                _NOT_EMPTY.get(str(path[-1]) if path else "", "add at least one item, or leave the field out"),
            )
        ]
    message = str(error.message)
    message = message if len(message) < 200 else message[:197] + "..."
    return [(path, _SCHEMA_PREFIX + message, None)]


_NOT_EMPTY = {
    "steps": "a workflow needs at least one step",
    "workflows": "an Arazzo document needs at least one workflow",
    "sourceDescriptions": "name at least one OpenAPI or Arazzo document the workflows use",
}


def _type_hint(expected: Any, instance: Any) -> str:
    """How to write a value of the expected JSON type in YAML."""
    if instance is None:
        return "nothing is written here (YAML reads an empty value or a lone '-' as null): fill it in, or remove it"
    kinds = expected if isinstance(expected, list) else [expected]
    if "array" in kinds:
        return "write a list: one item per line, each starting with '- '"
    if "object" in kinds:
        return "write a mapping: one 'key: value' per line, indented below the key"
    if "string" in kinds and not isinstance(instance, (dict, list)):
        return f"quote it to make it a string: {json.dumps(str(instance).lower() if isinstance(instance, bool) else str(instance))}"
    if "boolean" in kinds:
        return "write true or false, without quotes"
    if "integer" in kinds or "number" in kinds:
        return "write a number, without quotes"
    return "write a value of the type the field takes"


def _enum_hint(path: JsonPath, instance: Any, allowed: Any) -> str:
    options = [str(o) for o in allowed] if isinstance(allowed, list) else []
    if path and path[-1] == "in" and instance == "body":
        return "a request body is written as the step's requestBody (payload, contentType), not as a parameter"
    return _close(str(instance), options) or ("use " + _or_list(options) if options else "use one of the listed values")


_CHARACTER_CLASSES = {
    "[A-Za-z0-9_\\-]": "letters, digits, '_' and '-'",
    "[a-zA-Z0-9\\.\\-_]": "letters, digits, '.', '-' and '_'",
}


def _pattern_hint(instance: Any, pattern: Any) -> str:
    """For a character-class pattern such as ^[A-Za-z0-9_\\-]+$: the characters it
    allows, and the value with the others replaced, when that matches."""
    match = re.fullmatch(r"\^(\[[^\]]+\])\+\$", str(pattern))
    if match and isinstance(instance, str):
        outside = "[^" + match.group(1)[1:]
        fixed = re.sub(outside + "+", "_", instance).strip("_")
        if fixed and re.fullmatch(str(pattern), fixed):
            allowed = _CHARACTER_CLASSES.get(match.group(1), f"the characters {match.group(1)}")
            return f"use only {allowed}, e.g. {fixed!r}"
    return "change the value to match the pattern"


def _deepest(error: ValidationError) -> ValidationError:
    """Follow anyOf/oneOf failures into the branch the instance was meant for.

    A branch whose failure is a missing required key that the instance does not
    have (a reusable ``reference`` on an inline action, say) was not meant: the
    instance's own shape picks among the others."""
    while error.context:
        if error.validator == "oneOf" and _all_required(error.validator_value):
            return error
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            key = sub.relative_schema_path[0] if sub.relative_schema_path else 0
            branches.setdefault(key, []).append(sub)
        meant = [
            errs
            for errs in branches.values()
            if not any(e.validator == "required" and not e.relative_path for e in errs)
        ]
        pool = [e for errs in (meant or list(branches.values())) for e in errs]
        candidate = best_match(pool)
        if candidate is None:
            break
        error = candidate
    return error


def _all_required(branches: Any) -> bool:
    return (
        isinstance(branches, list)
        and len(branches) > 1
        and all(isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in branches)
    )


def _known_properties(schema: Any, root: Any = None, depth: int = 0) -> list[str]:
    """The property names a schema declares, in its allOf/anyOf/oneOf branches too;
    with ``root`` (the 1.1 schema, whose step objects are allOfs of ``$ref``s),
    local ``$ref``s are followed as well."""
    names: set[str] = set()
    if root is not None and isinstance(schema, dict) and depth < 8:
        refs = [schema.get("$ref")] + [
            b.get("$ref")
            for key in ("allOf", "anyOf", "oneOf")
            for b in schema.get(key, []) or []
            if isinstance(b, dict)
        ]
        for ref in refs:
            if isinstance(ref, str) and ref.startswith("#/"):
                target = root
                for token in ref[2:].split("/"):
                    target = target.get(token) if isinstance(target, dict) else None
                names.update(_known_properties(target, root, depth + 1))
    if isinstance(schema, dict):
        names.update(schema.get("properties", {}) or {})
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key, []) or []:
                if isinstance(branch, dict):
                    names.update(branch.get("properties", {}) or {})
    return sorted(names)


def _or_list(items: Iterable[Any]) -> str:
    names = [str(i) for i in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


_ARTICLE = {
    "null": "null",
    "boolean": "a boolean",
    "number": "a number",
    "string": "a string",
    "array": "a list",
    "object": "an object",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _duplicate_pair(items: list[Any]) -> tuple[int, int]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in seen:
            return seen[key], index
        seen[key] = index
    return 0, len(items) - 1


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# -- quirks of real documents ----------------------------------------------------------


def _any_replacement_value(path: JsonPath, findings: list[tuple[str, str | None]]) -> bool:
    """A replacement value that is a number, boolean, list or mapping: the Arazzo 1.0.1
    text types ``value`` as "Any | {expression}" (a constant or a runtime expression);
    only the official JSON Schema says string.  The text is normative, so such a
    value is accepted as written (null stays refused: an empty ``value:`` is a slip)."""
    if (
        len(path) != 8
        or path[0] != "workflows"
        or path[2] != "steps"
        or path[4:6] != ("requestBody", "replacements")
        or path[7] != "value"
    ):
        return False
    return all(
        message.startswith(_TYPE_PREFIX + "string, found ") and not message.endswith("found null")
        for message, _ in findings
    )


#: Where the retry fields belong, for a hint wherever they are written elsewhere.
_RETRY_FIELDS = {
    "retryAfter": "retryAfter belongs on retry actions (type: retry, in onFailure or failureActions): change the type, or remove it",
    "retryLimit": "retryLimit belongs on retry actions (type: retry, in onFailure or failureActions): change the type, or remove it",
}


def _close(word: str, options: Iterable[str]) -> str | None:
    match = get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None
