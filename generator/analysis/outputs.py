"""Outputs: the success response of a step, the types of step outputs, the workflow's
Outputs model, and the calls of other workflows' functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import events_steps
from ..diagnostics import JsonPath
from ..ir import nodes as n
from ..model.references import status_equalities
from ..plan import OutputField
from ..pycode import NameAllocator, model_field_name, py_str
from ..resolve import SchemaLoc
from ..schemas import ANY, PyType
from .common import StepInfo, StepRequest, _is_json_type
from .context import ExprContext

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


def success_response_schema(self: WorkflowAnalyzer, info: StepInfo) -> SchemaLoc | None:
    op = info.operation
    if op is None:
        return None
    statuses = self._success_statuses(info)
    candidates = [r for s, r in sorted(op.responses.items()) if (s in statuses if statuses else s.startswith("2"))]
    for response in candidates:
        if response.schema is not None:
            return response.schema
    return None


def body_is_json(self: WorkflowAnalyzer, info: StepInfo) -> bool:
    """Is the step's success response JSON (or undocumented)?  Else it is text."""
    op = info.operation
    if op is None:
        return True
    statuses = self._success_statuses(info)
    types = [
        r.content_type
        for s, r in sorted(op.responses.items())
        if (s in statuses if statuses else s.startswith("2")) and r.content_type
    ]
    if not types:
        return True
    return any(_is_json_type(t) for t in types)


def _success_statuses(self: WorkflowAnalyzer, info: StepInfo) -> set[str]:
    statuses: set[str] = set()
    for criterion in self.model_step(info).success_criteria:
        statuses.update(status_equalities(criterion))  # a simple one's (the others have no tree)
    return statuses


def documented_json_kind(self: WorkflowAnalyzer, info: StepInfo) -> str | None:
    """The top-level JSON type ("object" or "array") every success response of the
    step documents, or None when one has no schema or they allow other types."""
    op = info.operation
    if op is None:
        return None
    statuses = self._success_statuses(info)
    responses = [r for s, r in sorted(op.responses.items()) if (s in statuses if statuses else s.startswith("2"))]
    kinds = {self.p.inferrer.json_kind(r.schema) if r.schema is not None else None for r in responses}
    return kinds.pop() if len(kinds) == 1 else None


def _infer_step_outputs(self: WorkflowAnalyzer, info: StepInfo) -> None:
    payload: str | None = None
    path_values: dict[str, n.Expr] = {}
    if info.operation is not None:
        request = ExprContext(self, info, phase="request")
        statements = request.request_lines(info.operation, info.step, info.json_path)
        info.request = StepRequest(tuple(statements), request.payload_var, dict(request.path_values))
        payload, path_values = request.payload_var, request.path_values
    phase = "response" if info.operation else events_steps.PHASE if info.event is not None else "called"
    ctx = ExprContext(self, info, phase=phase, payload=payload, path_values=path_values)
    for name, raw in self.step_outputs(info):
        at = (
            info.json_path + ("outputs", name)
            if name not in info.implicit_outputs
            else info.json_path + ("workflowId",)
        )
        ctx.reads_body = False
        value, py_type = ctx.value_node(raw, at)
        info.outputs[name].type = py_type
        info.output_values[name] = (value, py_type, ctx.reads_body)


def _workflow_outputs(self: WorkflowAnalyzer) -> tuple[list[OutputField], list[tuple[str, n.Expr]]]:
    fields: list[OutputField] = []
    exprs: list[tuple[str, n.Expr]] = []
    attr_names = NameAllocator()
    for name, raw in (self.workflow.get("outputs") or {}).items():
        at = self.path + ("outputs", name)
        ctx = ExprContext(self, None, phase="outputs")
        value, py_type = ctx.value_node(raw, at)
        if self._may_be_unset(raw):
            py_type = py_type.or_none()
        attr = model_field_name(name, attr_names)
        output = OutputField(attr, py_str(name), py_type.text, "")
        fields.append(output)
        self.output_fields[name] = output
        self.output_types[name] = py_type
        self.output_values[name] = (value, frozenset(ctx.steps_read))
        exprs.append((name, value))
    return fields, exprs


def _result(self: WorkflowAnalyzer, output_exprs: list[tuple[str, n.Expr]]) -> n.Expr:
    return self._validate_outputs(output_exprs)


def _validate_outputs(self: WorkflowAnalyzer, pairs: list[tuple[str, n.Expr]]) -> n.Expr:
    """The Outputs model built from ``pairs``, carrying the run's transport retry count."""
    context = n.Dict(((n.Const("transport_retries"), n.dotted("_run.deadline.transport_retries")),))
    return n.Call(
        n.dotted(f"{self.outputs_class}.model_validate"),
        (n.Dict(tuple((n.Const(name), value) for name, value in pairs)),),
        (("context", context),),
    )


def _early_result(self: WorkflowAnalyzer, info: StepInfo) -> n.Expr:
    """The outputs when a step ends the workflow early: later steps' values are None.  An
    output that reads no later step's is the one _workflow_outputs built; one that does
    is built once for each set of steps that did not run (its compiled text leaves can
    hold the variables, so it is compiled again, quietly: it was reported already)."""
    later = {v.name for s in self.steps[info.index + 1 :] for v in s.outputs.values()}
    raw_outputs = self.workflow.get("outputs") or {}
    pairs: list[tuple[str, n.Expr]] = []
    for name, (value, reads) in self.output_values.items():
        unset = reads & later
        if unset:
            key = (name, unset)
            if key not in self.early_values:
                ctx = ExprContext(self, None, phase="outputs", unset=set(unset))
                ctx.quiet = True
                self.early_values[key] = ctx.value_node(raw_outputs[name], self.path + ("outputs", name))[0]
            value = self.early_values[key]
        pairs.append((name, value))
    return self._validate_outputs(pairs)


def call_workflow(
    self: WorkflowAnalyzer,
    target: str,
    at: JsonPath,
    arguments: list[tuple[str, n.Expr]] | None = None,
    overrides: list[tuple[str, n.Expr]] | None = None,
) -> n.Call:
    """The call of another workflow's function (awaited in the async twin), sharing
    client, servers, sleep and deadline.

    ``arguments`` maps the callee's input names (original) to values; without
    it, inputs pass by name from this workflow's inputs of the same name, except those
    in ``overrides`` (an action's parameters), which win.
    """
    callee = self.p.workflows[target]
    kwargs: list[tuple[str, n.Expr]] = []
    if arguments is None:
        given = dict(overrides or [])
        arguments = []
        for original in callee.inputs:
            if original in given:
                arguments.append((original, given[original]))
            elif original in self.inputs:
                arguments.append(
                    (
                        original,
                        self.argument(
                            callee, original, n.Name(self.inputs[original].name), self.input_types[original], at
                        ),
                    )
                )
            elif original in callee.required_inputs:
                self.error(
                    at,
                    f"workflow {target!r} needs input {original!r}, which workflow {self.workflow_id!r} does not have",
                    f"declare {original!r} in the inputs of {self.workflow_id!r}: it is passed on by name",
                )
    for original, source in arguments:
        kwargs.append((callee.inputs[original].name, source))
    for key in callee.credentials:
        kwargs.append((callee.credential_names[key], n.Name(self.credential_names[key])))
    kwargs += events_steps.call_arguments(self, callee)
    kwargs += [
        ("client", n.dotted("_run.http")),
        ("servers", n.Name("_base")),
        ("poll_interval", n.Name("poll_interval")),
        ("timeout", n.call("_run.deadline.remaining")),
        ("max_response_bytes", n.Name("max_response_bytes")),
        ("sleep", n.dotted("_run.sleep")),
        ("on_event", n.Name("on_event")),
    ]
    if self.p.keyed:
        kwargs.append(("idempotency_key", n.call("_keys.child")))
    return n.Call(n.Name(callee.fn), (), tuple(kwargs), n.Name(callee.async_fn))


def argument(
    self: WorkflowAnalyzer, callee: WorkflowAnalyzer, name: str, source: n.Expr, py_type: PyType, at: JsonPath
) -> n.Expr:
    """``source`` (of type ``py_type``) as the callee's input ``name``: an optional value
    for a required input is checked when the call happens; a value whose type does
    not fit the input's (a free string for an enum input, ...) is passed as is, with
    a warning, so that the generated code type-checks."""
    target = callee.input_types.get(name, ANY)
    fits = py_type.wire().fits(target)
    if not fits:
        self.warn(
            at,
            f"a value of type {py_type.bare().text} is passed to input {name!r} of workflow {callee.key!r}, of type {target.bare().text}",
            "it is passed as is; make the types agree to have it checked",
        )
    if py_type.optional and name in callee.required_inputs:
        self.p.runtime_parts.add("calls")
        return n.runtime("require_input", source, n.Const(name), n.Const(callee.key))  # typed Any
    if not fits:
        return n.call("cast", n.Name("Any"), source)
    return source
