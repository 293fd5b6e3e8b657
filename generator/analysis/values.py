"""Values: parameter values, payload members and outputs (literals, runtime expressions,
templates), and the expressions that read the step's HTTP exchange."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events_module, v11_conditions, v11_grammar, v11_selectors, v11_self
from .. import expressions as ex
from ..diagnostics import JsonPath, did_you_mean
from ..ir import nodes as n
from ..resolve import SchemaLoc
from ..schemas import ANY, PyType
from .common import (
    _DEPENDENCY_OUTPUT,
    _STEP_WITHOUT_OUTPUTS,
    _UNKNOWN_ROOT,
    _member_names,
    _parse_leniently,
    _pointer_text,
)

if TYPE_CHECKING:
    from .context import ExprContext


def value_node(self: ExprContext, raw: Any, at: JsonPath) -> tuple[n.Expr, PyType]:
    """A parameter value, payload member or output: literal, expression or template.
    A step output in a value listed in ``needs`` must be present when the request is built."""
    previous, self.need_for = self.need_for, self.needs.get(at) if isinstance(raw, str) else None
    try:
        return self._plain_value(raw, at)
    finally:
        self.need_for = previous


def _plain_value(self: ExprContext, raw: Any, at: JsonPath) -> tuple[n.Expr, PyType]:
    if isinstance(raw, str) and "$self" in raw and v11_selectors.is_v11(self):
        own = v11_self.self_value(self, raw, at)
        if isinstance(own, tuple):
            return own
        raw = raw if own is None else own
    if isinstance(raw, str):
        try:
            parsed = ex.parse_value(raw)
        except ex.ExpressionError as exc:
            reported, dotted = self._body_dot_path(raw, at)
            if dotted is not None:
                return self.expr_node(dotted, at)
            if not reported:
                self.error(at, f"malformed runtime expression in {raw!r}: {exc.message}", exc.hint)
            return n.NONE, ANY
        if isinstance(parsed, str):
            dependency = self._dependency_output(parsed, at)
            if dependency is not None:
                return self.expr_node(dependency, at)
            unknown = _UNKNOWN_ROOT.match(parsed)
            if unknown:
                # '$dependencies.setup.petId' (WSO2's): text by the grammar, an expression to its author
                self.warn(
                    at,
                    f"{parsed!r} looks like a runtime expression, but '${unknown.group(1)}' is no expression root: it is sent as this text",
                    ex.ROOT_HINT
                    + (
                        "; the output of a dependsOn workflow is $workflows.<workflowId>.outputs.<name>"
                        if unknown.group(1) == "dependencies"
                        else ""
                    ),
                )
            return n.Const(parsed), PyType("str")
        if isinstance(parsed, ex.Template):
            return self.template_node(parsed, raw, at), PyType("str")
        return self.expr_node(parsed, at)
    if isinstance(raw, dict) and v11_selectors.is_v11(self):
        if v11_selectors.is_selector(raw):
            return v11_selectors.selector_value(self, raw, at)
        if v11_selectors.almost_selector(raw):
            self.warn(
                at,
                "this object has a selector but is not a Selector Object, so it is sent as it is",
                "a Selector Object has exactly context, selector and type (the draft name 'expression' is now 'context')",
            )
    if isinstance(raw, dict):
        items = tuple((n.Const(str(k)), self.value_node(v, at + (str(k),))[0]) for k, v in raw.items())
        literal: n.Expr = n.Dict(items)
        unset = [n.Const(str(k)) for k, v in raw.items() if self._is_optional_input(v)]
        if unset:
            # An optional input the caller left out is left out of the payload, not sent as null.
            literal = n.runtime("omit_none", literal, *unset)
        return literal, PyType("dict[str, Any]")
    if isinstance(raw, list):
        return n.List(tuple(self.value_node(v, at + (i,))[0] for i, v in enumerate(raw))), PyType("list[Any]")
    kind = {bool: "bool", int: "int", float: "float", type(None): "None"}.get(type(raw), "Any")
    return n.literal(raw), PyType(kind)


def _body_dot_path(self: ExprContext, raw: str, at: JsonPath) -> tuple[bool, ex.RuntimeExpr | None]:
    """Quirk: ``$response.body.category.name`` (a dot-path, as JavaScript engines
    read it) means ``$response.body#/category/name``: accepted with a warning.  A
    dot-path whose members are not plain names is an error, reported here (then
    the first item is True), and so is ``$steps.s.name`` without '.outputs'."""
    text = raw.strip()
    try:
        dotted = ex.body_dot_path(text)
    except ex.ExpressionError as exc:
        self.error(at, exc.message, exc.hint)
        return True, None
    if dotted is not None:
        what = "the message payload" if isinstance(dotted, ex.MessagePayload) else "the body"
        self.warn(
            at,
            f"runtime expression {text!r} reads {what} with a dot-path, not a JSON pointer",
            f"write {ex.to_source(dotted)!r}",
        )
        return False, dotted
    return self._step_output_without_outputs(text, at), None


def _dependency_output(self: ExprContext, text: str, at: JsonPath) -> ex.RuntimeExpr | None:
    """Quirk: ``$dependencies.setup_pet.createdPetId`` (WSO2's go-runner tests), where
    this workflow dependsOn setup_pet and setup_pet has output createdPetId, means
    ``$workflows.setup_pet.outputs.createdPetId``: a warning.  Otherwise None (the
    text is text, and _plain_value says so)."""
    match = _DEPENDENCY_OUTPUT.match(text)
    if match is None:
        return None
    workflow_id, name = match.groups()
    key = self.wf.workflow_key(workflow_id)
    if (
        key is None
        or key not in self.wf.depends_on
        or name not in (self.p.workflows[key].workflow.get("outputs") or {})
    ):
        return None
    meant = ex.WorkflowOutput(workflow_id, name, None)
    self.warn(
        at,
        f"{text!r} reads the output of a dependsOn workflow through '$dependencies', which is no expression root",
        f"write {ex.to_source(meant)!r}",
    )
    return meant


def _step_output_without_outputs(self: ExprContext, text: str, at: JsonPath) -> bool:
    """``$steps.tokenRequest.access_token`` (Jentic's fixtures), where the step declares
    output access_token: refused, not tolerated (a step has outputs, and the grammar
    reads them only under '.outputs.'), with the expression to write.  True when it
    was reported here."""
    match = _STEP_WITHOUT_OUTPUTS.match(text)
    if match is None or match.group(2) == "outputs":
        return False
    target = self.wf.by_id.get(match.group(1))
    if target is None or match.group(2) not in target.outputs:
        return False
    meant = f"$steps.{match.group(1)}.outputs.{match.group(2)}{match.group(3) or ''}"
    self.error(at, f"runtime expression {text!r} leaves out '.outputs' after the step id", f"write {meant!r}")
    return True


def _is_optional_input(self: ExprContext, raw: Any) -> bool:
    """True for a value that is exactly an optional input with no default."""
    parsed = _parse_leniently(raw)
    if not isinstance(parsed, ex.Input) or parsed.pointer:
        return False
    param = self.wf.inputs.get(parsed.name)
    return param is not None and param.default == "None" and param.mutable_default is None


def template_node(self: ExprContext, parsed: ex.Template, raw: str, at: JsonPath) -> n.Expr:
    """A string with embedded runtime expressions: an f-string, or texts joined with ``+``."""
    for offset in parsed.bare:
        expression_text = raw[offset:].split()[0] if raw[offset:].split() else raw[offset:]
        fixed = raw[:offset] + "{" + expression_text + "}" + raw[offset + len(expression_text) :]
        self.warn(
            at, f"runtime expression {expression_text!r} is embedded in a string without braces", f"write {fixed!r}"
        )
    pieces: list[str | n.Expr] = []  # literal text, or a value
    for part in parsed.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        value, py_type = self.expr_node(part, at)
        if isinstance(value, n.Const) and isinstance(value.value, str):  # $method, $sourceDescriptions...: plain text
            pieces.append(value.value)
            continue
        if not (isinstance(part, ex.Input) and py_type.text == "str" and isinstance(value, n.Name)):
            # JSON spelling; None becomes "" (1.0) or "null" (1.1: its string representation)
            if v11_conditions.is_1_1(self.doc):
                self.p.runtime_parts.add("v11")
                value = n.runtime("text_1_1", value)
            else:
                value = n.runtime("text", value)
        pieces.append(value)
    merged: list[str | n.Expr] = []
    for piece in pieces:
        if merged and isinstance(piece, str) and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + piece
        else:
            merged.append(piece)
    if all(isinstance(piece, str | n.Name) for piece in merged):
        return n.FString(tuple(merged))
    operands = [n.Const(piece) if isinstance(piece, str) else piece for piece in merged]
    joined = operands[0]
    for operand in operands[1:]:
        joined = n.BinOp(joined, "+", operand)
    return joined


def expr_node(self: ExprContext, node: ex.RuntimeExpr, at: JsonPath) -> tuple[n.Expr, PyType]:
    """A runtime expression as an IR expression, and its type."""
    if node in self.bound:  # a step output holds this value already (read by a success action's criteria)
        return self.bound[node]
    if v11_conditions.is_1_1(self.doc) and v11_grammar.check(self, node, at):
        return n.NONE, ANY
    if isinstance(node, ex.Input):
        return self._input(node, at)
    if isinstance(node, ex.StepOutput):
        return self._step_output(node, at)
    if isinstance(node, ex.WorkflowInput):
        return self._workflow_input(node, at)
    if isinstance(node, ex.WorkflowOutput):
        return self._named_workflow_output(node.workflow_id, node.name, node.pointer, at)
    if isinstance(node, ex.Output):
        return self._output(node, at)
    if isinstance(node, ex.SourceDescriptionRef):
        return self._source_description(node, at)
    if isinstance(node, ex.ComponentRef):
        return self._component(node, at)
    event = events_module.expr(self, node, at)  # $message, and what an event step does not have
    if event is not None:
        return event
    if self.phase != "response" or self.info is None or self.info.operation is None:
        if self._unbound():
            return n.NONE, ANY  # the step's unknown target is reported: nothing follows from it
        where = {
            "request": "in the parameters or request body of the step that sends the request",
            "outputs": "in workflow outputs",
            "called": "in a step that calls a workflow",
        }.get(self.phase, "here")
        self.error(
            at,
            f"{ex.to_source(node)} is not available {where}",
            "it describes a step's HTTP exchange: use it in that step's successCriteria, outputs or action criteria, and pass it on with $steps.<stepId>.outputs.<name>",
        )
        return n.NONE, ANY
    op = self.info.operation
    if self.timed_out and not isinstance(node, (ex.Method, ex.RequestPath, ex.RequestBody)):
        self.unavailable = True
        return n.NONE, ANY
    if isinstance(node, ex.StatusCode):
        return n.dotted("_response.status_code"), PyType("int")
    if isinstance(node, ex.Url):
        return n.call("str", n.dotted("_response.request.url")), PyType("str")
    if isinstance(node, ex.Method):
        return n.Const(op.method), PyType("str")
    if isinstance(node, ex.ResponseHeader):
        return n.call("_response.headers.get", n.Const(node.name)), PyType("str | None", optional=True)
    if isinstance(node, ex.RequestHeader):
        return n.call("_response.request.headers.get", n.Const(node.name)), PyType("str | None", optional=True)
    if isinstance(node, ex.RequestQuery):
        return n.call("_response.request.url.params.get", n.Const(node.name)), PyType("str | None", optional=True)
    if isinstance(node, ex.RequestPath):
        if node.name in self.path_values:
            return self.path_values[node.name], ANY
        self.error(
            at,
            f"$request.path.{node.name} is not a path parameter of this step",
            did_you_mean(node.name, self.path_values),
        )
        return n.NONE, ANY
    if isinstance(node, ex.RequestBody):
        if self.payload_var is None:
            self.error(at, "$request.body: this step sends no request body", "add a requestBody to the step")
            return n.NONE, ANY
        if not node.pointer:
            return n.dotted(self.payload_var), ANY
        return n.runtime("pointer", n.dotted(self.payload_var), n.Const(_pointer_text(node.pointer))), ANY
    assert isinstance(node, ex.ResponseBody)
    self.reads_body = True
    tokens = tuple(node.pointer or ())
    if not self.wf.body_is_json(self.info):
        if tokens:
            self.error(
                at,
                f"{ex.to_source(node)}: the response of {op.display_name} is not JSON, so a JSON pointer cannot reach into it",
                "use an xpath or regex criterion with context $response.body",
            )
        return n.Name("_body"), PyType("str")
    schema = None if self.failing else self.wf.success_response_schema(self.info)
    py_type = self.p.inferrer.at_pointer(schema, tokens) if schema else ANY
    if not tokens:
        return n.Name("_body"), py_type
    self._check_pointer(schema, tokens, at)
    return n.runtime("pointer", n.Name("_body"), n.Const(_pointer_text(tokens))), py_type


def _check_pointer(self: ExprContext, schema: SchemaLoc | None, pointer: tuple[str, ...], at: JsonPath) -> None:
    if schema is None:
        return
    if self.p.inferrer.at_pointer(schema, pointer) is ANY and not self.p.inferrer.has_path(schema, pointer):
        close = did_you_mean(pointer[-1], _member_names(self.p.inferrer, schema, pointer[:-1])) if pointer else None
        self.warn(
            at,
            f"the response schema has no member at {_pointer_text(pointer)!r}",
            close or "check the JSON pointer against the operation's response schema",
        )


def _check_jsonpath_members(
    self: ExprContext, query: str, goessner: bool, raw_context: Any, at: JsonPath, *, wrapped: bool = True
) -> None:
    """The member names a JSONPath query reads in ``$response.body``, checked
    against the response schema as JSON pointers are."""
    if self.phase != "response" or self.info is None or self.failing or not self.wf.body_is_json(self.info):
        return
    text = str(raw_context).strip()
    parsed = _parse_leniently(text[1:-1] if text.startswith("{$") and text.endswith("}") else text)
    schema = self.wf.success_response_schema(self.info)
    if not isinstance(parsed, ex.ResponseBody) or schema is None:
        return
    inferrer = self.p.inferrer
    for path in ex.jsonpath_members(query, goessner=goessner, wrapped=wrapped):
        tokens = tuple(parsed.pointer or ()) + tuple("0" if t is None else t for t in path)
        parent = tokens[:-1]
        if inferrer.at_pointer(schema, tokens) is not ANY or inferrer.has_path(schema, tokens):
            continue
        if parent and not inferrer.has_path(schema, parent):
            continue  # not an array (or reported at the member before it)
        close = did_you_mean(tokens[-1], _member_names(inferrer, schema, parent))
        self.warn(
            at,
            f"JSONPath query {query!r} reads {path[-1]!r}: the response schema has no member at {_pointer_text(tokens)!r}",
            close or "check the member names against the operation's response schema",
        )
