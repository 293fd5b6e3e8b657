"""Arazzo 1.1 ``in: querystring`` parameters (OpenAPI 3.2): one value is the whole
query string of the request.

The value (a string, usually a template such as ``"filter={$inputs.f}&limit=20"``)
goes into the URL as written; only characters a URL query cannot hold are
percent-encoded (``_runtime.query_string``), so the author's own ``&`` and ``=``
keep their meaning and a value embedded by ``{$...}`` is not escaped.  A mapping is
form-encoded.  A step may have one such parameter, and none with ``in: query``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostics import JsonPath
from .ir import nodes as n

if TYPE_CHECKING:
    from .analysis.context import ExprContext
    from .resolve import Operation


def with_query_string(
    ctx: ExprContext,
    op: Operation,
    url: n.Expr,
    given: list[tuple[str, n.Expr, JsonPath]],
    query: list[tuple[str, n.Expr]],
) -> n.Expr:
    """The URL expression with the query string appended (errors reported)."""
    name, source, at = given[0]
    for other, _, other_at in given[1:]:
        ctx.error(
            other_at[:-1] + ("in",),
            f"a second in: querystring parameter ({other!r} after {name!r}): the query string is given once",
            "keep one querystring parameter and write the whole query string in its value",
        )
    if query:
        names = ", ".join(repr(other) for other, _ in query)
        ctx.error(
            at[:-1] + ("in",),
            f"in: querystring gives the whole query string, so it cannot be combined with in: query parameters ({names})",
            "write those parameters into the querystring value, e.g. 'filter={$inputs.f}&page=2'",
        )
    declared = [pn for (pn, loc) in op.parameters if loc == "querystring"]
    if not declared:
        ctx.warn(
            at[:-1] + ("in",),
            f"{op.display_name} declares no in: querystring parameter",
            "in: querystring is an OpenAPI 3.2 parameter location: check that the operation takes its whole query string from one parameter",
        )
    ctx.p.runtime_parts.add("querystring")
    return n.BinOp(url, "+", n.runtime("query_string", source))
