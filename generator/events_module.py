"""Arazzo 1.1 event steps, continued: ``$message`` expressions (typed from the AsyncAPI
messages' payload schemas) and what the module needs for them (runtime parts, exports,
webhook receiver factories).  The steps themselves: events_steps.py."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from . import expressions as ex
from .asyncapi_model import AsyncMessage, AsyncSource, EventTarget
from .diagnostics import JsonPath, did_you_mean
from .events_steps import _AMQP, _HTTP_NODES, _MQTT, _WS, MESSAGE, PHASE, RUNTIME_EXPORTS, _target, has_events
from .ir import nodes as n
from .plan import Line, Node, ReceiverPlan
from .pycode import docstring_text, py_str, snake_case
from .runtime_files import known_part
from .schemas import ANY, PyType, message_schema
from .validate import is_arazzo_1_1

if TYPE_CHECKING:

    from .analysis.context import ExprContext
    from .analysis.module import Analyzer
    from .analysis.workflow import WorkflowAnalyzer

#: The phase of ExprContext in which ``$message`` is the step's message.

# -- $message expressions -----------------------------------------------------------------


def expr(ctx: ExprContext, node: ex.RuntimeExpr, at: JsonPath) -> tuple[n.Expr, PyType] | None:
    """``$message...`` anywhere, and the HTTP-exchange expressions in an event step
    (which do not exist there): the value and its type, or None when ``node`` is
    none of these (the caller handles it)."""
    is_message = isinstance(node, (ex.MessagePayload, ex.MessageHeader))
    in_event = ctx.info is not None and ctx.info.event is not None
    if not is_message and not (in_event and ctx.phase in (PHASE, "request") and isinstance(node, _HTTP_NODES)):
        return None
    shown = ex.to_source(node)
    if not is_message:
        ctx.error(
            at,
            f"{shown} does not exist in a send or receive step: it has no HTTP exchange",
            "read the message with $message.payload (#/json/pointer) or $message.header.<name>",
        )
        return n.NONE, ANY
    if not is_arazzo_1_1(ctx.doc.arazzo.data):
        ctx.error(
            at,
            f"{shown}: $message is an Arazzo 1.1 expression (event steps)",
            "declare arazzo: 1.1.0 to use send and receive steps",
        )
        return n.NONE, ANY
    if not in_event:
        if ctx._unbound():
            return n.NONE, ANY  # the step's unknown target is reported where it is named
        ctx.error(
            at,
            f"{shown} is only available in a send or receive step",
            "use it in that step's successCriteria, outputs or action criteria, and pass it on with $steps.<stepId>.outputs.<name>",
        )
        return n.NONE, ANY
    assert ctx.info is not None
    if ctx.phase != PHASE:
        ctx.error(
            at,
            f"{shown} is not available in the parameters, requestBody or correlationId of step {ctx.info.step_id!r}",
            "$message is the message the step sent or received: read it in the step's successCriteria, outputs or action criteria",
        )
        return n.NONE, ANY
    if ctx.timed_out:
        ctx.unavailable = True  # the wait ran out: there is no message
        return n.NONE, ANY
    target = _target(ctx.info)
    if isinstance(node, ex.MessageHeader):
        return n.call(f"{MESSAGE}.headers.get", n.Const(node.name.lower())), PyType("str | None", optional=True)
    assert isinstance(node, ex.MessagePayload)
    return _payload(ctx, target, tuple(node.pointer or ()), shown, at)


def _payload(
    ctx: ExprContext, target: EventTarget, tokens: tuple[str, ...], shown: str, at: JsonPath
) -> tuple[n.Expr, PyType]:
    """``$message.payload[#pointer]``: checked against the messages' payload schemas and
    typed from them (the whole payload as its model class, or a union of them)."""
    from .analysis.common import _member_names, _pointer_text

    inferrer = ctx.p.inferrer
    schema = message_schema(target, "payload")
    payload = n.dotted(f"{MESSAGE}.payload")
    source = payload if not tokens else n.runtime("pointer", payload, n.Const(_pointer_text(tokens)))
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
            ctx.error(
                at,
                f"{shown}: the payload schema of message {names} has no member at {_pointer_text(tokens)!r}",
                did_you_mean(tokens[-1], members)
                or "check the JSON pointer against the message's payload schema in the AsyncAPI document",
            )
            return source, ANY
    return source, inferrer.at_pointer(schema, tokens)


def _reaches(inferrer: Any, message: AsyncMessage, tokens: tuple[str, ...]) -> bool:
    schema = message.payload
    return schema is not None and (
        inferrer.at_pointer(schema, tokens) is not ANY or bool(inferrer.has_path(schema, tokens))
    )


# -- the module: runtime parts, exports, webhook receivers --------------------------------


def module_extras(
    analyzer: Analyzer, workflows: list[WorkflowAnalyzer]
) -> tuple[list[str], list[str], list[ReceiverPlan]]:
    """(runtime exports, other exports, receiver factories) of a module with event steps;
    adds the runtime parts they use."""
    if not any(has_events(wa) for wa in workflows):
        return [], [], []
    # the event steps' helpers, and the webhook receiver part: RUNTIME_EXPORTS re-exports
    # WebhookReceiver from every package with event steps (a receiver factory or not)
    analyzer.runtime_parts.update(("events", "events_webhook"))
    sources: dict[str, AsyncSource] = {}
    for wa in workflows:
        for info in wa.steps:
            if info.event is not None:
                sources.setdefault(info.event.source.key, info.event.source)
    protocols = {p for source in sources.values() for p in source.protocols}
    exports = list(RUNTIME_EXPORTS)
    for part, wanted, adapter in (
        ("events_amqp", _AMQP, "AmqpTransport"),
        ("events_mqtt", _MQTT, "MqttTransport"),
        ("events_ws", _WS, "WebSocketTransport"),
    ):
        if protocols & wanted and known_part(part):
            analyzer.runtime_parts.add(part)
            exports.append(adapter)  # the broker adapter a used AsyncAPI server needs
    receivers = [_receiver(analyzer, source) for _, source in sorted(sources.items()) if source.webhook is not None]
    return exports, [r.function_name for r in receivers], receivers


def _receiver(analyzer: Analyzer, source: AsyncSource) -> ReceiverPlan:
    """``<source>_receiver(...)``: a WebhookReceiver with the source's route and signature verifier."""
    webhook = source.webhook
    assert webhook is not None
    analyzer.runtime_parts.add("events_webhook")  # the factory returns a _runtime.WebhookReceiver
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
            verifier = (
                f"_runtime.StripeVerifier(secret, header={py_str(signature.header)}, tolerance={signature.tolerance})"
            )
            what = f"a Stripe-style t=...,v1=... signature in header {signature.header}, at most {signature.tolerance} s old"
        else:
            verifier = f"_runtime.StandardWebhooksVerifier(secret, tolerance={signature.tolerance})"
            what = f"a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature), at most {signature.tolerance} s old"
        signed = f"Every delivery must carry {what}; ``secret`` is the signing secret the provider gave you. Unsigned or badly signed deliveries are rejected (401) and never matched."
    params += [
        'host: str = "127.0.0.1"',
        "port: int = 0",
        'path: str = "/"',
        "max_body_bytes: int = _runtime.MAX_WEBHOOK_BYTES",
    ]
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
    doc = "\n\n".join(
        textwrap.fill(paragraph, 84, break_long_words=False, break_on_hyphens=False) for paragraph in paragraphs
    )
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
