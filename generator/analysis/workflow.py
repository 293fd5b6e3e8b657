"""The analysis of one workflow: its names, its calls, and the plan of its function
(the methods come from the modules of the analysis, one concern each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events_steps
from ..diagnostics import JsonPath, Report, Severity
from ..ir import nodes as n
from ..ir import printer
from ..model.document import Step as ModelStep
from ..model.document import Workflow as ModelWorkflow
from ..model.normalize import document_model
from ..plan import InputParam, OutputField, WorkflowPlan
from ..pycode import (
    RESERVED_NAMES,
    NameAllocator,
    docstring_text,
    pascal_case,
    snake_case,
)
from ..resolve import Resolved, SecurityScheme, linked_workflow
from ..schemas import PyType
from . import actions as actions_module
from . import body as body_module
from . import control_flow as control_flow_module
from . import outputs as outputs_module
from . import security as security_module
from . import steps as steps_module
from . import workflow_inputs as workflow_inputs_module
from .common import Credential, StepInfo

if TYPE_CHECKING:
    from .module import Analyzer


class WorkflowAnalyzer:
    """The analysis of one workflow.  Its state lives here; its methods are the
    functions of the analysis modules, bound below module by module (each takes the
    analyzer as ``self``), so that every concern reads in one file."""

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
        #: Each workflow output, compiled once: its IR and the step output variables it reads.
        self.output_values: dict[str, tuple[n.Expr, frozenset[str]]] = {}
        #: An output as an early end returns it, when it reads outputs of steps that did not
        #: run ((name, those variables) -> its IR, with None for them): built once, reused.
        self.early_values: dict[tuple[str, frozenset[str]], n.Expr] = {}
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
        self.mutable_defaults: dict[str, Any] = {}  # input (Python name) -> its dict/list schema default

    def error(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.p.report.add(self.doc.arazzo.diagnostic(path, message, hint))

    def warn(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.p.report.add(self.doc.arazzo.diagnostic(path, message, hint, severity=Severity.WARNING))

    def workflow_key(self, ref: str, at: JsonPath | None = None, *, checked: bool = False) -> str | None:
        """The key of the workflow ``ref`` names in this workflow's document: a local
        workflowId, or ``$sourceDescriptions.<name>.<workflowId>`` (reported when
        unknown, if ``at`` is given, unless ``checked``: resolve reported it already)."""
        if ref.startswith("$sourceDescriptions."):
            if at is None:
                return None
            return linked_workflow(self.doc, ref, at, Report() if checked else self.p.report)
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
        return sorted(
            k
            for k in self.callees
            if k in self.p.workflows
            and self.p.workflows[k].workflow_id == workflow_id
            and self.p.workflows[k].doc is not self.doc
        )

    def prepare(self) -> None:
        fn = snake_case(self.name_stem, fallback="workflow")
        self.fn = self.p.module_names.claim(fn)
        if self.fn != fn:
            self.warn(
                self.path + ("workflowId",),
                f"workflow {self.key!r} is generated as {self.fn}(), since {fn} is taken by another workflow or by the module itself",
                "rename one of the workflows",
            )
        self.async_fn = self.p.module_names.claim(self.fn + "_async")
        self.outputs_class = self.p.module_names.claim(pascal_case(self.name_stem, fallback="Workflow") + "Outputs")
        self.input_params = self._inputs()
        self._collect_steps()
        for index, dep in enumerate(self.workflow.get("dependsOn") or []):
            at = self.path + ("dependsOn", index)
            if not isinstance(dep, str):
                continue
            key = self.workflow_key(dep, at, checked=True)  # resolve checked dependsOn
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
            self.workflow_vars[target] = self.names.claim(
                f"{snake_case(self.p.workflows[target].name_stem, fallback='workflow')}_outputs"
            )

    def model(self) -> ModelWorkflow:
        """This workflow in the typed model (generator.model)."""
        found = document_model(self.doc).workflow_at(self.index)
        assert found is not None, self.path
        return found

    def model_step(self, info: StepInfo) -> ModelStep:
        """A step of this workflow in the typed model (``info.index`` is where it runs,
        which dependsOn may have moved; its JSON path says where it is written)."""
        found = document_model(self.doc).step_at(self.index, int(info.json_path[3]))
        assert found is not None, info.json_path
        return found

    def callee_list(self) -> list[tuple[str, JsonPath]]:
        return list(self.callees.items())

    def run(self) -> WorkflowPlan:
        self._classify()
        for info in self.steps:
            self._infer_step_outputs(info)
        outputs, output_exprs = self._workflow_outputs()
        body = tuple(self._without_unused(self._body(output_exprs=output_exprs)))
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
            body=body,
            sync_body=printer.statements(body, printer.SYNC),
            async_body=printer.statements(body, printer.ASYNC),
            transport_type=transport,
            async_transport_type=async_transport,
        )

    # workflow_inputs.py
    _inputs = workflow_inputs_module._inputs
    _undeclared_inputs = workflow_inputs_module._undeclared_inputs
    _warn_renamed_input = workflow_inputs_module._warn_renamed_input
    _deref_input_schema = workflow_inputs_module._deref_input_schema

    # actions.py
    _collect_steps = actions_module._collect_steps
    _implicit_callee_outputs = actions_module._implicit_callee_outputs
    step_outputs = actions_module.step_outputs
    _actions = actions_module._actions
    _action_workflow = actions_module._action_workflow
    _action = actions_module._action

    # security.py
    plan_credentials = security_module.plan_credentials
    _explicit_parameters = security_module._explicit_parameters
    _covered = staticmethod(security_module._covered)
    credential_params = security_module.credential_params
    auth_for = security_module.auth_for
    _token_url = security_module._token_url

    # control_flow.py
    _classify = control_flow_module._classify
    _loop_of = control_flow_module._loop_of
    _reentered = control_flow_module._reentered
    _may_be_unset = control_flow_module._may_be_unset
    _exits_early = staticmethod(control_flow_module._exits_early)
    next_lines = control_flow_module.next_lines
    end_lines = control_flow_module.end_lines
    goto_lines = control_flow_module.goto_lines
    workflow_exit_lines = control_flow_module.workflow_exit_lines
    sleep_line = control_flow_module.sleep_line

    # outputs.py
    success_response_schema = outputs_module.success_response_schema
    body_is_json = outputs_module.body_is_json
    _success_statuses = outputs_module._success_statuses
    documented_json_kind = outputs_module.documented_json_kind
    _infer_step_outputs = outputs_module._infer_step_outputs
    _workflow_outputs = outputs_module._workflow_outputs
    _result = outputs_module._result
    _validate_outputs = outputs_module._validate_outputs
    _early_result = outputs_module._early_result
    call_workflow = outputs_module.call_workflow
    argument = outputs_module.argument

    # steps.py
    _step_comment = steps_module._step_comment
    _reset_counters = steps_module._reset_counters
    _step = steps_module._step
    _operation_step = steps_module._operation_step
    _workflow_step = steps_module._workflow_step
    _criteria = staticmethod(steps_module._criteria)
    _body_line = steps_module._body_line
    _error_models = steps_module._error_models
    _describe = staticmethod(steps_module._describe)
    _success_nodes = steps_module._success_nodes
    _success_action_lines = steps_module._success_action_lines
    _failure_nodes = steps_module._failure_nodes
    _failure_chain = steps_module._failure_chain
    _decided_line = steps_module._decided_line
    _with_retries = staticmethod(steps_module._with_retries)
    _retry_lines = steps_module._retry_lines

    # body.py
    _body = body_module._body
    used_servers = body_module.used_servers
    _sequential = body_module._sequential
    _machine = body_module._machine
    _without_unused = body_module._without_unused
    _docstring = body_module._docstring
