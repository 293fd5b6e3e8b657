"""The parser of one Arazzo runtime expression (``parse_expression``, following the
ABNF of the spec's "Runtime Expressions" section) and of string values that are or
embed expressions (``parse_value``).  A cursor-based parser, hand written: every
failure raises ExpressionError with the 0-based offset of the problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from .expr_ast import (
    _ALPHA,
    _COMPONENT_HINT,
    _COMPONENT_KINDS,
    _COMPONENT_NAME_CHARS,
    _DOTTED_ROOTS,
    _ID_CHARS,
    _ID_HINT,
    _NAME_FORBIDDEN,
    _SIMPLE_ROOTS,
    _TCHAR_HINT,
    _TCHARS,
    ROOT_HINT,
    ComponentRef,
    ExpressionError,
    Input,
    MessageHeader,
    MessagePayload,
    Method,
    Output,
    Pointer,
    RequestBody,
    RequestHeader,
    RequestPath,
    RequestQuery,
    ResponseBody,
    ResponseHeader,
    RuntimeExpr,
    SourceDescriptionRef,
    StatusCode,
    StepOutput,
    Template,
    Url,
    WorkflowInput,
    WorkflowOutput,
    _root_hint,
    _show,
)

# --------------------------------------------------------------------------
# Runtime expression parser
# --------------------------------------------------------------------------


class _ExprParser:
    """Parses exactly ``text[start:end]`` as one runtime expression.

    Offsets in errors are positions in ``text`` (not relative to ``start``), so
    an expression embedded in a template or condition reports offsets in the
    enclosing string.
    """

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.pos = start
        self.start = start
        self.end = end

    # -- low level helpers -------------------------------------------------

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < self.end else ""

    def _rest(self) -> str:
        return self.text[self.pos : self.end]

    def _consumed(self) -> str:
        return self.text[self.start : self.pos]

    def _read_while(self, accept: Callable[[str], bool]) -> str:
        begin = self.pos
        while self.pos < self.end and accept(self.text[self.pos]):
            self.pos += 1
        return self.text[begin : self.pos]

    def _found(self, begin: int) -> str:
        """Describe the text from ``begin`` to the end for an error message."""
        rest = self.text[begin : self.end]
        return _show(rest) if rest else "end of expression"

    def _expect_dot(self, hint: str | None = None) -> None:
        if self._peek() == ".":
            self.pos += 1
            return
        so_far = self._consumed()
        if self.pos >= self.end:
            raise ExpressionError(
                f"incomplete runtime expression: expected '.' after {_show(so_far, 60)}",
                self.pos,
                hint,
            )
        raise ExpressionError(
            f"expected '.' after {_show(so_far, 60)}, found {_show(self._peek())}",
            self.pos,
            hint,
        )

    def _finish(self, hint: str | None = None) -> None:
        if self.pos < self.end:
            raise ExpressionError(
                f"unexpected {_show(self._rest())} after {_show(self._consumed(), 60)}",
                self.pos,
                hint,
            )

    def _read_id(self, what: str) -> str:
        """Read a stepId / workflowId / source description name."""
        begin = self.pos
        ident = self._read_while(lambda c: c in _ID_CHARS)
        if not ident:
            if self.pos >= self.end:
                raise ExpressionError(
                    f"incomplete runtime expression: expected a {what} after " f"{_show(self._consumed(), 60)}",
                    self.pos,
                    _ID_HINT,
                )
            if self._peek() == ".":
                raise ExpressionError(
                    f"empty {what} after {_show(self._consumed(), 60)}",
                    begin,
                    _ID_HINT,
                )
            raise ExpressionError(
                f"invalid character {_show(self._peek())} at the start of a {what}",
                begin,
                _ID_HINT,
            )
        if self.pos < self.end and self._peek() != ".":
            raise ExpressionError(
                f"invalid character {_show(self._peek())} in {what} {_show(ident)}",
                self.pos,
                _ID_HINT,
            )
        return ident

    def _read_name(self, what: str, *, allow_pointer: bool) -> str:
        """Read a name that runs to ``#`` (when a pointer may follow) or the end."""
        begin = self.pos
        while self.pos < self.end:
            c = self.text[self.pos]
            if c == "#":
                if allow_pointer:
                    break
                raise ExpressionError(
                    f"invalid character '#' in {what}",
                    self.pos,
                    "only body, input and output references take a '#/json/pointer'",
                )
            if c.isspace() or c in _NAME_FORBIDDEN or not c.isprintable():
                raise ExpressionError(f"invalid character {_show(c)} in {what}", self.pos)
            self.pos += 1
        name = self.text[begin : self.pos]
        if not name:
            raise ExpressionError(f"empty {what} after {_show(self._consumed(), 60)}", self.pos)
        return name

    def _pointer_opt(self, hint: str | None = None) -> Pointer | None:
        """Parse an optional ``#json-pointer`` that must extend to the end."""
        if self.pos >= self.end:
            return None
        if self._peek() != "#":
            raise ExpressionError(
                f"unexpected {_show(self._rest())} after {_show(self._consumed(), 60)}",
                self.pos,
                hint,
            )
        self.pos += 1
        return self._pointer()

    def _pointer(self) -> Pointer:
        """Parse and decode a JSON pointer (RFC 6901) up to the end."""
        if self.pos >= self.end:
            return ()
        if self._peek() != "/":
            raise ExpressionError(
                "a JSON pointer must be empty or start with '/', found " f"{_show(self._peek())}",
                self.pos,
                "write '#/a/b' to reference member 'b' of member 'a'",
            )
        tokens: list[str] = []
        current: list[str] = []
        self.pos += 1
        while self.pos < self.end:
            c = self.text[self.pos]
            if c == "/":
                tokens.append("".join(current))
                current = []
            elif c == "~":
                nxt = self.text[self.pos + 1] if self.pos + 1 < self.end else ""
                if nxt == "0":
                    current.append("~")
                elif nxt == "1":
                    current.append("/")
                else:
                    raise ExpressionError(
                        f"invalid JSON pointer escape {_show('~' + nxt)}",
                        self.pos,
                        "in a JSON pointer '~' must be written '~0' and '/' inside "
                        "a member name must be written '~1'",
                    )
                self.pos += 1
            else:
                current.append(c)
            self.pos += 1
        tokens.append("".join(current))
        return tuple(tokens)

    # -- grammar -------------------------------------------------------------

    def parse(self) -> RuntimeExpr:
        if self._peek() != "$":
            if self.pos >= self.end:
                raise ExpressionError("empty runtime expression", self.pos, ROOT_HINT)
            raise ExpressionError(
                f"a runtime expression must start with '$', found {_show(self._peek())}",
                self.pos,
                ROOT_HINT,
            )
        dollar = self.pos
        self.pos += 1
        root = self._read_while(lambda c: c in _ALPHA)
        if not root:
            raise ExpressionError("expected a runtime expression root after '$'", self.pos, ROOT_HINT)
        simple: RuntimeExpr | None = None
        if root == "url":
            simple = Url()
        elif root == "method":
            simple = Method()
        elif root == "statusCode":
            simple = StatusCode()
        if simple is not None:
            self._finish()
            return simple
        if root not in _DOTTED_ROOTS:
            raise ExpressionError(f"unknown runtime expression root '${root}'", dollar, _root_hint(root))
        if root in ("request", "response"):
            return self._message(root)
        if root == "message":
            return self._event_message()
        if root == "inputs":
            self._expect_dot()
            name = self._read_name("input name", allow_pointer=True)
            return Input(name, self._pointer_opt())
        if root == "outputs":
            self._expect_dot()
            name = self._read_name("output name", allow_pointer=True)
            return Output(name, self._pointer_opt())
        if root == "steps":
            return self._steps()
        if root == "workflows":
            return self._workflows()
        if root == "sourceDescriptions":
            self._expect_dot()
            source = self._read_id("source description name")
            self._expect_dot(
                "use $sourceDescriptions.<name>.url or " "$sourceDescriptions.<name>.<operationId or workflowId>"
            )
            field = self._read_name("source description field", allow_pointer=False)
            return SourceDescriptionRef(source, field)
        return self._components()

    def _message(self, root: str) -> RuntimeExpr:
        sources = "header, query, path or body" if root == "request" else "header or body"
        hint = f"'${root}.' must be followed by {sources}"
        self._expect_dot(hint)
        begin = self.pos
        source = self._read_while(lambda c: c in _ALPHA)
        if source == "header":
            self._expect_dot(hint)
            name = self._read_while(lambda c: c in _TCHARS)
            if not name:
                if self.pos >= self.end:
                    raise ExpressionError(
                        f"empty header name after '${root}.header.'",
                        self.pos,
                        _TCHAR_HINT,
                    )
                raise ExpressionError(
                    f"invalid character {_show(self._peek())} in header name",
                    self.pos,
                    _TCHAR_HINT,
                )
            if self.pos < self.end:
                raise ExpressionError(
                    f"invalid character {_show(self._peek())} in header name " f"{_show(name)}",
                    self.pos,
                    _TCHAR_HINT,
                )
            return RequestHeader(name) if root == "request" else ResponseHeader(name)
        if source == "body":
            pointer = self._pointer_opt(f"reference part of the body with a JSON pointer, e.g. " f"'${root}.body#/a/b'")
            return RequestBody(pointer) if root == "request" else ResponseBody(pointer)
        if source == "payload":
            raise ExpressionError(
                f"'${root}.payload' is not an expression: 'payload' is a source of "
                "'$message' (Arazzo 1.1 event steps)",
                begin,
                f"an HTTP exchange has '${root}.body' (with an optional "
                "'#/json/pointer'); a message step reads '$message.payload'",
            )
        if root == "request" and source in ("query", "path"):
            self._expect_dot(hint)
            name = self._read_name(f"{source} parameter name", allow_pointer=False)
            return RequestQuery(name) if source == "query" else RequestPath(name)
        if not source:
            found = self._peek()
            raise ExpressionError(
                f"expected one of {sources} after '${root}.', found "
                + (_show(found) if found else "end of expression"),
                begin,
                hint,
            )
        raise ExpressionError(f"unknown {root} source {_show(source)}", begin, hint)

    def _event_message(self) -> MessageHeader | MessagePayload:
        """``$message.header.<token>`` or ``$message.payload[#pointer]`` (Arazzo 1.1,
        CHANGES-1.1 section 12); the shared grammar's ``body``, ``query`` and ``path``
        are refused (issue OAI/Arazzo-Specification#501)."""
        hint = "'$message.' must be followed by header.<name> or payload"
        self._expect_dot(hint)
        begin = self.pos
        source = self._read_while(lambda c: c in _ALPHA)
        if source == "header":
            self._expect_dot(hint)
            name = self._read_while(lambda c: c in _TCHARS)
            if not name:
                raise ExpressionError(
                    (
                        "empty header name after '$message.header.'"
                        if self.pos >= self.end
                        else f"invalid character {_show(self._peek())} in header name"
                    ),
                    self.pos,
                    _TCHAR_HINT,
                )
            if self.pos < self.end:
                raise ExpressionError(
                    f"invalid character {_show(self._peek())} in header name " f"{_show(name)}",
                    self.pos,
                    _TCHAR_HINT,
                )
            return MessageHeader(name)
        if source == "payload":
            return MessagePayload(
                self._pointer_opt("reference part of the payload with a JSON pointer, e.g. " "'$message.payload#/a/b'")
            )
        if source in ("body", "query", "path"):
            raise ExpressionError(
                f"'$message.{source}' is not an expression: a message has a payload " "and headers",
                begin,
                "write '$message.payload' (with an optional '#/json/pointer') or " "'$message.header.<name>'",
            )
        if not source:
            found = self._peek()
            raise ExpressionError(
                "expected header or payload after '$message.', found "
                + (_show(found) if found else "end of expression"),
                begin,
                hint,
            )
        raise ExpressionError(f"unknown message source {_show(source)}", begin, hint)

    def _steps(self) -> StepOutput:
        hint = "step outputs are referenced as $steps.<stepId>.outputs.<name>"
        self._expect_dot(hint)
        step_id = self._read_id("step id")
        self._expect_dot(hint)
        begin = self.pos
        part = self._read_while(lambda c: c in _ID_CHARS)
        if part != "outputs":
            raise ExpressionError(
                f"expected 'outputs' after '$steps.{step_id}.', found " + self._found(begin),
                begin,
                hint,
            )
        self._expect_dot(hint)
        name = self._read_name("output name", allow_pointer=True)
        return StepOutput(step_id, name, self._pointer_opt())

    def _workflows(self) -> WorkflowInput | WorkflowOutput:
        hint = (
            "workflows are referenced as $workflows.<workflowId>.inputs.<name> "
            "or $workflows.<workflowId>.outputs.<name>"
        )
        self._expect_dot(hint)
        workflow_id = self._read_id("workflow id")
        self._expect_dot(hint)
        begin = self.pos
        part = self._read_while(lambda c: c in _ID_CHARS)
        if part not in ("inputs", "outputs"):
            raise ExpressionError(
                f"expected 'inputs' or 'outputs' after '$workflows.{workflow_id}.', " "found " + self._found(begin),
                begin,
                hint,
            )
        self._expect_dot(hint)
        if part == "inputs":
            name = self._read_name("input name", allow_pointer=True)
            return WorkflowInput(workflow_id, name, self._pointer_opt())
        name = self._read_name("output name", allow_pointer=True)
        return WorkflowOutput(workflow_id, name, self._pointer_opt())

    def _components(self) -> ComponentRef:
        self._expect_dot(_COMPONENT_HINT)
        begin = self.pos
        kind = self._read_while(lambda c: c in _ALPHA)
        if kind not in _COMPONENT_KINDS:
            shown = kind or self._rest()
            if not shown:
                raise ExpressionError(
                    "incomplete runtime expression: expected a component kind after " "'$components.'",
                    begin,
                    _COMPONENT_HINT,
                )
            raise ExpressionError(f"unknown component kind {_show(shown)}", begin, _COMPONENT_HINT)
        self._expect_dot(_COMPONENT_HINT)
        begin = self.pos
        name = self._read_while(lambda c: c in _COMPONENT_NAME_CHARS)
        if self.pos < self.end:
            raise ExpressionError(
                f"invalid character {_show(self._peek())} in component name",
                self.pos,
                "component names must match ^[a-zA-Z0-9.\\-_]+$",
            )
        if not name:
            raise ExpressionError(f"empty component name after '$components.{kind}.'", begin)
        return ComponentRef(kind, name)


def _parse_span(text: str, start: int, end: int) -> RuntimeExpr:
    return _ExprParser(text, start, end).parse()


def parse_expression(text: str) -> RuntimeExpr:
    """Parse ``text``, which must be exactly one runtime expression."""
    return _parse_span(text, 0, len(text))


# A member name that a dot-path can spell without doubt: no '.', '[', '#', '/', '~',
# quote or space inside, so splitting at the dots gives the members the author meant.
_DOT_MEMBER: Final = _ID_CHARS


def body_dot_path(text: str) -> RuntimeExpr | None:
    """The quirk ``$response.body.a.b`` (a dot-path, as JavaScript engines read it):
    ``$response.body#/a/b``; ``$request.body.a`` likewise, and ``$message.payload.a``
    (the Arazzo 1.1 spec's own examples write it).  None when ``text`` does
    not start so.  A path whose members are not plain names (``items[0]``, ``a..b``,
    ``x#/y``, ``~``) raises ExpressionError: which members are meant is a guess."""
    kinds: tuple[tuple[str, type[ResponseBody | RequestBody | MessagePayload]], ...] = (
        ("$response.body.", ResponseBody),
        ("$request.body.", RequestBody),
        ("$message.payload.", MessagePayload),
    )
    for prefix, kind in kinds:
        if not text.startswith(prefix):
            continue
        members = text[len(prefix) :].split(".")
        offset = len(prefix)
        for member in members:
            bad = next((i for i, c in enumerate(member) if c not in _DOT_MEMBER), None)
            if not member or bad is not None:
                where = offset + (bad or 0)
                raise ExpressionError(
                    f"the dot-path {_show(text, 60)} cannot be read as a JSON pointer "
                    "without guessing: "
                    + (
                        "it has an empty member"
                        if not member
                        else f"member {_show(member)} holds {_show(member[bad or 0])}"
                    ),
                    where,
                    f"write the JSON pointer: '{prefix[:-1]}#/a/b' (member names "
                    "as they are, with '~' written '~0' and '/' written '~1')",
                )
            offset += len(member) + 1
        return kind(tuple(members))
    return None


def _bare_root_at(text: str, dollar: int) -> bool:
    """Does a known runtime-expression root follow the ``$`` at ``dollar``?"""
    after = dollar + 1
    for root in _SIMPLE_ROOTS:
        if text.startswith(root, after):
            nxt = after + len(root)
            # "$urlencoded" is text, "$url" / "$url," / "$url/x" are not.
            if nxt >= len(text) or text[nxt] not in _ID_CHARS:
                return True
    return any(text.startswith(root + ".", after) for root in _DOTTED_ROOTS)


def parse_value(text: str) -> RuntimeExpr | Template | str:
    """Classify a string value.

    * the whole string is one runtime expression -> that expression (the
      runtime value keeps its type);
    * it embeds expressions as ``{$...}`` (or, leniently, as a bare ``$inputs.x``
      running to the next whitespace) -> a :class:`Template`;
    * otherwise the string itself, unchanged.
    """
    if text.startswith("$"):
        try:
            return parse_expression(text)
        except ExpressionError:
            pass  # maybe "$inputs.a and more text": handled below
    parts: list[str | RuntimeExpr] = []
    bare: list[int] = []
    literal: list[str] = []
    found = False
    i = 0
    n = len(text)

    def flush() -> None:
        if literal:
            parts.append("".join(literal))
            literal.clear()

    while i < n:
        c = text[i]
        if c == "{" and i + 1 < n and text[i + 1] == "$":
            close = text.find("}", i + 2)
            if close < 0:
                raise ExpressionError(
                    "unterminated embedded expression: '{$' without a closing '}'",
                    i,
                    "embedded expressions are written {$inputs.name}",
                )
            flush()
            parts.append(_parse_span(text, i + 1, close))
            found = True
            i = close + 1
        elif c == "$" and _bare_root_at(text, i):
            end = i + 1
            while end < n and not text[end].isspace():
                end += 1
            flush()
            parts.append(_parse_span(text, i, end))
            bare.append(i)
            found = True
            i = end
        else:
            literal.append(c)
            i += 1
    if not found:
        return text
    flush()
    return Template(tuple(parts), tuple(bare))
