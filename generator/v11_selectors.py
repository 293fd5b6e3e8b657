"""Arazzo 1.1 Selector Objects and payload replacement targets, compiled to Python.

A Selector Object (``{context, selector, type}``, Arazzo 1.1 only) may stand for an
output, a parameter value, any value inside a request payload and a payload
replacement value.  What it compiles to:

* ``jsonpointer``, and a singular ``jsonpath`` query of member names and
  non-negative indexes (``$.user.emails[0]``): the context expression with the
  pointer appended, so ``{context: $response.body, selector: $.user.email}`` is
  exactly ``$response.body#/user/email``, typed from the response schema and
  checked against it;
* any other ``jsonpath`` query: compiled to Python (generator/jsonpath_py.py): a
  singular query with a negative index is its value or None, any other the list of
  every selected value (with a warning);
* ``xpath``: ``_runtime.xpath_string`` (the selected nodes' text).

The root ``$`` of a selector is the context value itself (RFC 9535), never the
array that wraps the context of a 1.0 JSONPath criterion.

Payload replacements gain ``targetSelectorType``; without it a JSON payload's
targets are JSON pointers and an XML payload's XPath location paths (as in 1.0).  A
``jsonpath`` target sets every node it selects (compiled to a function from the
payload to the slots it selects).  In a 1.0 document a selector-shaped
object is an ordinary object, as it always was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from . import expressions as ex
from . import jsonpath_parse
from .diagnostics import JsonPath
from .ir import nodes as n
from .jsonpath_py import Unsupported, compile_locator, compile_selector
from .schemas import ANY, PyType
from .validate import is_arazzo_1_1

if TYPE_CHECKING:
    from .analysis.context import ExprContext

SELECTOR_KEYS: Final = frozenset({"context", "selector", "type"})
#: The versions an Expression Type Object may pin, by type (Arazzo 1.1).
VERSIONS: Final = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
    "jsonpointer": ("rfc6901",),
}
_GOESSNER: Final = "draft-goessner-dispatch-jsonpath-00"
#: The runtime expressions that take a ``#/json/pointer``.
_POINTED: Final = (
    ex.ResponseBody,
    ex.RequestBody,
    ex.Input,
    ex.Output,
    ex.StepOutput,
    ex.WorkflowInput,
    ex.WorkflowOutput,
)


def is_v11(ctx: ExprContext) -> bool:
    return is_arazzo_1_1(ctx.doc.arazzo.data)


def is_selector(raw: dict[Any, Any]) -> bool:
    """Exactly ``context``, ``selector`` and ``type`` (and ``x-`` extensions)."""
    return {str(k) for k in raw if not str(k).startswith("x-")} == SELECTOR_KEYS


def almost_selector(raw: dict[Any, Any]) -> bool:
    """An object with a ``selector`` and a context (or the draft name ``expression``)
    that is not exactly a Selector Object: a mistake, or a literal that looks like one."""
    return "selector" in raw and ("context" in raw or "expression" in raw) and not is_selector(raw)


def expression_type(ctx: ExprContext, raw: Any, at: JsonPath, what: str) -> tuple[str, str | None] | None:
    """(type, pinned version or None) of a selector ``type`` or ``targetSelectorType``:
    a name or an Expression Type Object; None when it is wrong (reported)."""
    if isinstance(raw, str):
        if raw not in VERSIONS:
            ctx.error(
                at,
                f"unknown {what} {raw!r}",
                "use jsonpath, xpath or jsonpointer, or an Expression Type Object {type: ..., version: ...}",
            )
            return None
        return raw, None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str) or raw["type"] not in VERSIONS:
        ctx.error(
            at,
            f"{what} must be jsonpath, xpath or jsonpointer, or an Expression Type Object",
            "e.g. type: jsonpath, or type: {type: xpath, version: xpath-30}",
        )
        return None
    kind = str(raw["type"])
    version = raw.get("version")
    if version not in VERSIONS[kind]:
        ctx.error(
            at + ("version",),
            f"unknown {kind} version {version!r}",
            "the allowed values are " + ", ".join(VERSIONS[kind]),
        )
        return None
    return kind, str(version)


def selector_value(ctx: ExprContext, raw: dict[Any, Any], at: JsonPath) -> tuple[n.Expr, PyType]:
    """The value (and type) of one Selector Object."""
    typed = expression_type(ctx, raw.get("type"), at + ("type",), "selector type")
    selector = raw.get("selector")
    if not isinstance(selector, str):
        ctx.error(
            at + ("selector",),
            f"a selector must be a string, not {type(selector).__name__}",
            "e.g. selector: $.user.email (jsonpath) or /user/email (jsonpointer)",
        )
        return n.NONE, ANY
    context = _context(ctx, raw.get("context"), at + ("context",))
    if typed is None or context is None:
        return n.NONE, ANY
    kind, version = typed
    if kind == "xpath":
        return _xpath(ctx, context, selector, version or "xpath-31", at)
    if kind == "jsonpointer":
        tokens = ex_pointer(selector)
        if tokens is None:
            ctx.error(
                at + ("selector",),
                f"selector {selector!r} is not a JSON pointer",
                "a JSON pointer is empty or starts with '/', and writes '~' as ~0 and '/' as ~1, e.g. /user/email",
            )
            return n.NONE, ANY
        return _at_pointer(ctx, context, tokens, at)
    goessner = version == _GOESSNER
    try:
        query = jsonpath_parse.parse(selector, goessner=goessner)
    except ex.ExpressionError as exc:
        ctx.error(
            at + ("selector",),
            f"malformed JSONPath selector {selector!r} at column {exc.offset + 1}: {exc.message}",
            exc.hint or "the root $ is the context value itself, e.g. $.user.email",
        )
        return n.NONE, ANY
    path = jsonpath_parse.singular_path(query)
    if path is not None and not (goessner and "length" in path):
        if all(isinstance(step, str) or step >= 0 for step in path):  # $.items[-1]: a pointer cannot count from the end
            return _at_pointer(ctx, context, tuple(str(step) for step in path), at)
    else:
        ctx.warn(
            at + ("selector",),
            f"JSONPath selector {selector!r} is not a singular query: its value is the list of every value it selects",
            "to select one value, name members and array positions only, e.g. $.items[0].id",
        )
    try:
        source = compile_selector(selector, _source(ctx, context, at), goessner=goessner, parts=ctx.p.runtime_parts)
    except Unsupported as exc:
        ctx.error(
            at + ("selector",),
            f"JSONPath selector {selector!r} cannot be compiled: {exc}",
            "rewrite it with RFC 9535 selectors, filters and the five standard functions",
        )
        return n.NONE, ANY
    return source, ANY if path is not None else PyType("list[Any]")


def ex_pointer(text: str) -> tuple[str, ...] | None:
    """The decoded tokens of a JSON pointer (RFC 6901), or None when it is not one."""
    if text == "":
        return ()
    if not text.startswith("/"):
        return None
    tokens: list[str] = []
    for raw in text[1:].split("/"):
        if raw.replace("~0", "").replace("~1", "").count("~"):
            return None
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


class AllInputs:
    """The context ``$inputs``: the workflow's inputs as one object (a real-document
    spelling the 1.1 grammar lacks, which names one input: ``$inputs.<name>``)."""


Context = ex.RuntimeExpr | AllInputs


def _context(ctx: ExprContext, raw: Any, at: JsonPath) -> Context | None:
    if not isinstance(raw, str):
        ctx.error(at, "a selector's context must be a runtime expression", "e.g. context: $response.body")
        return None
    text = raw.strip()
    if text.startswith("{$") and text.endswith("}"):
        text = text[1:-1]
    if text == "$inputs":
        ctx.warn(
            at,
            "context $inputs (every input as one object) is not a runtime expression of the Arazzo 1.1 grammar; it is read as the object of the workflow's inputs",
            "name the input: context: $inputs.<name> (or select from it, e.g. selector: /customerName)",
        )
        return AllInputs()
    try:
        return ex.parse_expression(text)
    except ex.ExpressionError as exc:
        ctx.error(
            at,
            f"malformed context expression {raw!r}: {exc.message}",
            exc.hint or "a selector's context is one runtime expression, e.g. $response.body",
        )
        return None


def _source(ctx: ExprContext, context: Context, at: JsonPath) -> n.Expr:
    if isinstance(context, AllInputs):
        return n.Dict(tuple((n.Const(name), n.Name(param.name)) for name, param in ctx.wf.inputs.items()))
    return ctx.expr_node(context, at + ("context",))[0]


def _at_pointer(ctx: ExprContext, context: Context, tokens: tuple[str, ...], at: JsonPath) -> tuple[n.Expr, PyType]:
    """The context expression with the pointer appended, when it takes one (typed and
    checked like ``$response.body#/...``); else a pointer lookup in its value."""
    if isinstance(context, AllInputs) and tokens:
        return ctx.expr_node(ex.Input(tokens[0], tokens[1:] or None), at + ("context",))
    if isinstance(context, _POINTED):
        extended: ex.RuntimeExpr = replace(context, pointer=tuple(context.pointer or ()) + tokens)
        return ctx.expr_node(extended, at + ("context",))
    source = _source(ctx, context, at)
    if not tokens:
        return source, ANY
    pointer = "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens)
    return n.runtime("pointer", source, n.Const(pointer)), ANY


def _xpath(ctx: ExprContext, context: Context, selector: str, version: str, at: JsonPath) -> tuple[n.Expr, PyType]:
    try:
        ex.check_xpath(selector, version=version)
    except ex.ExpressionError as exc:
        ctx.error(
            at + ("selector",),
            f"XPath selector {selector!r} at column {exc.offset + 1}: {exc.message}",
            f"rewrite it with what {version} has, e.g. /Invoice/Header/InvoiceNumber",
        )
        return n.NONE, ANY
    if isinstance(context, AllInputs):
        ctx.error(
            at + ("context",),
            "an xpath selector needs an XML context, not the object of the inputs",
            "name the input that holds the XML: context: $inputs.<name>",
        )
        return n.NONE, ANY
    if isinstance(context, ex.ResponseBody) and not context.pointer and ctx.phase == "response":
        source = n.dotted("_response.content")  # the raw XML bytes: the parser reads their encoding declaration
    else:
        source = _source(ctx, context, at)
    ctx.p.runtime_parts.add("xpath")
    flavour = () if version == "xpath-31" else (n.Const(version),)
    return n.runtime("xpath_string", source, n.Const(selector), *flavour), PyType("str")


def replacement_target(ctx: ExprContext, item: dict[str, Any], at: JsonPath, *, xml: bool) -> str | None:
    """The target of a 1.1 payload replacement as the runtime takes it (a JSON pointer,
    an XPath location path, or a JSONPath query, which starts with '$'); None when it
    is wrong (reported)."""
    target = str(item["target"])
    if "targetSelectorType" in item:
        typed = expression_type(ctx, item["targetSelectorType"], at + ("targetSelectorType",), "targetSelectorType")
        if typed is None:
            return None
        kind = typed[0]
    else:
        kind = "xpath" if xml else "jsonpointer"
    if xml != (kind == "xpath"):
        payload = "an XML payload" if xml else "a JSON payload"
        ctx.error(
            at + ("targetSelectorType",),
            f"targetSelectorType {kind} cannot set a value in {payload}",
            "XML payloads take xpath targets; JSON payloads take jsonpointer or jsonpath targets",
        )
        return None
    if kind == "xpath":
        problem = ex.xpath_target_problem(target)
        if problem is not None:
            ctx.error(
                at + ("target",),
                f"replacement target {target!r} is not a supported XPath location path: {problem}",
                "e.g. /order/petId or /order/@id",
            )
            return None
        return target
    if kind == "jsonpointer":
        if ex_pointer(target) is None:
            hint = (
                "this looks like JSONPath: add targetSelectorType: jsonpath"
                if target.startswith("$")
                else "JSON pointers start with '/', e.g. /petId"
            )
            ctx.error(at + ("target",), f"replacement target {target!r} is not a JSON pointer", hint)
            return None
        return target
    try:
        ex.check_jsonpath(target)
    except ex.ExpressionError as exc:
        ctx.error(
            at + ("target",),
            f"malformed JSONPath replacement target {target!r} at column {exc.offset + 1}: {exc.message}",
            exc.hint or "the root $ is the payload, e.g. $.items[?@.sku == 'A'].quantity",
        )
        return None
    try:
        compile_locator(target, parts=ctx.p.runtime_parts)
    except Unsupported as exc:
        ctx.error(
            at + ("target",),
            f"JSONPath replacement target {target!r} cannot be compiled: {exc}",
            "e.g. $.items[?@.sku == 'A'].quantity",
        )
        return None
    ctx.p.runtime_parts.add("select")
    return target


def target_source(target: str) -> n.Expr:
    """A checked replacement target for ``_runtime.replace_selected`` (a JSONPath query,
    which starts with '$', compiled to its locator) or ``_runtime.replace_pointer`` (a
    JSON pointer as text)."""
    return compile_locator(target) if target.startswith("$") else n.Const(target)
