"""The ``durable`` option: what templates/durable.py.jinja prints, taken from the same
plan as workflows.py (names, inputs, outputs), so that the durable flavour of a
workflow cannot drift from the plain one.

durable.py runs each plain sync function as a DBOS workflow; nothing about the
workflow's steps is decided here: the plain function does the work, durable.py only
supplies its client (every exchange a checkpointed step), its sleep (durable), its
idempotency key (from the DBOS workflow id) and its secret inputs (from a credentials
provider, never workflow arguments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .config import Durable
from .ir import nodes as n
from .plan import InputParam, ModulePlan
from .pycode import py_str

#: The header every operation that declares it takes an idempotency key in (analysis/common.py).
_IDEMPOTENCY_HEADER = "idempotency-key"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPEN_SUBSCRIPTIONS = n.dotted("_runtime.open_subscriptions")


@dataclass(frozen=True)
class SecretInput:
    name: str  # Python argument name of the plain function
    original: str  # Python literal: the name in the Arazzo inputs schema
    env: str  # environment variable the default credentials provider reads
    default: str | None  # Python source of the plain function's default; None when required


@dataclass(frozen=True)
class DurableWorkflow:
    function_name: str  # the plain function's name, also the DBOS workflow's
    dbos_name: str  # Python literal: the name DBOS registers (package-qualified: unique in a process)
    workflow_id: str  # the Arazzo workflowId
    outputs_class: str
    inputs: tuple[InputParam, ...]  # the non-secret inputs: the workflow's arguments
    secrets: tuple[SecretInput, ...]
    id_param: str  # the name of start_/enqueue_'s workflow id argument (no input takes it)
    transport: bool = (
        False  # the plain function takes ``transport=`` (event steps): durable.py passes a DBOS-backed one
    )


@dataclass(frozen=True)
class DurablePlan:
    package: str
    title: str
    queue_name: str  # Python literal
    concurrency: int | None
    rate_limit: tuple[int, float] | None  # (limit, period in seconds)
    key_headers: tuple[str, ...]  # Python literals, lower case: request headers that carry an idempotency key
    idempotency_keys: bool  # the plain functions take ``idempotency_key``
    credentials: tuple[tuple[str, str], ...]  # (secret input's Python name, environment variable), each once
    typing_imports: tuple[str, ...]  # sorted, Any included (the glue uses it)
    imports_models: bool
    workflows: tuple[DurableWorkflow, ...]
    exports: tuple[str, ...]
    outputs_imports: tuple[str, ...]  # the Outputs classes, sorted (as isort orders them)
    #: Event steps: the DBOS names (Python literals) of the workflows that take a transport,
    #: and the receive steps' channel addresses known before the run (Python literals, sorted).
    receiving: tuple[str, ...] = ()
    receive_channels: tuple[str, ...] = ()


def durable_plan(plan: ModulePlan, options: Durable, idempotency_header: str | None) -> DurablePlan:
    """What durable.py needs, from the package's plan and the ``durable`` option."""
    prefix = plan.package.upper()
    workflows: list[DurableWorkflow] = []
    used_types: set[str] = set()
    for wf in plan.workflows:
        secrets = tuple(
            SecretInput(p.name, py_str(p.original), f"{prefix}_{p.name.upper()}", p.default)
            for p in wf.inputs
            if p.secret
        )
        inputs = tuple(p for p in wf.inputs if not p.secret)
        for param in inputs:
            used_types.update(_WORD.findall(param.type_text))
            if param.default is not None:
                used_types.update(_WORD.findall(param.default))
        workflows.append(
            DurableWorkflow(
                function_name=wf.function_name,
                dbos_name=py_str(f"{plan.package}.{wf.workflow_id}"),
                workflow_id=wf.workflow_id,
                outputs_class=wf.outputs_class,
                inputs=inputs,
                secrets=secrets,
                id_param=_free("workflow_id", {p.name for p in inputs}),
                transport=wf.transport_type is not None,
            )
        )
    headers = {_IDEMPOTENCY_HEADER}
    if idempotency_header is not None:
        headers.add(idempotency_header.lower())
    exports = [
        "QUEUE_NAME",
        "CREDENTIALS",
        "configure",
        "environment_credentials",
        "queue",
        "status",
        "cancel",
        "result",
    ]
    for dw in workflows:
        exports += [dw.function_name, f"start_{dw.function_name}", f"enqueue_{dw.function_name}"]
    receiving = tuple(dw.dbos_name for dw in workflows if dw.transport)
    channels: set[str] = set()
    if receiving:
        exports += ["RECEIVE_CHANNELS", "Forwarder", "deliver", "forward"]
        for wf in plan.workflows:
            if wf.transport_type is not None:
                channels.update(_subscribed(wf.body))
    return DurablePlan(
        package=plan.package,
        title=plan.title,
        queue_name=py_str(plan.package),
        concurrency=options.concurrency,
        rate_limit=_rate_limit(options.rate),
        key_headers=tuple(py_str(h) for h in sorted(headers)),
        idempotency_keys=plan.idempotency_keys,
        credentials=tuple(sorted({(s.name, s.env) for dw in workflows for s in dw.secrets})),
        typing_imports=tuple(
            sorted(
                {"Any", *(["Self"] if receiving else []), *(name for name in plan.typing_imports if name in used_types)}
            )
        ),
        imports_models="models" in used_types and plan.imports_models,
        workflows=tuple(workflows),
        exports=tuple(sorted(exports, key=_isort_key)),
        outputs_imports=tuple(sorted({dw.outputs_class for dw in workflows})),
        receiving=receiving,
        receive_channels=tuple(py_str(c) for c in sorted(channels)),
    )


def _subscribed(body: Iterable[n.Stmt]) -> set[str]:
    """The channel addresses (the constant ones) that a workflow body subscribes to
    before any step runs: the values of the dict its ``open_subscriptions`` call takes."""
    found: set[str] = set()
    for stmt in body:
        if isinstance(stmt, n.With):
            for item in stmt.items:
                call = item.context
                if isinstance(call, n.Call) and call.func == _OPEN_SUBSCRIPTIONS and len(call.args) > 1:
                    mapping = call.args[1]
                    if isinstance(mapping, n.Dict):
                        found.update(
                            v.value for _, v in mapping.items if isinstance(v, n.Const) and isinstance(v.value, str)
                        )
        for block in n.blocks(stmt):
            found |= _subscribed(block)
    return found


def _isort_key(name: str) -> tuple[int, str]:
    """``__all__`` in the order ruff wants it (RUF022): constants, classes, the rest."""
    if name.isupper():
        return 0, name
    return (1 if name[:1].isupper() else 2), name


def _free(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _rate_limit(rate: float | None) -> tuple[int, float] | None:
    """A DBOS limiter for ``rate`` workflows per second: ``limit`` per ``period`` s,
    the limit a whole number (5 -> 5 per 1 s; 0.5 -> 1 per 2 s; 2.5 -> 5 per 2 s)."""
    if rate is None:
        return None
    for period in (1.0, 2.0, 4.0, 5.0, 10.0):
        limit = rate * period
        if limit >= 1 and abs(limit - round(limit)) < 1e-9:
            return round(limit), period
    return max(1, int(rate)), max(1, int(rate)) / rate
