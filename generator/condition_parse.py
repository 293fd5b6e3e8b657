"""The parser of Criterion Object conditions of type ``simple`` (``parse_condition``):
a lexer plus a recursive-descent parser, hand written; every failure raises
ExpressionError with the 0-based offset of the problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .expr_ast import (
    _ALPHA,
    _DIGITS,
    _ID_CHARS,
    COMPARISON_OPS,
    And,
    Compare,
    Condition,
    ExpressionError,
    Index,
    Literal,
    Not,
    Or,
    Prop,
    Quirk,
    Ref,
    RuntimeExpr,
    SelfRoot,
    _show,
    to_source,
)
from .expr_parse import _parse_span, body_dot_path

# --------------------------------------------------------------------------
# Condition lexer
# --------------------------------------------------------------------------

# Token kinds.
_EOF: Final = "end of condition"
_OP: Final = "operator"
_NUM: Final = "number"
_STR: Final = "string"
_WORD: Final = "word"
_REF: Final = "runtime expression"
_PUNCT: Final = "punctuation"  # ( ) [ ] .

# A runtime expression operand stops at whitespace or one of these ...
_REF_STOP: Final = frozenset("()[]!=<>&|,'")
# ... and, inside its JSON pointer (after '#'), at whitespace, one of these
# characters or one of the two-character operators below.  '.', '!', '=' etc.
# stay part of the pointer so '#/a.b' addresses member "a.b".
_POINTER_STOP: Final = frozenset("()[],<>")
_POINTER_STOP_PAIRS: Final = ("==", "!=", "&&", "||")
_BODY_PREFIXES: Final = ("$request.body.", "$response.body.", "$message.payload.")
_MESSAGE_PAYLOAD_DOT: Final = "$message.payload."
_WORD_START: Final = _ALPHA | frozenset("_")
_WORD_CHARS: Final = _ID_CHARS


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    offset: int
    value: bool | int | float | str | None = None
    expr: RuntimeExpr | None = None

    def describe(self) -> str:
        if self.kind == _EOF:
            return "end of condition"
        return _show(self.text)


class _Lexer:
    def __init__(self, text: str, quirks: list[Quirk] | None = None, selves: SelfRoot | None = None) -> None:
        self.text = text
        self.pos = 0
        self.quirks = quirks
        self.selves = selves

    def _error(self, message: str, offset: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, offset, hint)

    def next(self) -> _Token:
        text = self.text
        n = len(text)
        while self.pos < n and text[self.pos].isspace():
            self.pos += 1
        start = self.pos
        if start >= n:
            return _Token(_EOF, "", n)
        c = text[start]
        nxt = text[start + 1] if start + 1 < n else ""
        if c in "()[].":
            self.pos += 1
            return _Token(_PUNCT, c, start)
        if c == "$":
            if (
                self.selves is not None
                and text.startswith("$self", start)
                and (start + 5 == n or text[start + 5].isspace() or text[start + 5] in _REF_STOP)
            ):
                # Arazzo 1.1: '$self' is the document's URI, a constant string
                self.selves.offsets.append(start)
                self.pos = start + 5
                return _Token(_STR, "$self", start, value=self.selves.uri or "")
            return self._ref(start)
        if c == "'":
            return self._string(start)
        if c == '"' and self.quirks is not None:
            return self._double_quoted(start)
        if c in _DIGITS or (c == "-" and nxt != "" and nxt in _DIGITS):
            return self._number(start)
        if c in _WORD_START:
            end = start + 1
            while end < n and text[end] in _WORD_CHARS:
                end += 1
            self.pos = end
            word = text[start:end]
            return _Token(_WORD, word, start)
        return self._operator(start, c, nxt)

    def _op(self, start: int, op: str) -> _Token:
        self.pos = start + len(op)
        return _Token(_OP, op, start)

    def _operator(self, start: int, c: str, nxt: str) -> _Token:
        third = self.text[start + 2] if start + 2 < len(self.text) else ""
        if c == "=":
            if nxt == "=":
                if third == "=":
                    raise self._error("unknown operator '==='", start, "use '==' to compare")
                return self._op(start, "==")
            if nxt in ("<", ">"):
                raise self._error(f"unknown operator '={nxt}'", start, f"use '{nxt}=' to compare")
            raise self._error("unknown operator '='", start, "use '==' to compare")
        if c == "!":
            if nxt == "=":
                if third == "=":
                    raise self._error("unknown operator '!=='", start, "use '!=' to compare")
                return self._op(start, "!=")
            return self._op(start, "!")
        if c == "<":
            if nxt == "=":
                return self._op(start, "<=")
            if nxt == ">":
                raise self._error("unknown operator '<>'", start, "use '!=' to compare")
            return self._op(start, "<")
        if c == ">":
            if nxt == "=":
                return self._op(start, ">=")
            return self._op(start, ">")
        if c in "&|":
            if nxt == c:
                return self._op(start, c + c)
            raise self._error(f"unknown operator '{c}'", start, f"use '{c}{c}'")
        if c == '"':
            raise self._error(
                "unexpected character '\"'",
                start,
                "strings need single quotes: 'text' (write '' for a literal quote)",
            )
        if c == "-":
            raise self._error(
                "unexpected character '-'",
                start,
                "negative numbers are written without a space, e.g. -1",
            )
        raise self._error(f"unexpected character {_show(c)}", start)

    def _ref(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        end = start
        in_pointer = False
        while end < n:
            c = text[end]
            if c.isspace():
                break
            if in_pointer:
                if c in _POINTER_STOP or text[end : end + 2] in _POINTER_STOP_PAIRS:
                    break
            else:
                if c in _REF_STOP:
                    break
                if c == "#":
                    in_pointer = True
            end += 1
        if self.quirks is not None and text.startswith(_MESSAGE_PAYLOAD_DOT, start) and "#" not in text[start:end]:
            # Quirk (the Arazzo 1.1 spec's examples): "$message.payload.orderId" for
            # "$message.payload#/orderId"; the caller warns with the spelling to write.
            try:
                dotted = body_dot_path(text[start:end])
            except ExpressionError as exc:
                raise ExpressionError(exc.message, start + exc.offset, exc.hint) from None
            assert dotted is not None
            self.quirks.append(Quirk(start, end, to_source(dotted), "a dot-path after $message.payload"))
            self.pos = end
            return _Token(_REF, text[start:end], start, expr=dotted)
        # "$response.body.items" -> the body reference, then ".items" as a
        # property dereference (the expression grammar has no dotted body path).
        for prefix in _BODY_PREFIXES:
            if text.startswith(prefix, start) and start + len(prefix) <= end:
                end = start + len(prefix) - 1
        expr = _parse_span(text, start, end)
        self.pos = end
        return _Token(_REF, text[start:end], start, expr=expr)

    def _string(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        i = start + 1
        chars: list[str] = []
        while True:
            if i >= n:
                raise self._error(
                    "unterminated string literal",
                    start,
                    "close strings with ' (a literal quote is written '')",
                )
            c = text[i]
            if c == "'":
                if i + 1 < n and text[i + 1] == "'":
                    chars.append("'")
                    i += 2
                    continue
                i += 1
                break
            chars.append(c)
            i += 1
        self.pos = i
        return _Token(_STR, text[start:i], start, value="".join(chars))

    def _double_quoted(self, start: int) -> _Token:
        """The quirk ``"text"``: a string literal in double quotes, as JavaScript and
        JSON write it.  Only without a backslash: whether ``\\n`` is two characters or
        a line break would be a guess."""
        text = self.text
        close = text.find('"', start + 1)
        if close < 0:
            raise self._error(
                "unterminated string literal",
                start,
                "strings need single quotes: 'text' (write '' for a literal quote)",
            )
        value = text[start + 1 : close]
        if "\\" in value:
            raise self._error(
                "a double-quoted string with a backslash in it: its escapes are not " "defined in a condition",
                start,
                "strings need single quotes: 'text', with every character as it is " "(write '' for a literal quote)",
            )
        meant = "'" + value.replace("'", "''") + "'"
        assert self.quirks is not None
        self.quirks.append(Quirk(start, close + 1, meant, "a string in double quotes"))
        self.pos = close + 1
        return _Token(_STR, text[start : close + 1], start, value=value)

    def _number(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        i = start
        if text[i] == "-":
            i += 1
        int_start = i
        while i < n and text[i] in _DIGITS:
            i += 1
        if i - int_start > 1 and text[int_start] == "0":
            raise self._error(
                f"invalid number {_show(text[start:i])}: leading zeros are not allowed",
                int_start,
            )
        is_float = False
        if i + 1 < n and text[i] == "." and text[i + 1] in _DIGITS:
            is_float = True
            i += 1
            while i < n and text[i] in _DIGITS:
                i += 1
        if i < n and text[i] in "eE":
            exp = i
            i += 1
            if i < n and text[i] in "+-":
                i += 1
            if i >= n or text[i] not in _DIGITS:
                raise self._error(
                    f"invalid number {_show(text[start:i])}: missing exponent digits",
                    exp,
                )
            while i < n and text[i] in _DIGITS:
                i += 1
            is_float = True
        if i < n and (text[i] in _WORD_CHARS or text[i] == "$"):
            raise self._error(
                f"unexpected character {_show(text[i])} after number " f"{_show(text[start:i])}",
                i,
            )
        self.pos = i
        literal = text[start:i]
        value: int | float = float(literal) if is_float else int(literal)
        return _Token(_NUM, literal, start, value=value)


# --------------------------------------------------------------------------
# Condition parser
# --------------------------------------------------------------------------


class _ConditionParser:
    def __init__(self, text: str, quirks: list[Quirk] | None = None, selves: SelfRoot | None = None) -> None:
        self.text = text
        self.lexer = _Lexer(text, quirks, selves)
        self.prev: _Token | None = None
        self.tok = self.lexer.next()

    def _advance(self) -> _Token:
        tok = self.tok
        self.prev = tok
        self.tok = self.lexer.next()
        return tok

    def _is(self, kind: str, *texts: str) -> bool:
        return self.tok.kind == kind and (not texts or self.tok.text in texts)

    def _starts_operand(self) -> bool:
        return self.tok.kind in (_NUM, _STR, _WORD, _REF) or self._is(_PUNCT, "(")

    def parse(self) -> Condition:
        if self.tok.kind == _EOF:
            raise ExpressionError("empty condition", 0, "e.g. $statusCode == 200")
        node = self._or()
        if self.tok.kind != _EOF:
            if self._is(_PUNCT, ")"):
                raise ExpressionError("unbalanced ')': no matching '('", self.tok.offset)
            raise ExpressionError(
                f"unexpected {self.tok.describe()} after a complete condition",
                self.tok.offset,
                "combine conditions with '&&' or '||'",
            )
        return node

    def _or(self) -> Condition:
        node = self._and()
        while self._is(_OP, "||"):
            self._advance()
            node = Or(node, self._and())
        return node

    def _and(self) -> Condition:
        node = self._not()
        while self._is(_OP, "&&"):
            self._advance()
            node = And(node, self._not())
        return node

    def _not(self) -> Condition:
        if self._is(_OP, "!"):
            self._advance()
            return Not(self._not())
        return self._compare()

    def _compare(self) -> Condition:
        left = self._postfix()
        if self.tok.kind == _OP and self.tok.text in COMPARISON_OPS:
            op = self._advance().text
            right = self._postfix()
            if self.tok.kind == _OP and self.tok.text in COMPARISON_OPS:
                raise ExpressionError(
                    f"comparison operators cannot be chained: unexpected " f"{self.tok.describe()}",
                    self.tok.offset,
                    "use parentheses and '&&', e.g. (a == b) && (b == c)",
                )
            node: Condition = Compare(op, left, right)
        else:
            node = left
        if self._starts_operand():
            raise ExpressionError(
                f"missing operator before {self.tok.describe()}",
                self.tok.offset,
                "operators are == != < <= > >= && || !",
            )
        return node

    def _postfix(self) -> Condition:
        node, postfixable = self._primary()
        while self._is(_PUNCT, "[", "."):
            tok = self.tok
            if not postfixable:
                raise ExpressionError(f"{_show(tok.text)} cannot follow a literal", tok.offset)
            self._advance()
            if tok.text == "[":
                node = Index(node, self._index(tok))
            else:
                if self.tok.kind != _WORD:
                    raise ExpressionError(
                        f"expected a property name after '.', found " f"{self.tok.describe()}",
                        self.tok.offset,
                    )
                node = Prop(node, self._advance().text)
        return node

    def _index(self, bracket: _Token) -> int | str:
        tok = self.tok
        index: int | str
        if (
            tok.kind == _NUM
            and isinstance(tok.value, int)
            and tok.value >= 0
            or tok.kind == _STR
            and isinstance(tok.value, str)
        ):
            index = tok.value
        elif tok.kind == _EOF:
            raise ExpressionError("unclosed '['", bracket.offset)
        else:
            raise ExpressionError(
                f"an index must be a non-negative integer or a quoted string, found " f"{tok.describe()}",
                tok.offset,
            )
        self._advance()
        if not self._is(_PUNCT, "]"):
            if self.tok.kind == _EOF:
                raise ExpressionError("unclosed '['", bracket.offset)
            raise ExpressionError(f"expected ']', found {self.tok.describe()}", self.tok.offset)
        self._advance()
        return index

    def _primary(self) -> tuple[Condition, bool]:
        tok = self.tok
        if tok.kind in (_NUM, _STR):
            self._advance()
            return Literal(tok.value), False
        if tok.kind == _REF:
            assert tok.expr is not None
            self._advance()
            return Ref(tok.expr, tok.offset), True
        if tok.kind == _WORD:
            if tok.text == "true":
                self._advance()
                return Literal(True), False
            if tok.text == "false":
                self._advance()
                return Literal(False), False
            if tok.text == "null":
                self._advance()
                return Literal(None), False
            if tok.text.lower() in ("true", "false", "null"):
                hint = f"literals are lowercase: {tok.text.lower()}"
            else:
                hint = f"strings need single quotes: '{tok.text}'"
            raise ExpressionError(f"unexpected bare word {_show(tok.text)}", tok.offset, hint)
        if self._is(_PUNCT, "("):
            self._advance()
            if self._is(_PUNCT, ")"):
                raise ExpressionError("expected an operand inside '()', found ')'", self.tok.offset)
            inner = self._or()
            if not self._is(_PUNCT, ")"):
                if self.tok.kind == _EOF:
                    raise ExpressionError(
                        "unbalanced '(': missing ')'",
                        tok.offset,
                        "close the group opened here with ')'",
                    )
                raise ExpressionError(
                    f"expected ')' or an operator, found {self.tok.describe()}",
                    self.tok.offset,
                )
            self._advance()
            return inner, True
        if tok.kind == _EOF:
            after = f" after {_show(self.prev.text)}" if self.prev is not None else ""
            raise ExpressionError(f"missing operand{after} at end of condition", tok.offset)
        bang_hint = "'!' binds looser than comparisons; write it in parentheses: (!x)" if tok.text == "!" else None
        raise ExpressionError(
            f"missing operand: expected a value, found {tok.describe()}",
            tok.offset,
            bang_hint,
        )


def parse_condition(text: str, quirks: list[Quirk] | None = None, selves: SelfRoot | None = None) -> Condition:
    """Parse a Criterion Object condition of type ``simple``.

    Precedence, loosest first: ``||``, ``&&``, prefix ``!``, comparisons
    (non-associative), postfix ``[i]``/``['k']``/``.name``, primaries
    (literals, runtime expressions, parenthesised conditions).

    Given a ``quirks`` list, the parser also accepts the non-standard spellings real
    documents use (a string in double quotes) and appends each to the list.

    Given ``selves`` (an Arazzo 1.1 document), ``$self`` is an operand: the string
    ``selves.uri`` (a compile-time constant), its offsets appended to ``selves.offsets``.
    """
    return _ConditionParser(text, quirks, selves).parse()
