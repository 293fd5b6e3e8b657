"""The checks of a workflow's inputs schema, compiled for the generated code.

Each input's schema is cut to the keywords the runtime checks (``_runtime.check_inputs``,
generator/runtime/inputs.py): type, enum, const, pattern, minLength/maxLength,
minimum/maximum (and the exclusive forms of 3.0 and 3.1), multipleOf, format (those
pydantic checks), minItems/maxItems, uniqueItems, required, minProperties/maxProperties,
and the same inside items, properties and additionalProperties.  Other keywords (a
nested $ref, allOf/anyOf/oneOf, ...) are not checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .regex import RegexError, ecma_pattern

#: The formats the runtime checks with pydantic (date-time must carry an offset).
FORMATS = frozenset({"date-time", "date", "time", "uuid", "uri", "ipv4", "ipv6"})
_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
_BOUNDS = ("minimum", "maximum")
#: Deepest nesting of items/properties compiled; deeper levels are not checked.
MAX_DEPTH = 16


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _json_like(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_like(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v, depth + 1) for k, v in value.items())
    return False


def compile_schema(schema: Any, warn: Callable[[str], None], depth: int = 0) -> dict[str, Any]:
    """The checks of ``schema`` (an empty dict: nothing to check).  ``warn`` hears of a
    pattern Python cannot run (it is left unchecked)."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH or "$ref" in schema:
        return {}
    out: dict[str, Any] = {}
    raw_type = schema.get("type")
    types = (
        [raw_type]
        if isinstance(raw_type, str)
        else [t for t in raw_type if isinstance(t, str)] if isinstance(raw_type, list) else []
    )
    types = [t for t in types if t in _TYPES]
    if types and schema.get("nullable") is True and "null" not in types:
        types.append("null")
    if types:
        out["type"] = types
    if isinstance(schema.get("enum"), list) and schema["enum"] and _json_like(schema["enum"]):
        out["enum"] = schema["enum"]
    if "const" in schema and _json_like(schema["const"]):
        out["const"] = schema["const"]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            out["regex"] = ecma_pattern(pattern)  # what the runtime compiles; "pattern" is quoted in messages
        except RegexError as exc:
            warn(
                f"the pattern {pattern!r} is not an ECMA-262 regular expression Python can run ({exc}); it is not checked"
            )
        else:
            out["pattern"] = pattern
    for key in _COUNTS:
        value = schema.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            out[key] = value
    for key in _BOUNDS:
        if _number(schema.get(key)):
            exclusive = "exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"
            out[exclusive if schema.get(exclusive) is True else key] = schema[key]  # OpenAPI 3.0's boolean form
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if _number(schema.get(key)):
            out[key] = schema[key]
    if _number(schema.get("multipleOf")) and schema["multipleOf"] > 0:
        out["multipleOf"] = schema["multipleOf"]
    if schema.get("format") in FORMATS:
        out["format"] = schema["format"]
    if schema.get("uniqueItems") is True:
        out["uniqueItems"] = True
    required = schema.get("required")
    if isinstance(required, list) and required and all(isinstance(r, str) for r in required):
        out["required"] = required
    items = compile_schema(schema.get("items"), warn, depth + 1)
    if items:
        out["items"] = items
    properties = schema.get("properties")
    if isinstance(properties, dict):
        compiled = {str(name): compile_schema(sub, warn, depth + 1) for name, sub in properties.items()}
        compiled = {name: sub for name, sub in compiled.items() if sub}
        if compiled:
            out["properties"] = compiled
    extra = schema.get("additionalProperties")
    if extra is False:
        out["additionalProperties"] = False
        out["known"] = sorted(str(name) for name in properties) if isinstance(properties, dict) else []
    elif isinstance(extra, dict):
        compiled_extra = compile_schema(extra, warn, depth + 1)
        if compiled_extra:
            out["additionalProperties"] = compiled_extra
            out["known"] = sorted(str(name) for name in properties) if isinstance(properties, dict) else []
    return out
