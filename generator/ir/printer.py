"""The printer: one body of IR statements as the sync function's statements, or as
its async twin's.

This is the only place that knows how the two flavours differ (``await`` before an
awaitable call and the async helper's name, ``async with``), how a condition is
negated (``not x``, a flipped comparison, ``not (a and b)``) and where parentheses
go (by operator precedence).  Printing cannot fail: every node has a spelling.

A new flavour (a durable workflow, ...) is a new ``Flavour`` here, not a new analysis.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..plan import Block, Line, Node
from ..pycode import fstring_text, py_literal, py_str
from . import nodes as n


@dataclass(frozen=True)
class Flavour:
    """How a function body is spelled: ``is_async`` awaits the awaitable calls."""

    is_async: bool


#: The width a comment is wrapped at (a workflow body is indented at most ~12 columns).
COMMENT_WIDTH = 76

SYNC = Flavour(False)
ASYNC = Flavour(True)

#: The comparisons whose negation is another comparison for every operand. ``not a < b``
#: is not ``a >= b`` (NaN, or operands that do not order), so ordering is negated with ``not``.
_NEGATED = {
    "==": "!=",
    "!=": "==",
    "is": "is not",
    "is not": "is",
    "in": "not in",
    "not in": "in",
}


def negate(test: n.Expr) -> n.Expr:
    """``not test``, as a person writes it: a flipped comparison, ``not`` of the rest."""
    if isinstance(test, n.Not):
        return test.operand
    if isinstance(test, n.Compare) and test.op in _NEGATED:
        return n.Compare(test.left, _NEGATED[test.op], test.right)
    return n.Not(test)


def _prec(node: n.Expr, flavour: Flavour) -> int:
    if isinstance(node, n.Lambda):
        return n.LAMBDA
    if isinstance(node, n.IfExp):
        return n.IFEXP
    if isinstance(node, n.BoolOp):
        return n.OR if node.op == "or" else n.AND
    if isinstance(node, n.Not):
        return n.NOT
    if isinstance(node, n.Compare):
        return n.COMPARE
    if isinstance(node, n.BinOp) or (isinstance(node, n.Concat) and len(node.parts) > 1 and not _as_fstring(node)):
        return n.SUM
    if isinstance(node, n.Call) and node.async_func is not None and flavour.is_async:
        return n.AWAIT
    return n.ATOM


def expr(node: n.Expr, flavour: Flavour = SYNC, at_least: int = n.LAMBDA, quote: str = '"') -> str:
    """The Python text of ``node``, parenthesized when its precedence is below ``at_least``
    (``quote``: the quote of its string constants; ``'`` inside an f-string)."""
    text = _expr(node, flavour, quote)
    return f"({text})" if _prec(node, flavour) < at_least else text


def _args(node: n.Call, flavour: Flavour, quote: str = '"') -> str:
    parts = [expr(a, flavour, quote=quote) for a in node.args]
    parts += [f"{k}={expr(v, flavour, quote=quote)}" for k, v in node.kwargs]
    return ", ".join(parts)


#: What a string inside an f-string's braces may not hold (Python 3.11: no backslash, no quote).
_NOT_EMBEDDABLE = frozenset("\\'\"{}#\n\r")


def _embeddable(node: n.Expr) -> bool:
    """Can ``node`` be printed inside the braces of a double-quoted f-string?"""
    if isinstance(node, n.Const):
        return not (isinstance(node.value, str) and _NOT_EMBEDDABLE & set(node.value))
    if isinstance(node, n.FString | n.Concat | n.Lambda):
        return False
    return all(_embeddable(child) for child in n.children(node))


def _hole(part: str | n.Expr, flavour: Flavour, quote: str = '"') -> str:
    """A part of an f-string: its literal text, or a value in braces (``{x!r}`` for ``Repr``)."""
    if isinstance(part, str):
        return fstring_text(part)
    if isinstance(part, n.Repr):
        return "{" + expr(part.value, flavour, quote=quote) + "!r}"
    return "{" + expr(part, flavour, quote=quote) + "}"


def _as_fstring(node: n.Concat) -> bool:
    """Is the concatenation printed as one f-string (else its parts joined with ``+``)?"""
    values = [part for part in node.parts if not isinstance(part, str)]
    return bool(values) and all(_embeddable(value) for value in values)


def _concat(node: n.Concat, flavour: Flavour) -> str:
    if _as_fstring(node):
        return 'f"' + "".join(_hole(p, flavour, "'") for p in node.parts) + '"'
    return " + ".join(py_str(p) if isinstance(p, str) else expr(p, flavour, n.SUM + 1) for p in node.parts)


def _expr(node: n.Expr, flavour: Flavour, quote: str = '"') -> str:
    if isinstance(node, n.Name):
        return node.id
    if isinstance(node, n.Const):
        if isinstance(node.value, str):
            return f"'{node.value}'" if quote == "'" else py_str(node.value)  # ' only where embeddable
        return py_literal(node.value)
    if isinstance(node, n.Attr):
        return f"{expr(node.value, flavour, n.ATOM, quote)}.{node.attr}"
    if isinstance(node, n.Call):
        if node.async_func is not None and flavour.is_async:
            return f"await {expr(node.async_func, flavour, n.ATOM)}({_args(node, flavour, quote)})"
        return f"{expr(node.func, flavour, n.ATOM)}({_args(node, flavour, quote)})"
    if isinstance(node, n.Compare):
        return f"{expr(node.left, flavour, n.COMPARE + 1)} {node.op} {expr(node.right, flavour, n.COMPARE + 1)}"
    if isinstance(node, n.BoolOp):
        # an ``and`` inside an ``or`` is parenthesized too, for the reader (ruff's RUF021)
        return f" {node.op} ".join(expr(value, flavour, n.AND + 1) for value in node.values)
    if isinstance(node, n.Not):
        if isinstance(node.operand, n.Compare) and node.operand.op in _NEGATED:  # not (a == b): a != b
            return _expr(negate(node.operand), flavour)
        return f"not {expr(node.operand, flavour, n.NOT + 1)}"  # not (not x), for the reader
    if isinstance(node, n.BinOp):
        return f"{expr(node.left, flavour, n.SUM)} {node.op} {expr(node.right, flavour, n.SUM + 1)}"
    if isinstance(node, n.IfExp):
        return f"{expr(node.body, flavour, n.OR)} if {expr(node.test, flavour, n.OR)} else {expr(node.orelse, flavour, n.IFEXP)}"
    if isinstance(node, n.FString):
        return 'f"' + "".join(_hole(p, flavour) for p in node.parts) + '"'
    if isinstance(node, n.Subscript):
        return f"{expr(node.value, flavour, n.ATOM, quote)}[{expr(node.index, flavour, quote=quote)}]"
    if isinstance(node, n.Concat):
        return _concat(node, flavour)
    if isinstance(node, n.Lambda):
        head = f"lambda {', '.join(node.params)}:" if node.params else "lambda:"
        body = node.body
        if flavour.is_async and isinstance(body, n.Call) and body.async_func is not None:
            # a coroutine factory: the lambda returns the awaitable, its caller awaits it
            return f"{head} {expr(body.async_func, flavour, n.ATOM)}({_args(body, flavour)})"
        return f"{head} {expr(body, flavour)}"
    if isinstance(node, n.Dict):
        return "{" + ", ".join(f"{expr(k, flavour)}: {expr(v, flavour)}" for k, v in node.items) + "}"
    if isinstance(node, n.List):
        return "[" + ", ".join(expr(item, flavour) for item in node.items) + "]"
    if isinstance(node, n.Starred):
        return "*" + expr(node.value, flavour, n.SUM)
    if isinstance(node, n.ListComp):
        clauses = "".join(
            f" for {', '.join(c.targets)} in {expr(c.iter, flavour, n.OR)}"
            + "".join(f" if {expr(cond, flavour, n.OR)}" for cond in c.conds)
            for c in node.generators
        )
        return f"[{expr(node.elt, flavour)}{clauses}]"
    if isinstance(node, n.Repr):
        return f"repr({expr(node.value, flavour)})"
    items = [expr(item, flavour) for item in node.items]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _block(body: tuple[n.Stmt, ...], flavour: Flavour) -> tuple[Node, ...]:
    return statements(body, flavour) or (Line("pass"),)


def _comment(comment: str | None) -> str:
    return f"  # {comment}" if comment else ""


def statement(stmt: n.Stmt, flavour: Flavour) -> list[Node]:
    """One statement as the lines and blocks the templates print."""
    if isinstance(stmt, n.Assign):
        target = f"{stmt.target}: {stmt.annotation}" if stmt.annotation else stmt.target
        value = stmt.value
        if isinstance(value, n.Tuple) and len(value.items) > 1:  # a, b = x, y
            text = ", ".join(expr(item, flavour) for item in value.items)
        else:
            text = expr(value, flavour)
        return [Line(f"{target} = {text}{_comment(stmt.comment)}")]
    if isinstance(stmt, n.AugAssign):
        return [Line(f"{stmt.target} {stmt.op} {expr(stmt.value, flavour)}")]
    if isinstance(stmt, n.ExprStmt):
        return [Line(expr(stmt.value, flavour))]
    if isinstance(stmt, n.If):
        out: list[Node] = [Block(f"if {expr(stmt.test, flavour)}:{_comment(stmt.comment)}", _block(stmt.body, flavour))]
        out += [Block(f"elif {expr(test, flavour)}:", _block(body, flavour)) for test, body in stmt.elifs]
        if stmt.orelse:
            out.append(Block("else:", _block(stmt.orelse, flavour)))
        return out
    if isinstance(stmt, n.While):
        return [Block(f"while {expr(stmt.test, flavour)}:", _block(stmt.body, flavour))]
    if isinstance(stmt, n.For):
        out = [Block(f"for {stmt.target} in {expr(stmt.iter, flavour)}:", _block(stmt.body, flavour))]
        if stmt.orelse:
            out.append(Block("else:", _block(stmt.orelse, flavour)))
        return out
    if isinstance(stmt, n.Match):
        cases = tuple(
            Block(f"case {'_' if c.pattern is None else expr(c.pattern, flavour)}:", _block(c.body, flavour))
            for c in stmt.cases
        )
        return [Block(f"match {expr(stmt.subject, flavour)}:", cases)]
    if isinstance(stmt, n.With):
        items = []
        for item in stmt.items:
            context = expr(item.async_context if flavour.is_async else item.context, flavour)
            items.append(f"{context} as {item.target}" if item.target else context)
        keyword = "async with" if flavour.is_async else "with"
        return [Block(f"{keyword} {', '.join(items)}:", _block(stmt.body, flavour))]
    if isinstance(stmt, n.Return):
        return [Line("return" if stmt.value is None else f"return {expr(stmt.value, flavour)}")]
    if isinstance(stmt, n.Raise):
        return [Line(f"raise {expr(stmt.exc, flavour)}")]
    if isinstance(stmt, n.Break):
        return [Line("break")]
    if isinstance(stmt, n.Continue):
        return [Line("continue")]
    if isinstance(stmt, n.Pass):
        return [Line("pass")]
    if isinstance(stmt, n.Comment):
        return [Line(f"# {line}") for line in textwrap.wrap(stmt.text, COMMENT_WIDTH, break_on_hyphens=False)]
    return [Line("")]


def statements(body: tuple[n.Stmt, ...] | list[n.Stmt], flavour: Flavour) -> tuple[Node, ...]:
    """A block of statements as the lines and blocks the templates print."""
    out: list[Node] = []
    for stmt in body:
        out += statement(stmt, flavour)
    return tuple(out)
