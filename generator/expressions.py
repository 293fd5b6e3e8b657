"""Arazzo 1.0.1 runtime expressions, embedded-expression strings and conditions.

Three entry points turn author-written text into small immutable ASTs:

* :func:`parse_expression` -- one runtime expression (``$steps.s.outputs.x#/a``),
  following the ABNF in the "Runtime Expressions" section of the spec.
* :func:`parse_value` -- a string value that *is* an expression (type preserving),
  *embeds* expressions (``"Bearer {$inputs.token}"``) or is plain text.
* :func:`parse_condition` -- a "simple" Criterion Object condition
  (``$statusCode == 200 && $response.body#/done == true``).

Criteria of type ``jsonpath`` are checked by :func:`check_jsonpath` with the parser of
the RFC 9535 library (generator/jsonpath_parse.py; generator/jsonpath_py.py compiles
its parse tree to Python), and ``xpath`` criteria by :func:`check_xpath`, which runs
elementpath's parser of the criterion's version (the library the generated package
evaluates them with), so compile time and run time can never disagree about what a
query means.

Everything is hand written: a cursor-based parser for runtime expressions and a
lexer plus recursive-descent parser for conditions.  Every failure raises
:class:`ExpressionError` carrying the 0-based offset of the problem in the text
that was passed in, so callers can point at the exact character.

The ASTs are in ``expr_ast``, the runtime-expression and value parser in
``expr_parse``, the condition parser in ``condition_parse``; this module re-exports
them and holds the JSONPath and XPath checks.
"""

from __future__ import annotations

from typing import Any

from .condition_parse import parse_condition
from .expr_ast import (
    COMPARISON_OPS,
    ROOT_HINT,
    And,
    Compare,
    ComponentRef,
    Condition,
    ExpressionError,
    Index,
    Input,
    Literal,
    MessageHeader,
    MessagePayload,
    Method,
    Not,
    Or,
    Output,
    Pointer,
    Prop,
    Quirk,
    Ref,
    RequestBody,
    RequestHeader,
    RequestPath,
    RequestQuery,
    ResponseBody,
    ResponseHeader,
    RuntimeExpr,
    SelfRoot,
    SourceDescriptionRef,
    StatusCode,
    StepOutput,
    Template,
    Url,
    WorkflowInput,
    WorkflowOutput,
    apply_quirks,
    iter_refs,
    to_source,
)
from .expr_parse import body_dot_path, parse_expression, parse_value

__all__ = [
    "COMPARISON_OPS",
    "ROOT_HINT",
    "And",
    "Compare",
    "ComponentRef",
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
    "Quirk",
    "Ref",
    "RequestBody",
    "RequestHeader",
    "RequestPath",
    "RequestQuery",
    "ResponseBody",
    "ResponseHeader",
    "RuntimeExpr",
    "SelfRoot",
    "SourceDescriptionRef",
    "StatusCode",
    "StepOutput",
    "Template",
    "Url",
    "WorkflowInput",
    "WorkflowOutput",
    "apply_quirks",
    "body_dot_path",
    "iter_refs",
    "jsonpath_members",
    "parse_condition",
    "parse_expression",
    "parse_value",
    "to_source",
]


# --------------------------------------------------------------------------
# JSONPath: the RFC 9535 library's parser; XPath: elementpath's
# --------------------------------------------------------------------------

# JSONPath queries are parsed by jsonpath-rfc9535 and compiled to plain Python
# (generator/jsonpath_parse.py, jsonpath_py.py): no JSONPath evaluator ships.  XPath is
# parsed by elementpath, which the generated code evaluates it with
# (generator/xpath_check.py).  runtime_part still serves the v11 part's escaping of
# embedded values at compile time (embedded_text).


def runtime_part(name: str) -> dict[str, Any]:
    """The namespace of the runtime part ``arazzo_codegen.runtime.<name>``."""
    import importlib

    return vars(importlib.import_module(f".runtime.{name}", __package__))


def embedded_text(kind: str, where: str, value: str) -> str | None:
    """``value`` substituted at ``where`` in an Arazzo 1.1 ``kind`` condition, escaped
    as the runtime escapes a value it embeds (generator/runtime/v11.py); None
    when it cannot stand there."""
    part = runtime_part("v11")
    # text_1_1 calls the values part's text(), which gives a string back as it is
    part.setdefault("text", str)
    result: str | None = part["_embedded_text"](kind, where, value)
    return result


def check_jsonpath(query: str, *, goessner: bool = False) -> None:
    """Raise ExpressionError when ``query`` is not a well-formed JSONPath query (the RFC
    9535 library's parser, generator/jsonpath_parse.py), with a hint when the filter
    says ``or``, ``and`` or ``not`` in words."""
    from .jsonpath_parse import check

    check(query, goessner=goessner)


def jsonpath_members(query: str, *, goessner: bool = False, wrapped: bool = True) -> list[tuple[str | None, ...]]:
    """The members a well-formed query reads by name (generator/jsonpath_parse.py)."""
    from .jsonpath_parse import members

    return members(query, goessner=goessner, wrapped=wrapped)


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
