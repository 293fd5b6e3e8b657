"""Inputs: the checks of the inputs schema, run before any request.

arazzo_codegen.inputs compiles each input's schema to the keywords checked here.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from .errors import InvalidInput

_JSON_TYPES: dict[str, str] = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def check_inputs(*checks: tuple[str, str, Any, Mapping[str, Any]]) -> None:
    """Raise InvalidInput naming every input (original name and argument) whose value
    its schema rejects.  ``checks``: (input name, argument name, value, compiled schema,
    whose ``optional`` lets None mean "left out").  No message quotes a value."""
    problems: list[tuple[str, str, str]] = []
    for original, argument, value, schema in checks:
        if value is None and schema.get("optional"):
            continue
        if schema == _JUST_A_STRING and isinstance(value, str):
            continue  # the schema asks for a string and nothing more: nothing to walk
        found = _input_problem(value, schema, "")
        if found is not None:
            where, problem = found
            problems.append(
                (original, argument, f"at {where}: {problem}" if where else problem)
            )
    if problems:
        raise InvalidInput(problems)


#: The compiled schema of an input that is a string and nothing more (the common case).
_JUST_A_STRING: Mapping[str, Any] = {"type": ["string"]}


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _has_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "object":
        return isinstance(value, Mapping)
    return True


def _same(a: Any, b: Any) -> bool:
    """JSON equality: True is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@functools.lru_cache(maxsize=256)
def _ecma_regex(regex: str) -> re.Pattern[str]:
    """A ``pattern`` compiled: the generator translated it from ECMA-262 (arazzo_codegen.regex)."""
    return re.compile(regex)


@functools.cache
def _format_check(name: str) -> Callable[[str], object]:
    """A pydantic check of the string format ``name`` (date-time must carry an offset)."""
    import datetime
    import ipaddress
    import uuid

    from pydantic import AnyUrl, AwareDatetime, TypeAdapter

    kinds: dict[str, Any] = {
        "date-time": AwareDatetime,
        "date": datetime.date,
        "time": datetime.time,
        "uuid": uuid.UUID,
        "uri": AnyUrl,
        "ipv4": ipaddress.IPv4Address,
        "ipv6": ipaddress.IPv6Address,
    }
    adapter: TypeAdapter[Any] = TypeAdapter(kinds[name])
    return adapter.validate_python


def _input_problem(
    value: Any, schema: Mapping[str, Any], where: str
) -> tuple[str, str] | None:
    """What ``schema`` finds wrong with ``value`` (at JSON pointer ``where``), or None.
    Recursion follows the compiled schema, whose depth the generator bounds."""
    types = schema.get("type")
    if types and not any(_has_type(value, kind) for kind in types):
        return (
            where,
            f"expected {' or '.join(_JSON_TYPES.get(k, k) for k in types)}, got {_kind(value)}",
        )
    if "enum" in schema and not any(_same(value, member) for member in schema["enum"]):
        return (
            where,
            f"is not one of {', '.join(json.dumps(m) for m in schema['enum'])}",
        )
    if "const" in schema and not _same(value, schema["const"]):
        return where, f"is not {json.dumps(schema['const'])}"
    if isinstance(value, str):
        problem = _string_problem(value, schema)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        problem = _number_problem(value, schema)
    elif isinstance(value, (list, tuple)):
        return _array_problem(value, schema, where)
    elif isinstance(value, Mapping):
        return _object_problem(value, schema, where)
    else:
        problem = None
    return None if problem is None else (where, problem)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _string_problem(value: str, schema: Mapping[str, Any]) -> str | None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        return f"is shorter than {_plural(schema['minLength'], 'character')}"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"is longer than {_plural(schema['maxLength'], 'character')}"
    if "pattern" in schema and _ecma_regex(schema["regex"]).search(value) is None:
        return f"does not match the pattern {schema['pattern']}"
    if "format" in schema:
        try:
            _format_check(schema["format"])(value)
        except ValidationError:
            return f"is not a valid {schema['format']}"
    return None


def _number_problem(value: float, schema: Mapping[str, Any]) -> str | None:
    if "minimum" in schema and value < schema["minimum"]:
        return f"is less than {schema['minimum']}"
    if "maximum" in schema and value > schema["maximum"]:
        return f"is greater than {schema['maximum']}"
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        return f"is not greater than {schema['exclusiveMinimum']}"
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        return f"is not less than {schema['exclusiveMaximum']}"
    step = schema.get("multipleOf")
    if step is not None and not math.isclose(
        value / step, round(value / step), rel_tol=0, abs_tol=1e-9
    ):
        return f"is not a multiple of {step}"
    return None


def _array_problem(
    value: Sequence[Any], schema: Mapping[str, Any], where: str
) -> tuple[str, str] | None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        return where, f"has fewer than {_plural(schema['minItems'], 'item')}"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return where, f"has more than {_plural(schema['maxItems'], 'item')}"
    if schema.get("uniqueItems") and any(
        _same(a, b) for i, a in enumerate(value) for b in value[i + 1 :]
    ):
        return where, "has repeated items"
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            found = _input_problem(item, items, f"{where}/{index}")
            if found is not None:
                return found
    return None


def _object_problem(
    value: Mapping[str, Any], schema: Mapping[str, Any], where: str
) -> tuple[str, str] | None:
    for name in schema.get("required", ()):
        if name not in value:
            return where, f"lacks the required member {json.dumps(name)}"
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        return where, f"has fewer than {_plural(schema['minProperties'], 'member')}"
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        return where, f"has more than {_plural(schema['maxProperties'], 'member')}"
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    known = set(schema.get("known", ()))
    for name, member in value.items():
        pointer = f"{where}/{str(name).replace('~', '~0').replace('/', '~1')}"
        if name in properties:
            found = _input_problem(member, properties[name], pointer)
        elif extra is False and name not in known:
            found = (
                where,
                f"has a member the schema does not allow: {json.dumps(str(name))}",
            )
        elif isinstance(extra, Mapping) and name not in known:
            found = _input_problem(member, extra, pointer)
        else:
            found = None
        if found is not None:
            return found
    return None
