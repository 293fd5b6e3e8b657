"""Steps and their actions: the steps of a workflow in order, their output variables,
and the success and failure actions (step-level, workflow-level, reusable)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import v11_steps
from ..diagnostics import JsonPath
from ..model.document import Action as ModelAction
from ..model.normalize import document_model
from ..model.references import step_outputs_read, workflow_expressions
from ..pycode import snake_case
from ..schemas import ANY
from ..validate import is_arazzo_1_1
from .common import Action, StepInfo, StepVar

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


def _collect_steps(self: WorkflowAnalyzer) -> None:
    for index, step in enumerate(self.workflow.get("steps", [])):
        bound = self.doc.steps[(self.index, index)]
        info = StepInfo(
            str(step.get("stepId")), index, step, bound.json_path, bound.operation, bound.workflow_id, event=bound.event
        )
        for name in step.get("outputs", {}) or {}:
            var = self.names.claim(f"{snake_case(info.step_id, fallback='step')}_{snake_case(name, fallback='output')}")
            info.outputs[name] = StepVar(var, ANY)
        if isinstance(step.get("requestBody"), dict):
            info.payload_name = self.names.claim(f"{snake_case(info.step_id, fallback='step')}_payload")
        self.steps.append(info)
        self.by_id[info.step_id] = info
    self._implicit_callee_outputs()
    if is_arazzo_1_1(self.doc.arazzo.data):
        v11_steps.order_steps(self)  # step dependsOn and output references decide the order
    for info in self.steps:
        at = info.json_path
        info.success_actions = self._actions(
            info.step.get("onSuccess"), at + ("onSuccess",), "successActions", self.workflow.get("successActions")
        )
        info.failure_actions = self._actions(
            info.step.get("onFailure"), at + ("onFailure",), "failureActions", self.workflow.get("failureActions")
        )
        for action in info.failure_actions:
            if action.kind == "retry":
                wanted = f"{snake_case(action.name or info.step_id, fallback='step')}_retries"
                if wanted in self.names.taken:  # a workflow-level action, counted per step
                    wanted = f"{snake_case(info.step_id, fallback='step')}_{wanted}"
                action.counter = self.names.claim(wanted)
        for action in info.success_actions + info.failure_actions:
            v11_steps.no_parameters_without_workflow(self, action)


def _implicit_callee_outputs(self: WorkflowAnalyzer) -> None:
    """Quirk: ``$steps.<s>.outputs.<name>`` where step ``s`` calls a workflow that has
    output ``name`` but the step does not declare it.  Arazzo 1.0.1 gives a step the
    outputs its ``outputs`` map declares, and a workflow step's map reads the called
    workflow with ``$outputs.<name>``; tools that run such documents read the called
    workflow's outputs through the step.  The step gets ``name: $outputs.<name>``,
    and each reference a warning (see ExprContext._output_of_step)."""
    read = step_outputs_read(workflow_expressions(self.model()))
    for step_id, name in sorted(read):
        info = self.by_id.get(step_id)
        if info is None or info.workflow_id is None or info.workflow_id not in self.p.workflows:
            continue
        callee_outputs = self.p.workflows[info.workflow_id].workflow.get("outputs")
        if not isinstance(callee_outputs, dict):
            continue
        for candidate in (name, name.split(".")[0]):
            if candidate in info.outputs:
                break
            if candidate in callee_outputs:
                var = self.names.claim(
                    f"{snake_case(info.step_id, fallback='step')}_{snake_case(candidate, fallback='output')}"
                )
                info.outputs[candidate] = StepVar(var, ANY)
                info.implicit_outputs[candidate] = f"$outputs.{candidate}"
                break


def step_outputs(self: WorkflowAnalyzer, info: StepInfo) -> list[tuple[str, Any]]:
    """The outputs a step computes, in order: those read from the called workflow
    without the step declaring them first (its own may read them), then its own."""
    declared = info.step.get("outputs")
    return list(info.implicit_outputs.items()) + (list(declared.items()) if isinstance(declared, dict) else [])


def _actions(self: WorkflowAnalyzer, raw: Any, at: JsonPath, component_kind: str, workflow_level: Any) -> list[Action]:
    """The step's actions of one kind (``at`` is its onSuccess/onFailure), then the
    workflow's, as normalize resolved them; a step-level action overrides the
    workflow-level one of the same name."""
    model = document_model(self.doc)
    workflow, step = model.workflow_at(int(at[1])), model.step_at(int(at[1]), int(at[3]))
    assert workflow is not None and step is not None, at
    if component_kind == "successActions":
        items = step.success_items + workflow.success_items
    else:
        items = step.failure_items + workflow.failure_items
    actions: list[Action] = []
    names: set[str] = set()
    for item in items:
        if item.problem is not None:
            self.error(item.problem.at, item.problem.message, item.problem.hint)
        action = None if item.action is None else self._action(item.action, component_kind)
        if action is None or action.name in names:
            continue
        names.add(action.name)
        actions.append(action)
    return actions


def _action_workflow(self: WorkflowAnalyzer, raw: Any, at: JsonPath) -> str | None:
    """The key of the workflow an action goes to; the raw value when it names
    none (the validate stage has reported that)."""
    if not isinstance(raw, str):
        return None
    # resolve checked the actions of steps and workflows (reusable ones are checked here)
    return self.workflow_key(raw, at, checked=at[:1] != ("components",)) or raw


def _action(self: WorkflowAnalyzer, item: ModelAction, component_kind: str) -> Action:
    """The analysis' action of a normalized one; its type checked."""
    at, kind = item.at, item.type
    if component_kind == "successActions" and kind not in ("end", "goto"):
        self.error(at + ("type",), f"success action type {kind!r} is not end or goto", "use end or goto")
    elif component_kind == "failureActions" and kind not in ("end", "goto", "retry"):
        self.error(at + ("type",), f"failure action type {kind!r} is not end, goto or retry", "use end, goto or retry")
    raw = item.raw
    if kind == "goto" and raw.get("stepId") is None and raw.get("workflowId") is None:
        self.error(
            at, f"goto action {raw.get('name')!r} has no stepId or workflowId", "add the step or workflow to go to"
        )
    return Action(
        name=item.name,
        kind=kind,
        criteria=[(c.raw, c.at) for c in item.criteria],
        target_step=item.step_id,
        target_workflow=self._action_workflow(raw.get("workflowId"), at + ("workflowId",)),
        retry_after=item.retry_after,
        retry_limit=item.retry_limit,
        json_path=at,
        parameters=raw.get("parameters") if isinstance(raw.get("parameters"), list) else None,
    )
