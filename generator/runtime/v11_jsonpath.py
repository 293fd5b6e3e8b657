"""Arazzo 1.1 JSONPath criteria (with the jsonpath part, for 1.1 documents)."""

from __future__ import annotations

from typing import Any

from .jsonpath import JsonPathError, jsonpath_query
from .redact import logger

__all__ = ["jsonpath_holds"]


def jsonpath_holds(value: Any, query: str | None, *, goessner: bool = False) -> bool:
    """An Arazzo 1.1 jsonpath criterion: the root ``$`` is the context itself (RFC 9535);
    passes when the nodelist is not empty.  A null context, a malformed query (one built
    by substitution) or an evaluation error fails it; errors are logged."""
    if query is None or value is None:
        return False
    try:
        return bool(jsonpath_query(value, query, goessner=goessner))
    except (JsonPathError, ValueError, TypeError, RecursionError) as exc:
        logger.warning("jsonpath criterion %r could not be evaluated: %s", query, exc)
        return False
