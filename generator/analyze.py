"""Stage 4, analyze: parse every runtime expression and criterion, infer the
Python type of every output, decide the control flow of every workflow, and
produce the plan (plan.py) that the templates print.

Control flow comes in two shapes:

* sequential: steps run in order.  A loop (a ``goto`` back to an earlier step or
  to the step itself, or a ``retry``) becomes an inline ``while True`` around the
  steps it repeats; every repetition goes through ``deadline.sleep``, which
  bounds it by the timeout and ``MAX_ITERATIONS``.  Loops must be disjoint.
* state machine: any other goto graph (a forward jump past the next step, loops
  that nest or cross, a retry that first runs another step, a step reading the
  outputs of a step that has not run yet) becomes ``match step:`` inside one
  ``for`` loop bounded by ``_runtime.MAX_ITERATIONS``.

Workflows call each other (dependsOn, workflowId steps, goto/retry to a
workflow) as plain function calls; a cycle among those calls is a compile-time
error, so nothing recurses.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from . import expressions as ex
from . import v11_conditions, v11_grammar
from . import v11_identity, v11_querystring, v11_selectors, v11_self
from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import SourceFile, walk
from .plan import Block, InputParam, Line, ModulePlan, Node, OutputField, ServerEntry, WorkflowPlan
from .inputs import compile_schema
from .jsonpath_py import Unsupported, compile_criterion
from .pycode import NameAllocator, RESERVED_NAMES, comment_text, docstring_text, fstring_text, model_field_name, pascal_case, py_literal, py_str, snake_case
from .resolve import Operation, Resolved, SchemaLoc, SecurityScheme, linked_workflow
from .regex import RegexError, ecma_pattern
from .schemas import ANY, DATETIME_TYPE, ModelSet, PyType, TypeInferrer, wire_type
from .validate import is_arazzo_1_1
from . import v11_steps
from . import events_steps
from .asyncapi_model import EventTarget

DEFAULT_POLL_INTERVAL = 1.0
#: The input names ``$inputs.<name>`` reads (up to a '.', '#' or the end of the name).
_INPUT_NAME = re.compile(r"\$inputs\.([A-Za-z0-9_\-]+)")
_SECRET_INPUT = re.compile(r"token|key|secret|password|passwd|credential", re.I)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER_LIKE = re.compile(r"^[A-Za-z0-9_\-]+$")
_JSONPATH_QUIRK = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])+)\s*(==|!=|<=|>=|<|>)\s*(.+)$", re.S)
_STEP_REF = re.compile(r"\$steps\.([A-Za-z0-9_\-]+)\.")
_STATUS_REF = re.compile(r"\$statusCode\s*==\s*(\d{3})")
_GOESSNER = "draft-goessner-dispatch-jsonpath-00"
_XPATH_VERSIONS = ("xpath-10", "xpath-20", "xpath-30", "xpath-31")
_TRANSPORT_RETRY_STATUSES = frozenset({"502", "503", "504"})
#: Statuses a step's criteria may handle themselves (then not retried by the runtime); a
#: 429 the OpenAPI merely documents is still retried (with its Retry-After, capped),
#: unless the step has retry actions.
_CRITERIA_RETRY_STATUSES = _TRANSPORT_RETRY_STATUSES | {"429"}
#: The header parameter (lower case) that makes a POST safe to send again with the same value;
#: the ``idempotency-header`` option names one more.
_IDEMPOTENCY_HEADER = "idempotency-key"


def idempotency_header(op: Operation, configured: str | None = None) -> str | None:
    """The idempotency header the operation declares (as it spells it), if any: the
    configured name (any case) when the operation declares it, else ``Idempotency-Key``."""
    headers = [name for name, location in op.parameters if location == "header"]
    for wanted in ([configured.lower()] if configured else []) + [_IDEMPOTENCY_HEADER]:
        found = next((name for name in headers if name.lower() == wanted), None)
        if found is not None:
            return found
    return None


@dataclass
class Options:
    poll_interval: float = DEFAULT_POLL_INTERVAL
    #: A header name (any case) that, besides ``Idempotency-Key``, marks an operation idempotency-keyed.
    idempotency_header: str | None = None


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
    counter: str = ""  # retry: the counter variable
    parameters: Any = None  # Arazzo 1.1: inputs of the workflow the action goes to


@dataclass
class StepInfo:
    step_id: str
    index: int
    step: dict[str, Any]
    json_path: JsonPath
    operation: Operation | None
    workflow_id: str | None  # a step that calls another workflow of this document
    outputs: dict[str, StepVar] = field(default_factory=dict)
    #: Outputs of the called workflow read through this step without the step declaring
    #: them (a quirk): name -> the value they are computed from ('$outputs.<name>').
    implicit_outputs: dict[str, str] = field(default_factory=dict)
    payload_name: str = ""  # the variable holding the request body, when it needs one
    success_actions: list[Action] = field(default_factory=list)
    failure_actions: list[Action] = field(default_factory=list)
    event: EventTarget | None = None  # Arazzo 1.1: the AsyncAPI channel a send/receive step is bound to


@dataclass(frozen=True)
class Credential:
    """One credential a security scheme needs (a keyword argument of the function)."""

    key: str  # "<source>/<scheme>/<part>": the same credential across workflows
    part: str  # token | username | password | key | client_id | client_secret
    scheme: SecurityScheme
    source: str
    wanted: str  # Python name it would like
    secret: bool


@dataclass
class Auth:
    """How one request authenticates: extra request parts and lines before it."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[tuple[str, str]] = field(default_factory=list)
    prelude: list[str] = field(default_factory=list)


#: Names workflows.py imports or defines itself (templates/workflows.py.jinja): a
#: workflow function or Outputs class of the same name would shadow them.
MODULE_NAMES = frozenset(
    {
        "SERVERS", "StepFailed", "WorkflowError", "WorkflowTimeout", "InvalidInput", "models", "_runtime",
        "annotations", "asyncio", "time", "httpx", "Field", "Awaitable", "Callable", "Mapping",
        "Any", "Literal", "cast", DATETIME_TYPE,
    }
)


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
        self.module_names = NameAllocator(MODULE_NAMES)
        self.workflows: dict[str, WorkflowAnalyzer] = {}
        self.token_urls: dict[str, tuple[str, str]] = {}  # SERVERS key -> (source, absolute token URL)
        self.runtime_parts: set[str] = set()
        #: Some step sends an idempotency key: every function takes ``idempotency_key``.
        self.keyed = any(b.operation is not None and idempotency_header(b.operation, options.idempotency_header) is not None for b in resolved.all_steps())

    def error(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(self.arazzo.diagnostic(path, message, hint))

    def warn(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(self.arazzo.diagnostic(path, message, hint, severity=Severity.WARNING))

    def run(self) -> ModulePlan:
        data = self.arazzo.data
        analyzers = [WorkflowAnalyzer(self, doc, index, workflow) for doc in self.resolved.documents or [self.resolved] for index, workflow in enumerate(doc.arazzo.data.get("workflows", []))]
        for position, wa in enumerate(analyzers):
            wa.position = position
            first = self.workflows.setdefault(wa.key, wa)
            if first is not wa and first.doc is not wa.doc:
                # only an id outside [A-Za-z0-9_-]+ can do that: report it there
                culprit, other = (first, wa) if _IDENTIFIER_LIKE.match(wa.workflow_id) else (wa, first)
                culprit.error(culprit.path + ("workflowId",), f"workflowId {culprit.workflow_id!r} names this workflow {wa.key}, like workflow {other.workflow_id!r} of {other.doc.arazzo.display}", "rename it: workflowIds should match [A-Za-z0-9_-]+ (no '.' or '$')")
                self.workflows[wa.key] = other  # references by that key mean the well-named one
        for wa in analyzers:
            wa.prepare()
        order = self._call_order(analyzers)
        for wa in order:
            wa.plan_credentials()
        plans: dict[int, WorkflowPlan] = {}
        for wa in order:
            plans[wa.position] = wa.run()
        workflows = [plans[i] for i in sorted(plans)]
        servers = [ServerEntry(py_str(source.key), py_str(source.server_url)) for source in self.resolved.all_sources() if source.kind == "openapi"]
        servers += [ServerEntry(py_str(key), py_str(url)) for key, (_, url) in sorted(self.token_urls.items())]
        uses_models = any("models." in f.type_text for wf in workflows for f in wf.outputs)
        uses_datetime = any(DATETIME_TYPE in f.type_text for wf in workflows for f in wf.outputs)
        info = data.get("info", {})
        title = docstring_text(f"{info.get('title', 'Workflows')} {info.get('version', '')}".strip())
        exports: list[str] = []
        for wf in workflows:
            exports += [wf.function_name, wf.async_function_name, wf.outputs_class]
        runtime_exports = ["InvalidInput", "StepFailed", "WorkflowError", "WorkflowTimeout"]
        if any(v11_steps.has_step_timeout(wa) for wa in order):
            runtime_exports.append("StepTimedOut")  # Arazzo 1.1: a step's own timeout ran out
        event_exports, receiver_exports, receivers = events_steps.module_extras(self, order)  # Arazzo 1.1 event steps
        runtime_exports = sorted(set(runtime_exports) | set(event_exports), key=lambda name: (name.lower(), name))  # as isort orders classes
        exports += receiver_exports
        return ModulePlan(
            package=self.package,
            header=self.header,
            title=title,
            typing_imports=_typing_imports(workflows),
            imports_models=uses_models,
            servers=tuple(servers),
            workflows=tuple(workflows),
            exports=tuple(sorted(exports + runtime_exports)),
            runtime_exports=tuple(runtime_exports),
            runtime_parts=tuple(sorted(self.runtime_parts)),
            pydantic_imports=((DATETIME_TYPE,) if uses_datetime else ()) + (("Field",) if any(wf.outputs for wf in workflows) else ()),
            idempotency_keys=self.keyed,
            receivers=tuple(receivers),
        )

    def _call_order(self, analyzers: list[WorkflowAnalyzer]) -> list[WorkflowAnalyzer]:
        """Callees before callers; a cycle of calls is an error (nothing may recurse)."""
        order: list[WorkflowAnalyzer] = []
        state: dict[int, int] = {}  # by position: two workflows may share a key (reported)
        for start in analyzers:
            if start.position in state:
                continue
            stack: list[tuple[WorkflowAnalyzer, int]] = [(start, 0)]
            trail: list[str] = []
            while stack:
                wa, child = stack.pop()
                if child == 0:
                    state[wa.position] = 1
                    trail.append(wa.key)
                callees = wa.callee_list()
                if child < len(callees):
                    stack.append((wa, child + 1))
                    target, at = callees[child]
                    nxt = self.workflows.get(target)
                    if nxt is None:
                        continue
                    if state.get(nxt.position) == 1:
                        cycle = trail[trail.index(target):] + [target]
                        wa.error(at, "workflows call each other in a cycle: " + " -> ".join(cycle), "generated functions never recurse; break the cycle (a loop of steps inside one workflow is fine)")
                    elif nxt.position not in state:
                        stack.append((nxt, 0))
                else:
                    state[wa.position] = 2
                    trail.pop()
                    order.append(wa)
        return order


class WorkflowAnalyzer:
    def __init__(self, parent: Analyzer, doc: Resolved, index: int, workflow: dict[str, Any]) -> None:
        self.p = parent
        self.doc = doc  # the Arazzo document the workflow is written in
        self.index = index
        self.position = 0  # among all workflows of all documents
        self.workflow = workflow
        self.path: JsonPath = ("workflows", index)
        self.workflow_id = str(workflow.get("workflowId", f"workflow{index}"))
        self.key = doc.workflow_key(self.workflow_id)
        # A workflow of a linked document is named after the source names that reach it.
        self.name_stem = f"{doc.prefix.replace('.', '_')}_{self.workflow_id}" if doc.prefix else self.workflow_id
        self.names = NameAllocator(set(RESERVED_NAMES))
        self.inputs: dict[str, InputParam] = {}
        self.input_types: dict[str, PyType] = {}
        self.input_params: list[InputParam] = []
        self.required_inputs: set[str] = set()
        self.steps: list[StepInfo] = []
        self.by_id: dict[str, StepInfo] = {}
        self.secret_names: list[str] = []
        self.callees: dict[str, JsonPath] = {}
        self.depends_on: list[str] = []
        self.goto_workflows: set[str] = set()
        self.workflow_vars: dict[str, str] = {}
        self.credentials: dict[str, Credential] = {}
        self.credential_names: dict[str, str] = {}
        self.required_credentials: set[str] = set()
        self.step_auth: dict[int, list[list[tuple[SecurityScheme, tuple[str, ...], str]]]] = {}
        self.output_fields: dict[str, OutputField] = {}
        self.output_types: dict[str, PyType] = {}
        # control flow
        self.machine = False
        self.machine_reason = ""
        self.loops: dict[int, int] = {}  # loop start index -> end index (sequential form)
        self.resume_targets: set[str] = set()
        self.predeclared: dict[int, set[str]] = {}  # loop start -> steps whose outputs are read before they run
        self.fn = ""
        self.async_fn = ""
        self.outputs_class = ""
        self.server_keys: set[str] = set()  # the SERVERS keys this workflow's requests use
        self.input_checks: list[tuple[InputParam, dict[str, Any]]] = []  # compiled inputs schema, by input

    # -- preparation: names, inputs, steps, actions, calls ------------------------------

    def error(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.p.report.add(self.doc.arazzo.diagnostic(path, message, hint))

    def warn(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.p.report.add(self.doc.arazzo.diagnostic(path, message, hint, severity=Severity.WARNING))

    def workflow_key(self, ref: str, at: JsonPath | None = None) -> str | None:
        """The key of the workflow ``ref`` names in this workflow's document: a local
        workflowId, or ``$sourceDescriptions.<name>.<workflowId>`` (reported when
        unknown, if ``at`` is given)."""
        if ref.startswith("$sourceDescriptions."):
            if at is None:
                return None
            return linked_workflow(self.doc, ref, at, self.p.report)
        if ref in self.doc.workflow_ids():
            return self.doc.workflow_key(ref)
        return None

    def expression_key(self, workflow_id: str) -> str | None:
        """The key of ``$workflows.<workflow_id>``: a workflow of this document, else a
        workflow of a linked document that this workflow runs, named by its workflowId."""
        key = self.workflow_key(workflow_id)
        if key is not None:
            return key
        matches = self.linked_callees(workflow_id)
        return matches[0] if len(matches) == 1 else None

    def linked_callees(self, workflow_id: str) -> list[str]:
        """Keys of the workflows of other documents this one runs whose workflowId is ``workflow_id``."""
        return sorted(k for k in self.callees if k in self.p.workflows and self.p.workflows[k].workflow_id == workflow_id and self.p.workflows[k].doc is not self.doc)

    def prepare(self) -> None:
        fn = snake_case(self.name_stem, fallback="workflow")
        self.fn = self.p.module_names.claim(fn)
        if self.fn != fn:
            self.warn(self.path + ("workflowId",), f"workflow {self.key!r} is generated as {self.fn}(), since {fn} is taken by another workflow or by the module itself", "rename one of the workflows")
        self.async_fn = self.p.module_names.claim(self.fn + "_async")
        self.outputs_class = self.p.module_names.claim(pascal_case(self.name_stem, fallback="Workflow") + "Outputs")
        self.input_params = self._inputs()
        self._collect_steps()
        for index, dep in enumerate(self.workflow.get("dependsOn") or []):
            at = self.path + ("dependsOn", index)
            if not isinstance(dep, str):
                continue
            key = self.workflow_key(dep, at)
            if key is not None and key in self.p.workflows and key not in self.depends_on:
                self.depends_on.append(key)
                self.callees.setdefault(key, at)
        for info in self.steps:
            if info.workflow_id is not None:
                self.callees.setdefault(info.workflow_id, info.json_path + ("workflowId",))
            for action in info.success_actions + info.failure_actions:
                target = action.target_workflow
                if target is None:
                    continue
                if target in self.p.workflows:
                    self.callees.setdefault(target, action.json_path + ("workflowId",))
                    if action.kind == "goto" or action.kind == "retry":
                        self.goto_workflows.add(target)
        for target in self.callees:
            self.workflow_vars[target] = self.names.claim(f"{snake_case(self.p.workflows[target].name_stem, fallback='workflow')}_outputs")

    def callee_list(self) -> list[tuple[str, JsonPath]]:
        return list(self.callees.items())

    def _inputs(self) -> list[InputParam]:
        schema = self.workflow.get("inputs")
        at = self.path + ("inputs",)
        if schema is None:
            return self._undeclared_inputs()
        schema, at = self._deref_input_schema(schema, at)
        if not isinstance(schema, dict):
            return []
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        params: list[InputParam] = []
        for original, prop in properties.items():
            prop_at = at + ("properties", original)
            prop, prop_at = self._deref_input_schema(prop, prop_at)
            loc = SchemaLoc(self.doc.arazzo, prop_at, prop)
            py_type = wire_type(self.p.inferrer.type_of(loc)) if isinstance(prop, dict) else ANY
            wanted = snake_case(original, fallback="input")
            py_name = self.names.claim(wanted)
            self._warn_renamed_input(original, wanted, py_name, prop_at)
            default: str | None = None
            mutable_default: str | None = None
            if isinstance(prop, dict) and isinstance(prop.get("default"), (dict, list)):
                mutable_default = py_literal(prop["default"])
                default = "None"
            elif isinstance(prop, dict) and "default" in prop:
                default = py_literal(prop["default"])
            elif original not in required:
                py_type = py_type.or_none()
                default = "None"
            if default is None:
                self.required_inputs.add(original)
            description = str(prop.get("description", "")) if isinstance(prop, dict) else ""
            secret = bool(_SECRET_INPUT.search(original)) or (isinstance(prop, dict) and prop.get("format") == "password")
            type_text = py_type.or_none().text if mutable_default is not None else py_type.text
            param = InputParam(py_name, original, type_text, default, description, secret, mutable_default)
            checks = compile_schema(prop, lambda message: self.warn(prop_at, message, "write it in the ECMA-262 subset Python's re also reads"))
            if checks:
                self.input_checks.append((param, {**checks, "optional": True} if default == "None" else checks))
            self.inputs[original] = param
            self.input_types[original] = py_type
            params.append(param)
            if secret:
                self.secret_names.append(py_name)
        return sorted(params, key=lambda p: p.default is not None)

    def _undeclared_inputs(self) -> list[InputParam]:
        """A workflow with no inputs schema at all whose expressions read ``$inputs.x``
        (real documents do): each such name becomes a required argument typed Any,
        with a warning naming the declaration.  (With an inputs schema that lacks the
        name, ``$inputs.x`` stays an error: the schema says what the inputs are.)"""
        params: list[InputParam] = []
        for here, node in walk(self.workflow, self.path):
            if not isinstance(node, str) or "$inputs." not in node or here[-1:] in (("description",), ("summary",)):
                continue  # prose may mention an input without reading it
            for original in _INPUT_NAME.findall(node):
                if original in self.inputs:
                    continue
                wanted = snake_case(original, fallback="input")
                py_name = self.names.claim(wanted)
                self._warn_renamed_input(original, wanted, py_name, here)
                secret = bool(_SECRET_INPUT.search(original))
                param = InputParam(py_name, original, "Any", None, "", secret)
                self.inputs[original] = param
                self.input_types[original] = ANY
                self.required_inputs.add(original)
                params.append(param)
                if secret:
                    self.secret_names.append(py_name)
                declared = f"inputs: {{type: object, properties: {{{original}: {{type: string}}}}, required: [{original}]}}"
                self.warn(here, f"workflow {self.workflow_id!r} has no inputs schema: $inputs.{original} becomes the required argument {py_name}, typed Any", f"declare it in the workflow's inputs, e.g. {declared}")
        return params

    def _warn_renamed_input(self, original: str, wanted: str, py_name: str, at: JsonPath) -> None:
        """Warn when input ``original`` does not become the argument its snake_case name would be."""
        natural = wanted[:-1] if wanted.endswith("_") and (keyword.iskeyword(wanted[:-1]) or keyword.issoftkeyword(wanted[:-1])) else wanted
        if py_name == natural:
            return
        if natural != wanted:
            why = f"{natural} is a Python keyword"
        elif natural in RESERVED_NAMES:
            why = f"{natural} is an option of the function or a name the module imports"
        else:
            why = f"{natural} is taken by another input"
        self.warn(at, f"input {original!r} is generated as argument {py_name}, since {why}", f"rename the input, or pass it as {py_name}=...")

    def _implicit_callee_outputs(self) -> None:
        """Quirk: ``$steps.<s>.outputs.<name>`` where step ``s`` calls a workflow that has
        output ``name`` but the step does not declare it.  Arazzo 1.0.1 gives a step the
        outputs its ``outputs`` map declares, and a workflow step's map reads the called
        workflow with ``$outputs.<name>``; tools that run such documents read the called
        workflow's outputs through the step.  The step gets ``name: $outputs.<name>``,
        and each reference a warning (see ExprContext._output_of_step)."""
        for step_id, name in sorted(set(_STEP_OUTPUT_REF.findall(json.dumps(self.workflow, default=str)))):
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
                    var = self.names.claim(f"{snake_case(info.step_id, fallback='step')}_{snake_case(candidate, fallback='output')}")
                    info.outputs[candidate] = StepVar(var, ANY)
                    info.implicit_outputs[candidate] = f"$outputs.{candidate}"
                    break

    def step_outputs(self, info: StepInfo) -> list[tuple[str, Any]]:
        """The outputs a step computes, in order: those read from the called workflow
        without the step declaring them first (its own may read them), then its own."""
        declared = info.step.get("outputs")
        return list(info.implicit_outputs.items()) + (list(declared.items()) if isinstance(declared, dict) else [])

    def _deref_input_schema(self, schema: Any, at: JsonPath) -> tuple[Any, JsonPath]:
        hops = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 16:
            ref = schema["$ref"]
            hops += 1
            if ref.startswith("#") and not ref.startswith("#/") and len(ref) > 1 and v11_identity.is_1_1(self.doc.arazzo.data):
                found = v11_identity.anchored(self.doc.arazzo.data, ref[1:])  # a plain-name fragment: $anchor (1.1)
                if found is None:
                    self.error(at, f"inputs $ref {ref!r}: no schema in this document declares $anchor {ref[1:]!r}", "add $anchor to the schema under components.inputs, or write '#/components/inputs/<name>'")
                    return {}, at
                schema, at = found
                continue
            if not ref.startswith("#/"):
                self.error(at, f"inputs $ref {ref!r} must point into this document", "use '#/components/inputs/<name>'")
                return {}, at
            tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/"))
            node: Any = self.doc.arazzo.data
            for token in tokens:
                node = node.get(token) if isinstance(node, dict) else None
            if node is None:
                self.error(at, f"inputs $ref {ref!r} points at nothing", "define it under components.inputs")
                return {}, at
            schema, at = node, tokens
        return schema, at

    def _collect_steps(self) -> None:
        for index, step in enumerate(self.workflow.get("steps", [])):
            bound = self.doc.steps[(self.index, index)]
            info = StepInfo(str(step.get("stepId")), index, step, bound.json_path, bound.operation, bound.workflow_id, event=bound.event)
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
            info.success_actions = self._actions(info.step.get("onSuccess"), at + ("onSuccess",), "successActions", self.workflow.get("successActions"))
            info.failure_actions = self._actions(info.step.get("onFailure"), at + ("onFailure",), "failureActions", self.workflow.get("failureActions"))
            for action in info.failure_actions:
                if action.kind == "retry":
                    wanted = f"{snake_case(action.name or info.step_id, fallback='step')}_retries"
                    if wanted in self.names.taken:  # a workflow-level action, counted per step
                        wanted = f"{snake_case(info.step_id, fallback='step')}_{wanted}"
                    action.counter = self.names.claim(wanted)
            for action in info.success_actions + info.failure_actions:
                v11_steps.no_parameters_without_workflow(self, action)

    def _actions(self, raw: Any, at: JsonPath, component_kind: str, workflow_level: Any) -> list[Action]:
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

    def _action_workflow(self, raw: Any, at: JsonPath) -> str | None:
        """The key of the workflow an action goes to; the raw value when it names
        none (the validate stage has reported that)."""
        if not isinstance(raw, str):
            return None
        return self.workflow_key(raw, at) or raw

    def _action(self, item: Any, at: JsonPath, component_kind: str) -> Action | None:
        if not isinstance(item, dict):
            return None
        if "reference" in item:
            ref = item["reference"]
            prefix = f"$components.{component_kind}."
            if not isinstance(ref, str) or not ref.startswith(prefix):
                self.error(at + ("reference",), f"reference {ref!r} must point into components.{component_kind}", f"write '{prefix}<name>'")
                return None
            name = ref[len(prefix):]
            components = (self.doc.arazzo.data.get("components") or {}).get(component_kind) or {}
            if name not in components or not isinstance(components[name], dict):
                self.error(at + ("reference",), f"unknown reusable action {ref!r}", did_you_mean(name, components))
                return None
            item = components[name]
            at = ("components", component_kind, name)
            for key in ("stepId", "workflowId"):
                target = item.get(key)
                if key == "stepId" and isinstance(target, str) and target not in self.by_id:
                    self.error(at + (key,), f"reusable action {name!r} goes to step {target!r}, which workflow {self.workflow_id!r} does not have", did_you_mean(target, self.by_id))
                    return None
                if key == "workflowId" and isinstance(target, str) and not target.startswith("$") and target not in self.doc.workflow_ids():
                    self.error(at + (key,), f"reusable action {name!r} goes to unknown workflow {target!r}", did_you_mean(target, self.doc.workflow_ids()))
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
            self.error(at, f"goto action {item.get('name')!r} has no stepId or workflowId", "add the step or workflow to go to")
        return Action(
            name=str(item.get("name", "")),
            kind=kind,
            criteria=criteria,
            target_step=item.get("stepId") if isinstance(item.get("stepId"), str) else None,
            target_workflow=self._action_workflow(item.get("workflowId"), at + ("workflowId",)),
            retry_after=float(after) if isinstance(after, (int, float)) and not isinstance(after, bool) and after >= 0 else None,
            retry_limit=int(limit) if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0 else 1,
            json_path=at,
            parameters=item.get("parameters") if isinstance(item.get("parameters"), list) else None,
        )

    # -- credentials from the OpenAPI security schemes ---------------------------------

    def plan_credentials(self) -> None:
        """The credentials this workflow's requests (and the workflows it calls) need."""
        creds: dict[str, Credential] = {}
        required: set[str] = set()
        for info in self.steps:
            op = info.operation
            if op is None or not op.security:
                continue
            explicit = self._explicit_parameters(info)
            alternatives: list[list[tuple[SecurityScheme, tuple[str, ...], str]]] = []
            satisfied = False
            unsupported: list[SecurityScheme] = []
            for requirement in op.security:
                if not requirement:
                    satisfied = True  # '{}': anonymous access is allowed
                    break
                usable: list[tuple[SecurityScheme, tuple[str, ...], str]] = []
                covered = True
                for scheme, scopes in requirement:
                    if self._covered(scheme, explicit):
                        continue
                    covered = False
                    if scheme.kind == "other":
                        unsupported.append(scheme)
                        usable = []
                        break
                    usable.append((scheme, scopes, op.source.key))
                if covered:
                    satisfied = True
                    break
                if usable:
                    alternatives.append(usable)
            if satisfied:
                continue
            if not alternatives:
                if unsupported:
                    names = ", ".join(sorted({s.name for s in unsupported}))
                    self.warn(info.json_path, f"operation {op.display_name} uses security scheme(s) {names} of a kind the generator does not handle (http bearer/basic, apiKey, oauth2 client credentials are)", "pass the credential explicitly as a parameter")
                continue
            self.step_auth[info.index] = alternatives
            for alternative in alternatives:
                for scheme, _, source in alternative:
                    for cred in _scheme_credentials(scheme, source):
                        creds.setdefault(cred.key, cred)
                        if len(alternatives) == 1:
                            required.add(cred.key)
        for callee in self.callees:
            target = self.p.workflows.get(callee)
            if target is None:
                continue
            for key, cred in target.credentials.items():
                creds.setdefault(key, cred)
                if key in target.required_credentials:
                    required.add(key)
        taken_inputs = {p.name for p in self.input_params}
        for key in sorted(creds, key=lambda k: (k not in required, k)):
            cred = creds[key]
            wanted = cred.wanted if cred.wanted not in taken_inputs else cred.wanted + "_credential"
            self.credential_names[key] = self.names.claim(wanted)
            if cred.secret:
                self.secret_names.append(self.credential_names[key])
        self.credentials = creds
        self.required_credentials = required

    def _explicit_parameters(self, info: StepInfo) -> set[tuple[str, str]]:
        """(location, lower-case name) of every parameter the workflow sets on the step."""
        found: set[tuple[str, str]] = set()
        for items in (self.workflow.get("parameters"), info.step.get("parameters")):
            for item in items or []:
                if not isinstance(item, dict):
                    continue
                if "reference" in item:
                    ref = str(item["reference"])
                    item = ((self.doc.arazzo.data.get("components") or {}).get("parameters") or {}).get(ref.rsplit(".", 1)[-1]) or {}
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    found.add((str(item.get("in", "")), str(item["name"]).lower()))
        return found

    @staticmethod
    def _covered(scheme: SecurityScheme, explicit: set[tuple[str, str]]) -> bool:
        """An explicit parameter in the workflow wins over the security scheme."""
        if scheme.kind in ("http-bearer", "http-basic", "oauth2-client-credentials"):
            return ("header", "authorization") in explicit
        if scheme.kind == "apiKey" and scheme.param_name:
            return (str(scheme.location), scheme.param_name.lower()) in explicit
        return False

    def credential_params(self) -> list[InputParam]:
        params: list[InputParam] = []
        for key, cred in self.credentials.items():
            required = key in self.required_credentials
            description = f"{_CREDENTIAL_TEXT[cred.part]} for the {cred.scheme.name!r} security scheme of {cred.source!r}."
            params.append(InputParam(self.credential_names[key], key, "str" if required else "str | None", None if required else "None", description, cred.secret))
        return sorted(params, key=lambda p: p.default is not None)

    # -- control flow ----------------------------------------------------------------

    def _classify(self) -> None:
        """Choose the sequential form (with disjoint inline loops) or the state machine."""
        why: list[str] = []
        starts: dict[int, int] = {}
        early_reads: list[tuple[StepInfo, StepInfo]] = []  # (reader, step whose outputs it reads first)
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
            before = json.dumps([info.step.get(k) for k in ("parameters", "requestBody", "successCriteria", "onFailure", "correlationId")] + [self.workflow.get("parameters")], default=str)
            after = json.dumps([info.step.get(k) for k in ("outputs", "onSuccess")], default=str)
            for step_id in _STEP_REF.findall(before) + [s for s in _STEP_REF.findall(after) if s != info.step_id]:
                if step_id in self.by_id and self.by_id[step_id].index >= info.index:
                    early_reads.append((info, self.by_id[step_id]))
        loops = sorted(starts.items())
        for (s1, e1), (s2, _) in zip(loops, loops[1:]):
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

    def _loop_of(self, index: int) -> tuple[int, int] | None:
        for start, end in self.loops.items():
            if start <= index <= end:
                return start, end
        return None

    def _reentered(self, info: StepInfo) -> bool:
        """Can the step run again after it succeeded (so retry counters must restart)?"""
        if self.machine:
            for source in self.steps:
                for action in source.success_actions + source.failure_actions:
                    target = action.target_step if action.kind == "goto" else (source.step_id if action.kind == "retry" and action.target_step else None)
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

    # -- the plan --------------------------------------------------------------------

    def run(self) -> WorkflowPlan:
        self._classify()
        for info in self.steps:
            self._infer_step_outputs(info)
        outputs, output_exprs = self._workflow_outputs()
        sync_body = tuple(self._without_unused(self._body(is_async=False, output_exprs=output_exprs)))
        async_body = tuple(self._without_unused(self._body(is_async=True, output_exprs=output_exprs)))
        transport, async_transport = events_steps.transport_types(self)
        return WorkflowPlan(
            workflow_id=self.key,
            function_name=self.fn,
            async_function_name=self.async_fn,
            outputs_class=self.outputs_class,
            outputs_docstring=docstring_text(f"Outputs of workflow ``{self.key}``."),
            docstring=self._docstring(),
            inputs=tuple(self.input_params + self.credential_params()),
            outputs=tuple(outputs),
            sync_body=sync_body,
            async_body=async_body,
            transport_type=transport,
            async_transport_type=async_transport,
        )

    def _without_unused(self, body: list[Node]) -> list[Node]:
        """``body`` without the locals nothing reads: step outputs no expression uses, the
        secrets tuple of a function that sends no request.  A workflow call, and the JSON
        check of a body, stay as bare calls (they may raise)."""
        calls = set(self.workflow_vars.values())
        candidates = {v.name for info in self.steps for v in info.outputs.values()} | calls | {"_secrets", "_tokens", "_body", "_keys", events_steps.MESSAGE}

        def keep_call(name: str, value: str) -> bool:
            if name == events_steps.MESSAGE:
                return events_steps.keep_call(value)  # a send step's send stays; the received message's name goes
            return value.startswith("_runtime.json_body(") if name == "_body" else name in calls and not value.startswith(("None", "_timed_"))  # _timed_: a timed call's result, kept

        for _ in range(len(candidates) + 1):  # each round drops at least one name, or ends
            unused = candidates - _names_read(body)
            trimmed = _drop_assignments(body, unused, keep_call)
            if trimmed == body:
                break
            body = trimmed
        return body

    def _docstring(self) -> str:
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

    # -- outputs ---------------------------------------------------------------------

    def success_response_schema(self, info: StepInfo) -> SchemaLoc | None:
        op = info.operation
        if op is None:
            return None
        statuses = self._success_statuses(info)
        candidates = [r for s, r in sorted(op.responses.items()) if (s in statuses if statuses else s.startswith("2"))]
        for response in candidates:
            if response.schema is not None:
                return response.schema
        return None

    def body_is_json(self, info: StepInfo) -> bool:
        """Is the step's success response JSON (or undocumented)?  Else it is text."""
        op = info.operation
        if op is None:
            return True
        statuses = self._success_statuses(info)
        types = [r.content_type for s, r in sorted(op.responses.items()) if (s in statuses if statuses else s.startswith("2")) and r.content_type]
        if not types:
            return True
        return any(_is_json_type(t) for t in types)

    def _success_statuses(self, info: StepInfo) -> set[str]:
        statuses: set[str] = set()
        for criterion in info.step.get("successCriteria") or []:
            if isinstance(criterion, dict) and criterion.get("type") in (None, "simple"):
                statuses.update(_STATUS_REF.findall(str(criterion.get("condition", ""))))
        return statuses

    def _infer_step_outputs(self, info: StepInfo) -> None:
        payload: str | None = None
        path_values: dict[str, str] = {}
        if info.operation is not None:
            request = ExprContext(self, info, is_async=False, phase="request")
            request.request_lines(info.operation, info.step, info.json_path)
            payload, path_values = request.payload_var, request.path_values
        phase = "response" if info.operation else events_steps.PHASE if info.event is not None else "called"
        ctx = ExprContext(self, info, is_async=False, phase=phase, payload=payload, path_values=path_values)
        for name, raw in self.step_outputs(info):
            at = info.json_path + ("outputs", name) if name not in info.implicit_outputs else info.json_path + ("workflowId",)
            _, py_type = ctx.value(raw, at)
            info.outputs[name].type = py_type

    def _workflow_outputs(self) -> tuple[list[OutputField], list[tuple[str, str]]]:
        fields: list[OutputField] = []
        exprs: list[tuple[str, str]] = []
        attr_names = NameAllocator()
        for name, raw in (self.workflow.get("outputs") or {}).items():
            at = self.path + ("outputs", name)
            ctx = ExprContext(self, None, is_async=False, phase="outputs")
            source, py_type = ctx.value(raw, at)
            if self._may_be_unset(raw):
                py_type = py_type.or_none()
            attr = model_field_name(name, attr_names)
            output = OutputField(attr, py_str(name), py_type.text, "")
            fields.append(output)
            self.output_fields[name] = output
            self.output_types[name] = py_type
            exprs.append((py_str(name), source))
        return fields, exprs

    def _may_be_unset(self, raw: Any) -> bool:
        """True when the output reads a step (or workflow) that a jump or early end may skip."""
        if isinstance(raw, dict) and v11_selectors.is_selector(raw) and v11_identity.is_1_1(self.doc.arazzo.data):
            raw = str(raw.get("context", "")).strip().removeprefix("{").removesuffix("}")  # a Selector Object reads its context
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

    @staticmethod
    def _exits_early(info: StepInfo) -> bool:
        return any(a.kind == "end" or (a.kind == "goto" and a.target_workflow is not None) for a in info.success_actions) or any(a.kind == "goto" and a.target_workflow is not None for a in info.failure_actions)

    # -- bodies ----------------------------------------------------------------------

    def _body(self, *, is_async: bool, output_exprs: list[tuple[str, str]]) -> list[Node]:
        body: list[Node] = [
            Block(f"if {p.name} is None:", (Line(f"{p.name} = {p.mutable_default}"),)) for p in self.input_params if p.mutable_default is not None
        ]
        if self.input_checks:
            self.p.runtime_parts.add("inputs")
            body.insert(0, Line("_runtime.check_inputs(" + ", ".join(f"({py_str(p.original)}, {py_str(p.name)}, {p.name}, {py_literal(c)})" for p, c in self.input_checks) + ")"))
        base_at = len(body)
        body += [
            Line("_base = _runtime.servers(SERVERS, servers)"),
            Line(f"_deadline = _runtime.Deadline(timeout, max_response_bytes, on_event, {py_str(self.workflow_id)})"),
        ]
        secrets = ", ".join(self.secret_names)
        body.append(Line(f"_secrets = ({secrets},)" if self.secret_names else "_secrets: tuple[str, ...] = ()"))
        if self.p.keyed:
            body.append(Line(f"_keys = _runtime.IdempotencyKeys(idempotency_key, {py_str(self.workflow_id)})"))
        if any(scheme.kind == "oauth2-client-credentials" for alts in self.step_auth.values() for alt in alts for scheme, _, _ in alt):
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
            inner.append(Line(f"{self.workflow_vars[dep]} = {self.call_workflow(dep, is_async, self.path + ('dependsOn',))}"))
        result = self._result(output_exprs)
        if self.machine:
            inner += self._machine(is_async)
        else:
            inner += self._sequential(is_async)
        client_line = "async with _runtime.async_client(client, _deadline) as _http:" if is_async else "with _runtime.sync_client(client, _deadline) as _http:"
        client_line = events_steps.client_line(self, is_async, client_line)  # receive steps subscribe first
        while inner and inner[0] == Line(""):
            inner = inner[1:]  # no blank line right after the 'with' line
        inner = events_steps.subscriptions_comment(self) + inner
        body.append(Block(client_line, tuple(inner)))
        body.append(Line(f"return {result}"))
        keys = [py_str(k) for k in self.used_servers()]
        body[base_at] = Line(f"_base = _runtime.client_servers(SERVERS, servers, client, ({', '.join(keys)}{',' if len(keys) == 1 else ''}))")
        return events_steps.without_unused_http(self, body, _names_read(inner))

    def used_servers(self) -> list[str]:
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

    def _result(self, output_exprs: list[tuple[str, str]]) -> str:
        return self._validate_outputs([f"{k}: {v}" for k, v in output_exprs])

    def _validate_outputs(self, pairs: list[str]) -> str:
        """The Outputs model built from ``pairs``, carrying the run's transport retry count."""
        return f"{self.outputs_class}.model_validate({{" + ", ".join(pairs) + '}, context={"transport_retries": _deadline.transport_retries})'

    def _early_result(self, info: StepInfo) -> str:
        """The outputs when a step ends the workflow early: later steps' values are None."""
        later = {v.name for s in self.steps[info.index + 1 :] for v in s.outputs.values()}
        pairs = []
        for name, raw in (self.workflow.get("outputs") or {}).items():
            ctx = ExprContext(self, None, is_async=False, phase="outputs", unset=later)
            source, _ = ctx.value(raw, self.path + ("outputs", name))
            pairs.append(f"{py_str(name)}: {source}")
        return self._validate_outputs(pairs)

    def call_workflow(self, target: str, is_async: bool, at: JsonPath, arguments: list[tuple[str, str]] | None = None, overrides: list[tuple[str, str]] | None = None) -> str:
        """The call of another workflow's function, sharing client, servers, sleep and deadline.

        ``arguments`` maps the callee's input names (original) to Python sources; without
        it, inputs pass by name from this workflow's inputs of the same name, except those
        in ``overrides`` (an action's parameters), which win.
        """
        callee = self.p.workflows[target]
        args: list[str] = []
        if arguments is None:
            given = dict(overrides or [])
            arguments = []
            for original, param in callee.inputs.items():
                if original in given:
                    arguments.append((original, given[original]))
                elif original in self.inputs:
                    arguments.append((original, self.argument(callee, original, self.inputs[original].name, self.input_types[original], at)))
                elif original in callee.required_inputs:
                    self.error(at, f"workflow {target!r} needs input {original!r}, which workflow {self.workflow_id!r} does not have", f"declare {original!r} in the inputs of {self.workflow_id!r}: it is passed on by name")
        for original, source in arguments:
            args.append(f"{callee.inputs[original].name}={source}")
        for key in callee.credentials:
            args.append(f"{callee.credential_names[key]}={self.credential_names[key]}")
        args += events_steps.call_arguments(self, callee)
        args += ["client=_http", "servers=_base", "poll_interval=poll_interval", "timeout=_deadline.remaining()", "max_response_bytes=max_response_bytes", "sleep=sleep", "on_event=on_event"]
        if self.p.keyed:
            args.append("idempotency_key=_keys.child()")
        name = f"await {callee.async_fn}" if is_async else callee.fn
        return f"{name}(" + ", ".join(args) + ")"

    def argument(self, callee: WorkflowAnalyzer, name: str, source: str, py_type: PyType, at: JsonPath) -> str:
        """``source`` (of type ``py_type``) as the callee's input ``name``: an optional value
        for a required input is checked when the call happens; a value whose type does
        not fit the input's (a free string for an enum input, ...) is passed as is, with
        a warning, so that the generated code type-checks."""
        target = callee.input_types.get(name, ANY)
        fits = _fits(wire_type(py_type), target)
        if not fits:
            self.warn(at, f"a value of type {_bare(py_type.text)} is passed to input {name!r} of workflow {callee.key!r}, of type {_bare(target.text)}", "it is passed as is; make the types agree to have it checked")
        if py_type.optional and name in callee.required_inputs:
            return f"_runtime.require_input({source}, {py_str(name)}, {py_str(callee.key)})"  # typed Any
        if not fits:
            return f"cast(Any, {source})"
        return source

    def _sequential(self, is_async: bool) -> list[Node]:
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
                        nodes += [Line(f"{var.name}: {wire_type(var.type).or_none().text} = None  # read before step {comment_text(early.step_id, 40)} runs") for var in early.outputs.values()]
                nodes += [Line(f"{name} = 0") for name in counters]
                if index == end:
                    nodes.append(Line("# Repeats until an action leaves the loop; _deadline.sleep bounds it (timeout, MAX_ITERATIONS)."))
                    body = body[len(self._step_comment(self.steps[index])):]
                else:
                    first, last = comment_text(self.steps[index].step_id, 40), comment_text(self.steps[end].step_id, 40)
                    nodes.append(Line(f"# Steps {first} to {last} repeat until an action leaves the loop (_deadline.sleep bounds it)."))
                    body = body[1:]  # no blank line right after 'while True:'

                nodes.append(Block("while True:", tuple(body)))
                index = end + 1
            else:
                nodes += self._step(self.steps[index], is_async)
                index += 1
        return nodes

    def _machine(self, is_async: bool) -> list[Node]:
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
        nodes.append(Line(f"# A state machine over the steps' goto graph ({comment_text(self.machine_reason, 70)}), bounded by MAX_ITERATIONS."))
        nodes.append(Block("for _transition in range(_runtime.MAX_ITERATIONS):", (Block("match _step:", tuple(cases)),)))
        nodes.append(Block("else:", (Line('raise WorkflowTimeout(_step, "more than MAX_ITERATIONS transitions")'),)))
        return nodes

    # -- transitions -------------------------------------------------------------------

    def next_lines(self, info: StepInfo) -> list[str]:
        """The default transition after a successful step."""
        if self.machine:
            if info.index == len(self.steps) - 1:
                return ["break"]
            return [f"_step = {py_str(self.steps[info.index + 1].step_id)}"]
        loop = self._loop_of(info.index)
        if loop is not None and loop[1] == info.index:
            return ["break"]
        return []

    def end_lines(self, info: StepInfo) -> list[str]:
        """A success action of type end."""
        if self.machine:
            return ["break"]
        last = info.index == len(self.steps) - 1
        if last:
            return ["break"] if self._loop_of(info.index) is not None else ["pass"]
        return [f"return {self._early_result(info)}"]

    def goto_lines(self, info: StepInfo, target_step: str, ctx: ExprContext) -> list[str]:
        target = self.by_id[target_step]
        seconds = f"_runtime.poll_delay({py_str(info.step_id)}, poll_interval, {self.p.options.poll_interval!r})"
        if self.machine:
            lines = []
            if target.index <= info.index:
                lines.append(self.sleep_line(ctx, info, seconds))  # a back edge: pace the loop
            return lines + [f"_step = {py_str(target_step)}", "continue"]
        if target.index == info.index + 1:
            return self.next_lines(info) or ["pass"]
        return [self.sleep_line(ctx, info, seconds), "continue"]

    def workflow_exit_lines(self, info: StepInfo, target: str, ctx: ExprContext, at: JsonPath, action: Action | None = None) -> list[str]:
        """goto a workflow: a one-way transfer; this workflow ends with what it has."""
        overrides = v11_steps.action_arguments(ctx, action, target) if action is not None else None
        lines = [f"{self.workflow_vars[target]} = {self.call_workflow(target, ctx.is_async, at, overrides=overrides)}"]
        if self.machine:
            return lines + ["break"]
        return lines + [f"return {self._early_result(info)}"]

    def sleep_line(self, ctx: ExprContext, info: StepInfo, seconds: str) -> str:
        call = "await _deadline.asleep" if ctx.is_async else "_deadline.sleep"
        return f"{call}(sleep, {seconds}, step={py_str(info.step_id)})"

    # -- steps -----------------------------------------------------------------------

    def _step_comment(self, info: StepInfo, blank: bool = True) -> list[Node]:
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

    def _step(self, info: StepInfo, is_async: bool) -> list[Node]:
        nodes = self._step_comment(info, blank=not self.machine)
        if info.operation is not None:
            return nodes + self._operation_step(info, is_async)
        if info.workflow_id is not None and info.workflow_id in self.p.workflows:
            return nodes + self._workflow_step(info, is_async)
        if info.event is not None:
            return nodes + events_steps.event_step(self, info, is_async)
        return nodes + [Line("raise WorkflowError(" + py_str(f"step {info.step_id!r} has no operation") + ")")]

    def _operation_step(self, info: StepInfo, is_async: bool) -> list[Node]:
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
            late = ExprContext(self, info, is_async=is_async, phase="response", payload=request.payload_var, path_values=request.path_values)
            late.timed_out = True
            chain = self._failure_nodes(info, late, "raise _runtime.timed_out(_sent)")
            nodes += [Block("if isinstance(_sent, _runtime.StepTimedOut):", (Line(v11_steps.timeout_comment(timeout_ms)),) + tuple(chain)), Line("_response = _sent")]
        ctx = ExprContext(self, info, is_async=is_async, phase="response", payload=request.payload_var, path_values=request.path_values)
        success = ctx.criteria(self._criteria(step.get("successCriteria"), at + ("successCriteria",)), default="_response.is_success")
        failed = ctx.failed_criterion_args()
        parsed = ctx.reads_body
        if parsed:  # the success criteria read the body, which may not be JSON
            nodes.append(Line(self._body_line(info, lenient=True)))
        error_models = self._error_models(op)
        fail_args = f"{py_str(info.step_id)}, _response, secrets=_secrets" + (f", error_models={error_models}" if error_models else "") + failed
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

    def _workflow_step(self, info: StepInfo, is_async: bool) -> list[Node]:
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
                Block(f"if isinstance({result}, _runtime.StepTimedOut):", (Line(v11_steps.timeout_comment(timeout_ms, workflow=True)),) + tuple(chain)),
                Line(f"{var} = {result}"),
            ]
        ctx = ExprContext(self, info, is_async=is_async, phase="called")
        criteria = self._criteria(info.step.get("successCriteria"), info.json_path + ("successCriteria",))
        if criteria:
            success = ctx.criteria(criteria, default="True")
            failed = ctx.failed_criterion_args()
            failure = self._failure_nodes(info, ctx, f"raise _runtime.criteria_failed({py_str(info.step_id)}, {py_str(target)}{failed})")
            nodes.append(Block(f"if {_negate(success)}:", tuple(failure)))
            if self._reentered(info):
                nodes += [Line(f"{a.counter} = 0") for a in info.failure_actions if a.kind == "retry"]
        return nodes + self._success_nodes(info, ctx)

    @staticmethod
    def _criteria(raw: Any, at: JsonPath) -> list[tuple[dict[str, Any], JsonPath]]:
        return [(c, at + (i,)) for i, c in enumerate(raw or []) if isinstance(c, dict)]

    def _body_line(self, info: StepInfo, *, lenient: bool) -> str:
        if not self.body_is_json(info):
            return "_body = _response.text"
        if lenient:
            return "_body = _runtime.maybe_json(_response)"
        kind = self.documented_json_kind(info)
        expect = f", expect={py_str(kind)}" if kind else ""
        return f"_body = _runtime.json_body({py_str(info.step_id)}, _response, secrets=_secrets{expect})"

    def documented_json_kind(self, info: StepInfo) -> str | None:
        """The top-level JSON type ("object" or "array") every success response of the
        step documents, or None when one has no schema or they allow other types."""
        op = info.operation
        if op is None:
            return None
        statuses = self._success_statuses(info)
        responses = [r for s, r in sorted(op.responses.items()) if (s in statuses if statuses else s.startswith("2"))]
        kinds = {self.p.inferrer.json_kind(r.schema) if r.schema is not None else None for r in responses}
        return kinds.pop() if len(kinds) == 1 else None

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
            return f"goto {action.target_step or ('workflow ' + str(action.target_workflow))}"
        if action.kind == "retry":
            after = f" after {action.retry_after:g} s" if action.retry_after is not None else ""
            then = f", running {action.target_step or 'workflow ' + str(action.target_workflow)} first" if action.target_step or action.target_workflow else ""
            return f"retry{after}, at most {action.retry_limit} time{'s' if action.retry_limit != 1 else ''}{then}"
        return action.kind

    def _success_nodes(self, info: StepInfo, ctx: ExprContext) -> list[Node]:
        nodes: list[Node] = []
        for name, raw in self.step_outputs(info):
            at = info.json_path + ("outputs", name) if name not in info.implicit_outputs else info.json_path + ("workflowId",)
            source, _ = ctx.value(raw, at)
            nodes.append(Line(f"{info.outputs[name].name} = {source}"))
        nodes += events_steps.late_subscriptions(self, info, ctx.is_async)  # a receive step whose channel address reads these outputs
        if info.step_id in self.resume_targets:
            nodes.append(Block("if _resume is not None:  # a retry ran this step first: back to it", (Line("_step, _resume = _resume, None"), Line("continue"))))
        # The first action whose criteria hold is the one taken: an if/elif chain.
        chain: list[Block] = []
        exhaustive = False
        all_exit = True
        for action in info.success_actions:
            lines = [self._decided_line(info, "onSuccess", action)] + [t for t in self._success_action_lines(info, action, ctx) if t != "pass"]
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

    def _success_action_lines(self, info: StepInfo, action: Action, ctx: ExprContext) -> list[str]:
        if action.kind == "end":
            return self.end_lines(info)
        if action.kind == "goto":
            if action.target_workflow is not None:
                if action.target_workflow in self.p.workflows:
                    return self.workflow_exit_lines(info, action.target_workflow, ctx, action.json_path + ("workflowId",), action)
                return ["pass"]
            if action.target_step in self.by_id:
                return self.goto_lines(info, action.target_step, ctx)
        return ["pass"]

    def _failure_nodes(self, info: StepInfo, ctx: ExprContext, raise_line: str) -> list[Node]:
        ctx.failing = True
        try:
            return self._failure_chain(info, ctx, raise_line)
        finally:
            ctx.failing = False

    def _failure_chain(self, info: StepInfo, ctx: ExprContext, raise_line: str) -> list[Node]:
        nodes: list[Node] = []
        retries: list[tuple[str | None, Action]] = []  # the retry actions so far, with their conditions
        for action in info.failure_actions:
            comment = Line(f"# onFailure {comment_text(action.name, 60)}: {self._describe(action)}")
            condition = ctx.criteria(action.criteria, default="True") if action.criteria else None
            if condition == "False" and ctx.timed_out:
                what = "the response" if info.operation is not None else "the message" if info.event is not None else "the called workflow's outputs"
                nodes.append(Line(f"# onFailure {comment_text(action.name, 60)} is not taken: its criteria read {what}, which a timed-out step has not"))
                continue
            if action.kind == "retry":
                retries.append((condition, action))
                guard = f"{action.counter} < {action.retry_limit}"
                test = f"{condition} and {guard}" if condition else guard
                nodes.append(Block(f"if {test}:", (comment,) + tuple(Line(t) for t in self._retry_lines(info, action, ctx))))
                continue
            if action.kind == "end":
                reason = py_str(f"the failure action {action.name!r} ended the workflow")
                lines = [self._with_retries(raise_line, retries)[:-1] + f", reason={reason})" if raise_line.startswith(("raise StepFailed.from_response(", "raise _runtime.criteria_failed(", "raise _runtime.timed_out(", "raise _runtime.message_failed(", "raise _runtime.message_timed_out(")) else raise_line]
            elif action.kind == "goto" and action.target_workflow is not None and action.target_workflow in self.p.workflows:
                lines = self.workflow_exit_lines(info, action.target_workflow, ctx, action.json_path + ("workflowId",), action)
            elif action.kind == "goto" and action.target_step in self.by_id:
                lines = self.goto_lines(info, action.target_step, ctx)
            else:
                continue
            lines = [self._decided_line(info, "onFailure", action)] + [t for t in lines if t != "pass"]
            if condition is None:
                return nodes + [comment] + [Line(t) for t in lines if t != "pass"]
            nodes.append(Block(f"if {condition}:", (comment,) + tuple(Line(t) for t in lines)))
        return nodes + [Line(self._with_retries(raise_line, retries))]

    def _decided_line(self, info: StepInfo, kind: str, action: Action) -> str:
        """The DEBUG record of the action taken (its name and what it does; a retry counts)."""
        if action.kind == "retry":
            first = f", running {action.target_step or 'workflow ' + str(action.target_workflow)} first" if action.target_step or action.target_workflow else ""
            what = 'f"' + fstring_text("retry ") + "{" + action.counter + "}" + fstring_text(f" of at most {action.retry_limit}{first}") + '"'
        else:
            what = py_str(self._describe(action))
        return f"_runtime.decided({py_str(info.step_id)}, {py_str(kind)}, {py_str(action.name)}, {what})"

    @staticmethod
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

    def _retry_lines(self, info: StepInfo, action: Action, ctx: ExprContext) -> list[str]:
        after = repr(float(action.retry_after)) if action.retry_after is not None else "None"
        response = "_response" if info.operation is not None and not ctx.timed_out else "None"
        seconds = f"_runtime.retry_delay({py_str(info.step_id)}, {response}, {after}, poll_interval, {self.p.options.poll_interval!r})"
        lines = [f"{action.counter} += 1", self._decided_line(info, "onFailure", action)]
        if info.operation is not None and idempotency_header(info.operation, self.p.options.idempotency_header) is not None:
            lines.append(f"_keys.retrying({py_str(info.step_id)})")
        if action.target_workflow is not None and action.target_workflow in self.p.workflows:
            overrides = v11_steps.action_arguments(ctx, action, action.target_workflow)
            lines.append(f"{self.workflow_vars[action.target_workflow]} = {self.call_workflow(action.target_workflow, ctx.is_async, action.json_path + ('workflowId',), overrides=overrides)}")
        lines.append(self.sleep_line(ctx, info, seconds))
        if action.target_step is not None and action.target_step in self.by_id:
            lines += [f"_resume = {py_str(info.step_id)}", f"_step = {py_str(action.target_step)}"]
        lines.append("continue")
        return lines

    # -- security ----------------------------------------------------------------------

    def auth_for(self, info: StepInfo, ctx: ExprContext) -> Auth:
        auth = Auth()
        alternatives = self.step_auth.get(info.index)
        if not alternatives:
            return auth
        several = len(alternatives) > 1
        headers: dict[str, list[str]] = {}
        for alternative in alternatives:
            for scheme, scopes, source in alternative:
                names = {c.part: self.credential_names[c.key] for c in _scheme_credentials(scheme, source)}
                optional = several or any(c.key not in self.required_credentials for c in _scheme_credentials(scheme, source))
                if scheme.kind == "http-bearer":
                    value = f"_runtime.bearer({names['token']})" if optional else f'f"Bearer {{{names["token"]}}}"'
                    headers.setdefault("Authorization", []).append(value)
                elif scheme.kind == "http-basic":
                    headers.setdefault("Authorization", []).append(f"_runtime.basic_auth({names['username']}, {names['password']})")
                elif scheme.kind == "apiKey" and scheme.param_name:
                    name = names["key"]
                    if scheme.location == "header":
                        headers.setdefault(scheme.param_name, []).append(name)
                    elif scheme.location == "query":
                        auth.query.append((scheme.param_name, name))
                    elif scheme.location == "cookie":
                        auth.cookies.append((scheme.param_name, name))
                elif scheme.kind == "oauth2-client-credentials":
                    token_url = self._token_url(source, scheme, info)
                    fetch = "await _runtime.aclient_credentials" if ctx.is_async else "_runtime.client_credentials"
                    token_var = "_access_token"
                    auth.prelude.append(
                        f"{token_var} = {fetch}(_http, _deadline, sleep, {py_str(info.step_id)}, {token_url}, "
                        f"{names['client_id']}, {names['client_secret']}, {py_str(' '.join(scopes))}, _tokens, secrets=_secrets)"
                    )
                    headers.setdefault("Authorization", []).append(f"_runtime.bearer({token_var})")
        for name, values in headers.items():
            auth.headers.append((name, values[0] if len(values) == 1 else "_runtime.first_of(" + ", ".join(values) + ")"))
        return auth

    def _token_url(self, source: str, scheme: SecurityScheme, info: StepInfo) -> str:
        url = scheme.token_url or ""
        if "://" in url:
            key = f"{source}.{scheme.name}.tokenUrl"
            self.p.token_urls[key] = (source, url)
            self.server_keys.add(key)
            return f"_base[{py_str(key)}]"
        if not url:
            self.error(info.json_path, f"the oauth2 security scheme {scheme.name!r} of {source!r} has no clientCredentials tokenUrl", "add flows.clientCredentials.tokenUrl to the OpenAPI description")
        self.server_keys.add(source)
        return f"_base[{py_str(source)}] + {py_str('/' + url.lstrip('/'))}"


_CREDENTIAL_TEXT = {
    "token": "Bearer token",
    "username": "User name (HTTP Basic)",
    "password": "Password (HTTP Basic)",
    "key": "API key",
    "client_id": "OAuth 2.0 client id",
    "client_secret": "OAuth 2.0 client secret",
}


def _scheme_key(source: str, scheme: SecurityScheme) -> str:
    return f"{source}/{scheme.name}"


def _scheme_credentials(scheme: SecurityScheme, source: str) -> list[Credential]:
    base = snake_case(scheme.name, fallback="auth")
    if "." in source:  # a source of a linked document ("shared.store"): qualify the name
        base = snake_case(source.rsplit(".", 1)[0], fallback="linked") + "_" + base
    key = _scheme_key(source, scheme)
    if scheme.kind == "http-bearer":
        wanted = base if "token" in base else f"{base}_token"
        return [Credential(f"{key}/token", "token", scheme, source, wanted, True)]
    if scheme.kind == "http-basic":
        return [Credential(f"{key}/username", "username", scheme, source, f"{base}_username", False), Credential(f"{key}/password", "password", scheme, source, f"{base}_password", True)]
    if scheme.kind == "apiKey":
        wanted = base if ("key" in base or "token" in base) else f"{base}_key"
        return [Credential(f"{key}/key", "key", scheme, source, wanted, True)]
    if scheme.kind == "oauth2-client-credentials":
        return [Credential(f"{key}/client_id", "client_id", scheme, source, f"{base}_client_id", False), Credential(f"{key}/client_secret", "client_secret", scheme, source, f"{base}_client_secret", True)]
    return []


def _bare(text: str) -> str:
    return text[: -len(" | None")] if text.endswith(" | None") else text


def _literal_members(text: str) -> list[str] | None:
    if not (text.startswith("Literal[") and text.endswith("]")):
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Subscript):
        return None
    elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [ast.unparse(e) for e in elements]


def _scalar_of(member: str) -> str:
    if member in ("True", "False"):
        return "bool"
    if member[:1] in ("'", '"'):
        return "str"
    return "int"


def _fits(value: PyType, target: PyType) -> bool:
    """Whether mypy accepts a value of type ``value`` where ``target`` is declared
    (None is handled apart: see WorkflowAnalyzer.argument).  Conservative: False
    when unsure."""
    v, t = _bare(value.text), _bare(target.text)
    if v == t or "Any" in (v, t):
        return True
    if (v, t) in (("int", "float"), ("bool", "int"), ("bool", "float")):
        return True
    members = _literal_members(v)
    if members is None:
        return False
    wanted = _literal_members(t)
    if wanted is not None:
        return set(members) <= set(wanted)
    return all(_scalar_of(m) == t or (t == "float" and _scalar_of(m) == "int") for m in members)


def _exits(lines: list[str]) -> bool:
    """Do these statements leave the current step (so nothing may follow them)?"""
    return bool(lines) and lines[-1].split(" ", 1)[0] in ("return", "break", "continue", "raise")


def _is_json_type(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


class ExprContext:
    """Translates runtime expressions, criteria and requests into Python source.

    ``phase`` says what a runtime expression may read:

    * ``request``: parameters and the request body, before the step's request;
    * ``response``: criteria and outputs of an operation step (``$statusCode``,
      ``$response...``, ``$request...``, ``$url``, ``$method``);
    * ``called``: criteria and outputs of a step that called a workflow
      (``$outputs.x`` is the called workflow's output);
    * ``outputs``: the workflow's outputs (``$outputs.x`` is another of them).
    """

    def __init__(self, wf: WorkflowAnalyzer, info: StepInfo | None, *, is_async: bool, phase: str, unset: set[str] | None = None, payload: str | None = None, path_values: dict[str, str] | None = None) -> None:
        self.wf = wf
        self.p = wf.p
        self.doc = wf.doc
        self.info = info
        self.is_async = is_async
        self.phase = phase
        self.unset = unset or set()
        self.reads_body = False  # set when an expression reads $response.body
        self.path_values: dict[str, str] = dict(path_values or {})
        self.payload_var = payload
        self.failing = False  # inside onFailure: the body is an error response, not the success schema
        #: The failure actions of a step whose own timeout ran out (Arazzo 1.1): there is no
        #: response, so what reads the exchange is unavailable (a criterion reading it fails).
        self.timed_out = False
        self.unavailable = False  # set when an expression read the exchange of a timed-out step
        self.criterion_parts: list[tuple[str, str]] = []  # (condition text, Python source) of the last criteria() call
        self._outputs_stack: list[str] = []
        #: Where a request value must be present (JSON path of the value -> what it is for).
        self.needs: dict[JsonPath, str] = {}
        self.need_for: str | None = None  # what the value being compiled is for, when it must be present

    def error(self, at: JsonPath, message: str, hint: str | None = None) -> None:
        self.wf.error(at, message, hint)

    def warn(self, at: JsonPath, message: str, hint: str | None = None) -> None:
        self.wf.warn(at, message, hint)

    # -- values ------------------------------------------------------------------------

    def value(self, raw: Any, at: JsonPath) -> tuple[str, PyType]:
        """A parameter value, payload member or output: literal, expression or template.
        A step output in a value listed in ``needs`` must be present when the request is built."""
        previous, self.need_for = self.need_for, self.needs.get(at) if isinstance(raw, str) else None
        try:
            return self._plain_value(raw, at)
        finally:
            self.need_for = previous

    def _plain_value(self, raw: Any, at: JsonPath) -> tuple[str, PyType]:
        if isinstance(raw, str) and "$self" in raw and v11_selectors.is_v11(self):
            own = v11_self.self_value(self, raw, at)
            if isinstance(own, tuple):
                return own
            raw = raw if own is None else own
        if isinstance(raw, str):
            try:
                parsed = ex.parse_value(raw)
            except ex.ExpressionError as exc:
                reported, dotted = self._body_dot_path(raw, at)
                if dotted is not None:
                    return self.expr(dotted, at)
                if not reported:
                    self.error(at, f"malformed runtime expression in {raw!r}: {exc.message}", exc.hint)
                return "None", ANY
            if isinstance(parsed, str):
                dependency = self._dependency_output(parsed, at)
                if dependency is not None:
                    return self.expr(dependency, at)
                unknown = _UNKNOWN_ROOT.match(parsed)
                if unknown:
                    # '$dependencies.setup.petId' (WSO2's): text by the grammar, an expression to its author
                    self.warn(at, f"{parsed!r} looks like a runtime expression, but '${unknown.group(1)}' is no expression root: it is sent as this text", ex.ROOT_HINT + ("; the output of a dependsOn workflow is $workflows.<workflowId>.outputs.<name>" if unknown.group(1) == "dependencies" else ""))
                return py_str(parsed), PyType("str")
            if isinstance(parsed, ex.Template):
                return self.template(parsed, raw, at), PyType("str")
            return self.expr(parsed, at)
        if isinstance(raw, dict) and v11_selectors.is_v11(self):
            if v11_selectors.is_selector(raw):
                return v11_selectors.selector_value(self, raw, at)
            if v11_selectors.almost_selector(raw):
                self.warn(at, "this object has a selector but is not a Selector Object, so it is sent as it is", "a Selector Object has exactly context, selector and type (the draft name 'expression' is now 'context')")
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

    def _body_dot_path(self, raw: str, at: JsonPath) -> tuple[bool, ex.RuntimeExpr | None]:
        """Quirk: ``$response.body.category.name`` (a dot-path, as JavaScript engines
        read it) means ``$response.body#/category/name``: accepted with a warning.  A
        dot-path whose members are not plain names is an error, reported here (then
        the first item is True), and so is ``$steps.s.name`` without '.outputs'."""
        text = raw.strip()
        try:
            dotted = ex.body_dot_path(text)
        except ex.ExpressionError as exc:
            self.error(at, exc.message, exc.hint)
            return True, None
        if dotted is not None:
            what = "the message payload" if isinstance(dotted, ex.MessagePayload) else "the body"
            self.warn(at, f"runtime expression {text!r} reads {what} with a dot-path, not a JSON pointer", f"write {ex.to_source(dotted)!r}")
            return False, dotted
        return self._step_output_without_outputs(text, at), None

    def _dependency_output(self, text: str, at: JsonPath) -> ex.RuntimeExpr | None:
        """Quirk: ``$dependencies.setup_pet.createdPetId`` (WSO2's go-runner tests), where
        this workflow dependsOn setup_pet and setup_pet has output createdPetId, means
        ``$workflows.setup_pet.outputs.createdPetId``: a warning.  Otherwise None (the
        text is text, and _plain_value says so)."""
        match = _DEPENDENCY_OUTPUT.match(text)
        if match is None:
            return None
        workflow_id, name = match.groups()
        key = self.wf.workflow_key(workflow_id)
        if key is None or key not in self.wf.depends_on or name not in (self.p.workflows[key].workflow.get("outputs") or {}):
            return None
        meant = ex.WorkflowOutput(workflow_id, name, None)
        self.warn(at, f"{text!r} reads the output of a dependsOn workflow through '$dependencies', which is no expression root", f"write {ex.to_source(meant)!r}")
        return meant

    def _step_output_without_outputs(self, text: str, at: JsonPath) -> bool:
        """``$steps.tokenRequest.access_token`` (Jentic's fixtures), where the step declares
        output access_token: refused, not tolerated (a step has outputs, and the grammar
        reads them only under '.outputs.'), with the expression to write.  True when it
        was reported here."""
        match = _STEP_WITHOUT_OUTPUTS.match(text)
        if match is None or match.group(2) == "outputs":
            return False
        target = self.wf.by_id.get(match.group(1))
        if target is None or match.group(2) not in target.outputs:
            return False
        meant = f"$steps.{match.group(1)}.outputs.{match.group(2)}{match.group(3) or ''}"
        self.error(at, f"runtime expression {text!r} leaves out '.outputs' after the step id", f"write {meant!r}")
        return True

    def _is_optional_input(self, raw: Any) -> bool:
        """True for a value that is exactly an optional input with no default."""
        parsed = _parse_leniently(raw)
        if not isinstance(parsed, ex.Input) or parsed.pointer:
            return False
        param = self.wf.inputs.get(parsed.name)
        return param is not None and param.default == "None" and param.mutable_default is None

    def template(self, parsed: ex.Template, raw: str, at: JsonPath) -> str:
        for offset in parsed.bare:
            expression_text = raw[offset:].split()[0] if raw[offset:].split() else raw[offset:]
            fixed = raw[:offset] + "{" + expression_text + "}" + raw[offset + len(expression_text):]
            self.warn(at, f"runtime expression {expression_text!r} is embedded in a string without braces", f"write {fixed!r}")
        pieces: list[tuple[str, bool]] = []  # (python, is_literal_text)
        for part in parsed.parts:
            if isinstance(part, str):
                pieces.append((part, True))
                continue
            source, py_type = self.expr(part, at)
            if source.startswith('"'):  # a constant ($method, $sourceDescriptions...): plain text
                pieces.append((ast.literal_eval(source), True))
                continue
            if not (isinstance(part, ex.Input) and py_type.text == "str" and _IDENTIFIER.match(source)):
                # JSON spelling; None becomes "" (1.0) or "null" (1.1: its string representation)
                if v11_conditions.is_1_1(self.doc):
                    self.p.runtime_parts.add("v11")
                    source = f"_runtime.text_1_1({source})"
                else:
                    source = f"_runtime.text({source})"
            pieces.append((source, False))
        merged: list[tuple[str, bool]] = []
        for piece in pieces:
            if merged and piece[1] and merged[-1][1]:
                merged[-1] = (merged[-1][0] + piece[0], True)
            else:
                merged.append(piece)
        pieces = merged
        if all(lit or _IDENTIFIER.match(src) for src, lit in pieces):
            return 'f"' + "".join(fstring_text(src) if lit else "{" + src + "}" for src, lit in pieces) + '"'
        return " + ".join(py_str(src) if lit else src for src, lit in pieces)

    def expr(self, node: ex.RuntimeExpr, at: JsonPath) -> tuple[str, PyType]:
        if v11_conditions.is_1_1(self.doc) and v11_grammar.check(self, node, at):
            return "None", ANY
        if isinstance(node, ex.Input):
            return self._input(node, at)
        if isinstance(node, ex.StepOutput):
            return self._step_output(node, at)
        if isinstance(node, ex.WorkflowInput):
            return self._workflow_input(node, at)
        if isinstance(node, ex.WorkflowOutput):
            return self._named_workflow_output(node.workflow_id, node.name, node.pointer, at)
        if isinstance(node, ex.Output):
            return self._output(node, at)
        if isinstance(node, ex.SourceDescriptionRef):
            return self._source_description(node, at)
        if isinstance(node, ex.ComponentRef):
            return self._component(node, at)
        event = events_steps.expr(self, node, at)  # $message, and what an event step does not have
        if event is not None:
            return event
        if self.phase != "response" or self.info is None or self.info.operation is None:
            if self._unbound():
                return "None", ANY  # the step's unknown target is reported: nothing follows from it
            where = {
                "request": "in the parameters or request body of the step that sends the request",
                "outputs": "in workflow outputs",
                "called": "in a step that calls a workflow",
            }.get(self.phase, "here")
            self.error(at, f"{ex.to_source(node)} is not available {where}", "it describes a step's HTTP exchange: use it in that step's successCriteria, outputs or action criteria, and pass it on with $steps.<stepId>.outputs.<name>")
            return "None", ANY
        op = self.info.operation
        if self.timed_out and not isinstance(node, (ex.Method, ex.RequestPath, ex.RequestBody)):
            self.unavailable = True
            return "None", ANY
        if isinstance(node, ex.StatusCode):
            return "_response.status_code", PyType("int")
        if isinstance(node, ex.Url):
            return "str(_response.request.url)", PyType("str")
        if isinstance(node, ex.Method):
            return py_str(op.method), PyType("str")
        if isinstance(node, ex.ResponseHeader):
            return f"_response.headers.get({py_str(node.name)})", PyType("str | None", optional=True)
        if isinstance(node, ex.RequestHeader):
            return f"_response.request.headers.get({py_str(node.name)})", PyType("str | None", optional=True)
        if isinstance(node, ex.RequestQuery):
            return f"_response.request.url.params.get({py_str(node.name)})", PyType("str | None", optional=True)
        if isinstance(node, ex.RequestPath):
            if node.name in self.path_values:
                return self.path_values[node.name], ANY
            self.error(at, f"$request.path.{node.name} is not a path parameter of this step", did_you_mean(node.name, self.path_values))
            return "None", ANY
        if isinstance(node, ex.RequestBody):
            if self.payload_var is None:
                self.error(at, "$request.body: this step sends no request body", "add a requestBody to the step")
                return "None", ANY
            if not node.pointer:
                return self.payload_var, ANY
            return f"_runtime.pointer({self.payload_var}, {py_str(_pointer_text(node.pointer))})", ANY
        assert isinstance(node, ex.ResponseBody)
        self.reads_body = True
        tokens = tuple(node.pointer or ())
        if not self.wf.body_is_json(self.info):
            if tokens:
                self.error(at, f"{ex.to_source(node)}: the response of {op.display_name} is not JSON, so a JSON pointer cannot reach into it", "use an xpath or regex criterion with context $response.body")
            return "_body", PyType("str")
        schema = None if self.failing else self.wf.success_response_schema(self.info)
        py_type = self.p.inferrer.at_pointer(schema, tokens) if schema else ANY
        if not tokens:
            return "_body", py_type
        self._check_pointer(schema, tokens, at)
        return f"_runtime.pointer(_body, {py_str(_pointer_text(tokens))})", py_type

    def _check_pointer(self, schema: SchemaLoc | None, pointer: tuple[str, ...], at: JsonPath) -> None:
        if schema is None:
            return
        if self.p.inferrer.at_pointer(schema, pointer) is ANY and not self.p.inferrer.has_path(schema, pointer):
            close = did_you_mean(pointer[-1], _member_names(self.p.inferrer, schema, pointer[:-1])) if pointer else None
            self.warn(at, f"the response schema has no member at {_pointer_text(pointer)!r}", close or "check the JSON pointer against the operation's response schema")

    def _check_jsonpath_members(self, query: str, goessner: bool, raw_context: Any, at: JsonPath, *, wrapped: bool = True) -> None:
        """The member names a JSONPath query reads in ``$response.body``, checked
        against the response schema as JSON pointers are."""
        if self.phase != "response" or self.info is None or self.failing or not self.wf.body_is_json(self.info):
            return
        text = str(raw_context).strip()
        parsed = _parse_leniently(text[1:-1] if text.startswith("{$") and text.endswith("}") else text)
        schema = self.wf.success_response_schema(self.info)
        if not isinstance(parsed, ex.ResponseBody) or schema is None:
            return
        inferrer = self.p.inferrer
        for path in ex.jsonpath_members(query, goessner=goessner, wrapped=wrapped):
            tokens = tuple(parsed.pointer or ()) + tuple("0" if t is None else t for t in path)
            parent = tokens[:-1]
            if inferrer.at_pointer(schema, tokens) is not ANY or inferrer.has_path(schema, tokens):
                continue
            if parent and not inferrer.has_path(schema, parent):
                continue  # not an array (or reported at the member before it)
            close = did_you_mean(tokens[-1], _member_names(inferrer, schema, parent))
            self.warn(at, f"JSONPath query {query!r} reads {path[-1]!r}: the response schema has no member at {_pointer_text(tokens)!r}", close or "check the member names against the operation's response schema")

    def _input(self, node: ex.Input, at: JsonPath) -> tuple[str, PyType]:
        name, pointer = node.name, tuple(node.pointer or ())
        if name not in self.wf.inputs and "." in name:
            head, *rest = name.split(".")
            if head in self.wf.inputs:
                self._warn_dotted_name(node, ex.Input(head, tuple(rest) + pointer), at)
            name, pointer = head, tuple(rest) + pointer
        if name not in self.wf.inputs:
            self.error(at, f"unknown input $inputs.{name}", did_you_mean(name, self.wf.inputs) or "declare it in the workflow's inputs schema")
            return "None", ANY
        param = self.wf.inputs[name]
        if pointer:
            return f"_runtime.pointer({param.name}, {py_str(_pointer_text(pointer))})", ANY
        return param.name, self.wf.input_types[name]

    def _warn_dotted_name(self, written: ex.Input | ex.Output | ex.StepOutput | ex.WorkflowOutput, meant: ex.Input | ex.Output | ex.StepOutput | ex.WorkflowOutput, at: JsonPath) -> None:
        """Quirk: ``$steps.s.outputs.menu.page.limit``, where no output is named
        ``menu.page.limit`` but ``menu`` is, reads ``menu#/page/limit``: a warning."""
        self.warn(at, f"{ex.to_source(written)} names no {_NAME_KINDS[type(written)]}: it is read as {ex.to_source(meant)}, a dot-path into {ex.to_source(replace(meant, pointer=None))}", f"write {ex.to_source(meant)!r}")

    def _step_output(self, node: ex.StepOutput, at: JsonPath) -> tuple[str, PyType]:
        """A step output; wrapped in ``_runtime.need`` where the request cannot go without it."""
        source, py_type = self._output_of_step(node, at)
        target = self.wf.by_id.get(node.step_id)
        op = self.info.operation if self.info is not None else None
        if self.need_for is None or self.phase != "request" or self.info is None or op is None or target is None or source == "None":
            return source, py_type
        name = node.name + _pointer_text(node.pointer or ())
        defined = (target.step.get("outputs") or {}).get(node.name.split(".")[0]) if isinstance(target.step.get("outputs"), dict) else None
        written = f" ({defined})" if isinstance(defined, str) else ""
        ran = "" if target.index < self.info.index and not self.wf.machine else f" (or step {target.step_id!r} did not run)"
        reason = f"{target.step_id}: output {name!r}{written} is missing in the response{ran}; {self.info.step_id} needs it for {self.need_for}"
        return f"_runtime.need({source}, {py_str(self.info.step_id)}, {py_str(op.method)}, {py_str(op.path)}, {py_str(reason)})", (ANY if py_type.optional else py_type)

    def _output_of_step(self, node: ex.StepOutput, at: JsonPath) -> tuple[str, PyType]:
        target = self.wf.by_id.get(node.step_id)
        if target is None:
            self.error(at, f"unknown step {node.step_id!r} in $steps.{node.step_id}.outputs.{node.name}", did_you_mean(node.step_id, self.wf.by_id))
            return "None", ANY
        name, pointer = node.name, tuple(node.pointer or ())
        if name not in target.outputs and "." in name:
            head, *rest = name.split(".")
            if head in target.outputs:
                self._warn_dotted_name(node, ex.StepOutput(node.step_id, head, tuple(rest) + pointer), at)
                name, pointer = head, tuple(rest) + pointer
        if name not in target.outputs:
            self.error(at, f"step {node.step_id!r} defines no output {name!r}", did_you_mean(name, target.outputs) or f"add it to the outputs of step {node.step_id!r}")
            return "None", ANY
        if name in target.implicit_outputs and target.workflow_id is not None:
            callee = self.p.workflows[target.workflow_id].workflow_id
            self.warn(at, f"step {node.step_id!r} declares no output {name!r}: it is read as the output {name!r} of workflow {callee!r}, which the step calls", f"declare it on the step: outputs: {{{name}: $outputs.{name}}}")
        var = target.outputs[name]
        if var.name in self.unset:
            return "None", var.type.or_none()
        source = var.name
        earlier = self.info is not None and target.index < self.info.index
        if self.wf.machine and self.phase == "request" and earlier and self.need_for is None:
            # A step before this one must have run: say so clearly if a jump skipped it.
            assert self.info is not None
            source = f"_runtime.require({var.name}, {py_str(f'$steps.{node.step_id}.outputs.{name}')}, {py_str(self.info.step_id)})"
        if pointer:
            return f"_runtime.pointer({source}, {py_str(_pointer_text(pointer))})", ANY
        not_yet = self.info is not None and (target.index > self.info.index or (target is self.info and self.phase == "request"))
        if (self.wf.machine and not earlier and target is not self.info) or not_yet:
            return source, var.type.or_none()  # from an earlier round of a loop, or None
        if self.wf.machine and self.phase != "request" and target is not self.info:
            return source, var.type.or_none()
        return source, var.type

    def _workflow_ref(self, workflow_id: str) -> str | None:
        """The key of ``$workflows.<workflow_id>``: a workflow of this document, else a
        workflow of a linked document that this workflow runs, named by its workflowId."""
        return self.wf.expression_key(workflow_id)

    def _workflow_input(self, node: ex.WorkflowInput, at: JsonPath) -> tuple[str, PyType]:
        key = self._workflow_ref(node.workflow_id)
        if key is not None and (key == self.wf.key or (key in self.wf.callees and key not in {s.workflow_id for s in self.wf.steps})):
            # this workflow's inputs; a workflow it runs by dependsOn or goto gets the inputs of the same name
            if key != self.wf.key and node.name not in self.p.workflows[key].inputs:
                self.error(at, f"workflow {node.workflow_id!r} has no input {node.name!r}", did_you_mean(node.name, self.p.workflows[key].inputs))
                return "None", ANY
            return self._input(ex.Input(node.name, node.pointer), at)
        if key is None:
            self.error(at, f"unknown workflow {node.workflow_id!r} in {ex.to_source(node)}", did_you_mean(node.workflow_id, self.doc.workflow_ids()))
        else:
            self.error(at, f"{ex.to_source(node)}: the inputs of workflow {node.workflow_id!r} are only known here when it is this workflow, or one it runs by dependsOn or goto", "read the value where it comes from instead")
        return "None", ANY

    def _named_workflow_output(self, workflow_id: str, name: str, pointer: ex.Pointer | None, at: JsonPath) -> tuple[str, PyType]:
        """``$workflows.<workflow_id>.outputs.<name>``."""
        key = self._workflow_ref(workflow_id)
        if key is None:
            ambiguous = self.wf.linked_callees(workflow_id)
            if len(ambiguous) > 1:
                self.error(at, f"$workflows.{workflow_id}.outputs.{name} is ambiguous: " + " and ".join(ambiguous) + " both run here", "give one of the workflows another workflowId")
            else:
                self.error(at, f"unknown workflow {workflow_id!r} in $workflows.{workflow_id}.outputs.{name}", did_you_mean(workflow_id, self.doc.workflow_ids()))
            return "None", ANY
        return self._workflow_output(key, name, pointer, at)

    def _workflow_output(self, key: str, name: str, pointer: ex.Pointer | None, at: JsonPath) -> tuple[str, PyType]:
        callee = self.p.workflows[key]
        workflow_id = callee.workflow_id
        if key == self.wf.key:
            return self._output(ex.Output(name, pointer), at)
        if key not in self.wf.workflow_vars:
            self.error(at, f"$workflows.{workflow_id}.outputs.{name}: workflow {self.wf.workflow_id!r} never runs {workflow_id!r}", f"add {workflow_id!r} to dependsOn, or call it from a step")
            return "None", ANY
        tokens = tuple(pointer or ())
        if name not in callee.output_fields and "." in name:
            head, *rest = name.split(".")
            if head in callee.output_fields:
                if self.phase == "called" and self.info is not None and self.info.workflow_id == key:
                    self._warn_dotted_name(ex.Output(name, pointer), ex.Output(head, tuple(rest) + tokens), at)
                else:
                    self._warn_dotted_name(ex.WorkflowOutput(workflow_id, name, pointer), ex.WorkflowOutput(workflow_id, head, tuple(rest) + tokens), at)
                name, tokens = head, tuple(rest) + tokens
        if name not in callee.output_fields:
            self.error(at, f"workflow {workflow_id!r} has no output {name!r}", did_you_mean(name, callee.output_fields))
            return "None", ANY
        if self.timed_out and self.info is not None and self.info.workflow_id == key:
            self.unavailable = True  # the call this step made was aborted: it has no outputs
            return "None", ANY
        var = self.wf.workflow_vars[key]
        attr = callee.output_fields[name].name
        py_type = callee.output_types[name]
        always = key in self.wf.depends_on or (self.phase == "called" and self.info is not None and self.info.workflow_id == key)
        source = f"{var}.{attr}" if always else f"(None if {var} is None else {var}.{attr})"
        if DATETIME_TYPE in py_type.text:
            source = f"_runtime.json_form({source})"  # the string, as a step output holds it
        if not always:
            py_type = py_type.or_none()
        if tokens:
            return f"_runtime.pointer({source}, {py_str(_pointer_text(tokens))})", ANY
        return source, py_type

    def _output(self, node: ex.Output, at: JsonPath) -> tuple[str, PyType]:
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
                return "None", ANY
            if name in self._outputs_stack:
                self.error(at, "workflow outputs refer to each other in a cycle: " + " -> ".join(self._outputs_stack + [name]), "make one of them read a step's output ($steps.<stepId>.outputs.<name>) instead")
                return "None", ANY
            self._outputs_stack.append(name)
            source, py_type = self.value(raw_outputs[name], self.wf.path + ("outputs", name))
            self._outputs_stack.pop()
            if pointer:
                return f"_runtime.pointer({source}, {py_str(_pointer_text(pointer))})", ANY
            return source, py_type
        if self._unbound():
            return "None", ANY
        self.error(at, f"{ex.to_source(node)} is only available in workflow outputs and in steps that call a workflow", "read a step's output with $steps.<stepId>.outputs.<name>")
        return "None", ANY

    def _unbound(self) -> bool:
        """In a step whose operation or workflow could not be found (reported where it
        is named): what it would have read is unknown, not wrong."""
        info = self.info
        return info is not None and info.operation is None and info.event is None and (info.workflow_id is None or info.workflow_id not in self.p.workflows)

    def _source_description(self, node: ex.SourceDescriptionRef, at: JsonPath) -> tuple[str, PyType]:
        source = self.doc.sources.get(node.source)
        if source is None:
            self.error(at, f"unknown source description {node.source!r}", did_you_mean(node.source, self.doc.sources))
            return "None", ANY
        if v11_conditions.is_1_1(self.doc):
            found = v11_grammar.source_description(self.doc, node, source.operations)
            if found is not None:
                return py_str(found), PyType("str")
        if node.field == "url":
            return py_str(self.doc.source_urls.get(node.source, source.url)), PyType("str")
        if node.field in source.operations:
            return py_str(node.field), PyType("str")
        linked = self.doc.linked.get(node.source)
        if linked is not None and node.field in linked.workflow_ids():
            return py_str(node.field), PyType("str")
        if linked is not None:
            self.error(at, f"source description {node.source!r} has no workflow {node.field!r}", did_you_mean(node.field, linked.workflow_ids()))
            return "None", ANY
        self.error(at, f"source description {node.source!r} has no operation {node.field!r}", did_you_mean(node.field, source.operations))
        return "None", ANY

    def _component(self, node: ex.ComponentRef, at: JsonPath) -> tuple[str, PyType]:
        components = (self.doc.arazzo.data.get("components") or {}).get(node.kind) or {}
        if node.kind != "parameters":
            self.error(at, f"{ex.to_source(node)} is not a value", "components.parameters can be read as values; actions are used with 'reference'")
            return "None", ANY
        if node.name not in components or not isinstance(components[node.name], dict):
            self.error(at, f"unknown component parameter {node.name!r}", did_you_mean(node.name, components))
            return "None", ANY
        return self.value(components[node.name].get("value"), ("components", "parameters", node.name, "value"))

    # -- requests ----------------------------------------------------------------------

    def request_lines(self, op: Operation, step: dict[str, Any], at: JsonPath) -> list[str]:
        """The statements that send the step's request and bind ``response``."""
        assert self.info is not None
        lines: list[str] = []
        by_location: dict[str, list[tuple[str, str]]] = {"path": [], "query": [], "header": [], "cookie": []}
        path_at: dict[str, JsonPath] = {}
        query_string: list[tuple[str, str, JsonPath]] = []  # in: querystring (Arazzo 1.1, OpenAPI 3.2)
        for (name, location), (raw, p_at) in self._merged_parameters(step, at, for_workflow=False).items():
            spec = next((s for (n, loc), s in op.parameters.items() if loc == location and (n == name or (loc == "header" and n.lower() == name.lower()))), None)
            if location == "path" or (spec is not None and spec.required):
                self.needs[p_at] = f"path parameter {name!r}" if location == "path" else f"the required {location} parameter {name!r}"
            source, py_type = self.value(raw, p_at)
            if location == "path":
                self.path_values[name] = source
                path_at[name] = p_at[:-1] + ("name",) if p_at[-1:] == ("value",) else p_at
            elif location == "header" and py_type.text != "str":
                source = f"_runtime.text({source})"
            if location in by_location:
                by_location[location].append((name, source))
            elif location == "querystring":
                query_string.append((name, source, p_at))
            else:
                self.error(p_at[:-1] + ("in",), f"parameter location {location!r} is not path, query, header or cookie", "write in: path, query, header or cookie (a request body goes in requestBody)")
        auth = self.wf.auth_for(self.info, self)
        lines += auth.prelude
        url = self._url(op, dict(by_location["path"]), at, path_at)
        if query_string:
            url = v11_querystring.with_query_string(self, op, url, query_string, by_location["query"])
        headers = by_location["header"] + auth.headers
        explicit = {n.lower() for n, _ in headers}
        query = by_location["query"] + auth.query
        cookies = by_location["cookie"] + auth.cookies
        body_lines, body_arg, content_type = self._body_argument(op, step, at)
        lines += body_lines
        if content_type and "content-type" not in explicit:
            headers.append(("Content-Type", content_type))
        if cookies and "cookie" not in explicit:
            headers.append(("Cookie", "_runtime.cookies({" + ", ".join(f"{py_str(n)}: {v}" for n, v in cookies) + "})"))
        key_header = idempotency_header(op, self.wf.p.options.idempotency_header)
        keyed = key_header is not None and key_header.lower() not in explicit
        if key_header is not None and keyed:
            headers.append((key_header, f"_keys.key({py_str(self.info.step_id)})"))
        args = [py_str(self.info.step_id), py_str(op.method), url]
        if query:
            args.append("params={" + ", ".join(f"{py_str(n)}: {v}" for n, v in query) + "}")
        if headers:
            args.append("headers={" + ", ".join(f"{py_str(n)}: {v}" for n, v in headers) + "}")
        if body_arg:
            args.append(body_arg)
        documented = self._documented_statuses(op)
        if documented:
            args.append("documented=(" + ", ".join(documented) + ",)")
        args.append("secrets=_secrets")
        if keyed:
            args.append("idempotent=True")
        call = "await _runtime.asend" if self.is_async else "_runtime.send"
        lines.append(f"_response = {call}(_http, _deadline, sleep, " + ", ".join(args) + ")")
        return lines

    def _documented_statuses(self, op: Operation) -> list[str]:
        """502/503/504 (and 429) when the description or the step gives them a meaning: the
        step's own actions, not transport retries, then decide what they mean."""
        assert self.info is not None
        statuses = set(op.responses) & _TRANSPORT_RETRY_STATUSES
        texts = [str(c.get("condition", "")) for c, _ in self.wf._criteria(self.info.step.get("successCriteria"), ())]
        texts += [str(c.get("condition", "")) for a in self.info.failure_actions for c, _ in a.criteria]
        for text in texts:
            statuses.update(s for s in _STATUS_REF.findall(text) if s in _CRITERIA_RETRY_STATUSES)
        if any(a.kind == "retry" for a in self.info.failure_actions):
            statuses.add("429")  # a step with retry actions decides about rate limits itself
        return sorted(statuses)

    def workflow_arguments(self, callee: WorkflowAnalyzer, step: dict[str, Any], at: JsonPath) -> list[tuple[str, str]]:
        """Parameters of a step that calls a workflow: they map to the callee's inputs."""
        arguments: list[tuple[str, str]] = []
        for (name, _), (raw, p_at) in self._merged_parameters(step, at, for_workflow=True).items():
            if name not in callee.inputs:
                if p_at[: len(at)] == at:
                    self.error(p_at[:-1] + ("name",), f"workflow {callee.workflow_id!r} has no input {name!r}", did_you_mean(name, callee.inputs) or "parameters of a step that calls a workflow map to its inputs")
                continue
            source, py_type = self.value(raw, p_at)
            arguments.append((name, self.wf.argument(callee, name, source, py_type, p_at)))
        given = {name for name, _ in arguments}
        for original in sorted(callee.required_inputs - given):
            self.error(at, f"step {step.get('stepId')!r} calls workflow {callee.workflow_id!r} without its required input {original!r}", f"add a parameter: {{name: {original}, value: ...}}")
        return arguments

    def _merged_parameters(self, step: dict[str, Any], at: JsonPath, *, for_workflow: bool) -> dict[tuple[str, str], tuple[Any, JsonPath]]:
        merged: dict[tuple[str, str], tuple[Any, JsonPath]] = {}
        sources = ((self.wf.workflow.get("parameters"), self.wf.path + ("parameters",)), (step.get("parameters"), at + ("parameters",)))
        for items, base in sources:
            for index, item in enumerate(items or []):
                p_at = base + (index,)
                resolved = self._parameter(item, p_at, for_workflow)
                if resolved is None:
                    continue
                name, location, value, v_at = resolved
                key = (name, "input" if for_workflow else location)
                if location == "header" and not for_workflow:
                    key = (next((k[0] for k in merged if k[1] == "header" and k[0].lower() == name.lower()), name), location)
                merged.pop(key, None)
                merged[key] = (value, v_at)
        return merged

    def _parameter(self, item: Any, at: JsonPath, for_workflow: bool) -> tuple[str, str, Any, JsonPath] | None:
        if not isinstance(item, dict):
            return None
        if "reference" in item:
            ref = item["reference"]
            prefix = "$components.parameters."
            if not isinstance(ref, str) or not ref.startswith(prefix):
                self.error(at + ("reference",), f"parameter reference {ref!r} must point into components.parameters", f"write '{prefix}<name>'")
                return None
            name = ref[len(prefix):]
            components = (self.doc.arazzo.data.get("components") or {}).get("parameters") or {}
            if name not in components or not isinstance(components[name], dict):
                self.error(at + ("reference",), f"unknown reusable parameter {ref!r}", did_you_mean(name, components))
                return None
            target = components[name]
            value_at = at + ("value",) if "value" in item else ("components", "parameters", name, "value")
            value = item["value"] if "value" in item else target.get("value")
            location = target.get("in")
            if location is None and not for_workflow:
                self.error(("components", "parameters", name), f"reusable parameter {name!r} has no 'in'", "operation parameters need in: path, query, header or cookie")
                return None
            return str(target.get("name")), str(location), value, value_at
        if "in" not in item and not for_workflow:
            self.error(at, f"parameter {item.get('name')!r} has no 'in'", "operation parameters need in: path, query, header or cookie")
            return None
        return str(item.get("name")), str(item.get("in")), item.get("value"), at + ("value",)

    def _url(self, op: Operation, path_values: dict[str, str], at: JsonPath, path_at: dict[str, JsonPath]) -> str:
        parts = re.split(r"(\{[^{}]+\})", op.path)
        pieces: list[str] = [f"_base[{py_str(op.source.key)}]"]
        self.wf.server_keys.add(op.source.key)
        literal = ""
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                if literal:
                    pieces.append(py_str(literal))
                    literal = ""
                if name not in path_values:
                    self.error(at, f"no value for the required path parameter {name!r} of {op.display_name} ({op.method} {op.path})", f"add a parameter: {{name: {name}, in: path, value: ...}}")
                    pieces.append(py_str(part))
                else:
                    pieces.append(f"_runtime.path_param({path_values[name]}, {py_str(self.info.step_id if self.info else '')}, {py_str(name)})")
            else:
                literal += part
        if literal:
            pieces.append(py_str(literal))
        for name in path_values:
            if "{" + name + "}" not in op.path:
                self.error(path_at.get(name, at), f"path parameter {name!r} does not appear in the path {op.path!r}", did_you_mean(name, re.findall(r"\{([^{}]+)\}", op.path)) or f"the path has no {{{name}}}: remove the parameter, or set 'in' to where the operation takes it (query, header or cookie)")
        return " + ".join(pieces)

    def _body_argument(self, op: Operation, step: dict[str, Any], at: JsonPath) -> tuple[list[str], str | None, str | None]:
        """(lines before the request, the body keyword argument, the Content-Type source)."""
        request_body = step.get("requestBody")
        if not isinstance(request_body, dict) or "payload" not in request_body:
            if isinstance(request_body, dict) and request_body.get("replacements"):
                self.error(at + ("requestBody",), "payload replacements need a payload", "add requestBody.payload")
            return [], None, None
        b_at = at + ("requestBody",)
        if op.method in ("GET", "HEAD", "DELETE"):
            self.warn(b_at, f"a request body on {op.method} has no defined meaning (RFC 9110); the Arazzo specification says to avoid it", "send the data as parameters, or use an operation that takes a body")
        content_type = request_body.get("contentType")
        if content_type is None:
            content_type = next(iter(op.request_content), "application/json")
        content_type = str(content_type)
        base = content_type.split(";")[0].strip().lower()
        payload = request_body["payload"]
        is_json = base == "application/json" or base.endswith("+json")
        is_xml = base in ("application/xml", "text/xml") or base.endswith("+xml")
        parsed: Any = None
        if isinstance(payload, str):
            try:
                parsed = ex.parse_value(payload)
            except ex.ExpressionError:
                parsed = None
        whole_expression = isinstance(payload, str) and parsed is not None and not isinstance(parsed, (str, ex.Template))
        schema = op.request_content.get(content_type) or next((loc for ct, loc in op.request_content.items() if ct.split(";")[0].strip().lower() == base), None)
        self._need_members(payload, schema, (), b_at + ("payload",))
        source, _ = self.value(payload, b_at + ("payload",))
        replacements = self._replacements(request_body, b_at, xml=is_xml)
        lines: list[str] = []
        var_needed = self.reads_request_body() or bool(replacements)
        if replacements:
            if is_xml:
                self.p.runtime_parts.add("xpath")
                source = f"_runtime.xml_replace({source}, [" + ", ".join(f"({py_str(t)}, {v})" for t, v in replacements) + "])"
            elif any(t.startswith("$") for t, _ in replacements):
                source = f"_runtime.replace_selected({source}, [" + ", ".join(f"({v11_selectors.target_source(t)}, {v})" for t, v in replacements) + "])"
            else:
                source = f"_runtime.replace_pointer({source}, [" + ", ".join(f"({py_str(t)}, {v})" for t, v in replacements) + "])"
        if base == "multipart/form-data":
            if not isinstance(payload, dict) and not whole_expression:
                self.error(b_at + ("payload",), "a multipart/form-data payload must be an object of fields", "write the payload as a mapping of field names to values")
            var = self.info.payload_name if self.info else "_payload"
            lines.append(f"{var} = _runtime.multipart({source})")
            self.payload_var = f"{var}.fields"
            return lines, f"content={var}.content", f"{var}.content_type"
        if var_needed:
            var = self.info.payload_name if self.info else "_payload"
            lines.append(f"{var} = {source}")
            source = var
            self.payload_var = var
        if is_json:
            if isinstance(payload, (dict, list)) or whole_expression or (replacements and not isinstance(payload, str)):
                extra = None if base == "application/json" else py_str(content_type)
                return lines, f"json={source}", extra
            return lines, f"content={source}", py_str(content_type)
        if base == "application/x-www-form-urlencoded":
            if isinstance(payload, dict) or whole_expression:
                return lines, f"data={source}", None
            return lines, f"content={source}", py_str(content_type)
        if isinstance(payload, (dict, list)):
            self.error(b_at + ("payload",), f"a structured payload cannot be sent as {content_type!r}", "use application/json, application/x-www-form-urlencoded or multipart/form-data, or write the payload as text")
        return lines, f"content={source if isinstance(payload, str) and not whole_expression else '_runtime.text(' + source + ')'}", py_str(content_type)

    def _need_members(self, payload: Any, schema: SchemaLoc | None, pointer: tuple[str, ...], at: JsonPath) -> None:
        """List in ``needs`` the members of a literal payload that its schema requires."""
        if schema is None or not isinstance(payload, dict) or len(pointer) > 16:
            return
        required = _required_names(self.p.inferrer, schema, pointer)
        for key, item in payload.items():
            if str(key) in required:
                self.needs[at + (str(key),)] = f"the required body member {_pointer_text(pointer + (str(key),))!r}"
            self._need_members(item, schema, pointer + (str(key),), at + (str(key),))

    def reads_request_body(self) -> bool:
        if self.info is None:
            return False
        step = self.info.step
        text = json.dumps([step.get("successCriteria"), step.get("outputs"), step.get("onSuccess"), step.get("onFailure")], default=str)
        return "$request.body" in text

    def _replacements(self, request_body: dict[str, Any], at: JsonPath, *, xml: bool) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for index, item in enumerate(request_body.get("replacements") or []):
            r_at = at + ("replacements", index)
            if not isinstance(item, dict) or not isinstance(item.get("target"), str):
                continue
            target = item["target"]
            if v11_selectors.is_v11(self):
                chosen = v11_selectors.replacement_target(self, item, r_at, xml=xml)
                if chosen is None:
                    continue
                source, _ = self.value(item.get("value"), r_at + ("value",))
                out.append((chosen, source))
                continue
            if xml:
                problem = ex.xpath_target_problem(target)
                if problem is not None:
                    self.error(r_at + ("target",), f"replacement target {target!r} is not a supported XPath location path: {problem}", "e.g. /order/petId or /order/@id")
                    continue
            elif target != "" and not target.startswith("/"):
                self.error(r_at + ("target",), f"replacement target {target!r} is not a JSON pointer", "JSON pointers start with '/', e.g. /petId")
                continue
            source, _ = self.value(item.get("value"), r_at + ("value",))
            out.append((target, source))
        return out

    # -- criteria ----------------------------------------------------------------------

    def criteria(self, items: list[tuple[dict[str, Any], JsonPath]], *, default: str) -> str:
        if not items:
            self.criterion_parts = []
            return default
        self.unavailable = False
        parts = [self.criterion(c, at) for c, at in items]
        self.criterion_parts = [(_criterion_text(c), part) for (c, _), part in zip(items, parts)]
        if self.unavailable:  # a timed-out step: a criterion reading its exchange cannot hold
            self.unavailable = False
            return "False"
        if len(parts) == 1:
            return parts[0]
        return " and ".join(f"({p})" if " or " in p else p for p in parts)

    def failed_criterion_args(self) -> str:
        """``, criterion=...``: the condition text of the first criterion of the last
        :meth:`criteria` call that does not hold, for the code that runs when they fail."""
        parts = self.criterion_parts
        if not parts:
            return ""
        source = py_str(parts[-1][0])
        for text, part in reversed(parts[:-1]):
            source = f"{py_str(text)} if {_negate(part)} else {source}"
        return f", criterion={source}"

    def criterion(self, criterion: dict[str, Any], at: JsonPath) -> str:
        kind = criterion.get("type", "simple")
        condition = str(criterion.get("condition", ""))
        version: str | None = None
        if isinstance(kind, dict):
            version = str(kind.get("version")) if kind.get("version") is not None else None
            kind = kind.get("type")
        if kind != "simple" and v11_conditions.is_1_1(self.doc):
            return v11_conditions.criterion(self, criterion, at, kind, version, condition)
        if kind == "simple":
            stripped = condition.strip()
            if stripped.startswith("{$") and stripped.endswith("}"):
                self.warn(at + ("condition",), f"condition {condition!r} is wrapped in braces", f"write {stripped[1:-1]!r}")
                condition = stripped[1:-1]
            quirks: list[ex.Quirk] = []
            selves = v11_self.self_root(self) if v11_conditions.is_1_1(self.doc) else None
            try:
                tree = ex.parse_condition(condition, quirks, selves)
            except ex.ExpressionError as exc:
                self.error(at + ("condition",), f"malformed condition {condition!r} at column {exc.offset + 1}: {exc.message}", exc.hint)
                return "False"
            if selves is not None and selves.offsets and selves.uri is None:
                v11_self.no_self(self, at + ("condition",), f"condition {condition!r} reads $self at column {selves.offsets[0] + 1}")
                return "False"
            dotted = [q for q in quirks if q.what == "a dot-path after $message.payload"]
            quirks = [q for q in quirks if q not in dotted]
            if dotted:
                # Quirk (the Arazzo 1.1 spec's examples): $message.payload.orderId for $message.payload#/orderId.
                shown = ", ".join(condition[q.start : q.end] for q in dotted)
                self.warn(at + ("condition",), f"condition {condition!r} reads the message payload with a dot-path ({shown}), not a JSON pointer", f"write {ex.apply_quirks(condition, dotted)!r}")
            if quirks:
                # Quirk: "humanoid" (JavaScript's, JSON's quotes) for the literal 'humanoid'.
                shown = ", ".join(condition[q.start : q.end] for q in quirks)
                self.warn(at + ("condition",), f"condition {condition!r} writes {quirks[0].what if len(quirks) == 1 else 'strings in double quotes'} ({shown}): string literals take single quotes", f"write {ex.apply_quirks(condition, quirks)!r}")
            return self.boolean(tree, at + ("condition",))
        if kind not in ("regex", "jsonpath", "xpath"):
            self.error(at + ("type",), f"unknown criterion type {kind!r}", "use simple, regex, jsonpath or xpath")
            return "False"
        context = self._context(criterion, at, xml=kind == "xpath")
        if context is None:
            return "False"
        if kind == "regex":
            try:
                translated = ecma_pattern(condition)
            except RegexError as exc:
                self.error(at + ("condition",), f"invalid regular expression {condition!r}: {exc}", "a regex condition is an ECMA-262 regular expression (as Arazzo specifies): close every group and class, and write a literal (, [ or \\ with a backslash before it")
                return "False"
            return f"_runtime.matches({py_str(translated)}, {context})"
        if kind == "jsonpath":
            return self._jsonpath(condition, context, at, version, criterion.get("context"))
        return self._xpath(condition, context, at, version)

    def _context(self, criterion: dict[str, Any], at: JsonPath, *, xml: bool) -> str | None:
        raw = criterion.get("context")
        if raw is None:
            self.error(at, "a regex, jsonpath or xpath criterion needs a context", "add context: $response.body")
            return None
        text = str(raw).strip()
        if text.startswith("{$") and text.endswith("}"):
            text = text[1:-1]
        try:
            parsed = ex.parse_expression(text)
        except ex.ExpressionError as exc:
            reported, dotted = self._body_dot_path(text, at + ("context",))
            if dotted is None:
                if not reported:
                    self.error(at + ("context",), f"malformed context expression {raw!r}: {exc.message}", exc.hint)
                return None
            parsed = dotted
        if xml and isinstance(parsed, ex.ResponseBody) and not parsed.pointer and self.phase == "response" and not self.timed_out:
            return "_response.content"  # the raw XML bytes: the parser reads their encoding declaration
        source, _ = self.expr(parsed, at + ("context",))
        return source

    def _jsonpath(self, condition: str, context: str, at: JsonPath, version: str | None, raw_context: Any = None) -> str:
        goessner = False
        if version is not None:
            if version != _GOESSNER:
                self.error(at + ("type", "version"), f"unknown JSONPath version {version!r}", f"the allowed value is {_GOESSNER!r} (omit the expression type object for RFC 9535)")
                return "False"
            goessner = True
        query = condition.strip()
        quirk = _JSONPATH_QUIRK.match(query)
        if quirk:
            path, op, literal = quirk.groups()
            fixed = f"$[?@{path} {op} {literal.strip()}]"
            self.warn(at + ("condition",), f"JSONPath condition {condition!r} is a comparison, not an RFC 9535 query", f"write {fixed!r}")
            query = fixed
        try:
            ex.check_jsonpath(query, goessner=goessner)
        except ex.ExpressionError as exc:
            self.error(at + ("condition",), f"malformed JSONPath query {condition!r} at column {exc.offset + 1}: {exc.message}", exc.hint or "the context is wrapped in a one-element array: $[?@.status == 'done'] tests the context itself")
            return "False"
        self._check_jsonpath_members(query, goessner, raw_context, at + ("condition",))
        self.p.runtime_parts.add("jsonpath")
        try:
            return compile_criterion(query, context, goessner=goessner)  # plain Python; the query stays in the criterion's comment
        except Unsupported as exc:
            self.error(at + ("condition",), f"JSONPath query {condition!r} cannot be compiled: {exc}", "rewrite it with RFC 9535 selectors, filters and the five standard functions")
            return "False"

    def _xpath(self, condition: str, context: str, at: JsonPath, version: str | None) -> str:
        if version is not None and version not in _XPATH_VERSIONS:
            self.error(at + ("type", "version"), f"unknown XPath version {version!r}", "the allowed values are xpath-10, xpath-20 and xpath-30 (xpath-31 is the default)")
            return "False"
        expression = condition.strip()
        version = version or "xpath-31"
        try:
            ex.check_xpath(expression, version=version)
        except ex.ExpressionError as exc:
            self.error(at + ("condition",), f"XPath expression {condition!r} at column {exc.offset + 1}: {exc.message}", f"rewrite it at that column with what {version} has: axes, name and kind tests, predicates, its operators and standard functions")
            return "False"
        self.p.runtime_parts.add("xpath")
        flavour = "" if version == "xpath-31" else f", {py_str(version)}"
        return f"_runtime.xpath_test({context}, {py_str(expression)}{flavour})"

    def boolean(self, node: ex.Condition, at: JsonPath) -> str:
        if isinstance(node, ex.And):
            return f"{self._group(node.left, at, ex.Or)} and {self._group(node.right, at, ex.Or)}"
        if isinstance(node, ex.Or):
            return f"{self.boolean(node.left, at)} or {self.boolean(node.right, at)}"
        if isinstance(node, ex.Not):
            inner = self.boolean(node.operand, at)
            return f"not ({inner})" if " " in inner else f"not {inner}"
        if isinstance(node, ex.Compare):
            left, left_type = self.operand(node.left, at)
            right, right_type = self.operand(node.right, at)
            if _certain_number(node.left, left) and _certain_number(node.right, right):
                return f"{left} {node.op} {right}"
            helper = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[node.op]
            return f"_runtime.{helper}({left}, {right})"
        source, py_type = self.operand(node, at)
        if py_type.text == "bool":
            return source
        return f"_runtime.truthy({source})"

    def _group(self, node: ex.Condition, at: JsonPath, loose: type) -> str:
        text = self.boolean(node, at)
        return f"({text})" if isinstance(node, loose) else text

    def operand(self, node: ex.Condition, at: JsonPath) -> tuple[str, PyType]:
        if isinstance(node, ex.Literal):
            value = node.value
            kind = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "None")
            return py_literal(value), PyType(kind)
        if isinstance(node, ex.Ref):
            return self.expr(node.expr, at)
        if isinstance(node, ex.Index):
            target, _ = self.operand(node.target, at)
            return f"_runtime.index({target}, {py_literal(node.index)})", ANY
        if isinstance(node, ex.Prop):
            target, _ = self.operand(node.target, at)
            return f"_runtime.index({target}, {py_str(node.name)})", ANY
        return self.boolean(node, at), PyType("bool")


def _certain_number(node: ex.Condition, source: str) -> bool:
    """A number literal or the status code: plain Python comparison operators are safe."""
    if isinstance(node, ex.Literal):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return source in ("_response.status_code", "response.status_code")


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


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


def _typing_imports(workflows: Iterable[WorkflowPlan]) -> tuple[str, ...]:
    """The names of ``typing`` that the workflows module uses."""
    names: set[str] = set()
    for wf in workflows:
        names |= _names_read(wf.sync_body) | _names_read(wf.async_body)
        for text in [p.type_text for p in wf.inputs] + [f.type_text for f in wf.outputs]:
            names |= _names_in(ast.parse(text, mode="eval"))
    return tuple(n for n in ("Any", "Literal", "cast") if n in names)


def _criterion_text(criterion: dict[str, Any]) -> str:
    """A criterion as a message names it: its condition, and its type and context unless simple."""
    condition = str(criterion.get("condition", "")).strip()
    kind = criterion.get("type", "simple")
    kind = kind.get("type") if isinstance(kind, dict) else kind
    if kind == "simple":
        return condition
    return f"{condition} ({kind} on {str(criterion.get('context', '')).strip()})"


def _negate(condition: str) -> str:
    """``not (condition)``, written the way a person would for the common cases."""
    if condition == "_response.is_success":
        return "not _response.is_success"
    match = re.fullmatch(r"_response\.status_code (==|!=|<=|>=|<|>) (\d+)", condition)
    if match:
        return f"_response.status_code {_NEGATED[match.group(1)]} {match.group(2)}"
    if _single_call(condition):
        return f"not {condition}"
    return f"not ({condition})"


def _single_call(text: str) -> bool:
    """Is ``text`` one name or one call, like ``_runtime.eq(a, b)`` (not ``f(a) and g(b)``)?"""
    if re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return True
    if not re.match(r"[A-Za-z_][\w.]*\(", text) or not text.endswith(")"):
        return False
    depth = 0
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == "\\":
                continue
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and index != len(text) - 1:
                return False
    return depth == 0


def _required_names(inferrer: TypeInferrer, schema: SchemaLoc, pointer: tuple[str, ...]) -> set[str]:
    """The member names every schema ``pointer`` reaches requires (its allOf parts too)."""
    found: list[set[str]] = []
    for loc in inferrer._descend(schema, pointer, 0):
        resolved = inferrer._deref(loc) if loc is not None else None
        value = resolved.value if resolved is not None else None
        parts: list[Any] = [value] + (list(value["allOf"]) if isinstance(value, dict) and isinstance(value.get("allOf"), list) else [])
        names: set[str] = set()
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("$ref"), str) and resolved is not None:
                deref = inferrer._deref(SchemaLoc(resolved.file, resolved.path, part))
                part = deref.value if deref is not None else None
            if isinstance(part, dict) and isinstance(part.get("required"), list):
                names.update(str(r) for r in part["required"])
        found.append(names)
    return set.intersection(*found) if found else set()


def _member_names(inferrer: TypeInferrer, schema: SchemaLoc, pointer: tuple[str, ...]) -> list[str]:
    """The property names of the schemas ``pointer`` reaches (for a did-you-mean)."""
    names: set[str] = set()
    for loc in inferrer._descend(schema, pointer, 0):
        resolved = inferrer._deref(loc) if loc is not None else None
        value = resolved.value if resolved is not None else None
        parts: list[Any] = [value] + (list(value["allOf"]) if isinstance(value, dict) and isinstance(value.get("allOf"), list) else [])
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("properties"), dict):
                names.update(str(k) for k in part["properties"])
    return sorted(names)


#: ``$steps.<stepId>.<name>[.more][#pointer]``: a step output without '.outputs.'.
_STEP_WITHOUT_OUTPUTS = re.compile(r"^\$steps\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+)*(?:#.*)?)$")

#: ``$dependencies.<workflowId>.<output>``: WSO2's spelling of a dependsOn workflow's output.
_DEPENDENCY_OUTPUT = re.compile(r"^\$dependencies\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_.-]+)$")

#: A value that starts like a runtime expression with a root the grammar does not have.
_UNKNOWN_ROOT = re.compile(r"^\$([A-Za-z]+)\.[A-Za-z_]")

#: ``$steps.<stepId>.outputs.<name>`` anywhere in a workflow's text (names may hold dots).
_STEP_OUTPUT_REF = re.compile(r"\$steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_.-]*[A-Za-z0-9_-])")

_NAME_KINDS: dict[type, str] = {ex.Input: "input", ex.StepOutput: "step output", ex.WorkflowOutput: "workflow output", ex.Output: "output"}


def _pointer_text(pointer: Iterable[str] | None) -> str:
    if not pointer:
        return ""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in pointer)


def _parse_leniently(raw: Any) -> ex.RuntimeExpr | ex.Template | str | None:
    """``raw`` parsed as a value, or None when it is not a string or does not parse
    (the malformed case is reported where the value is compiled)."""
    if not isinstance(raw, str):
        return None
    try:
        return ex.parse_value(raw)
    except ex.ExpressionError:
        return None
