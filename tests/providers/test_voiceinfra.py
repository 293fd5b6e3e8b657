"""The generated VoiceInfra client against recorded exchanges served on 127.0.0.1.

Workflow: POST /v1/calls/outbound with the X-API-Key header; VoiceInfra has no
endpoint to read a call, so the workflow ends at ``queued`` with the call id and
the outcome arrives later as the ``call.completed`` webhook, whose payload model
(``models.CallCompletedEvent``) is tested at the end of this file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from generated.voiceinfra import (
    StepFailed,
    VoiceinfraOutboundCallOutputs,
    WorkflowError,
    models,
    voiceinfra_outbound_call,
    voiceinfra_outbound_call_async,
)
from tests.replay import ReplayServer, SleepRecorder

SECRET = "vi_key_6e2b9f1d4c7a"
CALL_ID = "vcall_8f3e2d1c"
INPUTS: dict[str, Any] = {
    "api_key": SECRET,
    "agent_id": "agent_42",
    "from_number": "+18005551234",
    "to_number": "+14155550100",
}
ALL_OPTIONAL_INPUTS: dict[str, Any] = {
    "first_message": "Hi Sarah, it's Max from Acme about your renewal.",
    "context": "Customer tier: gold. Last purchase: annual plan, 2025-11-20.",
    "variables": {"name": "Sarah", "company": "Acme"},
}


def servers_for(server: ReplayServer) -> dict[str, str]:
    return {"voiceinfraCallsApi": server.url}


def run_sync(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> VoiceinfraOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return voiceinfra_outbound_call(**kwargs, servers=servers_for(server), sleep=sleep)


def run_async(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> VoiceinfraOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return asyncio.run(
        voiceinfra_outbound_call_async(
            **kwargs, servers=servers_for(server), sleep=sleep.asleep
        )
    )


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])
Replay = Callable[[str], ReplayServer]


@RUNNERS
def test_happy_path_ends_at_queued_with_the_call_id(replay: Replay, run: Any) -> None:
    server = replay("voiceinfra/happy_path")
    sleep = SleepRecorder()
    outputs = run(server, sleep)

    assert isinstance(outputs, VoiceinfraOutboundCallOutputs)
    assert outputs.call_id == CALL_ID and isinstance(outputs.call_id, str)
    assert outputs.status == "queued"
    assert outputs.model_dump(by_alias=True) == {"callId": CALL_ID, "status": "queued"}

    assert len(server.requests) == 1
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/calls/outbound")
    assert request.headers["x-api-key"] == SECRET
    assert "authorization" not in request.headers
    assert sleep.calls == []


@RUNNERS
def test_unset_optional_inputs_are_left_out_of_the_body(
    replay: Replay, run: Any
) -> None:
    server = replay("voiceinfra/happy_path")
    run(server, SleepRecorder())
    body = server.requests[0].json()
    assert body == {
        "agent_id": "agent_42",
        "from_number": "+18005551234",
        "to_number": "+14155550100",
    }
    for name in ("first_message", "context", "variables"):
        assert name not in body  # omitted, not sent as null or {}


@RUNNERS
def test_optional_inputs_are_sent_when_given(replay: Replay, run: Any) -> None:
    server = replay("voiceinfra/with_options")
    outputs = run(server, SleepRecorder(), **ALL_OPTIONAL_INPUTS)
    assert outputs.call_id == CALL_ID
    body = server.requests[0].json()
    assert body["first_message"] == ALL_OPTIONAL_INPUTS["first_message"]
    assert body["context"] == ALL_OPTIONAL_INPUTS["context"]
    assert body["variables"] == {"name": "Sarah", "company": "Acme"}


@RUNNERS
def test_a_200_that_is_not_queued_fails_the_success_criteria(
    replay: Replay, run: Any
) -> None:
    server = replay("voiceinfra/not_queued")
    with pytest.raises(StepFailed) as caught:
        run(server, SleepRecorder())
    error = caught.value
    assert error.step_id == "queueCall"
    assert error.status_code == 200
    assert error.error is None  # 200 documents no error model
    assert '"rejected"' in error.body
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert len(server.requests) == 1


# -- every documented error of the one operation ------------------------------------------

ERROR_CASES: list[tuple[int, str, str]] = [
    (400, "validation_error", "agent_id is required"),
    (401, "unauthorized", "API key "),
    (404, "not_found", "Agent agent_42 does not exist or is inactive"),
    (422, "invalid_phone", "to_number must be in E.164 format, e.g. +14155550100"),
    (429, "rate_limited", "Too many requests; back off exponentially"),
    (500, "server_error", "Internal server error"),
]


@RUNNERS
@pytest.mark.parametrize(
    "status, code, message",
    ERROR_CASES,
    ids=[f"queue_call_{c[0]}" for c in ERROR_CASES],
)
def test_documented_error_raises_step_failed_with_typed_error(
    replay: Replay, run: Any, status: int, code: str, message: str
) -> None:
    server = replay(f"voiceinfra/queue_call_{status}")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server, sleep)
    error = caught.value
    assert isinstance(error, WorkflowError)
    assert error.step_id == "queueCall"
    assert error.status_code == status
    assert error.method == "POST"
    assert error.url == f"{server.url}/calls/outbound"
    assert isinstance(error.error, models.ErrorResponse), error.error
    assert isinstance(error.error.error, models.Error)
    assert error.error.error.code == code
    assert error.error.error.message.startswith(message)
    assert (
        SECRET not in error.error.model_dump_json()
    )  # the parsed model is scrubbed too
    assert "queueCall" in str(error) and str(status) in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in error.body and SECRET not in error.url
    assert len(server.requests) == 1  # a POST that queues a call is never re-sent
    assert sleep.calls == []


def test_default_server_is_the_real_api() -> None:
    from generated.voiceinfra.workflows import SERVERS

    assert SERVERS == {"voiceinfraCallsApi": "https://api.voiceinfra.ai/v1"}


def test_signature_follows_the_contract() -> None:
    params = inspect.signature(voiceinfra_outbound_call).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[:4] == ["api_key", "agent_id", "from_number", "to_number"]
    for name in ALL_OPTIONAL_INPUTS:
        assert params[name].default is None
    assert list(inspect.signature(voiceinfra_outbound_call_async).parameters) == list(
        params
    )


# -- the call.completed webhook payload ------------------------------------------------------

EVENT: dict[str, Any] = {
    "call_id": CALL_ID,
    "event": "call.completed",
    "from_number": "+18005551234",
    "to_number": "+14155550100",
    "agent_id": "agent_42",
    "duration_seconds": 143,
    "start_time": "2026-11-05T12:30:07Z",
    "end_time": "2026-11-05T12:32:30+00:00",
    "call_outcome": "answered",
    "recording_url": "https://storage.voiceinfra.ai/recordings/vcall_8f3e2d1c.mp3",
    "transcript": "Agent: Hi Sarah, it's Max from Acme about your renewal.\nCaller: Oh, yes, go ahead.",
    "summary": "Sarah agreed to renew the annual plan.",
    "extracted_data": {"renewal_confirmed": True, "preferred_contact": "email"},
}


def test_webhook_payload_parses_into_typed_fields() -> None:
    event = models.CallCompletedEvent.model_validate_json(json.dumps(EVENT))
    assert event.call_id == CALL_ID
    assert event.event == "call.completed"
    assert event.call_outcome == "answered"
    assert event.duration_seconds == 143 and type(event.duration_seconds) is int
    assert event.start_time == dt.datetime(
        2026, 11, 5, 12, 30, 7, tzinfo=dt.timezone.utc
    )
    assert event.end_time - event.start_time == dt.timedelta(seconds=143)
    assert str(event.recording_url) == EVENT["recording_url"]
    assert event.transcript is not None and event.transcript.startswith("Agent:")
    assert event.summary == "Sarah agreed to renew the annual plan."
    assert event.extracted_data == {
        "renewal_confirmed": True,
        "preferred_contact": "email",
    }


@pytest.mark.parametrize("outcome", ["answered", "voicemail", "failed"])
def test_webhook_accepts_every_documented_outcome(outcome: str) -> None:
    event = models.CallCompletedEvent.model_validate_json(
        json.dumps({**EVENT, "call_outcome": outcome})
    )
    assert event.call_outcome == outcome


def test_webhook_optional_fields_may_be_absent_and_unknown_fields_are_kept() -> None:
    required = {
        k: EVENT[k]
        for k in (
            "call_id",
            "event",
            "from_number",
            "to_number",
            "agent_id",
            "duration_seconds",
            "start_time",
            "end_time",
            "call_outcome",
        )
    }
    event = models.CallCompletedEvent.model_validate_json(
        json.dumps({**required, "sentiment": "positive"})
    )
    assert (
        event.recording_url is None
        and event.transcript is None
        and event.summary is None
    )
    assert event.extracted_data is None
    assert event.model_extra == {
        "sentiment": "positive"
    }  # vendors add fields; they are not dropped


@pytest.mark.parametrize(
    "change",
    [
        {"call_outcome": "hung_up"},  # not a documented outcome
        {"duration_seconds": "two minutes"},  # not an integer
        {"duration_seconds": 12.5},  # not a whole number
        {"duration_seconds": -1},  # minimum 0
        {"event": "call.started"},  # this model is the call.completed event
        {"start_time": "yesterday"},  # not a date-time
        {"start_time": "2026-11-05T12:30:07"},  # date-time without a time zone
        {"recording_url": "not a url"},
    ],
    ids=[
        "outcome",
        "duration-text",
        "duration-fraction",
        "duration-negative",
        "event",
        "start-time",
        "naive-start-time",
        "recording-url",
    ],
)
def test_webhook_rejects_invalid_payloads(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        models.CallCompletedEvent.model_validate_json(json.dumps({**EVENT, **change}))


@pytest.mark.parametrize(
    "missing", ["call_id", "event", "duration_seconds", "call_outcome", "end_time"]
)
def test_webhook_rejects_a_payload_without_a_required_field(missing: str) -> None:
    payload = {k: v for k, v in EVENT.items() if k != missing}
    with pytest.raises(ValidationError) as caught:
        models.CallCompletedEvent.model_validate_json(json.dumps(payload))
    assert any(
        err["loc"] == (missing,) and err["type"] == "missing"
        for err in caught.value.errors()
    )
