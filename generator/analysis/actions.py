"""Steps and their actions: the steps of a workflow in order, their output variables,
and the success and failure actions (step-level, workflow-level, reusable)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import expressions as ex
from .. import v11_steps
from ..diagnostics import JsonPath, did_you_mean
from ..pycode import snake_case
from ..schemas import ANY
from ..validate import is_arazzo_1_1
from .common import Action, StepInfo, StepVar, references

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
    read = {(ref.step_id, ref.name) for _, ref in references(self.workflow) if isinstance(ref, ex.StepOutput)}
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
    actions: list[Action] = []
    names: set[str] = set()
    for source_list, base in ((raw, at), (workflow_level, self.path + (component_kind,))):
        for index, item in enumerate(source_list or []):
            action = self._action(item, base + (index,), component_kind)
            if action is None or action.name in names:
                continue  # a step-level action overrides the workflow-level one of the same name
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


def _action(self: WorkflowAnalyzer, item: Any, at: JsonPath, component_kind: str) -> Action | None:
    if not isinstance(item, dict):
        return None
    if "reference" in item:
        ref = item["reference"]
        prefix = f"$components.{component_kind}."
        if not isinstance(ref, str) or not ref.startswith(prefix):
            self.error(
                at + ("reference",),
                f"reference {ref!r} must point into components.{component_kind}",
                f"write '{prefix}<name>'",
            )
            return None
        name = ref[len(prefix) :]
        components = (self.doc.arazzo.data.get("components") or {}).get(component_kind) or {}
        if name not in components or not isinstance(components[name], dict):
            self.error(at + ("reference",), f"unknown reusable action {ref!r}", did_you_mean(name, components))
            return None
        item = components[name]
        at = ("components", component_kind, name)
        for key in ("stepId", "workflowId"):
            target = item.get(key)
            if key == "stepId" and isinstance(target, str) and target not in self.by_id:
                self.error(
                    at + (key,),
                    f"reusable action {name!r} goes to step {target!r}, which workflow {self.workflow_id!r} does not have",
                    did_you_mean(target, self.by_id),
                )
                return None
            if (
                key == "workflowId"
                and isinstance(target, str)
                and not target.startswith("$")
                and target not in self.doc.workflow_ids()
            ):
                self.error(
                    at + (key,),
                    f"reusable action {name!r} goes to unknown workflow {target!r}",
                    did_you_mean(target, self.doc.workflow_ids()),
                )
                return None
    criteria = [(c, at + ("criteria", i)) for i, c in enumerate(item.get("criteria") or []) if isinstance(c, dict)]
    kind = str(item.get("type"))
    limit = item.get("retryLimit", 1)
    after = item.get("retryAfter")
    if component_kind == "successActions" and kind not in ("end", "goto"):
        self.error(at + ("type",), f"success action type {kind!r} is not end or goto", "use end or goto")
    elif component_kind == "failureActions" and kind not in ("end", "goto", "retry"):
        self.error(at + ("type",), f"failure action type {kind!r} is not end, goto or retry", "use end, goto or retry")
    if kind == "goto" and item.get("stepId") is None and item.get("workflowId") is None:
        self.error(
            at, f"goto action {item.get('name')!r} has no stepId or workflowId", "add the step or workflow to go to"
        )
    return Action(
        name=str(item.get("name", "")),
        kind=kind,
        criteria=criteria,
        target_step=item.get("stepId") if isinstance(item.get("stepId"), str) else None,
        target_workflow=self._action_workflow(item.get("workflowId"), at + ("workflowId",)),
        retry_after=(
            float(after) if isinstance(after, (int, float)) and not isinstance(after, bool) and after >= 0 else None
        ),
        retry_limit=int(limit) if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0 else 1,
        json_path=at,
        parameters=item.get("parameters") if isinstance(item.get("parameters"), list) else None,
    )
