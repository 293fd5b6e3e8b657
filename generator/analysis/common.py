"""What the analysis modules share: options, the step and action records, credentials,
and small helpers over expressions, statuses and schemas."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import expressions as ex
from ..asyncapi_model import EventTarget
from ..diagnostics import JsonPath
from ..ir import nodes as n
from ..resolve import Operation, SchemaLoc, SecurityScheme
from ..schemas import DATETIME_TYPE, PyType, TypeInferrer

DEFAULT_POLL_INTERVAL = 1.0


_SECRET_INPUT = re.compile(r"token|key|secret|password|passwd|credential", re.IGNORECASE)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_IDENTIFIER_LIKE = re.compile(r"^[A-Za-z0-9_\-]+$")


_JSONPATH_QUIRK = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])+)\s*(==|!=|<=|>=|<|>)\s*(.+)$", re.DOTALL)


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
    #: An operation step's request, analysed once: its statements, the payload variable
    #: (``$request.body``) and the path parameter values (``$request.path.x``).
    request: StepRequest | None = None
    #: Each output's value, analysed once: (its IR expression, type, whether it reads the body).
    output_values: dict[str, tuple[n.Expr, PyType, bool]] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRequest:
    statements: tuple[n.Stmt, ...]
    payload_var: str | None
    path_values: dict[str, n.Expr]


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

    headers: list[tuple[str, n.Expr]] = field(default_factory=list)
    query: list[tuple[str, n.Expr]] = field(default_factory=list)
    cookies: list[tuple[str, n.Expr]] = field(default_factory=list)
    prelude: list[n.Stmt] = field(default_factory=list)


#: Names workflows.py imports or defines itself (templates/workflows.py.jinja): a
#: workflow function or Outputs class of the same name would shadow them.
MODULE_NAMES = frozenset(
    {
        "SERVERS",
        "StepFailed",
        "WorkflowError",
        "WorkflowTimeout",
        "InvalidInput",
        "models",
        "_runtime",
        "annotations",
        "asyncio",
        "time",
        "httpx",
        "Field",
        "Awaitable",
        "Callable",
        "Mapping",
        "Any",
        "Literal",
        "TypeAlias",
        "cast",
        DATETIME_TYPE,
    }
)


def _exits(body: list[n.Stmt]) -> bool:
    """Do these statements leave the current step (so nothing may follow them)?"""
    return bool(body) and isinstance(body[-1], n.EXITS)


def _is_json_type(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _criterion_text(criterion: dict[str, Any]) -> str:
    """A criterion as a message names it: its condition, and its type and context unless simple."""
    condition = str(criterion.get("condition", "")).strip()
    kind = criterion.get("type", "simple")
    kind = kind.get("type") if isinstance(kind, dict) else kind
    if kind == "simple":
        return condition
    return f"{condition} ({kind} on {str(criterion.get('context', '')).strip()})"


def _required_names(inferrer: TypeInferrer, schema: SchemaLoc, pointer: tuple[str, ...]) -> set[str]:
    """The member names every schema ``pointer`` reaches requires (its allOf parts too)."""
    found: list[set[str]] = []
    for loc in inferrer.descend(schema, pointer):
        resolved = inferrer.deref(loc) if loc is not None else None
        value = resolved.value if resolved is not None else None
        parts: list[Any] = [value] + (
            list(value["allOf"]) if isinstance(value, dict) and isinstance(value.get("allOf"), list) else []
        )
        names: set[str] = set()
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("$ref"), str) and resolved is not None:
                deref = inferrer.deref(SchemaLoc(resolved.file, resolved.path, part))
                part = deref.value if deref is not None else None
            if isinstance(part, dict) and isinstance(part.get("required"), list):
                names.update(str(r) for r in part["required"])
        found.append(names)
    return set.intersection(*found) if found else set()


def _member_names(inferrer: TypeInferrer, schema: SchemaLoc, pointer: tuple[str, ...]) -> list[str]:
    """The property names of the schemas ``pointer`` reaches (for a did-you-mean)."""
    names: set[str] = set()
    for loc in inferrer.descend(schema, pointer):
        resolved = inferrer.deref(loc) if loc is not None else None
        value = resolved.value if resolved is not None else None
        parts: list[Any] = [value] + (
            list(value["allOf"]) if isinstance(value, dict) and isinstance(value.get("allOf"), list) else []
        )
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


_NAME_KINDS: dict[type, str] = {
    ex.Input: "input",
    ex.StepOutput: "step output",
    ex.WorkflowOutput: "workflow output",
    ex.Output: "output",
}


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
