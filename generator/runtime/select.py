"""Arazzo 1.1 Selector Objects and JSONPath payload replacements.

A selector whose JSONPath query is singular and names members and array positions
only is compiled to a JSON pointer lookup; these helpers run the other queries.  The
root ``$`` of a selector or replacement target is the context value itself (RFC 9535,
as Arazzo 1.1 says), never a wrapping array.  Needs the jsonpath part.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from .jsonpath import (
    _jp_true,
    _JPIndex,
    _JPName,
    _JPSlice,
    _JPWildcard,
    jsonpath_parse,
    jsonpath_query,
)
from .values import replace_pointer

__all__ = ["replace_selected", "select_all", "select_one"]


def select_all(value: Any, query: str, *, goessner: bool = False) -> list[Any]:
    """Every value a (not singular) JSONPath selector selects from ``value``, in order."""
    return jsonpath_query(value, query, goessner=goessner)


def select_one(value: Any, query: str, *, goessner: bool = False) -> Any:
    """The value a singular JSONPath selector selects from ``value``; None when none."""
    nodes = jsonpath_query(value, query, goessner=goessner)
    return nodes[0] if nodes else None


def _sel_children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def _sel_keys(selector: Any, node: Any, root: Any, goessner: bool) -> list[Any]:
    """The keys (member names or array indexes) of ``node`` one selector selects."""
    if isinstance(selector, _JPName):
        return (
            [selector.name] if isinstance(node, dict) and selector.name in node else []
        )
    if isinstance(selector, _JPWildcard):
        return [key for key, _ in _sel_children(node)]
    if isinstance(selector, _JPIndex):
        if isinstance(node, list) and -len(node) <= selector.index < len(node):
            return [selector.index % len(node)]
        return []
    if isinstance(selector, _JPSlice):
        if isinstance(node, list) and selector.step != 0:
            return list(range(len(node)))[selector.start : selector.end : selector.step]
        return []
    return [
        key
        for key, child in _sel_children(node)
        if _jp_true(selector.expr, root, child, goessner)
    ]


def _sel_locations(document: Any, query: str) -> list[tuple[Any, Any]]:
    """(container, key) of every node a JSONPath replacement target selects."""
    parsed = jsonpath_parse(query)
    nodes: list[tuple[Any, Any, Any]] = [(None, None, document)]
    for segment in parsed.segments:
        selected: list[tuple[Any, Any, Any]] = []
        for parent, key, node in nodes:
            targets = [(parent, key, node)]
            if segment.descendant:
                stack = [(parent, key, node)]
                targets = []
                while stack:  # bounded by the size of the document
                    current = stack.pop()
                    targets.append(current)
                    stack.extend(
                        reversed(
                            [(current[2], k, c) for k, c in _sel_children(current[2])]
                        )
                    )
            for _, _, target in targets:
                for selector in segment.selectors:
                    selected.extend(
                        (target, k, target[k])
                        for k in _sel_keys(selector, target, document, False)
                    )
        nodes = selected
    return [(parent, key) for parent, key, _ in nodes]


def replace_selected(document: Any, replacements: Sequence[tuple[str, Any]]) -> Any:
    """A copy of the payload with each target set: a target that starts with '$' is a
    JSONPath query (every node it selects is set; none selected changes nothing), any
    other a JSON pointer (as :func:`replace_pointer`)."""
    as_text = isinstance(document, str)
    result = json.loads(document) if as_text else copy.deepcopy(document)
    for target, value in replacements:
        if not target.startswith("$"):
            result = replace_pointer(result, [(target, value)])
            continue
        for parent, key in _sel_locations(result, target):
            if parent is None:
                result = copy.deepcopy(value)
            else:
                parent[key] = copy.deepcopy(value)
    return json.dumps(result) if as_text else result
