"""JSONPath queries compiled to plain Python when the workflow is compiled.

The query is parsed by ``jsonpath-rfc9535`` (generator/jsonpath_parse.py); its parse
tree becomes Python source over the small helpers of the runtime's jsonpath part
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

import re
from dataclasses import dataclass, field
from typing import Any, Final

from jsonpath_rfc9535 import filter_expressions as fe
from jsonpath_rfc9535 import segments as sg
from jsonpath_rfc9535 import selectors as sel

from . import jsonpath_parse
from .pycode import py_str

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

_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Embedded ``{$...}`` values (Arazzo 1.1) stand in the parsed text as these: outside a
#: string literal the integer MARK_BASE + i, inside one the character MARK_CHAR + i.
MARK_BASE: Final = 9007199254740000
MARK_CHAR: Final = 0xE000
_COMPARE: Final = ("<", "<=", ">", ">=")
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
    root: str
    #: the root is the one-element array around this context source (1.0 criteria)
    wrapped: str | None = None
    holes: int = 0
    #: where each embedded value landed: "text", "literal", "-literal", "index", "-index"
    places: dict[int, str] = field(default_factory=dict)
    names: int = 0
    root_uses: int = 0
    #: whether the code calls the jsonpath_nodes part (nodelists, functions), not only jsonpath
    uses_nodes: bool = False

    def helper(self, name: str) -> str:
        """``_runtime.<name>``, noting the part it is in."""
        self.uses_nodes = self.uses_nodes or name in _NODES_PART
        return f"_runtime.{name}"

    def fresh(self, prefix: str = "_n") -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    # -- literals and embedded values ---------------------------------------------

    def hole(self, number: int, place: str) -> str | None:
        index = abs(number) - MARK_BASE
        if self.holes and 0 <= index < self.holes:
            self.places[index] = ("-" if number < 0 else "") + place
            return f"_h{index}"
        return None

    def string(self, text: str) -> str:
        if not self.holes or not any(MARK_CHAR <= ord(c) < MARK_CHAR + self.holes for c in text):
            return py_str(text)
        parts: list[str] = []
        literal = ""
        for c in text:
            if MARK_CHAR <= ord(c) < MARK_CHAR + self.holes:
                if literal:
                    parts.append(py_str(literal))
                literal = ""
                index = ord(c) - MARK_CHAR
                self.places[index] = "text"
                parts.append(f"_h{index}")
            else:
                literal += c
        if literal:
            parts.append(py_str(literal))
        return " + ".join(parts)

    def integer(self, number: int | None) -> str:
        if number is None:
            return "None"
        return self.hole(number, "index") or str(number)

    # -- queries --------------------------------------------------------------------

    def start(self, relative: bool, current: str) -> tuple[str, bool]:
        """(source of the node a query starts from, whether it is the wrapping array)."""
        node = current if relative else self.wrapped or self.root
        if node in (self.wrapped, self.root):
            self.root_uses += 1
        return node, not relative and self.wrapped is not None

    def singular(self, segments: Any, relative: bool, current: str) -> str | None:
        """``jp_member(...)`` of a singular query, or None when it is not one."""
        path: list[str] = []
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
                return f"[{node}]"
            first, path = path[0], path[1:]
            if first not in ("0", "-1"):
                return "_runtime.jp_nothing"  # the wrapping array has one element and no members
        return "_runtime.jp_member(" + ", ".join([node, *path]) + ")" if path else node

    def nodes(self, segments: Any, relative: bool, current: str) -> str:
        """Source of the list of nodes the query selects."""
        node, at_wrapper = self.start(relative, current)
        clauses: list[str] = []
        for segment in segments:
            if isinstance(segment, sg.JSONPathRecursiveDescentSegment):
                walk = self.fresh("_d")
                clauses.append(f"for {walk} in {self.helper('jp_descendants')}({f'[{node}]' if at_wrapper else node})")
                node, at_wrapper = walk, False
            if at_wrapper and len(segment.selectors) == 1 and _whole_wrapper(segment.selectors[0], self):
                at_wrapper = False  # $[0], $[-1], $[*]: the context itself
                continue
            var = self.fresh()
            if _only_filter(segment):
                if at_wrapper:
                    clauses.append(f"for {var} in [{node}] if {self.test(segment.selectors[0].expression, var)}")
                else:
                    clauses.append(
                        f"for {var} in {self.helper('jp_children')}({node}) if {self.test(segment.selectors[0].expression, var)}"
                    )
            else:
                lists = [x for x in (self.selected(s, node, at_wrapper) for s in segment.selectors) if x != "[]"]
                if not lists:
                    return "[]"  # a name of the wrapping array, an index past its one element: nothing
                clauses.append(
                    f"for {var} in {lists[0] if len(lists) == 1 else '[' + ', '.join('*' + x for x in lists) + ']'}"
                )
            node, at_wrapper = var, False
        if not clauses:
            return f"[[{node}]]" if at_wrapper else f"[{node}]"
        return f"[{node} " + " ".join(clauses) + "]"

    def selected(self, selector: Any, node: str, at_wrapper: bool) -> str:
        """Source of the list of nodes one selector selects from ``node``."""
        if at_wrapper:  # the one-element array [node]
            if isinstance(selector, sel.NameSelector):
                return "[]"
            if isinstance(selector, sel.IndexSelector) and self.hole(selector.index, "index") is None:
                return f"[{node}]" if selector.index in (0, -1) else "[]"
            if isinstance(selector, sel.WildcardSelector):
                return f"[{node}]"
            node = f"[{node}]"
        if isinstance(selector, sel.NameSelector):
            if self.goessner and selector.name == "length":
                return f"{self.helper('jp_length_member')}({node})"
            return f"{self.helper('jp_name')}({node}, {self.string(selector.name)})"
        if isinstance(selector, sel.IndexSelector):
            return f"{self.helper('jp_index')}({node}, {self.integer(selector.index)})"
        if isinstance(selector, sel.SliceSelector):
            bounds = selector.slice
            return f"{self.helper('jp_slice')}({node}, {self.integer(bounds.start)}, {self.integer(bounds.stop)}, {self.integer(bounds.step)})"
        if isinstance(selector, sel.WildcardSelector):
            return f"{self.helper('jp_children')}({node})"
        if isinstance(selector, sel.FilterSelector):
            var = self.fresh()
            return f"[{var} for {var} in {self.helper('jp_children')}({node}) if {self.test(selector.expression, var)}]"
        raise Unsupported(f"selector {selector}")

    def exists(self, query: fe.FilterQuery, current: str) -> str:
        relative = isinstance(query, fe.RelativeFilterQuery)
        segments: Any = query.query.segments
        if not relative and self.wrapped is not None and len(segments) == 1 and _only_filter(segments[0]):
            return self.test(segments[0].selectors[0].expression, self.wrapped)  # $[?...]: the context itself
        member = self.singular(segments, relative, current)
        if member is not None:
            if member == "_runtime.jp_nothing":
                return "False"
            return f"_runtime.jp_exists({member})" if member.startswith("_runtime.jp_member(") else "True"
        nodes = self.nodes(segments, relative, current)
        return "False" if nodes == "[]" else f"bool({nodes})"

    # -- filter expressions ---------------------------------------------------------

    def test(self, expr: Any, current: str) -> str:
        """Source of a boolean: the filter expression holds for the node ``current``."""
        if isinstance(expr, fe.FilterExpression):
            return self.test(expr.expression, current)
        if isinstance(expr, fe.LogicalExpression):
            joiner = " and " if expr.operator == "&&" else " or "
            return joiner.join(self.operand(e, current, expr.operator) for e in (expr.left, expr.right))
        if isinstance(expr, fe.PrefixExpression) and expr.operator == "!":
            inner = self.test(expr.right, current)
            return f"not {inner}" if _atomic(inner) else f"not ({inner})"
        if isinstance(expr, fe.ComparisonExpression):
            left, right = self.value(expr.left, current), self.value(expr.right, current)
            if expr.operator == "==":
                return f"_runtime.jp_equal({left}, {right})"
            if expr.operator == "!=":
                return f"not _runtime.jp_equal({left}, {right})"
            if expr.operator in _COMPARE:
                return f"_runtime.jp_compare({py_str(expr.operator)}, {left}, {right})"
        if isinstance(expr, fe.FilterQuery):
            return self.exists(expr, current)
        if isinstance(expr, fe.FunctionExtension) and expr.name in ("match", "search") and len(expr.args) == 2:
            return f"{self.helper('jp_' + expr.name)}({self.value(expr.args[0], current)}, {self.value(expr.args[1], current)})"
        raise Unsupported(f"filter expression {expr}")

    def operand(self, expr: Any, current: str, operator: str) -> str:
        source = self.test(expr, current)
        if (
            _atomic(source)
            or source.startswith("not ")
            or (isinstance(expr, fe.LogicalExpression) and expr.operator == operator)
        ):
            return source
        return f"({source})"

    def value(self, expr: Any, current: str) -> str:
        """Source of a comparable value: a literal, a singular query's node (or Nothing),
        or a function's result."""
        if isinstance(expr, fe.BooleanLiteral):
            return "True" if expr.value else "False"
        if isinstance(expr, fe.NullLiteral):
            return "None"
        if isinstance(expr, fe.StringLiteral):
            return self.string(expr.value)
        if isinstance(expr, fe.IntegerLiteral):
            return self.hole(int(expr.value), "literal") or str(int(expr.value))
        if isinstance(expr, fe.FloatLiteral):
            return repr(float(expr.value))
        if isinstance(expr, fe.FilterQuery):
            relative = isinstance(expr, fe.RelativeFilterQuery)
            member = self.singular(expr.query.segments, relative, current)
            if member is not None:
                return member
            if self.goessner:  # a singular query through Goessner's .length
                return f"{self.helper('jp_value')}({self.nodes(expr.query.segments, relative, current)})"
            raise Unsupported(f"non-singular query {expr} as a value")
        if isinstance(expr, fe.FunctionExtension):
            args = expr.args
            if expr.name == "length":
                return f"{self.helper('jp_length')}({self.value(args[0], current)})"
            if expr.name in ("count", "value") and isinstance(args[0], fe.FilterQuery):
                nodes = self.nodes(args[0].query.segments, isinstance(args[0], fe.RelativeFilterQuery), current)
                return f"len({nodes})" if expr.name == "count" else f"{self.helper('jp_value')}({nodes})"
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


def _atomic(source: str) -> bool:
    """Whether ``source`` is one call, name or constant (no operator at its top level)."""
    depth = 0
    quote = ""
    for index, c in enumerate(source):
        if quote:
            if c == "\\":
                continue
            if c == quote and source[index - 1] != "\\":
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == " " and depth == 0:
            return False
    return True


def _note_parts(parts: set[str] | None, compiler: _Compiler) -> None:
    """Add to ``parts`` the runtime parts the compiled code calls."""
    if parts is not None:
        parts.update(("jsonpath", "jsonpath_nodes") if compiler.uses_nodes else ("jsonpath",))


def compile_criterion(query: str, context: str, *, goessner: bool = False, parts: set[str] | None = None) -> str:
    """Python source of an Arazzo 1.0 jsonpath criterion: the query selects a node from
    the context wrapped in a one-element array.  ``query`` must be well-formed; the
    runtime parts the code calls are added to ``parts``."""
    tree = jsonpath_parse.parse(query, goessner=goessner)

    def test(name: str) -> tuple[str, int]:
        compiler = _Compiler(goessner, root=f"[{name}]", wrapped=name)
        source = compiler.exists(fe.RootFilterQuery(None, tree), name)  # type: ignore[arg-type]
        _note_parts(parts, compiler)
        return source, compiler.root_uses

    if _IDENTIFIER.match(context):
        return test(context)[0]
    source, uses = test("_c")
    return test(context)[0] if uses <= 1 else f"(lambda _c: {source})({context})"


def compile_criterion_1_1(
    query: str, context: str, holes: list[str], *, goessner: bool = False, parts: set[str] | None = None
) -> str:
    """Python source of an Arazzo 1.1 jsonpath criterion: the root ``$`` is the context;
    ``query`` holds a marker for each embedded value (MARK_BASE + i outside a string
    literal, chr(MARK_CHAR + i) inside one) and ``holes`` their sources."""
    tree = jsonpath_parse.parse(query, goessner=goessner)
    compiler = _Compiler(goessner, root="_r", holes=len(holes))
    test = compiler.exists(fe.RootFilterQuery(None, tree), "_r")  # type: ignore[arg-type]
    if len(compiler.places) != len(holes):
        missing = min(set(range(len(holes))) - set(compiler.places))
        raise Unsupported(f"embedded value {missing + 1} stands where a JSONPath query takes no value")
    _note_parts(parts, compiler)
    params = "".join(f", _h{i}" for i in range(len(holes)))
    values = []
    for index, source in enumerate(holes):
        place = compiler.places[index]
        if place == "text":
            values.append(f"_runtime.text_1_1({source})")
        else:
            values.append(f"_runtime.jp_literal({source}{'' if place == 'literal' else ', ' + py_str(place)})")
    return f"_runtime.jp_holds({context}, lambda _r{params}: {test}" + "".join(f", {v}" for v in values) + ")"


def compile_selector(query: str, context: str, *, goessner: bool = False, parts: set[str] | None = None) -> str:
    """Python source of an Arazzo 1.1 Selector Object's value: a singular query's value
    (None when it selects nothing), else the list of every selected value."""
    tree = jsonpath_parse.parse(query, goessner=goessner)

    def select(name: str) -> tuple[str, int]:
        compiler = _Compiler(goessner, root=name)
        member = compiler.singular(tree.segments, False, name)
        source = f"_runtime.jp_one({member})" if member is not None else compiler.nodes(tree.segments, False, name)
        _note_parts(parts, compiler)
        return source, compiler.root_uses

    if _IDENTIFIER.match(context):
        return select(context)[0]
    source, uses = select("_r")
    return select(context)[0] if uses <= 1 else f"(lambda _r: {source})({context})"


def compile_nodes(query: str, context: str, *, goessner: bool = False) -> str:
    """Python source of the list of values (the nodelist) the query selects from the
    value of ``context``, an identifier (the root ``$``)."""
    return _Compiler(goessner, root=context).nodes(
        jsonpath_parse.parse(query, goessner=goessner).segments, False, context
    )


def compile_locator(query: str, *, parts: set[str] | None = None) -> str:
    """Python source of a function from a payload to the (container, key) slots the
    JSONPath replacement target selects (the root's slot is (None, None))."""
    tree = jsonpath_parse.parse(query)
    compiler = _Compiler(False, root="_r")
    node = "_r"
    slot = "(None, None)"
    clauses: list[str] = []
    for segment in tree.segments:
        if isinstance(segment, sg.JSONPathRecursiveDescentSegment):
            walk = compiler.fresh("_d")
            clauses.append(f"for {walk} in {compiler.helper('jp_descendants')}({node})")
            node = walk
        parent, key = compiler.fresh("_p"), compiler.fresh("_k")
        lists: list[str] = []
        condition = ""
        for selector in segment.selectors:
            if isinstance(selector, (sel.NameSelector, sel.IndexSelector)):
                lists.append(
                    f"_runtime.jp_slot({node}, {py_str(selector.name) if isinstance(selector, sel.NameSelector) else selector.index})"
                )
            elif isinstance(selector, sel.SliceSelector):
                bounds = selector.slice
                lists.append(f"_runtime.jp_slice_slots({node}, {bounds.start}, {bounds.stop}, {bounds.step})")
            elif isinstance(selector, sel.WildcardSelector):
                lists.append(f"_runtime.jp_slots({node})")
            elif isinstance(selector, sel.FilterSelector) and len(segment.selectors) == 1:
                lists.append(f"_runtime.jp_slots({node})")
                condition = f" if {compiler.test(selector.expression, f'{parent}[{key}]')}"
            elif isinstance(selector, sel.FilterSelector):
                p, k = compiler.fresh("_p"), compiler.fresh("_k")
                lists.append(
                    f"[({p}, {k}) for {p}, {k} in _runtime.jp_slots({node}) if {compiler.test(selector.expression, f'{p}[{k}]')}]"
                )
            else:
                raise Unsupported(f"selector {selector}")
        iterable = lists[0] if len(lists) == 1 else "[" + ", ".join("*" + x for x in lists) + "]"
        clauses.append(f"for {parent}, {key} in {iterable}{condition}")
        node, slot = f"{parent}[{key}]", f"({parent}, {key})"
    _note_parts(parts, compiler)
    if not clauses:
        return "lambda _r: [(None, None)]"
    return f"lambda _r: [{slot} " + " ".join(clauses) + "]"
