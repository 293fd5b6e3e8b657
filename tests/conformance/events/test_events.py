"""Conformance, Arazzo 1.1 event steps (CHANGES-1.1 sections 7-12 and 15): send and
receive steps compiled inline, run against the generated runtime's InMemoryBroker (and
one WebhookReceiver on 127.0.0.1), through the function and its async twin.

Messages are published the moment the workflow subscribes (Feeder wraps the broker),
or from the injected ``sleep`` of a retry, so that no test depends on a thread being
scheduled in time; the step timeouts are 200 ms and the tests bound how long a
timed-out run takes.  The webhook tests POST from a thread once the receiver counts a
subscription, within a 3 s step timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from arazzo_codegen.diagnostics import Diagnostic
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package

from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, run
from tests.replay import SleepRecorder
from tests.golden.test_generated_quality import RUFF

FEATURE = "events/orders"
STATUS = "orders.status"
#: The most a run whose 200 ms step timeout ran out may take (scheduling slack included).
BOUND = 1.5


@pytest.fixture
def orders(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


class Feeder:
    """A transport for one run: the broker's, but when the workflow subscribes to
    ``channel`` the messages are published on it at once (they wait in the new
    subscription), so no test depends on a thread being scheduled in time.
    ``taken``: how many subscriptions took each."""

    def __init__(self, broker: Any, channel: str, messages: list[tuple[dict[str, Any], dict[str, str] | None]]) -> None:
        self.broker, self.channel, self.messages = broker, channel, messages
        self.taken: list[int] = []

    def _publish(self, channel: str) -> None:
        if channel == self.channel and not self.taken:
            self.taken = [self.broker.publish(channel, payload, headers=headers) for payload, headers in self.messages]

    def subscribe(self, channel: str) -> Any:
        subscription = self.broker.subscribe(channel)
        self._publish(channel)
        return subscription

    async def asubscribe(self, channel: str) -> Any:
        subscription = await self.broker.asubscribe(channel)
        self._publish(channel)
        return subscription

    def send(self, message: Any) -> None:
        self.broker.send(message)

    async def asend(self, message: Any) -> None:
        await self.broker.asend(message)

    def __enter__(self) -> Feeder:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class PublishingSleep(SleepRecorder):
    """The injected ``sleep``: publishes a message on its first call (a retry's wait)."""

    def __init__(self, broker: Any, channel: str, payload: dict[str, Any]) -> None:
        super().__init__()
        self.broker, self.channel, self.payload = broker, channel, payload

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        if len(self.calls) == 1:
            self.broker.publish(self.channel, self.payload)

    async def asleep(self, seconds: float) -> None:
        self(seconds)


def _status(order_id: str, status: str = "accepted", amount: int = 7) -> dict[str, Any]:
    return {"orderId": order_id, "status": status, "amount": amount}


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.monotonic()
    try:
        result: object = fn()
    except Exception as exc:  # the caller inspects it
        result = exc
    return result, time.monotonic() - start


# -- receive: correlation, timeout, criteria, outputs -------------------------------------


def test_only_the_message_with_the_correlation_value_is_taken(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    with Feeder(broker, STATUS, [(_status("other", "rejected", 1), None), (_status("abc", amount=42), {"X-Trace": "t-9"})]) as feeder:
        result = run(orders, "await_order", mode, order_id="abc", transport=feeder)
    assert (result.status, result.amount, result.trace) == ("accepted", 42, "t-9")
    assert feeder.taken == [1, 1]  # both waited in the subscription; the step took the one for 'abc'


def test_no_matching_message_fails_the_step_after_its_timeout(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None
    broker = module.InMemoryBroker()
    with Feeder(broker, STATUS, [(_status("other"), None)]) as feeder:
        error, took = _timed(lambda: run(orders, "await_order", mode, order_id="abc", transport=feeder))
    assert isinstance(error, module.MessageTimedOut), error
    assert isinstance(error, module.StepFailed) and isinstance(error, module.StepTimedOut)
    assert str(error) == "step 'waitStatus': no message with orderId == 'abc' on 'orders.status' within 0.2 s"
    assert (error.step_id, error.channel, error.awaited, error.timeout_ms) == ("waitStatus", STATUS, "orderId == 'abc'", 200)
    assert 0.2 <= took < BOUND
    assert broker.subscriptions() == 0  # closed on the way out


def test_the_overall_timeout_ends_a_wait_with_workflow_timeout(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None
    error, took = _timed(lambda: run(orders, "await_order", mode, order_id="abc", transport=module.InMemoryBroker(), timeout=0.05))
    assert isinstance(error, module.WorkflowTimeout), error
    assert not isinstance(error, module.StepFailed)
    assert took < BOUND  # WorkflowTimeout, not MessageTimedOut: the 50 ms deadline came before the 200 ms step timeout


def test_failed_success_criteria_take_the_onfailure_goto(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    with Feeder(broker, STATUS, [(_status("o-7", "rejected", 5), None)]) as feeder:
        result = run(orders, "accepted_order", mode, order_id="o-7", transport=feeder)
    assert (result.amount, result.noted) == (None, "rejected")  # waitAccepted failed: its outputs are unset
    assert [(m.channel, m.payload) for m in broker.sent] == [("orders/o-7", {"item": "rejected", "quantity": 0})]


def test_met_success_criteria_take_the_onsuccess_end(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    with Feeder(broker, STATUS, [(_status("o-8", "accepted", 9), None)]) as feeder:
        result = run(orders, "accepted_order", mode, order_id="o-8", transport=feeder)
    assert (result.amount, result.noted) == (9, None)
    assert broker.sent == []


def test_failed_success_criteria_with_an_end_action_raise_step_failed(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None
    broker = module.InMemoryBroker()
    with Feeder(broker, STATUS, [(_status("o-9", "rejected"), None)]) as feeder:
        error, _ = _timed(lambda: run(orders, "strict_order", mode, order_id="o-9", transport=feeder))
    assert isinstance(error, module.StepFailed) and not isinstance(error, module.StepTimedOut), error
    assert error.criterion == "$message.payload#/status == 'accepted'"
    assert "the failure action 'giveUp' ended the workflow" in str(error)
    assert '"rejected"' in (error.body or "")  # an excerpt of the message


def test_a_timeout_with_a_criteria_guarded_onfailure_action_raises_message_timed_out(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None
    error, took = _timed(lambda: run(orders, "accepted_order", mode, order_id="none", transport=module.InMemoryBroker()))
    assert isinstance(error, module.MessageTimedOut), error  # 'rejected' reads the message, which never came
    assert 0.2 <= took < BOUND


def test_a_retry_action_waits_again_with_a_fresh_step_timeout(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None
    error, took = _timed(lambda: run(orders, "retry_wait", mode, order_id="r-1", transport=module.InMemoryBroker()))
    assert isinstance(error, module.MessageTimedOut), error
    assert (error.retries, error.retry_limit) == (1, 1)
    assert str(error) == "step 'waitStatus': no message with orderId == 'r-1' on 'orders.status' within 0.2 s after 1 retry"
    assert 0.4 <= took < BOUND + 0.2


def test_a_message_that_comes_between_two_waits_is_taken_by_the_retry(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    sleep = PublishingSleep(broker, STATUS, _status("r-2", "accepted"))  # after the first wait ran out
    assert run(orders, "retry_wait", mode, sleep=sleep, order_id="r-2", transport=broker).status == "accepted"
    assert sleep.calls == [0.0]


def test_a_correlation_carried_in_a_header_is_matched_there(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    with Feeder(broker, "audit", [({"action": "logout"}, {"X-Correlation-Id": "8"}), ({"action": "login"}, {"X-Correlation-Id": "7"})]) as feeder:
        assert run(orders, "await_audit", mode, correlation=7, transport=feeder).action == "login"
    assert feeder.taken == [1, 1]  # both waited in the subscription; the step took the matching one
    # matched on the header: IR snapshot tests/generator/ir_snapshots/events-receive


def test_a_channel_of_several_message_types_gives_the_union_of_their_models(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None  # the union type: IR snapshot tests/generator/ir_snapshots/events-outcome
    broker = module.InMemoryBroker()
    with Feeder(broker, "orders.outcome", [(_status("u-1", "accepted", 4), None)]) as feeder:
        outcome = run(orders, "await_outcome", mode, order_id="u-1", transport=feeder).outcome
    assert type(outcome).__name__ == "OrderStatus" and (outcome.status, outcome.amount) == ("accepted", 4)
    with Feeder(broker, "orders.outcome", [({"orderId": "u-2", "reason": "out of stock"}, None)]) as feeder:
        error, _ = _timed(lambda: run(orders, "await_outcome", mode, order_id="u-2", transport=feeder))
    assert isinstance(error, module.StepFailed) and error.criterion == "$message.payload#/reason == null", error
    assert "out of stock" in (error.body or "")


def test_outputs_are_typed_from_the_payload_schema(orders: Compiled) -> None:
    fields = orders.module.AwaitOrderOutputs.model_fields  # type: ignore[union-attr]
    assert str(fields["amount"].annotation) == "<class 'int'>"
    # the other fields' types, and what a timeout says it awaited: IR snapshot tests/generator/ir_snapshots/events-receive


def test_a_dot_path_after_message_payload_is_read_as_a_pointer_with_a_warning(orders: Compiled, mode: str) -> None:
    assert orders.warnings == [
        f"{os.path.relpath(CONFORMANCE_DIR / FEATURE / 'arazzo.yaml')}:98:20: warning: $.workflows[2].steps[0].outputs.orderId: runtime expression '$message.payload.orderId' reads the message payload with a dot-path, not a JSON pointer\n    hint: write '$message.payload#/orderId'"
    ]
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    with Feeder(broker, STATUS, [(_status("o-1"), None)]) as feeder:
        assert run(orders, "strict_order", mode, order_id="o-1", transport=feeder).order_id == "o-1"


# -- send ---------------------------------------------------------------------------------


def test_send_fills_the_channel_address_and_sets_payload_and_headers(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    result = run(orders, "place_order", mode, order_id=42, item="tea", quantity=3, request_id="req-1", transport=broker)
    [sent] = broker.sent
    assert (sent.channel, sent.payload, dict(sent.headers), sent.content_type) == ("orders/42", {"item": "tea", "quantity": 3}, {"x-request-id": "req-1"}, "application/json")
    assert json.loads(sent.raw) == {"item": "tea", "quantity": 3}
    # $message on a send step is the message sent
    assert (result.request_id, result.item, result.quantity) == ("req-1", "tea", 3)


def test_success_criteria_of_a_send_step_read_the_message_sent(orders: Compiled, mode: str) -> None:
    module = orders.module
    assert module is not None
    broker = module.InMemoryBroker()
    error, _ = _timed(lambda: run(orders, "place_order", mode, order_id=1, item="tea", quantity=0, request_id="r", transport=broker))
    assert isinstance(error, module.StepFailed), error
    assert (error.method, error.url, error.criterion) == ("SEND", "orders/1", "$message.payload#/quantity > 0")
    assert len(broker.sent) == 1  # it was sent: the criteria judge what was sent


# -- subscribe before the step that triggers the message ----------------------------------


class _CreatesAndPublishes(http.server.BaseHTTPRequestHandler):
    """POST /api/orders: publishes the order's status message first, then answers 201."""

    broker: Any = None
    taken: list[int] = []

    def do_POST(self) -> None:  # http.server's name for it
        length = int(self.headers.get("Content-Length", "0"))
        item = json.loads(self.rfile.read(length))["item"]
        assert self.path == "/api/orders"
        self.taken.append(self.broker.publish(STATUS, _status(f"id-{item}", "accepted", 5)))
        body = json.dumps({"id": f"id-{item}"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def creating_server() -> Iterator[tuple[str, type[_CreatesAndPublishes]]]:
    handler = type("Handler", (_CreatesAndPublishes,), {"taken": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_message_published_before_the_create_response_is_still_received(orders: Compiled, mode: str, creating_server: tuple[str, type[_CreatesAndPublishes]]) -> None:
    url, handler = creating_server
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    handler.broker = broker
    result = run(orders, "create_and_wait", mode, item="pen", transport=broker, servers={"orders": url})
    assert (result.order_id, result.status) == ("id-pen", "accepted")
    assert handler.taken == [1]  # the subscription held it before the receive step ran


def test_a_channel_address_read_from_a_step_output_is_subscribed_once_that_step_ran(orders: Compiled, mode: str, creating_server: tuple[str, type[_CreatesAndPublishes]]) -> None:
    url, handler = creating_server
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    handler.broker = broker
    with Feeder(broker, "orders/id-cup/updates", [(_status("id-other", amount=1), None), (_status("id-cup", amount=11), None)]) as feeder:
        result = run(orders, "create_and_follow", mode, item="cup", transport=feeder, servers={"orders": url})
    assert result.amount == 11
    assert feeder.taken == [1, 1]  # both waited in the subscription; the step took the matching one
    # subscribed once step create ran: IR snapshot tests/generator/ir_snapshots/events-follow


# -- the transport argument ---------------------------------------------------------------


def test_a_workflow_calling_one_with_event_steps_passes_its_transport_on(orders: Compiled, mode: str) -> None:
    broker = orders.module.InMemoryBroker()  # type: ignore[union-attr]
    with Feeder(broker, STATUS, [(_status("c-1", "rejected"), None)]) as feeder:
        assert run(orders, "calls_await", mode, order_id="c-1", transport=feeder).status == "rejected"
    # the transport argument, passed on: IR snapshot tests/generator/ir_snapshots/events-follow
    assert "    transport: carries the messages of the event steps of the workflows it runs" in orders.source


def test_the_generated_package_passes_mypy_strict_and_a_call_without_transport_does_not(orders: Compiled, compile_feature: Compiler) -> None:
    out = compile_feature.out
    user = out / "uses_orders.py"
    user.write_text(
        "import asyncio\n"
        f"from {orders.package} import InMemoryBroker, await_order, await_order_async\n\n"
        "broker = InMemoryBroker()\n"
        'print(await_order(order_id="a", transport=broker).amount + 1)\n'
        'print(asyncio.run(await_order_async(order_id="a", transport=broker)).status)\n'
        'await_order(order_id="a")\n',
        encoding="utf-8",
    )
    args = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(out / ".mypy_cache_events")]
    webhooks = compile_feature("events/webhooks")
    completed = subprocess.run([*args, orders.package, webhooks.package, "uses_orders.py"], cwd=out, capture_output=True, text=True, timeout=600)
    lines = [line for line in completed.stdout.splitlines() if ": error:" in line]
    assert lines == ['uses_orders.py:7: error: Missing named argument "transport" for "await_order"  [call-arg]'], completed.stdout + completed.stderr


def test_the_generated_package_is_black_and_ruff_clean_and_deterministic(orders: Compiled, compile_feature: Compiler, tmp_path: Path) -> None:
    packages = [orders.package, compile_feature("events/webhooks").package]
    black = subprocess.run([sys.executable, "-m", "black", "--check", "--quiet", *packages], cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert black.returncode == 0, black.stderr
    ruff = subprocess.run([*RUFF, *packages], cwd=compile_feature.out, capture_output=True, text=True, timeout=600)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    again = build(Job(spec=CONFORMANCE_DIR / FEATURE / "arazzo.yaml", package=orders.package, out=tmp_path))
    assert again.files == orders.files


def test_an_input_named_transport_gets_a_trailing_underscore(tmp_path: Path) -> None:
    for name in ("openapi.yaml", "asyncapi.yaml"):
        shutil.copy(CONFORMANCE_DIR / FEATURE / name, tmp_path / name)
    text = (CONFORMANCE_DIR / FEATURE / "arazzo.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\n  - workflowId: acceptedOrder")
    (tmp_path / "arazzo.yaml").write_text(head.replace("orderId: {type: string}", "orderId: {type: string}\n        transport: {type: string}") + "\n", encoding="utf-8")
    result = build(Job(spec=tmp_path / "arazzo.yaml", package="named_transport", out=tmp_path / "out"))
    assert [d.message for d in result.report.items] == ["input 'transport' is generated as argument transport_, since transport is an option of the function or a name the module imports"]
    # the signature (transport_ beside transport): IR snapshot tests/generator/ir_snapshots/events-receive


def test_broker_adapters_come_with_the_servers_that_need_them(tmp_path: Path) -> None:
    """An AsyncAPI source with an mqtt, a wss and an amqp server: the runtime gets the
    MQTT, WebSocket and AMQP adapter parts (where this checkout ships them), exported
    from the package."""
    from arazzo_codegen.runtime_files import known_part

    def runtime(result: Any) -> str:
        return "\n".join(text for name, text in sorted(result.files.items()) if name.startswith("_runtime/"))

    for name in ("openapi.yaml", "arazzo.yaml"):
        shutil.copy(CONFORMANCE_DIR / FEATURE / name, tmp_path / name)
    events = (CONFORMANCE_DIR / FEATURE / "asyncapi.yaml").read_text(encoding="utf-8")
    servers = "servers:\n  broker: {host: '127.0.0.1:1883', protocol: mqtt}\n  socket: {host: '127.0.0.1:8080', protocol: wss}\n  rabbit: {host: '127.0.0.1:5672', protocol: amqp}\n"
    (tmp_path / "asyncapi.yaml").write_text(events.replace("channels:\n", servers + "channels:\n", 1), encoding="utf-8")
    with_servers = build(Job(spec=tmp_path / "arazzo.yaml", package="with_servers", out=tmp_path / "out"))
    without = build(Job(spec=CONFORMANCE_DIR / FEATURE / "arazzo.yaml", package="without_servers", out=tmp_path / "out2"))
    assert not [d for d in with_servers.report.items if d.severity.name == "ERROR"]
    for part, adapter in (("events_amqp", "AmqpTransport"), ("events_mqtt", "MqttTransport"), ("events_ws", "WebSocketTransport")):
        shipped = known_part(part)
        assert (f"class {adapter}" in runtime(with_servers)) is shipped
        assert (f"    {adapter},\n" in with_servers.files["__init__.py"]) is shipped
        assert adapter not in runtime(without) and adapter not in without.files["__init__.py"]
    write_package(tmp_path / "out" / "with_servers", with_servers.files)
    ruff = subprocess.run([*RUFF, "with_servers"], cwd=tmp_path / "out", capture_output=True, text=True, timeout=600)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_every_package_with_event_steps_ships_the_webhook_receiver(orders: Compiled, compile_feature: Compiler) -> None:
    """Analysis adds the receiver part: to a module with event steps (its __init__ re-exports
    WebhookReceiver) and where it writes a receiver factory; the event steps' part does not import it."""
    webhooks = compile_feature("events/webhooks")
    assert not webhooks.errors, webhooks.errors
    for compiled in (orders, webhooks):
        assert "_runtime/events_webhook.py" in compiled.files
        assert "    WebhookReceiver,\n" in compiled.files["__init__.py"]
    assert "def shop_events_receiver(" in webhooks.files["workflows.py"]
    assert "_receiver(" not in orders.files["workflows.py"]


# -- bad input ----------------------------------------------------------------------------

BAD_MESSAGES = [
    ('20:15: error: $.workflows[0].steps[0].outputs.id: $message.payload#/orderId is only available in a send or receive step',
     "use it in that step's successCriteria, outputs or action criteria, and pass it on with $steps.<stepId>.outputs.<name>"),
    ('33:24: error: $.workflows[1].steps[0].successCriteria[0].condition: $statusCode does not exist in a send or receive step: it has no HTTP exchange',
     'read the message with $message.payload (#/json/pointer) or $message.header.<name>'),
    ('35:17: error: $.workflows[1].steps[0].outputs.body: $response.body#/status does not exist in a send or receive step: it has no HTTP exchange',
     'read the message with $message.payload (#/json/pointer) or $message.header.<name>'),
    ("48:19: error: $.workflows[2].steps[0].outputs.status: $message.payload#/stauts: the payload schema of message 'OrderStatus' has no member at '/stauts'",
     "did you mean 'status'?"),
    ("49:17: error: $.workflows[2].steps[0].outputs.body: malformed runtime expression in '$message.body#/status': '$message.body' is not an expression: a message has a payload and headers",
     "write '$message.payload' (with an optional '#/json/pointer') or '$message.header.<name>'"),
    ("50:20: error: $.workflows[2].steps[0].outputs.payload: malformed runtime expression in '$response.payload': '$response.payload' is not an expression: 'payload' is a source of '$message' (Arazzo 1.1 event steps)",
     "an HTTP exchange has '$response.body' (with an optional '#/json/pointer'); a message step reads '$message.payload'"),
    ("57:9: error: $.workflows[3].steps[0]: no value for parameter 'orderId' of channel 'orderCommands' (address 'orders/{orderId}')",
     'add a parameter: {name: orderId, in: channel, value: ...}'),
    ("62:17: error: $.workflows[3].steps[0].parameters[0].in: parameter 'limit' of event step 'send' is in: query",
     'parameters of a send or receive step are in: header (a message header) or in: channel (a {placeholder} of the channel address)'),
    ("66:20: error: $.workflows[3].steps[0].parameters[1].value: $message.header.X-Id is not available in the parameters, requestBody or correlationId of step 'send'",
     "$message is the message the step sent or received: read it in the step's successCriteria, outputs or action criteria"),
    ("75:9: warning: $.workflows[4].steps[0]: receive step 'wait' has no timeout: it waits without bound unless the caller passes timeout=",
     'add timeout: <milliseconds> to the step; when it runs out, the step fails and its onFailure actions apply'),
    ('80:24: warning: $.workflows[4].steps[0].successCriteria[0].condition: condition "$message.payload.status == \'accepted\' && $message.payload#/amount > 0" reads the message payload with a dot-path ($message.payload.status), not a JSON pointer',
     'write "$message.payload#/status == \'accepted\' && $message.payload#/amount > 0"'),
    ('90:24: warning: $.workflows[5].steps[0].correlationId: the correlationId is an integer, but the messages carry $message.payload#/orderId as a string: the two never compare equal, so no message would match',
     "make the types agree: the message's is string (e.g. declare the input with type: string)"),
    ("92:9: warning: $.workflows[5].steps[1]: receive step 'outcome' has no successCriteria, but channel 'orderOutcome' carries several message types (OrderStatus, OrderCancelled): any matching message counts as success",
     "add successCriteria that inspect $message.payload (Arazzo 1.1: omit them only when the channel's one message type means success)"),
]


def _rendered(compiled: Compiled, spec: str) -> list[tuple[str, str]]:
    prefix = os.path.relpath(CONFORMANCE_DIR / FEATURE / spec) + ":"
    found = []
    for item in sorted(compiled.diagnostics, key=Diagnostic.sort_key):
        head, _, hint = item.render().partition("\n    hint: ")
        assert head.startswith(prefix), head
        found.append((head[len(prefix) :], hint))
    return found


def test_bad_message_expressions_and_parameters_are_reported_where_they_are_written(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "bad-messages.yaml")
    assert compiled.module is None
    assert _rendered(compiled, "bad-messages.yaml") == BAD_MESSAGES


#: An Arazzo 1.0 document reading $message (written to a temporary folder: the 1.0
#: documents of tests/conformance are all upgraded by tests/arazzo11/test_upgrade_equivalence.py).
V10_DOCUMENT = """\
arazzo: 1.0.1
info:
  title: $message in a 1.0 document
  version: 1.0.0
sourceDescriptions:
  - name: orders
    url: ./openapi.yaml
    type: openapi
workflows:
  - workflowId: create
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          payload: {item: x}
        outputs:
          id: $message.payload#/orderId
"""


def test_message_in_an_arazzo_1_0_document_is_an_error(tmp_path: Path) -> None:
    shutil.copy(CONFORMANCE_DIR / FEATURE / "openapi.yaml", tmp_path / "openapi.yaml")
    (tmp_path / "arazzo.yaml").write_text(V10_DOCUMENT, encoding="utf-8")
    result = build(Job(spec=tmp_path / "arazzo.yaml", package="v10_message", out=tmp_path / "out"))
    assert not result.files
    assert [(d.line, d.column, d.json_path, d.message, d.hint) for d in result.report.items] == [
        (17, 15, ("workflows", 0, "steps", 0, "outputs", "id"), "$message.payload#/orderId: $message is an Arazzo 1.1 expression (event steps)", "declare arazzo: 1.1.0 to use send and receive steps"),
    ]


# -- a webhook receiver -------------------------------------------------------------------


def _signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_receiver_factory_verifies_signatures_and_feeds_the_workflow(compile_feature: Compiler, mode: str) -> None:
    compiled = compile_feature("events/webhooks")
    assert not compiled.errors, compiled.errors
    module = compiled.module
    assert module is not None
    statuses: list[int] = []

    def deliver(receiver: Any) -> None:
        forged = json.dumps({"payment_id": "p-1", "amount": 1}).encode()
        good = json.dumps({"payment_id": "p-1", "amount": 1250}).encode()
        for _ in range(1000):  # bounded: at most 5 s for the workflow to subscribe
            if receiver.subscriptions("payment.settled"):
                break
            time.sleep(0.005)
        with httpx.Client() as http:
            for body, signature in ((forged, _signed("wrong", forged)), (good, _signed("s3cret", good))):
                response = http.post(receiver.url, content=body, headers={"Content-Type": "application/json", "X-Shop-Event": "payment.settled", "X-Shop-Signature": signature})
                statuses.append(response.status_code)

    with module.shop_events_receiver(secret="s3cret") as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")
        thread = threading.Thread(target=deliver, args=(receiver,), daemon=True)
        thread.start()
        result = run(compiled, "await_payment", mode, payment_id="p-1", transport=receiver)
        thread.join(timeout=10)
    assert result.amount == 1250
    assert statuses == [401, 200]
    # the receiver's verifier and route: IR snapshot tests/generator/ir_snapshots/webhooks


def test_a_receiver_for_unsigned_deliveries_takes_a_verifier_or_none(compile_feature: Compiler, mode: str) -> None:
    compiled = compile_feature("events/webhooks")
    module = compiled.module
    assert module is not None
    # its verifier argument and route: IR snapshot tests/generator/ir_snapshots/webhooks
    statuses: list[int] = []

    def deliver(receiver: Any) -> None:
        for _ in range(1000):  # bounded: at most 5 s for the workflow to subscribe
            if receiver.subscriptions("alert.raised"):
                break
            time.sleep(0.005)
        statuses.append(httpx.post(receiver.url, json={"level": "high"}).status_code)

    with module.alerts_receiver(verifier=None) as receiver:
        thread = threading.Thread(target=deliver, args=(receiver,), daemon=True)
        thread.start()
        assert run(compiled, "await_alert", mode, transport=receiver).level == "high"
        thread.join(timeout=10)
    assert statuses == [200]
