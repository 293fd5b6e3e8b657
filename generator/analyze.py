"""Stage 4, analyze: parse every runtime expression and criterion, infer the
Python type of every output, decide the control flow of every workflow, and
produce the plan (plan.py) that the templates print.

Control flow comes in two shapes:

* sequential: steps run in order; a step that loops on itself (a ``goto`` to its
  own stepId, or a ``retry`` failure action) becomes an inline ``while True``
  loop whose every repetition goes through ``deadline.sleep`` (which bounds it);
* state machine: any other goto graph becomes ``match step:`` inside one
  ``for`` loop bounded by ``_runtime.MAX_ITERATIONS``.  Nothing recurses.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from . import expressions as ex
from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import SourceFile
from .plan import Block, InputParam, Line, ModulePlan, Node, OutputField, ServerEntry, WorkflowPlan
from .pycode import NameAllocator, RESERVED_NAMES, comment_text, docstring_text, fstring_text, pascal_case, py_literal, py_str, snake_case
from .resolve import BoundStep, Operation, Resolved, SchemaLoc
from .schemas import ANY, ModelSet, PyType, TypeInferrer

DEFAULT_POLL_INTERVAL = 1.0
_SECRET_INPUT = re.compile(r"token|key|secret|password|passwd|credential", re.I)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_JSONPATH_QUIRK = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])+)\s*(==|!=|<=|>=|<|>)\s*(.+)$", re.S)
_JSONPATH_FILTER = re.compile(r"^\$\[\?(.+)\]$", re.S)
_AT_PATH = re.compile(r"@((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\]|\['[^']*'\])*)")


@dataclass
class Options:
    poll_interval: float = DEFAULT_POLL_INTERVAL


@dataclass
class StepVar:
    name: str
    type: PyType


@dataclass
class Action:
    name: str
    kind: str  # end | goto | retry
    criteria: list[tuple[dict[str, Any], JsonPath]]
    target_step: str | None
    target_workflow: str | None
    retry_after: float | None
    retry_limit: int
    json_path: JsonPath


@dataclass
class StepInfo:
    bound: BoundStep
    step_id: str
    index: int
    outputs: dict[str, StepVar] = field(default_factory=dict)
    success_actions: list[Action] = field(default_factory=list)
    failure_actions: list[Action] = field(default_factory=list)
    loops: bool = False


class Analyzer:
    """Builds the ModulePlan for one Arazzo document."""

    def __init__(self, resolved: Resolved, models: ModelSet, inferrer: TypeInferrer, report: Report, options: Options, package: str, header: tuple[str, ...]) -> None:
        self.resolved = resolved
        self.arazzo: SourceFile = resolved.arazzo
        self.models = models
        self.inferrer = inferrer
        self.report = report
        self.options = options
        self.package = package
        self.header = header
        self.module_names = NameAllocator({"SERVERS", "StepFailed", "WorkflowError", "WorkflowTimeout", "models"})

    def error(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(self.arazzo.diagnostic(path, message, hint))

    def warn(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(self.arazzo.diagnostic(path, message, hint, severity=Severity.WARNING))

    def run(self) -> ModulePlan:
        data = self.arazzo.data
        workflows: list[WorkflowPlan] = []
        for index, workflow in enumerate(data.get("workflows", [])):
            workflows.append(WorkflowAnalyzer(self, index, workflow).run())
        servers = tuple(ServerEntry(py_str(name), py_str(source.server_url)) for name, source in self.resolved.sources.items() if source.kind == "openapi")
        uses_models = any("models." in field.type_text for wf in workflows for field in wf.outputs)
        info = data.get("info", {})
        title = docstring_text(f"{info.get('title', 'Workflows')} {info.get('version', '')}".strip())
        exports: list[str] = []
        for wf in workflows:
            exports += [wf.function_name, wf.async_function_name, wf.outputs_class]
        return ModulePlan(
            package=self.package,
            header=self.header,
            title=title,
            typing_imports=("Any", "Literal"),
            imports_models=uses_models,
            servers=servers,
            workflows=tuple(workflows),
            exports=tuple(sorted(exports + ["StepFailed", "WorkflowError", "WorkflowTimeout"])),
        )


class WorkflowAnalyzer:
    def __init__(self, parent: Analyzer, index: int, workflow: dict[str, Any]) -> None:
        self.p = parent
        self.index = index
        self.workflow = workflow
        self.path: JsonPath = ("workflows", index)
        self.workflow_id = str(workflow.get("workflowId", f"workflow{index}"))
        self.names = NameAllocator(set(RESERVED_NAMES))
        self.inputs: dict[str, InputParam] = {}
        self.input_types: dict[str, PyType] = {}
        self.steps: list[StepInfo] = []
        self.by_id: dict[str, StepInfo] = {}
        self.machine = False
        self.secret_names: list[str] = []
        self.retry_counters: list[str] = []

    # -- inputs ------------------------------------------------------------------------

    def _inputs(self) -> list[InputParam]:
        schema = self.workflow.get("inputs")
        at = self.path + ("inputs",)
        if schema is None:
            return []
        schema, at = self._deref_input_schema(schema, at)
        if not isinstance(schema, dict):
            return []
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        params: list[InputParam] = []
        for original, prop in properties.items():
            prop_at = at + ("properties", original)
            prop, prop_at = self._deref_input_schema(prop, prop_at)
            loc = SchemaLoc(self.p.arazzo, prop_at, prop)
            py_type = self.p.inferrer.type_of(loc) if isinstance(prop, dict) else ANY
            name = original
            wanted = snake_case(name, fallback="input")
            if wanted in RESERVED_NAMES:
                wanted += "_"
            py_name = self.names.claim(wanted)
            default: str | None = None
            if isinstance(prop, dict) and "default" in prop:
                default = py_literal(prop["default"])
            elif original not in required:
                py_type = py_type.or_none()
                default = "None"
            description = str(prop.get("description", "")) if isinstance(prop, dict) else ""
            secret = bool(_SECRET_INPUT.search(original)) or (isinstance(prop, dict) and prop.get("format") == "password")
            param = InputParam(py_name, original, py_type.text, default, description, secret)
            self.inputs[original] = param
            self.input_types[original] = py_type
            params.append(param)
            if secret:
                self.secret_names.append(py_name)
        return sorted(params, key=lambda p: p.default is not None)

    def _deref_input_schema(self, schema: Any, at: JsonPath) -> tuple[Any, JsonPath]:
        hops = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 16:
            ref = schema["$ref"]
            hops += 1
            if not ref.startswith("#/"):
                self.p.error(at, f"inputs $ref {ref!r} must point into this document", "use '#/components/inputs/<name>'")
                return {}, at
            tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/"))
            node: Any = self.p.arazzo.data
            for token in tokens:
                node = node.get(token) if isinstance(node, dict) else None
            if node is None:
                self.p.error(at, f"inputs $ref {ref!r} points at nothing", "define it under components.inputs")
                return {}, at
            schema, at = node, tokens
        return schema, at

    # -- steps and actions ---------------------------------------------------------------

    def _collect_steps(self) -> None:
        steps = self.workflow.get("steps", [])
        for index, step in enumerate(steps):
            bound = self.p.resolved.steps[(self.index, index)]
            info = StepInfo(bound, str(step.get("stepId")), index)
            for name in step.get("outputs", {}) or {}:
                var = self.names.claim(f"{snake_case(info.step_id, fallback='step')}_{snake_case(name, fallback='output')}")
                info.outputs[name] = StepVar(var, ANY)
            self.steps.append(info)
            self.by_id[info.step_id] = info
        for info in self.steps:
            step = info.bound.step
            at = info.bound.json_path
            info.success_actions = self._actions(step.get("onSuccess"), at + ("onSuccess",), "successActions", self.workflow.get("successActions"))
            info.failure_actions = self._actions(step.get("onFailure"), at + ("onFailure",), "failureActions", self.workflow.get("failureActions"))
        for info in self.steps:
            self_goto = any(a.kind == "goto" and a.target_step == info.step_id for a in info.success_actions + info.failure_actions)
            info.loops = self_goto or any(a.kind == "retry" for a in info.failure_actions)
            for action in info.success_actions + info.failure_actions:
                if action.target_workflow is not None:
                    self.machine = True
                elif action.kind == "goto" and action.target_step not in (None, info.step_id):
                    self.machine = True
                if action.kind == "retry" and action.target_step is not None:
                    self.p.error(action.json_path, "a retry action that first runs another step is not compiled yet", "split it into a goto to that step and a goto back")

    def _actions(self, raw: Any, at: JsonPath, component_kind: str, workflow_level: Any) -> list[Action]:
        actions: list[Action] = []
        names: set[str] = set()
        for source_list, base in ((raw, at), (workflow_level, self.path + (component_kind,))):
            for index, item in enumerate(source_list or []):
                item_at = base + (index,)
                action = self._action(item, item_at, component_kind)
                if action is None or action.name in names:
                    continue  # a step-level action overrides the workflow-level one of the same name
                names.add(action.name)
                actions.append(action)
        return actions

    def _action(self, item: Any, at: JsonPath, component_kind: str) -> Action | None:
        if not isinstance(item, dict):
            return None
        if "reference" in item:
            ref = item["reference"]
            prefix = f"$components.{component_kind}."
            if not isinstance(ref, str) or not ref.startswith(prefix):
                self.p.error(at + ("reference",), f"reference {ref!r} must point into components.{component_kind}", f"write '{prefix}<name>'")
                return None
            name = ref[len(prefix):]
            components = (self.p.arazzo.data.get("components") or {}).get(component_kind) or {}
            if name not in components:
                self.p.error(at + ("reference",), f"unknown reusable action {ref!r}", did_you_mean(name, components))
                return None
            item = components[name]
            at = ("components", component_kind, name)
        criteria = [(c, at + ("criteria", i)) for i, c in enumerate(item.get("criteria") or []) if isinstance(c, dict)]
        kind = str(item.get("type"))
        limit = item.get("retryLimit", 1)
        return Action(
            name=str(item.get("name", "")),
            kind=kind,
            criteria=criteria,
            target_step=item.get("stepId"),
            target_workflow=item.get("workflowId"),
            retry_after=float(item["retryAfter"]) if isinstance(item.get("retryAfter"), (int, float)) else None,
            retry_limit=int(limit) if isinstance(limit, int) else 1,
            json_path=at,
        )

    # -- the plan ------------------------------------------------------------------------

    def run(self) -> WorkflowPlan:
        inputs = self._inputs()
        self._collect_steps()
        fn = snake_case(self.workflow_id, fallback="workflow")
        fn = self.p.module_names.claim(fn if fn not in ("models",) else fn + "_")
        async_fn = self.p.module_names.claim(fn + "_async")
        outputs_class = self.p.module_names.claim(pascal_case(self.workflow_id, fallback="Workflow") + "Outputs")
        # Step bodies are translated once to learn output types; then rendered twice.
        for info in self.steps:
            self._infer_step_outputs(info)
        outputs, output_exprs = self._workflow_outputs()
        sync_body = tuple(self._body(is_async=False, outputs_class=outputs_class, output_exprs=output_exprs))
        async_body = tuple(self._body(is_async=True, outputs_class=outputs_class, output_exprs=output_exprs))
        return WorkflowPlan(
            workflow_id=self.workflow_id,
            function_name=fn,
            async_function_name=async_fn,
            outputs_class=outputs_class,
            docstring=self._docstring(inputs),
            inputs=tuple(inputs),
            outputs=tuple(outputs),
            sync_body=sync_body,
            async_body=async_body,
        )

    def _docstring(self, inputs: list[InputParam]) -> str:
        summary = str(self.workflow.get("summary") or f"Run workflow {self.workflow_id}.")
        parts = [summary.strip()]
        description = self.workflow.get("description")
        if description:
            parts.append(str(description).strip())
        lines = [f"Workflow ``{self.workflow_id}``: " + " -> ".join(s.step_id for s in self.steps) + "."]
        parts.append(lines[0])
        if inputs:
            arg_lines = ["Args:"]
            for param in inputs:
                text = " ".join(param.description.split()) or param.original
                arg_lines.append(f"    {param.name}: {text}")
            parts.append("\n".join(arg_lines))
        parts.append(
            "Raises:\n"
            "    StepFailed: a step's response did not meet its success criteria.\n"
            "    WorkflowTimeout: the ``timeout`` passed before the workflow finished."
        )
        return docstring_text("\n\n".join(parts))

    # -- outputs -------------------------------------------------------------------------

    def _success_response_schema(self, info: StepInfo) -> SchemaLoc | None:
        op = info.bound.operation
        if op is None:
            return None
        statuses = self._success_statuses(info)
        candidates = [r for s, r in sorted(op.responses.items()) if (s in statuses if statuses else s.startswith("2"))]
        for response in candidates:
            if response.schema is not None:
                return response.schema
        return None

    def _success_statuses(self, info: StepInfo) -> set[str]:
        statuses: set[str] = set()
        for criterion in info.bound.step.get("successCriteria") or []:
            if isinstance(criterion, dict) and criterion.get("type") in (None, "simple"):
                for match in re.finditer(r"\$statusCode\s*==\s*(\d{3})", str(criterion.get("condition", ""))):
                    statuses.add(match.group(1))
        return statuses

    def _infer_step_outputs(self, info: StepInfo) -> None:
        ctx = ExprContext(self, info, is_async=False, machine=False)
        for name, raw in (info.bound.step.get("outputs") or {}).items():
            at = info.bound.json_path + ("outputs", name)
            _, py_type = ctx.value(raw, at)
            info.outputs[name].type = py_type

    def _workflow_outputs(self) -> tuple[list[OutputField], list[tuple[str, str]]]:
        fields: list[OutputField] = []
        exprs: list[tuple[str, str]] = []
        attr_names = NameAllocator({"model_config", "model_fields", "model_computed_fields"})
        for name, raw in (self.workflow.get("outputs") or {}).items():
            at = self.path + ("outputs", name)
            ctx = ExprContext(self, None, is_async=False, machine=self.machine)
            source, py_type = ctx.value(raw, at)
            if self._may_be_unset(raw):
                py_type = py_type.or_none()
            attr = attr_names.claim(snake_case(name, fallback="output"))
            if attr.startswith("model_"):
                attr = attr_names.claim(attr + "_")
            fields.append(OutputField(attr, py_str(name), py_type.text, ""))
            exprs.append((py_str(name), source))
        return fields, exprs

    def _may_be_unset(self, raw: Any) -> bool:
        """True when the output reads a step that a goto or early end may skip."""
        if not isinstance(raw, str):
            return False
        try:
            parsed = ex.parse_value(raw)
        except ex.ExpressionError:
            return False
        if not isinstance(parsed, ex.StepOutput) or parsed.step_id not in self.by_id:
            return False
        target = self.by_id[parsed.step_id]
        if self.machine:
            return target.index != 0
        return any(a.kind == "end" for s in self.steps[: target.index] for a in s.success_actions)

    # -- bodies ------------------------------------------------------------------------

    def _body(self, *, is_async: bool, outputs_class: str, output_exprs: list[tuple[str, str]]) -> list[Node]:
        body: list[Node] = [
            Line("base = _runtime.servers(SERVERS, servers)"),
            Line("deadline = _runtime.Deadline(timeout)"),
        ]
        secrets = ", ".join(self.secret_names)
        body.append(Line(f"secrets = ({secrets},)" if self.secret_names else "secrets: tuple[str, ...] = ()"))
        result = f"{outputs_class}.model_validate({{" + ", ".join(f"{k}: {v}" for k, v in output_exprs) + "})"
        inner: list[Node] = []
        if self.machine:
            inner += self._machine(is_async, result)
        else:
            for info in self.steps:
                inner += self._sequential_step(info, is_async, result)
        client_line = "async with _runtime.async_client(client) as http:" if is_async else "with _runtime.sync_client(client) as http:"
        body.append(Block(client_line, tuple(inner)))
        body.append(Line(f"return {result}"))
        return body

    def _sequential_step(self, info: StepInfo, is_async: bool, result: str) -> list[Node]:
        ctx = ExprContext(self, info, is_async=is_async, machine=False)
        last = info.index == len(self.steps) - 1
        transitions = Transitions(
            next=["break"] if info.loops else [],
            end=(["break"] if info.loops else []) if last else [f"return {self._early_result(info)}"],
            goto=self._goto_sequential,
        )
        nodes = self._step_comment(info)
        statements = self._step_statements(info, ctx, transitions)
        if info.loops:
            counters = [Line(f"{name} = 0") for name in ctx.counters]
            nodes += counters
            nodes.append(Line("# Repeats until an action leaves the loop; deadline.sleep bounds it (timeout, MAX_ITERATIONS)."))
            nodes.append(Block("while True:", tuple(statements)))
        else:
            nodes += statements
        return nodes

    def _early_result(self, info: StepInfo) -> str:
        """The outputs when a step before the last ends the workflow: later steps' values are None."""
        later = {v.name for s in self.steps[info.index + 1 :] for v in s.outputs.values()}
        pairs = []
        for name, raw in (self.workflow.get("outputs") or {}).items():
            ctx = ExprContext(self, None, is_async=False, machine=False, unset=later)
            source, _ = ctx.value(raw, self.path + ("outputs", name))
            pairs.append(f"{py_str(name)}: {source}")
        outputs_class = pascal_case(self.workflow_id, fallback="Workflow") + "Outputs"
        return f"{outputs_class}.model_validate({{" + ", ".join(pairs) + "})"

    def _goto_sequential(self, info: StepInfo, action: Action, sleep_line: str) -> list[str]:
        return [sleep_line, "continue"]

    def _machine(self, is_async: bool, result: str) -> list[Node]:
        nodes: list[Node] = []
        declared: list[Node] = []
        for info in self.steps:
            for var in info.outputs.values():
                declared.append(Line(f"{var.name}: {var.type.or_none().text} = None"))
        cases: list[Node] = []
        counters: list[str] = []
        for info in self.steps:
            ctx = ExprContext(self, info, is_async=is_async, machine=True)
            last = info.index == len(self.steps) - 1
            nxt = "break" if last else f"step = {py_str(self.steps[info.index + 1].step_id)}"
            transitions = Transitions(next=[nxt], end=["break"], goto=self._goto_machine)
            body = self._step_comment(info) + self._step_statements(info, ctx, transitions)
            counters += ctx.counters
            cases.append(Block(f"case {py_str(info.step_id)}:", tuple(body)))
        cases.append(Block("case _:", (Line("break"),)))
        nodes += declared
        nodes += [Line(f"{name} = 0") for name in counters]
        nodes.append(Line(f"step = {py_str(self.steps[0].step_id)}"))
        nodes.append(Line("# A state machine over the steps' goto graph, bounded by MAX_ITERATIONS."))
        loop = Block(
            "for _transition in range(_runtime.MAX_ITERATIONS):",
            (Block("match step:", tuple(cases)),),
        )
        nodes.append(loop)
        nodes.append(Block("else:", (Line('raise WorkflowTimeout(step, "more than MAX_ITERATIONS transitions")'),)))
        return nodes

    def _goto_machine(self, info: StepInfo, action: Action, sleep_line: str) -> list[str]:
        target = action.target_step
        if target is None:
            return ["break"]
        lines = []
        if target in self.by_id and self.by_id[target].index <= info.index:
            lines.append(sleep_line)  # a back edge: pace the loop
        lines += [f"step = {py_str(target)}", "continue"]
        return lines

    def _step_comment(self, info: StepInfo) -> list[Node]:
        op = info.bound.operation
        what = f"{op.display_name} ({op.method} {op.path})" if op else "workflow"
        nodes: list[Node] = [Line(""), Line(f"# Step {comment_text(info.step_id, 60)}: {comment_text(what, 120)}")]
        description = info.bound.step.get("description")
        if isinstance(description, str) and description.strip():
            text = comment_text(description, 400)
            nodes += [Line(f"# {line}") for line in textwrap.wrap(text, 76)]
        return nodes

    def _step_statements(self, info: StepInfo, ctx: "ExprContext", transitions: "Transitions") -> list[Node]:
        step = info.bound.step
        at = info.bound.json_path
        op = info.bound.operation
        if op is None:
            if info.bound.workflow_id is not None:
                self.p.error(at + ("workflowId",), "steps that call another workflow are not compiled yet", "inline the other workflow's steps")
            return [Line("raise WorkflowError(" + py_str(f"step {info.step_id!r} has no operation") + ")")]
        statements: list[Node] = [Line(ctx.request_statement(op, step, at))]
        step_literal = py_str(info.step_id)
        ctx.reads_body = False
        success = ctx.criteria([(c, at + ("successCriteria", i)) for i, c in enumerate(step.get("successCriteria") or []) if isinstance(c, dict)], default="response.is_success")
        if ctx.reads_body:  # the success criteria read the body, which may not be JSON
            statements.append(Line("body = _runtime.maybe_json(response)"))
        error_models = self._error_models(op)
        fail_args = f"{step_literal}, response, secrets=secrets" + (f", error_models={error_models}" if error_models else "")
        failure_nodes: list[Node] = []
        for action in info.failure_actions:
            node = self._failure_action(info, action, ctx, transitions, fail_args)
            failure_nodes.append(node)
            if isinstance(node, Line):
                break
        else:
            failure_nodes.append(Line(f"raise StepFailed.from_response({fail_args})"))
        statements.append(Block(f"if {_negate(success)}:", tuple(failure_nodes)))
        needs_body = ctx.step_needs_body(info)
        if needs_body:
            statements.append(Line(f"body = _runtime.json_body({step_literal}, response, secrets=secrets)"))
        for name, raw in (step.get("outputs") or {}).items():
            source, _ = ctx.value(raw, at + ("outputs", name))
            statements.append(Line(f"{info.outputs[name].name} = {source}"))
        for action in info.success_actions:
            outcome = self._success_action(info, action, ctx, transitions)
            if isinstance(outcome, Block):
                statements.append(outcome)
            else:  # an action without criteria always applies: later ones are unreachable
                statements.append(Line(f"# onSuccess {comment_text(action.name, 60)}: {self._describe(action)}"))
                statements += outcome
                return statements
        statements += [Line(t) for t in transitions.next]
        return statements

    def _error_models(self, op: Operation) -> str | None:
        pairs = []
        for status, response in sorted(op.responses.items()):
            if status.startswith("2") or response.schema is None:
                continue
            name = self.p.models.name_of_root(op, status)
            if name:
                pairs.append(f"{py_str(status)}: {py_str(name)}")
        return "{" + ", ".join(pairs) + "}" if pairs else None

    @staticmethod
    def _describe(action: Action) -> str:
        if action.kind == "goto":
            return f"goto {action.target_step or action.target_workflow}"
        if action.kind == "retry":
            after = f" after {action.retry_after:g} s" if action.retry_after is not None else ""
            return f"retry{after}, at most {action.retry_limit} time{'s' if action.retry_limit != 1 else ''}"
        return action.kind

    def _sleep_line(self, ctx: "ExprContext", info: StepInfo, seconds: str) -> str:
        call = "await deadline.asleep" if ctx.is_async else "deadline.sleep"
        return f"{call}(sleep, {seconds}, step={py_str(info.step_id)})"

    def _success_action(self, info: StepInfo, action: Action, ctx: "ExprContext", transitions: "Transitions") -> Block | list[Line]:
        if action.kind == "end":
            lines = transitions.end
        elif action.kind == "goto":
            if action.target_workflow is not None:
                self.p.error(action.json_path + ("workflowId",), "goto to another workflow is not compiled yet", "call the workflow after this one returns")
                lines = ["break"]
            else:
                seconds = f"_runtime.interval(poll_interval, {self.p.options.poll_interval!r})"
                lines = transitions.goto(info, action, self._sleep_line(ctx, info, seconds))
        else:
            self.p.error(action.json_path + ("type",), f"success action type {action.kind!r} is not end or goto", "use end or goto")
            lines = []
        if not action.criteria:
            return [Line(t) for t in lines]
        condition = ctx.criteria(action.criteria, default="True")
        return Block(f"if {condition}:", (Line(f"# onSuccess {comment_text(action.name, 60)}: {self._describe(action)}"),) + tuple(Line(t) for t in lines))

    def _failure_action(self, info: StepInfo, action: Action, ctx: "ExprContext", transitions: "Transitions", fail_args: str) -> Node:
        condition = ctx.criteria(action.criteria, default="True") if action.criteria else None
        comment_line = Line(f"# onFailure {comment_text(action.name, 60)}: {self._describe(action)}")
        if action.kind == "retry":
            counter = self.names.claim(f"{snake_case(action.name or info.step_id, fallback='step')}_retries")
            ctx.counters.append(counter)
            delay = action.retry_after if action.retry_after is not None else self.p.options.poll_interval
            seconds = f"_runtime.retry_after(response, {float(delay)!r})"
            guard = f"{counter} < {action.retry_limit}"
            lines = [f"{counter} += 1", self._sleep_line(ctx, info, seconds), "continue"]
            test = f"{condition} and {guard}" if condition else guard
            return Block(f"if {test}:", (comment_line,) + tuple(Line(t) for t in lines))
        if action.kind == "end":
            lines = [f"raise StepFailed.from_response({fail_args}, reason={py_str(f'failure action {action.name!r} ended the workflow')})"]
        elif action.kind == "goto":
            if action.target_workflow is not None:
                self.p.error(action.json_path + ("workflowId",), "goto to another workflow is not compiled yet", None)
                lines = ["break"]
            else:
                seconds = f"_runtime.interval(poll_interval, {self.p.options.poll_interval!r})"
                lines = transitions.goto(info, action, self._sleep_line(ctx, info, seconds))
        else:
            self.p.error(action.json_path + ("type",), f"failure action type {action.kind!r} is not end, goto or retry", None)
            lines = []
        if condition is None:
            condition = "True"
        return Block(f"if {condition}:", (comment_line,) + tuple(Line(t) for t in lines))


@dataclass
class Transitions:
    next: list[str]
    end: list[str]
    goto: Any  # Callable[[StepInfo, Action, str], list[str]]


class ExprContext:
    """Translates runtime expressions and criteria into Python source for one scope."""

    def __init__(self, wf: WorkflowAnalyzer, info: StepInfo | None, *, is_async: bool, machine: bool, unset: set[str] | None = None) -> None:
        self.wf = wf
        self.info = info
        self.is_async = is_async
        self.machine = machine
        self.unset = unset or set()
        self.counters: list[str] = []
        self.reads_body = False  # set when an expression reads $response.body
        self.path_values: dict[str, str] = {}

    # -- values --------------------------------------------------------------------------

    def value(self, raw: Any, at: JsonPath) -> tuple[str, PyType]:
        """A parameter value, payload member or output: literal, expression or template."""
        if isinstance(raw, str):
            try:
                parsed = ex.parse_value(raw)
            except ex.ExpressionError as exc:
                self.wf.p.error(at, f"malformed runtime expression in {raw!r}: {exc.message}", exc.hint)
                return "None", ANY
            if isinstance(parsed, str):
                return py_str(parsed), PyType("str")
            if isinstance(parsed, ex.Template):
                return self.template(parsed, raw, at), PyType("str")
            return self.expr(parsed, at)
        if isinstance(raw, dict):
            items = [f"{py_str(str(k))}: {self.value(v, at + (str(k),))[0]}" for k, v in raw.items()]
            literal = "{" + ", ".join(items) + "}"
            unset = [py_str(str(k)) for k, v in raw.items() if self._is_optional_input(v)]
            if unset:
                # An optional input the caller left out is left out of the payload, not sent as null.
                literal = f"_runtime.omit_none({literal}, {', '.join(unset)})"
            return literal, PyType("dict[str, Any]")
        if isinstance(raw, list):
            return "[" + ", ".join(self.value(v, at + (i,))[0] for i, v in enumerate(raw)) + "]", PyType("list[Any]")
        literal = py_literal(raw)
        kind = {bool: "bool", int: "int", float: "float", type(None): "None"}.get(type(raw), "Any")
        return literal, PyType(kind)

    def _is_optional_input(self, raw: Any) -> bool:
        """True for a value that is exactly an optional input with no default."""
        if not isinstance(raw, str):
            return False
        try:
            parsed = ex.parse_value(raw)
        except ex.ExpressionError:
            return False
        if not isinstance(parsed, ex.Input) or parsed.pointer:
            return False
        param = self.wf.inputs.get(parsed.name)
        return param is not None and param.default == "None"

    def template(self, parsed: ex.Template, raw: str, at: JsonPath) -> str:
        for offset in parsed.bare:
            expression_text = raw[offset:].split()[0] if raw[offset:].split() else raw[offset:]
            fixed = raw[:offset] + "{" + expression_text + "}" + raw[offset + len(expression_text):]
            self.wf.p.warn(at, f"runtime expression {expression_text!r} is embedded in a string without braces", f"write {fixed!r}")
        pieces: list[tuple[str, bool]] = []  # (python, is_literal_text)
        for part in parsed.parts:
            if isinstance(part, str):
                pieces.append((part, True))
            else:
                source, py_type = self.expr(part, at)
                if py_type.text != "str":
                    source = f"_runtime.text({source})"
                pieces.append((source, False))
        if all(lit or _IDENTIFIER.match(src) for src, lit in pieces):
            return 'f"' + "".join(fstring_text(src) if lit else "{" + src + "}" for src, lit in pieces) + '"'
        return " + ".join(py_str(src) if lit else src for src, lit in pieces)

    def expr(self, node: ex.RuntimeExpr, at: JsonPath) -> tuple[str, PyType]:
        info = self.info
        op = info.bound.operation if info else None
        if isinstance(node, ex.Input):
            return self._input(node, at)
        if isinstance(node, ex.StepOutput):
            return self._step_output(node, at)
        if info is None or op is None:
            if isinstance(node, (ex.StatusCode, ex.Url, ex.Method, ex.RequestHeader, ex.RequestQuery, ex.RequestPath, ex.RequestBody, ex.ResponseHeader, ex.ResponseBody)):
                self.wf.p.error(at, f"{ex.to_source(node)} is only available inside a step", "workflow outputs read step outputs: $steps.<stepId>.outputs.<name>")
                return "None", ANY
        if isinstance(node, ex.StatusCode):
            return "response.status_code", PyType("int")
        if isinstance(node, ex.Url):
            return "str(response.request.url)", PyType("str")
        if isinstance(node, ex.Method):
            return py_str(op.method if op else "GET"), PyType("str")
        if isinstance(node, ex.ResponseHeader):
            return f"response.headers.get({py_str(node.name)})", PyType("str | None", optional=True)
        if isinstance(node, ex.RequestHeader):
            return f"response.request.headers.get({py_str(node.name)})", PyType("str | None", optional=True)
        if isinstance(node, ex.RequestQuery):
            return f"response.request.url.params.get({py_str(node.name)})", PyType("str | None", optional=True)
        if isinstance(node, ex.RequestPath):
            if node.name in self.path_values:
                return self.path_values[node.name], ANY
            self.wf.p.error(at, f"$request.path.{node.name} is not a path parameter of this step", None)
            return "None", ANY
        if isinstance(node, ex.RequestBody):
            return f"_runtime.pointer(_runtime.request_json(response), {py_str(_pointer_text(node.pointer))})", ANY
        if isinstance(node, ex.ResponseBody):
            self.reads_body = True
            assert info is not None
            schema = self.wf._success_response_schema(info)
            tokens = tuple(node.pointer or ())
            py_type = self.wf.p.inferrer.at_pointer(schema, tokens) if schema else ANY
            if not tokens:
                return "body", py_type
            self._check_pointer(schema, tokens, at)
            return f"_runtime.pointer(body, {py_str(_pointer_text(tokens))})", py_type
        self.wf.p.error(at, f"{ex.to_source(node)} is not supported here yet", None)
        return "None", ANY

    def _check_pointer(self, schema: SchemaLoc | None, pointer: tuple[str, ...], at: JsonPath) -> None:
        if schema is None:
            return
        if self.wf.p.inferrer.at_pointer(schema, pointer) is ANY and not self.wf.p.inferrer.has_path(schema, pointer):
            self.wf.p.warn(at, f"the response schema has no member at {_pointer_text(pointer)!r}", "check the JSON pointer against the operation's response schema")

    def _input(self, node: ex.Input, at: JsonPath) -> tuple[str, PyType]:
        name, pointer = node.name, tuple(node.pointer or ())
        if name not in self.wf.inputs and "." in name:
            head, *rest = name.split(".")
            name, pointer = head, tuple(rest) + pointer
        if name not in self.wf.inputs:
            self.wf.p.error(at, f"unknown input $inputs.{name}", did_you_mean(name, self.wf.inputs) or "declare it in the workflow's inputs schema")
            return "None", ANY
        param = self.wf.inputs[name]
        if pointer:
            return f"_runtime.pointer({param.name}, {py_str(_pointer_text(pointer))})", ANY
        return param.name, self.wf.input_types[name]

    def _step_output(self, node: ex.StepOutput, at: JsonPath) -> tuple[str, PyType]:
        target = self.wf.by_id.get(node.step_id)
        if target is None:
            self.wf.p.error(at, f"unknown step {node.step_id!r} in $steps.{node.step_id}.outputs.{node.name}", did_you_mean(node.step_id, self.wf.by_id))
            return "None", ANY
        name, pointer = node.name, tuple(node.pointer or ())
        if name not in target.outputs and "." in name:
            head, *rest = name.split(".")
            if head in target.outputs:
                name, pointer = head, tuple(rest) + pointer
        if name not in target.outputs:
            self.wf.p.error(at, f"step {node.step_id!r} defines no output {name!r}", did_you_mean(name, target.outputs) or f"add it to the outputs of step {node.step_id!r}")
            return "None", ANY
        var = target.outputs[name]
        if var.name in self.unset:
            return "None", var.type.or_none()
        source = var.name
        if self.info is not None and self.machine:
            source = f"_runtime.require({var.name}, {py_str(f'$steps.{node.step_id}.outputs.{name}')}, {py_str(self.info.step_id)})"
        if pointer:
            return f"_runtime.pointer({source}, {py_str(_pointer_text(pointer))})", ANY
        return source, var.type

    # -- requests -----------------------------------------------------------------------

    def request_statement(self, op: Operation, step: dict[str, Any], at: JsonPath) -> str:
        params = self._merged_parameters(step, at)
        by_location: dict[str, list[tuple[str, str]]] = {"path": [], "query": [], "header": [], "cookie": []}
        for (name, location), (raw, p_at) in params.items():
            source, py_type = self.value(raw, p_at)
            if location == "path":
                self.path_values[name] = source
            elif location in ("header", "cookie") and py_type.text not in ("str",):
                source = f"_runtime.text({source})"
            if location in by_location:
                by_location[location].append((name, source))
            else:
                self.wf.p.error(p_at + ("in",), f"parameter location {location!r} is not path, query, header or cookie", None)
        url = self._url(op, dict(by_location["path"]), at)
        headers = by_location["header"]
        explicit = {n.lower() for n, _ in headers}
        headers += self._security_headers(op, explicit, at)
        args = [f"{py_str(self.info.step_id if self.info else '')}", py_str(op.method), url]
        if by_location["query"]:
            args.append("params={" + ", ".join(f"{py_str(n)}: {v}" for n, v in by_location["query"]) + "}")
        body_arg, content_type = self._body_argument(op, step, at)
        if content_type and "content-type" not in explicit:
            headers.append(("Content-Type", py_str(content_type)))
        if headers:
            args.append("headers={" + ", ".join(f"{py_str(n)}: {v}" for n, v in headers) + "}")
        if by_location["cookie"]:
            args.append("cookies={" + ", ".join(f"{py_str(n)}: {v}" for n, v in by_location["cookie"]) + "}")
        if body_arg:
            args.append(body_arg)
        args.append("secrets=secrets")
        call = "await _runtime.asend" if self.is_async else "_runtime.send"
        return f"response = {call}(http, deadline, sleep, " + ", ".join(args) + ")"

    def _merged_parameters(self, step: dict[str, Any], at: JsonPath) -> dict[tuple[str, str], tuple[Any, JsonPath]]:
        merged: dict[tuple[str, str], tuple[Any, JsonPath]] = {}
        sources = ((self.wf.workflow.get("parameters"), self.wf.path + ("parameters",)), (step.get("parameters"), at + ("parameters",)))
        for items, base in sources:
            for index, item in enumerate(items or []):
                p_at = base + (index,)
                resolved = self._parameter(item, p_at)
                if resolved is None:
                    continue
                name, location, value, v_at = resolved
                key = (name, location)
                if location == "header":
                    key = (next((k[0] for k in merged if k[1] == "header" and k[0].lower() == name.lower()), name), location)
                merged[key] = (value, v_at)
        return merged

    def _parameter(self, item: Any, at: JsonPath) -> tuple[str, str, Any, JsonPath] | None:
        if not isinstance(item, dict):
            return None
        if "reference" in item:
            ref = item["reference"]
            prefix = "$components.parameters."
            if not isinstance(ref, str) or not ref.startswith(prefix):
                self.wf.p.error(at + ("reference",), f"parameter reference {ref!r} must point into components.parameters", f"write '{prefix}<name>'")
                return None
            name = ref[len(prefix):]
            components = (self.wf.p.arazzo.data.get("components") or {}).get("parameters") or {}
            if name not in components:
                self.wf.p.error(at + ("reference",), f"unknown reusable parameter {ref!r}", did_you_mean(name, components))
                return None
            target = components[name]
            value_at = at + ("value",) if "value" in item else ("components", "parameters", name, "value")
            value = item["value"] if "value" in item else target.get("value")
            return str(target.get("name")), str(target.get("in", "query")), value, value_at
        if "in" not in item:
            self.wf.p.error(at, f"parameter {item.get('name')!r} has no 'in'", "operation parameters need in: path, query, header or cookie")
            return None
        return str(item.get("name")), str(item["in"]), item.get("value"), at + ("value",)

    def _url(self, op: Operation, path_values: dict[str, str], at: JsonPath) -> str:
        parts = re.split(r"(\{[^{}]+\})", op.path)
        pieces: list[str] = [f"base[{py_str(op.source.name)}]"]
        literal = ""
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                if literal:
                    pieces.append(py_str(literal))
                    literal = ""
                if name not in path_values:
                    self.wf.p.error(at, f"no value for the required path parameter {name!r} of {op.display_name} ({op.method} {op.path})", f"add a parameter: {{name: {name}, in: path, value: ...}}")
                    pieces.append(py_str(part))
                else:
                    pieces.append(f"_runtime.path_param({path_values[name]})")
            else:
                literal += part
        if literal:
            pieces.append(py_str(literal))
        for name in path_values:
            if "{" + name + "}" not in op.path:
                self.wf.p.error(at, f"path parameter {name!r} does not appear in the path {op.path!r}", did_you_mean(name, re.findall(r"\{([^{}]+)\}", op.path)))
        return " + ".join(pieces)

    def _security_headers(self, op: Operation, explicit: set[str], at: JsonPath) -> list[tuple[str, str]]:
        # Credentials for security schemes the workflow leaves to the OpenAPI are not compiled yet;
        # an explicit Authorization / API-key parameter in the workflow is used as written.
        return []

    def _body_argument(self, op: Operation, step: dict[str, Any], at: JsonPath) -> tuple[str | None, str | None]:
        request_body = step.get("requestBody")
        if not isinstance(request_body, dict) or "payload" not in request_body:
            return None, None
        b_at = at + ("requestBody",)
        content_type = request_body.get("contentType")
        if content_type is None:
            content_type = next(iter(op.request_content), "application/json")
        base = str(content_type).split(";")[0].strip().lower()
        payload = request_body["payload"]
        if request_body.get("replacements"):
            self.wf.p.error(b_at + ("replacements",), "payload replacements are not compiled yet", "write the values into the payload directly")
        if base == "application/json" or base.endswith("+json"):
            if isinstance(payload, str):
                source, _ = self.value(payload, b_at + ("payload",))
                return f"content={source}", str(content_type)
            source, _ = self.value(payload, b_at + ("payload",))
            extra = None if base == "application/json" else str(content_type)
            return f"json={source}", extra
        if base == "application/x-www-form-urlencoded" and isinstance(payload, dict):
            source, _ = self.value(payload, b_at + ("payload",))
            return f"data={source}", None
        source, _ = self.value(payload if isinstance(payload, str) else payload, b_at + ("payload",))
        return f"content={source}", str(content_type)

    # -- criteria ----------------------------------------------------------------------

    def step_needs_body(self, info: StepInfo) -> bool:
        step = info.bound.step
        texts = [str(v) for v in (step.get("outputs") or {}).values()]
        for action in info.success_actions:
            for criterion, _ in action.criteria:
                texts.append(str(criterion.get("condition", "")))
                texts.append(str(criterion.get("context", "")))
        return any("$response.body" in t for t in texts)

    def criteria(self, items: list[tuple[dict[str, Any], JsonPath]], *, default: str) -> str:
        if not items:
            return default
        parts = [self.criterion(c, at) for c, at in items]
        if len(parts) == 1:
            return parts[0]
        return " and ".join(f"({p})" if " or " in p else p for p in parts)

    def criterion(self, criterion: dict[str, Any], at: JsonPath) -> str:
        kind = criterion.get("type", "simple")
        condition = str(criterion.get("condition", ""))
        version = None
        if isinstance(kind, dict):
            version = kind.get("version")
            kind = kind.get("type")
        if kind == "simple":
            try:
                tree = ex.parse_condition(condition)
            except ex.ExpressionError as exc:
                self.wf.p.error(at + ("condition",), f"malformed condition {condition!r} at column {exc.offset + 1}: {exc.message}", exc.hint)
                return "False"
            return self.boolean(tree, at + ("condition",))
        context_source = self._context(criterion, at)
        if context_source is None:
            return "False"
        if kind == "regex":
            try:
                re.compile(condition)
            except re.error as exc:
                self.wf.p.error(at + ("condition",), f"invalid regular expression {condition!r}: {exc}", None)
                return "False"
            return f"_runtime.matches({py_str(condition)}, {context_source})"
        if kind == "jsonpath":
            return self._jsonpath(condition, context_source, at, version)
        if kind == "xpath":
            self.wf.p.error(at + ("type",), "xpath criteria are not compiled yet", None)
            return "False"
        self.wf.p.error(at + ("type",), f"unknown criterion type {kind!r}", "use simple, regex, jsonpath or xpath")
        return "False"

    def _context(self, criterion: dict[str, Any], at: JsonPath) -> str | None:
        raw = criterion.get("context")
        if raw is None:
            self.wf.p.error(at, "a regex, jsonpath or xpath criterion needs a context", "add context: $response.body")
            return None
        try:
            parsed = ex.parse_expression(str(raw))
        except ex.ExpressionError as exc:
            self.wf.p.error(at + ("context",), f"malformed context expression {raw!r}: {exc.message}", exc.hint)
            return None
        source, _ = self.expr(parsed, at + ("context",))
        return source

    def _jsonpath(self, condition: str, context: str, at: JsonPath, version: str | None) -> str:
        quirk = _JSONPATH_QUIRK.match(condition.strip())
        if quirk:
            path, op, literal = quirk.groups()
            fixed = f"$[?@{path} {op} {literal.strip()}]"
            self.wf.p.warn(at + ("condition",), f"JSONPath condition {condition!r} is a comparison, not an RFC 9535 query", f"write {fixed!r}")
            return self._filter(f"@{path} {op} {literal}", context, at)
        match = _JSONPATH_FILTER.match(condition.strip())
        if match:
            return self._filter(match.group(1), context, at)
        self.wf.p.error(at + ("condition",), f"JSONPath query {condition!r} is not compiled yet", "supported: a filter on the context, e.g. $[?@.status == 'ended']")
        return "False"

    def _filter(self, text: str, context: str, at: JsonPath) -> str:
        """A JSONPath filter applied to the context value itself: '@.a.b' -> pointer into it."""
        placeholders: dict[str, str] = {}

        def substitute(match: re.Match[str]) -> str:
            tokens = re.findall(r"\.([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]|\['([^']*)'\]", match.group(1))
            pointer = tuple(a or b or c for a, b, c in tokens)
            key = f"$inputs.__jsonpath_{len(placeholders)}"
            placeholders[key] = f"_runtime.pointer(_context, {py_str(_pointer_text(pointer))})" if pointer else "_context"
            return key

        rewritten = _AT_PATH.sub(substitute, text)
        try:
            tree = ex.parse_condition(rewritten)
        except ex.ExpressionError as exc:
            self.wf.p.error(at + ("condition",), f"malformed JSONPath filter {text!r}: {exc.message}", None)
            return "False"
        source = self.boolean(tree, at + ("condition",), placeholders)
        return source.replace("_context", context)

    def boolean(self, node: ex.Condition, at: JsonPath, placeholders: dict[str, str] | None = None) -> str:
        if isinstance(node, ex.And):
            return f"{self._group(node.left, at, placeholders, ex.Or)} and {self._group(node.right, at, placeholders, ex.Or)}"
        if isinstance(node, ex.Or):
            return f"{self.boolean(node.left, at, placeholders)} or {self.boolean(node.right, at, placeholders)}"
        if isinstance(node, ex.Not):
            inner = self.boolean(node.operand, at, placeholders)
            return f"not ({inner})" if " " in inner else f"not {inner}"
        if isinstance(node, ex.Compare):
            left, left_type = self.operand(node.left, at, placeholders)
            right, right_type = self.operand(node.right, at, placeholders)
            numeric = {"int", "float"}
            if left_type.text in numeric and right_type.text in numeric:
                return f"{left} {node.op} {right}"
            helper = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[node.op]
            return f"_runtime.{helper}({left}, {right})"
        source, py_type = self.operand(node, at, placeholders)
        if py_type.text == "bool":
            return source
        return f"_runtime.truthy({source})"

    def _group(self, node: ex.Condition, at: JsonPath, placeholders: dict[str, str] | None, loose: type) -> str:
        text = self.boolean(node, at, placeholders)
        return f"({text})" if isinstance(node, loose) else text

    def operand(self, node: ex.Condition, at: JsonPath, placeholders: dict[str, str] | None = None) -> tuple[str, PyType]:
        if isinstance(node, ex.Literal):
            value = node.value
            kind = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "None")
            return py_literal(value), PyType(kind)
        if isinstance(node, ex.Ref):
            if placeholders and isinstance(node.expr, ex.Input) and ex.to_source(node.expr) in placeholders:
                return placeholders[ex.to_source(node.expr)], ANY
            return self.expr(node.expr, at)
        if isinstance(node, ex.Index):
            target, _ = self.operand(node.target, at, placeholders)
            return f"_runtime.index({target}, {py_literal(node.index)})", ANY
        if isinstance(node, ex.Prop):
            target, _ = self.operand(node.target, at, placeholders)
            return f"_runtime.index({target}, {py_str(node.name)})", ANY
        return self.boolean(node, at, placeholders), PyType("bool")


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def _negate(condition: str) -> str:
    """``not (condition)``, written the way a person would for the common cases."""
    if condition == "response.is_success":
        return "not response.is_success"
    match = re.fullmatch(r"response\.status_code (==|!=|<=|>=|<|>) (\d+)", condition)
    if match:
        return f"response.status_code {_NEGATED[match.group(1)]} {match.group(2)}"
    return f"not ({condition})"


def _pointer_text(pointer: tuple[str, ...] | None) -> str:
    if not pointer:
        return ""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in pointer)
