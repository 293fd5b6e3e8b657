"""JSONPath (RFC 9535), compiled: the nodes a query selects, and the functions.

A compiled query is a list comprehension with one ``for`` clause per segment; each
selector is one of these helpers (the list of nodes it selects from one node).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .jsonpath import _NOTHING


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
