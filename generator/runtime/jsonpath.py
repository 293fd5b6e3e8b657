"""JSONPath (RFC 9535), compiled: the values a filter compares.

The generator parses every JSONPath query (with the jsonpath-rfc9535 library) and
compiles it to plain Python: a list comprehension over the nodes each segment
selects (the jsonpath_nodes part), and filter tests as Python comparisons of the
nodes of singular queries (this part).  No query is parsed at run time.
"""

from __future__ import annotations

from typing import Any


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
