"""JSONPath (RFC 9535), compiled.

The generator parses every JSONPath query (with the jsonpath-rfc9535 library) and
compiles it to plain Python: a list comprehension over the nodes each segment
selects, and filter tests as Python comparisons.  These are the few helpers that
code calls; no query is parsed at run time.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = [
    "jp_children",
    "jp_compare",
    "jp_descendants",
    "jp_equal",
    "jp_exists",
    "jp_index",
    "jp_length",
    "jp_length_member",
    "jp_match",
    "jp_member",
    "jp_name",
    "jp_nothing",
    "jp_one",
    "jp_search",
    "jp_slice",
    "jp_value",
]


class _Nothing:
    """RFC 9535 'Nothing': no value at all, which is not JSON null."""

    def __repr__(self) -> str:
        return "Nothing"


_NOTHING = _Nothing()
#: Nothing, for compiled code that names it.
jp_nothing = _NOTHING


def jp_member(value: Any, *path: str | int) -> Any:
    """The node the singular query ``@.a[0].b`` (path ``"a", 0, "b"``) selects from
    ``value``, or Nothing when there is none."""
    node = value
    for step in path:
        if isinstance(step, str):
            if not isinstance(node, dict) or step not in node:
                return _NOTHING
            node = node[step]
        elif isinstance(node, list) and -len(node) <= step < len(node):
            node = node[step]
        else:
            return _NOTHING
    return node


def jp_exists(node: Any) -> bool:
    """An existence test: the query selected a node (JSON null is one)."""
    return node is not _NOTHING


def jp_one(node: Any) -> Any:
    """A selected node's value, None for Nothing."""
    return None if node is _NOTHING else node


def jp_name(node: Any, name: str) -> list[Any]:
    """A name selector: the member's value, if ``node`` is an object that has it."""
    return [node[name]] if isinstance(node, dict) and name in node else []


def jp_index(node: Any, index: int) -> list[Any]:
    """An index selector (negative counts from the end)."""
    return (
        [node[index]]
        if isinstance(node, list) and -len(node) <= index < len(node)
        else []
    )


def jp_slice(
    node: Any, start: int | None, end: int | None, step: int | None
) -> list[Any]:
    """An array slice selector (RFC 9535 2.3.4: Python's slices, but step 0 selects nothing)."""
    return node[start:end:step] if isinstance(node, list) and step != 0 else []


def jp_children(node: Any) -> list[Any]:
    """A wildcard selector: the elements of an array, the member values of an object."""
    if isinstance(node, list):
        return node
    return list(node.values()) if isinstance(node, dict) else []


def jp_descendants(node: Any) -> list[Any]:
    """The node and every node below it, in document order (no recursion)."""
    out: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(jp_children(current)))
    return out


def jp_length_member(node: Any) -> list[Any]:
    """Goessner's ``.length``: the member named so, else an array's or a string's length."""
    if isinstance(node, dict):
        return jp_name(node, "length")
    return [len(node)] if isinstance(node, (list, str)) else []


def jp_value(nodes: list[Any]) -> Any:
    """The value() function: the one node's value, else Nothing."""
    return nodes[0] if len(nodes) == 1 else _NOTHING


def jp_length(value: Any) -> Any:
    """The length() function: of a string, an array or an object, else Nothing."""
    return len(value) if isinstance(value, (str, list, dict)) else _NOTHING


@functools.lru_cache(maxsize=256)
def _jp_regex(pattern: str) -> re.Pattern[str] | None:
    """An I-Regexp (RFC 9485) as a Python pattern; '.' matches anything but CR and LF."""
    out: list[str] = []
    in_class = escaped = False
    for c in pattern:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in "[]":
            in_class = c == "["
        elif c == "." and not in_class:
            c = "[^\\n\\r]"
        out.append(c)
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def jp_match(value: Any, pattern: Any) -> bool:
    """The match() function: the whole string matches the I-Regexp."""
    compiled = (
        _jp_regex(pattern)
        if isinstance(pattern, str) and isinstance(value, str)
        else None
    )
    return compiled is not None and compiled.fullmatch(value) is not None


def jp_search(value: Any, pattern: Any) -> bool:
    """The search() function: some substring matches the I-Regexp."""
    compiled = (
        _jp_regex(pattern)
        if isinstance(pattern, str) and isinstance(value, str)
        else None
    )
    return compiled is not None and compiled.search(value) is not None


def _jp_is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def jp_equal(left: Any, right: Any) -> bool:
    """``==`` of RFC 9535 2.3.5.2.2: no conversions; arrays and objects by value."""
    if (
        type(left) is str and type(right) is str
    ):  # the common case, as the last line decides it
        return left == right
    if left is _NOTHING or right is _NOTHING:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if _jp_is_number(left) and _jp_is_number(right):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            jp_equal(a, b) for a, b in zip(left, right)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            jp_equal(left[k], right[k]) for k in left
        )
    return type(left) is type(right) and bool(left == right)


def _jp_less(left: Any, right: Any) -> bool:
    if _jp_is_number(left) and _jp_is_number(right):
        return bool(left < right)
    if isinstance(left, str) and isinstance(right, str):
        return left < right
    return False


def jp_compare(op: str, left: Any, right: Any) -> bool:
    """``<``, ``<=``, ``>``, ``>=`` of RFC 9535: numbers with numbers, strings with strings."""
    if op == "<":
        return _jp_less(left, right)
    if op == ">":
        return _jp_less(right, left)
    if op == "<=":
        return _jp_less(left, right) or jp_equal(left, right)
    return _jp_less(right, left) or jp_equal(left, right)
