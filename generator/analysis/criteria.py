"""Criteria: simple, regex, JSONPath and XPath criteria as Python conditions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import expressions as ex
from .. import v11_conditions, v11_self
from ..diagnostics import JsonPath
from ..ir import nodes as n
from ..jsonpath_py import UNSUPPORTED_HINT as _UNSUPPORTED_HINT
from ..jsonpath_py import Unsupported, compile_criterion
from ..regex import RegexError, ecma_pattern
from ..schemas import ANY, PyType
from .common import _GOESSNER, _JSONPATH_QUIRK, _XPATH_VERSIONS, _criterion_text

if TYPE_CHECKING:
    from .context import ExprContext


def _certain_number(node: ex.Condition, value: n.Expr) -> bool:
    """A number literal or the status code: plain Python comparison operators are safe."""
    if isinstance(node, ex.Literal):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return (
        isinstance(node, ex.Ref) and isinstance(node.expr, ex.StatusCode) and value == n.dotted("_response.status_code")
    )


def _joined(op: str, values: list[n.Expr]) -> n.Expr:
    """``a and b and c`` (or ``or``), flat: a nested operation of the same kind is merged."""
    flat: list[n.Expr] = []
    for value in values:
        flat += list(value.values) if isinstance(value, n.BoolOp) and value.op == op else [value]
    return flat[0] if len(flat) == 1 else n.BoolOp(op, tuple(flat))


def criteria(self: ExprContext, items: list[tuple[dict[str, Any], JsonPath]], *, default: n.Expr) -> n.Expr:
    if not items:
        self.criterion_parts = []
        return default
    self.unavailable = False
    parts = [self.criterion(c, at) for c, at in items]
    self.criterion_parts = [(_criterion_text(c), part) for (c, _), part in zip(items, parts)]
    if self.unavailable:  # a timed-out step: a criterion reading its exchange cannot hold
        self.unavailable = False
        return n.FALSE
    return _joined("and", parts)


def failed_criterion_args(self: ExprContext) -> list[tuple[str, n.Expr]]:
    """``criterion=...``: the condition text of the first criterion of the last
    :meth:`criteria` call that does not hold, for the code that runs when they fail."""
    parts = self.criterion_parts
    if not parts:
        return []
    source: n.Expr = n.Const(parts[-1][0])
    for text, part in reversed(parts[:-1]):
        source = n.IfExp(n.Const(text), n.Not(part), source)
    return [("criterion", source)]


def criterion(self: ExprContext, criterion: dict[str, Any], at: JsonPath) -> n.Expr:
    kind = criterion.get("type", "simple")
    condition = str(criterion.get("condition", ""))
    version: str | None = None
    if isinstance(kind, dict):
        version = str(kind.get("version")) if kind.get("version") is not None else None
        kind = kind.get("type")
    if kind != "simple" and v11_conditions.is_1_1(self.doc):
        return v11_conditions.criterion(self, criterion, at, kind, version, condition)
    if kind == "simple":
        stripped = condition.strip()
        if stripped.startswith("{$") and stripped.endswith("}"):
            self.warn(at + ("condition",), f"condition {condition!r} is wrapped in braces", f"write {stripped[1:-1]!r}")
            condition = stripped[1:-1]
        quirks: list[ex.Quirk] = []
        selves = v11_self.self_root(self) if v11_conditions.is_1_1(self.doc) else None
        try:
            tree = ex.parse_condition(condition, quirks, selves)
        except ex.ExpressionError as exc:
            self.error(
                at + ("condition",),
                f"malformed condition {condition!r} at column {exc.offset + 1}: {exc.message}",
                exc.hint,
            )
            return n.FALSE
        if selves is not None and selves.offsets and selves.uri is None:
            v11_self.no_self(
                self, at + ("condition",), f"condition {condition!r} reads $self at column {selves.offsets[0] + 1}"
            )
            return n.FALSE
        dotted = [q for q in quirks if q.what == "a dot-path after $message.payload"]
        quirks = [q for q in quirks if q not in dotted]
        if dotted:
            # Quirk (the Arazzo 1.1 spec's examples): $message.payload.orderId for $message.payload#/orderId.
            shown = ", ".join(condition[q.start : q.end] for q in dotted)
            self.warn(
                at + ("condition",),
                f"condition {condition!r} reads the message payload with a dot-path ({shown}), not a JSON pointer",
                f"write {ex.apply_quirks(condition, dotted)!r}",
            )
        if quirks:
            # Quirk: "humanoid" (JavaScript's, JSON's quotes) for the literal 'humanoid'.
            shown = ", ".join(condition[q.start : q.end] for q in quirks)
            self.warn(
                at + ("condition",),
                f"condition {condition!r} writes {quirks[0].what if len(quirks) == 1 else 'strings in double quotes'} ({shown}): string literals take single quotes",
                f"write {ex.apply_quirks(condition, quirks)!r}",
            )
        return self.boolean(tree, at + ("condition",))
    if kind not in ("regex", "jsonpath", "xpath"):
        self.error(at + ("type",), f"unknown criterion type {kind!r}", "use simple, regex, jsonpath or xpath")
        return n.FALSE
    context = self._context(criterion, at, xml=kind == "xpath")
    if context is None:
        return n.FALSE
    if kind == "regex":
        try:
            translated = ecma_pattern(condition)
        except RegexError as exc:
            self.error(
                at + ("condition",),
                f"invalid regular expression {condition!r}: {exc}",
                "a regex condition is an ECMA-262 regular expression (as Arazzo specifies): close every group and class, and write a literal (, [ or \\ with a backslash before it",
            )
            return n.FALSE
        return n.runtime("matches", n.Const(translated), context)
    if kind == "jsonpath":
        return self._jsonpath(condition, context, at, version, criterion.get("context"))
    return self._xpath(condition, context, at, version)


def _context(self: ExprContext, criterion: dict[str, Any], at: JsonPath, *, xml: bool) -> n.Expr | None:
    raw = criterion.get("context")
    if raw is None:
        self.error(at, "a regex, jsonpath or xpath criterion needs a context", "add context: $response.body")
        return None
    text = str(raw).strip()
    if text.startswith("{$") and text.endswith("}"):
        text = text[1:-1]
    try:
        parsed = ex.parse_expression(text)
    except ex.ExpressionError as exc:
        reported, dotted = self._body_dot_path(text, at + ("context",))
        if dotted is None:
            if not reported:
                self.error(at + ("context",), f"malformed context expression {raw!r}: {exc.message}", exc.hint)
            return None
        parsed = dotted
    if (
        xml
        and isinstance(parsed, ex.ResponseBody)
        and not parsed.pointer
        and self.phase == "response"
        and not self.timed_out
    ):
        return n.dotted("_response.content")  # the raw XML bytes: the parser reads their encoding declaration
    source, _ = self.expr_node(parsed, at + ("context",))
    return source


def _jsonpath(
    self: ExprContext, condition: str, context: n.Expr, at: JsonPath, version: str | None, raw_context: Any = None
) -> n.Expr:
    goessner = False
    if version is not None:
        if version != _GOESSNER:
            self.error(
                at + ("type", "version"),
                f"unknown JSONPath version {version!r}",
                f"the allowed value is {_GOESSNER!r} (omit the expression type object for RFC 9535)",
            )
            return n.FALSE
        goessner = True
    query = condition.strip()
    quirk = _JSONPATH_QUIRK.match(query)
    if quirk:
        path, op, literal = quirk.groups()
        fixed = f"$[?@{path} {op} {literal.strip()}]"
        self.warn(
            at + ("condition",),
            f"JSONPath condition {condition!r} is a comparison, not an RFC 9535 query",
            f"write {fixed!r}",
        )
        query = fixed
    try:
        ex.check_jsonpath(query, goessner=goessner)
    except ex.ExpressionError as exc:
        self.error(
            at + ("condition",),
            f"malformed JSONPath query {condition!r} at column {exc.offset + 1}: {exc.message}",
            exc.hint
            or "the context is wrapped in a one-element array: $[?@.status == 'done'] tests the context itself",
        )
        return n.FALSE
    self._check_jsonpath_members(query, goessner, raw_context, at + ("condition",))
    try:  # plain Python; the query stays in the generated comment of the criterion
        return compile_criterion(query, context, goessner=goessner, parts=self.p.runtime_parts)
    except Unsupported as exc:
        self.error(at + ("condition",), f"JSONPath query {condition!r} cannot be compiled: {exc}", _UNSUPPORTED_HINT)
        return n.FALSE


def _xpath(self: ExprContext, condition: str, context: n.Expr, at: JsonPath, version: str | None) -> n.Expr:
    if version is not None and version not in _XPATH_VERSIONS:
        self.error(
            at + ("type", "version"),
            f"unknown XPath version {version!r}",
            "the allowed values are xpath-10, xpath-20 and xpath-30 (xpath-31 is the default)",
        )
        return n.FALSE
    expression = condition.strip()
    version = version or "xpath-31"
    try:
        ex.check_xpath(expression, version=version)
    except ex.ExpressionError as exc:
        self.error(
            at + ("condition",),
            f"XPath expression {condition!r} at column {exc.offset + 1 + len(condition) - len(condition.lstrip())}: {exc.message}",
            f"rewrite it at that column as {version} has it (elementpath's parser of that version decides, as it evaluates it)",
        )
        return n.FALSE
    self.p.runtime_parts.add("xpath")
    flavour = () if version == "xpath-31" else (n.Const(version),)
    return n.runtime("xpath_test", context, n.Const(expression), *flavour)


def boolean(self: ExprContext, node: ex.Condition, at: JsonPath) -> n.Expr:
    if isinstance(node, ex.And):
        return _joined("and", [self.boolean(node.left, at), self.boolean(node.right, at)])
    if isinstance(node, ex.Or):
        return _joined("or", [self.boolean(node.left, at), self.boolean(node.right, at)])
    if isinstance(node, ex.Not):
        return n.Not(self.boolean(node.operand, at))
    if isinstance(node, ex.Compare):
        left, _ = self.operand(node.left, at)
        right, _ = self.operand(node.right, at)
        if _certain_number(node.left, left) and _certain_number(node.right, right):
            return n.Compare(left, node.op, right)
        helper = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[node.op]
        if helper not in ("eq", "ne"):
            self.p.runtime_parts.add("criteria")  # the order of two values (values has eq and ne)
        return n.runtime(helper, left, right)
    value, py_type = self.operand(node, at)
    if py_type.text == "bool":
        return value
    self.p.runtime_parts.add("criteria")
    return n.runtime("truthy", value)


def operand(self: ExprContext, node: ex.Condition, at: JsonPath) -> tuple[n.Expr, PyType]:
    """A comparison's operand, and its type."""
    if isinstance(node, ex.Literal):
        value = node.value
        kind = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "None")
        return n.Const(value), PyType(kind)
    if isinstance(node, ex.Ref):
        return self.expr_node(node.expr, at)
    if isinstance(node, (ex.Index, ex.Prop)):
        self.p.runtime_parts.add("criteria")
    if isinstance(node, ex.Index):
        target, _ = self.operand(node.target, at)
        return n.runtime("index", target, n.Const(node.index)), ANY
    if isinstance(node, ex.Prop):
        target, _ = self.operand(node.target, at)
        return n.runtime("index", target, n.Const(node.name)), ANY
    return self.boolean(node, at), PyType("bool")
