"""The ``$self`` runtime expression (Arazzo 1.1): the URI of the workflow's document.

It is the document's ``$self`` as written (an absolute URI is its resolved form; a
relative one has no base that is the same on every machine, so it stays as written).
A document without ``$self`` makes the expression a compile-time error.  ``$self`` is
a constant, so it is compiled to a string literal, and ``{$self}`` inside a string to
that text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostics import JsonPath
from .pycode import py_str
from .schemas import ANY, PyType
from .v11_identity import self_uri

if TYPE_CHECKING:
    from .analyze import ExprContext


def self_value(ctx: ExprContext, raw: str, at: JsonPath) -> tuple[str, PyType] | str | None:
    """The compiled value when ``raw`` is ``$self``; ``raw`` with ``{$self}``
    substituted when it embeds it; None when it does neither."""
    whole = raw.strip() in ("$self", "{$self}")
    if not whole and "{$self}" not in raw:
        return None
    uri = self_uri(ctx.doc.arazzo.data)
    if uri is None:
        ctx.error(at, "$self: this document declares no $self", "add its URI at the top of the document, e.g. $self: https://example.com/workflows/shop.arazzo.yaml")
        return "None", ANY
    if whole:
        return py_str(uri), PyType("str")
    return raw.replace("{$self}", uri)
