"""References: ``$inputs``, ``$steps``, ``$workflows``, ``$outputs``,
``$sourceDescriptions`` and ``$components`` in runtime expressions."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .. import expressions as ex
from .. import v11_conditions, v11_grammar
from ..diagnostics import JsonPath, did_you_mean
from ..ir import nodes as n
from ..schemas import ANY, PyType
from .common import _NAME_KINDS, _pointer_text

if TYPE_CHECKING:
    from .context import ExprContext


def _input(self: ExprContext, node: ex.Input, at: JsonPath) -> tuple[n.Expr, PyType]:
    name, pointer = node.name, tuple(node.pointer or ())
    if name not in self.wf.inputs and "." in name:
        head, *rest = name.split(".")
        if head in self.wf.inputs:
            self._warn_dotted_name(node, ex.Input(head, tuple(rest) + pointer), at)
        name, pointer = head, tuple(rest) + pointer
    if name not in self.wf.inputs:
        self.error(
            at,
            f"unknown input $inputs.{name}",
            did_you_mean(name, self.wf.inputs) or "declare it in the workflow's inputs schema",
        )
        return n.NONE, ANY
    param = self.wf.inputs[name]
    if pointer:
        return n.runtime("pointer", n.Name(param.name), n.Const(_pointer_text(pointer))), ANY
    return n.Name(param.name), self.wf.input_types[name]


def _warn_dotted_name(
    self: ExprContext,
    written: ex.Input | ex.Output | ex.StepOutput | ex.WorkflowOutput,
    meant: ex.Input | ex.Output | ex.StepOutput | ex.WorkflowOutput,
    at: JsonPath,
) -> None:
    """Quirk: ``$steps.s.outputs.menu.page.limit``, where no output is named
    ``menu.page.limit`` but ``menu`` is, reads ``menu#/page/limit``: a warning."""
    self.warn(
        at,
        f"{ex.to_source(written)} names no {_NAME_KINDS[type(written)]}: it is read as {ex.to_source(meant)}, a dot-path into {ex.to_source(replace(meant, pointer=None))}",
        f"write {ex.to_source(meant)!r}",
    )


def _step_output(self: ExprContext, node: ex.StepOutput, at: JsonPath) -> tuple[n.Expr, PyType]:
    """A step output; wrapped in ``_runtime.need`` where the request cannot go without it."""
    source, py_type = self._output_of_step(node, at)
    target = self.wf.by_id.get(node.step_id)
    op = self.info.operation if self.info is not None else None
    if (
        self.need_for is None
        or self.phase != "request"
        or self.info is None
        or op is None
        or target is None
        or source == n.NONE
    ):
        return source, py_type
    name = node.name + _pointer_text(node.pointer or ())
    defined = (
        (target.step.get("outputs") or {}).get(node.name.split(".")[0])
        if isinstance(target.step.get("outputs"), dict)
        else None
    )
    written = f" ({defined})" if isinstance(defined, str) else ""
    ran = "" if target.index < self.info.index and not self.wf.machine else f" (or step {target.step_id!r} did not run)"
    reason = f"{target.step_id}: output {name!r}{written} is missing in the response{ran}; {self.info.step_id} needs it for {self.need_for}"
    need = n.runtime("need", source, n.Const(self.info.step_id), n.Const(op.method), n.Const(op.path), n.Const(reason))
    return need, (ANY if py_type.optional else py_type)


def _output_of_step(self: ExprContext, node: ex.StepOutput, at: JsonPath) -> tuple[n.Expr, PyType]:
    target = self.wf.by_id.get(node.step_id)
    if target is None:
        self.error(
            at,
            f"unknown step {node.step_id!r} in $steps.{node.step_id}.outputs.{node.name}",
            did_you_mean(node.step_id, self.wf.by_id),
        )
        return n.NONE, ANY
    name, pointer = node.name, tuple(node.pointer or ())
    if name not in target.outputs and "." in name:
        head, *rest = name.split(".")
        if head in target.outputs:
            self._warn_dotted_name(node, ex.StepOutput(node.step_id, head, tuple(rest) + pointer), at)
            name, pointer = head, tuple(rest) + pointer
    if name not in target.outputs:
        self.error(
            at,
            f"step {node.step_id!r} defines no output {name!r}",
            did_you_mean(name, target.outputs) or f"add it to the outputs of step {node.step_id!r}",
        )
        return n.NONE, ANY
    if name in target.implicit_outputs and target.workflow_id is not None:
        callee = self.p.workflows[target.workflow_id].workflow_id
        self.warn(
            at,
            f"step {node.step_id!r} declares no output {name!r}: it is read as the output {name!r} of workflow {callee!r}, which the step calls",
            f"declare it on the step: outputs: {{{name}: $outputs.{name}}}",
        )
    var = target.outputs[name]
    self.steps_read.add(var.name)
    if var.name in self.unset:
        return n.NONE, var.type.or_none()
    source: n.Expr = n.Name(var.name)
    earlier = self.info is not None and target.index < self.info.index
    if self.wf.machine and self.phase == "request" and earlier and self.need_for is None:
        # A step before this one must have run: say so clearly if a jump skipped it.
        assert self.info is not None
        reference = f"$steps.{node.step_id}.outputs.{name}"
        source = n.runtime("require", n.Name(var.name), n.Const(reference), n.Const(self.info.step_id))
    if pointer:
        return n.runtime("pointer", source, n.Const(_pointer_text(pointer))), ANY
    not_yet = self.info is not None and (
        target.index > self.info.index or (target is self.info and self.phase == "request")
    )
    if (self.wf.machine and not earlier and target is not self.info) or not_yet:
        return source, var.type.or_none()  # from an earlier round of a loop, or None
    if self.wf.machine and self.phase != "request" and target is not self.info:
        return source, var.type.or_none()
    return source, var.type


def _workflow_ref(self: ExprContext, workflow_id: str) -> str | None:
    """The key of ``$workflows.<workflow_id>``: a workflow of this document, else a
    workflow of a linked document that this workflow runs, named by its workflowId."""
    return self.wf.expression_key(workflow_id)


def _workflow_input(self: ExprContext, node: ex.WorkflowInput, at: JsonPath) -> tuple[n.Expr, PyType]:
    key = self._workflow_ref(node.workflow_id)
    if key is not None and (
        key == self.wf.key or (key in self.wf.callees and key not in {s.workflow_id for s in self.wf.steps})
    ):
        # this workflow's inputs; a workflow it runs by dependsOn or goto gets the inputs of the same name
        if key != self.wf.key and node.name not in self.p.workflows[key].inputs:
            self.error(
                at,
                f"workflow {node.workflow_id!r} has no input {node.name!r}",
                did_you_mean(node.name, self.p.workflows[key].inputs),
            )
            return n.NONE, ANY
        return self._input(ex.Input(node.name, node.pointer), at)
    if key is None:
        self.error(
            at,
            f"unknown workflow {node.workflow_id!r} in {ex.to_source(node)}",
            did_you_mean(node.workflow_id, self.doc.workflow_ids()),
        )
    else:
        self.error(
            at,
            f"{ex.to_source(node)}: the inputs of workflow {node.workflow_id!r} are only known here when it is this workflow, or one it runs by dependsOn or goto",
            "read the value where it comes from instead",
        )
    return n.NONE, ANY


def _named_workflow_output(
    self: ExprContext, workflow_id: str, name: str, pointer: ex.Pointer | None, at: JsonPath
) -> tuple[n.Expr, PyType]:
    """``$workflows.<workflow_id>.outputs.<name>``."""
    key = self._workflow_ref(workflow_id)
    if key is None:
        ambiguous = self.wf.linked_callees(workflow_id)
        if len(ambiguous) > 1:
            self.error(
                at,
                f"$workflows.{workflow_id}.outputs.{name} is ambiguous: " + " and ".join(ambiguous) + " both run here",
                "give one of the workflows another workflowId",
            )
        else:
            self.error(
                at,
                f"unknown workflow {workflow_id!r} in $workflows.{workflow_id}.outputs.{name}",
                did_you_mean(workflow_id, self.doc.workflow_ids()),
            )
        return n.NONE, ANY
    return self._workflow_output(key, name, pointer, at)


def _workflow_output(
    self: ExprContext, key: str, name: str, pointer: ex.Pointer | None, at: JsonPath
) -> tuple[n.Expr, PyType]:
    callee = self.p.workflows[key]
    workflow_id = callee.workflow_id
    if key == self.wf.key:
        return self._output(ex.Output(name, pointer), at)
    if key not in self.wf.workflow_vars:
        self.error(
            at,
            f"$workflows.{workflow_id}.outputs.{name}: workflow {self.wf.workflow_id!r} never runs {workflow_id!r}",
            f"add {workflow_id!r} to dependsOn, or call it from a step",
        )
        return n.NONE, ANY
    tokens = tuple(pointer or ())
    if name not in callee.output_fields and "." in name:
        head, *rest = name.split(".")
        if head in callee.output_fields:
            if self.phase == "called" and self.info is not None and self.info.workflow_id == key:
                self._warn_dotted_name(ex.Output(name, pointer), ex.Output(head, tuple(rest) + tokens), at)
            else:
                self._warn_dotted_name(
                    ex.WorkflowOutput(workflow_id, name, pointer),
                    ex.WorkflowOutput(workflow_id, head, tuple(rest) + tokens),
                    at,
                )
            name, tokens = head, tuple(rest) + tokens
    if name not in callee.output_fields:
        self.error(at, f"workflow {workflow_id!r} has no output {name!r}", did_you_mean(name, callee.output_fields))
        return n.NONE, ANY
    if self.timed_out and self.info is not None and self.info.workflow_id == key:
        self.unavailable = True  # the call this step made was aborted: it has no outputs
        return n.NONE, ANY
    var = self.wf.workflow_vars[key]
    attr = callee.output_fields[name].name
    py_type = callee.output_types[name]
    always = key in self.wf.depends_on or (
        self.phase == "called" and self.info is not None and self.info.workflow_id == key
    )
    read = n.Attr(n.Name(var), attr)
    source: n.Expr = read if always else n.IfExp(n.NONE, n.Compare(n.Name(var), "is", n.NONE), read)
    if py_type.uses_datetime:
        self.p.runtime_parts.add("calls")
        source = n.runtime("json_form", source)  # the string, as a step output holds it
    if not always:
        py_type = py_type.or_none()
    if tokens:
        return n.runtime("pointer", source, n.Const(_pointer_text(tokens))), ANY
    return source, py_type


def _output(self: ExprContext, node: ex.Output, at: JsonPath) -> tuple[n.Expr, PyType]:
    if self.phase == "called" and self.info is not None and self.info.workflow_id is not None:
        return self._workflow_output(self.info.workflow_id, node.name, node.pointer, at)
    if self.phase == "outputs":
        raw_outputs = self.wf.workflow.get("outputs") or {}
        name, pointer = node.name, tuple(node.pointer or ())
        if name not in raw_outputs and "." in name and name.split(".")[0] in raw_outputs:
            head, *rest = name.split(".")
            self._warn_dotted_name(node, ex.Output(head, tuple(rest) + pointer), at)
            name, pointer = head, tuple(rest) + pointer
        if name not in raw_outputs:
            self.error(at, f"$outputs.{name}: the workflow has no output {name!r}", did_you_mean(name, raw_outputs))
            return n.NONE, ANY
        if name in self._outputs_stack:
            self.error(
                at,
                "workflow outputs refer to each other in a cycle: " + " -> ".join(self._outputs_stack + [name]),
                "make one of them read a step's output ($steps.<stepId>.outputs.<name>) instead",
            )
            return n.NONE, ANY
        self._outputs_stack.append(name)
        value, py_type = self.value_node(raw_outputs[name], self.wf.path + ("outputs", name))
        self._outputs_stack.pop()
        if pointer:
            return n.runtime("pointer", value, n.Const(_pointer_text(pointer))), ANY
        return value, py_type
    if self._unbound():
        return n.NONE, ANY
    self.error(
        at,
        f"{ex.to_source(node)} is only available in workflow outputs and in steps that call a workflow",
        "read a step's output with $steps.<stepId>.outputs.<name>",
    )
    return n.NONE, ANY


def _unbound(self: ExprContext) -> bool:
    """In a step whose operation or workflow could not be found (reported where it
    is named): what it would have read is unknown, not wrong."""
    info = self.info
    return (
        info is not None
        and info.operation is None
        and info.event is None
        and (info.workflow_id is None or info.workflow_id not in self.p.workflows)
    )


def _source_description(self: ExprContext, node: ex.SourceDescriptionRef, at: JsonPath) -> tuple[n.Expr, PyType]:
    source = self.doc.sources.get(node.source)
    if source is None:
        self.error(at, f"unknown source description {node.source!r}", did_you_mean(node.source, self.doc.sources))
        return n.NONE, ANY
    if v11_conditions.is_1_1(self.doc):
        found = v11_grammar.source_description(self.doc, node, source.operations)
        if found is not None:
            return n.Const(found), PyType("str")
    if node.field == "url":
        return n.Const(self.doc.source_urls.get(node.source, source.url)), PyType("str")
    if node.field in source.operations:
        return n.Const(node.field), PyType("str")
    linked = self.doc.linked.get(node.source)
    if linked is not None and node.field in linked.workflow_ids():
        return n.Const(node.field), PyType("str")
    if linked is not None:
        self.error(
            at,
            f"source description {node.source!r} has no workflow {node.field!r}",
            did_you_mean(node.field, linked.workflow_ids()),
        )
        return n.NONE, ANY
    self.error(
        at,
        f"source description {node.source!r} has no operation {node.field!r}",
        did_you_mean(node.field, source.operations),
    )
    return n.NONE, ANY


def _component(self: ExprContext, node: ex.ComponentRef, at: JsonPath) -> tuple[n.Expr, PyType]:
    components = (self.doc.arazzo.data.get("components") or {}).get(node.kind) or {}
    if node.kind != "parameters":
        self.error(
            at,
            f"{ex.to_source(node)} is not a value",
            "components.parameters can be read as values; actions are used with 'reference'",
        )
        return n.NONE, ANY
    if node.name not in components or not isinstance(components[node.name], dict):
        self.error(at, f"unknown component parameter {node.name!r}", did_you_mean(node.name, components))
        return n.NONE, ANY
    return self.value_node(components[node.name].get("value"), ("components", "parameters", node.name, "value"))
