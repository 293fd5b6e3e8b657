"""The rules by which a value fits a field, for the compile-time request checks
(request_check.py): JSON types (an integer is a number), values sent as JSON and
values sent as text (parameters and form fields, where "42" is an integer), enums,
and the names and places the messages show.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from .diagnostics import Severity
from .request_schema import describe_kinds, kind_of, same_value, show_value, show_values
from .resolve import SchemaLoc

INTEGER_TEXT = re.compile(r"[+-]?\d+")
NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: (severity, problem, hint) of a value that does not fit.
Problem = tuple[Severity, str, str | None]


def meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The JSON types both allow (an integer is a number)."""
    if a is None or b is None:
        return b if a is None else a
    both = set(a & b)
    if ("integer" in a and "number" in b) or ("number" in a and "integer" in b):
        both.add("integer")
    return frozenset(both)


def kind_fits(kind: str, kinds: frozenset[str], text: bool) -> str:
    """ "ok", "maybe" or "no": does every value of JSON type ``kind`` fit ``kinds``?"""
    if kind in kinds or (kind == "integer" and "number" in kinds):
        return "ok"
    if kind == "number" and "integer" in kinds:
        return "maybe"
    if not text:
        return "no"
    if kinds & {"array", "object"}:
        return "maybe"  # a serialization style decides
    if "string" in kinds:
        return "ok" if kind not in ("array", "object") else "no"
    if kind == "string":
        return "maybe"  # "42" is an integer parameter
    return "no"


def json_problem(value: Any, kinds: frozenset[str] | None, enums: list[list[Any]]) -> Problem | None:
    for allowed in enums:
        if not any(same_value(value, a) for a in allowed):
            return (
                Severity.ERROR,
                f"{show_value(value)} is not one of the allowed values {show_values(allowed)}",
                enum_hint(value, allowed),
            )
    kind = kind_of(value)
    if kinds is None or kind is None or kind in kinds or (kind == "integer" and "number" in kinds):
        return None
    if kind == "null":
        return (
            Severity.WARNING,
            f"null is written, but the schema takes {describe_kinds(kinds)} (it is not nullable)",
            None,
        )
    hint = None
    if isinstance(value, str) and kinds & {"integer", "number"} and NUMBER_TEXT.fullmatch(value.strip()):
        hint = f"write {value.strip()} without quotes"
    elif isinstance(value, str) and "boolean" in kinds and value.strip().lower() in ("true", "false"):
        hint = f"write {value.strip().lower()} without quotes"
    elif not isinstance(value, str) and "string" in kinds:
        hint = f"quote it: '{show_value(value)}'"
    return (
        Severity.ERROR,
        f"{show_value(value)} is {article(kind)}, but the schema takes {describe_kinds(kinds)}",
        hint,
    )


def text_problem(value: Any, kinds: frozenset[str] | None, enums: list[list[Any]]) -> Problem | None:
    """A value sent as text (a parameter, a form field) against its schema."""
    text = wire_text(value)
    for allowed in enums:
        if not any(wire_text(a) == text for a in allowed):
            return (
                Severity.ERROR,
                f"{show_value(value)} is not one of the allowed values {show_values(allowed)}",
                enum_hint(value, allowed),
            )
    if kinds is None or kinds & {"string", "array", "object", "null"} or value is None:
        return None
    stripped = text.strip()
    if "integer" in kinds and INTEGER_TEXT.fullmatch(stripped):
        return None
    if "number" in kinds and (NUMBER_TEXT.fullmatch(stripped) or stripped.lower() in ("inf", "-inf")):
        return None
    if "boolean" in kinds and stripped.lower() in ("true", "false"):
        return None
    return Severity.ERROR, f"{show_value(value)} is not {describe_kinds(kinds)}", None


def wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def equal(value: Any, allowed: Any, text: bool) -> bool:
    return wire_text(value) == wire_text(allowed) if text else same_value(value, allowed)


def enum_hint(value: Any, allowed: list[Any]) -> str | None:
    strings = [a for a in allowed if isinstance(a, str)]
    if isinstance(value, str):
        meant = close_name(value, strings, 0.6) or next((a for a in strings if a.lower() == value.lower()), None)
        if meant is not None:
            return f"did you mean {meant!r}?"
    elif any(wire_text(a) == wire_text(value) for a in allowed):
        shown = next(a for a in allowed if wire_text(a) == wire_text(value))
        return f"write {show_value(shown)}"
    return None  # the schema's place, then


def close_name(name: str, candidates: list[str], cutoff: float) -> str | None:
    by_fold = {c.lower().replace("_", "").replace("-", ""): c for c in candidates}
    folded = name.lower().replace("_", "").replace("-", "")
    if folded in by_fold and by_fold[folded] != name:
        return by_fold[folded]
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=cutoff)
    return found[0] if found else None


def article(kind: str | None) -> str:
    return describe_kinds({kind}) if kind else "a value"


def schema_name(loc: SchemaLoc, keyword: str) -> str:
    ref = loc.value.get("$ref") if isinstance(loc.value, dict) else None
    if isinstance(ref, str) and "/" in ref:
        return ref.rsplit("/", 1)[-1]
    return f"{keyword}[{loc.path[-1]}]"


def schema_place(loc: SchemaLoc) -> str:
    pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc.path)
    return f"the schema is {loc.file.display}#{pointer}"
