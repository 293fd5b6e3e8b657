"""The function body of a workflow: the run's set-up, the steps in their control-flow
shape, the result; the docstring; and the locals nothing reads, dropped."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .. import events_steps, v11_steps
from ..plan import Block, Line, Node
from ..pycode import comment_text, docstring_text, py_literal, py_str
from ..schemas import wire_type

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


_ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)(?:: [^=]*)? = (.+)", re.S)


def _source_of(nodes: Iterable[Node], indent: str) -> list[str]:
    """The statements as Python source lines (as the template prints them)."""
    lines: list[str] = []
    for node in nodes:
        if isinstance(node, Block):
            lines.append(indent + node.header)
            lines += _source_of(node.body, indent + "    ") or [indent + "    pass"]
        elif node.text:
            lines.append(indent + node.text)
    return lines


def _names_in(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _names_read(body: Iterable[Node]) -> set[str]:
    """The names a function body reads."""
    return _names_in(ast.parse("async def _body():\n" + "\n".join(_source_of(body, "    ") or ["    pass"]) + "\n"))


def _drop_assignments(nodes: Iterable[Node], unused: set[str], keep_call: Callable[[str, str], bool]) -> list[Node]:
    """``nodes`` without the assignments to ``unused`` names (the value stays, as a bare
    statement, when ``keep_call(name, value)``)."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Block):
            out.append(Block(node.header, tuple(_drop_assignments(node.body, unused, keep_call)) or (Line("pass"),)))
            continue
        match = _ASSIGNMENT.fullmatch(node.text)
        if match is None or match.group(1) not in unused:
            out.append(node)
        elif keep_call(match.group(1), match.group(2)):
            out.append(Line(match.group(2)))
    return out


def _body(self: WorkflowAnalyzer, *, is_async: bool, output_exprs: list[tuple[str, str]]) -> list[Node]:
    body: list[Node] = [
        Block(f"if {p.name} is None:", (Line(f"{p.name} = {p.mutable_default}"),))
        for p in self.input_params
        if p.mutable_default is not None
    ]
    if self.input_checks:
        self.p.runtime_parts.add("inputs")
        body.insert(
            0,
            Line(
                "_runtime.check_inputs("
                + ", ".join(
                    f"({py_str(p.original)}, {py_str(p.name)}, {p.name}, {py_literal(c)})" for p, c in self.input_checks
                )
                + ")"
            ),
        )
    base_at = len(body)
    body += [
        Line("_base = _runtime.servers(SERVERS, servers)"),
        Line(f"_deadline = _runtime.Deadline(timeout, max_response_bytes, on_event, {py_str(self.workflow_id)})"),
    ]
    secrets = ", ".join(self.secret_names)
    body.append(Line(f"_secrets = ({secrets},)" if self.secret_names else "_secrets: tuple[str, ...] = ()"))
    if self.p.keyed:
        body.append(Line(f"_keys = _runtime.IdempotencyKeys(idempotency_key, {py_str(self.workflow_id)})"))
    if any(
        scheme.kind == "oauth2-client-credentials"
        for alts in self.step_auth.values()
        for alt in alts
        for scheme, _, _ in alt
    ):
        body.append(Line("_tokens: dict[str, str] = {}  # OAuth 2.0 access tokens, fetched once per run"))
    text = json.dumps(self.workflow, default=str)
    for target, var in self.workflow_vars.items():
        read = f"$workflows.{target}.outputs" in text
        if target not in self.depends_on and (target in self.goto_workflows or self.machine or read):
            callee = self.p.workflows[target]
            body.append(Line(f"{var}: {callee.outputs_class} | None = None"))
    inner: list[Node] = []
    for dep in self.depends_on:
        inner.append(Line(f"# dependsOn: workflow {comment_text(dep, 80)} runs first"))
        inner.append(
            Line(f"{self.workflow_vars[dep]} = {self.call_workflow(dep, is_async, self.path + ('dependsOn',))}")
        )
    result = self._result(output_exprs)
    if self.machine:
        inner += self._machine(is_async)
    else:
        inner += self._sequential(is_async)
    client_line = (
        "async with _runtime.async_client(client, _deadline) as _http:"
        if is_async
        else "with _runtime.sync_client(client, _deadline) as _http:"
    )
    client_line = events_steps.client_line(self, is_async, client_line)  # receive steps subscribe first
    while inner and inner[0] == Line(""):
        inner = inner[1:]  # no blank line right after the 'with' line
    inner = events_steps.subscriptions_comment(self) + inner
    body.append(Block(client_line, tuple(inner)))
    body.append(Line(f"return {result}"))
    keys = [py_str(k) for k in self.used_servers()]
    body[base_at] = Line(
        f"_base = _runtime.client_servers(SERVERS, servers, client, ({', '.join(keys)}{',' if len(keys) == 1 else ''}))"
    )
    return events_steps.without_unused_http(self, body, _names_read(inner))


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


def _sequential(self: WorkflowAnalyzer, is_async: bool) -> list[Node]:
    nodes: list[Node] = []
    index = 0
    while index < len(self.steps):
        if index in self.loops:
            end = self.loops[index]
            body: list[Node] = []
            counters: list[str] = []
            for info in self.steps[index : end + 1]:
                counters += [a.counter for a in info.failure_actions if a.kind == "retry"]
                body += self._step(info, is_async)
            nodes += self._step_comment(self.steps[index]) if index == end else [Line("")]
            for early in self.steps[index : end + 1]:
                if early.step_id in self.predeclared.get(index, set()):
                    nodes += [
                        Line(
                            f"{var.name}: {wire_type(var.type).or_none().text} = None  # read before step {comment_text(early.step_id, 40)} runs"
                        )
                        for var in early.outputs.values()
                    ]
            nodes += [Line(f"{name} = 0") for name in counters]
            if index == end:
                nodes.append(
                    Line(
                        "# Repeats until an action leaves the loop; _deadline.sleep bounds it (timeout, MAX_ITERATIONS)."
                    )
                )
                body = body[len(self._step_comment(self.steps[index])) :]
            else:
                first, last = comment_text(self.steps[index].step_id, 40), comment_text(self.steps[end].step_id, 40)
                nodes.append(
                    Line(
                        f"# Steps {first} to {last} repeat until an action leaves the loop (_deadline.sleep bounds it)."
                    )
                )
                body = body[1:]  # no blank line right after 'while True:'

            nodes.append(Block("while True:", tuple(body)))
            index = end + 1
        else:
            nodes += self._step(self.steps[index], is_async)
            index += 1
    return nodes


def _machine(self: WorkflowAnalyzer, is_async: bool) -> list[Node]:
    nodes: list[Node] = []
    for info in self.steps:
        for var in info.outputs.values():
            nodes.append(Line(f"{var.name}: {wire_type(var.type).or_none().text} = None"))
    counters = [a.counter for info in self.steps for a in info.failure_actions if a.kind == "retry"]
    nodes += [Line(f"{name} = 0") for name in counters]
    if self.resume_targets:
        nodes.append(Line("_resume: str | None = None  # the step a 'retry' after another step returns to"))
    cases: list[Node] = []
    for info in self.steps:
        cases.append(Block(f"case {py_str(info.step_id)}:", tuple(self._step(info, is_async))))
    cases.append(Block("case _:", (Line("break"),)))
    nodes.append(Line(f"_step = {py_str(self.steps[0].step_id)}"))
    nodes.append(
        Line(
            f"# A state machine over the steps' goto graph ({comment_text(self.machine_reason, 70)}), bounded by MAX_ITERATIONS."
        )
    )
    nodes.append(Block("for _transition in range(_runtime.MAX_ITERATIONS):", (Block("match _step:", tuple(cases)),)))
    nodes.append(Block("else:", (Line('raise WorkflowTimeout(_step, "more than MAX_ITERATIONS transitions")'),)))
    return nodes


def _without_unused(self: WorkflowAnalyzer, body: list[Node]) -> list[Node]:
    """``body`` without the locals nothing reads: step outputs no expression uses, the
    secrets tuple of a function that sends no request.  A workflow call, and the JSON
    check of a body, stay as bare calls (they may raise)."""
    calls = set(self.workflow_vars.values())
    candidates = (
        {v.name for info in self.steps for v in info.outputs.values()}
        | calls
        | {"_secrets", "_tokens", "_body", "_keys", events_steps.MESSAGE}
    )

    def keep_call(name: str, value: str) -> bool:
        if name == events_steps.MESSAGE:
            return events_steps.keep_call(value)  # a send step's send stays; the received message's name goes
        return (
            value.startswith("_runtime.json_body(")
            if name == "_body"
            else name in calls and not value.startswith(("None", "_timed_"))
        )  # _timed_: a timed call's result, kept

    for _ in range(len(candidates) + 1):  # each round drops at least one name, or ends
        unused = candidates - _names_read(body)
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
    return docstring_text("\n\n".join(parts))
