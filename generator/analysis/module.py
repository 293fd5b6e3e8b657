"""The analysis of one Arazzo document: every workflow, in call order, into the ModulePlan."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from .. import events_module, events_steps, v11_steps
from ..diagnostics import JsonPath, Report, Severity
from ..ir import nodes as n
from ..ir.types import render
from ..load import SourceFile
from ..plan import ModulePlan, ServerEntry, TypeAliasEntry, WorkflowPlan
from ..pycode import NameAllocator, docstring_text, py_str
from ..request_check import check_requests
from ..resolve import Resolved
from ..schemas import DATETIME_TYPE, ModelSet, TypeInferrer
from .common import _IDENTIFIER_LIKE, MODULE_NAMES, Options, idempotency_header
from .workflow import WorkflowAnalyzer


class Analyzer:
    """Builds the ModulePlan for one Arazzo document."""

    def __init__(
        self,
        resolved: Resolved,
        models: ModelSet,
        inferrer: TypeInferrer,
        report: Report,
        options: Options,
        package: str,
        header: tuple[str, ...],
    ) -> None:
        self.resolved = resolved
        self.arazzo: SourceFile = resolved.arazzo
        self.models = models
        self.inferrer = inferrer
        self.report = report
        self.options = options
        self.package = package
        self.header = header
        self.module_names = NameAllocator(MODULE_NAMES | set(models.aliases))  # type aliases may be defined here too
        self.workflows: dict[str, WorkflowAnalyzer] = {}
        self.token_urls: dict[str, tuple[str, str]] = {}  # SERVERS key -> (source, absolute token URL)
        self.runtime_parts: set[str] = set()
        self.transport_keys: frozenset[str] = frozenset()  # workflows that take a transport (events_steps)
        #: Some step sends an idempotency key: every function takes ``idempotency_key``.
        self.keyed = any(
            b.operation is not None and idempotency_header(b.operation, options.idempotency_header) is not None
            for b in resolved.all_steps()
        )

    def error(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(self.arazzo.diagnostic(path, message, hint))

    def warn(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(self.arazzo.diagnostic(path, message, hint, severity=Severity.WARNING))

    def run(self) -> ModulePlan:
        check_requests(self.resolved, self.report)  # payloads, parameters and replacements against their schemas
        data = self.arazzo.data
        analyzers = [
            WorkflowAnalyzer(self, doc, index, workflow)
            for doc in self.resolved.documents or [self.resolved]
            for index, workflow in enumerate(doc.arazzo.data.get("workflows", []))
        ]
        for position, wa in enumerate(analyzers):
            wa.position = position
            first = self.workflows.setdefault(wa.key, wa)
            if first is not wa and first.doc is not wa.doc:
                # only an id outside [A-Za-z0-9_-]+ can do that: report it there
                culprit, other = (first, wa) if _IDENTIFIER_LIKE.match(wa.workflow_id) else (wa, first)
                culprit.error(
                    culprit.path + ("workflowId",),
                    f"workflowId {culprit.workflow_id!r} names this workflow {wa.key}, like workflow {other.workflow_id!r} of {other.doc.arazzo.display}",
                    "rename it: workflowIds should match [A-Za-z0-9_-]+ (no '.' or '$')",
                )
                self.workflows[wa.key] = other  # references by that key mean the well-named one
        for wa in analyzers:
            wa.prepare()
        self.transport_keys = events_steps.transport_keys(self.workflows)
        order = self._call_order(analyzers)
        for wa in order:
            wa.plan_credentials()
        plans: dict[int, WorkflowPlan] = {}
        for wa in order:
            plans[wa.position] = wa.run()
        workflows = [plans[i] for i in sorted(plans)]
        servers = [
            ServerEntry(py_str(source.key), py_str(source.server_url))
            for source in self.resolved.all_sources()
            if source.kind == "openapi"
        ]
        servers += [ServerEntry(py_str(key), py_str(url)) for key, (_, url) in sorted(self.token_urls.items())]
        read = _names_used(workflows)
        aliases = tuple(
            TypeAliasEntry(a.name, render(a.target)) for name, a in sorted(self.models.aliases.items()) if name in read
        )
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
        event_exports, receiver_exports, receivers = events_module.module_extras(self, order)  # Arazzo 1.1 event steps
        runtime_exports = sorted(
            set(runtime_exports) | set(event_exports), key=lambda name: (name.lower(), name)
        )  # as isort orders classes
        exports += receiver_exports
        return ModulePlan(
            package=self.package,
            header=self.header,
            title=title,
            typing_imports=_typing_imports(workflows, bool(aliases)),
            imports_models=uses_models,
            servers=tuple(servers),
            workflows=tuple(workflows),
            exports=tuple(sorted(exports + runtime_exports)),
            runtime_exports=tuple(runtime_exports),
            runtime_parts=tuple(sorted(self.runtime_parts)),
            pydantic_imports=((DATETIME_TYPE,) if uses_datetime else ())
            + (("Field",) if any(wf.outputs for wf in workflows) else ()),
            idempotency_keys=self.keyed,
            receivers=tuple(receivers),
            type_aliases=aliases,
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
                        cycle = trail[trail.index(target) :] + [target]
                        wa.error(
                            at,
                            "workflows call each other in a cycle: " + " -> ".join(cycle),
                            "generated functions never recurse; break the cycle (a loop of steps inside one workflow is fine)",
                        )
                    elif nxt.position not in state:
                        stack.append((nxt, 0))
                else:
                    state[wa.position] = 2
                    trail.pop()
                    order.append(wa)
        return order


def _names_in(text: str) -> set[str]:
    """The names a type text reads (``models.X | None``: models)."""
    tree = ast.parse(text, mode="eval")
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _names_used(workflows: Iterable[WorkflowPlan]) -> set[str]:
    """The names the workflow functions (their IR) and the Outputs models read."""
    names: set[str] = set()
    for wf in workflows:
        names |= n.body_names_read(wf.body)
        for text in [p.type_text for p in wf.inputs] + [f.type_text for f in wf.outputs] + n.annotation_texts(wf.body):
            names |= _names_in(text)
    return names


def _typing_imports(workflows: Iterable[WorkflowPlan], aliases: bool) -> tuple[str, ...]:
    """The names of ``typing`` that the workflows module uses (``aliases``: it defines type aliases)."""
    names = _names_used(workflows) | ({"Literal", "TypeAlias"} if aliases else set())
    return tuple(name for name in ("Any", "Literal", "TypeAlias", "cast") if name in names)
