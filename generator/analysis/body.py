"""The function body of a workflow: the run's set-up, the steps in their control-flow
shape, the result; the docstring; and the locals nothing reads, dropped."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import events_steps, v11_steps
from .. import expressions as ex
from ..ir import nodes as n
from ..model.references import workflow_expressions
from ..pycode import comment_text, docstring_text
from ..schemas import wire_type

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


def _drop_assignments(
    body: list[n.Stmt] | tuple[n.Stmt, ...], unused: set[str], keep_call: Callable[[str, n.Expr], bool]
) -> list[n.Stmt]:
    """``body`` without the assignments to ``unused`` names (the value stays, as a bare
    statement, when ``keep_call(name, value)``)."""
    out: list[n.Stmt] = []
    for stmt in body:
        if isinstance(stmt, n.Assign) and stmt.target in unused:
            if keep_call(stmt.target, stmt.value):
                out.append(n.ExprStmt(stmt.value))
            continue
        out.append(_map_blocks(stmt, lambda inner: tuple(_drop_assignments(inner, unused, keep_call))))
    return out


def _map_blocks(stmt: n.Stmt, change: Callable[[tuple[n.Stmt, ...]], tuple[n.Stmt, ...]]) -> n.Stmt:
    """``stmt`` with ``change`` applied to each of its nested blocks."""
    if isinstance(stmt, n.If):
        return replace(
            stmt,
            body=change(stmt.body),
            elifs=tuple((test, change(body)) for test, body in stmt.elifs),
            orelse=(change(stmt.orelse) or (n.Pass(),)) if stmt.orelse else (),
        )
    if isinstance(stmt, n.While | n.With):
        return replace(stmt, body=change(stmt.body))
    if isinstance(stmt, n.For):
        return replace(stmt, body=change(stmt.body), orelse=(change(stmt.orelse) or (n.Pass(),)) if stmt.orelse else ())
    if isinstance(stmt, n.Match):
        return replace(stmt, cases=tuple(replace(case, body=change(case.body)) for case in stmt.cases))
    return stmt


def _body(self: WorkflowAnalyzer, *, output_exprs: list[tuple[str, n.Expr]]) -> list[n.Stmt]:
    body: list[n.Stmt] = [
        n.If(n.Compare(n.Name(p.name), "is", n.NONE), (n.Assign(p.name, n.literal(self.mutable_defaults[p.name])),))
        for p in self.input_params
        if p.mutable_default is not None
    ]
    if self.input_checks:
        self.p.runtime_parts.add("inputs")
        checks = [
            n.Tuple((n.Const(p.original), n.Const(p.name), n.Name(p.name), n.literal(c))) for p, c in self.input_checks
        ]
        body.insert(0, n.ExprStmt(n.runtime("check_inputs", *checks)))
    base_at = len(body)
    body += [
        n.Assign("_base", n.runtime("servers", n.Name("SERVERS"), n.Name("servers"))),
    ]
    if self.p.keyed:
        self.p.runtime_parts.add("idempotency")
        body.append(
            n.Assign("_keys", n.runtime("IdempotencyKeys", n.Name("idempotency_key"), n.Const(self.workflow_id)))
        )
    if any(
        scheme.kind == "oauth2-client-credentials"
        for alts in self.step_auth.values()
        for alt in alts
        for scheme, _, _ in alt
    ):
        body.append(
            n.Assign(
                "_tokens",
                n.Dict(()),
                annotation="dict[str, str]",
                comment="OAuth 2.0 access tokens, fetched once per run",
            )
        )
    read_outputs = {
        self.expression_key(ref.workflow_id)
        for ref in workflow_expressions(self.model())
        if isinstance(ref, ex.WorkflowOutput)
    }
    for target, var in self.workflow_vars.items():
        read = target in read_outputs
        if target not in self.depends_on and (target in self.goto_workflows or self.machine or read):
            callee = self.p.workflows[target]
            body.append(n.Assign(var, n.NONE, annotation=f"{callee.outputs_class} | None"))
    inner: list[n.Stmt] = []
    for dep in self.depends_on:
        inner.append(n.Comment(f"dependsOn: workflow {comment_text(dep, 80)} runs first"))
        inner.append(n.Assign(self.workflow_vars[dep], self.call_workflow(dep, self.path + ("dependsOn",))))
    result = self._result(output_exprs)
    if self.machine:
        inner += self._machine()
    else:
        inner += self._sequential()
    deadline = n.runtime(
        "Deadline", n.Name("timeout"), n.Name("max_response_bytes"), n.Name("on_event"), n.Const(self.workflow_id)
    )
    run_args: tuple[n.Expr, ...] = (n.Name("client"), deadline, n.Name("sleep"))
    if self.secret_names:
        run_args += (n.Tuple(tuple(n.Name(name) for name in self.secret_names)),)
    items = [n.WithItem(n.runtime("run", *run_args), n.runtime("arun", *run_args), "_run")]
    items += events_steps.subscriptions(self)  # receive steps subscribe first
    while inner and isinstance(inner[0], n.Blank):
        inner = inner[1:]  # no blank line right after the 'with' line
    inner = events_steps.subscriptions_comment(self) + inner
    body.append(n.With(tuple(items), tuple(inner)))
    body.append(n.Return(result))
    keys = n.Tuple(tuple(n.Const(k) for k in self.used_servers()))
    body[base_at] = n.Assign(
        "_base", n.runtime("client_servers", n.Name("SERVERS"), n.Name("servers"), n.Name("client"), keys)
    )
    return events_steps.without_unused_base(self, body, n.body_names_read(body))


def used_servers(self: WorkflowAnalyzer) -> list[str]:
    """The SERVERS keys the workflow's requests and its callees' use (a caller's base_url applies to them)."""
    keys: set[str] = set()
    todo, seen = [self], {self.key}
    while todo:
        wa = todo.pop()
        keys |= wa.server_keys
        for target in wa.callees:
            callee = self.p.workflows.get(target)
            if callee is not None and callee.key not in seen:
                seen.add(callee.key)
                todo.append(callee)
    return sorted(keys)


def _sequential(self: WorkflowAnalyzer) -> list[n.Stmt]:
    nodes: list[n.Stmt] = []
    index = 0
    while index < len(self.steps):
        if index in self.loops:
            end = self.loops[index]
            body: list[n.Stmt] = []
            counters: list[str] = []
            for info in self.steps[index : end + 1]:
                counters += [a.counter for a in info.failure_actions if a.kind == "retry"]
                body += self._step(info)
            nodes += self._step_comment(self.steps[index]) if index == end else [n.Blank()]
            for early in self.steps[index : end + 1]:
                if early.step_id in self.predeclared.get(index, set()):
                    nodes += [
                        n.Assign(
                            var.name,
                            n.NONE,
                            annotation=wire_type(var.type).or_none().text,
                            comment=f"read before step {comment_text(early.step_id, 40)} runs",
                        )
                        for var in early.outputs.values()
                    ]
            nodes += [n.Assign(name, n.Const(0)) for name in counters]
            if index == end:
                nodes.append(
                    n.Comment("Repeats until an action leaves the loop; _run.wait bounds it (timeout, MAX_ITERATIONS).")
                )
                body = body[len(self._step_comment(self.steps[index])) :]
            else:
                first, last = comment_text(self.steps[index].step_id, 40), comment_text(self.steps[end].step_id, 40)
                nodes.append(
                    n.Comment(f"Steps {first} to {last} repeat until an action leaves the loop (_run.wait bounds it).")
                )
                body = body[1:]  # no blank line right after 'while True:'

            nodes.append(n.While(n.TRUE, tuple(body)))
            index = end + 1
        else:
            nodes += self._step(self.steps[index])
            index += 1
    return nodes


def _machine(self: WorkflowAnalyzer) -> list[n.Stmt]:
    nodes: list[n.Stmt] = []
    for info in self.steps:
        for var in info.outputs.values():
            nodes.append(n.Assign(var.name, n.NONE, annotation=wire_type(var.type).or_none().text))
    counters = [a.counter for info in self.steps for a in info.failure_actions if a.kind == "retry"]
    nodes += [n.Assign(name, n.Const(0)) for name in counters]
    if self.resume_targets:
        nodes.append(
            n.Assign(
                "_resume", n.NONE, annotation="str | None", comment="the step a 'retry' after another step returns to"
            )
        )
    cases = [n.Case(n.Const(info.step_id), tuple(self._step(info))) for info in self.steps]
    cases.append(n.Case(None, (n.Break(),)))
    nodes.append(n.Assign("_step", n.Const(self.steps[0].step_id)))
    nodes.append(
        n.Comment(
            f"A state machine over the steps' goto graph ({comment_text(self.machine_reason, 70)}), bounded by MAX_ITERATIONS."
        )
    )
    timeout = n.Raise(n.call("WorkflowTimeout", n.Name("_step"), n.Const("more than MAX_ITERATIONS transitions")))
    transitions = n.call("range", n.dotted("_runtime.MAX_ITERATIONS"))
    nodes.append(n.For("_transition", transitions, (n.Match(n.Name("_step"), tuple(cases)),), (timeout,)))
    return nodes


def _without_unused(self: WorkflowAnalyzer, body: list[n.Stmt]) -> list[n.Stmt]:
    """``body`` without the locals nothing reads: step outputs no expression uses, the
    secrets tuple of a function that sends no request.  A workflow call, and the JSON
    check of a body, stay as bare calls (they may raise)."""
    calls = set(self.workflow_vars.values())
    candidates = (
        {v.name for info in self.steps for v in info.outputs.values()}
        | calls
        | {"_tokens", "_body", "_keys", events_steps.MESSAGE}
    )

    def keep_call(name: str, value: n.Expr) -> bool:
        if name == events_steps.MESSAGE:
            return events_steps.keep_call(value)  # a send step's send stays; the received message's name goes
        if name == "_body":
            return isinstance(value, n.Call) and value.func == n.dotted("_run.json_body")
        # a declaration (None) goes; a timed call's result (_timed_...) was kept where it was bound
        return name in calls and value != n.NONE and not (isinstance(value, n.Name) and value.id.startswith("_timed_"))

    for _ in range(len(candidates) + 1):  # each round drops at least one name, or ends
        unused = candidates - n.body_names_read(body)
        trimmed = _drop_assignments(body, unused, keep_call)
        if trimmed == body:
            break
        body = trimmed
    return body


def _docstring(self: WorkflowAnalyzer) -> str:
    summary = str(self.workflow.get("summary") or f"Run workflow {self.key}.")
    parts = [summary.strip()]
    description = self.workflow.get("description")
    if description:
        parts.append(str(description).strip())
    flow = f"Workflow ``{self.key}``: " + " -> ".join(s.step_id for s in self.steps) + "."
    if self.depends_on:
        flow += " Runs " + ", ".join(f"``{d}``" for d in self.depends_on) + " first."
    parts.append(flow)
    params = self.input_params + self.credential_params()
    transport_lines = events_steps.docstring_args(self)
    if params or transport_lines:
        arg_lines = ["Args:"]
        for param in params:
            text = " ".join(param.description.split()) or param.original
            if param.mutable_default is not None:
                text += f" Defaults to {param.mutable_default} (None also means the default)."
            arg_lines.append(f"    {param.name}: {text}")
        arg_lines += transport_lines
        parts.append("\n".join(arg_lines))
    parts.append(
        "Raises:\n"
        + ("    InvalidInput: an input the inputs schema rejects (before any request).\n" if self.input_checks else "")
        + "    StepFailed: a step's response did not meet its success criteria.\n"
        + v11_steps.raises_line(self)
        + events_steps.raises_lines(self)
        + "    WorkflowTimeout: the ``timeout`` passed before the workflow finished."
    )
    return docstring_text(_wrapped("\n\n".join(parts), DOCSTRING_WIDTH))


#: The docstring's lines fit black's 88 columns, indented 4 in the function.
DOCSTRING_WIDTH = 88 - 4


def _wrapped(text: str, width: int) -> str:
    """``text`` with each line longer than ``width`` wrapped at spaces; a wrapped line
    keeps its indentation, and the lines after the first of an ``Args:``/``Raises:``
    entry (``name: text``) are indented four more."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        more = indent + "    " if indent else indent
        out += textwrap.wrap(
            line.strip(),
            width,
            initial_indent=indent,
            subsequent_indent=more,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [line]
    return "\n".join(out)
