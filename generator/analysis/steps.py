"""Steps: the statements of one step (an operation, a workflow call or an event) and of
its success and failure actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events_steps, v11_steps
from .. import expressions as ex
from ..diagnostics import JsonPath
from ..ir import nodes as n
from ..pycode import comment_text
from ..resolve import Operation
from ..validate import is_arazzo_1_1
from .common import Action, StepInfo, _exits, _parse_leniently, idempotency_header
from .context import ExprContext

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


def _step_comment(self: WorkflowAnalyzer, info: StepInfo, blank: bool = True) -> list[n.Stmt]:
    op = info.operation
    if op is not None:
        what = f"{op.display_name} ({op.method} {op.path})"
    elif info.workflow_id is not None:
        what = f"workflow {info.workflow_id}"
    elif info.event is not None:
        what = events_steps.step_description(info)
    else:
        what = "no operation"
    nodes: list[n.Stmt] = [n.Blank()] if blank else []
    nodes.append(n.Comment(f"Step {comment_text(info.step_id, 60)}: {comment_text(what, 120)}"))
    description = info.step.get("description")
    if isinstance(description, str) and description.strip():
        text = comment_text(description, 400)
        nodes.append(n.Comment(text))  # the printer wraps it
    return nodes


def _step(self: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    nodes = self._step_comment(info, blank=not self.machine)
    if info.operation is not None:
        return nodes + self._operation_step(info)
    if info.workflow_id is not None and info.workflow_id in self.p.workflows:
        return nodes + self._workflow_step(info)
    if info.event is not None:
        return nodes + events_steps.event_step(self, info)
    return nodes + [n.Raise(n.call("WorkflowError", n.Const(f"step {info.step_id!r} has no operation")))]


def _reset_counters(self: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    """A step that can run again after it succeeded restarts its retry counters."""
    if not self._reentered(info):
        return []
    return [n.Assign(a.counter, n.Const(0)) for a in info.failure_actions if a.kind == "retry"]


def _operation_step(self: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    op = info.operation
    assert op is not None
    step, at = info.step, info.json_path
    request = info.request  # analysed once, with the step's outputs (_infer_step_outputs)
    assert request is not None
    nodes: list[n.Stmt] = list(request.statements)
    timeout_ms = v11_steps.step_timeout_ms(self, info) if is_arazzo_1_1(self.doc.arazzo.data) else None
    if timeout_ms is not None:  # Arazzo 1.1: the step's own timeout fails it, for onFailure to act on
        last = nodes[-1]
        assert isinstance(last, n.Assign)
        self.p.runtime_parts.add("v11_timeout")  # send_within
        nodes[-1] = v11_steps.timed_request(last, timeout_ms)
        late = ExprContext(self, info, phase="response", payload=request.payload_var, path_values=request.path_values)
        late.timed_out = True
        chain = self._failure_nodes(info, late, n.runtime("timed_out", n.Name("_sent")))
        nodes += [
            n.If(
                n.call("isinstance", n.Name("_sent"), n.dotted("_runtime.StepTimedOut")),
                (n.Comment(v11_steps.timeout_comment(timeout_ms)),) + tuple(chain),
            ),
            n.Assign("_response", n.Name("_sent")),
        ]
    ctx = ExprContext(self, info, phase="response", payload=request.payload_var, path_values=request.path_values)
    success = ctx.criteria(
        self._criteria(step.get("successCriteria"), at + ("successCriteria",)), default=n.dotted("_response.is_success")
    )
    failed = ctx.failed_criterion_args()
    parsed = ctx.reads_body
    if parsed:  # the success criteria read the body, which may not be JSON
        nodes.append(self._body_line(info, lenient=True))
    error_models = self._error_models(op)
    fail_kwargs: list[tuple[str, n.Expr]] = []
    if error_models is not None:
        fail_kwargs.append(("error_models", error_models))
    fail_kwargs += failed
    failure_call = n.Call(n.dotted("_run.failed"), (n.Const(info.step_id), n.Name("_response")), tuple(fail_kwargs))
    ctx.reads_body = False
    failure = self._failure_nodes(info, ctx, failure_call)
    if ctx.reads_body and not parsed:
        failure.insert(0, self._body_line(info, lenient=True))
    nodes.append(n.If(n.Not(success), tuple(failure)))
    nodes += self._reset_counters(info)
    ctx.reads_body = False
    after = self._success_nodes(info, ctx)
    if ctx.reads_body:
        nodes.append(self._body_line(info, lenient=False))
    return nodes + after


def _workflow_step(self: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    target = info.workflow_id
    assert target is not None
    callee = self.p.workflows[target]
    timeout_ms = v11_steps.step_timeout_ms(self, info) if is_arazzo_1_1(self.doc.arazzo.data) else None
    request = ExprContext(self, info, phase="request")
    arguments = request.workflow_arguments(callee, info.step, info.json_path)
    var = self.workflow_vars[target]
    call = self.call_workflow(target, info.json_path, arguments)
    nodes: list[n.Stmt] = [n.Assign(var, call)]
    if timeout_ms is not None:  # Arazzo 1.1: the step's timeout bounds the whole called workflow
        self.p.runtime_parts.add("v11_timeout")
        result = f"_timed_{var}"
        late = ExprContext(self, info, phase="called")
        late.timed_out = True
        chain = self._failure_nodes(info, late, n.runtime("timed_out", n.Name(result)))
        nodes = [
            v11_steps.timed_call(call, info.step_id, timeout_ms, callee.workflow_id, result),
            n.If(
                n.call("isinstance", n.Name(result), n.dotted("_runtime.StepTimedOut")),
                (n.Comment(v11_steps.timeout_comment(timeout_ms, workflow=True)),) + tuple(chain),
            ),
            n.Assign(var, n.Name(result)),
        ]
    ctx = ExprContext(self, info, phase="called")
    criteria = self._criteria(info.step.get("successCriteria"), info.json_path + ("successCriteria",))
    if criteria:
        success = ctx.criteria(criteria, default=n.TRUE)
        failed = ctx.failed_criterion_args()
        self.p.runtime_parts.add("calls")
        failure_call = n.Call(
            n.dotted("_runtime.criteria_failed"), (n.Const(info.step_id), n.Const(target)), tuple(failed)
        )
        failure = self._failure_nodes(info, ctx, failure_call)
        nodes.append(n.If(n.Not(success), tuple(failure)))
        nodes += self._reset_counters(info)
    return nodes + self._success_nodes(info, ctx)


def _criteria(raw: Any, at: JsonPath) -> list[tuple[dict[str, Any], JsonPath]]:
    return [(c, at + (i,)) for i, c in enumerate(raw or []) if isinstance(c, dict)]


def _body_line(self: WorkflowAnalyzer, info: StepInfo, *, lenient: bool) -> n.Stmt:
    if not self.body_is_json(info):
        return n.Assign("_body", n.dotted("_response.text"))
    if lenient:
        return n.Assign("_body", n.runtime("maybe_json", n.Name("_response")))
    kind = self.documented_json_kind(info)
    expect: tuple[tuple[str, n.Expr], ...] = (("expect", n.Const(kind)),) if kind else ()
    return n.Assign("_body", n.Call(n.dotted("_run.json_body"), (n.Const(info.step_id), n.Name("_response")), expect))


def _error_models(self: WorkflowAnalyzer, op: Operation) -> n.Expr | None:
    pairs: list[tuple[n.Expr, n.Expr]] = []
    for status, response in sorted(op.responses.items()):
        if status.startswith("2") or response.schema is None:
            continue
        name = self.p.models.name_of_root(op, status)
        if name:
            pairs.append((n.Const(status), n.Const(name)))
    return n.Dict(tuple(pairs)) if pairs else None


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


def _no_pass(body: list[n.Stmt]) -> list[n.Stmt]:
    return [s for s in body if not isinstance(s, n.Pass)]


def _success_nodes(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext) -> list[n.Stmt]:
    nodes: list[n.Stmt] = []
    for name, raw in self.step_outputs(info):
        at = (
            info.json_path + ("outputs", name)
            if name not in info.implicit_outputs
            else info.json_path + ("workflowId",)
        )
        if name in info.output_values:  # analysed once, when its type was inferred
            value, _, reads_body = info.output_values[name]
            ctx.reads_body = ctx.reads_body or reads_body
        else:
            value, _ = ctx.value_node(raw, at)
        nodes.append(n.Assign(info.outputs[name].name, value))
        parsed = _parse_leniently(raw)
        if parsed is not None and not isinstance(parsed, str | ex.Template) and parsed not in ctx.bound:
            ctx.bound[parsed] = (
                n.Name(info.outputs[name].name),
                info.outputs[name].type,
            )  # the actions' criteria read it
    nodes += events_steps.late_subscriptions(self, info)  # a receive step whose channel address reads these outputs
    if info.step_id in self.resume_targets:
        resume = n.Assign("_step, _resume", n.Tuple((n.Name("_resume"), n.NONE)))
        nodes.append(
            n.If(
                n.Compare(n.Name("_resume"), "is not", n.NONE),
                (resume, n.Continue()),
                comment="a retry ran this step first: back to it",
            )
        )
    # The first action whose criteria hold is the one taken: an if/elif chain.
    chain: list[tuple[n.Expr, tuple[n.Stmt, ...]]] = []
    orelse: tuple[n.Stmt, ...] = ()
    exhaustive = False
    all_exit = True
    for action in info.success_actions:
        lines = [self._decided_line(info, "onSuccess", action)] + _no_pass(
            self._success_action_lines(info, action, ctx)
        )
        comment = n.Comment(f"onSuccess {comment_text(action.name, 60)}: {self._describe(action)}")
        all_exit = all_exit and _exits(lines)
        if not action.criteria:  # an action without criteria always applies: later ones are unreachable
            exhaustive = True
            if chain:
                orelse = (comment,) + tuple(lines)
            else:
                nodes += [comment] + lines
            break
        condition = ctx.criteria(action.criteria, default=n.TRUE)
        chain.append((condition, (comment,) + tuple(lines)))
    if chain:
        nodes.append(n.If(chain[0][0], chain[0][1], tuple(chain[1:]), orelse))
    if exhaustive and all_exit:
        return nodes
    return nodes + self.next_lines(info)


def _success_action_lines(self: WorkflowAnalyzer, info: StepInfo, action: Action, ctx: ExprContext) -> list[n.Stmt]:
    if action.kind == "end":
        return self.end_lines(info)
    if action.kind == "goto":
        if action.target_workflow is not None:
            if action.target_workflow in self.p.workflows:
                return self.workflow_exit_lines(
                    info, action.target_workflow, ctx, action.json_path + ("workflowId",), action
                )
            return [n.Pass()]
        if action.target_step in self.by_id:
            return self.goto_lines(info, action.target_step, ctx)
    return [n.Pass()]


def _failure_nodes(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext, failure: n.Call) -> list[n.Stmt]:
    """The failure actions of a step, then ``raise failure`` (the exception, a call)."""
    ctx.failing = True
    try:
        return self._failure_chain(info, ctx, failure)
    finally:
        ctx.failing = False


#: The exceptions that take ``reason=`` (a failure action of type end ended the workflow).
_REASONED = frozenset(
    {
        "_run.failed",
        "_runtime.criteria_failed",
        "_runtime.timed_out",
        "_runtime.message_failed",
        "_runtime.message_timed_out",
    }
)


def _dotted_name(node: n.Expr) -> str:
    if isinstance(node, n.Name):
        return node.id
    if isinstance(node, n.Attr):
        return _dotted_name(node.value) + "." + node.attr
    return ""


def _failure_chain(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext, failure: n.Call) -> list[n.Stmt]:
    nodes: list[n.Stmt] = []
    retries: list[tuple[n.Expr | None, Action]] = []  # the retry actions so far, with their conditions
    for action in info.failure_actions:
        comment = n.Comment(f"onFailure {comment_text(action.name, 60)}: {self._describe(action)}")
        condition = ctx.criteria(action.criteria, default=n.TRUE) if action.criteria else None
        if condition == n.FALSE and ctx.timed_out:
            what = (
                "the response"
                if info.operation is not None
                else "the message" if info.event is not None else "the called workflow's outputs"
            )
            nodes.append(
                n.Comment(
                    f"onFailure {comment_text(action.name, 60)} is not taken: its criteria read {what}, which a timed-out step has not"
                )
            )
            continue
        if action.kind == "retry":
            retries.append((condition, action))
            guard = n.Compare(n.Name(action.counter), "<", n.Const(action.retry_limit))
            test = n.BoolOp("and", (condition, guard)) if condition is not None else guard
            nodes.append(n.If(test, (comment,) + tuple(self._retry_lines(info, action, ctx))))
            continue
        lines: list[n.Stmt]
        if action.kind == "end":
            raised = self._with_retries(failure, retries)
            if _dotted_name(failure.func) in _REASONED:
                reason = n.Const(f"the failure action {action.name!r} ended the workflow")
                raised = n.Call(raised.func, raised.args, raised.kwargs + (("reason", reason),))
            lines = [n.Raise(raised)]
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
        lines = [self._decided_line(info, "onFailure", action)] + _no_pass(lines)
        if condition is None:
            return nodes + [comment] + lines
        nodes.append(n.If(condition, (comment,) + tuple(lines)))
    return nodes + [n.Raise(self._with_retries(failure, retries))]


def _decided_line(self: WorkflowAnalyzer, info: StepInfo, kind: str, action: Action) -> n.Stmt:
    """The DEBUG record of the action taken (its name and what it does; a retry counts)."""
    what: n.Expr
    if action.kind == "retry":
        first = (
            f", running {action.target_step or 'workflow ' + str(action.target_workflow)} first"
            if action.target_step or action.target_workflow
            else ""
        )
        what = n.FString(("retry ", n.Name(action.counter), f" of at most {action.retry_limit}{first}"))
    else:
        what = n.Const(self._describe(action))
    return n.ExprStmt(n.runtime("decided", n.Const(info.step_id), n.Const(kind), n.Const(action.name), what))


def _with_retries(failure: n.Call, retries: list[tuple[n.Expr | None, Action]]) -> n.Call:
    """``failure`` with the StepFailed arguments that say how often the step's retry
    actions ran it again: those of the (first) retry action whose criteria hold, of several."""
    if not retries:
        return failure
    count: n.Expr
    limit: n.Expr
    if len(retries) == 1:
        count, limit = n.Name(retries[0][1].counter), n.Const(retries[0][1].retry_limit)
    else:
        count, limit = n.NONE, n.NONE
        names = [n.Name(a.counter) for _, a in retries]
        count = names[0]
        for name in names[1:]:
            count = n.BinOp(count, "+", name)
        for condition, action in reversed(retries):
            count = n.Name(action.counter) if condition is None else n.IfExp(n.Name(action.counter), condition, count)
            limit = (
                n.Const(action.retry_limit)
                if condition is None
                else n.IfExp(n.Const(action.retry_limit), condition, limit)
            )
    return n.Call(failure.func, failure.args, failure.kwargs + (("retries", count), ("retry_limit", limit)))


def _retry_lines(self: WorkflowAnalyzer, info: StepInfo, action: Action, ctx: ExprContext) -> list[n.Stmt]:
    after = n.Const(float(action.retry_after)) if action.retry_after is not None else n.NONE
    response = n.Name("_response") if info.operation is not None and not ctx.timed_out else n.NONE
    self.p.runtime_parts.add("retry")
    seconds = n.runtime(
        "retry_delay",
        n.Const(info.step_id),
        response,
        after,
        n.Name("poll_interval"),
        n.Const(self.p.options.poll_interval),
    )
    lines: list[n.Stmt] = [n.AugAssign(action.counter, "+=", n.Const(1)), self._decided_line(info, "onFailure", action)]
    if info.operation is not None and idempotency_header(info.operation, self.p.options.idempotency_header) is not None:
        lines.append(n.ExprStmt(n.call("_keys.retrying", n.Const(info.step_id))))
    if action.target_workflow is not None and action.target_workflow in self.p.workflows:
        overrides = v11_steps.action_arguments(ctx, action, action.target_workflow)
        call = self.call_workflow(action.target_workflow, action.json_path + ("workflowId",), overrides=overrides)
        lines.append(n.Assign(self.workflow_vars[action.target_workflow], call))
    lines.append(self.sleep_line(ctx, info, seconds))
    if action.target_step is not None and action.target_step in self.by_id:
        lines += [n.Assign("_resume", n.Const(info.step_id)), n.Assign("_step", n.Const(action.target_step))]
    lines.append(n.Continue())
    return lines
