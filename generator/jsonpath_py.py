"""Simple JSONPath criteria compiled to plain Python at generation time.

A criterion of type ``jsonpath`` holds when its query selects at least one node from
the context wrapped in a one-element array (templates/runtime/jsonpath.py.jinja).
For the common shape ``$[?<filter>]`` that test is the filter applied to the context
itself, and a filter made only of comparisons between singular relative queries
(``@.status``, ``@.items[0].price``) and literals, existence tests (``@.id``) and
``&&``, ``||``, ``!`` needs no query evaluator at all: it becomes an expression over
three small runtime helpers (``jp_member``, ``jp_equal``, ``jp_compare``), the same
functions the evaluator itself compares with, so both agree on every value
(tests/unit/test_jsonpath_compiled.py checks them against each other).

Anything else (functions, descendant segments, wildcards, slices, absolute queries
inside the filter, Goessner's flavour) returns None: the general evaluator runs it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .expressions import runtime_part
from .pycode import py_str

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _NotSimple(Exception):
    """The query is outside the compiled subset."""


def compile_jsonpath_test(query: str, context: str, *, goessner: bool = False) -> str | None:
    """Python source equivalent to ``_runtime.jsonpath_test(<context>, query)``, or None
    when the query is outside the subset.  ``query`` must be well-formed (checked before)."""
    if goessner:
        return None
    part = runtime_part("jsonpath")
    parsed = part["jsonpath_parse"](query)
    if len(parsed.segments) != 1:
        return None
    segment = parsed.segments[0]
    if segment.descendant or len(segment.selectors) != 1 or not isinstance(segment.selectors[0], part["_JPFilter"]):
        return None
    compiler = _Compiler(part, context)
    try:
        source = compiler.test(segment.selectors[0].expr)
    except _NotSimple:
        return None
    if compiler.uses > 1 and not _IDENTIFIER.match(context):
        return None  # the context would be computed more than once
    return source


class _Compiler:
    def __init__(self, part: dict[str, Any], context: str) -> None:
        self.part = part
        self.context = context
        self.uses = 0

    def test(self, expr: Any) -> str:
        """Source of a boolean: the filter expression ``expr`` holds for the context."""
        part = self.part
        if isinstance(expr, part["_JPLogical"]):
            if expr.op == "!":
                return f"not ({self.test(expr.operands[0])})"
            joiner = " and " if expr.op == "&&" else " or "
            return joiner.join(f"({self.test(operand)})" for operand in expr.operands)
        if isinstance(expr, part["_JPCompare"]):
            left, right = self.value(expr.left), self.value(expr.right)
            if expr.op == "==":
                return f"_runtime.jp_equal({left}, {right})"
            if expr.op == "!=":
                return f"not _runtime.jp_equal({left}, {right})"
            return f"_runtime.jp_compare({py_str(expr.op)}, {left}, {right})"
        if isinstance(expr, part["_JPQuery"]):
            return f"_runtime.jp_exists({self.member(expr)})"
        raise _NotSimple

    def value(self, expr: Any) -> str:
        """Source of a comparable value: a literal, or the node of a singular query (or Nothing)."""
        if isinstance(expr, self.part["_JPLiteral"]):
            return _literal(expr.value)
        if isinstance(expr, self.part["_JPQuery"]):
            return self.member(expr)
        raise _NotSimple

    def member(self, query: Any) -> str:
        """``_runtime.jp_member(<context>, "a", 0, ...)`` for a singular relative query."""
        part = self.part
        if query.root != "@" or not query.singular():
            raise _NotSimple
        steps: list[str] = []
        for segment in query.segments:
            selector = segment.selectors[0]
            if isinstance(selector, part["_JPName"]):
                steps.append(py_str(selector.name))
            else:
                steps.append(str(int(selector.index)))
        self.uses += 1
        return "_runtime.jp_member(" + ", ".join([self.context, *steps]) + ")"


def _literal(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    raise _NotSimple
