"""Values of an Arazzo document, parsed once: a literal, one runtime expression, a
template (text with embedded expressions), a mapping, a sequence, or (Arazzo 1.1) a
Selector Object.

A string that does not parse is kept as :class:`Malformed` with the parser's error:
the model reports nothing, the stage that compiles the value does (as before).
Every value carries its JSON path and the raw data it was read from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..diagnostics import JsonPath
from ..expr_ast import ExpressionError, RuntimeExpr, Template, iter_refs
from ..expr_parse import body_dot_path, parse_value


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A scalar written as is: null, a boolean, a number, or a string without expressions."""

    value: object
    at: JsonPath


@dataclass(frozen=True, slots=True)
class ExpressionValue:
    """A string that is exactly one runtime expression (its value keeps its type)."""

    expr: RuntimeExpr
    text: str
    at: JsonPath


@dataclass(frozen=True, slots=True)
class TemplateValue:
    """A string with embedded runtime expressions (``"id {$inputs.id}"``): a string."""

    template: Template
    text: str
    at: JsonPath


@dataclass(frozen=True, slots=True)
class Malformed:
    """A string that holds a runtime expression that does not parse; ``dotted`` is what
    it means when it is the dot-path quirk ``$response.body.a.b`` (``$response.body#/a/b``),
    which the values compiler accepts with a warning."""

    text: str
    error: ExpressionError
    at: JsonPath
    dotted: RuntimeExpr | None = None


@dataclass(frozen=True, slots=True)
class MappingValue:
    """An object: its members in document order (keys as the loader read them)."""

    items: tuple[tuple[object, Value], ...]
    at: JsonPath
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SequenceValue:
    """An array of values."""

    items: tuple[Value, ...]
    at: JsonPath
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SelectorValue:
    """An Arazzo 1.1 Selector Object (``{context, selector, type}``): ``context`` parsed,
    ``selector`` and ``type`` as written (compiled by v11_selectors)."""

    context: Value
    selector: object
    type: object
    at: JsonPath
    raw: Any = field(default=None, compare=False, repr=False)


Value: TypeAlias = (
    LiteralValue | ExpressionValue | TemplateValue | Malformed | MappingValue | SequenceValue | SelectorValue
)

#: The members of a Selector Object (besides ``x-`` extensions).
SELECTOR_KEYS = frozenset({"context", "selector", "type"})


def is_selector(raw: dict[Any, Any]) -> bool:
    """Exactly ``context``, ``selector`` and ``type`` (and ``x-`` extensions)."""
    return {str(k) for k in raw if not str(k).startswith("x-")} == SELECTOR_KEYS


def read_value(raw: Any, at: JsonPath, v11: bool = False) -> Value:
    """``raw`` (a value of the document at ``at``) classified, its strings parsed; in an
    Arazzo 1.1 document (``v11``) a Selector Object is one (in 1.0 it is a mapping)."""
    if isinstance(raw, dict):
        if v11 and is_selector(raw):
            context = read_value(raw["context"], at + ("context",))
            return SelectorValue(context, raw["selector"], raw["type"], at, raw)
        items = tuple(
            (key, read_value(item, at + (key if isinstance(key, str) else str(key),), v11)) for key, item in raw.items()
        )
        return MappingValue(items, at, raw)
    if isinstance(raw, list):
        return SequenceValue(tuple(read_value(item, at + (index,), v11) for index, item in enumerate(raw)), at, raw)
    if isinstance(raw, str):
        try:
            parsed = parse_value(raw)
        except ExpressionError as exc:
            return Malformed(raw, exc, at, dot_path(raw))
        if isinstance(parsed, str):
            return LiteralValue(parsed, at)
        if isinstance(parsed, Template):
            return TemplateValue(parsed, raw, at)
        return ExpressionValue(parsed, raw, at)
    return LiteralValue(raw, at)


def dot_path(text: str) -> RuntimeExpr | None:
    """``text`` read as the dot-path quirk (``$response.body.a``, ``$request.body.a``,
    ``$message.payload.a``), or None: it is not one, or its members are not plain names
    (which the compiling stage reports)."""
    try:
        return body_dot_path(text.strip())
    except ExpressionError:
        return None


def raw_of(value: Value) -> Any:
    """The data ``value`` was read from."""
    if isinstance(value, LiteralValue):
        return value.value
    if isinstance(value, (ExpressionValue, TemplateValue, Malformed)):
        return value.text
    if isinstance(value, SelectorValue):
        return value.raw
    if value.raw is not None:
        return value.raw
    if isinstance(value, MappingValue):
        return {key: raw_of(item) for key, item in value.items}
    return [raw_of(item) for item in value.items]


def located_expressions(value: Value) -> Iterator[tuple[JsonPath, RuntimeExpr]]:
    """Every runtime expression inside ``value`` with the JSON path of the string it is
    written in, in document order (a dot-path quirk as the expression it means)."""
    if isinstance(value, ExpressionValue):
        yield value.at, value.expr
    elif isinstance(value, TemplateValue):
        for expr in iter_refs(value.template):
            yield value.at, expr
    elif isinstance(value, Malformed):
        if value.dotted is not None:
            yield value.at, value.dotted
    elif isinstance(value, MappingValue):
        for _, item in value.items:
            yield from located_expressions(item)
    elif isinstance(value, SequenceValue):
        for element in value.items:
            yield from located_expressions(element)
    elif isinstance(value, SelectorValue):
        yield from located_expressions(value.context)


def expressions_in(value: Value) -> Iterator[RuntimeExpr]:
    """Every runtime expression inside ``value``, in document order."""
    for _, expr in located_expressions(value):
        yield expr
