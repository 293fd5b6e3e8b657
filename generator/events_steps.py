"""Arazzo 1.1 event steps: ``send`` and ``receive`` steps bound to AsyncAPI channels
(CHANGES-1.1 sections 7-12 and 15), compiled inline like HTTP steps.

The analyzer (generator/analysis/) calls in here at a few points: the step itself, the
``$message`` expressions, the ``transport`` argument and the subscriptions a function
opens, and the webhook receiver factories of the module.  Decisions:

* **receive**: every receive step subscribes to its channel when the function starts
  (inside the ``with`` that opens the HTTP client), so a message that arrives before
  the step runs (a webhook that beats the response creating it) waits in the
  subscription; a channel address that reads step outputs (``in: channel`` parameters)
  is subscribed right after the step that binds them.  The step waits for the first message whose correlation value (the
  AsyncAPI message's ``correlationId.location``, compiled to a direct accessor) equals
  the step's ``correlationId``; others are dropped.  It waits within the step
  ``timeout`` (milliseconds) and the overall deadline: the step's timeout makes it fail
  (``MessageTimedOut``, a StepTimedOut) so that ``onFailure`` applies, the deadline
  raises WorkflowTimeout.  ``successCriteria`` read ``$message``; without them any
  matching message succeeds.  Outputs are bound from the message.
* **send**: ``requestBody.payload`` is the payload, ``in: header`` parameters are the
  message headers, ``in: channel`` parameters fill the ``{name}`` placeholders of the
  channel address; the step succeeds once the transport has taken the message (no
  broker acknowledgement).  ``$message`` on a send step is the message sent.
* ``$message`` exists only in an event step's successCriteria, outputs and action
  criteria; ``$statusCode``, ``$request.*``, ``$response.*``, ``$url`` and ``$method``
  do not exist there (section 11).  ``$message.payload#/x`` is checked against the
  payload schema and typed from it.
* A workflow with event steps, or one that calls such a workflow, takes a required
  keyword-only ``transport`` (``_runtime.Transport``; the async twin
  ``_runtime.AsyncTransport``), so a call without one is a type error.
* Each AsyncAPI source with a webhook configuration gets a factory
  ``<source>_receiver(...)`` in workflows.py: a WebhookReceiver with the source's route
  and signature verifier.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import expressions as ex
from . import v11_selectors, v11_steps
from .asyncapi_model import Correlation, EventTarget
from .diagnostics import JsonPath, did_you_mean
from .ir import nodes as n
from .model.references import parameter_expressions, step_outputs_read
from .model.values import LiteralValue
from .pycode import comment_text
from .schemas import PyType, message_schema

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .analysis.common import StepInfo
    from .analysis.context import ExprContext
    from .analysis.workflow import WorkflowAnalyzer

#: The phase of ExprContext in which ``$message`` is the step's message.
PHASE = "message"
#: The local the generated code binds the message to (sent or received).
MESSAGE = "_message"
_RECEIVED = "_received"
_PLACEHOLDER = re.compile(r"(\{[^{}]+\})")
_MQTT = frozenset({"mqtt", "mqtts", "secure-mqtt"})
_WS = frozenset({"ws", "wss"})
_AMQP = frozenset({"amqp", "amqps"})
_HTTP_NODES = (
    ex.StatusCode,
    ex.Url,
    ex.Method,
    ex.RequestHeader,
    ex.RequestQuery,
    ex.RequestPath,
    ex.RequestBody,
    ex.ResponseHeader,
    ex.ResponseBody,
)
#: The runtime names a package with event steps exports (besides the errors every package has).
RUNTIME_EXPORTS = (
    "AsyncTransport",
    "InMemoryBroker",
    "Message",
    "MessageTimedOut",
    "StepTimedOut",
    "Transport",
    "WebhookReceiver",
)


# -- which steps and workflows ------------------------------------------------------------


def has_events(wf: WorkflowAnalyzer) -> bool:
    """Does the workflow itself have send or receive steps?"""
    return any(info.event is not None for info in wf.steps)


def transport_keys(workflows: Mapping[str, WorkflowAnalyzer]) -> frozenset[str]:
    """The keys of the workflows that take a transport: those with event steps and those
    that run one of them (dependsOn, steps, actions), found in one walk of the call graph
    backwards from the first (Analyzer.run, once every workflow's callees are known)."""
    callers: dict[str, list[str]] = {}
    for wf in workflows.values():
        for target in wf.callees:
            callers.setdefault(target, []).append(wf.key)
    todo = [key for key, wf in workflows.items() if has_events(wf)]
    found = set(todo)
    while todo:  # bounded: each workflow is added once
        for caller in callers.get(todo.pop(), []):
            if caller not in found:
                found.add(caller)
                todo.append(caller)
    return frozenset(found)


def needs_transport(wf: WorkflowAnalyzer) -> bool:
    """Does the workflow, or a workflow it runs (dependsOn, steps, actions), have event steps?"""
    return wf.key in wf.p.transport_keys


def _receives(wf: WorkflowAnalyzer) -> list[StepInfo]:
    return [info for info in wf.steps if info.event is not None and info.event.action == "receive"]


def _producer(wf: WorkflowAnalyzer, info: StepInfo) -> StepInfo | None:
    """For a receive step whose channel address reads step outputs: the last step (in
    the order they run) whose outputs it reads; it subscribes once that step bound them.
    None: the address is known when the function starts."""
    read = {s for s, _ in step_outputs_read(parameter_expressions(wf.model_step(info).parameter_items))}
    producers = [other for other in wf.steps if other.step_id in read and other is not info]
    return max(producers, key=lambda other: other.index) if producers else None


def _target(info: StepInfo) -> EventTarget:
    assert info.event is not None
    return info.event


# -- the function: transport argument, subscriptions, docstring ---------------------------


def transport_types(wf: WorkflowAnalyzer) -> tuple[str | None, str | None]:
    """The ``transport`` argument's type in the function and in its async twin (None: no argument)."""
    if not needs_transport(wf):
        return None, None
    return "_runtime.Transport", "_runtime.AsyncTransport"


def call_arguments(wf: WorkflowAnalyzer, callee: WorkflowAnalyzer) -> list[tuple[str, n.Expr]]:
    """What a call of ``callee`` passes on: the caller's transport, when the callee takes one."""
    return [("transport", n.Name("transport"))] if needs_transport(callee) else []


def docstring_args(wf: WorkflowAnalyzer) -> list[str]:
    """The docstring lines (under ``Args:``) for the transport argument."""
    if not needs_transport(wf):
        return []
    own = has_events(wf)
    where = "this workflow's send and receive steps" if own else "the event steps of the workflows it runs"
    return [
        f"    transport: carries the messages of {where} (an InMemoryBroker, a WebhookReceiver, a broker adapter; the async twin takes an AsyncTransport)."
    ]


def raises_lines(wf: WorkflowAnalyzer) -> str:
    """The docstring's Raises line for a receive step that waited in vain."""
    timed = [info.step_id for info in _receives(wf) if v11_steps.valid_timeout(info.step.get("timeout"))]
    if not timed:
        return ""
    names = ", ".join(repr(s) for s in timed)
    return f"    MessageTimedOut: no matching message reached receive step{'s' if len(timed) > 1 else ''} {names} within {'their' if len(timed) > 1 else 'its'} timeout (a StepTimedOut).\n"


def subscriptions(wf: WorkflowAnalyzer) -> list[n.WithItem]:
    """The context manager that opens the subscriptions of the workflow's receive steps
    (before any step runs), entered with the HTTP client."""
    receives = _receives(wf)
    if not receives:
        return []
    from .analysis.context import ExprContext

    entries: list[tuple[n.Expr, n.Expr]] = []
    for info in receives:
        if _producer(wf, info) is not None:
            continue  # subscribed once the step its channel address reads has run (late_subscriptions)
        ctx = ExprContext(wf, info, phase="request")
        entries.append((n.Const(info.step_id), channel_address(ctx, info)))
    args = (n.Name("transport"), n.Dict(tuple(entries)))
    return [
        n.WithItem(
            n.Call(n.dotted("_runtime.open_subscriptions"), args),
            n.Call(n.dotted("_runtime.aopen_subscriptions"), args),
            "_subs",
        )
    ]


def subscriptions_comment(wf: WorkflowAnalyzer) -> list[n.Stmt]:
    """A comment at the top of the ``with`` body saying why the subscriptions open first."""
    receives = [info for info in _receives(wf) if _producer(wf, info) is None]
    if not receives:
        return []
    names = ", ".join(comment_text(info.step_id, 40) for info in receives)
    return [
        n.Comment(
            f"Receive step{'s' if len(receives) > 1 else ''} {names} subscribed before any step runs: an early message waits in the subscription."
        ),
        n.Blank(),
    ]


def without_unused_base(wf: WorkflowAnalyzer, body: list[n.Stmt], read: set[str]) -> list[n.Stmt]:
    """A workflow whose steps only send and receive messages: no ``_base`` when nothing
    reads it (``read``: the names the body reads).  The run's ``with`` keeps its name:
    the outputs read ``_run.deadline``."""
    if not needs_transport(wf):
        return body
    return [
        stmt for stmt in body if not (isinstance(stmt, n.Assign) and stmt.target == "_base" and "_base" not in read)
    ]


def late_subscriptions(wf: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    """After step ``info`` bound its outputs: the subscriptions of the receive steps whose
    channel address reads them (and no later step's), so they open as soon as it is known."""
    from .analysis.context import ExprContext

    nodes: list[n.Stmt] = []
    for receive in _receives(wf):
        if _producer(wf, receive) is not info:
            continue
        ctx = ExprContext(wf, receive, phase="request")
        nodes.append(
            n.Comment(
                f"Receive step {comment_text(receive.step_id, 40)} subscribes now: its channel address reads this step's outputs."
            )
        )
        add = n.call(
            "_runtime.add_subscription",
            n.Name("_subs"),
            n.Name("transport"),
            n.Const(receive.step_id),
            channel_address(ctx, receive),
            async_func="_runtime.aadd_subscription",
        )
        nodes.append(n.ExprStmt(add))
    return nodes


# -- the step ---------------------------------------------------------------------------


def step_description(info: StepInfo) -> str:
    """What the step comment says the step does."""
    target = _target(info)
    where = (
        f"operation {target.operation.operation_id}"
        if target.operation is not None
        else f"channel {target.channel.key}"
    )
    return f"{target.action} on {target.channel.effective_address!r} ({target.source.name}: {where})"


def event_step(wf: WorkflowAnalyzer, info: StepInfo) -> list[n.Stmt]:
    """The statements of a send or receive step: the message, its criteria, its outputs and actions."""
    from .analysis.context import ExprContext

    target = _target(info)
    request = ExprContext(wf, info, phase="request")
    address = channel_address(request, info)
    if target.action == "send":
        nodes: list[n.Stmt] = _send_lines(request, info, address)
    else:
        nodes = _receive_nodes(wf, request, info, address)
    ctx = ExprContext(wf, info, phase=PHASE)
    criteria = wf._criteria(info.step.get("successCriteria"), info.json_path + ("successCriteria",))
    if criteria:
        success = ctx.criteria(criteria, default=n.TRUE)
        failed = ctx.failed_criterion_args() or [("criterion", n.NONE)]
        action: list[tuple[str, n.Expr]] = [("action", n.Const("send"))] if target.action == "send" else []
        failure_call = n.Call(
            n.dotted("_runtime.message_failed"),
            (n.Const(info.step_id), address, n.Name(MESSAGE)),
            tuple(failed + action),
        )
        failure = wf._failure_nodes(info, ctx, failure_call)
        nodes.append(n.If(n.Not(success), tuple(failure)))
    return nodes + wf._reset_counters(info) + wf._success_nodes(info, ctx)


def keep_call(value: n.Expr) -> bool:
    """When nothing reads ``_message``: is its assignment's value a call that must stay (a send)?"""
    return isinstance(value, n.Call) and value.func == n.dotted("_runtime.send_message")


def _receive_nodes(wf: WorkflowAnalyzer, request: ExprContext, info: StepInfo, address: n.Expr) -> list[n.Stmt]:
    from .analysis.context import ExprContext

    step = info.step
    if isinstance(step.get("requestBody"), dict):
        wf.error(
            info.json_path + ("requestBody",),
            f"receive step {info.step_id!r} has a requestBody",
            "a receive step sends nothing: remove it (a send step's requestBody.payload is the message payload)",
        )
    for name, _, p_at in _parameters(request, info, "header"):
        wf.error(
            p_at,
            f"receive step {info.step_id!r} sets header {name!r}",
            "a receive step sends nothing: headers are set on a send step (read a received header with $message.header.<name>)",
        )
    if not info.step.get("successCriteria") and len(_target(info).messages) > 1:
        names = ", ".join(m.name for m in _target(info).messages)
        wf.warn(
            info.json_path,
            f"receive step {info.step_id!r} has no successCriteria, but channel {_target(info).channel.key!r} carries several message types ({names}): any matching message counts as success",
            "add successCriteria that inspect $message.payload (Arazzo 1.1: omit them only when the channel's one message type means success)",
        )
    prelude, matches, awaited = _correlation(request, info)
    limit = v11_steps.step_timeout_ms(wf, info)
    if limit is None:
        wf.warn(
            info.json_path,
            f"receive step {info.step_id!r} has no timeout: it waits without bound unless the caller passes timeout=",
            "add timeout: <milliseconds> to the step; when it runs out, the step fails and its onFailure actions apply",
        )
    subscription = n.Subscript(n.Name("_subs"), n.Const(info.step_id))
    receive = n.call(
        "_runtime.receive",
        n.dotted("_run.deadline"),
        subscription,
        n.Const(info.step_id),
        address,
        async_func="_runtime.areceive",
        matches=matches,
        awaited=awaited,
        timeout_ms=n.Const(limit),
    )
    nodes: list[n.Stmt] = list(prelude)
    nodes.append(n.Assign(_RECEIVED, receive))
    late = ExprContext(wf, info, phase=PHASE)
    late.timed_out = True
    chain = wf._failure_nodes(info, late, n.runtime("message_timed_out", n.Name(_RECEIVED)))
    why = (
        f"# No matching message within the step's {_duration(limit)} timeout: onFailure applies, without a message."
        if limit is not None
        else "# No matching message (the step has no timeout of its own): onFailure applies, without a message."
    )
    nodes.append(
        n.If(
            n.call("isinstance", n.Name(_RECEIVED), n.dotted("_runtime.MessageTimedOut")),
            (n.Comment(why.removeprefix("# ")),) + tuple(chain),
        )
    )
    nodes.append(n.Assign(MESSAGE, n.Name(_RECEIVED)))
    return nodes


def _duration(ms: int) -> str:
    """A step timeout for a comment: ``200 ms``, ``600000 ms (10 min)``."""
    if ms >= 60000 and ms % 60000 == 0:
        return f"{ms} ms ({ms // 60000} min)"
    if ms >= 1000 and ms % 1000 == 0:
        return f"{ms} ms ({ms // 1000} s)"
    return f"{ms} ms"


def _send_lines(request: ExprContext, info: StepInfo, address: n.Expr) -> list[n.Stmt]:
    wf = request.wf
    target = _target(info)
    step, at = info.step, info.json_path
    lines: list[n.Stmt] = []
    payload: n.Expr = n.NONE
    content_type = _message_content_type(target)
    body = step.get("requestBody")
    if isinstance(body, dict):
        b_at = at + ("requestBody",)
        if "payload" in body:
            payload, _ = request.value_node(body["payload"], b_at + ("payload",))
            replacements = request._replacements(body, b_at, xml=False)
            if replacements:
                helper = "replace_selected" if any(t.startswith("$") for t, _ in replacements) else "replace_pointer"
                if helper == "replace_pointer":
                    request.p.runtime_parts.add("payload")
                pairs = n.List(tuple(n.Tuple((v11_selectors.target_source(t), v)) for t, v in replacements))
                payload = n.runtime(helper, payload, pairs)
        elif body.get("replacements"):
            wf.error(b_at, "payload replacements need a payload", "add requestBody.payload")
        if isinstance(body.get("contentType"), str):
            content_type = str(body["contentType"])
    elif message_schema(target, "payload") is not None:
        wf.warn(
            at,
            f"send step {info.step_id!r} has no requestBody: it sends a message without a payload",
            "give the message payload as requestBody.payload",
        )
    headers: list[tuple[n.Expr, n.Expr]] = []
    for name, raw, v_at in _parameters(request, info, "header"):
        source, py_type = request.value_node(raw, v_at)
        headers.append((n.Const(name), source if py_type.text == "str" else n.runtime("text", source)))
    kwargs: list[tuple[str, n.Expr]] = [("payload", payload)]
    if headers:
        kwargs.append(("headers", n.Dict(tuple(headers))))
    if content_type != "application/json":
        kwargs.append(("content_type", n.Const(content_type)))
    args = (n.dotted("_run.deadline"), n.Name("transport"), n.Const(info.step_id), address)
    send = n.Call(n.dotted("_runtime.send_message"), args, tuple(kwargs), n.dotted("_runtime.asend_message"))
    request.p.runtime_parts.add("events_send")
    lines.append(n.Assign(MESSAGE, send))
    return lines


def _message_content_type(target: EventTarget) -> str:
    types = {m.content_type for m in target.messages}
    return types.pop() if len(types) == 1 else "application/json"


# -- parameters and the channel address ---------------------------------------------------


def _parameters(ctx: ExprContext, info: StepInfo, location: str) -> list[tuple[str, Any, JsonPath]]:
    """The step's parameters ``in: location`` (header or channel): (name, raw value, where
    the value is).  A parameter in another place, or without ``in``, is reported."""
    found: list[tuple[str, Any, JsonPath]] = []
    seen: set[str] = set()
    for index, item in enumerate(info.step.get("parameters") or []):
        p_at = info.json_path + ("parameters", index)
        if not isinstance(item, dict):
            continue
        if "reference" not in item and "in" not in item:
            ctx.error(
                p_at,
                f"parameter {item.get('name')!r} of event step {info.step_id!r} has no 'in'",
                "parameters of a send or receive step need in: header (a message header) or in: channel (a {placeholder} of the channel address)",
            )
            continue
        resolved = ctx._parameter(item, p_at, False)
        if resolved is None:
            continue
        name, where, value, v_at = resolved
        if where not in ("header", "channel"):
            ctx.error(
                p_at + ("in",) if "in" in item else p_at,
                f"parameter {name!r} of event step {info.step_id!r} is in: {where}",
                "parameters of a send or receive step are in: header (a message header) or in: channel (a {placeholder} of the channel address)",
            )
            continue
        if where != location:
            continue
        key = name.lower() if where == "header" else name
        if key in seen:
            ctx.error(
                p_at + ("name",),
                f"event step {info.step_id!r} sets {where} parameter {name!r} twice",
                "remove one of them",
            )
            continue
        seen.add(key)
        found.append((name, value, v_at))
    return found


def channel_address(ctx: ExprContext, info: StepInfo) -> n.Expr:
    """The step's channel address: the AsyncAPI address with its ``{name}``
    placeholders filled by the step's ``in: channel`` parameters."""
    channel = _target(info).channel
    address = channel.effective_address
    values = {name: (raw, at) for name, raw, at in _parameters(ctx, info, "channel")}
    placeholders = [part[1:-1] for part in _PLACEHOLDER.split(address) if part.startswith("{") and part.endswith("}")]
    for name, (_, at) in values.items():
        if name not in placeholders:
            ctx.error(
                at[:-1] + ("name",) if at[-1:] == ("value",) else at,
                f"channel {channel.key!r} has no parameter {name!r}: its address is {address!r}",
                did_you_mean(name, placeholders)
                or "remove the parameter: in: channel parameters fill the {placeholders} of the channel address",
            )
    pieces: list[str | n.Expr] = []  # literal text, or a value
    for part in _PLACEHOLDER.split(address):
        if not part:
            continue
        if not (part.startswith("{") and part.endswith("}")):
            pieces.append(part)
            continue
        name = part[1:-1]
        if name not in values:
            ctx.error(
                info.json_path,
                f"no value for parameter {name!r} of channel {channel.key!r} (address {address!r})",
                f"add a parameter: {{name: {name}, in: channel, value: ...}}",
            )
            pieces.append(part)
            continue
        raw, at = values[name]
        source, py_type = ctx.value_node(raw, at)
        pieces.append(source if py_type.text == "str" else n.runtime("text", source))
    if all(isinstance(piece, str) for piece in pieces):
        return n.Const("".join(piece for piece in pieces if isinstance(piece, str)))
    if all(isinstance(piece, str | n.Name) for piece in pieces):
        return n.FString(tuple(pieces))
    joined: n.Expr | None = None
    for piece in pieces:  # one flat sum: a template's own operands join it
        todo = [n.Const(piece)] if isinstance(piece, str) else [piece]
        while isinstance(todo[0], n.BinOp) and todo[0].op == "+":
            todo[:1] = [todo[0].left, todo[0].right]
        for operand in todo:
            joined = operand if joined is None else n.BinOp(joined, "+", operand)
    assert joined is not None
    return joined


# -- correlation --------------------------------------------------------------------------


def _correlation(request: ExprContext, info: StepInfo) -> tuple[list[n.Stmt], n.Expr, n.Expr]:
    """(lines before the wait, the ``matches=`` source, the ``awaited=`` source) of a receive step."""
    wf = request.wf
    target = _target(info)
    raw = info.step.get("correlationId")
    at = info.json_path + ("correlationId",)
    defined = [(m, m.correlation) for m in target.messages if m.correlation is not None]
    if raw is None or not defined:
        # resolve reported a correlationId missing on one side (the step's or the messages')
        return [], n.NONE, n.NONE
    locations = {(c.part, c.pointer) for _, c in defined if c is not None}
    if len(locations) > 1:  # a message with no correlation at all never matches (resolve warns of it)
        shown = "; ".join(f"{m.name}: {c.location}" for m, c in defined)
        wf.error(
            at,
            f"the messages of channel {target.channel.key!r} carry their correlation value in different places ({shown})",
            "give every message of the channel the same correlationId location, or receive on an operation that names one message",
        )
        return [], n.NONE, n.NONE
    correlation = defined[0][1]
    assert correlation is not None
    source, py_type = request.value_node(raw, at)
    _check_correlation_type(request, target, correlation, py_type, at)
    lines: list[n.Stmt] = []
    literal = isinstance(wf.model_step(info).correlation_id, LiteralValue)  # no runtime expression in it
    if not (isinstance(source, n.Name) or literal):
        lines.append(n.Assign("_correlation", source))
        source = n.Name("_correlation")
    accessor = _accessor(correlation)
    compared = source if correlation.part == "payload" or py_type.text == "str" else n.runtime("text", source)
    matches = n.Lambda(("_m",), n.Compare(accessor, "==", compared))
    label: str = correlation.pointer[-1] if correlation.pointer else "payload"
    awaited: n.Expr
    if literal:
        awaited = n.Const(f"{label} == {raw!r}")
    else:
        awaited = n.FString((f"{label} == ", n.Repr(source)))
    return lines, matches, awaited


_SCALARS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean"}
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _check_correlation_type(
    ctx: ExprContext, target: EventTarget, correlation: Correlation, value_type: PyType, at: JsonPath
) -> None:
    """Warn when the step's correlation value and the payload's correlation member have
    types that never compare equal (an integer input against a string ``call_id``)."""
    if correlation.part == "header":
        return  # a header is text, and the value is compared as text
    schema = message_schema(target, "payload")
    carried = ctx.p.inferrer.at_pointer(schema, correlation.pointer).scalar_kind() if schema is not None else None
    kinds = (value_type.scalar_kind(), carried)  # str, int, float, bool or None (anything else)
    if (
        kinds[0] is not None
        and kinds[1] is not None
        and kinds[0] != kinds[1]
        and {kinds[0], kinds[1]} != {"int", "float"}
    ):
        ctx.warn(
            at,
            f"the correlationId is {_SCALARS[kinds[0]]}, but the messages carry {correlation.location} as {_SCALARS[kinds[1]]}: the two never compare equal, so no message would match",
            f"make the types agree: the message's is {_JSON_TYPES[kinds[1]]} (e.g. declare the input with type: {_JSON_TYPES[kinds[1]]})",
        )


def _accessor(correlation: Correlation) -> n.Expr:
    """A direct accessor of the correlation value in a received message ``_m``."""
    from .analysis.common import _pointer_text

    if correlation.part == "header":
        name = correlation.pointer[0] if correlation.pointer else ""
        return n.call("_m.headers.get", n.Const(name.lower()))
    if not correlation.pointer:
        return n.dotted("_m.payload")
    return n.runtime("pointer", n.dotted("_m.payload"), n.Const(_pointer_text(correlation.pointer)))
