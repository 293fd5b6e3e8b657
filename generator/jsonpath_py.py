"""JSONPath queries compiled to plain Python when the workflow is compiled.

The query is parsed by ``jsonpath-rfc9535`` (generator/jsonpath_parse.py); its parse
tree becomes an IR expression (generator/ir/nodes.py) over the small helpers of the runtime's jsonpath part
(generator/runtime/jsonpath.py: ``jp_name``, ``jp_children``, ``jp_equal``, ...):

* a query is a list comprehension with one ``for`` clause per segment (a selector
  gives the list of nodes it selects from one node; a filter is an ``if`` clause);
* a singular query (names and indexes only) is ``_runtime.jp_member(node, "a", 0)``,
  its node or Nothing, and its existence test ``_runtime.jp_exists(...)``;
* a filter is a Python boolean: ``and``/``or``/``not``, comparisons by ``jp_equal`` and
  ``jp_compare`` (RFC 9535's typed comparisons), functions by ``len``, ``jp_length``,
  ``jp_value``, ``jp_match`` and ``jp_search``.

A 1.0 criterion's context is wrapped in a one-element array, so the first segment
applies to that array: ``$[?@.status == 'ended']`` is the filter applied to the
context itself.  tests/unit/test_jsonpath_compiled.py checks the compiled code
against the library's own evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from jsonpath_rfc9535 import filter_expressions as fe
from jsonpath_rfc9535 import segments as sg
from jsonpath_rfc9535 import selectors as sel

from . import jsonpath_parse
from .ir import nodes as n

__all__ = [
    "MARK_BASE",
    "MARK_CHAR",
    "UNSUPPORTED_HINT",
    "Unsupported",
    "compile_criterion",
    "compile_criterion_1_1",
    "compile_locator",
    "compile_nodes",
    "compile_selector",
]

#: Embedded ``{$...}`` values (Arazzo 1.1) stand in the parsed text as these: outside a
#: string literal the integer MARK_BASE + i, inside one the character MARK_CHAR + i.
MARK_BASE: Final = 9007199254740000
MARK_CHAR: Final = 0xE000
_COMPARE: Final = ("<", "<=", ">", ">=")
#: The node of a query that selects nothing from the wrapping array, and the empty nodelist.
_NOTHING: Final = n.dotted("_runtime.jp_nothing")
_EMPTY: Final = n.List(())
#: The helpers of the runtime part jsonpath_nodes; the others are in jsonpath.
_NODES_PART: Final = frozenset(
    {
        "jp_name",
        "jp_index",
        "jp_slice",
        "jp_children",
        "jp_descendants",
        "jp_length_member",
        "jp_value",
        "jp_length",
        "jp_match",
        "jp_search",
    }
)


#: The hint of the error for a construct outside what is compiled.
UNSUPPORTED_HINT: Final = "rewrite it with RFC 9535 selectors, filters and the five standard functions"


class Unsupported(Exception):
    """A construct the compiler does not translate (the message says which)."""


@dataclass
class _Compiler:
    goessner: bool
    root: n.Expr
    #: the root is the one-element array around this context (1.0 criteria)
    wrapped: n.Expr | None = None
    holes: int = 0
    #: where each embedded value landed: "text", "literal", "-literal", "index", "-index"
    places: dict[int, str] = field(default_factory=dict)
    names: int = 0
    root_uses: int = 0
    #: whether the code calls the jsonpath_nodes part (nodelists, functions), not only jsonpath
    uses_nodes: bool = False

    def helper(self, name: str, *args: n.Expr) -> n.Call:
        """``_runtime.<name>(args)``, noting the part it is in."""
        self.uses_nodes = self.uses_nodes or name in _NODES_PART
        return n.runtime(name, *args)

    def fresh(self, prefix: str = "_n") -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    # -- literals and embedded values ---------------------------------------------

    def hole(self, number: int, place: str) -> n.Name | None:
        index = abs(number) - MARK_BASE
        if self.holes and 0 <= index < self.holes:
            self.places[index] = ("-" if number < 0 else "") + place
            return n.Name(f"_h{index}")
        return None

    def string(self, text: str) -> n.Expr:
        if not self.holes or not any(MARK_CHAR <= ord(c) < MARK_CHAR + self.holes for c in text):
            return n.Const(text)
        parts: list[n.Expr] = []
        literal = ""
        for c in text:
            if MARK_CHAR <= ord(c) < MARK_CHAR + self.holes:
                if literal:
                    parts.append(n.Const(literal))
                literal = ""
                index = ord(c) - MARK_CHAR
                self.places[index] = "text"
                parts.append(n.Name(f"_h{index}"))
            else:
                literal += c
        if literal:
            parts.append(n.Const(literal))
        joined = parts[0]
        for part in parts[1:]:
            joined = n.BinOp(joined, "+", part)
        return joined

    def integer(self, number: int | None) -> n.Expr:
        if number is None:
            return n.NONE
        return self.hole(number, "index") or n.Const(number)

    # -- queries --------------------------------------------------------------------

    def start(self, relative: bool, current: n.Expr) -> tuple[n.Expr, bool]:
        """(the node a query starts from, whether it is the wrapping array)."""
        node = current if relative else self.wrapped if self.wrapped is not None else self.root
        if node in (self.wrapped, self.root):
            self.root_uses += 1
        return node, not relative and self.wrapped is not None

    def singular(self, segments: Any, relative: bool, current: n.Expr) -> n.Expr | None:
        """``jp_member(...)`` of a singular query, or None when it is not one."""
        path: list[n.Expr] = []
        for segment in segments:
            if isinstance(segment, sg.JSONPathRecursiveDescentSegment) or len(segment.selectors) != 1:
                return None
            selector = segment.selectors[0]
            if isinstance(selector, sel.NameSelector) and not (self.goessner and selector.name == "length"):
                path.append(self.string(selector.name))
            elif isinstance(selector, sel.IndexSelector):
                path.append(self.integer(selector.index))
            else:
                return None
        node, at_wrapper = self.start(relative, current)
        if at_wrapper:
            if not path:
                return n.List((node,))
            first, path = path[0], path[1:]
            if first not in (n.Const(0), n.Const(-1)):
                return _NOTHING  # the wrapping array has one element and no members
        return n.runtime("jp_member", node, *path) if path else node

    def nodes(self, segments: Any, relative: bool, current: n.Expr) -> n.Expr:
        """The list of nodes the query selects."""
        node, at_wrapper = self.start(relative, current)
        clauses: list[n.Comprehension] = []
        for segment in segments:
            if isinstance(segment, sg.JSONPathRecursiveDescentSegment):
                walk = self.fresh("_d")
                clauses.append(
                    n.Comprehension((walk,), self.helper("jp_descendants", n.List((node,)) if at_wrapper else node))
                )
                node, at_wrapper = n.Name(walk), False
            if at_wrapper and len(segment.selectors) == 1 and _whole_wrapper(segment.selectors[0], self):
                at_wrapper = False  # $[0], $[-1], $[*]: the context itself
                continue
            var = self.fresh()
            if _only_filter(segment):
                iterable = n.List((node,)) if at_wrapper else self.helper("jp_children", node)
                test = self.test(segment.selectors[0].expression, n.Name(var))
                clauses.append(n.Comprehension((var,), iterable, (test,)))
            else:
                lists = [x for x in (self.selected(s, node, at_wrapper) for s in segment.selectors) if x != _EMPTY]
                if not lists:
                    return _EMPTY  # a name of the wrapping array, an index past its one element: nothing
                joined = lists[0] if len(lists) == 1 else n.List(tuple(n.Starred(x) for x in lists))
                clauses.append(n.Comprehension((var,), joined))
            node, at_wrapper = n.Name(var), False
        if not clauses:
            return n.List((n.List((node,)),)) if at_wrapper else n.List((node,))
        return n.ListComp(node, tuple(clauses))

    def selected(self, selector: Any, node: n.Expr, at_wrapper: bool) -> n.Expr:
        """The list of nodes one selector selects from ``node``."""
        if at_wrapper:  # the one-element array [node]
            if isinstance(selector, sel.NameSelector):
                return _EMPTY
            if isinstance(selector, sel.IndexSelector) and self.hole(selector.index, "index") is None:
                return n.List((node,)) if selector.index in (0, -1) else _EMPTY
            if isinstance(selector, sel.WildcardSelector):
                return n.List((node,))
            node = n.List((node,))
        if isinstance(selector, sel.NameSelector):
            if self.goessner and selector.name == "length":
                return self.helper("jp_length_member", node)
            return self.helper("jp_name", node, self.string(selector.name))
        if isinstance(selector, sel.IndexSelector):
            return self.helper("jp_index", node, self.integer(selector.index))
        if isinstance(selector, sel.SliceSelector):
            bounds = selector.slice
            return self.helper(
                "jp_slice", node, self.integer(bounds.start), self.integer(bounds.stop), self.integer(bounds.step)
            )
        if isinstance(selector, sel.WildcardSelector):
            return self.helper("jp_children", node)
        if isinstance(selector, sel.FilterSelector):
            var = self.fresh()
            children = self.helper("jp_children", node)
            test = self.test(selector.expression, n.Name(var))
            return n.ListComp(n.Name(var), (n.Comprehension((var,), children, (test,)),))
        raise Unsupported(f"selector {selector}")

    def exists(self, query: fe.FilterQuery, current: n.Expr) -> n.Expr:
        relative = isinstance(query, fe.RelativeFilterQuery)
        segments: Any = query.query.segments
        if not relative and self.wrapped is not None and len(segments) == 1 and _only_filter(segments[0]):
            return self.test(segments[0].selectors[0].expression, self.wrapped)  # $[?...]: the context itself
        member = self.singular(segments, relative, current)
        if member is not None:
            if member == _NOTHING:
                return n.FALSE
            is_member = isinstance(member, n.Call) and member.func == n.dotted("_runtime.jp_member")
            return n.runtime("jp_exists", member) if is_member else n.TRUE
        nodes = self.nodes(segments, relative, current)
        return n.FALSE if nodes == _EMPTY else n.call("bool", nodes)

    # -- filter expressions ---------------------------------------------------------

    def test(self, expr: Any, current: n.Expr) -> n.Expr:
        """A boolean: the filter expression holds for the node ``current``."""
        if isinstance(expr, fe.FilterExpression):
            return self.test(expr.expression, current)
        if isinstance(expr, fe.LogicalExpression):
            op = "and" if expr.operator == "&&" else "or"
            values: list[n.Expr] = []
            for side in (expr.left, expr.right):
                value = self.test(side, current)
                same = isinstance(side, fe.LogicalExpression) and side.operator == expr.operator
                values += list(value.values) if same and isinstance(value, n.BoolOp) else [value]
            return n.BoolOp(op, tuple(values))
        if isinstance(expr, fe.PrefixExpression) and expr.operator == "!":
            return n.Not(self.test(expr.right, current))
        if isinstance(expr, fe.ComparisonExpression):
            left, right = self.value(expr.left, current), self.value(expr.right, current)
            if expr.operator == "==":
                return n.runtime("jp_equal", left, right)
            if expr.operator == "!=":
                return n.Not(n.runtime("jp_equal", left, right))
            if expr.operator in _COMPARE:
                return n.runtime("jp_compare", n.Const(expr.operator), left, right)
        if isinstance(expr, fe.FilterQuery):
            return self.exists(expr, current)
        if isinstance(expr, fe.FunctionExtension) and expr.name in ("match", "search") and len(expr.args) == 2:
            return self.helper("jp_" + expr.name, self.value(expr.args[0], current), self.value(expr.args[1], current))
        raise Unsupported(f"filter expression {expr}")

    def value(self, expr: Any, current: n.Expr) -> n.Expr:
        """A comparable value: a literal, a singular query's node (or Nothing), or a
        function's result."""
        if isinstance(expr, fe.BooleanLiteral):
            return n.Const(bool(expr.value))
        if isinstance(expr, fe.NullLiteral):
            return n.NONE
        if isinstance(expr, fe.StringLiteral):
            return self.string(expr.value)
        if isinstance(expr, fe.IntegerLiteral):
            return self.hole(int(expr.value), "literal") or n.Const(int(expr.value))
        if isinstance(expr, fe.FloatLiteral):
            return n.Const(float(expr.value))
        if isinstance(expr, fe.FilterQuery):
            relative = isinstance(expr, fe.RelativeFilterQuery)
            member = self.singular(expr.query.segments, relative, current)
            if member is not None:
                return member
            if self.goessner:  # a singular query through Goessner's .length
                return self.helper("jp_value", self.nodes(expr.query.segments, relative, current))
            raise Unsupported(f"non-singular query {expr} as a value")
        if isinstance(expr, fe.FunctionExtension):
            args = expr.args
            if expr.name == "length":
                return self.helper("jp_length", self.value(args[0], current))
            if expr.name in ("count", "value") and isinstance(args[0], fe.FilterQuery):
                nodes = self.nodes(args[0].query.segments, isinstance(args[0], fe.RelativeFilterQuery), current)
                return n.call("len", nodes) if expr.name == "count" else self.helper("jp_value", nodes)
        raise Unsupported(f"value {expr}")


def _whole_wrapper(selector: Any, compiler: _Compiler) -> bool:
    if isinstance(selector, sel.IndexSelector):
        return selector.index in (0, -1) and compiler.hole(selector.index, "index") is None
    return isinstance(selector, sel.WildcardSelector)


def _only_filter(segment: Any) -> bool:
    return (
        not isinstance(segment, sg.JSONPathRecursiveDescentSegment)
        and len(segment.selectors) == 1
        and isinstance(segment.selectors[0], sel.FilterSelector)
    )


def _note_parts(parts: set[str] | None, compiler: _Compiler) -> None:
    """Add to ``parts`` the runtime parts the compiled code calls."""
    if parts is not None:
        parts.update(("jsonpath", "jsonpath_nodes") if compiler.uses_nodes else ("jsonpath",))


def _simple(context: n.Expr) -> bool:
    """A context that is written out wherever the query reads it (a name, None, a boolean)."""
    return isinstance(context, n.Name) or (
        isinstance(context, n.Const) and (context.value is None or isinstance(context.value, bool))
    )


def compile_criterion(query: str, context: n.Expr, *, goessner: bool = False, parts: set[str] | None = None) -> n.Expr:
    """An Arazzo 1.0 jsonpath criterion: the query selects a node from the context
    wrapped in a one-element array.  ``query`` must be well-formed; the runtime parts
    the code calls are added to ``parts``."""
    tree = jsonpath_parse.parse(query, goessner=goessner)

    def test(node: n.Expr) -> tuple[n.Expr, int]:
        compiler = _Compiler(goessner, root=n.List((node,)), wrapped=node)
        source = compiler.exists(fe.RootFilterQuery(None, tree), node)  # type: ignore[arg-type]
        _note_parts(parts, compiler)
        return source, compiler.root_uses

    if _simple(context):
        return test(context)[0]
    source, uses = test(n.Name("_c"))
    return test(context)[0] if uses <= 1 else n.Call(n.Lambda(("_c",), source), (context,))


def compile_criterion_1_1(
    query: str, context: n.Expr, holes: list[n.Expr], *, goessner: bool = False, parts: set[str] | None = None
) -> n.Expr:
    """An Arazzo 1.1 jsonpath criterion: the root ``$`` is the context; ``query`` holds
    a marker for each embedded value (MARK_BASE + i outside a string literal,
    chr(MARK_CHAR + i) inside one) and ``holes`` their values."""
    tree = jsonpath_parse.parse(query, goessner=goessner)
    root = n.Name("_r")
    compiler = _Compiler(goessner, root=root, holes=len(holes))
    test = compiler.exists(fe.RootFilterQuery(None, tree), root)  # type: ignore[arg-type]
    if len(compiler.places) != len(holes):
        missing = min(set(range(len(holes))) - set(compiler.places))
        raise Unsupported(f"embedded value {missing + 1} stands where a JSONPath query takes no value")
    _note_parts(parts, compiler)
    params = ("_r",) + tuple(f"_h{i}" for i in range(len(holes)))
    values: list[n.Expr] = []
    for index, source in enumerate(holes):
        place = compiler.places[index]
        if place == "text":
            values.append(n.runtime("text_1_1", source))
        elif place == "literal":
            values.append(n.runtime("jp_literal", source))
        else:
            values.append(n.runtime("jp_literal", source, n.Const(place)))
    return n.runtime("jp_holds", context, n.Lambda(params, test), *values)


def compile_selector(query: str, context: n.Expr, *, goessner: bool = False, parts: set[str] | None = None) -> n.Expr:
    """An Arazzo 1.1 Selector Object's value: a singular query's value (None when it
    selects nothing), else the list of every selected value."""
    tree = jsonpath_parse.parse(query, goessner=goessner)

    def select(node: n.Expr) -> tuple[n.Expr, int]:
        compiler = _Compiler(goessner, root=node)
        member = compiler.singular(tree.segments, False, node)
        source = n.runtime("jp_one", member) if member is not None else compiler.nodes(tree.segments, False, node)
        _note_parts(parts, compiler)
        return source, compiler.root_uses

    if _simple(context):
        return select(context)[0]
    source, uses = select(n.Name("_r"))
    return select(context)[0] if uses <= 1 else n.Call(n.Lambda(("_r",), source), (context,))


def compile_nodes(query: str, context: n.Expr, *, goessner: bool = False) -> n.Expr:
    """The list of values (the nodelist) the query selects from the value of
    ``context``, a name (the root ``$``)."""
    return _Compiler(goessner, root=context).nodes(
        jsonpath_parse.parse(query, goessner=goessner).segments, False, context
    )


def compile_locator(query: str, *, parts: set[str] | None = None) -> n.Lambda:
    """A function from a payload to the (container, key) slots the JSONPath replacement
    target selects (the root's slot is (None, None))."""
    tree = jsonpath_parse.parse(query)
    root = n.Name("_r")
    compiler = _Compiler(False, root=root)
    node: n.Expr = root
    slot: n.Expr = n.Tuple((n.NONE, n.NONE))
    clauses: list[n.Comprehension] = []
    for segment in tree.segments:
        if isinstance(segment, sg.JSONPathRecursiveDescentSegment):
            walk = compiler.fresh("_d")
            clauses.append(n.Comprehension((walk,), compiler.helper("jp_descendants", node)))
            node = n.Name(walk)
        parent, key = compiler.fresh("_p"), compiler.fresh("_k")
        lists: list[n.Expr] = []
        conditions: tuple[n.Expr, ...] = ()
        for selector in segment.selectors:
            if isinstance(selector, sel.NameSelector):
                lists.append(n.runtime("jp_slot", node, n.Const(selector.name)))
            elif isinstance(selector, sel.IndexSelector):
                lists.append(n.runtime("jp_slot", node, n.Const(selector.index)))
            elif isinstance(selector, sel.SliceSelector):
                bounds = selector.slice
                lists.append(
                    n.runtime("jp_slice_slots", node, n.Const(bounds.start), n.Const(bounds.stop), n.Const(bounds.step))
                )
            elif isinstance(selector, sel.WildcardSelector):
                lists.append(n.runtime("jp_slots", node))
            elif isinstance(selector, sel.FilterSelector) and len(segment.selectors) == 1:
                lists.append(n.runtime("jp_slots", node))
                conditions = (compiler.test(selector.expression, n.Subscript(n.Name(parent), n.Name(key))),)
            elif isinstance(selector, sel.FilterSelector):
                p, k = compiler.fresh("_p"), compiler.fresh("_k")
                test = compiler.test(selector.expression, n.Subscript(n.Name(p), n.Name(k)))
                pair = n.Tuple((n.Name(p), n.Name(k)))
                lists.append(n.ListComp(pair, (n.Comprehension((p, k), n.runtime("jp_slots", node), (test,)),)))
            else:
                raise Unsupported(f"selector {selector}")
        iterable = lists[0] if len(lists) == 1 else n.List(tuple(n.Starred(x) for x in lists))
        clauses.append(n.Comprehension((parent, key), iterable, conditions))
        node, slot = n.Subscript(n.Name(parent), n.Name(key)), n.Tuple((n.Name(parent), n.Name(key)))
    _note_parts(parts, compiler)
    if not clauses:
        return n.Lambda(("_r",), n.List((slot,)))
    return n.Lambda(("_r",), n.ListComp(slot, tuple(clauses)))
