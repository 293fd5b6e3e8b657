"""Arazzo 1.1 XPath criteria (with the xpath part, for 1.1 documents)."""

from __future__ import annotations

from typing import Any

from .xpath import xpath_test


def xpath_holds(value: Any, expression: str | None, version: str = "xpath-31") -> bool:
    """An Arazzo 1.1 xpath criterion: a null context or a malformed expression (one built
    by substitution) fails it, and so does an evaluation error (logged); otherwise the
    effective boolean value of the expression."""
    if expression is None or value is None:
        return False
    return xpath_test(value, expression, version)
