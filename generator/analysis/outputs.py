"""Outputs: the success response of a step, the types of step outputs, the workflow's
Outputs model, and the calls of other workflows' functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import events_steps
from ..diagnostics import JsonPath
from ..plan import OutputField
from ..pycode import NameAllocator, model_field_name, py_str
from ..resolve import SchemaLoc
from ..schemas import ANY, PyType, wire_type
from .common import _STATUS_REF, StepInfo, _is_json_type
from .context import ExprContext
from .fit import _bare, _fits

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
    for criterion in info.step.get("successCriteria") or []:
        if isinstance(criterion, dict) and criterion.get("type") in (None, "simple"):
            statuses.update(_STATUS_REF.findall(str(criterion.get("condition", ""))))
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
    path_values: dict[str, str] = {}
    if info.operation is not None:
        request = ExprContext(self, info, is_async=False, phase="request")
        request.request_lines(info.operation, info.step, info.json_path)
        payload, path_values = request.payload_var, request.path_values
    phase = "response" if info.operation else events_steps.PHASE if info.event is not None else "called"
    ctx = ExprContext(self, info, is_async=False, phase=phase, payload=payload, path_values=path_values)
    for name, raw in self.step_outputs(info):
        at = (
            info.json_path + ("outputs", name)
            if name not in info.implicit_outputs
            else info.json_path + ("workflowId",)
        )
        _, py_type = ctx.value(raw, at)
        info.outputs[name].type = py_type


def _workflow_outputs(self: WorkflowAnalyzer) -> tuple[list[OutputField], list[tuple[str, str]]]:
    fields: list[OutputField] = []
    exprs: list[tuple[str, str]] = []
    attr_names = NameAllocator()
    for name, raw in (self.workflow.get("outputs") or {}).items():
        at = self.path + ("outputs", name)
        ctx = ExprContext(self, None, is_async=False, phase="outputs")
        source, py_type = ctx.value(raw, at)
        if self._may_be_unset(raw):
            py_type = py_type.or_none()
        attr = model_field_name(name, attr_names)
        output = OutputField(attr, py_str(name), py_type.text, "")
        fields.append(output)
        self.output_fields[name] = output
        self.output_types[name] = py_type
        exprs.append((py_str(name), source))
    return fields, exprs


def _result(self: WorkflowAnalyzer, output_exprs: list[tuple[str, str]]) -> str:
    return self._validate_outputs([f"{k}: {v}" for k, v in output_exprs])


def _validate_outputs(self: WorkflowAnalyzer, pairs: list[str]) -> str:
    """The Outputs model built from ``pairs``, carrying the run's transport retry count."""
    return (
        f"{self.outputs_class}.model_validate({{"
        + ", ".join(pairs)
        + '}, context={"transport_retries": _deadline.transport_retries})'
    )


def _early_result(self: WorkflowAnalyzer, info: StepInfo) -> str:
    """The outputs when a step ends the workflow early: later steps' values are None."""
    later = {v.name for s in self.steps[info.index + 1 :] for v in s.outputs.values()}
    pairs = []
    for name, raw in (self.workflow.get("outputs") or {}).items():
        ctx = ExprContext(self, None, is_async=False, phase="outputs", unset=later)
        source, _ = ctx.value(raw, self.path + ("outputs", name))
        pairs.append(f"{py_str(name)}: {source}")
    return self._validate_outputs(pairs)


def call_workflow(
    self: WorkflowAnalyzer,
    target: str,
    is_async: bool,
    at: JsonPath,
    arguments: list[tuple[str, str]] | None = None,
    overrides: list[tuple[str, str]] | None = None,
) -> str:
    """The call of another workflow's function, sharing client, servers, sleep and deadline.

    ``arguments`` maps the callee's input names (original) to Python sources; without
    it, inputs pass by name from this workflow's inputs of the same name, except those
    in ``overrides`` (an action's parameters), which win.
    """
    callee = self.p.workflows[target]
    args: list[str] = []
    if arguments is None:
        given = dict(overrides or [])
        arguments = []
        for original, param in callee.inputs.items():
            if original in given:
                arguments.append((original, given[original]))
            elif original in self.inputs:
                arguments.append(
                    (
                        original,
                        self.argument(callee, original, self.inputs[original].name, self.input_types[original], at),
                    )
                )
            elif original in callee.required_inputs:
                self.error(
                    at,
                    f"workflow {target!r} needs input {original!r}, which workflow {self.workflow_id!r} does not have",
                    f"declare {original!r} in the inputs of {self.workflow_id!r}: it is passed on by name",
                )
    for original, source in arguments:
        args.append(f"{callee.inputs[original].name}={source}")
    for key in callee.credentials:
        args.append(f"{callee.credential_names[key]}={self.credential_names[key]}")
    args += events_steps.call_arguments(self, callee)
    args += [
        "client=_http",
        "servers=_base",
        "poll_interval=poll_interval",
        "timeout=_deadline.remaining()",
        "max_response_bytes=max_response_bytes",
        "sleep=sleep",
        "on_event=on_event",
    ]
    if self.p.keyed:
        args.append("idempotency_key=_keys.child()")
    name = f"await {callee.async_fn}" if is_async else callee.fn
    return f"{name}(" + ", ".join(args) + ")"


def argument(
    self: WorkflowAnalyzer, callee: WorkflowAnalyzer, name: str, source: str, py_type: PyType, at: JsonPath
) -> str:
    """``source`` (of type ``py_type``) as the callee's input ``name``: an optional value
    for a required input is checked when the call happens; a value whose type does
    not fit the input's (a free string for an enum input, ...) is passed as is, with
    a warning, so that the generated code type-checks."""
    target = callee.input_types.get(name, ANY)
    fits = _fits(wire_type(py_type), target)
    if not fits:
        self.warn(
            at,
            f"a value of type {_bare(py_type.text)} is passed to input {name!r} of workflow {callee.key!r}, of type {_bare(target.text)}",
            "it is passed as is; make the types agree to have it checked",
        )
    if py_type.optional and name in callee.required_inputs:
        return f"_runtime.require_input({source}, {py_str(name)}, {py_str(callee.key)})"  # typed Any
    if not fits:
        return f"cast(Any, {source})"
    return source
