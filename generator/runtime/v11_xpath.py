"""Arazzo 1.1 XPath criteria (with the xpath part, for 1.1 documents)."""

from __future__ import annotations

from typing import Any

from .core import logger
from .xpath import XPathError, xpath_parse, xpath_test

__all__ = ["xpath_holds"]


def xpath_holds(value: Any, expression: str | None, version: str = "xpath-31") -> bool:
    """An Arazzo 1.1 xpath criterion: a null context, a malformed expression (one built
    by substitution) or an evaluation error fails it (logged); otherwise the effective
    boolean value of the expression."""
    if expression is None or value is None:
        return False
    try:
        xpath_parse(expression, version)
    except XPathError as exc:
        logger.warning("xpath criterion %r could not be evaluated: %s", expression, exc)
        return False
    return xpath_test(value, expression, version)
