"""The ASTs of runtime expressions, embedded-expression strings (``Template``) and
conditions, with their canonical text (``to_source``) and traversal (``iter_refs``).
Parsed by ``expr_parse`` and ``condition_parse``; everything is re-exported by
``expressions``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, TypeAlias

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

_TCHAR_HINT: Final = "header names must be RFC 9110 tokens: letters, digits and !#$%&'*+-.^_`|~"
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
# Canonical text form
# --------------------------------------------------------------------------


def _pointer_source(pointer: Pointer | None) -> str:
    if pointer is None:
        return ""
    return "#" + "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in pointer)


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
        return f"$steps.{expr.step_id}.outputs.{expr.name}" + _pointer_source(expr.pointer)
    if isinstance(expr, WorkflowInput):
        return f"$workflows.{expr.workflow_id}.inputs.{expr.name}" + _pointer_source(expr.pointer)
    if isinstance(expr, WorkflowOutput):
        return f"$workflows.{expr.workflow_id}.outputs.{expr.name}" + _pointer_source(expr.pointer)
    if isinstance(expr, SourceDescriptionRef):
        return f"$sourceDescriptions.{expr.source}.{expr.field}"
    if isinstance(expr, ComponentRef):
        return f"$components.{expr.kind}.{expr.name}"
    raise TypeError(f"not a runtime expression: {expr!r}")


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
