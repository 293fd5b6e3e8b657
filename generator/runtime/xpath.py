r"""XPath over XML bodies.

Criteria of type ``xpath`` (versions xpath-10, xpath-20, xpath-30 and xpath-31) and
XPath targets of payload replacements, evaluated over xml.etree.ElementTree (the
standard library; expat refuses entity-expansion attacks).  Each version parses
its own grammar: a construct the version does not have (``if`` or ``eq`` in 1.0,
``||`` or ``let`` in 2.0) is an XPathError, and so is anything outside the
supported subset.  The subset: every axis but namespace, name tests (matched on
the local name: namespace prefixes are not resolved), the kind tests node(),
text(), element() and attribute(), predicates, unions, intersect/except, the
operators of the version (general, value and node comparisons, arithmetic, to,
||, !), sequences, if, for, let, some/every, variables bound by those, literals
and the functions in _XP_FUNCTIONS.  1.0 expressions follow XPath 1.0 (numbers
are doubles, comparisons convert leniently); 2.0 and later follow the XPath 2.0
data model (xs:integer, xs:decimal and xs:double, untypedAtomic node values, type
errors raised as ValueError).  Regular expressions (matches, replace, tokenize)
run on Python's re, translated from the XSD syntax it shares; \p{..}, \i, \c and
character-class subtraction are refused.  The generator runs this same code at
compile time, so an expression outside the subset is a compile-time error, never a
run-time surprise.  Nesting and the work done by one evaluation are bounded.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from .core import WorkflowError, logger

__all__ = [
    "XPathError",
    "xml_document",
    "xml_replace",
    "xpath",
    "xpath_parse",
    "xpath_string",
    "xpath_test",
]


class XPathError(ValueError):
    """An XPath expression that does not parse or is outside the supported subset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


class _XPathTypeError(ValueError):
    """A value of the wrong type for an operator or function during evaluation (XPTY0004, XPTY0020)."""


_XP_VERSIONS: dict[str, int] = {
    "xpath-10": 10,
    "xpath-20": 20,
    "xpath-30": 30,
    "xpath-31": 31,
}
_XP_NAMES: dict[int, str] = {
    10: "XPath 1.0",
    20: "XPath 2.0",
    30: "XPath 3.0",
    31: "XPath 3.1",
}
_XP_MAX_NESTING = 32  # parentheses, predicates, arguments and clauses inside each other
_XP_MAX_DEPTH = (
    64  # operators applied to operators (a or b or c ... counts one per 'or')
)
_XP_MAX_ITEMS = 1_000_000  # the longest range (1 to N) an evaluation may build
_XP_BUDGET = (
    2_000_000  # nodes visited and items tested by one evaluation (about a second)
)


def _xp_version(version: str) -> int:
    number = _XP_VERSIONS.get(version)
    if number is None:
        raise XPathError(
            f"unknown XPath version {version!r} (use xpath-10, xpath-20, xpath-30 or xpath-31)",
            0,
        )
    return number


def _xp_since(version: int) -> str:
    return f"use xpath-{version} or later" if version != 31 else "use xpath-31"


class _XNode:
    """A node of the XPath data model over an ElementTree element tree."""

    __slots__ = (
        "attributes",
        "children",
        "element",
        "flat",
        "index",
        "kind",
        "name",
        "nodes",
        "order",
        "parent",
        "text",
        "uri",
    )

    def __init__(
        self,
        kind: str,
        name: str,
        parent: _XNode | None,
        element: ET.Element | None = None,
        text: str = "",
        uri: str = "",
    ) -> None:
        self.kind = kind  # root | element | attribute | text
        self.name = name  # the local name
        self.uri = uri  # the namespace URI
        self.parent = parent
        self.element = element
        self.text = text
        self.order = 0  # document order
        self.index = 0  # position among the parent's children
        self.flat = 0  # position in the document's list of non-attribute nodes
        self.children: list[_XNode] = []
        self.attributes: list[_XNode] = []
        self.nodes: list[_XNode] = (
            []
        )  # the document node only: every non-attribute node in order

    def string_value(self) -> str:
        if self.kind not in ("element", "root"):
            return self.text
        parts: list[str] = []
        stack = list(reversed(self.children))
        while stack:  # the text nodes below, in document order (no recursion)
            node = stack.pop()
            if node.kind == "text":
                parts.append(node.text)
            elif node.kind == "element":
                stack.extend(reversed(node.children))
        return "".join(parts)

    def root(self) -> _XNode:
        node = self
        while node.parent is not None:
            node = node.parent
        return node


class _XUntyped(str):
    """xs:untypedAtomic: the value of a node, a string that converts to what it meets."""

    __slots__ = ()


_XNumber = int | float | Decimal
_XAtomic = bool | int | float | Decimal | str
_XItem = _XNode | bool | int | float | Decimal | str
_XSeq = list[_XItem]


def _xp_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _xp_uri(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _xp_document(root_element: ET.Element) -> _XNode:
    """The document node over ``root_element``, every node numbered in document order."""
    document = _XNode("root", "", None)
    document.nodes.append(document)
    counter = 0
    stack: list[tuple[ET.Element | str, _XNode]] = [(root_element, document)]
    while stack:
        item, parent = stack.pop()
        counter += 1
        if isinstance(item, str):
            node = _XNode("text", "", parent, text=item)
        else:
            node = _XNode(
                "element",
                _xp_local(item.tag),
                parent,
                element=item,
                uri=_xp_uri(item.tag),
            )
        node.order = counter
        node.index = len(parent.children)
        node.flat = len(document.nodes)
        parent.children.append(node)
        document.nodes.append(node)
        if isinstance(item, str):
            continue
        for key, value in item.attrib.items():
            counter += 1
            attribute = _XNode(
                "attribute", _xp_local(key), node, text=value, uri=_xp_uri(key)
            )
            attribute.order = counter
            node.attributes.append(attribute)
        pending: list[tuple[ET.Element | str, _XNode]] = []
        if item.text:
            pending.append((item.text, node))
        for child in item:
            pending.append((child, node))
            if child.tail:
                pending.append((child.tail, node))
        stack.extend(reversed(pending))
    return document


# -- expressions --------------------------------------------------------------------


class _XLiteral:
    def __init__(self, value: _XAtomic) -> None:
        self.value = value


class _XVar:
    def __init__(self, name: str) -> None:
        self.name = name


class _XContextItem:
    pass


class _XStep:
    def __init__(
        self, axis: str, test: str, name: str, predicates: list[_XExpr]
    ) -> None:
        self.axis = axis  # one of _XP_AXES
        self.test = test  # principal | element | attribute | text | node
        self.name = name  # the local name to match; "" for any
        self.predicates = predicates


class _XFilter:
    def __init__(self, primary: _XExpr, predicates: list[_XExpr]) -> None:
        self.primary = primary
        self.predicates = predicates


class _XPathExpr:
    def __init__(self, absolute: bool, steps: list[_XStep | _XFilter]) -> None:
        self.absolute = absolute
        self.steps = steps


class _XBinary:
    def __init__(self, op: str, left: _XExpr, right: _XExpr) -> None:
        self.op = op
        self.left = left
        self.right = right


class _XUnary:
    def __init__(self, negate: bool, operand: _XExpr) -> None:
        self.negate = negate
        self.operand = operand


class _XCall:
    def __init__(self, name: str, args: list[_XExpr]) -> None:
        self.name = name
        self.args = args


class _XSequence:
    def __init__(self, items: list[_XExpr]) -> None:
        self.items = items


class _XIf:
    def __init__(self, condition: _XExpr, then: _XExpr, otherwise: _XExpr) -> None:
        self.condition = condition
        self.then = then
        self.otherwise = otherwise


class _XBinding:
    def __init__(
        self, kind: str, bindings: list[tuple[str, _XExpr]], body: _XExpr
    ) -> None:
        self.kind = kind  # for | let | some | every
        self.bindings = bindings
        self.body = body


_XExpr = (
    _XLiteral
    | _XVar
    | _XContextItem
    | _XPathExpr
    | _XBinary
    | _XUnary
    | _XCall
    | _XSequence
    | _XIf
    | _XBinding
)

# name -> (fewest arguments, most arguments or -1 for any number, first version)
_XP_FUNCTIONS: dict[str, tuple[int, int, int]] = {
    # XPath 1.0
    "last": (0, 0, 10),
    "position": (0, 0, 10),
    "count": (1, 1, 10),
    "local-name": (0, 1, 10),
    "namespace-uri": (0, 1, 10),
    "name": (0, 1, 10),
    "string": (0, 1, 10),
    "concat": (2, -1, 10),
    "starts-with": (2, 2, 10),
    "contains": (2, 2, 10),
    "substring-before": (2, 2, 10),
    "substring-after": (2, 2, 10),
    "substring": (2, 3, 10),
    "string-length": (0, 1, 10),
    "normalize-space": (0, 1, 10),
    "translate": (3, 3, 10),
    "boolean": (1, 1, 10),
    "not": (1, 1, 10),
    "true": (0, 0, 10),
    "false": (0, 0, 10),
    "number": (0, 1, 10),
    "sum": (1, 2, 10),
    "floor": (1, 1, 10),
    "ceiling": (1, 1, 10),
    "round": (1, 2, 10),
    # XPath 2.0
    "ends-with": (2, 2, 20),
    "upper-case": (1, 1, 20),
    "lower-case": (1, 1, 20),
    "exists": (1, 1, 20),
    "empty": (1, 1, 20),
    "matches": (2, 3, 20),
    "replace": (3, 4, 20),
    "tokenize": (1, 3, 20),
    "abs": (1, 1, 20),
    "min": (1, 1, 20),
    "max": (1, 1, 20),
    "avg": (1, 1, 20),
    "distinct-values": (1, 1, 20),
    "index-of": (2, 2, 20),
    "reverse": (1, 1, 20),
    "subsequence": (2, 3, 20),
    "insert-before": (3, 3, 20),
    "remove": (2, 2, 20),
    "string-join": (1, 2, 20),
    "compare": (2, 2, 20),
    "codepoint-equal": (2, 2, 20),
    "codepoints-to-string": (1, 1, 20),
    "string-to-codepoints": (1, 1, 20),
    "deep-equal": (2, 2, 20),
    "zero-or-one": (1, 1, 20),
    "one-or-more": (1, 1, 20),
    "exactly-one": (1, 1, 20),
    "data": (0, 1, 20),
    "round-half-to-even": (1, 2, 20),
    "root": (0, 1, 20),
    # XPath 3.0
    "head": (1, 1, 30),
    "tail": (1, 1, 30),
    "has-children": (0, 1, 30),
}
# (function, number of arguments) -> first version, where a version added an arity
_XP_ARITY_SINCE: dict[tuple[str, int], int] = {
    ("sum", 2): 20,
    ("round", 2): 30,
    ("string-join", 1): 30,
    ("tokenize", 1): 31,
    ("data", 0): 30,
}
_XP_CONTEXT_FUNCTIONS = (
    "string",
    "number",
    "string-length",
    "normalize-space",
    "name",
    "local-name",
    "namespace-uri",
    "data",
    "root",
    "has-children",
)
_XP_AXES = (
    "child",
    "attribute",
    "self",
    "parent",
    "descendant",
    "descendant-or-self",
    "ancestor",
    "ancestor-or-self",
    "following",
    "following-sibling",
    "preceding",
    "preceding-sibling",
)
_XP_REVERSE_AXES = (
    "parent",
    "ancestor",
    "ancestor-or-self",
    "preceding",
    "preceding-sibling",
)
_XP_KIND_TESTS = (
    "node",
    "text",
    "element",
    "attribute",
    "comment",
    "processing-instruction",
    "document-node",
    "schema-element",
    "schema-attribute",
    "namespace-node",
)
_XP_GENERAL = ("=", "!=", "<", "<=", ">", ">=")
_XP_VALUE_OPS: dict[str, str] = {
    "eq": "=",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
}
# binary operators -> precedence level (a higher level binds tighter)
_XP_LEVELS_10: dict[str, int] = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}
_XP_LEVELS_20: dict[str, int] = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "eq": 3,
    "ne": 3,
    "lt": 3,
    "le": 3,
    "gt": 3,
    "ge": 3,
    "is": 3,
    "<<": 3,
    ">>": 3,
    "||": 4,
    "to": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "div": 7,
    "idiv": 7,
    "mod": 7,
    "|": 8,
    "union": 8,
    "intersect": 9,
    "except": 9,
}
_XP_NON_ASSOCIATIVE = (
    3,
    5,
)  # comparisons and ranges do not chain in XPath 2.0 and later
_XP_OPERATOR_SINCE: dict[str, int] = {
    "eq": 20,
    "ne": 20,
    "lt": 20,
    "le": 20,
    "gt": 20,
    "ge": 20,
    "is": 20,
    "<<": 20,
    ">>": 20,
    "to": 20,
    "idiv": 20,
    "union": 20,
    "intersect": 20,
    "except": 20,
    "||": 30,
    "!": 30,
}
_XP_UNSUPPORTED_OPERATORS: dict[str, str] = {
    "instance": "of",
    "treat": "as",
    "castable": "as",
    "cast": "as",
}
_XP_KEYWORDS: dict[str, int] = {"for": 20, "some": 20, "every": 20, "let": 30}
_XP_SYMBOLS = (
    "//",
    "::",
    "..",
    "!=",
    "<=",
    ">=",
    "=>",
    "<<",
    ">>",
    ":=",
    "||",
    "/",
    "(",
    ")",
    "[",
    "]",
    ".",
    "@",
    ",",
    "|",
    "+",
    "-",
    "*",
    "=",
    "<",
    ">",
    "$",
    "!",
)


class _XToken:
    def __init__(self, kind: str, text: str, offset: int) -> None:
        self.kind = kind  # number | string | name | op | end
        self.text = text
        self.offset = offset
        self.value = ""  # a string literal's value


def _xp_name_start(c: str) -> bool:
    return c.isalpha() or c == "_"


def _xp_name_end(text: str, i: int) -> int:
    while i < len(text) and (text[i].isalnum() or text[i] in "_-."):
        i += 1
    return i


def _xp_tokens(text: str, version: int) -> list[_XToken]:
    tokens: list[_XToken] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if text.startswith("(:", i):  # (: comments :), which nest
            if version == 10:
                raise XPathError(f"XPath 1.0 has no comments ({_xp_since(20)})", i)
            depth = 0
            while True:
                if i >= n:
                    raise XPathError("unterminated comment", start)
                if text.startswith("(:", i):
                    depth += 1
                    i += 2
                elif text.startswith(":)", i):
                    depth -= 1
                    i += 2
                    if depth == 0:
                        break
                else:
                    i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            while i < n and text[i].isdigit():
                i += 1
            if i < n and text[i] == ".":
                i += 1
                while i < n and text[i].isdigit():
                    i += 1
            if i < n and text[i] in "eE":
                if version == 10:
                    raise XPathError(
                        f"XPath 1.0 has no numbers with an exponent ({_xp_since(20)})",
                        i,
                    )
                i += 1
                if i < n and text[i] in "+-":
                    i += 1
                if i >= n or not text[i].isdigit():
                    raise XPathError("malformed number", start)
                while i < n and text[i].isdigit():
                    i += 1
            if i < n and (_xp_name_start(text[i]) or text[i] == "."):
                raise XPathError(
                    "a number must be followed by a space or an operator", i
                )
            tokens.append(_XToken("number", text[start:i], start))
            continue
        if c in ("'", '"'):
            i += 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise XPathError("unterminated string literal", start)
                if text[i] == c:
                    if (
                        version != 10 and i + 1 < n and text[i + 1] == c
                    ):  # '' inside '...'
                        chars.append(c)
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            token = _XToken("string", text[start:i], start)
            token.value = "".join(chars)
            tokens.append(token)
            continue
        if _xp_name_start(c) or (
            c == "*"
            and text.startswith(":", i + 1)
            and i + 2 < n
            and _xp_name_start(text[i + 2])
        ):
            if c == "*":  # *:local
                if version == 10:
                    raise XPathError(
                        f"XPath 1.0 has no wildcard *:name ({_xp_since(20)})", i
                    )
                i = _xp_name_end(text, i + 3)
            else:
                i = _xp_name_end(text, i)
                if (
                    i + 1 < n
                    and text[i] == ":"
                    and (text[i + 1] == "*" or _xp_name_start(text[i + 1]))
                ):
                    i = (
                        i + 2 if text[i + 1] == "*" else _xp_name_end(text, i + 1)
                    )  # prefix:local or prefix:*
            tokens.append(_XToken("name", text[start:i], start))
            continue
        for op in _XP_SYMBOLS:
            if text.startswith(op, i):
                tokens.append(_XToken("op", op, start))
                i += len(op)
                break
        else:
            if c in "{}":
                raise XPathError(
                    "maps, arrays and inline functions ({...}) are outside the supported XPath subset",
                    i,
                )
            if c in "?#":
                raise XPathError(
                    f"{'lookups (?)' if c == '?' else 'function references (#)'} are outside the supported XPath subset",
                    i,
                )
            raise XPathError(f"unexpected character {c!r}", i)
    tokens.append(_XToken("end", "", n))
    return tokens


class _XParser:
    def __init__(self, text: str, version: int) -> None:
        self.text = text
        self.version = version
        self.levels = _XP_LEVELS_10 if version == 10 else _XP_LEVELS_20
        self.tokens = _xp_tokens(text, version)
        self.index = 0
        self.nesting = 0
        self.scope: list[str] = []  # the variables bound where the parser is

    @property
    def tok(self) -> _XToken:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> _XToken:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> _XToken:
        tok = self.tokens[self.index]
        self.index += 1
        return tok

    def fail(self, message: str, tok: _XToken | None = None) -> XPathError:
        return XPathError(message, (tok or self.tok).offset)

    def is_op(self, *texts: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in texts

    def is_name(self, *names: str) -> bool:
        return self.tok.kind == "name" and self.tok.text in names

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            found = repr(self.tok.text) if self.tok.kind != "end" else "the end"
            raise self.fail(f"expected {text!r}, found {found}")
        self.advance()

    def expect_name(self, text: str) -> None:
        if not self.is_name(text):
            found = repr(self.tok.text) if self.tok.kind != "end" else "the end"
            raise self.fail(f"expected {text!r}, found {found}")
        self.advance()

    def too_new(self, what: str, since: int, tok: _XToken | None = None) -> XPathError:
        return self.fail(
            f"{_XP_NAMES[self.version]} has no {what} ({_xp_since(since)})", tok
        )

    def parse(self) -> _XExpr:
        if self.tok.kind == "end":
            raise self.fail("empty XPath expression")
        expr = self.expr()
        if self.tok.kind != "end":
            raise self.fail(f"unexpected {self.tok.text!r}")
        return expr

    def expr(self) -> _XExpr:
        first = self.expr_single()
        if not self.is_op(","):
            return first
        if self.version == 10:
            raise self.too_new("sequence operator ','", 20)
        items = [first]
        while self.is_op(","):
            self.advance()
            items.append(self.expr_single())
        return _XSequence(items)

    def expr_single(self) -> _XExpr:
        self.nesting += 1
        if self.nesting > _XP_MAX_NESTING:
            raise self.fail(
                f"the expression nests deeper than {_XP_MAX_NESTING} levels"
            )
        try:
            tok = self.tok
            if tok.kind == "name" and self.peek().kind == "op":
                after = self.peek().text
                if tok.text in _XP_KEYWORDS and after == "$":
                    if self.version < _XP_KEYWORDS[tok.text]:
                        raise self.too_new(
                            f"'{tok.text}' expressions", _XP_KEYWORDS[tok.text]
                        )
                    return self.binding(tok.text)
                if tok.text == "if" and after == "(":
                    if self.version == 10:
                        raise self.too_new("'if' expressions", 20)
                    return self.conditional()
            return self.binary()
        finally:
            self.nesting -= 1

    def binding(self, kind: str) -> _XExpr:
        self.advance()
        bindings: list[tuple[str, _XExpr]] = []
        bound = len(self.scope)
        try:
            while True:
                self.expect_op("$")
                if self.tok.kind != "name":
                    raise self.fail("expected a variable name after '$'")
                name = self.advance().text
                if kind == "let":
                    self.expect_op(":=")
                else:
                    self.expect_name("in")
                bindings.append((name, self.expr_single()))
                self.scope.append(name)
                if not self.is_op(","):
                    break
                self.advance()
            self.expect_name("satisfies" if kind in ("some", "every") else "return")
            return _XBinding(kind, bindings, self.expr_single())
        finally:
            del self.scope[bound:]

    def conditional(self) -> _XExpr:
        self.advance()
        self.expect_op("(")
        condition = self.expr()
        self.expect_op(")")
        self.expect_name("then")
        then = self.expr_single()
        self.expect_name("else")
        return _XIf(condition, then, self.expr_single())

    def operator_level(self) -> int:
        tok = self.tok
        if tok.kind not in ("op", "name"):
            return 0
        since = _XP_OPERATOR_SINCE.get(tok.text)
        if (
            since is not None
            and self.version < since
            and (tok.kind == "op") == (not tok.text.isalpha())
        ):
            raise self.too_new(f"operator {tok.text!r}", since)
        level = self.levels.get(tok.text, 0)
        if level:
            return level
        if tok.kind == "op" and tok.text == "=>":
            raise self.fail(
                "the arrow operator '=>' is outside the supported XPath subset"
            )
        follow = _XP_UNSUPPORTED_OPERATORS.get(tok.text)
        if (
            tok.kind == "name"
            and follow is not None
            and self.peek().kind == "name"
            and self.peek().text == follow
        ):
            raise self.fail(
                f"'{tok.text} {follow}' expressions are outside the supported XPath subset"
            )
        return 0

    def binary(self) -> _XExpr:
        """Binary operators by precedence, with explicit stacks (no recursion per level)."""
        operands = [self.unary()]
        operators: list[tuple[int, _XToken]] = []

        def reduce() -> tuple[int, _XToken]:
            level, tok = operators.pop()
            right = operands.pop()
            left = operands.pop()
            if self.version != 10:
                _xp_check_types(tok, left, right)
            operands.append(
                _XBinary("|" if tok.text == "union" else tok.text, left, right)
            )
            return level, tok

        while True:
            level = self.operator_level()
            if level == 0:
                break
            while operators and operators[-1][0] >= level:
                done, previous = reduce()
                if (
                    done == level
                    and self.version != 10
                    and level in _XP_NON_ASSOCIATIVE
                ):
                    hint = " (join comparisons with 'and')" if level == 3 else ""
                    raise self.fail(
                        f"{self.tok.text!r} cannot follow {previous.text!r} without parentheses{hint}"
                    )
            operators.append((level, self.advance()))
            operands.append(self.unary())
        while operators:
            reduce()
        return operands[0]

    def unary(self) -> _XExpr:
        negate = False
        signed = False
        while self.is_op("-", "+"):
            if self.is_op("+") and self.version == 10:
                raise self.too_new("unary '+'", 20)
            negate ^= self.advance().text == "-"
            signed = True
        start = self.tok
        operand = self.union_10() if self.version == 10 else self.simple_map()
        if (
            signed
            and self.version != 10
            and _xp_static_type(operand) in ("xs:string", "xs:boolean")
        ):
            raise self.fail(
                f"unary '-' or '+' does not apply to {_xp_static_type(operand)} (XPTY0004)",
                start,
            )
        return _XUnary(negate, operand) if signed else operand

    def union_10(self) -> _XExpr:
        left = self.path()
        while self.is_op("|"):
            self.advance()
            left = _XBinary("|", left, self.path())
        return left

    def simple_map(self) -> _XExpr:
        left = self.path()
        while self.is_op("!"):
            if self.version < 30:
                raise self.too_new("simple map operator '!'", 30)
            self.advance()
            left = _XBinary("!", left, self.path())
        return left

    def path(self) -> _XExpr:
        if self.is_op("/"):
            self.advance()
            if self.starts_step():
                return _XPathExpr(True, self.relative())
            return _XPathExpr(True, [])
        if self.is_op("//"):
            self.advance()
            steps: list[_XStep | _XFilter] = [
                _XStep("descendant-or-self", "node", "", [])
            ]
            return _XPathExpr(True, steps + self.relative())
        steps = self.relative()
        if (
            len(steps) == 1
            and isinstance(steps[0], _XFilter)
            and not steps[0].predicates
        ):
            return steps[0].primary
        return _XPathExpr(False, steps)

    def starts_step(self) -> bool:
        tok = self.tok
        if tok.kind in ("name", "number", "string"):
            return True
        return tok.kind == "op" and tok.text in ("*", "@", ".", "..", "(", "$")

    def relative(self) -> list[_XStep | _XFilter]:
        steps = [self.step()]
        while self.is_op("/", "//"):
            if self.advance().text == "//":
                steps.append(_XStep("descendant-or-self", "node", "", []))
            tok = self.tok
            step = self.step()
            if (
                self.version == 10
                and isinstance(step, _XFilter)
                and not isinstance(step.primary, _XContextItem)
            ):
                raise self.fail(
                    "XPath 1.0 allows only location steps after '/' (use xpath-20 or later for other expressions)",
                    tok,
                )
            steps.append(step)
        return steps

    def step(self) -> _XStep | _XFilter:
        tok = self.tok
        if self.is_op("."):
            self.advance()
            return _XFilter(_XContextItem(), self.predicates())
        if self.is_op(".."):
            self.advance()
            return _XStep("parent", "node", "", self.predicates())
        if self.is_op("@"):
            self.advance()
            return self.axis_step("attribute")
        if tok.kind == "name":
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text == "::":
                if tok.text not in _XP_AXES:
                    if tok.text == "namespace":
                        raise self.fail(
                            "the namespace axis is outside the supported XPath subset"
                        )
                    raise self.fail(f"unknown axis {tok.text!r}")
                self.advance()
                self.advance()
                return self.axis_step(tok.text)
            if nxt.kind == "op" and nxt.text == "(" and tok.text not in _XP_KIND_TESTS:
                return _XFilter(self.call(), self.predicates())
            if tok.text == "attribute" and nxt.kind == "op" and nxt.text == "(":
                return self.axis_step(
                    "attribute"
                )  # attribute() alone means attribute::attribute()
            return self.axis_step("child")
        if self.is_op("*"):
            return self.axis_step("child")
        if tok.kind == "number":
            self.advance()
            return _XFilter(_XLiteral(self.number(tok)), self.predicates())
        if tok.kind == "string":
            self.advance()
            return _XFilter(_XLiteral(tok.value), self.predicates())
        if self.is_op("("):
            self.advance()
            if self.is_op(")"):
                if self.version == 10:
                    raise self.too_new("empty sequence ()", 20)
                self.advance()
                return _XFilter(_XSequence([]), self.predicates())
            inner = self.expr()
            self.expect_op(")")
            return _XFilter(inner, self.predicates())
        if self.is_op("$"):
            self.advance()
            if self.tok.kind != "name":
                raise self.fail("expected a variable name after '$'")
            name = self.advance().text
            if name not in self.scope:
                raise self.fail(
                    f"the variable ${name} is not bound here (a criterion has no external variables; bind it with for, let, some or every)",
                    tok,
                )
            return _XFilter(_XVar(name), self.predicates())
        if tok.kind == "end":
            raise self.fail("expected a location step, found the end of the expression")
        if self.is_op("["):
            raise self.fail(
                "array constructors [...] are outside the supported XPath subset"
            )
        raise self.fail(f"unexpected {tok.text!r}")

    def number(self, tok: _XToken) -> _XAtomic:
        text = tok.text
        if self.version == 10:
            return float(text)
        if "e" in text or "E" in text:
            return float(text)
        if "." in text:
            return Decimal(text)
        return int(text)

    def axis_step(self, axis: str) -> _XStep:
        tok = self.tok
        if self.is_op("*"):
            self.advance()
            return _XStep(axis, "principal", "", self.predicates())
        if tok.kind != "name":
            raise self.fail("expected a name test, * or a node test")
        self.advance()
        if self.is_op("(") and tok.text in _XP_KIND_TESTS:
            self.advance()
            name = ""
            if tok.text in ("element", "attribute"):
                if self.version == 10:
                    raise self.too_new(f"node test {tok.text}()", 20, tok)
                if self.is_op("*"):
                    self.advance()
                elif self.tok.kind == "name":
                    name = self.advance().text.split(":", 1)[-1]
                    if self.is_op(","):
                        raise self.fail(
                            f"{tok.text}() with a type is outside the supported XPath subset"
                        )
            elif tok.text not in ("text", "node"):
                raise self.fail(
                    f"the node test {tok.text}() is outside the supported XPath subset (node(), text(), element(), attribute())",
                    tok,
                )
            self.expect_op(")")
            return _XStep(axis, tok.text, name, self.predicates())
        local = tok.text.split(":", 1)[-1]
        return _XStep(
            axis, "principal", "" if local == "*" else local, self.predicates()
        )

    def predicates(self) -> list[_XExpr]:
        out: list[_XExpr] = []
        while self.is_op("["):
            self.advance()
            out.append(self.expr())
            self.expect_op("]")
        return out

    def call(self) -> _XExpr:
        tok = self.advance()
        name = (
            tok.text[3:]
            if tok.text.startswith("fn:") and self.version != 10
            else tok.text
        )
        if name in ("if", "for", "let", "some", "every"):
            raise self.fail(f"'{name}' expressions must be in parentheses here", tok)
        entry = _XP_FUNCTIONS.get(name)
        if entry is None:
            raise self.fail(
                f"the function {tok.text}() is outside the supported XPath subset (supported: {', '.join(sorted(_XP_FUNCTIONS))})",
                tok,
            )
        fewest, most, since = entry
        if self.version < since:
            raise self.too_new(f"function {name}()", since, tok)
        self.expect_op("(")
        args: list[_XExpr] = []
        if not self.is_op(")"):
            args.append(self.expr_single())
            while self.is_op(","):
                self.advance()
                args.append(self.expr_single())
        self.expect_op(")")
        if len(args) < fewest or (most >= 0 and len(args) > most):
            raise self.fail(f"{name}() does not take {len(args)} argument(s)", tok)
        arity_since = _XP_ARITY_SINCE.get((name, len(args)))
        if arity_since is not None and self.version < arity_since:
            raise self.too_new(
                f"{name}() with {len(args)} argument(s)", arity_since, tok
            )
        if name in ("matches", "replace", "tokenize") and len(args) >= 2:
            self.check_regex(name, args, tok)
        return _XCall(name, args)

    def check_regex(self, name: str, args: list[_XExpr], tok: _XToken) -> None:
        """A literal pattern (and flags) is checked now rather than at run time."""
        pattern = args[1]
        flags = (
            args[3 if name == "replace" else 2]
            if len(args) > (3 if name == "replace" else 2)
            else _XLiteral("")
        )
        if not isinstance(pattern, _XLiteral) or not isinstance(pattern.value, str):
            return
        if not isinstance(flags, _XLiteral) or not isinstance(flags.value, str):
            return
        if "q" in flags.value and self.version < 30:
            raise self.too_new("regular expression flag 'q'", 30, tok)
        try:
            regex = _xp_regex(pattern.value, flags.value)
            if name in ("replace", "tokenize") and regex.fullmatch("") is not None:
                raise XPathError(
                    f"the pattern {pattern.value!r} matches the empty string, which {name}() does not allow",
                    0,
                )
            if (
                name == "replace"
                and isinstance(args[2], _XLiteral)
                and isinstance(args[2].value, str)
            ):
                _xp_replacement(args[2].value, regex.groups, "q" in flags.value)
        except XPathError as exc:
            raise self.fail(exc.message, tok) from None


_XP_STATIC_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "string",
            "concat",
            "substring",
            "substring-before",
            "substring-after",
            "normalize-space",
            "translate",
            "upper-case",
            "lower-case",
            "string-join",
            "replace",
            "codepoints-to-string",
            "name",
            "local-name",
            "namespace-uri",
        ),
        "xs:string",
    ),
    **dict.fromkeys(
        ("count", "string-length", "position", "last", "number"), "xs:numeric"
    ),
    **dict.fromkeys(
        (
            "boolean",
            "not",
            "true",
            "false",
            "contains",
            "starts-with",
            "ends-with",
            "matches",
            "exists",
            "empty",
            "deep-equal",
            "has-children",
        ),
        "xs:boolean",
    ),
}


def _xp_static_type(expr: _XExpr) -> str:
    """The type of a value known to be exactly one item of it, or "" when unknown."""
    if isinstance(expr, _XLiteral):
        return "xs:string" if isinstance(expr.value, str) else "xs:numeric"
    if isinstance(expr, _XCall):
        return _XP_STATIC_TYPES.get(expr.name, "")
    if isinstance(expr, _XBinary):
        if expr.op in ("and", "or") or expr.op in _XP_GENERAL:
            return "xs:boolean"
        if expr.op == "||":
            return "xs:string"
    return ""


def _xp_check_types(tok: _XToken, left: _XExpr, right: _XExpr) -> None:
    """XPath 2.0 and later: operands whose types are known to clash are a static error."""
    op = tok.text
    a, b = _xp_static_type(left), _xp_static_type(right)
    if (op in _XP_GENERAL or op in _XP_VALUE_OPS) and a and b and a != b:
        raise XPathError(
            f"{op!r} cannot compare {a} with {b} (XPTY0004); convert one side with number() or string()",
            tok.offset,
        )
    if op in ("+", "-", "*", "div", "idiv", "mod", "to"):
        for side in (a, b):
            if side in ("xs:string", "xs:boolean"):
                raise XPathError(
                    f"{op!r} does not apply to {side} (XPTY0004); convert it with number()",
                    tok.offset,
                )


def _xp_children(node: object) -> Sequence[object]:
    if isinstance(node, (_XStep, _XFilter)):
        return (
            [node.primary, *node.predicates]
            if isinstance(node, _XFilter)
            else node.predicates
        )
    if isinstance(node, _XPathExpr):
        return node.steps
    if isinstance(node, _XBinary):
        return [node.left, node.right]
    if isinstance(node, _XUnary):
        return [node.operand]
    if isinstance(node, _XCall):
        return node.args
    if isinstance(node, _XSequence):
        return node.items
    if isinstance(node, _XIf):
        return [node.condition, node.then, node.otherwise]
    if isinstance(node, _XBinding):
        return [*(expr for _, expr in node.bindings), node.body]
    return []


def _xp_check_depth(expr: _XExpr) -> None:
    """Evaluation recurses along the tree: refuse trees deeper than _XP_MAX_DEPTH."""
    stack: list[tuple[object, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _XP_MAX_DEPTH:
            raise XPathError(
                f"the expression is nested deeper than {_XP_MAX_DEPTH} operators", 0
            )
        stack.extend((child, depth + 1) for child in _xp_children(node))


_XPATH_CACHE: dict[tuple[str, int], _XExpr] = {}


def xpath_parse(expression: str, version: str = "xpath-31") -> _XExpr:
    """Parse an XPath expression of the supported subset (cached); XPathError if not."""
    number = _xp_version(version)
    parsed = _XPATH_CACHE.get((expression, number))
    if parsed is None:
        parsed = _XParser(expression, number).parse()
        _xp_check_depth(parsed)
        _XPATH_CACHE[(expression, number)] = parsed
    return parsed


def xml_document(value: Any) -> _XNode | None:
    """The XPath document node of XML text (str or bytes); None when it is not XML."""
    if isinstance(value, _XNode):
        return value
    if not isinstance(value, (str, bytes)) or not value:
        return None
    try:
        return _xp_document(ET.fromstring(value))
    except ET.ParseError:
        return None


def xpath(value: Any, expression: str, version: str = "xpath-31") -> list[Any]:
    """Evaluate ``expression`` with the document node of ``value`` as the context item.

    The result is a sequence: nodes, and atomic values as bool, int (xs:integer),
    Decimal (xs:decimal), float (xs:double) and str.  Dynamic errors (an XPath type
    error, a division of integers by zero, ...) raise ValueError."""
    return _xp_run(xpath_parse(expression, version), value, version)


def _xp_run(expr: Any, value: Any, version: str) -> list[Any]:
    document = xml_document(value)
    if document is None:
        return []
    return _xp_eval(expr, _XContext(document, 1, 1, {}, _XEnv(_xp_version(version))))


def xpath_test(value: Any, expression: str, version: str = "xpath-31") -> bool:
    """An xpath criterion: the effective boolean value of the expression.  A dynamic
    error (the response's values do not fit the expression) makes it false, like a
    context that is not XML, and is logged."""
    expr = xpath_parse(expression, version)  # checked when the workflow was compiled
    try:
        return _xp_ebv(_xp_run(expr, value, version))
    except ValueError as exc:
        logger.warning("xpath criterion %r could not be evaluated: %s", expression, exc)
        return False


def xpath_string(value: Any, expression: str, version: str = "xpath-31") -> str:
    """The items of the result as text, joined with spaces (nodes by string value)."""
    return " ".join(
        _xp_text(item, _xp_version(version))
        for item in xpath(value, expression, version)
    )


def xml_replace(text_value: str, replacements: Sequence[tuple[str, Any]]) -> str:
    """The XML text with each XPath target's text (element) or value (attribute) set.
    A payload that is not XML, or a target that selects nothing to set, raises
    WorkflowError (before any request is sent)."""
    try:
        return _xml_replace(text_value, replacements)
    except (ValueError, ET.ParseError) as exc:
        raise WorkflowError(f"payload replacement: {exc}") from None


def _xml_replace(text_value: str, replacements: Sequence[tuple[str, Any]]) -> str:
    root = ET.fromstring(text_value)
    document = _xp_document(root)
    for target, value in replacements:
        result = _xp_eval(xpath_parse(target), _XContext(document, 1, 1, {}, _XEnv(31)))
        nodes = [item for item in result if isinstance(item, _XNode)]
        if not nodes:
            raise ValueError(
                f"replacement target {target!r} selects nothing in the payload"
            )
        new = _xp_text_of(value)
        for node in nodes:
            if node.kind == "element" and node.element is not None:
                for child in list(node.element):
                    node.element.remove(child)
                node.element.text = new
            elif (
                node.kind == "attribute"
                and node.parent is not None
                and node.parent.element is not None
            ):
                element = node.parent.element
                key = next(
                    k
                    for k in element.attrib
                    if _xp_local(k) == node.name and _xp_uri(k) == node.uri
                )
                element.set(key, new)
            else:
                raise ValueError(
                    f"replacement target {target!r} must select elements or attributes"
                )
        document = _xp_document(root)
    declaration = ""
    stripped = text_value.lstrip()
    if stripped.startswith("<?xml"):
        declaration = stripped[: stripped.index("?>") + 2] + "\n"
    return declaration + ET.tostring(root, encoding="unicode")


def _xp_text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


# -- evaluation -----------------------------------------------------------------------


class _XEnv:
    """What one evaluation shares: the version and the work left."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.budget = _XP_BUDGET

    def spend(self, amount: int) -> None:
        self.budget -= amount
        if self.budget < 0:
            raise ValueError("the XPath evaluation exceeded its work budget")


class _XContext:
    """The focus (context item, position and size) and the variables in scope."""

    __slots__ = ("env", "item", "position", "size", "variables")

    def __init__(
        self,
        item: _XItem,
        position: int,
        size: int,
        variables: dict[str, _XSeq],
        env: _XEnv,
    ) -> None:
        self.item = item
        self.position = position
        self.size = size
        self.variables = variables
        self.env = env

    def focus(self, item: _XItem, position: int, size: int) -> _XContext:
        return _XContext(item, position, size, self.variables, self.env)

    def bind(self, name: str, value: _XSeq) -> _XContext:
        return _XContext(
            self.item,
            self.position,
            self.size,
            {**self.variables, name: value},
            self.env,
        )


def _xp_eval(expr: _XExpr, ctx: _XContext) -> _XSeq:
    if isinstance(expr, _XLiteral):
        return [expr.value]
    if isinstance(expr, _XPathExpr):
        return _xp_path(expr, ctx)
    if isinstance(expr, _XBinary):
        return _xp_binary(expr, ctx)
    if isinstance(expr, _XCall):
        return _xp_call(expr, ctx)
    if isinstance(expr, _XContextItem):
        return [ctx.item]
    if isinstance(expr, _XVar):
        return ctx.variables[expr.name]
    if isinstance(expr, _XUnary):
        return _xp_unary(expr, ctx)
    if isinstance(expr, _XSequence):
        out: _XSeq = []
        for item in expr.items:
            out.extend(_xp_eval(item, ctx))
        return out
    if isinstance(expr, _XIf):
        return _xp_eval(
            expr.then if _xp_ebv(_xp_eval(expr.condition, ctx)) else expr.otherwise, ctx
        )
    return _xp_binding(expr, ctx)


def _xp_binding(expr: _XBinding, ctx: _XContext) -> _XSeq:
    """for / let / some / every: the combinations of bindings walked with an explicit
    stack of (binding, context before it, its values, next position)."""
    out: _XSeq = []
    count = len(expr.bindings)
    let = expr.kind == "let"
    stack: list[tuple[int, _XContext, _XSeq, int]] = []
    index, current = 0, ctx
    while True:
        if index < count:
            domain = _xp_eval(expr.bindings[index][1], current)
            ctx.env.spend(len(domain) + 1)
            stack.append((index, current, domain, 0))
        else:
            ctx.env.spend(1)
            value = _xp_eval(expr.body, current)
            if expr.kind == "some":
                if _xp_ebv(value):
                    return [True]
            elif expr.kind == "every":
                if not _xp_ebv(value):
                    return [False]
            else:
                out.extend(value)
        while stack:  # the next combination
            at, before, domain, position = stack[-1]
            if position < (1 if let else len(domain)):
                stack[-1] = (at, before, domain, position + 1)
                current = before.bind(
                    expr.bindings[at][0], domain if let else [domain[position]]
                )
                index = at + 1
                break
            stack.pop()
        else:
            break
    if expr.kind in ("some", "every"):
        return [expr.kind == "every"]
    return out


def _xp_nodes(value: _XSeq, what: str) -> list[_XNode]:
    nodes = [item for item in value if isinstance(item, _XNode)]
    if len(nodes) != len(value):
        raise ValueError(
            f"{what} must be nodes, not {_xp_type_name(next(i for i in value if not isinstance(i, _XNode)))} (XPTY0004)"
        )
    return nodes


def _xp_ordered(nodes: list[_XNode]) -> list[_XNode]:
    unique = {id(node): node for node in nodes}
    return sorted(unique.values(), key=lambda node: node.order)


def _xp_path(expr: _XPathExpr, ctx: _XContext) -> _XSeq:
    current: _XSeq
    steps = expr.steps
    if expr.absolute:
        if not isinstance(ctx.item, _XNode):
            raise ValueError(
                "a path starting with '/' needs a node as the context item (XPDY0050)"
            )
        current = [ctx.item.root()]
    else:
        current = _xp_step(steps[0], ctx)
        steps = steps[1:]
    for step in steps:
        nodes = _xp_nodes(current, "the left side of '/'")
        selected: _XSeq = []
        size = len(nodes)
        for position, node in enumerate(nodes, start=1):
            selected.extend(_xp_step(step, ctx.focus(node, position, size)))
        found = [item for item in selected if isinstance(item, _XNode)]
        if len(found) == len(selected):
            current = list(_xp_ordered(found))
        elif found:
            raise ValueError(
                "the last step of a path selects both nodes and atomic values (XPTY0018)"
            )
        else:
            current = selected
    return current


def _xp_step(step: _XStep | _XFilter, ctx: _XContext) -> _XSeq:
    if isinstance(step, _XFilter):
        return _xp_predicates(step.predicates, _xp_eval(step.primary, ctx), ctx)
    node = ctx.item
    if not isinstance(node, _XNode):
        raise _XPathTypeError(
            f"the step {step.axis}::{step.name or '*'} needs a node as the context item, not {_xp_type_name(node)} (XPTY0020)"
        )
    candidates = _xp_axis(step.axis, node)
    ctx.env.spend(len(candidates) + 1)
    matching: _XSeq = [c for c in candidates if _xp_matches(step, c)]
    selected = _xp_predicates(step.predicates, matching, ctx)
    if step.axis in _XP_REVERSE_AXES:
        selected.reverse()
    return selected


def _xp_axis(axis: str, node: _XNode) -> list[_XNode]:
    """The nodes on ``axis`` from ``node``, in the axis' order (reverse axes nearest first)."""
    if axis == "child":
        return node.children
    if axis == "attribute":
        return node.attributes
    if axis == "self":
        return [node]
    if axis == "parent":
        return [node.parent] if node.parent is not None else []
    if axis in ("ancestor", "ancestor-or-self"):
        out: list[_XNode] = [node] if axis == "ancestor-or-self" else []
        parent = node.parent
        while parent is not None:
            out.append(parent)
            parent = parent.parent
        return out
    if axis in ("following-sibling", "preceding-sibling"):
        if node.kind == "attribute" or node.parent is None:
            return []
        siblings = node.parent.children
        return (
            siblings[node.index + 1 :]
            if axis == "following-sibling"
            else siblings[: node.index][::-1]
        )
    if axis in ("following", "preceding"):
        document = node.root()
        anchor = (
            node.parent
            if node.kind == "attribute" and node.parent is not None
            else node
        )
        if axis == "following":
            last = anchor
            if node.kind != "attribute":
                while last.children:
                    last = last.children[-1]
            return document.nodes[last.flat + 1 :]
        ancestors = {id(a) for a in _xp_axis("ancestor", anchor)}
        return [
            n
            for n in reversed(document.nodes[1 : anchor.flat])
            if id(n) not in ancestors
        ]
    found: list[_XNode] = [node] if axis == "descendant-or-self" else []
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(current.children))
    return found


def _xp_matches(step: _XStep, node: _XNode) -> bool:
    test = step.test
    if test == "node":
        return True
    if test == "text":
        return node.kind == "text"
    if test == "principal":
        test = "attribute" if step.axis == "attribute" else "element"
    return node.kind == test and (not step.name or node.name == step.name)


def _xp_predicates(predicates: list[_XExpr], items: _XSeq, ctx: _XContext) -> _XSeq:
    for predicate in predicates:
        if isinstance(predicate, _XLiteral) and _xp_is_number(predicate.value):
            wanted = predicate.value  # [1], [2.0]: a position
            items = [
                item
                for position, item in enumerate(items, start=1)
                if position == wanted
            ]
            continue
        size = len(items)
        ctx.env.spend(size)
        kept: _XSeq = []
        for position, item in enumerate(items, start=1):
            value = _xp_eval(predicate, ctx.focus(item, position, size))
            if len(value) == 1 and _xp_is_number(value[0]):
                if value[0] == position:
                    kept.append(item)
            elif _xp_ebv(value):
                kept.append(item)
        items = kept
    return items


# -- values ----------------------------------------------------------------------------


def _xp_is_number(item: object) -> bool:
    return isinstance(item, (int, float, Decimal)) and not isinstance(item, bool)


def _xp_type_name(item: _XItem) -> str:
    if isinstance(item, _XNode):
        return f"{item.kind} node" if item.kind != "root" else "document node"
    if isinstance(item, bool):
        return "xs:boolean"
    if isinstance(item, int):
        return "xs:integer"
    if isinstance(item, Decimal):
        return "xs:decimal"
    if isinstance(item, float):
        return "xs:double"
    return "xs:untypedAtomic" if isinstance(item, _XUntyped) else "xs:string"


def _xp_atomize(value: Sequence[_XItem]) -> list[_XAtomic]:
    return [
        _XUntyped(item.string_value()) if isinstance(item, _XNode) else item
        for item in value
    ]


def _xp_ebv(value: Sequence[_XItem]) -> bool:
    """The effective boolean value of a sequence."""
    if not value:
        return False
    first = value[0]
    if isinstance(first, _XNode):
        return True
    if len(value) > 1:
        raise ValueError(
            "a sequence of two or more atomic values has no effective boolean value (FORG0006)"
        )
    if isinstance(first, bool):
        return first
    if isinstance(first, str):
        return first != ""
    if isinstance(first, float):
        return first != 0 and not math.isnan(first)
    return first != 0


_XP_DOUBLE_TEXT = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_XP_NUMBER_TEXT_10 = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_XP_SPACE = " \t\r\n"


def _xp_parse_double(text: str, version: int) -> float | None:
    value = text.strip(_XP_SPACE)
    if version == 10:
        return float(value) if _XP_NUMBER_TEXT_10.fullmatch(value) else None
    special = {
        "INF": math.inf,
        "+INF": math.inf,
        "-INF": -math.inf,
        "NaN": math.nan,
    }.get(value)
    if special is not None:
        return special
    return float(value) if _XP_DOUBLE_TEXT.fullmatch(value) else None


def _xp_cast_double(text: str) -> float:
    value = _xp_parse_double(text, 20)
    if value is None:
        raise ValueError(f"{str(text)!r} cannot be cast to xs:double (FORG0001)")
    return value


def _xp_cast_integer(text: str) -> int:
    value = text.strip(_XP_SPACE)
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        raise ValueError(f"{str(text)!r} cannot be cast to xs:integer (FORG0001)")
    return int(value)


def _xp_cast_boolean(text: str) -> bool:
    value = text.strip(_XP_SPACE)
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError(f"{str(text)!r} cannot be cast to xs:boolean (FORG0001)")


def _xp_number_10(value: Sequence[_XItem]) -> float:
    """XPath 1.0 number(): every value converts, NaN when it is not a number."""
    if not value:
        return math.nan
    item = value[0]
    if isinstance(item, _XNode):
        item = item.string_value()
    if isinstance(item, bool):
        return 1.0 if item else 0.0
    if isinstance(item, str):
        parsed = _xp_parse_double(item, 10)
        return math.nan if parsed is None else parsed
    return float(item)


def _xp_string_10(value: Sequence[_XItem]) -> str:
    """XPath 1.0 string(): the first node's string value, or the value's text."""
    if not value:
        return ""
    return _xp_text(value[0], 10)


def _xp_text(item: _XItem, version: int) -> str:
    """The string value of an item (a node's text, a number's canonical form)."""
    if isinstance(item, _XNode):
        return item.string_value()
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str):
        return str(item)
    if isinstance(item, int):
        return str(item)
    if isinstance(item, Decimal):
        return _xp_decimal_text(item)
    return _xp_double_text(item, version)


def _xp_decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        return "NaN" if value.is_nan() else ("INF" if value > 0 else "-INF")
    if value == value.to_integral_value():
        return str(int(value))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _xp_double_text(value: float, version: int) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        if version == 10:
            return "Infinity" if value > 0 else "-Infinity"
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if version != 10 and math.copysign(1.0, value) < 0 else "0"
    exact = Decimal(repr(value))
    if version == 10 or 1e-6 <= abs(value) < 1e6:
        return _xp_decimal_text(exact)
    sign, digits, exponent = exact.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(str(d) for d in digits)
    power = exponent + len(digits) - 1
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"


# -- operators -------------------------------------------------------------------------


def _xp_binary(expr: _XBinary, ctx: _XContext) -> _XSeq:
    op = expr.op
    if op == "or":
        return [_xp_ebv(_xp_eval(expr.left, ctx)) or _xp_ebv(_xp_eval(expr.right, ctx))]
    if op == "and":
        return [
            _xp_ebv(_xp_eval(expr.left, ctx)) and _xp_ebv(_xp_eval(expr.right, ctx))
        ]
    left = _xp_eval(expr.left, ctx)
    if op == "!":
        mapped: _XSeq = []
        size = len(left)
        ctx.env.spend(size)
        for position, item in enumerate(left, start=1):
            mapped.extend(_xp_eval(expr.right, ctx.focus(item, position, size)))
        return mapped
    right = _xp_eval(expr.right, ctx)
    version = ctx.env.version
    if op in ("|", "intersect", "except"):
        a = _xp_nodes(left, f"the operands of {'union' if op == '|' else op!r}")
        b = _xp_nodes(right, f"the operands of {'union' if op == '|' else op!r}")
        if op == "|":
            return list(_xp_ordered(a + b))
        ids = {id(node) for node in b}
        return list(
            _xp_ordered(
                [node for node in a if (id(node) in ids) == (op == "intersect")]
            )
        )
    if op in _XP_GENERAL:
        if version == 10:
            return [_xp_compare_10(op, left, right)]
        return [_xp_general(op, left, right, ctx.env)]
    if op in _XP_VALUE_OPS:
        a_items, b_items = _xp_atomize(left), _xp_atomize(right)
        if not a_items or not b_items:
            return []
        if len(a_items) > 1 or len(b_items) > 1:
            raise ValueError(
                f"the operands of {op!r} must be single values, not sequences (XPTY0004)"
            )
        x = str(a_items[0]) if isinstance(a_items[0], _XUntyped) else a_items[0]
        y = str(b_items[0]) if isinstance(b_items[0], _XUntyped) else b_items[0]
        return [_xp_compare(_XP_VALUE_OPS[op], x, y)]
    if op in ("is", "<<", ">>"):
        a_nodes, b_nodes = _xp_nodes(left, f"the operands of {op!r}"), _xp_nodes(
            right, f"the operands of {op!r}"
        )
        if not a_nodes or not b_nodes:
            return []
        if len(a_nodes) > 1 or len(b_nodes) > 1:
            raise ValueError(f"the operands of {op!r} must be single nodes (XPTY0004)")
        if op == "is":
            return [a_nodes[0] is b_nodes[0]]
        return [
            (
                a_nodes[0].order < b_nodes[0].order
                if op == "<<"
                else a_nodes[0].order > b_nodes[0].order
            )
        ]
    if op == "to":
        first, last = _xp_integer_operand(left, op), _xp_integer_operand(right, op)
        if first is None or last is None:
            return []
        if last - first >= _XP_MAX_ITEMS:
            raise ValueError(
                f"the range {first} to {last} is longer than {_XP_MAX_ITEMS} items"
            )
        ctx.env.spend(max(last - first, 0))
        return list(range(first, last + 1))
    if op == "||":
        return [_xp_concat_operand(left, version) + _xp_concat_operand(right, version)]
    if version == 10:
        return [_xp_arithmetic(op, _xp_number_10(left), _xp_number_10(right))]
    a_number, b_number = _xp_numeric_operand(left, op), _xp_numeric_operand(right, op)
    if a_number is None or b_number is None:
        return []
    return [_xp_arithmetic(op, a_number, b_number)]


def _xp_unary(expr: _XUnary, ctx: _XContext) -> _XSeq:
    value = _xp_eval(expr.operand, ctx)
    if ctx.env.version == 10:
        number: _XNumber | None = _xp_number_10(value)
    else:
        number = _xp_numeric_operand(value, "-" if expr.negate else "+")
    if number is None:
        return []
    return [-number if expr.negate else number]


def _xp_single(value: Sequence[_XItem], what: str) -> _XAtomic | None:
    items = _xp_atomize(value)
    if not items:
        return None
    if len(items) > 1:
        raise ValueError(
            f"{what} must be a single value, not a sequence of {len(items)} items (XPTY0004)"
        )
    return items[0]


def _xp_numeric_operand(value: _XSeq, op: str) -> _XNumber | None:
    item = _xp_single(value, f"an operand of {op!r}")
    if item is None:
        return None
    if isinstance(item, _XUntyped):
        return _xp_cast_double(item)
    if isinstance(item, (bool, str)):
        raise _XPathTypeError(
            f"{op!r} does not apply to {_xp_type_name(item)} (XPTY0004)"
        )
    return item


def _xp_integer_operand(value: _XSeq, op: str) -> int | None:
    item = _xp_single(value, f"an operand of {op!r}")
    if item is None:
        return None
    if isinstance(item, _XUntyped):
        return _xp_cast_integer(item)
    if not isinstance(item, int) or isinstance(item, bool):
        raise _XPathTypeError(
            f"{op!r} needs integers, not {_xp_type_name(item)} (XPTY0004)"
        )
    return item


def _xp_concat_operand(value: _XSeq, version: int) -> str:
    item = _xp_single(value, "an operand of '||'")
    return "" if item is None else _xp_text(item, version)


def _xp_promote(a: _XNumber, b: _XNumber) -> tuple[Any, Any]:
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a), Decimal(b)
    return a, b


def _xp_arithmetic(op: str, a: _XNumber, b: _XNumber) -> _XNumber:
    x, y = _xp_promote(a, b)
    result: _XNumber
    try:
        if op == "+":
            result = x + y
        elif op == "-":
            result = x - y
        elif op == "*":
            result = x * y
        elif isinstance(x, float):
            result = _xp_double_division(op, x, y)
        elif y == 0:
            raise ValueError(f"{op!r} by zero (FOAR0001)")
        elif op == "div":
            result = Decimal(x) / Decimal(y)
        elif op == "idiv":
            quotient = abs(x) // abs(y)
            result = int(quotient if (x < 0) == (y < 0) else -quotient)
        else:  # mod: the sign of the dividend
            remainder = abs(x) % abs(y)
            result = -remainder if x < 0 else remainder
    except ArithmeticError as exc:
        raise ValueError(f"arithmetic error in {op!r}: {exc} (FOAR0002)") from None
    return result


def _xp_double_division(op: str, x: float, y: float) -> _XNumber:
    if op == "div":
        if y == 0:
            return (
                math.nan
                if x == 0 or math.isnan(x)
                else math.copysign(math.inf, x) * math.copysign(1.0, y)
            )
        return x / y
    if op == "idiv":
        if y == 0:
            raise ValueError("'idiv' by zero (FOAR0001)")
        if math.isnan(x) or math.isnan(y) or math.isinf(x):
            raise ValueError("'idiv' of NaN or infinity (FOAR0002)")
        return math.trunc(x / y)
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def _xp_compare(op: str, x: _XAtomic, y: _XAtomic) -> bool:
    """Compare two atomic values of comparable types; XPTY0004 otherwise."""
    a: Any
    b: Any
    if isinstance(x, bool) or isinstance(y, bool):
        if not (isinstance(x, bool) and isinstance(y, bool)):
            raise _XPathTypeError(
                f"cannot compare {_xp_type_name(x)} with {_xp_type_name(y)} (XPTY0004)"
            )
        a, b = int(x), int(y)
    elif isinstance(x, str) or isinstance(y, str):
        if not (isinstance(x, str) and isinstance(y, str)):
            raise _XPathTypeError(
                f"cannot compare {_xp_type_name(x)} with {_xp_type_name(y)} (XPTY0004)"
            )
        a, b = str(x), str(y)
    else:
        a, b = _xp_promote(x, y)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _xp_general(op: str, left: _XSeq, right: _XSeq, env: _XEnv) -> bool:
    """A general comparison (XPath 2.0): some pair of atomized items compares true."""
    a_items, b_items = _xp_atomize(left), _xp_atomize(right)
    for a in a_items:
        env.spend(len(b_items))
        for b in b_items:
            x, y = a, b
            if isinstance(x, _XUntyped) and not isinstance(y, _XUntyped):
                x = _xp_cast_like(x, y)
            elif isinstance(y, _XUntyped) and not isinstance(x, _XUntyped):
                y = _xp_cast_like(y, x)
            if _xp_compare(op, x, y):
                return True
    return False


def _xp_cast_like(value: _XUntyped, other: _XAtomic) -> _XAtomic:
    if isinstance(other, bool):
        return _xp_cast_boolean(value)
    if _xp_is_number(other):
        return _xp_cast_double(value)
    return str(value)


def _xp_compare_10(op: str, left: _XSeq, right: _XSeq) -> bool:
    """An XPath 1.0 comparison: node-sets compare node by node, values convert."""
    left_nodes = all(isinstance(item, _XNode) for item in left)
    right_nodes = all(isinstance(item, _XNode) for item in right)
    if left_nodes and right_nodes:
        right_texts = [_xp_text(node, 10) for node in right]
        return any(
            _xp_atomic_10(op, _xp_text(a, 10), b) for a in left for b in right_texts
        )
    if left_nodes:
        other = right[0]
        assert not isinstance(other, _XNode)
        if isinstance(other, bool):
            return _xp_atomic_10(op, bool(left), other)
        return any(_xp_atomic_10(op, _xp_text(node, 10), other) for node in left)
    first = left[0]
    assert not isinstance(first, _XNode)
    if right_nodes:
        if isinstance(first, bool):
            return _xp_atomic_10(op, first, bool(right))
        return any(_xp_atomic_10(op, first, _xp_text(node, 10)) for node in right)
    second = right[0]
    assert not isinstance(second, _XNode)
    return _xp_atomic_10(op, first, second)


def _xp_atomic_10(op: str, a: _XAtomic, b: _XAtomic) -> bool:
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            equal = _xp_ebv([a]) == _xp_ebv([b])
        elif _xp_is_number(a) or _xp_is_number(b):
            equal = _xp_number_10([a]) == _xp_number_10([b])
        else:
            equal = a == b
        return equal if op == "=" else not equal
    return _xp_compare(op, _xp_number_10([a]), _xp_number_10([b]))


# -- functions -------------------------------------------------------------------------


def _xp_string_arg(value: _XSeq, version: int, function: str) -> str:
    """An xs:string? argument ("" for the empty sequence)."""
    text = _xp_optional_string(value, version, function)
    return "" if text is None else text


def _xp_optional_string(value: _XSeq, version: int, function: str) -> str | None:
    if version == 10:
        return _xp_string_10(value)
    item = _xp_single(value, f"the argument of {function}()")
    if item is None:
        return None
    if not isinstance(item, str):
        raise _XPathTypeError(
            f"{function}() expects a string, not {_xp_type_name(item)} (XPTY0004)"
        )
    return str(item)


def _xp_number_arg(value: _XSeq, version: int, function: str) -> _XNumber | None:
    if version == 10:
        return _xp_number_10(value)
    item = _xp_single(value, f"the argument of {function}()")
    if item is None:
        return None
    if isinstance(item, _XUntyped):
        return _xp_cast_double(item)
    if isinstance(item, (bool, str)):
        raise _XPathTypeError(
            f"{function}() expects a number, not {_xp_type_name(item)} (XPTY0004)"
        )
    return item


def _xp_double_arg(value: _XSeq, version: int, function: str) -> float:
    number = _xp_number_arg(value, version, function)
    if number is None:
        raise ValueError(
            f"{function}() expects a number, not the empty sequence (XPTY0004)"
        )
    return float(number)


def _xp_integer_arg(value: Sequence[_XItem], version: int, function: str) -> int:
    item = _xp_single(value, f"the argument of {function}()")
    if isinstance(item, _XUntyped):
        return _xp_cast_integer(item)
    if not isinstance(item, int) or isinstance(item, bool):
        raise _XPathTypeError(
            f"{function}() expects an integer, not {'the empty sequence' if item is None else _xp_type_name(item)} (XPTY0004)"
        )
    return item


def _xp_node_arg(value: _XSeq, version: int, function: str) -> _XNode | None:
    if version == 10:
        nodes = _xp_nodes(value, f"the argument of {function}()")
        return nodes[0] if nodes else None
    if len(value) > 1:
        raise ValueError(
            f"{function}() expects one node, not a sequence of {len(value)} items (XPTY0004)"
        )
    nodes = _xp_nodes(value, f"the argument of {function}()")
    return nodes[0] if nodes else None


def _xp_numbers(value: _XSeq, function: str) -> list[_XAtomic]:
    """The atomized items with untypedAtomic cast to xs:double (sum, avg, min, max)."""
    return [
        _xp_cast_double(item) if isinstance(item, _XUntyped) else item
        for item in _xp_atomize(value)
    ]


def _xp_round(number: _XNumber, precision: int, half_even: bool) -> _XNumber:
    if isinstance(number, int) and precision >= 0:
        return number
    if isinstance(number, float) and (
        math.isnan(number) or math.isinf(number) or number == 0
    ):
        return number
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    scaled = exact.scaleb(precision)
    if half_even:
        rounded = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    else:  # half towards positive infinity
        rounded = (scaled + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR)
    result = rounded.scaleb(-precision)
    if isinstance(number, float):
        return math.copysign(float(result), number) if result == 0 else float(result)
    if isinstance(number, int):
        return int(result)
    return result


def _xp_minmax(function: str, value: _XSeq) -> _XSeq:
    items = _xp_numbers(value, function)
    if not items:
        return []
    if all(_xp_is_number(item) for item in items):
        numbers: list[Any] = list(items)
        if any(isinstance(item, float) and math.isnan(item) for item in numbers):
            return [math.nan]
        if any(isinstance(item, float) for item in numbers):
            numbers = [float(item) for item in numbers]
        elif any(isinstance(item, Decimal) for item in numbers):
            numbers = [Decimal(item) for item in numbers]
        best = numbers[0]
        for item in numbers[1:]:
            if (item < best) if function == "min" else (item > best):
                best = item
        return [best]
    if all(isinstance(item, str) for item in items):
        texts = [str(item) for item in items]
        return [min(texts) if function == "min" else max(texts)]
    if all(isinstance(item, bool) for item in items):
        flags = [bool(item) for item in items]
        return [min(flags) if function == "min" else max(flags)]
    raise ValueError(
        f"{function}() cannot compare the values of mixed types (FORG0006)"
    )


def _xp_same(x: _XAtomic, y: _XAtomic, nan_equal: bool) -> bool:
    """eq for two atomic values, false (not an error) when they are not comparable."""
    x = str(x) if isinstance(x, _XUntyped) else x
    y = str(y) if isinstance(y, _XUntyped) else y
    if (
        nan_equal
        and isinstance(x, float)
        and isinstance(y, float)
        and math.isnan(x)
        and math.isnan(y)
    ):
        return True
    try:
        return _xp_compare("=", x, y)
    except ValueError:
        return False


def _xp_distinct(items: list[_XAtomic]) -> _XSeq:
    out: _XSeq = []
    seen: set[tuple[str, Any]] = set()
    for item in items:
        key: tuple[str, Any]
        if isinstance(item, bool):
            key = ("b", item)
        elif isinstance(item, str):
            key = ("s", str(item))
        elif isinstance(item, float) and math.isnan(item):
            key = ("nan", 0)
        else:
            key = ("n", float(item))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _xp_deep_equal(a: _XSeq, b: _XSeq) -> bool:
    if len(a) != len(b):
        return False
    pairs: list[tuple[_XItem, _XItem]] = list(zip(a, b))
    while pairs:
        x, y = pairs.pop()
        if isinstance(x, _XNode) or isinstance(y, _XNode):
            if (
                not (isinstance(x, _XNode) and isinstance(y, _XNode))
                or x.kind != y.kind
            ):
                return False
            if x.kind in ("text", "attribute"):
                if x.text != y.text or x.name != y.name or x.uri != y.uri:
                    return False
                continue
            if x.name != y.name or x.uri != y.uri or len(x.children) != len(y.children):
                return False
            if {(n.name, n.uri, n.text) for n in x.attributes} != {
                (n.name, n.uri, n.text) for n in y.attributes
            }:
                return False
            pairs.extend(zip(x.children, y.children))
        elif not _xp_same(x, y, True):
            return False
    return True


def _xp_codepoints(value: _XSeq, version: int) -> str:
    chars: list[str] = []
    for item in value:
        code = _xp_integer_arg([item], version, "codepoints-to-string")
        if not (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        ):
            raise ValueError(
                f"codepoints-to-string(): {code} is not an XML character (FOCH0001)"
            )
        chars.append(chr(code))
    return "".join(chars)


def _xp_call(call: _XCall, ctx: _XContext) -> _XSeq:
    name = call.name
    version = ctx.env.version
    if name == "last":
        return [ctx.size]
    if name == "position":
        return [ctx.position]
    if name == "true":
        return [True]
    if name == "false":
        return [False]
    args = [_xp_eval(arg, ctx) for arg in call.args]
    if not args and name in _XP_CONTEXT_FUNCTIONS:
        args = [[ctx.item]]
    if name == "count":
        return [len(args[0])]
    if name in ("not", "boolean"):
        return [_xp_ebv(args[0]) != (name == "not")]
    if name in ("exists", "empty"):
        return [bool(args[0]) == (name == "exists")]
    if name == "string":
        if version == 10:
            return [_xp_string_10(args[0])]
        if len(args[0]) > 1:
            raise ValueError(
                f"string() expects one item, not a sequence of {len(args[0])} (XPTY0004)"
            )
        return [_xp_text(args[0][0], version) if args[0] else ""]
    if name == "number":
        if version == 10:
            return [_xp_number_10(args[0])]
        item = _xp_single(args[0], "the argument of number()")
        if item is None:
            return [math.nan]
        if isinstance(item, str):
            parsed = _xp_parse_double(item, 20)
            return [math.nan if parsed is None else parsed]
        return [float(item)]
    if name in ("name", "local-name", "namespace-uri"):
        node = _xp_node_arg(args[0], version, name)
        if node is None:
            return [""]
        return [node.uri if name == "namespace-uri" else node.name]
    if name in ("root", "has-children"):
        node = _xp_node_arg(args[0], version, name)
        if name == "has-children":
            return [node is not None and bool(node.children)]
        return [] if node is None else [node.root()]
    if name == "data":
        return list(_xp_atomize(args[0]))
    if name == "sum":
        if version == 10:
            return [math.fsum(_xp_number_10([item]) for item in args[0])]
        numbers = _xp_numbers(args[0], name)
        if not numbers:
            return args[1] if len(args) > 1 else [0]
        total: _XNumber = 0
        for item in numbers:
            if not _xp_is_number(item) or isinstance(item, (bool, str)):
                raise ValueError(f"sum() cannot add {_xp_type_name(item)} (FORG0006)")
            total = _xp_arithmetic("+", total, item)
        return [total]
    if name == "avg":
        numbers = _xp_numbers(args[0], name)
        if not numbers:
            return []
        total = 0
        for item in numbers:
            if not _xp_is_number(item) or isinstance(item, (bool, str)):
                raise ValueError(f"avg() cannot add {_xp_type_name(item)} (FORG0006)")
            total = _xp_arithmetic("+", total, item)
        return [_xp_arithmetic("div", total, len(numbers))]
    if name in ("min", "max"):
        return _xp_minmax(name, args[0])
    if name in ("abs", "floor", "ceiling", "round", "round-half-to-even"):
        number = _xp_number_arg(args[0], version, name)
        if number is None:
            return []
        if version == 10:
            number = float(number)
        if name == "abs":
            return [
                (
                    math.fabs(number)
                    if isinstance(number, float)
                    else -number if number < 0 else number
                )
            ]
        if name in ("round", "round-half-to-even"):
            precision = _xp_integer_arg(args[1], version, name) if len(args) > 1 else 0
            return [_xp_round(number, precision, name == "round-half-to-even")]
        if isinstance(number, int):
            return [number]
        if isinstance(number, Decimal):
            return [
                number.to_integral_value(
                    rounding=ROUND_FLOOR if name == "floor" else ROUND_CEILING
                )
            ]
        if math.isnan(number) or math.isinf(number):
            return [number]
        return [float(math.floor(number) if name == "floor" else math.ceil(number))]
    if name == "concat":
        if version == 10:
            return ["".join(_xp_string_10(arg) for arg in args)]
        return ["".join(_xp_concat_operand(arg, version) for arg in args)]
    if name in (
        "reverse",
        "head",
        "tail",
        "distinct-values",
        "index-of",
        "subsequence",
        "insert-before",
        "remove",
        "deep-equal",
        "zero-or-one",
        "one-or-more",
        "exactly-one",
    ):
        return _xp_sequence_function(name, args, version)
    if name in (
        "string-join",
        "codepoints-to-string",
        "string-to-codepoints",
        "compare",
        "codepoint-equal",
        "tokenize",
        "replace",
        "matches",
    ):
        return _xp_string_function(name, args, version)
    text = _xp_string_arg(args[0], version, name)
    if name == "string-length":
        return [len(text)]
    if name == "normalize-space":
        return [" ".join(part for part in re.split(r"[ \t\r\n]+", text) if part)]
    if name == "upper-case":
        return [text.upper()]
    if name == "lower-case":
        return [text.lower()]
    if name == "substring":
        return [_xp_substring(text, args[1:], version)]
    other = _xp_string_arg(args[1], version, name)
    if name == "contains":
        return [other in text]
    if name == "starts-with":
        return [text.startswith(other)]
    if name == "ends-with":
        return [text.endswith(other)]
    if name == "substring-before":
        found = text.find(other)
        return [text[:found] if other and found >= 0 else ""]
    if name == "substring-after":
        found = text.find(other)
        return [text[found + len(other) :] if found >= 0 else ""]
    # translate(text, from, to)
    replacement = _xp_string_arg(args[2], version, name)
    table: dict[int, str | None] = {}
    for index, char in enumerate(other):
        table.setdefault(
            ord(char), replacement[index] if index < len(replacement) else None
        )
    return [text.translate(table)]


def _xp_substring(text: str, bounds: list[_XSeq], version: int) -> str:
    """substring(s, start[, length]) with 1-based, rounded positions."""
    start = _xp_double_arg(bounds[0], version, "substring")
    first = (
        math.floor(start + 0.5)
        if not (math.isnan(start) or math.isinf(start))
        else start
    )
    last = math.inf
    if len(bounds) == 2:
        length = _xp_double_arg(bounds[1], version, "substring")
        last = first + (
            math.floor(length + 0.5)
            if not (math.isnan(length) or math.isinf(length))
            else length
        )
    if math.isnan(first) or math.isnan(last):
        return ""
    return "".join(ch for i, ch in enumerate(text, start=1) if first <= i < last)


def _xp_sequence_function(name: str, args: list[_XSeq], version: int) -> _XSeq:
    value = args[0]
    if name == "reverse":
        return value[::-1]
    if name == "head":
        return value[:1]
    if name == "tail":
        return value[1:]
    if name == "distinct-values":
        return _xp_distinct(_xp_atomize(value))
    if name == "index-of":
        search = _xp_single(args[1], "the search value of index-of()")
        if search is None:
            raise ValueError("index-of() needs a value to search for (XPTY0004)")
        return [
            position
            for position, item in enumerate(_xp_atomize(value), start=1)
            if _xp_same(item, search, False)
        ]
    if name == "subsequence":
        start = _xp_double_arg(args[1], version, name)
        first = (
            math.floor(start + 0.5)
            if not (math.isnan(start) or math.isinf(start))
            else start
        )
        last = math.inf
        if len(args) == 3:
            length = _xp_double_arg(args[2], version, name)
            last = first + (
                math.floor(length + 0.5)
                if not (math.isnan(length) or math.isinf(length))
                else length
            )
        return [
            item
            for position, item in enumerate(value, start=1)
            if first <= position < last
        ]
    if name == "insert-before":
        position = max(_xp_integer_arg(args[1], version, name), 1)
        return value[: position - 1] + args[2] + value[position - 1 :]
    if name == "remove":
        position = _xp_integer_arg(args[1], version, name)
        return [item for index, item in enumerate(value, start=1) if index != position]
    if name == "deep-equal":
        return [_xp_deep_equal(value, args[1])]
    if name == "zero-or-one" and len(value) > 1:
        raise ValueError(f"zero-or-one() got {len(value)} items (FORG0003)")
    if name == "one-or-more" and not value:
        raise ValueError("one-or-more() got the empty sequence (FORG0004)")
    if name == "exactly-one" and len(value) != 1:
        raise ValueError(f"exactly-one() got {len(value)} items (FORG0005)")
    return value


def _xp_string_function(name: str, args: list[_XSeq], version: int) -> _XSeq:
    if name == "string-join":
        separator = _xp_string_arg(args[1], version, name) if len(args) > 1 else ""
        parts: list[str] = []
        for item in _xp_atomize(args[0]):
            if not isinstance(item, str) and version < 31:
                raise ValueError(
                    f"string-join() joins strings, not {_xp_type_name(item)} (XPTY0004)"
                )
            parts.append(_xp_text(item, version))
        return [separator.join(parts)]
    if name == "codepoints-to-string":
        return [_xp_codepoints(args[0], version)]
    if name == "string-to-codepoints":
        return [ord(char) for char in _xp_string_arg(args[0], version, name)]
    if name in ("compare", "codepoint-equal"):
        a, b = _xp_optional_string(args[0], version, name), _xp_optional_string(
            args[1], version, name
        )
        if a is None or b is None:
            return []
        if name == "codepoint-equal":
            return [a == b]
        return [(a > b) - (a < b)]
    text = _xp_string_arg(args[0], version, name)
    if name == "tokenize" and len(args) == 1:
        return [part for part in re.split(r"[ \t\r\n]+", text) if part]
    pattern = _xp_string_arg(args[1], version, name)
    flags_index = 3 if name == "replace" else 2
    flags = (
        _xp_string_arg(args[flags_index], version, name)
        if len(args) > flags_index
        else ""
    )
    regex = _xp_regex(pattern, flags)
    if name == "matches":
        return [regex.search(text) is not None]
    if regex.fullmatch("") is not None:
        raise ValueError(
            f"{name}(): the pattern {pattern!r} matches the empty string (FORX0003)"
        )
    if name == "replace":
        parts_of = _xp_replacement(
            _xp_string_arg(args[2], version, name), regex.groups, "q" in flags
        )
        return [
            regex.sub(
                lambda match: "".join(
                    p if isinstance(p, str) else (match.group(p) or "")
                    for p in parts_of
                ),
                text,
            )
        ]
    if not text:
        return []
    tokens: _XSeq = []
    position = 0
    for match in regex.finditer(text):
        tokens.append(text[position : match.start()])
        position = match.end()
    tokens.append(text[position:])
    return tokens


_XP_REGEX_CACHE: dict[tuple[str, str], re.Pattern[str]] = {}


def _xp_regex(pattern: str, flags: str) -> re.Pattern[str]:
    """An XPath regular expression (the XSD syntax Python's re shares) compiled."""
    cached = _XP_REGEX_CACHE.get((pattern, flags))
    if cached is not None:
        return cached
    options = 0
    for flag in flags:
        if flag not in "smixq":
            raise XPathError(
                f"invalid regular expression flag {flag!r} (s, m, i, x, q)", 0
            )
    options |= re.DOTALL if "s" in flags else 0
    options |= re.MULTILINE if "m" in flags else 0
    options |= re.IGNORECASE if "i" in flags else 0
    source = (
        re.escape(pattern)
        if "q" in flags
        else _xp_regex_source(pattern, "x" in flags, "m" in flags)
    )
    try:
        compiled = re.compile(source, options)
    except re.error as exc:
        raise XPathError(f"invalid regular expression {pattern!r}: {exc}", 0) from None
    if len(_XP_REGEX_CACHE) < 256:
        _XP_REGEX_CACHE[(pattern, flags)] = compiled
    return compiled


def _xp_regex_source(pattern: str, extended: bool, multiline: bool) -> str:
    out: list[str] = []
    in_class = False
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise XPathError(
                    f"the regular expression {pattern!r} ends with a backslash", 0
                )
            escaped = pattern[i + 1]
            if escaped in "pPiIcC":
                raise XPathError(
                    f"the escape \\{escaped} in {pattern!r} is outside the supported regular expressions (Python re syntax)",
                    0,
                )
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[":
                if out and out[-1] == "-":
                    raise XPathError(
                        f"character class subtraction in {pattern!r} is outside the supported regular expressions",
                        0,
                    )
                out.append("\\[")
            elif c in "&~|" and i + 1 < n and pattern[i + 1] == c:
                out.append("\\" + c)
            else:
                if c == "]":
                    in_class = False
                out.append(c)
            i += 1
            continue
        if extended and c in _XP_SPACE:
            i += 1
            continue
        if c == "[":
            in_class = True
        elif c == "$" and not multiline:
            out.append("\\Z")  # the end of the string, not before a final newline
            i += 1
            continue
        elif (
            c == "("
            and pattern.startswith("(?", i)
            and not pattern.startswith("(?:", i)
        ):
            raise XPathError(
                f"the group syntax (?... in {pattern!r} is outside the supported regular expressions",
                0,
            )
        out.append(c)
        i += 1
    return "".join(out)


def _xp_replacement(template: str, groups: int, literal: bool) -> list[str | int]:
    """replace()'s replacement string as text parts and group numbers ($1, \\$, \\\\)."""
    if literal:
        return [template]
    parts: list[str | int] = []
    i = 0
    n = len(template)
    while i < n:
        c = template[i]
        if c == "\\":
            if i + 1 < n and template[i + 1] in "\\$":
                parts.append(template[i + 1])
                i += 2
                continue
            raise XPathError(
                f"a backslash in the replacement {template!r} must escape '\\' or '$' (FORX0004)",
                0,
            )
        if c == "$":
            j = i + 1
            if j >= n or not template[j].isdigit():
                raise XPathError(
                    f"'$' in the replacement {template!r} must be followed by a group number (FORX0004)",
                    0,
                )
            number = int(template[j])
            j += 1
            while (
                j < n
                and template[j].isdigit()
                and number * 10 + int(template[j]) <= groups
            ):
                number = number * 10 + int(template[j])
                j += 1
            parts.append(number if number <= groups else "")
            i = j
            continue
        parts.append(c)
        i += 1
    return parts
