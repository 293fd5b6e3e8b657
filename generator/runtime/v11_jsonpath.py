"""Arazzo 1.1 JSONPath criteria (with the jsonpath part, for 1.1 documents).

A criterion is compiled to a test of the context and of the values its condition
embeds (``{$...}``), each converted for where it stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .redact import logger
from .v11 import _NUMBER_TEXT, text_1_1


class _Unfit:
    """An embedded value that cannot stand where the condition embeds it."""


_UNFIT = _Unfit()
_JP_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


def jp_literal(value: Any, place: str = "literal") -> Any:
    """An embedded ``{$...}`` value outside a string literal of a JSONPath condition: a
    number, true, false or null as the query would read its text (``place`` "index":
    an integer in range, as an index or slice bound; "-literal"/"-index": after a '-'),
    else unfit (the criterion fails)."""
    raw = text_1_1(value)
    negated = place.startswith("-")
    if negated and raw.startswith("-"):
        return _UNFIT
    if place.endswith("index"):
        if (
            not _JP_INTEGER.fullmatch(raw)
            or raw == "-0"
            or (negated and raw == "0")
            or abs(int(raw)) > 2**53 - 1
        ):
            return _UNFIT
        return -int(raw) if negated else int(raw)
    if not negated and raw in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[raw]
    if not _NUMBER_TEXT.fullmatch(raw):
        return _UNFIT
    number = float(raw) if any(c in raw for c in ".eE") else int(raw)
    return -number if negated else number


def jp_holds(value: Any, test: Callable[..., bool], *holes: Any) -> bool:
    """An Arazzo 1.1 jsonpath criterion compiled to ``test`` (of the context, then the
    embedded values): a null context fails, as does an embedded value that cannot
    stand where it is (logged)."""
    if value is None:
        return False
    if any(hole is _UNFIT for hole in holes):
        logger.warning(
            "an embedded value cannot stand outside a string literal of a jsonpath condition without changing it: the criterion fails"
        )
        return False
    return bool(test(value, *holes))
