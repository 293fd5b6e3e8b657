"""The ``$self`` runtime expression (Arazzo 1.1): the URI of the workflow's document.

It is the document's ``$self`` as written (an absolute URI is its resolved form; a
relative one has no base that is the same on every machine, so it stays as written).
A document without ``$self`` makes the expression a compile-time error.  ``$self`` is
a constant, so it is compiled to a string literal, and ``{$self}`` inside a string to
that text.  In a simple condition it is a string operand (``self_root``); embedded in
a regex, jsonpath or xpath condition it is substituted when the workflow is compiled,
escaped as a run-time value would be (v11_conditions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import expressions as ex
from .diagnostics import JsonPath
from .ir import nodes as n
from .schemas import ANY, PyType
from .v11_identity import self_uri

if TYPE_CHECKING:
    from .analysis.context import ExprContext


def self_value(ctx: ExprContext, raw: str, at: JsonPath) -> tuple[n.Expr, PyType] | str | None:
    """The compiled value when ``raw`` is ``$self``; ``raw`` with ``{$self}``
    substituted when it embeds it; None when it does neither."""
    whole = raw.strip() in ("$self", "{$self}")
    if not whole and "{$self}" not in raw:
        return None
    uri = self_uri(ctx.doc.arazzo.data)
    if uri is None:
        no_self(ctx, at)
        return n.NONE, ANY
    if whole:
        return n.Const(uri), PyType("str")
    return raw.replace("{$self}", uri)


def self_root(ctx: ExprContext) -> ex.SelfRoot:
    """What ``$self`` stands for while a simple condition of this document is parsed."""
    return ex.SelfRoot(self_uri(ctx.doc.arazzo.data))


def no_self(ctx: ExprContext, at: JsonPath, where: str | None = None) -> None:
    """The compile-time error of ``$self`` read in a document that declares none."""
    message = "$self: this document declares no $self" + (f" ({where})" if where else "")
    ctx.error(
        at,
        message,
        "add its URI at the top of the document, e.g. $self: https://example.com/workflows/shop.arazzo.yaml",
    )
