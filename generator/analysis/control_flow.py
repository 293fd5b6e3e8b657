"""Control flow: the sequential form with inline loops or the state machine, and the
transitions between steps (next, end, goto, goto a workflow, the paced sleep)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from .. import expressions as ex
from .. import v11_identity, v11_selectors, v11_steps
from ..diagnostics import JsonPath
from ..ir import nodes as n
from ..model import references as refs
from ..model.values import expressions_in
from .common import Action, StepInfo, _parse_leniently

if TYPE_CHECKING:
    from .context import ExprContext
    from .workflow import WorkflowAnalyzer


def _classify(self: WorkflowAnalyzer) -> None:
    """Choose the sequential form (with disjoint inline loops) or the state machine."""
    why: list[str] = []
    starts: dict[int, int] = {}
    early_reads: list[tuple[StepInfo, StepInfo]] = []  # (reader, step whose outputs it reads first)
    workflow = self.model()
    for info in self.steps:
        for action in info.success_actions + info.failure_actions:
            if action.kind == "retry":
                if action.target_step is not None:
                    if action.target_step in self.by_id:
                        self.resume_targets.add(action.target_step)
                    why.append("a retry runs another step first")
                starts[info.index] = max(starts.get(info.index, info.index), info.index)
            elif action.kind == "goto" and action.target_step in self.by_id:
                target = self.by_id[action.target_step].index
                if target <= info.index:
                    starts[target] = max(starts.get(target, target), info.index)
                elif target != info.index + 1 or action in info.failure_actions:
                    why.append(f"step {info.step_id!r} jumps forward to {action.target_step!r}")
        # Reads before the step's outputs are assigned (its own included) and after.
        step = self.model_step(info)
        before = itertools.chain(
            refs.parameter_expressions(step.parameter_items),
            refs.request_body_expressions(step.request_body),
            refs.criteria_expressions(step.success_criteria),
            refs.action_item_expressions(step.failure_items),
            expressions_in(step.correlation_id) if step.correlation_id is not None else (),
            refs.parameter_expressions(workflow.parameter_items),
        )
        after = itertools.chain(refs.output_expressions(step.outputs), refs.action_item_expressions(step.success_items))
        read_before = [ref.step_id for ref in before if isinstance(ref, ex.StepOutput)]
        read_after = [ref.step_id for ref in after if isinstance(ref, ex.StepOutput)]
        for step_id in read_before + [s for s in read_after if s != info.step_id]:
            if step_id in self.by_id and self.by_id[step_id].index >= info.index:
                early_reads.append((info, self.by_id[step_id]))
    loops = sorted(starts.items())
    for (s1, e1), (s2, _) in itertools.pairwise(loops):
        if s2 <= e1:
            why.append("loops nest or cross")
    for reader, read in early_reads:
        # Within one loop, a read before the step runs sees the previous round (None
        # on the first): the variables are declared before the loop.
        loop = next(((a, b) for a, b in loops if a <= reader.index and read.index <= b), None)
        if loop is None:
            why.append(f"step {reader.step_id!r} reads outputs of step {read.step_id!r} before that step runs")
        else:
            self.predeclared.setdefault(loop[0], set()).add(read.step_id)
    self.machine = bool(why)
    self.machine_reason = why[0] if why else ""
    self.loops = {} if self.machine else dict(loops)


def _loop_of(self: WorkflowAnalyzer, index: int) -> tuple[int, int] | None:
    for start, end in self.loops.items():
        if start <= index <= end:
            return start, end
    return None


def _reentered(self: WorkflowAnalyzer, info: StepInfo) -> bool:
    """Can the step run again after it succeeded (so retry counters must restart)?"""
    if self.machine:
        for source in self.steps:
            for action in source.success_actions + source.failure_actions:
                target = (
                    action.target_step
                    if action.kind == "goto"
                    else (source.step_id if action.kind == "retry" and action.target_step else None)
                )
                if target in self.by_id and self.by_id[target].index <= info.index <= source.index:
                    return True
        return False
    loop = self._loop_of(info.index)
    if loop is None:
        return False
    start, end = loop
    if start != end:
        return True
    return any(a.kind == "goto" and a.target_step == info.step_id for a in info.success_actions + info.failure_actions)


def _may_be_unset(self: WorkflowAnalyzer, raw: Any) -> bool:
    """True when the output reads a step (or workflow) that a jump or early end may skip."""
    if isinstance(raw, dict) and v11_selectors.is_selector(raw) and v11_identity.is_1_1(self.doc.arazzo.data):
        raw = (
            str(raw.get("context", "")).strip().removeprefix("{").removesuffix("}")
        )  # a Selector Object reads its context
    parsed = _parse_leniently(raw)
    if parsed is None:
        return False
    refs = list(ex.iter_refs(parsed)) if not isinstance(parsed, str) else []
    for ref in refs:
        key = self.expression_key(ref.workflow_id) if isinstance(ref, ex.WorkflowOutput) else None
        if key is not None and key in self.goto_workflows and key not in self.depends_on:
            return True
        if not isinstance(ref, ex.StepOutput) or ref.step_id not in self.by_id:
            continue
        target = self.by_id[ref.step_id]
        if self.machine:
            if target.index != 0:
                return True
        elif any(self._exits_early(s) for s in self.steps[: target.index]):
            return True
    return False


def _exits_early(info: StepInfo) -> bool:
    return any(
        a.kind == "end" or (a.kind == "goto" and a.target_workflow is not None) for a in info.success_actions
    ) or any(a.kind == "goto" and a.target_workflow is not None for a in info.failure_actions)


def next_lines(self: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    """The default transition after a successful step."""
    if self.machine:
        if info.index == len(self.steps) - 1:
            return [n.Break()]
        return [n.Assign("_step", n.Const(self.steps[info.index + 1].step_id))]
    loop = self._loop_of(info.index)
    if loop is not None and loop[1] == info.index:
        return [n.Break()]
    return []


def end_lines(self: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    """A success action of type end."""
    if self.machine:
        return [n.Break()]
    last = info.index == len(self.steps) - 1
    if last:
        return [n.Break()] if self._loop_of(info.index) is not None else [n.Pass()]
    return [n.Return(self._early_result(info))]


def goto_lines(self: WorkflowAnalyzer, info: StepInfo, target_step: str, ctx: ExprContext) -> list[n.Stmt]:
    target = self.by_id[target_step]
    seconds = n.runtime(
        "poll_delay", n.Const(info.step_id), n.Name("poll_interval"), n.Const(self.p.options.poll_interval)
    )
    if self.machine:
        lines: list[n.Stmt] = []
        if target.index <= info.index:
            lines.append(self.sleep_line(ctx, info, seconds))  # a back edge: pace the loop
        return lines + [n.Assign("_step", n.Const(target_step)), n.Continue()]
    if target.index == info.index + 1:
        return self.next_lines(info) or [n.Pass()]
    return [self.sleep_line(ctx, info, seconds), n.Continue()]


def workflow_exit_lines(
    self: WorkflowAnalyzer, info: StepInfo, target: str, ctx: ExprContext, at: JsonPath, action: Action | None = None
) -> list[n.Stmt]:
    """goto a workflow: a one-way transfer; this workflow ends with what it has."""
    overrides = v11_steps.action_arguments(ctx, action, target) if action is not None else None
    lines: list[n.Stmt] = [n.Assign(self.workflow_vars[target], self.call_workflow(target, at, overrides=overrides))]
    if self.machine:
        return lines + [n.Break()]
    return lines + [n.Return(self._early_result(info))]


def sleep_line(self: WorkflowAnalyzer, ctx: ExprContext, info: StepInfo, seconds: n.Expr) -> n.Stmt:
    """The paced sleep before a step runs again (awaited in the async twin)."""
    return n.ExprStmt(n.call("_run.wait", seconds, async_func="_run.wait", step=n.Const(info.step_id)))
