"""Condition text rewritten by ``arazzo-codegen upgrade`` (see upgrade): ``{$`` in
regexes, and JSONPath queries whose root changes between Arazzo 1.0 and 1.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def _matches_empty(pattern: str) -> bool:
    """Does the regex condition (ECMA-262, as the compiler translates it) match ''?"""
    from .regex import RegexError, ecma_pattern

    try:
        return re.search(ecma_pattern(pattern), "") is not None
    except (RegexError, re.error):
        return False  # the compiler reports it


# -- rewriting conditions ---------------------------------------------------------


def _regex_braces(pattern: str) -> str | None:
    """``{$`` written ``[{]$`` (same match, no 1.1 substitution); None when one is
    inside a character class."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        ch = pattern[index]
        if ch == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if ch == "{" and pattern.startswith("{$", index):
                return None
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "{" and pattern.startswith("{$", index):
            out.append("[{]")
            index += 1
            continue
        out.append(ch)
        index += 1
    return "".join(out)


def _jsonpath_chars(query: str, start: int = 0) -> Iterator[tuple[int, str, bool]]:
    """Each character of a JSONPath query from ``start`` with whether it belongs to a
    string literal (its quotes included); an escape inside a literal comes as one
    two-character item."""
    quote: str | None = None
    index = start
    while index < len(query):
        ch = query[index]
        if quote is None:
            if ch in "'\"":
                quote = ch
            yield index, ch, quote is not None
            index += 1
            continue
        if ch == "\\":
            yield index, query[index : index + 2], True
            index += 2
            continue
        if ch == quote:
            quote = None
        yield index, ch, True
        index += 1


def _jsonpath_braces(query: str) -> str | None:
    """``{`` inside JSONPath string literals written ``\\u007b`` (``}`` as
    ``\\u007d``); None when a brace stands outside a string."""
    out: list[str] = []
    for _, ch, in_string in _jsonpath_chars(query):
        if in_string:
            out.append({"{": "\\u007b", "}": "\\u007d"}.get(ch, ch))
        elif ch in "{}":
            return None
        else:
            out.append(ch)
    return "".join(out)


def _segment_end(query: str, start: int) -> int:
    """The index just past the bracketed segment that opens at ``query[start] == '['``."""
    depth = 0
    for index, ch, in_string in _jsonpath_chars(query, start):
        if in_string:
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


def _reroot(filter_text: str) -> str:
    """``@`` at the top level of a filter (not inside a nested bracket) written ``$``."""
    out: list[str] = []
    depth = 0
    for _, ch, in_string in _jsonpath_chars(filter_text):
        if not in_string:
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
            elif ch == "@" and depth == 0:
                ch = "$"
        out.append(ch)
    return "".join(out)


def _jsonpath_root(query: str, *, goessner: bool) -> tuple[str, bool] | None:
    """The 1.1 spelling of a 1.0 JSONPath condition and whether it is exact (same
    verdict on every context); None when there is no mechanical rewrite; ValueError
    when the query does not parse."""
    from .expressions import runtime_part

    part = runtime_part("jsonpath")
    try:
        parsed = part["jsonpath_parse"](query, goessner=goessner)
    except part["JsonPathError"]:
        raise ValueError(query) from None  # malformed: the compiler reports it
    segments = parsed.segments
    if not segments:
        return query, True
    if _inner_root(query.strip()):
        return None  # a '$' inside a filter is the wrapper array in 1.0, the context in 1.1
    first = segments[0]
    selector = first.selectors[0] if len(first.selectors) == 1 else None
    body = query.strip()
    rest = body[1:].lstrip()
    if first.descendant:
        # $..name: the wrapper array has no member names, so the nodelist is the same.
        return (query, True) if all(isinstance(s, part["_JPName"]) for s in first.selectors) else None
    if isinstance(selector, part["_JPWildcard"]) or (
        isinstance(selector, part["_JPIndex"]) and selector.index in (0, -1)
    ):
        end = 2 if rest.startswith(".*") else _segment_end(rest, 0) if rest.startswith("[") else -1
        if end < 0:
            return None
        return "$" + rest[end:].lstrip(), True
    if isinstance(selector, part["_JPFilter"]) and len(segments) == 1 and rest.startswith("["):
        end = _segment_end(rest, 0)
        if end != len(rest.rstrip()):
            return None
        inner = rest[1 : end - 1].lstrip()
        assert inner.startswith("?")
        fixed = "$[?" + _reroot(inner[1:]).strip() + "]"
        try:
            part["jsonpath_parse"](fixed, goessner=goessner)
        except part["JsonPathError"]:
            return None
        return fixed, _needs_members(selector.expr, part)
    return None


def _inner_root(query: str) -> bool:
    """Does the query use ``$`` after its first character (outside string literals)?"""
    return any(ch == "$" and not in_string for _, ch, in_string in _jsonpath_chars(query, 1))


def _needs_members(expr: Any, part: dict[str, Any]) -> bool:
    """True when the filter can only hold on a context that has a member (so that the
    1.1 root filter, which runs once per member, gives the same verdict)."""
    if isinstance(expr, part["_JPLogical"]):
        if expr.op == "&&":
            return any(_needs_members(e, part) for e in expr.operands)
        if expr.op == "||":
            return all(_needs_members(e, part) for e in expr.operands)
        return False
    if isinstance(expr, part["_JPQuery"]):  # existence test
        return expr.root == "@" and bool(expr.segments)
    if isinstance(expr, part["_JPCompare"]):
        for mine, other in ((expr.left, expr.right), (expr.right, expr.left)):
            if not isinstance(other, part["_JPLiteral"]) or other.value is None:
                continue
            if isinstance(mine, part["_JPQuery"]) and mine.root == "@" and mine.segments and expr.op != "!=":
                return True  # Nothing compares false with a value (RFC 9535 2.3.5.2.2)
            if (
                isinstance(mine, part["_JPCall"])
                and mine.name == "length"
                and expr.op != "!="
                and _relative(mine.args, part)
            ):
                return True  # length(Nothing) is Nothing
            if (
                isinstance(mine, part["_JPCall"])
                and mine.name == "count"
                and mine is expr.left
                and _relative(mine.args, part)
            ):
                value = other.value
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return (expr.op == ">" and value >= 0) or (expr.op in (">=", "==") and value >= 1)
    return False


def _relative(args: list[Any], part: dict[str, Any]) -> bool:
    return len(args) == 1 and isinstance(args[0], part["_JPQuery"]) and args[0].root == "@" and bool(args[0].segments)
