"""Arazzo 1.1 criteria of type regex, jsonpath and xpath (CHANGES-1.1 sections 21, 23, 24).

What differs from a 1.0 document:

* the Expression Type Object names ``rfc9535`` (the JSONPath default) beside the
  Goessner draft, and ``xpath-31`` beside xpath-30/20/10;
* the root ``$`` of a JSONPath condition is the context value itself (RFC 9535), not
  a one-element array around it; a filter at the root of an object-typed context
  (the 1.0 habit ``$[?@.status == 'done']``) gets a warning with the 1.1 spelling;
* ``{$...}`` runtime expressions embedded in the condition are substituted before
  the query runs.  A substituted value never changes the query around it: inside a
  string literal it is escaped for that literal (RFC 9535 escapes; XPath doubles the
  quote, and XPath 1.0, which cannot, fails the criterion); outside one it must be a
  number (or, in JSONPath, true/false/null), else the criterion fails; in a regex it
  is matched literally, as one atom;
* a null context, a malformed query (one built by substitution) and an evaluation
  error make the criterion fail, logged (runtime: regex_holds, jp_holds,
  xpath_holds, in the runtime parts v11, v11_jsonpath and v11_xpath, which only 1.1
  documents include: a 1.0 package's runtime is unchanged).  A JSONPath condition is
  compiled to Python (generator/jsonpath_py.py); each embedded value is an argument of
  the compiled test, converted for where it stands (``_runtime.jp_literal``, or its
  text inside a string literal).

The static text of a condition is still checked when the workflow is compiled (each
embedded expression stands in as a placeholder of its kind), a stricter choice than
the specification's "fails at run time" for a query that is wrong whatever the values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import expressions as ex
from . import v11_self
from .diagnostics import JsonPath
from .ir import nodes as n
from .jsonpath_py import MARK_BASE, MARK_CHAR, Unsupported, compile_criterion_1_1
from .regex import RegexError, ecma_pattern
from .v11_identity import self_uri
from .validate import is_arazzo_1_1

if TYPE_CHECKING:
    from .analysis.context import ExprContext
    from .resolve import Resolved

GOESSNER = "draft-goessner-dispatch-jsonpath-00"
JSONPATH_VERSIONS = ("rfc9535", GOESSNER)
XPATH_VERSIONS = ("xpath-31", "xpath-30", "xpath-20", "xpath-10")
#: Private-use characters that stand for embedded expressions while a regex is translated.
_MARK = 0xE000
MAX_HOLES = 64


def is_1_1(doc: Resolved) -> bool:
    return is_arazzo_1_1(doc.arazzo.data)


def split_embedded(condition: str) -> list[str | tuple[int, int]]:
    """The condition as literal text and embedded ``{$...}`` expressions, each as the
    (start, end) offsets of the expression inside its braces.  A ``{`` not followed
    by ``$`` is literal text (a regex quantifier, an XPath map)."""
    parts: list[str | tuple[int, int]] = []
    pos = 0
    literal_from = 0
    for _ in range(len(condition) + 1):  # bounded: pos only grows
        start = condition.find("{$", pos)
        if start < 0:
            break
        end = condition.find("}", start)
        if end < 0:
            break
        parts.append(condition[literal_from:start])
        parts.append((start + 1, end))
        pos = literal_from = end + 1
    parts.append(condition[literal_from:])
    return parts


def _quote_states(kind: str, pieces: list[str]) -> list[str]:
    """Where each hole between ``pieces`` stands: inside a string literal (its quote),
    outside one (""), or, for a regex, in a character class ("class") or not ("")."""
    states: list[str] = []
    quote = ""
    in_class = False
    for piece in pieces[:-1]:
        index = 0
        while index < len(piece):
            c = piece[index]
            if kind == "regex":
                if c == "\\":
                    index += 1
                elif c == "[" and not in_class:
                    in_class = True
                elif c == "]" and in_class:
                    in_class = False
            elif quote:
                if kind == "jsonpath" and c == "\\":
                    index += 1
                elif c == quote:
                    quote = ""  # (XPath's doubled quote closes and reopens: the same state)
            elif c in ("'", '"'):
                quote = c
            index += 1
        states.append(("class" if in_class else "") if kind == "regex" else quote)
    return states


def criterion(
    ctx: ExprContext, crit: dict[str, Any], at: JsonPath, kind: Any, version: str | None, condition: str
) -> n.Expr:
    """The Python test of a 1.1 regex/jsonpath/xpath criterion (kind already known not simple)."""
    if kind == "jsonpointer":
        ctx.error(
            at + ("type",),
            "a jsonpointer expression type selects a value; it is not a criterion type",
            "use jsonpath (rfc9535) or xpath for a condition; jsonpointer belongs in a Selector Object or targetSelectorType",
        )
        return n.FALSE
    if kind not in ("regex", "jsonpath", "xpath"):
        ctx.error(at + ("type",), f"unknown criterion type {kind!r}", "use simple, regex, jsonpath or xpath")
        return n.FALSE
    allowed = JSONPATH_VERSIONS if kind == "jsonpath" else XPATH_VERSIONS if kind == "xpath" else ()
    if version is not None and version not in allowed:
        hint = (
            f"the allowed values are {', '.join(allowed)}"
            if allowed
            else "a regex criterion has no expression type object: write type: regex"
        )
        ctx.error(at + ("type", "version"), f"unknown {kind} version {version!r}", hint)
        return n.FALSE
    context = ctx._context(crit, at, xml=kind == "xpath")
    if context is None:
        return n.FALSE
    flavour = version or ("rfc9535" if kind == "jsonpath" else "xpath-31")
    parts = split_embedded(condition.strip() if kind != "regex" else condition)
    pieces = [p for p in parts if isinstance(p, str)]
    holes = [p for p in parts if isinstance(p, tuple)]
    if len(holes) > MAX_HOLES:
        ctx.error(
            at + ("condition",),
            f"the condition embeds {len(holes)} runtime expressions; at most {MAX_HOLES} are compiled",
            "split it into several criteria (they all must pass)",
        )
        return n.FALSE
    states = _quote_states(kind, pieces)
    sources: list[n.Expr | Constant] = []
    for (start, end), where in zip(holes, states):
        text = condition.strip() if kind != "regex" else condition
        if text[start:end].strip() == "$self":
            constant = _self_constant(ctx, at, condition, kind, version, where, text, start)
            if constant is None:
                return n.FALSE
            sources.append(constant)
            continue
        try:
            parsed = ex.parse_expression(text[start:end])
        except ex.ExpressionError as exc:
            ctx.error(
                at + ("condition",),
                f"malformed runtime expression {text[start:end]!r} embedded in the condition: {exc.message}",
                exc.hint,
            )
            return n.FALSE
        source, _ = ctx.expr_node(parsed, at + ("condition",))
        sources.append(source)
    ctx.p.runtime_parts.add("v11")  # embed, regex_holds (generator/runtime/v11.py)
    if kind == "regex":
        return _regex(ctx, at, condition, pieces, holes, states, sources, context)
    if kind == "xpath":
        ctx.p.runtime_parts.update((kind, "v11_" + kind))  # the evaluator and its 1.1 test
    else:
        ctx.p.runtime_parts.add("v11_jsonpath")  # the 1.1 test (the compiled query adds its helpers)
    query, query_states, query_sources = _fold(pieces, states, sources)  # {$self} is written in
    if kind == "jsonpath":
        return _jsonpath(ctx, crit, at, condition, query, query_states, query_sources, context, flavour)
    return _xpath(ctx, at, condition, query, query_states, query_sources, context, flavour)


class Constant(str):
    """A hole whose value is known when the workflow is compiled (``{$self}``), as
    the text that stands in its place, already escaped for it."""


def _self_constant(
    ctx: ExprContext, at: JsonPath, condition: str, kind: str, version: str | None, where: str, text: str, start: int
) -> Constant | None:
    """``{$self}`` at ``where`` in the condition: the document's ``$self`` escaped for
    that place; None (reported) when the document has none, or when a URI cannot
    stand there (outside a string literal of a query)."""
    column = condition.index(text) + start if kind != "regex" else start  # the '$' in the unstripped text
    uri = self_uri(ctx.doc.arazzo.data)
    if uri is None:
        v11_self.no_self(ctx, at + ("condition",), f"condition {condition!r} embeds {{$self}} at column {column}")
        return None
    flavour = "xpath-10" if kind == "xpath" and version == "xpath-10" else kind
    escaped = ex.embedded_text(flavour, where, uri)
    if escaped is None:
        if where in ("'", '"'):
            hint = "XPath 1.0 has no escape for a quote: pick the other quote for this literal, or xpath-31"
        else:
            hint = (
                "put it inside a string literal, e.g. '{$self}'"
                if kind != "regex"
                else "write it outside a character class"
            )
        ctx.error(
            at + ("condition",),
            f"condition {condition!r} embeds {{$self}} ({uri!r}) at column {column}, where its text would change the {kind} query",
            hint,
        )
        return None
    return Constant(escaped)


def _fold(
    pieces: list[str], states: list[str], sources: list[n.Expr | Constant]
) -> tuple[list[str], list[str], list[n.Expr]]:
    """The condition with its constant holes written into the text around them."""
    out_pieces = [pieces[0]]
    out_states: list[str] = []
    out_sources: list[n.Expr] = []
    for index, (source, where) in enumerate(zip(sources, states)):
        if isinstance(source, Constant):
            out_pieces[-1] += str(source) + pieces[index + 1]
            continue
        out_states.append(where)
        out_sources.append(source)
        out_pieces.append(pieces[index + 1])
    return out_pieces, out_states, out_sources


def _holes_source(kind: str, pieces: list[str], states: list[str], sources: list[n.Expr]) -> n.Expr:
    """``_runtime.embed(...)``: the query with the values substituted, at run time."""
    texts = n.Tuple(tuple(n.Const(p) for p in pieces))
    values = n.Tuple(tuple(n.Tuple((src, n.Const(where))) for src, where in zip(sources, states)))
    return n.runtime("embed", n.Const(kind), texts, values)


def _regex(
    ctx: ExprContext,
    at: JsonPath,
    condition: str,
    pieces: list[str],
    holes: list[tuple[int, int]],
    states: list[str],
    sources: list[n.Expr | Constant],
    context: n.Expr,
) -> n.Expr:
    marked = "".join(piece + (chr(_MARK + i) if i < len(holes) else "") for i, piece in enumerate(pieces))
    try:
        translated = ecma_pattern(marked)
    except RegexError as exc:
        ctx.error(
            at + ("condition",),
            f"invalid regular expression {condition!r}: {exc}",
            "a regex condition is an ECMA-262 regular expression (as Arazzo specifies): close every group and class, and write a literal (, [ or \\ with a backslash before it",
        )
        return n.FALSE
    if holes:
        translated_pieces = re.split("[" + "".join(chr(_MARK + i) for i in range(len(holes))) + "]", translated)
        folded, folded_states, folded_sources = _fold(translated_pieces, states, sources)
        if len(folded) > 1:
            return n.runtime("regex_holds", _holes_source("regex", folded, folded_states, folded_sources), context)
        translated = folded[0]
    return n.runtime("regex_holds", n.Const(translated), context)


def _placeholder(kind: str, pieces: list[str], states: list[str]) -> str:
    """The condition with each hole replaced by a value of its place, for the static check."""
    out = [pieces[0]]
    for index, where in enumerate(states):
        out += ["x" if where else "0", pieces[index + 1]]
    return "".join(out)


#: A JSONPath filter applied at the root: ``$[?...]`` (1.0 documents wrap the context).
_ROOT_FILTER = re.compile(r"^\$\s*\[\s*\?")


def _jsonpath(
    ctx: ExprContext,
    crit: dict[str, Any],
    at: JsonPath,
    condition: str,
    pieces: list[str],
    states: list[str],
    sources: list[n.Expr],
    context: n.Expr,
    version: str,
) -> n.Expr:
    goessner = version == GOESSNER
    static = _placeholder("jsonpath", pieces, states)
    try:
        ex.check_jsonpath(static, goessner=goessner)
    except ex.ExpressionError as exc:
        ctx.error(
            at + ("condition",),
            f"malformed JSONPath query {condition!r} at column {exc.offset + 1}: {exc.message}",
            exc.hint
            or "in Arazzo 1.1 the root $ is the context itself: $.items[?@.status == 'done'] selects the items that are done",
        )
        return n.FALSE
    if _ROOT_FILTER.match(static) and _object_context(ctx, crit):
        spelled = "$[?" + static[static.index("?") + 1 :]
        inner = spelled[3:-1] if spelled.endswith("]") else spelled[3:]
        fixed = "$[?" + re.sub(r"@(?=[.\[]|\s|$)", "$", inner) + "]"
        ctx.warn(
            at + ("condition",),
            f"JSONPath filter {condition!r} is applied at the root of an object: in Arazzo 1.1 the root $ is the context itself, so the filter tests each of its member values, not the object",
            f"to test the object write {fixed!r} (or a query on it, e.g. '$.member[*]'); the Arazzo 1.0 meaning needs arazzo: 1.0.1",
        )
    if len(pieces) == 1:
        ctx._check_jsonpath_members(static, goessner, crit.get("context"), at + ("condition",), wrapped=False)
    # each embedded value stands in the parsed query as a marker the compiler finds again
    marked = [pieces[0]]
    for index, where in enumerate(states):
        marked += [chr(MARK_CHAR + index) if where else str(MARK_BASE + index), pieces[index + 1]]
    try:
        return compile_criterion_1_1("".join(marked), context, sources, goessner=goessner, parts=ctx.p.runtime_parts)
    except (Unsupported, ex.ExpressionError) as exc:
        ctx.error(
            at + ("condition",),
            f"JSONPath query {condition!r} cannot be compiled: {exc}",
            "embed a value as a whole literal (a number, or inside a string literal), a name or an index",
        )
        return n.FALSE


def _object_context(ctx: ExprContext, crit: dict[str, Any]) -> bool:
    """Whether the criterion's context is known to be a JSON object (by the response schema)."""
    text = str(crit.get("context", "")).strip()
    try:
        parsed = ex.parse_expression(text[1:-1] if text.startswith("{$") and text.endswith("}") else text)
    except ex.ExpressionError:
        return False
    if not isinstance(parsed, ex.ResponseBody) or ctx.info is None or ctx.failing:
        return False
    schema = ctx.wf.success_response_schema(ctx.info)
    if schema is None:
        return False
    inferrer = ctx.p.inferrer
    found = inferrer.descend(schema, tuple(parsed.pointer or ()))
    return bool(found) and all(loc is not None and inferrer.json_kind(loc) == "object" for loc in found)


def _xpath(
    ctx: ExprContext,
    at: JsonPath,
    condition: str,
    pieces: list[str],
    states: list[str],
    sources: list[n.Expr],
    context: n.Expr,
    version: str,
) -> n.Expr:
    static = _placeholder("xpath", pieces, states)
    try:
        ex.check_xpath(static, version=version)
    except ex.ExpressionError as exc:
        ctx.error(
            at + ("condition",),
            f"XPath expression {condition!r} at column {exc.offset + 1}: {exc.message}",
            f"rewrite it at that column with what {version} has: axes, name and kind tests, predicates, its operators and standard functions",
        )
        return n.FALSE
    query = (
        n.Const(static)
        if len(pieces) == 1
        else _holes_source("xpath-10" if version == "xpath-10" else "xpath", pieces, states, sources)
    )
    return n.runtime("xpath_holds", context, query, n.Const(version))
