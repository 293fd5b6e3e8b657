"""JSONPath (RFC 9535).

Criteria of type ``jsonpath``.  The criterion holds when the query selects at least
one node.  The context value is wrapped in a one-element array before the query
runs, so ``$[?@.status == 'ended']`` tests the context value itself and ``$[0]`` is
the context.  The generator runs this same code at compile time to reject malformed
queries, so a query that reaches run time always parses.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "JsonPathError",
    "jp_compare",
    "jp_equal",
    "jp_exists",
    "jp_member",
    "jsonpath",
    "jsonpath_parse",
    "jsonpath_query",
    "jsonpath_test",
]


class JsonPathError(ValueError):
    """A JSONPath query that does not parse or is not well-typed (RFC 9535 2.4.3)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


class _Nothing:
    """RFC 9535 'Nothing': no value at all, which is not JSON null."""

    def __repr__(self) -> str:
        return "Nothing"


_NOTHING = _Nothing()
_JP_MAX_INT = 2**53 - 1


class _JPName:
    def __init__(self, name: str) -> None:
        self.name = name


class _JPWildcard:
    pass


class _JPIndex:
    def __init__(self, index: int) -> None:
        self.index = index


class _JPSlice:
    def __init__(self, start: int | None, end: int | None, step: int | None) -> None:
        self.start = start
        self.end = end
        self.step = step


class _JPFilter:
    def __init__(self, expr: _JPExpr) -> None:
        self.expr = expr


class _JPSegment:
    def __init__(self, selectors: list[_JPSelector], descendant: bool) -> None:
        self.selectors = selectors
        self.descendant = descendant


class _JPQuery:
    def __init__(self, root: str, segments: list[_JPSegment]) -> None:
        self.root = root  # "$" or "@"
        self.segments = segments

    def singular(self) -> bool:
        return all(
            not s.descendant
            and len(s.selectors) == 1
            and isinstance(s.selectors[0], (_JPName, _JPIndex))
            for s in self.segments
        )


class _JPLiteral:
    def __init__(self, value: Any) -> None:
        self.value = value


class _JPCall:
    def __init__(self, name: str, args: list[_JPExpr]) -> None:
        self.name = name
        self.args = args


class _JPCompare:
    def __init__(self, op: str, left: _JPExpr, right: _JPExpr) -> None:
        self.op = op
        self.left = left
        self.right = right


class _JPLogical:
    def __init__(self, op: str, operands: list[_JPExpr]) -> None:
        self.op = op  # "&&", "||" or "!"
        self.operands = operands


_JPSelector = _JPName | _JPWildcard | _JPIndex | _JPSlice | _JPFilter
_JPExpr = _JPQuery | _JPLiteral | _JPCall | _JPCompare | _JPLogical

# Function extensions (RFC 9535 2.4): parameter types and result type.
_JP_FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "length": (("value",), "value"),
    "count": (("nodes",), "value"),
    "match": (("value", "value"), "logical"),
    "search": (("value", "value"), "logical"),
    "value": (("nodes",), "value"),
}
_JP_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_JP_ESCAPES = {
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "/": "/",
    "\\": "\\",
}


def _jp_name_first(c: str) -> bool:
    return (
        c.isascii()
        and (c.isalpha() or c == "_")
        or (not c.isascii() and c.isprintable())
    )


class _JPParser:
    """Recursive descent over the RFC 9535 grammar.

    ``goessner`` accepts draft-goessner-dispatch-jsonpath-00 forms too: script
    indexes ``[(@.length-1)]`` and ``.length`` of arrays and strings.
    """

    def __init__(self, text: str, goessner: bool) -> None:
        self.text = text
        self.pos = 0
        self.goessner = goessner

    def fail(self, message: str, offset: int | None = None) -> JsonPathError:
        return JsonPathError(message, self.pos if offset is None else offset)

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def skip_blank(self) -> None:
        while self.peek() in (" ", "\t", "\n", "\r") and self.peek():
            self.pos += 1

    def eat(self, token: str) -> bool:
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str, what: str) -> None:
        if not self.eat(token):
            found = repr(self.peek()) if self.peek() else "the end of the query"
            raise self.fail(f"expected {what}, found {found}")

    def parse(self) -> _JPQuery:
        if self.peek() != "$":
            raise self.fail("a JSONPath query starts with '$'")
        self.pos += 1
        query = _JPQuery("$", self.segments())
        if self.pos < len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos:self.pos + 12]!r}")
        return query

    def segments(self) -> list[_JPSegment]:
        segments: list[_JPSegment] = []
        while True:
            start = self.pos
            self.skip_blank()
            if self.eat(".."):
                if self.peek() == "[":
                    segments.append(_JPSegment(self.bracketed(), True))
                else:
                    segments.append(_JPSegment([self.dotted()], True))
            elif self.peek() == "." and self.peek(1) != ".":
                self.pos += 1
                segments.append(_JPSegment([self.dotted()], False))
            elif self.peek() == "[":
                segments.append(_JPSegment(self.bracketed(), False))
            else:
                self.pos = start
                return segments

    def dotted(self) -> _JPSelector:
        if self.eat("*"):
            return _JPWildcard()
        start = self.pos
        if not _jp_name_first(self.peek()):
            raise self.fail("expected a member name or '*' after '.'")
        while self.peek() and (_jp_name_first(self.peek()) or self.peek().isdigit()):
            self.pos += 1
        return _JPName(self.text[start : self.pos])

    def bracketed(self) -> list[_JPSelector]:
        open_at = self.pos
        self.pos += 1
        selectors: list[_JPSelector] = []
        while True:
            self.skip_blank()
            selectors.append(self.selector())
            self.skip_blank()
            if self.eat("]"):
                return selectors
            if not self.eat(","):
                if not self.peek():
                    raise self.fail("unclosed '['", open_at)
                raise self.fail(f"expected ',' or ']', found {self.peek()!r}")

    def selector(self) -> _JPSelector:
        c = self.peek()
        if c in ("'", '"'):
            return _JPName(self.string())
        if c == "*":
            self.pos += 1
            return _JPWildcard()
        if c == "?":
            self.pos += 1
            self.skip_blank()
            return _JPFilter(self.logical_or())
        if c == "(" and self.goessner:
            return self.script_index()
        if c == ":" or c == "-" or c.isdigit():
            return self.index_or_slice()
        if not c:
            raise self.fail("unclosed '['")
        raise self.fail(f"unexpected {c!r} in a bracketed selection")

    def script_index(self) -> _JPIndex:
        # Goessner's (@.length-N) is the RFC's negative index -N.
        start = self.pos
        self.pos += 1
        self.skip_blank()
        if not self.eat("@.length"):
            raise self.fail(
                "only script expressions of the form (@.length-N) are supported", start
            )
        self.skip_blank()
        offset = 0
        if self.eat("-"):
            self.skip_blank()
            offset = self.integer()
        self.skip_blank()
        self.expect(")", "')'")
        return _JPIndex(-offset)

    def integer(self) -> int:
        start = self.pos
        self.eat("-")
        digits = self.pos
        while self.peek().isdigit():
            self.pos += 1
        text = self.text[start : self.pos]
        if self.pos == digits:
            raise self.fail("expected an integer", start)
        if text == "-0" or (len(text.lstrip("-")) > 1 and text.lstrip("-")[0] == "0"):
            raise self.fail(
                f"invalid integer {text!r} (no leading zeros, no -0)", start
            )
        value = int(text)
        if abs(value) > _JP_MAX_INT:
            raise self.fail(f"integer {text} is out of range", start)
        return value

    def index_or_slice(self) -> _JPSelector:
        bounds: list[int | None] = []
        current: int | None = None
        colons = 0
        while True:
            self.skip_blank()
            if self.peek() == "-" or self.peek().isdigit():
                if current is not None:
                    raise self.fail("expected ':' or ']'")
                current = self.integer()
            elif self.peek() == ":" and colons < 2:
                self.pos += 1
                colons += 1
                bounds.append(current)
                current = None
            else:
                break
        if colons == 0:
            assert current is not None
            return _JPIndex(current)
        bounds.append(current)
        while len(bounds) < 3:
            bounds.append(None)
        return _JPSlice(bounds[0], bounds[1], bounds[2])

    def string(self) -> str:
        quote_char = self.peek()
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise self.fail("unterminated string literal", start)
            self.pos += 1
            if c == quote_char:
                return "".join(out)
            if c == "\\":
                e = self.peek()
                self.pos += 1
                if e == quote_char:
                    out.append(e)
                elif e in _JP_ESCAPES:
                    out.append(_JP_ESCAPES[e])
                elif e == "u":
                    out.append(self.unicode_escape())
                else:
                    raise self.fail(
                        f"invalid escape '\\{e}' in a string literal", self.pos - 2
                    )
            elif ord(c) < 0x20:
                raise self.fail(
                    "control characters must be escaped in a string literal",
                    self.pos - 1,
                )
            else:
                out.append(c)

    def unicode_escape(self) -> str:
        code = self.hex4()
        if 0xD800 <= code <= 0xDBFF:
            if not self.eat("\\u"):
                raise self.fail("a high surrogate must be followed by a low surrogate")
            low = self.hex4()
            if not 0xDC00 <= low <= 0xDFFF:
                raise self.fail("invalid low surrogate")
            return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        if 0xDC00 <= code <= 0xDFFF:
            raise self.fail("a lone low surrogate is not a character")
        return chr(code)

    def hex4(self) -> int:
        digits = self.text[self.pos : self.pos + 4]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.fail("expected four hex digits after '\\u'")
        self.pos += 4
        return int(digits, 16)

    # -- filter expressions ---------------------------------------------------------

    def logical_or(self) -> _JPExpr:
        operands = [self.logical_and()]
        while True:
            start = self.pos
            self.skip_blank()
            if self.eat("||"):
                self.skip_blank()
                operands.append(self.logical_and())
            else:
                self.pos = start
                break
        return operands[0] if len(operands) == 1 else _JPLogical("||", operands)

    def logical_and(self) -> _JPExpr:
        operands = [self.basic()]
        while True:
            start = self.pos
            self.skip_blank()
            if self.eat("&&"):
                self.skip_blank()
                operands.append(self.basic())
            else:
                self.pos = start
                break
        return operands[0] if len(operands) == 1 else _JPLogical("&&", operands)

    def basic(self) -> _JPExpr:
        start = self.pos
        if self.peek() == "!" and self.peek(1) != "=":
            self.pos += 1
            self.skip_blank()
            if self.peek() == "(":
                return _JPLogical("!", [self.paren()])
            operand = self.operand()
            self.check_test(operand, start)
            return _JPLogical("!", [operand])
        if self.peek() == "(":
            return self.paren()
        left = self.operand()
        save = self.pos
        self.skip_blank()
        op = next(
            (o for o in _JP_COMPARISONS if self.text.startswith(o, self.pos)), None
        )
        if op is None:
            self.pos = save
            self.check_test(left, start)
            return left
        self.pos += len(op)
        self.skip_blank()
        right_at = self.pos
        right = self.operand()
        self.check_comparable(left, start)
        self.check_comparable(right, right_at)
        return _JPCompare(op, left, right)

    def paren(self) -> _JPExpr:
        open_at = self.pos
        self.pos += 1
        self.skip_blank()
        inner = self.logical_or()
        self.skip_blank()
        if not self.eat(")"):
            raise self.fail("unbalanced '(': expected ')'", open_at)
        return inner

    def operand(self) -> _JPExpr:
        c = self.peek()
        if c == "@":
            self.pos += 1
            return _JPQuery("@", self.segments())
        if c == "$":
            self.pos += 1
            return _JPQuery("$", self.segments())
        if c in ("'", '"'):
            return _JPLiteral(self.string())
        if c == "-" or c.isdigit():
            return _JPLiteral(self.number())
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos) and not self.word_char(
                self.pos + len(word)
            ):
                self.pos += len(word)
                return _JPLiteral(value)
        if c.isascii() and c.islower():
            return self.call()
        if not c:
            raise self.fail("expected a filter expression, found the end of the query")
        raise self.fail(f"unexpected {c!r} in a filter expression")

    def word_char(self, index: int) -> bool:
        return index < len(self.text) and (
            self.text[index].isalnum() or self.text[index] == "_"
        )

    def number(self) -> int | float:
        start = self.pos
        self.eat("-")
        while self.peek().isdigit():
            self.pos += 1
        int_part = self.text[start : self.pos].lstrip("-")
        if not int_part or (len(int_part) > 1 and int_part[0] == "0"):
            raise self.fail("invalid number", start)
        is_float = False
        if self.peek() == "." and self.peek(1).isdigit():
            is_float = True
            self.pos += 1
            while self.peek().isdigit():
                self.pos += 1
        if self.peek() in ("e", "E"):
            is_float = True
            self.pos += 1
            if self.peek() in ("+", "-"):
                self.pos += 1
            if not self.peek().isdigit():
                raise self.fail("missing exponent digits", start)
            while self.peek().isdigit():
                self.pos += 1
        text = self.text[start : self.pos]
        return float(text) if is_float else int(text)

    def call(self) -> _JPCall:
        start = self.pos
        while self.peek() and (
            self.peek().islower() or self.peek().isdigit() or self.peek() == "_"
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        if self.peek() != "(":
            raise self.fail(
                f"unexpected bare word {name!r} (strings need quotes)", start
            )
        if name not in _JP_FUNCTIONS:
            raise self.fail(
                f"unknown function {name!r} (known: {', '.join(sorted(_JP_FUNCTIONS))})",
                start,
            )
        self.pos += 1
        args: list[_JPExpr] = []
        self.skip_blank()
        if not self.eat(")"):
            while True:
                self.skip_blank()
                args.append(self.argument())
                self.skip_blank()
                if self.eat(")"):
                    break
                self.expect(",", "',' or ')'")
        params, _ = _JP_FUNCTIONS[name]
        if len(args) != len(params):
            raise self.fail(
                f"{name}() takes {len(params)} argument(s), got {len(args)}", start
            )
        for arg, kind in zip(args, params):
            if kind == "value" and not self.is_value(arg):
                raise self.fail(
                    f"argument of {name}() must be a single value (a literal, a singular query or a value function)",
                    start,
                )
            if kind == "nodes" and not isinstance(arg, _JPQuery):
                raise self.fail(f"argument of {name}() must be a query", start)
        return _JPCall(name, args)

    def argument(self) -> _JPExpr:
        start = self.pos
        if self.peek() not in ("!", "("):
            expr = self.operand()
            self.skip_blank()
            if self.peek() in (",", ")"):
                return expr
            self.pos = start
        return self.logical_or()

    @staticmethod
    def is_value(expr: _JPExpr) -> bool:
        if isinstance(expr, _JPLiteral):
            return True
        if isinstance(expr, _JPQuery):
            return expr.singular()
        if isinstance(expr, _JPCall):
            return _JP_FUNCTIONS[expr.name][1] == "value"
        return False

    def check_comparable(self, expr: _JPExpr, at: int) -> None:
        if not self.is_value(expr):
            raise self.fail(
                "only literals, singular queries (names and indexes only) and value functions can be compared",
                at,
            )

    def check_test(self, expr: _JPExpr, at: int) -> None:
        if isinstance(expr, _JPLiteral):
            raise self.fail(
                "a literal on its own is not a test; compare it with ==, !=, <, <=, > or >=",
                at,
            )
        if isinstance(expr, _JPCall) and _JP_FUNCTIONS[expr.name][1] == "value":
            raise self.fail(
                f"{expr.name}() returns a value; compare it, e.g. {expr.name}(...) > 0",
                at,
            )


_JSONPATH_CACHE: dict[tuple[str, bool], _JPQuery] = {}


def jsonpath_parse(query: str, *, goessner: bool = False) -> _JPQuery:
    """Parse a JSONPath query (cached); JsonPathError when it is malformed."""
    key = (query, goessner)
    parsed = _JSONPATH_CACHE.get(key)
    if parsed is None:
        parsed = _JSONPATH_CACHE[key] = _JPParser(query, goessner).parse()
    return parsed


def jsonpath_query(document: Any, query: str, *, goessner: bool = False) -> list[Any]:
    """The values (the nodelist) the query selects from ``document``."""
    return _jp_select(
        jsonpath_parse(query, goessner=goessner), document, document, goessner
    )


def jsonpath(value: Any, query: str, *, goessner: bool = False) -> list[Any]:
    """The values the query selects from ``[value]`` (the context, wrapped)."""
    return jsonpath_query([value], query, goessner=goessner)


def jsonpath_test(value: Any, query: str, *, goessner: bool = False) -> bool:
    """A jsonpath criterion: does the query select anything from ``[value]``?"""
    return bool(jsonpath(value, query, goessner=goessner))


def _jp_select(query: _JPQuery, root: Any, current: Any, goessner: bool) -> list[Any]:
    nodes = [root if query.root == "$" else current]
    for segment in query.segments:
        selected: list[Any] = []
        for node in nodes:
            for target in _jp_descendants(node) if segment.descendant else [node]:
                for selector in segment.selectors:
                    _jp_apply(selector, target, root, selected, goessner)
        nodes = selected
    return nodes


def _jp_descendants(node: Any) -> list[Any]:
    """The node and every node below it, in document order (no recursion)."""
    out: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        if isinstance(current, list):
            stack.extend(reversed(current))
        elif isinstance(current, dict):
            stack.extend(reversed(list(current.values())))
    return out


def _jp_apply(
    selector: _JPSelector, node: Any, root: Any, out: list[Any], goessner: bool
) -> None:
    if isinstance(selector, _JPName):
        if isinstance(node, dict) and selector.name in node:
            out.append(node[selector.name])
        elif goessner and selector.name == "length" and isinstance(node, (list, str)):
            out.append(len(node))
    elif isinstance(selector, _JPWildcard):
        if isinstance(node, list):
            out.extend(node)
        elif isinstance(node, dict):
            out.extend(node.values())
    elif isinstance(selector, _JPIndex):
        if isinstance(node, list) and -len(node) <= selector.index < len(node):
            out.append(node[selector.index])
    elif isinstance(selector, _JPSlice):
        if isinstance(node, list) and selector.step != 0:
            out.extend(node[selector.start : selector.end : selector.step])
    else:
        children = (
            node
            if isinstance(node, list)
            else list(node.values()) if isinstance(node, dict) else []
        )
        for child in children:
            if _jp_true(selector.expr, root, child, goessner):
                out.append(child)


def _jp_true(expr: _JPExpr, root: Any, current: Any, goessner: bool) -> bool:
    if isinstance(expr, _JPLogical):
        if expr.op == "!":
            return not _jp_true(expr.operands[0], root, current, goessner)
        if expr.op == "&&":
            return all(_jp_true(e, root, current, goessner) for e in expr.operands)
        return any(_jp_true(e, root, current, goessner) for e in expr.operands)
    if isinstance(expr, _JPCompare):
        left = _jp_value(expr.left, root, current, goessner)
        right = _jp_value(expr.right, root, current, goessner)
        return _jp_compare(expr.op, left, right)
    if isinstance(expr, _JPQuery):
        return bool(_jp_select(expr, root, current, goessner))
    if isinstance(expr, _JPCall):
        return _jp_call(expr, root, current, goessner) is True
    return False


def _jp_value(expr: _JPExpr, root: Any, current: Any, goessner: bool) -> Any:
    if isinstance(expr, _JPLiteral):
        return expr.value
    if isinstance(expr, _JPQuery):
        nodes = _jp_select(expr, root, current, goessner)
        return nodes[0] if len(nodes) == 1 else _NOTHING
    if isinstance(expr, _JPCall):
        return _jp_call(expr, root, current, goessner)
    return _jp_true(expr, root, current, goessner)


def _jp_call(call: _JPCall, root: Any, current: Any, goessner: bool) -> Any:
    if call.name in ("count", "value"):
        arg = call.args[0]
        nodes = (
            _jp_select(arg, root, current, goessner)
            if isinstance(arg, _JPQuery)
            else []
        )
        if call.name == "count":
            return len(nodes)
        return nodes[0] if len(nodes) == 1 else _NOTHING
    values = [_jp_value(a, root, current, goessner) for a in call.args]
    if call.name == "length":
        value = values[0]
        if isinstance(value, (str, list, dict)):
            return len(value)
        return _NOTHING
    text, pattern = values
    if not isinstance(text, str) or not isinstance(pattern, str):
        return False
    compiled = _jp_regex(pattern)
    if compiled is None:
        return False
    if call.name == "match":
        return compiled.fullmatch(text) is not None
    return compiled.search(text) is not None


_JP_REGEX_CACHE: dict[str, re.Pattern[str] | None] = {}


def _jp_regex(pattern: str) -> re.Pattern[str] | None:
    """An I-Regexp (RFC 9485) as a Python pattern; '.' matches anything but CR and LF."""
    if pattern not in _JP_REGEX_CACHE:
        out: list[str] = []
        in_class = False
        escaped = False
        for c in pattern:
            if escaped:
                out.append(c)
                escaped = False
            elif c == "\\":
                out.append(c)
                escaped = True
            elif c == "[":
                in_class = True
                out.append(c)
            elif c == "]":
                in_class = False
                out.append(c)
            elif c == "." and not in_class:
                out.append("[^\\n\\r]")
            else:
                out.append(c)
        try:
            _JP_REGEX_CACHE[pattern] = re.compile("".join(out))
        except re.error:
            _JP_REGEX_CACHE[pattern] = None
    return _JP_REGEX_CACHE[pattern]


def _jp_is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jp_equal(left: Any, right: Any) -> bool:
    if (
        type(left) is str and type(right) is str
    ):  # the common case, as the last line decides it
        return left == right
    if left is _NOTHING or right is _NOTHING:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if _jp_is_number(left) and _jp_is_number(right):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _jp_equal(a, b) for a, b in zip(left, right)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            _jp_equal(left[k], right[k]) for k in left
        )
    return type(left) is type(right) and bool(left == right)


def _jp_less(left: Any, right: Any) -> bool:
    if _jp_is_number(left) and _jp_is_number(right):
        return bool(left < right)
    if isinstance(left, str) and isinstance(right, str):
        return left < right
    return False


def _jp_compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return _jp_equal(left, right)
    if op == "!=":
        return not _jp_equal(left, right)
    if op == "<":
        return _jp_less(left, right)
    if op == ">":
        return _jp_less(right, left)
    if op == "<=":
        return _jp_less(left, right) or _jp_equal(left, right)
    return _jp_less(right, left) or _jp_equal(left, right)


# -- compiled criteria: ``$[?@.status == 'ended']`` as plain Python -----------------
#
# The generator compiles a filter of comparisons, existence tests and && || ! over
# singular relative queries to an expression over these three helpers (no parsing,
# no node lists at run time); they compare exactly as the evaluator above does.


def jp_member(value: Any, *path: str | int) -> Any:
    """The node the singular query ``@.a[0].b`` (path ``"a", 0, "b"``) selects from
    ``value``, or Nothing when there is none."""
    node = value
    for step in path:
        if isinstance(step, str):
            if not isinstance(node, dict) or step not in node:
                return _NOTHING
            node = node[step]
        elif isinstance(node, list) and -len(node) <= step < len(node):
            node = node[step]
        else:
            return _NOTHING
    return node


def jp_exists(node: Any) -> bool:
    """An existence test: the query selected a node (JSON null is one)."""
    return node is not _NOTHING


#: Comparisons of compiled criteria (RFC 9535 2.3.5.2.2), the evaluator's own.
jp_equal = _jp_equal
jp_compare = _jp_compare
