"""Steps: the statements of one step (an operation, a workflow call or an event) and of
its success and failure actions."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from .. import events_steps, v11_steps
from ..diagnostics import JsonPath
from ..plan import Block, Line, Node
from ..pycode import comment_text, fstring_text, py_str
from ..resolve import Operation
from ..validate import is_arazzo_1_1
from .common import Action, StepInfo, _exits, idempotency_header
from .context import ExprContext
from .criteria import _negate

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


def _step_comment(self: WorkflowAnalyzer, info: StepInfo, blank: bool = True) -> list[Node]:
    op = info.operation
    if op is not None:
        what = f"{op.display_name} ({op.method} {op.path})"
    elif info.workflow_id is not None:
        what = f"workflow {info.workflow_id}"
    elif info.event is not None:
        what = events_steps.step_description(info)
    else:
        what = "no operation"
    nodes: list[Node] = [Line("")] if blank else []
    nodes.append(Line(f"# Step {comment_text(info.step_id, 60)}: {comment_text(what, 120)}"))
    description = info.step.get("description")
    if isinstance(description, str) and description.strip():
        text = comment_text(description, 400)
        nodes += [Line(f"# {line}") for line in textwrap.wrap(text, 76)]
    return nodes


def _step(self: WorkflowAnalyzer, info: StepInfo, is_async: bool) -> list[Node]:
    nodes = self._step_comment(info, blank=not self.machine)
    if info.operation is not None:
        return nodes + self._operation_step(info, is_async)
    if info.workflow_id is not None and info.workflow_id in self.p.workflows:
        return nodes + self._workflow_step(info, is_async)
    if info.event is not None:
        return nodes + events_steps.event_step(self, info, is_async)
    return nodes + [Line("raise WorkflowError(" + py_str(f"step {info.step_id!r} has no operation") + ")")]


def _operation_step(self: WorkflowAnalyzer, info: StepInfo, is_async: bool) -> list[Node]:
    op = info.operation
    assert op is not None
    step, at = info.step, info.json_path
    request = ExprContext(self, info, is_async=is_async, phase="request")
    nodes: list[Node] = [Line(text) for text in request.request_lines(op, step, at)]
    timeout_ms = v11_steps.step_timeout_ms(self, info) if is_arazzo_1_1(self.doc.arazzo.data) else None
    if timeout_ms is not None:  # Arazzo 1.1: the step's own timeout fails it, for onFailure to act on
        last = nodes[-1]
        assert isinstance(last, Line)
        nodes[-1] = Line(v11_steps.timed_request(last.text, timeout_ms))
        late = ExprContext(
            self,
            info,
            is_async=is_async,
            phase="response",
            payload=request.payload_var,
            path_values=request.path_values,
        )
        late.timed_out = True
        chain = self._failure_nodes(info, late, "raise _runtime.timed_out(_sent)")
        nodes += [
            Block(
                "if isinstance(_sent, _runtime.StepTimedOut):",
                (Line(v11_steps.timeout_comment(timeout_ms)),) + tuple(chain),
            ),
            Line("_response = _sent"),
        ]
    ctx = ExprContext(
        self, info, is_async=is_async, phase="response", payload=request.payload_var, path_values=request.path_values
    )
    success = ctx.criteria(
        self._criteria(step.get("successCriteria"), at + ("successCriteria",)), default="_response.is_success"
    )
    failed = ctx.failed_criterion_args()
    parsed = ctx.reads_body
    if parsed:  # the success criteria read the body, which may not be JSON
        nodes.append(Line(self._body_line(info, lenient=True)))
    error_models = self._error_models(op)
    fail_args = (
        f"{py_str(info.step_id)}, _response, secrets=_secrets"
        + (f", error_models={error_models}" if error_models else "")
        + failed
    )
    ctx.reads_body = False
    failure = self._failure_nodes(info, ctx, f"raise StepFailed.from_response({fail_args})")
    if ctx.reads_body and not parsed:
        failure.insert(0, Line(self._body_line(info, lenient=True)))
    nodes.append(Block(f"if {_negate(success)}:", tuple(failure)))
    if self._reentered(info):
        nodes += [Line(f"{a.counter} = 0") for a in info.failure_actions if a.kind == "retry"]
    ctx.reads_body = False
    after = self._success_nodes(info, ctx)
    if ctx.reads_body:
        nodes.append(Line(self._body_line(info, lenient=False)))
    return nodes + after


def _workflow_step(self: WorkflowAnalyzer, info: StepInfo, is_async: bool) -> list[Node]:
    target = info.workflow_id
    assert target is not None
    callee = self.p.workflows[target]
    timeout_ms = v11_steps.step_timeout_ms(self, info) if is_arazzo_1_1(self.doc.arazzo.data) else None
    request = ExprContext(self, info, is_async=is_async, phase="request")
    arguments = request.workflow_arguments(callee, info.step, info.json_path)
    var = self.workflow_vars[target]
    call = self.call_workflow(target, is_async, info.json_path, arguments)
    nodes: list[Node] = [Line(f"{var} = {call}")]
    if timeout_ms is not None:  # Arazzo 1.1: the step's timeout bounds the whole called workflow
        self.p.runtime_parts.add("v11_timeout")
        result = f"_timed_{var}"
        late = ExprContext(self, info, is_async=is_async, phase="called")
        late.timed_out = True
        chain = self._failure_nodes(info, late, f"raise _runtime.timed_out({result})")
        nodes = [
            Line(v11_steps.timed_call(call, info.step_id, timeout_ms, callee.workflow_id, result, is_async)),
            Block(
                f"if isinstance({result}, _runtime.StepTimedOut):",
                (Line(v11_steps.timeout_comment(timeout_ms, workflow=True)),) + tuple(chain),
            ),
            Line(f"{var} = {result}"),
        ]
    ctx = ExprContext(self, info, is_async=is_async, phase="called")
    criteria = self._criteria(info.step.get("successCriteria"), info.json_path + ("successCriteria",))
    if criteria:
        success = ctx.criteria(criteria, default="True")
        failed = ctx.failed_criterion_args()
        failure = self._failure_nodes(
            info, ctx, f"raise _runtime.criteria_failed({py_str(info.step_id)}, {py_str(target)}{failed})"
        )
        nodes.append(Block(f"if {_negate(success)}:", tuple(failure)))
        if self._reentered(info):
            nodes += [Line(f"{a.counter} = 0") for a in info.failure_actions if a.kind == "retry"]
    return nodes + self._success_nodes(info, ctx)


def _criteria(raw: Any, at: JsonPath) -> list[tuple[dict[str, Any], JsonPath]]:
    return [(c, at + (i,)) for i, c in enumerate(raw or []) if isinstance(c, dict)]


def _body_line(self: WorkflowAnalyzer, info: StepInfo, *, lenient: bool) -> str:
    if not self.body_is_json(info):
        return "_body = _response.text"
    if lenient:
        return "_body = _runtime.maybe_json(_response)"
    kind = self.documented_json_kind(info)
    expect = f", expect={py_str(kind)}" if kind else ""
    return f"_body = _runtime.json_body({py_str(info.step_id)}, _response, secrets=_secrets{expect})"


def _error_models(self: WorkflowAnalyzer, op: Operation) -> str | None:
    pairs = []
    for status, response in sorted(op.responses.items()):
        if status.startswith("2") or response.schema is None:
            continue
        name = self.p.models.name_of_root(op, status)
        if name:
            pairs.append(f"{py_str(status)}: {py_str(name)}")
    return "{" + ", ".join(pairs) + "}" if pairs else None


def _describe(action: Action) -> str:
    if action.kind == "goto":
        return f"goto {action.target_step or ('workflow ' + str(action.target_workflow))}"
    if action.kind == "retry":
        after = f" after {action.retry_after:g} s" if action.retry_after is not None else ""
        then = (
            f", running {action.target_step or 'workflow ' + str(action.target_workflow)} first"
            if action.target_step or action.target_workflow
            else ""
        )
        return f"retry{after}, at most {action.retry_limit} time{'s' if action.retry_limit != 1 else ''}{then}"
    return action.kind


def _success_nodes(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext) -> list[Node]:
    nodes: list[Node] = []
    for name, raw in self.step_outputs(info):
        at = (
            info.json_path + ("outputs", name)
            if name not in info.implicit_outputs
            else info.json_path + ("workflowId",)
        )
        source, _ = ctx.value(raw, at)
        nodes.append(Line(f"{info.outputs[name].name} = {source}"))
    nodes += events_steps.late_subscriptions(
        self, info, ctx.is_async
    )  # a receive step whose channel address reads these outputs
    if info.step_id in self.resume_targets:
        nodes.append(
            Block(
                "if _resume is not None:  # a retry ran this step first: back to it",
                (Line("_step, _resume = _resume, None"), Line("continue")),
            )
        )
    # The first action whose criteria hold is the one taken: an if/elif chain.
    chain: list[Block] = []
    exhaustive = False
    all_exit = True
    for action in info.success_actions:
        lines = [self._decided_line(info, "onSuccess", action)] + [
            t for t in self._success_action_lines(info, action, ctx) if t != "pass"
        ]
        comment = Line(f"# onSuccess {comment_text(action.name, 60)}: {self._describe(action)}")
        all_exit = all_exit and _exits(lines)
        if not action.criteria:  # an action without criteria always applies: later ones are unreachable
            exhaustive = True
            if chain:
                chain.append(Block("else:", (comment,) + tuple(Line(t) for t in lines)))
            else:
                nodes += [comment] + [Line(t) for t in lines if t != "pass"]
            break
        condition = ctx.criteria(action.criteria, default="True")
        chain.append(Block(f"{'elif' if chain else 'if'} {condition}:", (comment,) + tuple(Line(t) for t in lines)))
    nodes += chain
    if exhaustive and all_exit:
        return nodes
    return nodes + [Line(t) for t in self.next_lines(info)]


def _success_action_lines(self: WorkflowAnalyzer, info: StepInfo, action: Action, ctx: ExprContext) -> list[str]:
    if action.kind == "end":
        return self.end_lines(info)
    if action.kind == "goto":
        if action.target_workflow is not None:
            if action.target_workflow in self.p.workflows:
                return self.workflow_exit_lines(
                    info, action.target_workflow, ctx, action.json_path + ("workflowId",), action
                )
            return ["pass"]
        if action.target_step in self.by_id:
            return self.goto_lines(info, action.target_step, ctx)
    return ["pass"]


def _failure_nodes(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext, raise_line: str) -> list[Node]:
    ctx.failing = True
    try:
        return self._failure_chain(info, ctx, raise_line)
    finally:
        ctx.failing = False


def _failure_chain(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext, raise_line: str) -> list[Node]:
    nodes: list[Node] = []
    retries: list[tuple[str | None, Action]] = []  # the retry actions so far, with their conditions
    for action in info.failure_actions:
        comment = Line(f"# onFailure {comment_text(action.name, 60)}: {self._describe(action)}")
        condition = ctx.criteria(action.criteria, default="True") if action.criteria else None
        if condition == "False" and ctx.timed_out:
            what = (
                "the response"
                if info.operation is not None
                else "the message" if info.event is not None else "the called workflow's outputs"
            )
            nodes.append(
                Line(
                    f"# onFailure {comment_text(action.name, 60)} is not taken: its criteria read {what}, which a timed-out step has not"
                )
            )
            continue
        if action.kind == "retry":
            retries.append((condition, action))
            guard = f"{action.counter} < {action.retry_limit}"
            test = f"{condition} and {guard}" if condition else guard
            nodes.append(
                Block(f"if {test}:", (comment,) + tuple(Line(t) for t in self._retry_lines(info, action, ctx)))
            )
            continue
        if action.kind == "end":
            reason = py_str(f"the failure action {action.name!r} ended the workflow")
            lines = [
                (
                    self._with_retries(raise_line, retries)[:-1] + f", reason={reason})"
                    if raise_line.startswith(
                        (
                            "raise StepFailed.from_response(",
                            "raise _runtime.criteria_failed(",
                            "raise _runtime.timed_out(",
                            "raise _runtime.message_failed(",
                            "raise _runtime.message_timed_out(",
                        )
                    )
                    else raise_line
                )
            ]
        elif (
            action.kind == "goto" and action.target_workflow is not None and action.target_workflow in self.p.workflows
        ):
            lines = self.workflow_exit_lines(
                info, action.target_workflow, ctx, action.json_path + ("workflowId",), action
            )
        elif action.kind == "goto" and action.target_step in self.by_id:
            lines = self.goto_lines(info, action.target_step, ctx)
        else:
            continue
        lines = [self._decided_line(info, "onFailure", action)] + [t for t in lines if t != "pass"]
        if condition is None:
            return nodes + [comment] + [Line(t) for t in lines if t != "pass"]
        nodes.append(Block(f"if {condition}:", (comment,) + tuple(Line(t) for t in lines)))
    return nodes + [Line(self._with_retries(raise_line, retries))]


def _decided_line(self: WorkflowAnalyzer, info: StepInfo, kind: str, action: Action) -> str:
    """The DEBUG record of the action taken (its name and what it does; a retry counts)."""
    if action.kind == "retry":
        first = (
            f", running {action.target_step or 'workflow ' + str(action.target_workflow)} first"
            if action.target_step or action.target_workflow
            else ""
        )
        what = (
            'f"'
            + fstring_text("retry ")
            + "{"
            + action.counter
            + "}"
            + fstring_text(f" of at most {action.retry_limit}{first}")
            + '"'
        )
    else:
        what = py_str(self._describe(action))
    return f"_runtime.decided({py_str(info.step_id)}, {py_str(kind)}, {py_str(action.name)}, {what})"


def _with_retries(raise_line: str, retries: list[tuple[str | None, Action]]) -> str:
    """``raise_line`` with the StepFailed arguments that say how often the step's retry
    actions ran it again: those of the (first) retry action whose criteria hold, of several."""
    if not retries:
        return raise_line
    if len(retries) == 1:
        return raise_line[:-1] + f", retries={retries[0][1].counter}, retry_limit={retries[0][1].retry_limit})"
    count, limit = " + ".join(a.counter for _, a in retries), "None"
    for condition, action in reversed(retries):
        count = action.counter if condition is None else f"{action.counter} if {condition} else {count}"
        limit = str(action.retry_limit) if condition is None else f"{action.retry_limit} if {condition} else {limit}"
    return raise_line[:-1] + f", retries={count}, retry_limit={limit})"


def _retry_lines(self: WorkflowAnalyzer, info: StepInfo, action: Action, ctx: ExprContext) -> list[str]:
    after = repr(float(action.retry_after)) if action.retry_after is not None else "None"
    response = "_response" if info.operation is not None and not ctx.timed_out else "None"
    seconds = f"_runtime.retry_delay({py_str(info.step_id)}, {response}, {after}, poll_interval, {self.p.options.poll_interval!r})"
    lines = [f"{action.counter} += 1", self._decided_line(info, "onFailure", action)]
    if info.operation is not None and idempotency_header(info.operation, self.p.options.idempotency_header) is not None:
        lines.append(f"_keys.retrying({py_str(info.step_id)})")
    if action.target_workflow is not None and action.target_workflow in self.p.workflows:
        overrides = v11_steps.action_arguments(ctx, action, action.target_workflow)
        lines.append(
            f"{self.workflow_vars[action.target_workflow]} = {self.call_workflow(action.target_workflow, ctx.is_async, action.json_path + ('workflowId',), overrides=overrides)}"
        )
    lines.append(self.sleep_line(ctx, info, seconds))
    if action.target_step is not None and action.target_step in self.by_id:
        lines += [f"_resume = {py_str(info.step_id)}", f"_step = {py_str(action.target_step)}"]
    lines.append("continue")
    return lines
