"""Arazzo 1.1 JSONPath payload replacements.

The generator compiles a JSONPath replacement target to a function from the payload
to the (container, key) slots of the nodes it selects; these helpers list the slots
one selector selects.  The root ``$`` is the payload itself (RFC 9535, as Arazzo 1.1
says).  The compiled targets call the jsonpath part's helpers too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any

from .payload import replace_pointer


def jp_slots(node: Any) -> list[tuple[Any, Any]]:
    """Every child slot of an array or an object (a wildcard, or a filter's candidates)."""
    if isinstance(node, dict):
        return [(node, key) for key in node]
    if isinstance(node, list):
        return [(node, index) for index in range(len(node))]
    return []


def jp_slot(node: Any, key: str | int) -> list[tuple[Any, Any]]:
    """The slot a name (str) or an index (int) selector selects, if there is one."""
    if isinstance(key, str):
        return [(node, key)] if isinstance(node, dict) and key in node else []
    if isinstance(node, list) and -len(node) <= key < len(node):
        return [(node, key % len(node))]
    return []


def jp_slice_slots(
    node: Any, start: int | None, end: int | None, step: int | None
) -> list[tuple[Any, Any]]:
    """The slots an array slice selector selects."""
    if not isinstance(node, list) or step == 0:
        return []
    return [(node, index) for index in range(len(node))[start:end:step]]


def replace_selected(
    document: Any,
    replacements: Sequence[tuple[str | Callable[[Any], list[tuple[Any, Any]]], Any]],
) -> Any:
    """A copy of the payload with each target set: a compiled JSONPath target (every
    slot it selects is set; none selected changes nothing; the root slot is the payload
    itself), or a JSON pointer (as :func:`replace_pointer`)."""
    as_text = isinstance(document, str)
    result = json.loads(document) if as_text else copy.deepcopy(document)
    for target, value in replacements:
        if isinstance(target, str):
            result = replace_pointer(result, [(target, value)])
            continue
        for parent, key in target(result):
            if parent is None:
                result = copy.deepcopy(value)
            else:
                parent[key] = copy.deepcopy(value)
    return json.dumps(result) if as_text else result
