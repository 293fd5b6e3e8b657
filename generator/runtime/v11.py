"""Arazzo 1.1 conditions and embedded values (included for 1.1 documents)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .redact import logger
from .values import matches
from .wire import text


def text_1_1(value: Any) -> str:
    """A value embedded in a string of an Arazzo 1.1 document: as ``text``, but null is
    spelled ``null`` (its string representation), not left out."""
    return "null" if value is None else text(value)


#: A number as JSONPath and XPath spell one (what may stand outside a string literal).
_NUMBER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_EMBED_ESCAPES = {
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _embedded_text(kind: str, where: str, value: Any) -> str | None:
    """``value`` as text that stands at ``where`` in a ``kind`` condition and cannot
    change the query around it; None when it cannot stand there."""
    raw = text_1_1(value)
    if (
        kind == "regex"
    ):  # matched literally, as one atom (a quantifier after it repeats all of it)
        return re.escape(raw) if where == "class" else "(?:" + re.escape(raw) + ")"
    if where in ("'", '"'):  # inside a string literal delimited by that quote
        if kind == "jsonpath":
            return "".join(
                (
                    "\\" + c
                    if c == where
                    else _EMBED_ESCAPES.get(c, c if c >= " " else f"\\u{ord(c):04x}")
                )
                for c in raw
            )
        if where not in raw:
            return raw
        return (
            None if kind == "xpath-10" else raw.replace(where, where + where)
        )  # XPath 1.0 has no escape
    if kind == "jsonpath" and raw in ("true", "false", "null"):
        return raw
    return raw if _NUMBER_TEXT.fullmatch(raw) else None


def embed(
    kind: str, pieces: Sequence[str], holes: Sequence[tuple[Any, str]]
) -> str | None:
    """An Arazzo 1.1 condition with its ``{$...}`` runtime expressions substituted:
    ``pieces`` are the text around them (len(holes) + 1), each hole its value and where
    it stands (a quote: inside that string literal; "": outside one; "class": in a regex
    character class).  A value that cannot stand there (text outside a string literal
    of a query) makes the condition fail: None, logged."""
    out = [pieces[0]]
    for index, (value, where) in enumerate(holes):
        part = _embedded_text(kind, where, value)
        if part is None:
            place = (
                "in a string literal"
                if where in ("'", '"')
                else "outside a string literal"
            )
            logger.warning(
                "an embedded value (%s) cannot stand %s of a %s condition without changing it: the criterion fails",
                type(value).__name__,
                place,
                kind.split("-")[0],
            )
            return None
        out += [part, pieces[index + 1]]
    return "".join(out)


def regex_holds(pattern: str | None, value: Any) -> bool:
    """An Arazzo 1.1 regex criterion: a null context fails, as does a pattern that
    does not compile (logged); otherwise the pattern found anywhere in the text."""
    if pattern is None or value is None:
        return False
    try:
        return matches(pattern, value)
    except re.error as exc:
        logger.warning("regex criterion could not be evaluated: %s", exc)
        return False
