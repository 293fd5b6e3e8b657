"""Arazzo 1.0.1 runtime expressions, embedded-expression strings and conditions.

Three entry points turn author-written text into small immutable ASTs:

* :func:`parse_expression` -- one runtime expression (``$steps.s.outputs.x#/a``),
  following the ABNF in the "Runtime Expressions" section of the spec.
* :func:`parse_value` -- a string value that *is* an expression (type preserving),
  *embeds* expressions (``"Bearer {$inputs.token}"``) or is plain text.
* :func:`parse_condition` -- a "simple" Criterion Object condition
  (``$statusCode == 200 && $response.body#/done == true``).

Criteria of type ``jsonpath`` are checked by :func:`check_jsonpath`, which runs the
parser of the generated runtime itself (generator/runtime/jsonpath.py), and
``xpath`` criteria by :func:`check_xpath`, which runs elementpath's parser of the
criterion's version (the library the generated package evaluates them with), so
compile time and run time can never disagree about what a query means.

Everything is hand written: a cursor-based parser for runtime expressions and a
lexer plus recursive-descent parser for conditions.  Every failure raises
:class:`ExpressionError` carrying the 0-based offset of the problem in the text
that was passed in, so callers can point at the exact character.

The ASTs are in ``expr_ast``, the runtime-expression and value parser in
``expr_parse``, the condition parser in ``condition_parse``; this module re-exports
them and holds the JSONPath and XPath checks.
"""

from __future__ import annotations

import re
from typing import Any, Final

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
# JSONPath: the runtime's own parser, run at compile time; XPath: elementpath's
# --------------------------------------------------------------------------

# The JSONPath evaluator is a runtime part (generator/runtime/jsonpath.py), shipped
# into the packages that use it.  The generator imports that very module to parse
# queries, so a query accepted at compile time is exactly a query the generated code
# can run.  XPath is parsed by elementpath, which the generated code evaluates it with
# (generator/xpath_check.py).


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
