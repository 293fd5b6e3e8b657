"""The generated Nixflex events client: the call is created over HTTP (a replay server on
127.0.0.1) and its outcome arrives as a signed ``call.completed`` webhook, POSTed to the
package's own webhook receiver on 127.0.0.1.

Workflow ``nixflex-call-outcome`` (specs/nixflex/arazzo/nixflex-call-outcome-workflow.yml):
``createCall`` (POST /v1/calls/outbound, 201), then ``awaitCompletion``, a receive step
on ``call.completed`` (specs/nixflex/asyncapi/) matched by ``$message.payload#/call_id``,
with a 15 minute step timeout and the success criterion ``ended_reason != 'error'``.
Every Nixflex event goes to one URL, so the receiver reads the channel from the payload's
``event``; deliveries carry ``X-Nixflex-Signature: t=<ts>,v1=<hex>``, the HMAC-SHA256 of
``"<ts>.<raw body>"`` keyed by the API key's key_secret, made here by
tests/message_replay.py's own signer (and by hand in one test).
"""

from __future__ import annotations

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

from generated.nixflex_events import (
    MessageTimedOut,
    NixflexCallOutcomeOutputs,
    StepFailed,
    WebhookReceiver,
    WorkflowTimeout,
    nixflex_call_outcome,
    nixflex_call_outcome_async,
    nixflex_webhooks_receiver,
)
from tests.message_replay import (
    step_waits as shared_step_waits,
    workflow_runners,
    MessageReplay,
    MessageReplayManager,
    Target,
    asgi_target,
    deliver_target,
    http_target,
)

KEY_ID = "nxf_4b7e19c2"
KEY_SECRET = "nxfs_9d1c5a8e3f6b"  # also the webhook signing key (Nixflex docs)
CALL_ID = "CA5f2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
CHANNEL = "call.completed"
INPUTS: dict[str, Any] = {
    "key_id": KEY_ID,
    "key_secret": KEY_SECRET,
    "agent_id": "agt_nx_31",
    "to_number": "+447386172392",
    "prompt": "Remind {patient_name} of the dentist appointment tomorrow at 10:00.",
}
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with nixflex_webhooks_receiver(secret=KEY_SECRET) as started:
        assert started.url.startswith("http://127.0.0.1:")
        yield started


@pytest.fixture
def messages() -> Iterator[MessageReplayManager]:
    manager = MessageReplayManager(CASSETTES)
    yield manager
    manager.close()


def step_waits(receiver: WebhookReceiver) -> Callable[[], bool]:
    return shared_step_waits(receiver, CHANNEL)


run_sync, run_async = workflow_runners(nixflex_call_outcome, nixflex_call_outcome_async, "nixflexCallsApi", INPUTS)


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])
Run = Callable[..., NixflexCallOutcomeOutputs]


def open_replay(
    messages: MessageReplayManager,
    name: str,
    receiver: WebhookReceiver,
    target: Target | None = None,
) -> MessageReplay:
    return messages(
        f"nixflex_events/{name}",
        secret=KEY_SECRET,
        target=target or http_target(receiver.url),
        waiting=step_waits(receiver),
    )


def assert_created_once(replay: MessageReplay) -> None:
    """The one HTTP request, verified as the replay tests verify it: no GET polling."""
    assert [f"{r.method} {r.path}" for r in replay.requests] == [
        "POST /v1/calls/outbound"
    ]
    request = replay.requests[0]
    assert request.headers["authorization"] == f"Bearer {KEY_ID}:{KEY_SECRET}"
    assert request.json() == {
        "agent_id": "agt_nx_31",
        "to_number": "+447386172392",
        "prompt": INPUTS["prompt"],
    }


def assert_no_secret(text: str) -> None:
    assert KEY_ID not in text and KEY_SECRET not in text


@RUNNERS
def test_happy_path_returns_how_the_call_ended(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "happy_path", receiver)
    outputs = run(replay, receiver)

    assert isinstance(outputs, NixflexCallOutcomeOutputs)
    assert outputs.call_id == CALL_ID
    assert outputs.ended_reason == "caller_hangup"
    assert outputs.status == "completed"
    assert outputs.direction == "outbound"
    assert outputs.started_at == dt.datetime(
        2026, 11, 4, 10, 0, 5, tzinfo=dt.timezone.utc
    )
    assert outputs.ended_at == dt.datetime(
        2026, 11, 4, 10, 1, 32, tzinfo=dt.timezone.utc
    )
    assert outputs.duration_seconds == 87 and type(outputs.duration_seconds) is int
    assert outputs.transcript is not None and outputs.transcript.count("\n") == 3
    assert outputs.metadata == {}
    # call.started went to a channel nobody waits on (202); call.completed was taken.
    assert replay.status_of("started") == 202
    assert replay.status_of("completed") == 200
    assert receiver.statuses == {202: 1, 200: 1}
    assert receiver.subscriptions() == 0
    assert_created_once(replay)


@RUNNERS
def test_voicemail_is_an_ending_not_a_failure(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "voicemail", receiver)
    outputs = run(replay, receiver)
    assert outputs.ended_reason == "voicemail"
    assert outputs.duration_seconds == 22
    assert outputs.transcript is None
    assert outputs.metadata == {
        "crm_id": 7712
    }  # echoed from the create request's metadata
    assert_created_once(replay)


@RUNNERS
def test_an_error_ending_fails_the_receive_step_with_its_criterion(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "error_ending", receiver)
    with pytest.raises(StepFailed) as caught:
        run(replay, receiver)
    error = caught.value
    assert not isinstance(error, MessageTimedOut)
    assert (error.step_id, error.method, error.url) == (
        "awaitCompletion",
        "RECEIVE",
        CHANNEL,
    )
    assert error.criterion == "$message.payload#/ended_reason != 'error'"
    assert '"ended_reason": "error"' in error.body
    assert_no_secret(str(error) + repr(error) + error.body)
    assert_created_once(replay)


@RUNNERS
def test_another_calls_event_is_not_taken_for_this_one(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "wrong_call_first", receiver)
    outputs = run(replay, receiver)
    assert outputs.call_id == CALL_ID and outputs.ended_reason == "caller_hangup"
    assert replay.status_of("other-call-early") == 200  # kept, then skipped by the step
    assert replay.status_of("other-call-waiting") == 202  # refused at delivery
    assert replay.status_of("completed") == 200
    assert_created_once(replay)


@RUNNERS
def test_badly_signed_or_stale_webhooks_are_refused_and_never_matched(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "bad_signature", receiver)
    outputs = run(replay, receiver)
    # Every refused delivery said ended_reason "error" for this very call.
    assert outputs.ended_reason == "caller_hangup"
    refused = ("forged", "unsigned", "tampered", "stale", "garbled")
    for name in refused:
        result = replay.results[name]
        assert result.status == 401, result
        assert "signature" in result.text
        assert_no_secret(result.text)
    stale = replay.results["stale"].headers["X-Nixflex-Signature"]
    assert int(stale.split(",")[0].removeprefix("t=")) < time.time() - 3000
    assert receiver.statuses == {401: len(refused), 200: 1}
    assert_created_once(replay)


@RUNNERS
def test_a_duplicate_delivery_is_taken_once(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "duplicate", receiver)
    outputs = run(replay, receiver)
    assert outputs.ended_reason == "caller_hangup"
    first, again, late = (
        replay.results[n] for n in ("completed", "retry", "late-retry")
    )
    assert again.headers["X-Nixflex-Signature"] == first.headers["X-Nixflex-Signature"]
    assert again.body == first.body == late.body
    assert (first.status, again.status, late.status) == (200, 409, 409)
    assert_created_once(replay)


@RUNNERS
def test_the_webhook_that_beats_the_create_response_is_not_lost(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "beats_create_response", receiver)
    outputs = run(replay, receiver)
    assert outputs.call_id == CALL_ID
    assert replay.status_of("completed") == 200  # taken while the 201 was held back
    assert_created_once(replay)


@RUNNERS
def test_a_webhook_after_the_workflow_gave_up_is_answered_202(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "late", receiver)
    started = time.monotonic()
    with pytest.raises(WorkflowTimeout) as caught:
        run(replay, receiver, timeout=0.4)
    assert 0.35 <= time.monotonic() - started < 5
    assert not isinstance(caught.value, StepFailed)
    assert "awaitCompletion" in str(caught.value)
    assert_no_secret(str(caught.value) + repr(caught.value))
    assert replay.status_of("completed") == 202
    assert_created_once(replay)


@RUNNERS
def test_refused_deliveries_do_not_end_the_wait(
    messages: MessageReplayManager, receiver: WebhookReceiver, run: Run
) -> None:
    replay = open_replay(messages, "hostile", receiver)
    outputs = run(replay, receiver)
    assert outputs.ended_reason == "caller_hangup"
    assert {name: r.status for name, r in replay.results.items()} == {
        "malformed": 400,
        "text": 415,
        "no-event": 422,
        "completed": 200,
    }
    assert_created_once(replay)


@RUNNERS
@pytest.mark.parametrize("cassette", ["happy_path", "bad_signature"])
def test_deliver_from_a_web_route(
    messages: MessageReplayManager, run: Run, cassette: str
) -> None:
    receiver = nixflex_webhooks_receiver(
        secret=KEY_SECRET
    )  # never started: no socket of its own
    try:
        replay = open_replay(
            messages, cassette, receiver, deliver_target(receiver.deliver)
        )
        outputs = run(replay, receiver)
        assert outputs.ended_reason == "caller_hangup"
        assert_created_once(replay)
    finally:
        receiver.close()


@RUNNERS
def test_the_asgi_app(messages: MessageReplayManager, run: Run) -> None:
    receiver = nixflex_webhooks_receiver(secret=KEY_SECRET)
    try:
        replay = open_replay(
            messages, "duplicate", receiver, asgi_target(receiver.asgi)
        )
        outputs = run(replay, receiver)
        assert outputs.ended_reason == "caller_hangup"
        assert receiver.statuses == {200: 1, 409: 2}
        assert_created_once(replay)
    finally:
        receiver.close()


def test_a_real_signed_webhook_posted_to_the_receiver_completes_the_workflow(
    messages: MessageReplayManager, receiver: WebhookReceiver
) -> None:
    """The workflow runs in a thread; once the call is created, this test POSTs
    call.started and call.completed to ``receiver.url`` with httpx, each signed by hand
    as the Nixflex docs describe (``t=<ts>,v1=<hmac_sha256_hex("<ts>.<raw body>")>``).
    """
    replay = messages(
        "nixflex_events/create_only",
        secret=KEY_SECRET,
        target=http_target(receiver.url),
    )
    result: dict[str, Any] = {}

    def workflow() -> None:
        try:
            result["outputs"] = nixflex_call_outcome(
                **INPUTS,
                servers={"nixflexCallsApi": replay.url},
                transport=receiver,
                timeout=20,
            )
        except BaseException as exc:  # handed to the test thread
            result["error"] = exc

    thread = threading.Thread(target=workflow)
    thread.start()
    deadline = time.monotonic() + 10
    while (
        not replay.requests and time.monotonic() < deadline
    ):  # bounded wait for the create request
        time.sleep(0.005)
    assert replay.requests, "the workflow never created the call"

    def post(event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(event, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        digest = hmac.new(
            KEY_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        )
        return httpx.post(
            receiver.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Nixflex-Signature": f"t={timestamp},v1={digest.hexdigest()}",
            },
            trust_env=False,
        )

    started = post(
        {"event": "call.started", "call_id": CALL_ID, "agent_id": "agt_nx_31"}
    )
    completed = post(
        {
            "event": "call.completed",
            "call_id": CALL_ID,
            "agent_id": "agt_nx_31",
            "ended_reason": "agent_hangup",
            "duration_seconds": 41,
        }
    )
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert started.status_code == 202, started.text
    assert completed.status_code == 200, completed.text
    assert "error" not in result, result.get("error")
    outputs = result["outputs"]
    assert outputs.call_id == CALL_ID
    assert outputs.ended_reason == "agent_hangup"
    assert outputs.duration_seconds == 41
    assert (
        outputs.started_at is None and outputs.transcript is None
    )  # not in this event
    assert_created_once(replay)


def test_transport_is_a_required_keyword_argument() -> None:
    for function in (nixflex_call_outcome, nixflex_call_outcome_async):
        parameter = inspect.signature(function).parameters["transport"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is inspect.Parameter.empty


def test_the_receiver_routes_by_the_payloads_event_and_checks_the_timestamp() -> None:
    receiver = nixflex_webhooks_receiver(secret=KEY_SECRET)
    try:
        subscription = receiver.subscribe("call.started")
        body = b'{"event":"call.started","call_id":"CA1","agent_id":"a"}'

        def signed(timestamp: int) -> dict[str, str]:
            v1 = hmac.new(
                KEY_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
            )
            return {
                "content-type": "application/json",
                "x-nixflex-signature": f"t={timestamp},v1={v1.hexdigest()}",
            }

        now = int(time.time())
        assert (
            receiver.deliver(signed(now - 301), body)[0] == 401
        )  # outside the 300 s tolerance
        assert receiver.deliver(signed(now + 301), body)[0] == 401
        assert receiver.deliver(signed(now - 250), body)[0] == 200  # within it
        message = subscription.receive(0)
        assert message is not None and message.channel == "call.started"
        assert message.payload["call_id"] == "CA1" and message.raw == body
    finally:
        receiver.close()
