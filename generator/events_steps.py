"""Arazzo 1.1 event steps: ``send`` and ``receive`` steps bound to AsyncAPI channels
(CHANGES-1.1 sections 7-12 and 15), compiled inline like HTTP steps.

The analyzer (analyze.py) calls in here at a few points: the step itself, the
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

import json
import re
import textwrap
from typing import TYPE_CHECKING, Any

from . import expressions as ex
from . import v11_steps
from .asyncapi_model import AsyncMessage, AsyncSource, Correlation, EventTarget
from .diagnostics import JsonPath, did_you_mean
from .paths import templates_dir
from .plan import Block, Line, Node, ReceiverPlan
from .pycode import comment_text, docstring_text, fstring_text, py_str, snake_case
from .schemas import ANY, PyType, message_schema
from .validate import is_arazzo_1_1

if TYPE_CHECKING:
    from .analysis.common import StepInfo
    from .analysis.context import ExprContext
    from .analysis.module import Analyzer
    from .analysis.workflow import WorkflowAnalyzer

#: The phase of ExprContext in which ``$message`` is the step's message.
PHASE = "message"
#: The local the generated code binds the message to (sent or received).
MESSAGE = "_message"
_RECEIVED = "_received"
_STEP_OUTPUTS = re.compile(r"\$steps\.([A-Za-z0-9_\-]+)\.outputs\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"(\{[^{}]+\})")
_MQTT = frozenset({"mqtt", "mqtts", "secure-mqtt"})
_WS = frozenset({"ws", "wss"})
_AMQP = frozenset({"amqp", "amqps"})
_HTTP_NODES = (ex.StatusCode, ex.Url, ex.Method, ex.RequestHeader, ex.RequestQuery, ex.RequestPath, ex.RequestBody, ex.ResponseHeader, ex.ResponseBody)
#: The runtime names a package with event steps exports (besides the errors every package has).
RUNTIME_EXPORTS = ("AsyncTransport", "InMemoryBroker", "Message", "MessageTimedOut", "StepTimedOut", "Transport", "WebhookReceiver")


# -- which steps and workflows ------------------------------------------------------------


def has_events(wf: WorkflowAnalyzer) -> bool:
    """Does the workflow itself have send or receive steps?"""
    return any(info.event is not None for info in wf.steps)


def needs_transport(wf: WorkflowAnalyzer) -> bool:
    """Does the workflow, or a workflow it runs (dependsOn, steps, actions), have event steps?"""
    todo, seen = [wf], {wf.key}
    while todo:  # bounded: each workflow is visited once
        current = todo.pop()
        if has_events(current):
            return True
        for target in current.callees:
            callee = wf.p.workflows.get(target)
            if callee is not None and callee.key not in seen:
                seen.add(callee.key)
                todo.append(callee)
    return False


def _receives(wf: WorkflowAnalyzer) -> list[StepInfo]:
    return [info for info in wf.steps if info.event is not None and info.event.action == "receive"]


def _channel_values(info: StepInfo) -> str:
    """The text of the step's parameter values (where a channel address reads step outputs)."""
    return json.dumps([item.get("value") for item in info.step.get("parameters") or [] if isinstance(item, dict)], default=str)


def _producer(wf: WorkflowAnalyzer, info: StepInfo) -> StepInfo | None:
    """For a receive step whose channel address reads step outputs: the last step (in
    the order they run) whose outputs it reads; it subscribes once that step bound them.
    None: the address is known when the function starts."""
    read = set(_STEP_OUTPUTS.findall(_channel_values(info)))
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


def call_arguments(wf: WorkflowAnalyzer, callee: WorkflowAnalyzer) -> list[str]:
    """What a call of ``callee`` passes on: the caller's transport, when the callee takes one."""
    return ["transport=transport"] if needs_transport(callee) else []


def docstring_args(wf: WorkflowAnalyzer) -> list[str]:
    """The docstring lines (under ``Args:``) for the transport argument."""
    if not needs_transport(wf):
        return []
    own = has_events(wf)
    where = "this workflow's send and receive steps" if own else "the event steps of the workflows it runs"
    return [f"    transport: carries the messages of {where} (an InMemoryBroker, a WebhookReceiver, a broker adapter; the async twin takes an AsyncTransport)."]


def raises_lines(wf: WorkflowAnalyzer) -> str:
    """The docstring's Raises line for a receive step that waited in vain."""
    timed = [info.step_id for info in _receives(wf) if v11_steps.valid_timeout(info.step.get("timeout"))]
    if not timed:
        return ""
    names = ", ".join(repr(s) for s in timed)
    return f"    MessageTimedOut: no matching message reached receive step{'s' if len(timed) > 1 else ''} {names} within {'their' if len(timed) > 1 else 'its'} timeout (a StepTimedOut).\n"


def client_line(wf: WorkflowAnalyzer, is_async: bool, line: str) -> str:
    """The ``with`` line that opens the HTTP client, also opening the subscriptions of
    the workflow's receive steps (before any step runs)."""
    receives = _receives(wf)
    if not receives:
        return line
    from .analysis.context import ExprContext

    entries = []
    for info in receives:
        if _producer(wf, info) is not None:
            continue  # subscribed once the step its channel address reads has run (late_subscriptions)
        ctx = ExprContext(wf, info, is_async=is_async, phase="request")
        entries.append(f"{py_str(info.step_id)}: {channel_address(ctx, info)}")
    opener = "_runtime.aopen_subscriptions" if is_async else "_runtime.open_subscriptions"
    return line[:-1] + f", {opener}(transport, {{" + ", ".join(entries) + "}) as _subs:"


def subscriptions_comment(wf: WorkflowAnalyzer) -> list[Node]:
    """A comment at the top of the ``with`` body saying why the subscriptions open first."""
    receives = [info for info in _receives(wf) if _producer(wf, info) is None]
    if not receives:
        return []
    names = ", ".join(comment_text(info.step_id, 40) for info in receives)
    return [Line(f"# Receive step{'s' if len(receives) > 1 else ''} {names} subscribed before any step runs: an early message waits in the subscription."), Line("")]


def without_unused_http(wf: WorkflowAnalyzer, body: list[Node], read: set[str]) -> list[Node]:
    """A workflow whose steps only send and receive messages: no ``_base``, and the HTTP
    client's ``with`` (which also observes the run) binds no name (``read``: the names
    the ``with`` body reads)."""
    if not needs_transport(wf):
        return body
    out: list[Node] = []
    for node in body:
        if isinstance(node, Line) and node.text.startswith("_base = ") and "_base" not in read:
            continue
        if isinstance(node, Block) and "_http" not in read and " as _http" in node.header:
            node = Block(node.header.replace(" as _http", "", 1), node.body)
        out.append(node)
    return out


def late_subscriptions(wf: WorkflowAnalyzer, info: StepInfo, is_async: bool) -> list[Node]:
    """After step ``info`` bound its outputs: the subscriptions of the receive steps whose
    channel address reads them (and no later step's), so they open as soon as it is known."""
    from .analysis.context import ExprContext

    nodes: list[Node] = []
    for receive in _receives(wf):
        if _producer(wf, receive) is not info:
            continue
        ctx = ExprContext(wf, receive, is_async=is_async, phase="request")
        helper = "await _runtime.aadd_subscription" if is_async else "_runtime.add_subscription"
        nodes.append(Line(f"# Receive step {comment_text(receive.step_id, 40)} subscribes now: its channel address reads this step's outputs."))
        nodes.append(Line(f"{helper}(_subs, transport, {py_str(receive.step_id)}, {channel_address(ctx, receive)})"))
    return nodes


# -- the step ---------------------------------------------------------------------------


def step_description(info: StepInfo) -> str:
    """What the step comment says the step does."""
    target = _target(info)
    where = f"operation {target.operation.operation_id}" if target.operation is not None else f"channel {target.channel.key}"
    return f"{target.action} on {target.channel.effective_address!r} ({target.source.name}: {where})"


def event_step(wf: WorkflowAnalyzer, info: StepInfo, is_async: bool) -> list[Node]:
    """The statements of a send or receive step: the message, its criteria, its outputs and actions."""
    from .analysis.context import ExprContext
    from .analysis.criteria import _negate

    target = _target(info)
    request = ExprContext(wf, info, is_async=is_async, phase="request")
    address = channel_address(request, info)
    if target.action == "send":
        nodes: list[Node] = [Line(line) for line in _send_lines(request, info, address)]
    else:
        nodes = _receive_nodes(wf, request, info, address)
    ctx = ExprContext(wf, info, is_async=is_async, phase=PHASE)
    criteria = wf._criteria(info.step.get("successCriteria"), info.json_path + ("successCriteria",))
    if criteria:
        success = ctx.criteria(criteria, default="True")
        failed = ctx.failed_criterion_args()
        action = ", action=\"send\"" if target.action == "send" else ""
        failure = wf._failure_nodes(info, ctx, f"raise _runtime.message_failed({py_str(info.step_id)}, {address}, {MESSAGE}{failed or ', criterion=None'}{action})")
        nodes.append(Block(f"if {_negate(success)}:", tuple(failure)))
    if wf._reentered(info):
        nodes += [Line(f"{a.counter} = 0") for a in info.failure_actions if a.kind == "retry"]
    return nodes + wf._success_nodes(info, ctx)


def keep_call(value: str) -> bool:
    """When nothing reads ``_message``: is its assignment's value a call that must stay (a send)?"""
    return value.startswith(("_runtime.send_message(", "await _runtime.asend_message("))


def _receive_nodes(wf: WorkflowAnalyzer, request: ExprContext, info: StepInfo, address: str) -> list[Node]:
    from .analysis.context import ExprContext

    step = info.step
    if isinstance(step.get("requestBody"), dict):
        wf.error(info.json_path + ("requestBody",), f"receive step {info.step_id!r} has a requestBody", "a receive step sends nothing: remove it (a send step's requestBody.payload is the message payload)")
    for name, _, p_at in _parameters(request, info, "header"):
        wf.error(p_at, f"receive step {info.step_id!r} sets header {name!r}", "a receive step sends nothing: headers are set on a send step (read a received header with $message.header.<name>)")
    if not info.step.get("successCriteria") and len(_target(info).messages) > 1:
        names = ", ".join(m.name for m in _target(info).messages)
        wf.warn(info.json_path, f"receive step {info.step_id!r} has no successCriteria, but channel {_target(info).channel.key!r} carries several message types ({names}): any matching message counts as success", "add successCriteria that inspect $message.payload (Arazzo 1.1: omit them only when the channel's one message type means success)")
    prelude, matches, awaited = _correlation(request, info)
    limit = v11_steps.step_timeout_ms(wf, info)
    if limit is None:
        wf.warn(info.json_path, f"receive step {info.step_id!r} has no timeout: it waits without bound unless the caller passes timeout=", "add timeout: <milliseconds> to the step; when it runs out, the step fails and its onFailure actions apply")
    call = "await _runtime.areceive" if request.is_async else "_runtime.receive"
    nodes: list[Node] = [Line(text) for text in prelude]
    nodes.append(Line(f"{_RECEIVED} = {call}(_deadline, _subs[{py_str(info.step_id)}], {py_str(info.step_id)}, {address}, matches={matches}, awaited={awaited}, timeout_ms={limit})"))
    late = ExprContext(wf, info, is_async=request.is_async, phase=PHASE)
    late.timed_out = True
    chain = wf._failure_nodes(info, late, f"raise _runtime.message_timed_out({_RECEIVED})")
    why = f"# No matching message within the step's {_duration(limit)} timeout: onFailure applies, without a message." if limit is not None else "# No matching message (the step has no timeout of its own): onFailure applies, without a message."
    nodes.append(Block(f"if isinstance({_RECEIVED}, _runtime.MessageTimedOut):", (Line(why),) + tuple(chain)))
    nodes.append(Line(f"{MESSAGE} = {_RECEIVED}"))
    return nodes


def _duration(ms: int) -> str:
    """A step timeout for a comment: ``200 ms``, ``600000 ms (10 min)``."""
    if ms >= 60000 and ms % 60000 == 0:
        return f"{ms} ms ({ms // 60000} min)"
    if ms >= 1000 and ms % 1000 == 0:
        return f"{ms} ms ({ms // 1000} s)"
    return f"{ms} ms"


def _send_lines(request: ExprContext, info: StepInfo, address: str) -> list[str]:
    wf = request.wf
    target = _target(info)
    step, at = info.step, info.json_path
    lines: list[str] = []
    payload = "None"
    content_type = _message_content_type(target)
    body = step.get("requestBody")
    if isinstance(body, dict):
        b_at = at + ("requestBody",)
        if "payload" in body:
            payload, _ = request.value(body["payload"], b_at + ("payload",))
            replacements = request._replacements(body, b_at, xml=False)
            if replacements:
                helper = "replace_selected" if any(t.startswith("$") for t, _ in replacements) else "replace_pointer"
                payload = f"_runtime.{helper}({payload}, [" + ", ".join(f"({py_str(t)}, {v})" for t, v in replacements) + "])"
        elif body.get("replacements"):
            wf.error(b_at, "payload replacements need a payload", "add requestBody.payload")
        if isinstance(body.get("contentType"), str):
            content_type = str(body["contentType"])
    elif message_schema(target, "payload") is not None:
        wf.warn(at, f"send step {info.step_id!r} has no requestBody: it sends a message without a payload", "give the message payload as requestBody.payload")
    headers: list[str] = []
    for name, raw, v_at in _parameters(request, info, "header"):
        source, py_type = request.value(raw, v_at)
        headers.append(f"{py_str(name)}: {source if py_type.text == 'str' else '_runtime.text(' + source + ')'}")
    call = "await _runtime.asend_message" if request.is_async else "_runtime.send_message"
    args = [f"payload={payload}"]
    if headers:
        args.append("headers={" + ", ".join(headers) + "}")
    if content_type != "application/json":
        args.append(f"content_type={py_str(content_type)}")
    lines.append(f"{MESSAGE} = {call}(_deadline, transport, {py_str(info.step_id)}, {address}, " + ", ".join(args) + ")")
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
            ctx.error(p_at, f"parameter {item.get('name')!r} of event step {info.step_id!r} has no 'in'", "parameters of a send or receive step need in: header (a message header) or in: channel (a {placeholder} of the channel address)")
            continue
        resolved = ctx._parameter(item, p_at, False)
        if resolved is None:
            continue
        name, where, value, v_at = resolved
        if where not in ("header", "channel"):
            ctx.error(p_at + ("in",) if "in" in item else p_at, f"parameter {name!r} of event step {info.step_id!r} is in: {where}", "parameters of a send or receive step are in: header (a message header) or in: channel (a {placeholder} of the channel address)")
            continue
        if where != location:
            continue
        key = name.lower() if where == "header" else name
        if key in seen:
            ctx.error(p_at + ("name",), f"event step {info.step_id!r} sets {where} parameter {name!r} twice", "remove one of them")
            continue
        seen.add(key)
        found.append((name, value, v_at))
    return found


def channel_address(ctx: ExprContext, info: StepInfo) -> str:
    """The Python source of the step's channel address: the AsyncAPI address with its
    ``{name}`` placeholders filled by the step's ``in: channel`` parameters."""
    channel = _target(info).channel
    address = channel.effective_address
    values = {name: (raw, at) for name, raw, at in _parameters(ctx, info, "channel")}
    placeholders = [part[1:-1] for part in _PLACEHOLDER.split(address) if part.startswith("{") and part.endswith("}")]
    for name, (_, at) in values.items():
        if name not in placeholders:
            ctx.error(at[:-1] + ("name",) if at[-1:] == ("value",) else at, f"channel {channel.key!r} has no parameter {name!r}: its address is {address!r}", did_you_mean(name, placeholders) or "remove the parameter: in: channel parameters fill the {placeholders} of the channel address")
    pieces: list[tuple[str, bool]] = []  # (text or Python source, is literal text)
    for part in _PLACEHOLDER.split(address):
        if not part:
            continue
        if not (part.startswith("{") and part.endswith("}")):
            pieces.append((part, True))
            continue
        name = part[1:-1]
        if name not in values:
            ctx.error(info.json_path, f"no value for parameter {name!r} of channel {channel.key!r} (address {address!r})", f"add a parameter: {{name: {name}, in: channel, value: ...}}")
            pieces.append((part, True))
            continue
        raw, at = values[name]
        source, py_type = ctx.value(raw, at)
        pieces.append((source if py_type.text == "str" else f"_runtime.text({source})", False))
    if all(literal for _, literal in pieces):
        return py_str("".join(text for text, _ in pieces))
    if all(literal or _NAME.fullmatch(text) for text, literal in pieces):
        return 'f"' + "".join(fstring_text(text) if literal else "{" + text + "}" for text, literal in pieces) + '"'
    return " + ".join(py_str(text) if literal else text for text, literal in pieces)


# -- correlation --------------------------------------------------------------------------


def _correlation(request: ExprContext, info: StepInfo) -> tuple[list[str], str, str]:
    """(lines before the wait, the ``matches=`` source, the ``awaited=`` source) of a receive step."""
    wf = request.wf
    target = _target(info)
    raw = info.step.get("correlationId")
    at = info.json_path + ("correlationId",)
    defined = [(m, m.correlation) for m in target.messages if m.correlation is not None]
    if raw is None or not defined:
        # resolve reported a correlationId missing on one side (the step's or the messages')
        return [], "None", "None"
    locations = {(c.part, c.pointer) for _, c in defined if c is not None}
    if len(locations) > 1:  # a message with no correlation at all never matches (resolve warns of it)
        shown = "; ".join(f"{m.name}: {c.location}" for m, c in defined)
        wf.error(at, f"the messages of channel {target.channel.key!r} carry their correlation value in different places ({shown})", "give every message of the channel the same correlationId location, or receive on an operation that names one message")
        return [], "None", "None"
    correlation = defined[0][1]
    assert correlation is not None
    source, py_type = request.value(raw, at)
    _check_correlation_type(request, target, correlation, py_type, at)
    lines: list[str] = []
    if not (_NAME.fullmatch(source) or _is_literal(raw)):
        lines.append(f"_correlation = {source}")
        source = "_correlation"
    accessor = _accessor(correlation)
    compared = source if correlation.part == "payload" or py_type.text == "str" else f"_runtime.text({source})"
    matches = f"lambda _m: {accessor} == {compared}"
    label: str = correlation.pointer[-1] if correlation.pointer else "payload"
    if _is_literal(raw):
        awaited = py_str(f"{label} == {raw!r}")
    else:
        awaited = 'f"' + fstring_text(f"{label} == ") + "{" + source + '!r}"'
    return lines, matches, awaited


_SCALARS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean"}
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _check_correlation_type(ctx: ExprContext, target: EventTarget, correlation: Correlation, value_type: PyType, at: JsonPath) -> None:
    """Warn when the step's correlation value and the payload's correlation member have
    types that never compare equal (an integer input against a string ``call_id``)."""
    from .analysis.fit import _bare, _literal_members, _scalar_of

    if correlation.part == "header":
        return  # a header is text, and the value is compared as text
    schema = message_schema(target, "payload")
    carried = _bare(ctx.p.inferrer.at_pointer(schema, correlation.pointer).text) if schema is not None else "Any"
    given = _bare(value_type.text)
    kinds = []
    for text in (given, carried):
        members = _literal_members(text)
        scalars = {_scalar_of(m) for m in members} if members is not None else {text}
        kinds.append(scalars.pop() if len(scalars) == 1 else "Any")
    if kinds[0] in _SCALARS and kinds[1] in _SCALARS and kinds[0] != kinds[1] and {kinds[0], kinds[1]} != {"int", "float"}:
        ctx.warn(at, f"the correlationId is {_SCALARS[kinds[0]]}, but the messages carry {correlation.location} as {_SCALARS[kinds[1]]}: the two never compare equal, so no message would match", f"make the types agree: the message's is {_JSON_TYPES[kinds[1]]} (e.g. declare the input with type: {_JSON_TYPES[kinds[1]]})")


def _accessor(correlation: Correlation) -> str:
    """A direct accessor of the correlation value in a received message ``_m``."""
    from .analysis.common import _pointer_text

    if correlation.part == "header":
        name = correlation.pointer[0] if correlation.pointer else ""
        return f"_m.headers.get({py_str(name.lower())})"
    if not correlation.pointer:
        return "_m.payload"
    return f"_runtime.pointer(_m.payload, {py_str(_pointer_text(correlation.pointer))})"


def _is_literal(raw: Any) -> bool:
    return isinstance(raw, (int, float, bool)) or (isinstance(raw, str) and not raw.startswith("$") and "{$" not in raw)


# -- $message expressions -----------------------------------------------------------------


def expr(ctx: ExprContext, node: ex.RuntimeExpr, at: JsonPath) -> tuple[str, PyType] | None:
    """``$message...`` anywhere, and the HTTP-exchange expressions in an event step
    (which do not exist there): the Python source and type, or None when ``node`` is
    none of these (the caller handles it)."""
    is_message = isinstance(node, (ex.MessagePayload, ex.MessageHeader))
    in_event = ctx.info is not None and ctx.info.event is not None
    if not is_message and not (in_event and ctx.phase in (PHASE, "request") and isinstance(node, _HTTP_NODES)):
        return None
    shown = ex.to_source(node)
    if not is_message:
        ctx.error(at, f"{shown} does not exist in a send or receive step: it has no HTTP exchange", "read the message with $message.payload (#/json/pointer) or $message.header.<name>")
        return "None", ANY
    if not is_arazzo_1_1(ctx.doc.arazzo.data):
        ctx.error(at, f"{shown}: $message is an Arazzo 1.1 expression (event steps)", "declare arazzo: 1.1.0 to use send and receive steps")
        return "None", ANY
    if not in_event:
        if ctx._unbound():
            return "None", ANY  # the step's unknown target is reported where it is named
        ctx.error(at, f"{shown} is only available in a send or receive step", "use it in that step's successCriteria, outputs or action criteria, and pass it on with $steps.<stepId>.outputs.<name>")
        return "None", ANY
    assert ctx.info is not None
    if ctx.phase != PHASE:
        ctx.error(at, f"{shown} is not available in the parameters, requestBody or correlationId of step {ctx.info.step_id!r}", "$message is the message the step sent or received: read it in the step's successCriteria, outputs or action criteria")
        return "None", ANY
    if ctx.timed_out:
        ctx.unavailable = True  # the wait ran out: there is no message
        return "None", ANY
    target = _target(ctx.info)
    if isinstance(node, ex.MessageHeader):
        return f"{MESSAGE}.headers.get({py_str(node.name.lower())})", PyType("str | None", optional=True)
    assert isinstance(node, ex.MessagePayload)
    return _payload(ctx, target, tuple(node.pointer or ()), shown, at)


def _payload(ctx: ExprContext, target: EventTarget, tokens: tuple[str, ...], shown: str, at: JsonPath) -> tuple[str, PyType]:
    """``$message.payload[#pointer]``: checked against the messages' payload schemas and
    typed from them (the whole payload as its model class, or a union of them)."""
    from .analysis.common import _member_names, _pointer_text

    inferrer = ctx.p.inferrer
    schema = message_schema(target, "payload")
    source = f"{MESSAGE}.payload" if not tokens else f"_runtime.pointer({MESSAGE}.payload, {py_str(_pointer_text(tokens))})"
    if schema is None:
        return source, ANY  # resolve reported each message without a payload schema
    if tokens:
        with_schema = [m for m in target.messages if m.payload is not None]
        if not any(_reaches(inferrer, m, tokens) for m in with_schema):
            members: set[str] = set()
            for m in with_schema:
                assert m.payload is not None
                members.update(_member_names(inferrer, m.payload, tokens[:-1]))
            names = ", ".join(repr(m.name) for m in with_schema)
            ctx.error(at, f"{shown}: the payload schema of message {names} has no member at {_pointer_text(tokens)!r}", did_you_mean(tokens[-1], members) or "check the JSON pointer against the message's payload schema in the AsyncAPI document")
            return source, ANY
    return source, inferrer.at_pointer(schema, tokens)


def _reaches(inferrer: Any, message: AsyncMessage, tokens: tuple[str, ...]) -> bool:
    schema = message.payload
    return schema is not None and (inferrer.at_pointer(schema, tokens) is not ANY or bool(inferrer.has_path(schema, tokens)))


# -- the module: runtime parts, exports, webhook receivers --------------------------------


def module_extras(analyzer: Analyzer, workflows: list[WorkflowAnalyzer]) -> tuple[list[str], list[str], list[ReceiverPlan]]:
    """(runtime exports, other exports, receiver factories) of a module with event steps;
    adds the runtime parts they use."""
    if not any(has_events(wa) for wa in workflows):
        return [], [], []
    analyzer.runtime_parts.add("events")
    sources: dict[str, AsyncSource] = {}
    for wa in workflows:
        for info in wa.steps:
            if info.event is not None:
                sources.setdefault(info.event.source.key, info.event.source)
    protocols = {p for source in sources.values() for p in source.protocols}
    exports = list(RUNTIME_EXPORTS)
    for part, wanted, adapter in (("events_amqp", _AMQP, "AmqpTransport"), ("events_mqtt", _MQTT, "MqttTransport"), ("events_ws", _WS, "WebSocketTransport")):
        if protocols & wanted and (templates_dir() / "runtime" / f"{part}.py.jinja").is_file():
            analyzer.runtime_parts.add(part)
            exports.append(adapter)  # the broker adapter a used AsyncAPI server needs
    receivers = [_receiver(analyzer, source) for _, source in sorted(sources.items()) if source.webhook is not None]
    return exports, [r.function_name for r in receivers], receivers


def _receiver(analyzer: Analyzer, source: AsyncSource) -> ReceiverPlan:
    """``<source>_receiver(...)``: a WebhookReceiver with the source's route and signature verifier."""
    webhook = source.webhook
    assert webhook is not None
    name = analyzer.module_names.claim(f"{snake_case(source.key, fallback='events')}_receiver")
    params: list[str] = []
    signature = webhook.signature
    if signature is None:
        params.append("verifier: _runtime.Verifier | None")
        verifier = "verifier"
        signed = "Deliveries are not signed by the provider (per the AsyncAPI document): pass verifier=None to accept them unchecked, or a Verifier of your own."
    else:
        params.append("secret: str")
        if signature.scheme == "hmac-sha256":
            verifier = f"_runtime.HmacSha256Verifier(secret, header={py_str(signature.header)}, encoding={py_str(signature.encoding)}, prefix={py_str(signature.prefix)})"
            what = f"an HMAC-SHA256 of the raw body ({signature.encoding}) in header {signature.header}"
        elif signature.scheme == "stripe":
            verifier = f"_runtime.StripeVerifier(secret, header={py_str(signature.header)}, tolerance={signature.tolerance})"
            what = f"a Stripe-style t=...,v1=... signature in header {signature.header}, at most {signature.tolerance} s old"
        else:
            verifier = f"_runtime.StandardWebhooksVerifier(secret, tolerance={signature.tolerance})"
            what = f"a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature), at most {signature.tolerance} s old"
        signed = f"Every delivery must carry {what}; ``secret`` is the signing secret the provider gave you. Unsigned or badly signed deliveries are rejected (401) and never matched."
    params += ['host: str = "127.0.0.1"', "port: int = 0", 'path: str = "/"', "max_body_bytes: int = _runtime.MAX_WEBHOOK_BYTES"]
    if webhook.route is None:
        addresses = sorted({c.effective_address for c in source.channels.values()})
        route = f"_runtime.route_to({py_str(addresses[0] if addresses else '')})"
        routed = f"Every delivery is a message on {addresses[0] if addresses else ''!r}."
    elif webhook.route[0] == "header":
        route = f"_runtime.route_by_header({py_str(webhook.route[1])})"
        routed = f"The channel of a delivery is its {webhook.route[1]} header."
    else:
        route = f"_runtime.route_by_payload({py_str(webhook.route[1])})"
        routed = f"The channel of a delivery is the payload member at {webhook.route[1]}."
    paragraphs = [
        f"A webhook receiver for the messages of source ``{source.key}`` ({source.url}): a Transport for the workflows.",
        "Start it (``with ... as receiver:``) and register ``receiver.url`` with the provider, or mount ``receiver.asgi`` / ``receiver.wsgi`` in your web app, or call ``receiver.deliver(headers, body)`` from your own route.",
        f"{routed} {signed}",
    ]
    doc = "\n\n".join(textwrap.fill(paragraph, 84, break_long_words=False, break_on_hyphens=False) for paragraph in paragraphs)
    body: tuple[Node, ...] = (
        Line("return _runtime.WebhookReceiver("),
        Line(f"    verifier={verifier},"),
        Line(f"    route={route},"),
        Line("    host=host,"),
        Line("    port=port,"),
        Line("    path=path,"),
        Line("    max_body_bytes=max_body_bytes,"),
        Line(")"),
    )
    return ReceiverPlan(name, tuple(params), docstring_text(doc), body)
