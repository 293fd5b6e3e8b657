"""Arazzo 1.1 step features: step ``timeout``, step ``dependsOn`` with the order steps
run in, and ``parameters`` on success and failure actions.

The analyzer (generator/analysis/) calls in here at a few points; everything 1.1-specific about
these three features is decided in this module, so that 1.0 documents never reach it.

Decisions (README, "Arazzo 1.1 conformance"):

* **timeout** (milliseconds) bounds one execution of an operation step: its request,
  transport retries included, and the reading of its response.  A ``retry`` action
  runs the step again with a fresh timeout (the wait before it is not part of either
  execution).  When it runs out the exchange is aborted, the step fails, and its
  onFailure actions apply; a criterion of theirs that reads the exchange
  (``$statusCode``, ``$response...``, ``$request.header...``, ``$url``) cannot be
  evaluated, so it fails (the 1.1 rule for evaluation errors).  On a step that calls a
  workflow it bounds the whole call: the callee runs under the earlier of the overall
  deadline and the step's timeout (``call_within``); when the step's ends first the
  calling step fails with StepTimedOut and its onFailure applies, without the callee's
  outputs.
* **order**: a step runs after every step it names in ``dependsOn`` and every step
  whose outputs it reads (``$steps.X.outputs...`` anywhere in it); otherwise document
  order is kept (a stable topological sort).  A cycle is an error naming it.  In a
  workflow with no step-level ``dependsOn`` a forward output reference is an error
  (the spec's validation recommendation), unless a goto loop that spans both steps
  makes it a read of the previous round, as in 1.0.
* **action parameters** are the called workflow's inputs: they win over the inputs
  the caller passes by name and over the callee's defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .diagnostics import JsonPath, did_you_mean
from .expr_ast import StepOutput
from .ir import nodes as n
from .model.references import written_step_expressions
from .validate import is_arazzo_1_1

if TYPE_CHECKING:
    from .analysis.common import Action, StepInfo
    from .analysis.context import ExprContext
    from .analysis.workflow import WorkflowAnalyzer

#: The syntax of a step dependsOn entry that names another workflow's step (an entry is a
#: step reference of its own grammar, not a runtime expression the parser reads).
_OTHER_WORKFLOW = re.compile(r"^\$workflows\.([A-Za-z0-9_\-]+)\.steps\.([A-Za-z0-9_\-]+)$")
_OTHER_DOCUMENT = re.compile(r"^\$sourceDescriptions\.([A-Za-z0-9_\-]+)\.([A-Za-z0-9_\-]+)\.steps\.([A-Za-z0-9_\-]+)$")


# -- timeout ---------------------------------------------------------------------------


def step_timeout_ms(wf: WorkflowAnalyzer, info: StepInfo) -> int | None:
    """The step's ``timeout`` in milliseconds (None when it has none), checked."""
    raw = info.step.get("timeout")
    if raw is None:
        return None
    at = info.json_path + ("timeout",)
    if not valid_timeout(raw):
        wf.error(
            at,
            f"step timeout {raw!r} is not a non-negative whole number of milliseconds",
            "write e.g. timeout: 5000 (5 seconds)",
        )
        return None
    if info.operation is None and info.workflow_id is None and info.event is None:
        return None  # a step bound to nothing is reported elsewhere
    return int(raw)


def valid_timeout(raw: object) -> bool:
    """Is ``raw`` a step ``timeout`` (a non-negative whole number of milliseconds)?"""
    return isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0


def timed_request(send: n.Assign, timeout_ms: int) -> n.Assign:
    """The request statement of a step with a timeout: ``send_within`` binds ``_sent``."""
    call = send.value
    assert isinstance(call, n.Call) and send.target == "_response"
    kwargs = call.kwargs + (("timeout_ms", n.Const(timeout_ms)),)
    return n.Assign(
        "_sent",
        n.Call(
            n.dotted("_runtime.send_within"), (n.Name("_run"),) + call.args, kwargs, n.dotted("_runtime.asend_within")
        ),
    )


def timed_call(call: n.Call, step_id: str, timeout_ms: int, workflow_id: str, result: str) -> n.Assign:
    """The call of another workflow (``call``, from ``call_workflow``) run within the step's
    timeout: ``call_within`` binds ``result`` to the callee's outputs or the StepTimedOut
    (the async twin passes the coroutine function's call, unawaited, in the lambda).
    The call passes ``timeout=_run.deadline.remaining()``, which inside the step's timeout is
    the earlier of the two ends."""
    within = n.call(
        "_runtime.call_within",
        n.dotted("_run.deadline"),
        n.Const(step_id),
        n.Const(timeout_ms),
        n.Const(workflow_id),
        n.Lambda((), call),
        async_func="_runtime.acall_within",
    )
    return n.Assign(result, within)


def has_step_timeout(wf: WorkflowAnalyzer) -> bool:
    """Does a step of this (1.1) workflow apply a timeout of its own?"""
    return bool(_timed_steps(wf))


def _timed_steps(wf: WorkflowAnalyzer) -> list[str]:
    if not is_arazzo_1_1(wf.doc.arazzo.data):
        return []
    return [
        info.step_id
        for info in wf.steps
        if (info.operation is not None or info.workflow_id is not None) and valid_timeout(info.step.get("timeout"))
    ]


def raises_line(wf: WorkflowAnalyzer) -> str:
    """The docstring's line for StepTimedOut, when a step of the workflow has a timeout."""
    timed = _timed_steps(wf)
    if not timed:
        return ""
    names = ", ".join(repr(s) for s in timed)
    return f"    StepTimedOut: step{'s' if len(timed) > 1 else ''} {names} ran past {'their' if len(timed) > 1 else 'its'} own timeout (a StepFailed).\n"


def timeout_comment(timeout_ms: int, *, workflow: bool = False) -> str:
    if workflow:
        return f"The step's {timeout_ms} ms timeout ran out (the called workflow was aborted): onFailure applies, without its outputs."
    return (
        f"The step's {timeout_ms} ms timeout ran out (the exchange was aborted): onFailure applies, without a response."
    )


# -- order -----------------------------------------------------------------------------


def order_steps(wf: WorkflowAnalyzer) -> None:
    """Put ``wf.steps`` in the order they run (and renumber them), or report why not."""
    steps = wf.steps
    ids = {info.step_id: info for info in steps}
    uses_depends_on = any("dependsOn" in info.step for info in steps)
    deps: dict[str, list[str]] = {}
    for info in steps:
        wanted: list[str] = []
        for index, entry in enumerate(info.step.get("dependsOn") or []):
            at = info.json_path + ("dependsOn", index)
            if isinstance(entry, str):
                local = _dependency(wf, info, entry, at, ids)
                if local is not None and local not in wanted:
                    wanted.append(local)
        for target in _steps_read(wf, info):
            if target in ids and target != info.step_id and target not in wanted:
                if not uses_depends_on and ids[target].index > info.index:
                    if not _in_loop(wf, info, ids[target]):
                        wf.error(
                            info.json_path,
                            f"step {info.step_id!r} reads the outputs of step {target!r}, which comes later in the steps array",
                            f"move step {target!r} before {info.step_id!r}, or declare dependsOn: [{target}] (Arazzo 1.1 then runs {target!r} first)",
                        )
                    continue
                if uses_depends_on or ids[target].index < info.index:
                    wanted.append(target)
        deps[info.step_id] = wanted
    cycle = _cycle(steps, deps)
    if cycle is not None:
        first = ids[cycle[0]]
        wf.error(
            first.json_path + (("dependsOn",) if "dependsOn" in first.step else ()),
            f"the steps of workflow {wf.workflow_id!r} depend on each other in a cycle: {' -> '.join(cycle)}",
            "dependsOn and $steps.<id>.outputs references must leave an order to run the steps in: break the cycle",
        )
        return
    placed: list[StepInfo] = []
    done: set[str] = set()
    waiting = list(steps)
    while waiting:  # bounded: without a cycle, each pass places one step
        ready = next(info for info in waiting if all(d in done for d in deps[info.step_id]))
        waiting.remove(ready)
        placed.append(ready)
        done.add(ready.step_id)
    for position, info in enumerate(placed):
        info.index = position
    wf.steps[:] = placed


def _dependency(wf: WorkflowAnalyzer, info: StepInfo, entry: str, at: JsonPath, ids: dict[str, StepInfo]) -> str | None:
    """The local step a dependsOn entry names (None for another workflow's step, checked here)."""
    if not entry.startswith("$"):
        if entry == info.step_id:
            wf.error(at, f"step {info.step_id!r} depends on itself", "remove it from its own dependsOn")
        elif entry not in ids:
            wf.error(
                at,
                f"step {info.step_id!r} depends on unknown step {entry!r}",
                did_you_mean(entry, ids)
                or f"name a step of workflow {wf.workflow_id!r}, or $workflows.<workflowId>.steps.<stepId>",
            )
        else:
            return entry
        return None
    local = _OTHER_WORKFLOW.match(entry)
    linked = _OTHER_DOCUMENT.match(entry)
    if local is not None:
        workflow_id, step_id = local.group(1), local.group(2)
        reference = workflow_id
        if workflow_id == wf.workflow_id:
            return _dependency(wf, info, step_id, at, ids)
        key = wf.workflow_key(workflow_id)
        if key is None:
            wf.error(
                at,
                f"dependsOn names unknown workflow {workflow_id!r}",
                did_you_mean(workflow_id, wf.doc.workflow_ids()),
            )
            return None
    elif linked is not None:
        workflow_id, step_id = linked.group(2), linked.group(3)
        reference = f"$sourceDescriptions.{linked.group(1)}.{workflow_id}"
        key = wf.workflow_key(reference, at)
        if key is None:
            return None
    else:
        wf.error(
            at,
            f"dependsOn entry {entry!r} is not a stepId, $workflows.<workflowId>.steps.<stepId> or $sourceDescriptions.<name>.<workflowId>.steps.<stepId>",
            "name a step of this workflow by its stepId",
        )
        return None
    other = wf.p.workflows.get(key)
    if other is None:
        return None
    their = [str(s.get("stepId")) for s in other.workflow.get("steps") or [] if isinstance(s, dict)]
    if step_id not in their:
        wf.error(at, f"workflow {workflow_id!r} has no step {step_id!r}", did_you_mean(step_id, their))
    elif key not in _workflow_depends_on(wf) and (info.operation is not None or info.workflow_id is not None):
        # Only workflow-level dependsOn runs another workflow first (an unbound step is reported elsewhere).
        wf.error(
            at,
            f"step {info.step_id!r} depends on step {step_id!r} of workflow {workflow_id!r}, which workflow {wf.workflow_id!r} does not run before its steps",
            f"add {reference!r} to the dependsOn of workflow {wf.workflow_id!r}: it then runs first",
        )
    return None


def _workflow_depends_on(wf: WorkflowAnalyzer) -> set[str]:
    keys: set[str] = set()
    for index, dep in enumerate(wf.workflow.get("dependsOn") or []):
        if isinstance(dep, str):
            key = wf.workflow_key(dep, wf.path + ("dependsOn", index), checked=True)  # resolve reported it
            if key is not None:
                keys.add(key)
    return keys


def _steps_read(wf: WorkflowAnalyzer, info: StepInfo) -> Iterator[str]:
    """The stepIds of every ``$steps.X.outputs...`` reference written in the step, in order."""
    for expr in written_step_expressions(wf.model_step(info)):
        if isinstance(expr, StepOutput):
            yield expr.step_id


def _in_loop(wf: WorkflowAnalyzer, reader: StepInfo, read: StepInfo) -> bool:
    """Does a goto (or retry through a step) from ``read`` or later go back to ``reader``
    or earlier?  Then the forward read sees the previous round, as in 1.0."""
    by_id = {info.step_id: info for info in wf.steps}
    for info in wf.steps[read.index :]:
        for key in ("onSuccess", "onFailure"):
            for item in info.step.get(key) or []:
                target = item.get("stepId") if isinstance(item, dict) else None
                if isinstance(target, str) and target in by_id and by_id[target].index <= reader.index:
                    return True
    return False


def _cycle(steps: list[StepInfo], deps: dict[str, list[str]]) -> list[str] | None:
    """One dependency cycle (its stepIds, the first repeated at the end), if any."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in steps:
        if state.get(start.step_id):
            continue
        path: list[str] = [start.step_id]
        stack: list[Iterator[str]] = [iter(deps[start.step_id])]
        state[start.step_id] = 1
        while stack:  # bounded: each step enters the path at most once
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(deps[nxt]))
    return None


# -- action parameters -----------------------------------------------------------------


def action_arguments(ctx: ExprContext, action: Action, target: str) -> list[tuple[str, n.Expr]]:
    """The inputs an action's ``parameters`` give the workflow it goes to: (input name, value)."""
    raw = action.parameters
    if not raw:
        return []
    wf = ctx.wf
    callee = wf.p.workflows[target]
    base = action.json_path + ("parameters",)
    arguments: dict[str, n.Expr] = {}
    for index, item in enumerate(raw):
        at = base + (index,)
        if isinstance(item, dict) and "in" in item:
            ctx.error(
                at + ("in",),
                f"parameter {item.get('name')!r} of action {action.name!r} has 'in': {item.get('in')!r}",
                "parameters of a success or failure action are inputs of the workflow it goes to: remove 'in'",
            )
        resolved = ctx._parameter(item, at, True)
        if resolved is None:
            continue
        name, _, value, v_at = resolved
        if name in arguments:
            ctx.error(
                at + ("name",),
                f"action {action.name!r} passes parameter {name!r} twice",
                "the list must not include duplicate parameters",
            )
            continue
        if name not in callee.inputs:
            ctx.error(
                at + ("name",),
                f"workflow {callee.workflow_id!r} has no input {name!r}",
                did_you_mean(name, callee.inputs)
                or "parameters of an action map to the inputs of the workflow it goes to",
            )
            continue
        source, py_type = ctx.value_node(value, v_at)
        arguments[name] = wf.argument(callee, name, source, py_type, v_at)
    return list(arguments.items())


def no_parameters_without_workflow(wf: WorkflowAnalyzer, action: Action) -> None:
    """Action parameters are only for a goto/retry to a workflow (the schema asks for workflowId)."""
    if action.parameters and action.target_workflow is None:
        wf.error(
            action.json_path + ("parameters",),
            f"action {action.name!r} has parameters but goes to no workflow",
            "parameters are inputs of the workflow named by workflowId: add workflowId, or remove them",
        )
