"""Criteria beyond equality and regex: the order of two values (<, <=, >, >=),
truthiness, and indexing that gives None instead of an exception."""

from __future__ import annotations

from typing import Any

from .values import _number


def _ordered(left: Any, right: Any) -> tuple[Any, Any] | None:
    if isinstance(left, str) and isinstance(right, (int, float)):
        left = _number(left)
    if isinstance(right, str) and isinstance(left, (int, float)):
        right = _number(right)
    if (
        isinstance(left, (int, float))
        and isinstance(right, (int, float))
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    return None


def lt(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] < pair[1]


def le(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] <= pair[1]


def gt(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] > pair[1]


def ge(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] >= pair[1]


def truthy(value: Any) -> bool:
    return value is not None and value is not False


def index(value: Any, key: int | str) -> Any:
    """``value[key]`` for criteria: None instead of an exception."""
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if -len(value) <= key < len(value) else None
    if isinstance(value, dict) and isinstance(key, str):
        return value.get(key)
    return None
