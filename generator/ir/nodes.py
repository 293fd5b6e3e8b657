"""The IR of a workflow function: statements and expressions as nodes.

Analysis builds ONE body of these per workflow; generator/ir/printer.py prints it as
the sync function and as its async twin.  Nothing here knows about ``await``,
``async with``, the async helpers' names, negation or parentheses: an awaitable
call names both of its functions (``Call.async_func``), a ``With`` both of its
context managers, a condition is a tree (``Not``, ``BoolOp``, ``Compare``), and the
printer decides how each flavour spells them.

Every value is a tree down to its names and constants (no node holds Python text),
so the names an expression reads are found by walking it (``names_read``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Attr:
    value: Expr
    attr: str


@dataclass(frozen=True)
class Const:
    """A literal: str, int, float, bool or None (lists and dicts are ``List`` / ``Dict``)."""

    value: str | int | float | bool | None


#: Precedence levels of Python expressions, as the printer parenthesizes them.
LAMBDA, IFEXP, OR, AND, NOT, COMPARE, SUM, AWAIT, ATOM = range(9)


@dataclass(frozen=True)
class Call:
    """``func(args, kwargs)``; with ``async_func``, an awaitable call: the async twin
    awaits ``async_func(...)`` instead."""

    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()
    async_func: Expr | None = None


@dataclass(frozen=True)
class Compare:
    left: Expr
    op: str  # == != < <= > >= is "is not" in "not in"
    right: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    values: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    left: Expr
    op: str  # + (string or URL concatenation)
    right: Expr


@dataclass(frozen=True)
class IfExp:
    body: Expr
    test: Expr
    orelse: Expr


@dataclass(frozen=True)
class FString:
    """``f"..."``: literal text and expressions."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Concat:
    """Texts joined (literal text, and values that are str): printed as an f-string when
    every value fits inside one, else joined with ``+``."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Subscript:
    value: Expr
    index: Expr


@dataclass(frozen=True)
class Lambda:
    params: tuple[str, ...]
    body: Expr


@dataclass(frozen=True)
class Dict:
    items: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True)
class List:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Tuple:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Starred:
    """``*value``: an item of a list unpacked into it."""

    value: Expr


@dataclass(frozen=True)
class Comprehension:
    """``for targets in iter if conds...``: one clause of a list comprehension."""

    targets: tuple[str, ...]
    iter: Expr
    conds: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class ListComp:
    """``[elt for ... in ... if ...]``; the clauses' targets are its own names."""

    elt: Expr
    generators: tuple[Comprehension, ...]


@dataclass(frozen=True)
class Repr:
    """``repr(value)``; inside an f-string ``{value!r}``."""

    value: Expr


Expr = (
    Name
    | Attr
    | Const
    | Call
    | Compare
    | BoolOp
    | Not
    | BinOp
    | IfExp
    | FString
    | Concat
    | Subscript
    | Lambda
    | Dict
    | List
    | Tuple
    | Starred
    | ListComp
    | Repr
)


# -- statements ------------------------------------------------------------------------


@dataclass(frozen=True)
class Assign:
    """``target[: annotation] = value  # comment``."""

    target: str
    value: Expr
    annotation: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class AugAssign:
    target: str
    op: str  # +=
    value: Expr


@dataclass(frozen=True)
class ExprStmt:
    value: Expr


@dataclass(frozen=True)
class If:
    """``if test: body``, then ``elif`` for each of ``elifs``, then ``else: orelse``."""

    test: Expr
    body: tuple[Stmt, ...]
    elifs: tuple[tuple[Expr, tuple[Stmt, ...]], ...] = ()
    orelse: tuple[Stmt, ...] = ()
    comment: str | None = None  # after the ':' of the if line


@dataclass(frozen=True)
class While:
    test: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class For:
    target: str
    iter: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class Case:
    pattern: Expr | None  # None: the wildcard ``case _``
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Match:
    subject: Expr
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class WithItem:
    """A context manager of a ``with``; the async twin enters ``async_context``."""

    context: Expr
    async_context: Expr
    target: str | None = None


@dataclass(frozen=True)
class With:
    items: tuple[WithItem, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Return:
    value: Expr | None = None


@dataclass(frozen=True)
class Raise:
    exc: Expr


@dataclass(frozen=True)
class Break:
    pass


@dataclass(frozen=True)
class Continue:
    pass


@dataclass(frozen=True)
class Pass:
    pass


@dataclass(frozen=True)
class Comment:
    text: str  # without '# '


@dataclass(frozen=True)
class Blank:
    pass


Stmt = (
    Assign
    | AugAssign
    | ExprStmt
    | If
    | While
    | For
    | Match
    | With
    | Return
    | Raise
    | Break
    | Continue
    | Pass
    | Comment
    | Blank
)

#: The statements after which nothing in the same block runs.
EXITS = (Return, Raise, Break, Continue)


@dataclass(frozen=True)
class Function:
    """The body of one workflow function (printed as the function and as its async twin)."""

    body: tuple[Stmt, ...] = field(default=())


# -- helpers to build and walk ------------------------------------------------------------


def dotted(path: str) -> Expr:
    """``a.b.c`` as attributes of a name."""
    head, *rest = path.split(".")
    node: Expr = Name(head)
    for attr in rest:
        node = Attr(node, attr)
    return node


def call(func: str, *args: Expr, async_func: str | None = None, **kwargs: Expr) -> Call:
    """A call of the dotted name ``func`` (awaitable when ``async_func`` is given)."""
    return Call(dotted(func), tuple(args), tuple(kwargs.items()), dotted(async_func) if async_func else None)


def runtime(helper: str, *args: Expr, **kwargs: Expr) -> Call:
    """``_runtime.<helper>(...)``."""
    return Call(dotted(f"_runtime.{helper}"), tuple(args), tuple(kwargs.items()))


def const(value: str | float | bool | None) -> Const:
    return Const(value)


def literal(value: Any) -> Expr:
    """A JSON-like value (str, int, float, bool, None, list, dict) as the expression that
    builds it; a dict's keys as strings, anything else as its text."""
    if value is None or isinstance(value, bool | int | float | str):
        return Const(value)
    if isinstance(value, list | tuple):
        return List(tuple(literal(item) for item in value))
    if isinstance(value, dict):
        return Dict(tuple((Const(str(key)), literal(item)) for key, item in value.items()))
    return Const(str(value))


NONE = Const(None)
TRUE = Const(True)
FALSE = Const(False)


def children(node: Expr) -> Iterator[Expr]:
    """The expressions directly inside ``node``."""
    if isinstance(node, Attr):
        yield node.value
    elif isinstance(node, Call):
        yield node.func
        yield from node.args
        yield from (value for _, value in node.kwargs)
        if node.async_func is not None:
            yield node.async_func
    elif isinstance(node, Compare | BinOp):
        yield node.left
        yield node.right
    elif isinstance(node, BoolOp):
        yield from node.values
    elif isinstance(node, Not):
        yield node.operand
    elif isinstance(node, IfExp):
        yield from (node.body, node.test, node.orelse)
    elif isinstance(node, FString | Concat):
        yield from (part for part in node.parts if not isinstance(part, str))
    elif isinstance(node, Subscript):
        yield from (node.value, node.index)
    elif isinstance(node, Lambda):
        yield node.body
    elif isinstance(node, Dict):
        for key, value in node.items:
            yield from (key, value)
    elif isinstance(node, List | Tuple):
        yield from node.items
    elif isinstance(node, Starred | Repr):
        yield node.value
    elif isinstance(node, ListComp):
        yield node.elt
        for clause in node.generators:
            yield clause.iter
            yield from clause.conds


def names_read(node: Expr) -> set[str]:
    """The local names an expression reads (a lambda's parameters are its own)."""
    if isinstance(node, Name):
        return {node.id}
    found: set[str] = set()
    for child in children(node):
        found |= names_read(child)
    if isinstance(node, Lambda):
        found -= set(node.params)
    if isinstance(node, ListComp):
        found -= {target for clause in node.generators for target in clause.targets}
    return found


def stmt_exprs(stmt: Stmt) -> Iterator[Expr]:
    """The expressions a statement evaluates itself (not those of nested statements)."""
    if isinstance(stmt, Assign | AugAssign | ExprStmt):
        yield stmt.value
    elif isinstance(stmt, If):
        yield stmt.test
        yield from (test for test, _ in stmt.elifs)
    elif isinstance(stmt, While):
        yield stmt.test
    elif isinstance(stmt, For):
        yield stmt.iter
    elif isinstance(stmt, Match):
        yield stmt.subject
        yield from (case.pattern for case in stmt.cases if case.pattern is not None)
    elif isinstance(stmt, With):
        for item in stmt.items:
            yield from (item.context, item.async_context)
    elif isinstance(stmt, Return) and stmt.value is not None:
        yield stmt.value
    elif isinstance(stmt, Raise):
        yield stmt.exc


def blocks(stmt: Stmt) -> Iterator[tuple[Stmt, ...]]:
    """The nested statement blocks of a statement."""
    if isinstance(stmt, If):
        yield stmt.body
        yield from (body for _, body in stmt.elifs)
        yield stmt.orelse
    elif isinstance(stmt, While | With):
        yield stmt.body
    elif isinstance(stmt, For):
        yield stmt.body
        yield stmt.orelse
    elif isinstance(stmt, Match):
        yield from (case.body for case in stmt.cases)


def body_names_read(body: tuple[Stmt, ...] | list[Stmt]) -> set[str]:
    """The names a block of statements reads (nested blocks included)."""
    found: set[str] = set()
    for stmt in body:
        for expr in stmt_exprs(stmt):
            found |= names_read(expr)
        for inner in blocks(stmt):
            found |= body_names_read(inner)
    return found


def annotation_texts(body: tuple[Stmt, ...] | list[Stmt]) -> list[str]:
    """The annotations (type texts) of the assignments in a block (nested blocks included)."""
    found: list[str] = []
    for stmt in body:
        if isinstance(stmt, Assign) and stmt.annotation:
            found.append(stmt.annotation)
        for inner in blocks(stmt):
            found += annotation_texts(inner)
    return found
