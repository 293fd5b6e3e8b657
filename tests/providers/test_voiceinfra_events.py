"""The generated VoiceInfra events client: the call is queued over HTTP (a replay
server on 127.0.0.1) and its outcome arrives as a signed ``call.completed`` webhook,
POSTed to the package's own webhook receiver on 127.0.0.1.

Workflow ``voiceinfra-call-outcome`` (specs/voiceinfra/arazzo/voiceinfra-call-outcome-workflow.yml):
``queueCall`` (POST /calls/outbound, 200 ``queued``), then ``awaitOutcome``, a receive
step on ``call.completed`` (specs/voiceinfra/asyncapi/) matched by
``$message.payload#/call_id == $steps.queueCall.outputs.callId``, with a 30 minute step
timeout and the success criterion ``call_outcome != 'failed'``.  The webhooks are signed
by tests/message_replay.py's own HMAC-SHA256 signer (hex digest of the raw body in
``X-VoiceInfra-Signature``) and timed around the HTTP exchange by the message cassettes
in tests/cassettes/voiceinfra_events/.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import inspect
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generated.voiceinfra_events import (
    InMemoryBroker,
    MessageTimedOut,
    StepFailed,
    VoiceinfraCallOutcomeOutputs,
    WebhookReceiver,
    WorkflowError,
    WorkflowTimeout,
    voiceinfra_call_outcome,
    voiceinfra_call_outcome_async,
    voiceinfra_webhooks_receiver,
)
from tests.message_replay import (
    step_waits as shared_step_waits,
    workflow_runners,
    MessageCassette,
    MessageReplay,
    MessageReplayManager,
    Target,
    asgi_target,
    deliver_target,
    http_target,
)
from tests.replay import CassetteError

API_KEY = "vi_key_6e2b9f1d4c7a"
#: The webhook signing secret VoiceInfra's dashboard shows (a test value).
WEBHOOK_SECRET = "vi_whsec_3c9a71e05d24b8f6"
CALL_ID = "vcall_8f3e2d1c"
CHANNEL = "call.completed"
INPUTS: dict[str, Any] = {
    "api_key": API_KEY,
    "agent_id": "agent_42",
    "from_number": "+18005551234",
    "to_number": "+14155550100",
}
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"


# -- fixtures and runners -----------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """The package's receiver, serving on 127.0.0.1 (an OS-chosen port)."""
    with voiceinfra_webhooks_receiver(secret=WEBHOOK_SECRET) as started:
        assert started.url.startswith("http://127.0.0.1:")
        yield started


@pytest.fixture
def messages() -> Iterator[MessageReplayManager]:
    """Opens message cassettes; at teardown every replay must be clean."""
    manager = MessageReplayManager(CASSETTES)
    yield manager
    manager.close()


def step_waits(receiver: WebhookReceiver) -> Callable[[], bool]:
    return shared_step_waits(receiver, CHANNEL)


run_sync, run_async = workflow_runners(
    voiceinfra_call_outcome, voiceinfra_call_outcome_async, "voiceinfraCallsApi", INPUTS
)


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])
Run = Callable[..., VoiceinfraCallOutcomeOutputs]


def open_replay(
    messages: MessageReplayManager,
    name: str,
    receiver: WebhookReceiver,
    target: Target | None = None,
) -> MessageReplay:
    return messages(
        f"voiceinfra_events/{name}",
        secret=WEBHOOK_SECRET,
        target=target or http_target(receiver.url),
        waiting=step_waits(receiver),
    )


def assert_queued_once(replay: MessageReplay) -> None:
    """The one HTTP request, verified as the replay tests verify it."""
    assert len(replay.requests) == 1
    request = replay.requests[0]
    assert (request.method, request.path) == ("POST", "/calls/outbound")
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "agent_id": "agent_42",
        "from_number": "+18005551234",
        "to_number": "+14155550100",
    }


def assert_no_secret(text: str) -> None:
    assert API_KEY not in text and WEBHOOK_SECRET not in text


# -- scenarios ----------------------------------------------------------------------------


@RUNNERS
def test_happy_path_returns_how_the_call_ended(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "happy_path", receiver)
    outputs = run(replay, receiver)

    assert isinstance(outputs, VoiceinfraCallOutcomeOutputs)
    assert outputs.call_id == CALL_ID
    assert outputs.call_outcome == "answered"
    assert outputs.duration_seconds == 143 and type(outputs.duration_seconds) is int
    assert outputs.start_time == dt.datetime(2026, 11, 5, 12, 30, 7, tzinfo=dt.timezone.utc)
    assert outputs.end_time - outputs.start_time == dt.timedelta(seconds=143)
    assert outputs.transcript is not None and outputs.transcript.startswith("Agent: Hi Sarah")
    assert outputs.summary == "Sarah agreed to renew the annual plan."
    assert outputs.recording_url == f"https://storage.voiceinfra.ai/recordings/{CALL_ID}.mp3"
    assert outputs.extracted_data == {
        "renewal_confirmed": True,
        "preferred_contact": "email",
    }
    assert outputs.model_dump(by_alias=True)["callOutcome"] == "answered"

    assert_queued_once(replay)
    assert replay.status_of("completed") == 200
    # The webhook was POSTed after the create response: it reached a waiting step.
    assert receiver.statuses == {200: 1}
    assert receiver.subscriptions() == 0  # the workflow closed its subscription


@RUNNERS
def test_voicemail_is_an_outcome_not_a_failure(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "voicemail", receiver)
    outputs = run(replay, receiver)
    assert outputs.call_outcome == "voicemail"
    assert outputs.duration_seconds == 31
    assert outputs.summary == "Left a voicemail about the renewal."
    assert outputs.transcript is None and outputs.extracted_data is None  # absent in the event
    assert_queued_once(replay)


@RUNNERS
def test_a_failed_call_fails_the_receive_step_with_its_criterion(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "failed_outcome", receiver)
    with pytest.raises(StepFailed) as caught:
        run(replay, receiver)
    error = caught.value
    assert not isinstance(error, MessageTimedOut)
    assert error.step_id == "awaitOutcome"
    assert error.method == "RECEIVE" and error.url == CHANNEL
    assert error.status_code is None
    assert error.criterion == "$message.payload#/call_outcome != 'failed'"
    assert '"call_outcome": "failed"' in error.body  # an excerpt of the message
    assert "awaitOutcome" in str(error) and "call_outcome" in str(error)
    assert_no_secret(str(error) + repr(error))
    assert_queued_once(replay)


@RUNNERS
def test_another_calls_event_is_not_taken_for_this_one(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "wrong_call_first", receiver)
    outputs = run(replay, receiver)
    # The other calls' events said "failed": had one been taken, the step would have failed.
    assert outputs.call_id == CALL_ID and outputs.call_outcome == "answered"
    # Before the step waits, the other call's event is kept (the step then skips it);
    # while it waits, it is refused at delivery: nobody waits for that call_id.
    assert replay.status_of("other-call-early") == 200
    assert replay.status_of("other-call-waiting") == 202
    assert replay.status_of("completed") == 200
    assert_queued_once(replay)


@RUNNERS
def test_badly_signed_webhooks_are_refused_and_never_matched(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "bad_signature", receiver)
    outputs = run(replay, receiver)
    # forged, unsigned and tampered all carried call_outcome "failed" for this very call.
    assert outputs.call_outcome == "answered"
    for name in ("forged", "unsigned", "tampered"):
        result = replay.results[name]
        assert result.status == 401, result
        assert "signature" in result.text
        assert_no_secret(result.text)
        signature = result.headers.get("X-VoiceInfra-Signature")
        assert (signature is None) == (name == "unsigned")
        assert signature is None or signature not in result.text
    assert replay.status_of("completed") == 200
    assert receiver.statuses == {401: 3, 200: 1}
    assert_queued_once(replay)


@RUNNERS
def test_a_duplicate_delivery_is_taken_once(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "duplicate", receiver)
    outputs = run(replay, receiver)
    assert outputs.call_outcome == "answered"
    first, again, late = (replay.results[n] for n in ("completed", "retry", "late-retry"))
    assert again.body == first.body and again.headers == first.headers  # the same bytes
    assert late.body == first.body
    assert first.body.startswith(b"{\n  ")  # pretty-printed: verified over the raw bytes
    assert (first.status, again.status, late.status) == (200, 409, 409)
    assert "delivered before" in again.text
    assert_queued_once(replay)


@RUNNERS
def test_the_webhook_that_beats_the_create_response_is_not_lost(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "beats_create_response", receiver)
    outputs = run(replay, receiver)
    assert outputs.call_id == CALL_ID and outputs.call_outcome == "answered"
    result = replay.results["completed"]
    # Answered 200 (a subscription took it) while the replay server still held the
    # create response back: the workflow subscribed before it queued the call.
    assert result.status == 200
    assert_queued_once(replay)


@RUNNERS
def test_a_webhook_after_the_workflow_gave_up_is_answered_202(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "late", receiver)
    started = time.monotonic()
    with pytest.raises(WorkflowTimeout) as caught:
        run(replay, receiver, timeout=0.4)
    elapsed = time.monotonic() - started
    assert 0.35 <= elapsed < 5, elapsed
    error = caught.value
    assert not isinstance(error, StepFailed)  # the overall deadline, not the step's 30 min
    assert "awaitOutcome" in str(error) and CHANNEL in str(error)
    assert_no_secret(str(error) + repr(error))
    # The late webhook is valid but nobody waits any more: accepted, not matched.
    assert replay.status_of("completed") == 202
    assert receiver.subscriptions() == 0
    assert_queued_once(replay)


@RUNNERS
def test_refused_deliveries_do_not_end_the_wait(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "hostile", receiver)
    outputs = run(replay, receiver)
    assert outputs.call_outcome == "answered"
    assert {name: r.status for name, r in replay.results.items()} == {
        "malformed": 400,
        "form": 415,
        "no-event-header": 422,
        "other-event": 202,
        "completed": 200,
    }
    assert_queued_once(replay)


# -- the other ways in: deliver(headers, body) from a web route, the ASGI app ----------------


@RUNNERS
@pytest.mark.parametrize("cassette", ["happy_path", "bad_signature", "wrong_call_first"])
def test_deliver_from_a_web_route(messages: MessageReplayManager, run: Run, cassette: str) -> None:
    """As a FastAPI route does: ``status, reason = receiver.deliver(request.headers, await
    request.body())``. The receiver serves nothing itself here (never started)."""
    receiver = voiceinfra_webhooks_receiver(secret=WEBHOOK_SECRET)
    try:
        with pytest.raises(WorkflowError, match="not started"):
            receiver.url  # noqa: B018
        replay = open_replay(messages, cassette, receiver, deliver_target(receiver.deliver))
        outputs = run(replay, receiver)
        assert outputs.call_outcome == "answered"
        assert_queued_once(replay)
    finally:
        receiver.close()


@RUNNERS
def test_the_asgi_app(messages: MessageReplayManager, run: Run) -> None:
    receiver = voiceinfra_webhooks_receiver(secret=WEBHOOK_SECRET)
    try:
        replay = open_replay(messages, "bad_signature", receiver, asgi_target(receiver.asgi))
        outputs = run(replay, receiver)
        assert outputs.call_outcome == "answered"
        assert receiver.statuses == {401: 3, 200: 1}
        assert_queued_once(replay)
    finally:
        receiver.close()


@RUNNERS
def test_the_wsgi_app_in_a_wsgi_server(messages: MessageReplayManager, run: Run) -> None:
    """``receiver.wsgi`` served by the standard library's WSGI server on 127.0.0.1, as
    Django or Flask would serve it: the deliveries are real POSTs to that server."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

    receiver = voiceinfra_webhooks_receiver(secret=WEBHOOK_SECRET)
    server = make_server(
        "127.0.0.1",
        0,
        receiver.wsgi,
        server_class=WSGIServer,
        handler_class=QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/voiceinfra"
        replay = open_replay(messages, "hostile", receiver, http_target(url))
        outputs = run(replay, receiver)
        assert outputs.call_outcome == "answered"
        assert receiver.statuses == {400: 1, 415: 1, 422: 1, 202: 1, 200: 1}
        assert_queued_once(replay)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        receiver.close()


# -- one real webhook, signed and POSTed by hand -------------------------------------------------


def test_a_real_signed_webhook_posted_to_the_receiver_completes_the_workflow(
    messages: MessageReplayManager, receiver: WebhookReceiver
) -> None:
    """No cassette timing: the workflow runs in a thread; once VoiceInfra's API (the
    replay server) has queued the call, this test POSTs the webhook to ``receiver.url``
    with httpx, signed with hmac as the VoiceInfra docs describe."""
    replay = messages(
        "voiceinfra_events/queue_only",
        secret=WEBHOOK_SECRET,
        target=http_target(receiver.url),
    )
    result: dict[str, Any] = {}

    def workflow() -> None:
        try:
            result["outputs"] = voiceinfra_call_outcome(
                **INPUTS,
                servers={"voiceinfraCallsApi": replay.url},
                transport=receiver,
                timeout=20,
            )
        except BaseException as exc:  # handed to the test thread
            result["error"] = exc

    thread = threading.Thread(target=workflow)
    thread.start()
    deadline = time.monotonic() + 10
    while not replay.requests and time.monotonic() < deadline:  # bounded wait for the POST /calls/outbound
        time.sleep(0.005)
    assert replay.requests, "the workflow never queued the call"

    event = {
        "call_id": CALL_ID,
        "event": "call.completed",
        "from_number": "+18005551234",
        "to_number": "+14155550100",
        "agent_id": "agent_42",
        "duration_seconds": 64,
        "start_time": "2026-11-05T12:30:07Z",
        "end_time": "2026-11-05T12:31:11Z",
        "call_outcome": "answered",
        "summary": "Confirmed by phone.",
    }
    body = json.dumps(event).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        receiver.url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-VoiceInfra-Event": "call.completed",
            "X-VoiceInfra-Signature": signature,
        },
        trust_env=False,
    )
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert response.status_code == 200, response.text
    assert "error" not in result, result.get("error")
    outputs = result["outputs"]
    assert outputs.call_id == CALL_ID
    assert outputs.call_outcome == "answered"
    assert outputs.duration_seconds == 64
    assert outputs.summary == "Confirmed by phone."
    assert outputs.transcript is None and outputs.recording_url is None
    assert_queued_once(replay)


# -- the InMemoryBroker as the transport ---------------------------------------------------------


@RUNNERS
def test_the_in_memory_broker_carries_the_same_event(messages: MessageReplayManager, run: Run) -> None:
    """The transport protocol without HTTP: the cassette's webhook bodies are published
    on the broker (the channel from the X-VoiceInfra-Event header, as the receiver routes).
    """
    broker = InMemoryBroker()

    def publish(headers: Any, body: bytes) -> tuple[int, str]:
        taken = broker.publish(headers["X-VoiceInfra-Event"], json.loads(body), headers=headers)
        return (200 if taken else 202), ""

    replay = messages("voiceinfra_events/beats_create_response", secret=WEBHOOK_SECRET, target=publish)
    outputs = run(replay, broker)
    assert outputs.call_outcome == "answered"
    assert broker.sent == []  # the workflow only receives
    assert_queued_once(replay)


# -- the generated interface -----------------------------------------------------------------------


def test_transport_is_a_required_keyword_argument() -> None:
    for function in (voiceinfra_call_outcome, voiceinfra_call_outcome_async):
        parameter = inspect.signature(function).parameters["transport"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is inspect.Parameter.empty
    with pytest.raises(TypeError, match="transport"):
        voiceinfra_call_outcome(**INPUTS)


def test_the_receiver_factory_takes_the_secret_and_binds_to_loopback_by_default() -> None:
    parameters = inspect.signature(voiceinfra_webhooks_receiver).parameters
    assert parameters["secret"].default is inspect.Parameter.empty
    assert parameters["host"].default == "127.0.0.1"
    assert parameters["port"].default == 0
    with voiceinfra_webhooks_receiver(secret=WEBHOOK_SECRET, path="/webhooks/voiceinfra") as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")
        assert receiver.url.endswith("/webhooks/voiceinfra")
        assert WEBHOOK_SECRET not in repr(receiver) + repr(receiver.verifier)
        # A GET, or a POST to another path, is refused before anything else.
        assert httpx.get(receiver.url, trust_env=False).status_code == 405
        other = receiver.url.rsplit("/", 1)[0] + "/elsewhere"
        assert httpx.post(other, content=b"{}", trust_env=False).status_code == 404


def test_the_step_timeout_is_the_documented_30_minutes() -> None:
    source = inspect.getsource(voiceinfra_call_outcome)
    assert "timeout_ms=1800000" in source


# -- the message cassette format itself ---------------------------------------------------------------


def test_message_cassettes_are_checked_when_loaded() -> None:
    base = (CASSETTES / "voiceinfra_events" / "happy_path.yaml").read_text()
    for bad, field in [
        (
            base.replace("at: after response 0", "at: after response 7"),
            "deliveries[0].at",
        ),
        (base.replace("at: after response 0", "at: sometime"), "deliveries[0].at"),
        (base.replace("expect: 200", "expect: ok"), "deliveries[0].expect"),
        (base.replace("delay_ms: 20", "delay_ms: -1"), "deliveries[0].delay_ms"),
        (
            base.replace("  encoding: hex", "  encoding: hex\n  secret: x"),
            "signing.secret",
        ),
        (
            base + "- name: again\n  at: after workflow\n  copy_of: nothing\n  expect: 202\n",
            "deliveries[1].copy_of",
        ),
        (
            base.replace("  expect: 200", "  signature: stale\n  expect: 200"),
            "deliveries[0].signature",
        ),
    ]:
        with pytest.raises(CassetteError, match=field.replace("[", r"\[").replace("]", r"\]")):
            MessageCassette.loads(bad, source="bad.yaml")


def test_the_replay_reports_a_delivery_that_got_another_status(
    receiver: WebhookReceiver,
) -> None:
    """The harness can fail: a cassette that expects 202 for a webhook that is taken."""
    text = (CASSETTES / "voiceinfra_events" / "happy_path.yaml").read_text()
    cassette = MessageCassette.loads(text.replace("expect: 200", "expect: 202"), source="wrong.yaml")
    with MessageReplay(cassette, secret=WEBHOOK_SECRET, target=http_target(receiver.url)) as replay:
        outputs = run_sync(replay, receiver)
    assert outputs.call_outcome == "answered"
    problems = replay.problems()
    assert len(problems) == 1
    assert "'completed'" in problems[0] and "answered 200" in problems[0] and "expects 202" in problems[0]


def test_the_replay_reports_deliveries_whose_moment_never_came(
    receiver: WebhookReceiver,
) -> None:
    text = (CASSETTES / "voiceinfra_events" / "beats_create_response.yaml").read_text()
    cassette = MessageCassette.loads(text, source="never.yaml")
    with MessageReplay(cassette, secret=WEBHOOK_SECRET, target=http_target(receiver.url)) as replay:
        with pytest.raises(WorkflowError):  # an invalid input: nothing is sent at all
            run_sync(replay, receiver, to_number="0800 not e164")
    problems = replay.problems()
    assert any("'completed'" in p and "never delivered" in p for p in problems)
    assert any("unconsumed" in p for p in problems)


def test_the_replay_checks_what_a_workflow_sends() -> None:
    """``sends`` against real runtime Messages (these workflows only receive, and their
    package has no send_message: the messages are built as a send step builds them, and
    sent on an InMemoryBroker)."""
    from generated.voiceinfra_events import _runtime

    def send(channel: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        broker.send(_runtime.Message(channel, payload, headers or {}, "application/json", raw))

    cassette = MessageCassette.loads(
        "interactions: []\n"
        "sends:\n"
        "- channel: calls.requested\n"
        "  json: {call_id: vcall_1, attempt: 1}\n"
        "  headers: {X-Request-Id: r-1}\n",
        source="sends.yaml",
    )
    broker = InMemoryBroker()
    send("calls.requested", {"call_id": "vcall_1", "attempt": 1}, {"X-Request-Id": "r-1"})
    with MessageReplay(cassette, secret=WEBHOOK_SECRET, target=lambda h, b: (0, "")) as replay:
        pass
    assert replay.check_sends(broker.sent) == []
    send("calls.requested", {"call_id": "vcall_2"})
    problems = replay.check_sends(broker.sent)
    assert problems == ["expected 1 send(s), the workflow sent 2"]
    assert replay.check_sends(broker.sent[1:]) == [
        "sends[0]: payload at $: missing key 'attempt'",
        "sends[0]: header 'x-request-id' is None, expected 'r-1'",
    ]


# -- the README section "Waiting for webhooks" ------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Waiting for webhooks")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_in_memory_example_runs_as_written() -> None:
    section = _readme_section()
    marker = "<!-- webhooks-example: in-memory -->\n```python\n"
    block = section.split(marker, 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md (webhooks-example: in-memory)", "exec"), namespace)
    assert namespace["out"].call_outcome == "voicemail"
    assert namespace["broker"].sent == []


def test_the_readme_examples_compile_and_import_what_the_packages_export() -> None:
    import ast
    import importlib

    blocks = _readme_section().split("```python\n")[1:]
    assert len(blocks) >= 4
    imported = 0
    for block in blocks:
        tree = ast.parse(block.split("```", 1)[0])  # every example is valid Python
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("generated."):
                module = importlib.import_module(node.module or "")
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
                    imported += 1
    assert imported >= 8


def test_two_calls_waiting_on_one_receiver_each_get_their_own_event(
    messages: MessageReplayManager, receiver: WebhookReceiver
) -> None:
    """One receiver, two workflows waiting at once (one sync in a thread, one async): each
    takes only the event with its own call_id, whatever the order they arrive in."""
    first = messages(
        "voiceinfra_events/queue_only",
        secret=WEBHOOK_SECRET,
        target=http_target(receiver.url),
    )
    second = messages(
        "voiceinfra_events/queue_only_second",
        secret=WEBHOOK_SECRET,
        target=http_target(receiver.url),
    )
    results: dict[str, Any] = {}

    def sync_workflow() -> None:
        try:
            results["first"] = voiceinfra_call_outcome(
                **INPUTS,
                servers={"voiceinfraCallsApi": first.url},
                transport=receiver,
                timeout=20,
            )
        except BaseException as exc:  # handed to the test thread
            results["first"] = exc

    def async_workflow() -> None:
        try:
            results["second"] = asyncio.run(
                voiceinfra_call_outcome_async(
                    **INPUTS,
                    servers={"voiceinfraCallsApi": second.url},
                    transport=receiver,
                    timeout=20,
                )
            )
        except BaseException as exc:
            results["second"] = exc

    threads = [
        threading.Thread(target=sync_workflow),
        threading.Thread(target=async_workflow),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while receiver.waiting(CHANNEL) < 2 and time.monotonic() < deadline:  # bounded
        time.sleep(0.005)
    assert receiver.waiting(CHANNEL) == 2

    def post(call_id: str, outcome: str, seconds: int) -> int:
        event = {
            "call_id": call_id,
            "event": "call.completed",
            "agent_id": "agent_42",
            "from_number": "+18005551234",
            "to_number": "+14155550100",
            "duration_seconds": seconds,
            "start_time": "2026-11-05T12:30:07Z",
            "end_time": "2026-11-05T12:40:07Z",
            "call_outcome": outcome,
        }
        body = json.dumps(event).encode()
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-VoiceInfra-Event": "call.completed",
            "X-VoiceInfra-Signature": signature,
        }
        return httpx.post(receiver.url, content=body, headers=headers, trust_env=False).status_code

    # The second call's event first, then one for a call nobody waits for, then the first's.
    assert post("vcall_2b7c4d9e", "voicemail", 21) == 200
    assert post("vcall_nobody", "answered", 5) == 202
    assert post(CALL_ID, "answered", 600) == 200
    for thread in threads:
        thread.join(timeout=20)
        assert not thread.is_alive()
    assert isinstance(results["first"], VoiceinfraCallOutcomeOutputs), results["first"]
    assert isinstance(results["second"], VoiceinfraCallOutcomeOutputs), results["second"]
    assert (
        results["first"].call_id,
        results["first"].call_outcome,
        results["first"].duration_seconds,
    ) == (
        CALL_ID,
        "answered",
        600,
    )
    assert (
        results["second"].call_id,
        results["second"].call_outcome,
        results["second"].duration_seconds,
    ) == (
        "vcall_2b7c4d9e",
        "voicemail",
        21,
    )
    assert receiver.subscriptions() == 0


def test_every_test_the_readme_section_cites_exists() -> None:
    """The conformance rows of "Waiting for webhooks" name tests as ``path::name`` (a bare
    ``::name`` continues the last path of its row); each must exist."""
    import re

    root = README.parent
    cited = 0
    for line in _readme_section().splitlines():
        current: Path | None = None
        for token in re.findall(r"`((?:tests/[\w/*.-]+\.py)?(?:::\w+)?)`", line):
            path_text, _, name = token.partition("::")
            if path_text:
                matches = sorted(root.glob(path_text))
                assert matches, f"README cites {path_text}, which does not exist"
                current = matches[0]
                cited += 1
            if name:
                assert current is not None, f"README cites ::{name} without a file before it"
                assert re.search(
                    rf"^(async )?def {name}\(",
                    current.read_text(encoding="utf-8"),
                    re.M,
                ), f"README cites {current.relative_to(root)}::{name}, which does not exist"
                cited += 1
    assert cited >= 40
