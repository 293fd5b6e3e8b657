"""Arazzo 1.0.1 runtime expressions, embedded-expression strings and conditions.

Three entry points turn author-written text into small immutable ASTs:

* :func:`parse_expression` -- one runtime expression (``$steps.s.outputs.x#/a``),
  following the ABNF in the "Runtime Expressions" section of the spec.
* :func:`parse_value` -- a string value that *is* an expression (type preserving),
  *embeds* expressions (``"Bearer {$inputs.token}"``) or is plain text.
* :func:`parse_condition` -- a "simple" Criterion Object condition
  (``$statusCode == 200 && $response.body#/done == true``).

Criteria of type ``jsonpath`` are checked by :func:`check_jsonpath`, which runs the
parser of the generated runtime itself (templates/runtime/jsonpath.py.jinja), and
``xpath`` criteria by :func:`check_xpath`, which runs elementpath's parser of the
criterion's version (the library the generated package evaluates them with), so
compile time and run time can never disagree about what a query means.

Everything is hand written: a cursor-based parser for runtime expressions and a
lexer plus recursive-descent parser for conditions.  Every failure raises
:class:`ExpressionError` carrying the 0-based offset of the problem in the text
that was passed in, so callers can point at the exact character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

__all__ = [
    "And",
    "ComponentRef",
    "Compare",
    "Condition",
    "ExpressionError",
    "Index",
    "Input",
    "Literal",
    "MessageHeader",
    "MessagePayload",
    "Method",
    "Not",
    "Or",
    "Output",
    "Pointer",
    "Prop",
    "Ref",
    "RequestBody",
    "RequestHeader",
    "RequestPath",
    "RequestQuery",
    "ResponseBody",
    "ResponseHeader",
    "RuntimeExpr",
    "SourceDescriptionRef",
    "StatusCode",
    "StepOutput",
    "Quirk",
    "Template",
    "Url",
    "WorkflowInput",
    "WorkflowOutput",
    "apply_quirks",
    "body_dot_path",
    "iter_refs",
    "jsonpath_members",
    "SelfRoot",
    "parse_condition",
    "parse_expression",
    "parse_value",
    "to_source",
]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


ROOT_HINT: Final = (
    "expressions start with $url, $method, $statusCode, $request., $response., "
    "$inputs., $outputs., $steps., $workflows., $sourceDescriptions., $components."
)


class ExpressionError(Exception):
    """A runtime expression, template or condition could not be parsed.

    ``offset`` is the 0-based character offset, in the string handed to the
    parse function, of the character where the problem was detected.
    """

    message: str
    offset: int
    hint: str | None

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message, offset, hint)
        self.message = message
        self.offset = offset
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.message} (at offset {self.offset})"
        if self.hint:
            text += f"; hint: {self.hint}"
        return text


# --------------------------------------------------------------------------
# Runtime expression AST
# --------------------------------------------------------------------------

Pointer: TypeAlias = tuple[str, ...]
"""Decoded JSON pointer reference tokens; ``()`` is the whole document."""


@dataclass(frozen=True, slots=True)
class StatusCode:
    """``$statusCode``"""


@dataclass(frozen=True, slots=True)
class Url:
    """``$url``"""


@dataclass(frozen=True, slots=True)
class Method:
    """``$method``"""


@dataclass(frozen=True, slots=True)
class RequestHeader:
    """``$request.header.<token>``"""

    name: str


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """``$request.query.<name>``"""

    name: str


@dataclass(frozen=True, slots=True)
class RequestPath:
    """``$request.path.<name>``"""

    name: str


@dataclass(frozen=True, slots=True)
class RequestBody:
    """``$request.body`` or ``$request.body#/json/pointer``"""

    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class ResponseHeader:
    """``$response.header.<token>``"""

    name: str


@dataclass(frozen=True, slots=True)
class ResponseBody:
    """``$response.body`` or ``$response.body#/json/pointer``"""

    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class MessageHeader:
    """``$message.header.<token>`` (Arazzo 1.1: a header of the message an event step sent or received)"""

    name: str


@dataclass(frozen=True, slots=True)
class MessagePayload:
    """``$message.payload`` or ``$message.payload#/json/pointer`` (Arazzo 1.1)"""

    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class Input:
    """``$inputs.<name>[#/pointer]`` (``name`` may contain dots)."""

    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class Output:
    """``$outputs.<name>[#/pointer]`` (``name`` may contain dots)."""

    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class StepOutput:
    """``$steps.<stepId>.outputs.<name>[#/pointer]``"""

    step_id: str
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class WorkflowInput:
    """``$workflows.<workflowId>.inputs.<name>[#/pointer]``"""

    workflow_id: str
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class WorkflowOutput:
    """``$workflows.<workflowId>.outputs.<name>[#/pointer]``"""

    workflow_id: str
    name: str
    pointer: Pointer | None


@dataclass(frozen=True, slots=True)
class SourceDescriptionRef:
    """``$sourceDescriptions.<source>.<field>`` (``url``, an operationId or a workflowId)."""

    source: str
    field: str


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """``$components.<kind>.<name>``; kind is parameters, successActions, failureActions or inputs."""

    kind: str
    name: str


RuntimeExpr: TypeAlias = (
    StatusCode
    | Url
    | Method
    | RequestHeader
    | RequestQuery
    | RequestPath
    | RequestBody
    | ResponseHeader
    | ResponseBody
    | MessageHeader
    | MessagePayload
    | Input
    | Output
    | StepOutput
    | WorkflowInput
    | WorkflowOutput
    | SourceDescriptionRef
    | ComponentRef
)

_RUNTIME_TYPES: Final = (
    StatusCode,
    Url,
    Method,
    RequestHeader,
    RequestQuery,
    RequestPath,
    RequestBody,
    ResponseHeader,
    ResponseBody,
    MessageHeader,
    MessagePayload,
    Input,
    Output,
    StepOutput,
    WorkflowInput,
    WorkflowOutput,
    SourceDescriptionRef,
    ComponentRef,
)


# --------------------------------------------------------------------------
# Character classes (ASCII only, no regular expressions)
# --------------------------------------------------------------------------

_DIGITS: Final = frozenset("0123456789")
_ALPHA: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ID_CHARS: Final = _ALPHA | _DIGITS | frozenset("_-")
_COMPONENT_NAME_CHARS: Final = _ID_CHARS | frozenset(".")
# RFC 9110 tchar, identical to the spec's ABNF.
_TCHARS: Final = _ALPHA | _DIGITS | frozenset("!#$%&'*+-.^_`|~")
# Characters never allowed in input/output/parameter names.
_NAME_FORBIDDEN: Final = frozenset("{}")

_TCHAR_HINT: Final = (
    "header names must be RFC 9110 tokens: letters, digits and !#$%&'*+-.^_`|~"
)
_ID_HINT: Final = "ids must match [A-Za-z0-9_-]+"
_COMPONENT_KINDS: Final = ("parameters", "successActions", "failureActions", "inputs")
_COMPONENT_HINT: Final = (
    "components are referenced as $components.parameters.<name>, "
    "$components.successActions.<name>, $components.failureActions.<name> "
    "or $components.inputs.<name>"
)
_SIMPLE_ROOTS: Final = ("url", "method", "statusCode")
_DOTTED_ROOTS: Final = (
    "request",
    "response",
    "message",
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "sourceDescriptions",
    "components",
)


def _show(fragment: str, limit: int = 24) -> str:
    """Quote a piece of source text for an error message."""
    if len(fragment) > limit:
        fragment = fragment[:limit] + "..."
    return "'" + fragment + "'"


def _root_hint(root: str) -> str:
    lowered = root.lower()
    for known in _SIMPLE_ROOTS + _DOTTED_ROOTS:
        if known.lower() == lowered:
            suffix = "" if known in _SIMPLE_ROOTS else "."
            return f"did you mean '${known}{suffix}'? ({ROOT_HINT})"
    return ROOT_HINT


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
                    f"incomplete runtime expression: expected a {what} after "
                    f"{_show(self._consumed(), 60)}",
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
                raise ExpressionError(
                    f"invalid character {_show(c)} in {what}", self.pos
                )
            self.pos += 1
        name = self.text[begin : self.pos]
        if not name:
            raise ExpressionError(
                f"empty {what} after {_show(self._consumed(), 60)}", self.pos
            )
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
                "a JSON pointer must be empty or start with '/', found "
                f"{_show(self._peek())}",
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
            raise ExpressionError(
                "expected a runtime expression root after '$'", self.pos, ROOT_HINT
            )
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
            raise ExpressionError(
                f"unknown runtime expression root '${root}'", dollar, _root_hint(root)
            )
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
                "use $sourceDescriptions.<name>.url or "
                "$sourceDescriptions.<name>.<operationId or workflowId>"
            )
            field = self._read_name("source description field", allow_pointer=False)
            return SourceDescriptionRef(source, field)
        return self._components()

    def _message(self, root: str) -> RuntimeExpr:
        sources = (
            "header, query, path or body" if root == "request" else "header or body"
        )
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
                    f"invalid character {_show(self._peek())} in header name "
                    f"{_show(name)}",
                    self.pos,
                    _TCHAR_HINT,
                )
            return RequestHeader(name) if root == "request" else ResponseHeader(name)
        if source == "body":
            pointer = self._pointer_opt(
                f"reference part of the body with a JSON pointer, e.g. "
                f"'${root}.body#/a/b'"
            )
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
                    "empty header name after '$message.header.'"
                    if self.pos >= self.end
                    else f"invalid character {_show(self._peek())} in header name",
                    self.pos,
                    _TCHAR_HINT,
                )
            if self.pos < self.end:
                raise ExpressionError(
                    f"invalid character {_show(self._peek())} in header name "
                    f"{_show(name)}",
                    self.pos,
                    _TCHAR_HINT,
                )
            return MessageHeader(name)
        if source == "payload":
            return MessagePayload(
                self._pointer_opt(
                    "reference part of the payload with a JSON pointer, e.g. "
                    "'$message.payload#/a/b'"
                )
            )
        if source in ("body", "query", "path"):
            raise ExpressionError(
                f"'$message.{source}' is not an expression: a message has a payload "
                "and headers",
                begin,
                "write '$message.payload' (with an optional '#/json/pointer') or "
                "'$message.header.<name>'",
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
                f"expected 'outputs' after '$steps.{step_id}.', found "
                + self._found(begin),
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
                f"expected 'inputs' or 'outputs' after '$workflows.{workflow_id}.', "
                "found " + self._found(begin),
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
                    "incomplete runtime expression: expected a component kind after "
                    "'$components.'",
                    begin,
                    _COMPONENT_HINT,
                )
            raise ExpressionError(
                f"unknown component kind {_show(shown)}", begin, _COMPONENT_HINT
            )
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
            raise ExpressionError(
                f"empty component name after '$components.{kind}.'", begin
            )
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


# --------------------------------------------------------------------------
# Canonical text form
# --------------------------------------------------------------------------


def _pointer_source(pointer: Pointer | None) -> str:
    if pointer is None:
        return ""
    return "#" + "".join(
        "/" + token.replace("~", "~0").replace("/", "~1") for token in pointer
    )


def to_source(expr: RuntimeExpr) -> str:
    """Canonical text of a runtime expression; ``parse_expression`` inverts it."""
    if isinstance(expr, StatusCode):
        return "$statusCode"
    if isinstance(expr, Url):
        return "$url"
    if isinstance(expr, Method):
        return "$method"
    if isinstance(expr, RequestHeader):
        return f"$request.header.{expr.name}"
    if isinstance(expr, RequestQuery):
        return f"$request.query.{expr.name}"
    if isinstance(expr, RequestPath):
        return f"$request.path.{expr.name}"
    if isinstance(expr, RequestBody):
        return "$request.body" + _pointer_source(expr.pointer)
    if isinstance(expr, ResponseHeader):
        return f"$response.header.{expr.name}"
    if isinstance(expr, ResponseBody):
        return "$response.body" + _pointer_source(expr.pointer)
    if isinstance(expr, MessageHeader):
        return f"$message.header.{expr.name}"
    if isinstance(expr, MessagePayload):
        return "$message.payload" + _pointer_source(expr.pointer)
    if isinstance(expr, Input):
        return f"$inputs.{expr.name}" + _pointer_source(expr.pointer)
    if isinstance(expr, Output):
        return f"$outputs.{expr.name}" + _pointer_source(expr.pointer)
    if isinstance(expr, StepOutput):
        return f"$steps.{expr.step_id}.outputs.{expr.name}" + _pointer_source(
            expr.pointer
        )
    if isinstance(expr, WorkflowInput):
        return f"$workflows.{expr.workflow_id}.inputs.{expr.name}" + _pointer_source(
            expr.pointer
        )
    if isinstance(expr, WorkflowOutput):
        return f"$workflows.{expr.workflow_id}.outputs.{expr.name}" + _pointer_source(
            expr.pointer
        )
    if isinstance(expr, SourceDescriptionRef):
        return f"$sourceDescriptions.{expr.source}.{expr.field}"
    if isinstance(expr, ComponentRef):
        return f"$components.{expr.kind}.{expr.name}"
    raise TypeError(f"not a runtime expression: {expr!r}")


class SelfRoot:
    """The ``$self`` of an Arazzo 1.1 document (None: it declares none) while a
    condition is parsed, and where the condition reads it."""

    def __init__(self, uri: str | None) -> None:
        self.uri = uri
        self.offsets: list[int] = []


@dataclass(frozen=True, slots=True)
class Quirk:
    """A non-standard spelling a parser accepted: ``text[start:end]`` (in the text that
    was parsed) means ``meant``; ``what`` says in a few words what was written."""

    start: int
    end: int
    meant: str
    what: str


def apply_quirks(text: str, quirks: list[Quirk]) -> str:
    """``text`` with every quirk's span replaced by its spec-correct spelling."""
    out: list[str] = []
    at = 0
    for quirk in sorted(quirks, key=lambda q: q.start):
        out.append(text[at : quirk.start])
        out.append(quirk.meant)
        at = quirk.end
    out.append(text[at:])
    return "".join(out)


# --------------------------------------------------------------------------
# Strings with embedded expressions
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """A string with embedded runtime expressions.

    ``parts`` alternates literal text and expressions in source order (adjacent
    literal text is merged, empty text is omitted).  ``bare`` holds the offsets
    (of the ``$``) of expressions that were written without ``{}`` braces.
    """

    parts: tuple[str | RuntimeExpr, ...]
    bare: tuple[int, ...]


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


# --------------------------------------------------------------------------
# Condition AST
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """``true``, ``false``, ``null``, a number or a single-quoted string."""

    value: bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class Ref:
    """A runtime expression operand; ``offset`` is the position of its ``$``."""

    expr: RuntimeExpr
    offset: int


@dataclass(frozen=True, slots=True)
class Index:
    """``target[0]`` or ``target['key']``"""

    target: Condition
    index: int | str


@dataclass(frozen=True, slots=True)
class Prop:
    """``target.name``"""

    target: Condition
    name: str


@dataclass(frozen=True, slots=True)
class Not:
    """``!operand``"""

    operand: Condition


@dataclass(frozen=True, slots=True)
class And:
    """``left && right``"""

    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    """``left || right``"""

    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Compare:
    """``left <op> right`` with op one of ``== != < <= > >=``."""

    op: str
    left: Condition
    right: Condition


Condition: TypeAlias = Literal | Ref | Index | Prop | Not | And | Or | Compare

COMPARISON_OPS: Final = ("==", "!=", "<", "<=", ">", ">=")


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
            if self.selves is not None and text.startswith("$self", start) and (start + 5 == n or text[start + 5].isspace() or text[start + 5] in _REF_STOP):
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
                raise self._error(
                    f"unknown operator '={nxt}'", start, f"use '{nxt}=' to compare"
                )
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
                "a double-quoted string with a backslash in it: its escapes are not "
                "defined in a condition",
                start,
                "strings need single quotes: 'text', with every character as it is "
                "(write '' for a literal quote)",
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
                f"unexpected character {_show(text[i])} after number "
                f"{_show(text[start:i])}",
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
                    f"comparison operators cannot be chained: unexpected "
                    f"{self.tok.describe()}",
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
                raise ExpressionError(
                    f"{_show(tok.text)} cannot follow a literal", tok.offset
                )
            self._advance()
            if tok.text == "[":
                node = Index(node, self._index(tok))
            else:
                if self.tok.kind != _WORD:
                    raise ExpressionError(
                        f"expected a property name after '.', found "
                        f"{self.tok.describe()}",
                        self.tok.offset,
                    )
                node = Prop(node, self._advance().text)
        return node

    def _index(self, bracket: _Token) -> int | str:
        tok = self.tok
        index: int | str
        if tok.kind == _NUM and isinstance(tok.value, int) and tok.value >= 0:
            index = tok.value
        elif tok.kind == _STR and isinstance(tok.value, str):
            index = tok.value
        elif tok.kind == _EOF:
            raise ExpressionError("unclosed '['", bracket.offset)
        else:
            raise ExpressionError(
                f"an index must be a non-negative integer or a quoted string, found "
                f"{tok.describe()}",
                tok.offset,
            )
        self._advance()
        if not self._is(_PUNCT, "]"):
            if self.tok.kind == _EOF:
                raise ExpressionError("unclosed '['", bracket.offset)
            raise ExpressionError(
                f"expected ']', found {self.tok.describe()}", self.tok.offset
            )
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
            raise ExpressionError(
                f"unexpected bare word {_show(tok.text)}", tok.offset, hint
            )
        if self._is(_PUNCT, "("):
            self._advance()
            if self._is(_PUNCT, ")"):
                raise ExpressionError(
                    "expected an operand inside '()', found ')'", self.tok.offset
                )
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
            raise ExpressionError(
                f"missing operand{after} at end of condition", tok.offset
            )
        bang_hint = (
            "'!' binds looser than comparisons; write it in parentheses: (!x)"
            if tok.text == "!"
            else None
        )
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


# --------------------------------------------------------------------------
# Traversal
# --------------------------------------------------------------------------


def iter_refs(node: Condition | Template | RuntimeExpr) -> Iterator[RuntimeExpr]:
    """Yield every runtime expression inside ``node`` in source order."""
    if isinstance(node, _RUNTIME_TYPES):
        yield node
    elif isinstance(node, Template):
        for part in node.parts:
            if not isinstance(part, str):
                yield part
    elif isinstance(node, Ref):
        yield node.expr
    elif isinstance(node, Literal):
        return
    elif isinstance(node, (Index, Prop)):
        yield from iter_refs(node.target)
    elif isinstance(node, Not):
        yield from iter_refs(node.operand)
    elif isinstance(node, (And, Or, Compare)):
        yield from iter_refs(node.left)
        yield from iter_refs(node.right)
    else:
        raise TypeError(f"not an expression node: {node!r}")


# --------------------------------------------------------------------------
# JSONPath: the runtime's own parser, run at compile time; XPath: elementpath's
# --------------------------------------------------------------------------

# The JSONPath evaluator ships as a runtime template part
# (templates/runtime/jsonpath.py.jinja) written in plain Python.  The generator
# executes that very file to parse queries, so a query accepted at compile time is
# exactly a query the generated code can run.  XPath is parsed by elementpath, which
# the generated code evaluates it with (generator/xpath_check.py).

_RUNTIME_PRELUDE: Final = (
    "from __future__ import annotations\n"
    "import importlib, json, logging, math, re\n"
    "import xml.etree.ElementTree as ET\n"
    "from collections.abc import Mapping, Sequence\n"
    "from typing import Any\n"
    "logger = logging.getLogger('arazzo_codegen.runtime')\n"
    "class WorkflowError(Exception): ...\n"  # the runtime's own, for parts run on their own
)
_RUNTIME_PARTS: dict[str, dict[str, Any]] = {}


def runtime_part(name: str) -> dict[str, Any]:
    """The namespace of ``templates/runtime/<name>.py.jinja`` executed as a module."""
    namespace = _RUNTIME_PARTS.get(name)
    if namespace is None:
        from .paths import templates_dir

        source = (templates_dir() / "runtime" / f"{name}.py.jinja").read_text(encoding="utf-8")
        namespace = {"__name__": f"arazzo_codegen_runtime_{name}"}
        exec(compile(_RUNTIME_PRELUDE + source, f"templates/runtime/{name}.py.jinja", "exec"), namespace)  # noqa: S102 - our own shipped file
        _RUNTIME_PARTS[name] = namespace
    return namespace


def embedded_text(kind: str, where: str, value: str) -> str | None:
    """``value`` substituted at ``where`` in an Arazzo 1.1 ``kind`` condition, escaped
    as the runtime escapes a value it embeds (templates/runtime/v11.py.jinja); None
    when it cannot stand there."""
    part = runtime_part("v11")
    # text_1_1 calls the values part's text(), which gives a string back as it is
    part.setdefault("text", str)
    result: str | None = part["_embedded_text"](kind, where, value)
    return result


def check_jsonpath(query: str, *, goessner: bool = False) -> None:
    """Raise ExpressionError when ``query`` is not a JSONPath query the runtime runs
    (with a hint when the filter says ``or``, ``and`` or ``not`` in words)."""
    part = runtime_part("jsonpath")
    try:
        part["jsonpath_parse"](query, goessner=goessner)
    except part["JsonPathError"] as exc:
        raise ExpressionError(exc.message, exc.offset, _jsonpath_words_hint(query, exc.offset, goessner)) from None


#: Words a filter may be written with, as JSONPath spells them.
_JSONPATH_WORDS: Final = {"or": "||", "and": "&&", "not": "!"}
_JSONPATH_WORD = re.compile(r"(?<![\w.@$'\"])(or|and|not)(?![\w'\"])\s*")
_JSONPATH_STRING = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _jsonpath_words_hint(query: str, offset: int, goessner: bool) -> str | None:
    """``$[?@.a == 1 or @.b == 2]`` fails where ``or`` starts: suggest ``||``."""
    word = re.match(r"\s*(or|and|not)(?![\w'\"])", query[offset:])
    if word is None:
        return None
    used: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        used.add(match.group(1))
        return _JSONPATH_WORDS[match.group(1)] + ("" if match.group(1) == "not" else " ")

    pieces = _JSONPATH_STRING.split(query)  # string literals at odd indexes, left as they are
    for index in range(0, len(pieces), 2):
        pieces[index] = _JSONPATH_WORD.sub(replace, pieces[index])
    fixed = "".join(pieces)
    operators = " and ".join(f"{w!r} as {op!r}" for w, op in _JSONPATH_WORDS.items() if w in used or not used)
    part = runtime_part("jsonpath")
    try:
        part["jsonpath_parse"](fixed, goessner=goessner)
    except part["JsonPathError"]:
        return f"JSONPath writes {operators}"
    return f"JSONPath writes {operators}: {fixed!r}"


def jsonpath_members(query: str, *, goessner: bool = False, wrapped: bool = True) -> list[tuple[str | None, ...]]:
    """The members a well-formed query reads by name, each as the path from the
    criterion's context to it: names, and None for an element of an array (an index,
    slice, wildcard or filter).  Paths through a descendant segment (``..``) or a
    multi-selector are not followed; Goessner's ``.length`` is not a member.

    The context is wrapped in a one-element array, so the root's first segment
    (``$[0]``, ``$[*]``, ``$[?...]``) selects the context itself, and ``@`` in its
    filter is the context.  With ``wrapped=False`` (Arazzo 1.1) the root is the context itself."""
    part = runtime_part("jsonpath")
    found: list[tuple[str | None, ...]] = []
    # (segments, path of the node they start from, whether that node is the wrapping array)
    pending: list[tuple[Any, tuple[str | None, ...], bool]] = [(part["jsonpath_parse"](query, goessner=goessner).segments, (), wrapped)]
    expressions: list[tuple[Any, tuple[str | None, ...]]] = []
    for _ in range(10_000):  # bounded: a query has fewer parts than characters
        if expressions:
            expr, current = expressions.pop()
            if isinstance(expr, part["_JPQuery"]):
                pending.append((expr.segments, current, False) if expr.root == "@" else (expr.segments, (), wrapped))
            elif isinstance(expr, part["_JPCompare"]):
                expressions += [(expr.left, current), (expr.right, current)]
            elif isinstance(expr, (part["_JPLogical"], part["_JPCall"])):
                expressions += [(e, current) for e in (expr.operands if isinstance(expr, part["_JPLogical"]) else expr.args)]
            continue
        if not pending:
            break
        segments, path, wrapped = pending.pop()
        for segment in segments:
            if segment.descendant or len(segment.selectors) != 1:
                break
            selector = segment.selectors[0]
            if isinstance(selector, part["_JPName"]):
                if wrapped or (goessner and selector.name == "length"):
                    break
                path += (selector.name,)
                found.append(path)
            elif isinstance(selector, part["_JPFilter"]):
                path = path if wrapped else path + (None,)
                expressions.append((selector.expr, path))
            elif not wrapped:
                path += (None,)
            wrapped = False
    return found


def check_xpath(expression: str, *, version: str = "xpath-31") -> None:
    """Raise ExpressionError when ``expression`` is not an XPath expression of ``version``.

    ``version`` is the criterion's (xpath-10, xpath-20, xpath-30 or xpath-31, the
    default); elementpath's parser of that version decides (generator/xpath_check.py),
    as elementpath evaluates it in the generated package."""
    from . import xpath_check  # elementpath is imported only when a document uses XPath

    try:
        xpath_check.check(expression, version)
    except xpath_check.XPathProblem as exc:
        raise ExpressionError(exc.message, exc.offset) from None


def xpath_is_location_path(expression: str, *, version: str = "xpath-31") -> bool:
    """True when ``expression`` selects nodes by a path (a replacement target)."""
    from . import xpath_check

    return xpath_check.is_location_path(expression, version)


def xpath_target_problem(target: str) -> str | None:
    """Why ``target`` cannot be an XPath replacement target (a location path), or None."""
    try:
        check_xpath(target)
        if not xpath_is_location_path(target):
            raise ExpressionError("a replacement target must be a location path", 0)
    except ExpressionError as exc:
        return exc.message
    return None
