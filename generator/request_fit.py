"""The rules by which a value fits a field, for the compile-time request checks
(request_check.py): JSON types (an integer is a number), values sent as JSON and
values sent as text (parameters and form fields, where "42" is an integer), enums,
and the names and places the messages show.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .diagnostics import JsonPath, Severity
from .request_schema import describe_kinds, kind_of, same_value, show_value, show_values
from .resolve import SchemaLoc

INTEGER_TEXT = re.compile(r"[+-]?\d+")
NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: (severity, problem, hint) of a value that does not fit.
Problem = tuple[Severity, str, str | None]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    at: JsonPath
    subject: str
    problem: str
    hint: str | None
    #: An enum miss of a literal: (the value, the values allowed), to merge the misses of alternatives.
    miss: tuple[Any, tuple[Any, ...]] | None = None

    @property
    def message(self) -> str:
        return f"{self.subject}: {self.problem}"


def merged_miss(failures: list[list[Finding]], members: set[JsonPath]) -> Finding | None:
    """One enum miss for a member that misses the values of every alternative (each
    alternative's own value of ``provider``, say): the values of all of them."""
    for first in failures[0]:
        if first.miss is None or first.at not in members:
            continue
        misses = [next((f for f in errors if f.miss is not None and f.at == first.at), None) for errors in failures]
        if any(m is None for m in misses):
            continue
        value = first.miss[0]
        allowed: list[Any] = []
        for m in misses:
            assert m is not None and m.miss is not None
            allowed += [a for a in m.miss[1] if not any(same_value(a, b) for b in allowed)]
        problem = f"{show_value(value)} is not one of the allowed values {show_values(allowed)}"
        return Finding(Severity.ERROR, first.at, first.subject, problem, enum_hint(value, allowed) or first.hint)
    return None


CLIENT_ERROR = re.compile(r"\$statusCode\s*(==|>=|>)\s*4\d\d\b|\b4\d\d\s*(==|<=|<)\s*\$statusCode")


def expects_client_error(step: dict[str, Any]) -> bool:
    """True when a success criterion of the step reads a 4xx status as success."""
    criteria = step.get("successCriteria")
    return any(
        isinstance(c, dict) and isinstance(c.get("condition"), str) and CLIENT_ERROR.search(c["condition"]) is not None
        for c in (criteria if isinstance(criteria, list) else [])
    )


@dataclass(frozen=True)
class Shape:
    """What generation time knows of a value that is not written out: its JSON types
    and, when it is an enum, its values."""

    what: str  # "input 'x'", "the template '...'"
    kinds: frozenset[str]
    values: tuple[Any, ...] | None = None
    template: str | None = None  # the template's text
    fixed_text: bool = False  # the template has text of its own around its expressions


def shape_problems(shape: Shape, kinds: frozenset[str] | None, enums: list[list[Any]], text: bool) -> list[Problem]:
    """What does not fit, or may not, when a value of ``shape`` goes where ``kinds`` and
    ``enums`` are allowed."""
    if shape.template is not None:
        if text or kinds is None or "string" in kinds:
            return []
        problem = f"{shape.what} makes a string, but the schema takes {describe_kinds(kinds)}"
        if shape.fixed_text:
            return [
                (Severity.ERROR, problem, "a template always makes text; send the value by a runtime expression alone")
            ]
        plain = shape.template.strip()[1:-1]
        return [(Severity.WARNING, problem, f"write {plain!r} (without braces) to send the value with its own type")]
    if kinds is not None:
        verdicts = {k: kind_fits(k, kinds, text) for k in shape.kinds}
        declared = f"{shape.what} is declared as {describe_kinds(shape.kinds)}"
        hint = f"declare the input with the field's type ({describe_kinds(kinds)}) in the workflow's inputs schema"
        if all(v == "no" for v in verdicts.values()):
            return [(Severity.ERROR, f"{declared}, but the schema takes {describe_kinds(kinds)}", hint)]
        if any(v != "ok" for v in verdicts.values()):
            return [(Severity.WARNING, f"{declared}, which may not fit {describe_kinds(kinds)}", hint)]
    out: list[Problem] = []
    subset = "make the input's enum a subset of the field's"
    for allowed in enums:
        takes = f"the schema takes one of {show_values(allowed)}"
        if shape.values is None:
            if any(kind_of(v) in shape.kinds for v in allowed):
                declare = f"declare enum: [{', '.join(show_value(v) for v in allowed[:10])}] on the input"
                out.append(
                    (
                        Severity.WARNING,
                        f"{shape.what} may be any {' or '.join(sorted(shape.kinds))}, but {takes}",
                        declare,
                    )
                )
            continue
        fits = [any(equal(v, a, text) for a in allowed) for v in shape.values]
        if not any(fits):
            values = show_values(list(shape.values))
            out.append((Severity.ERROR, f"none of the values of {shape.what} ({values}) is allowed: {takes}", subset))
        elif not all(fits):
            outside = show_values([v for v, ok in zip(shape.values, fits) if not ok])
            out.append(
                (
                    Severity.WARNING,
                    f"{shape.what} may be {outside}, which the schema does not allow (it takes one of {show_values(allowed)})",
                    subset,
                )
            )
    return out


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
