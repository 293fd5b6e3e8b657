"""The generated AgentPhone client against recorded exchanges served on 127.0.0.1.

Workflow: POST /v1/calls, poll GET /v1/calls/{call_id} until a terminal status
(completed, failed, busy, no-answer), then GET /v1/calls/{call_id}/transcript.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from generated.agentphone import (
    AgentphoneOutboundCallOutputs,
    StepFailed,
    WorkflowError,
    agentphone_outbound_call,
    agentphone_outbound_call_async,
    models,
)
from tests.replay import ReplayServer, SleepRecorder

SECRET = "ap_live_3c9f1e7d5b2a4d6f"
CALL_ID = "call_9a8b7c6d"
INPUTS: dict[str, Any] = {
    "api_key": SECRET,
    "agent_id": "agt_7f3c2a",
    "to_number": "+14155550199",
}
ALL_OPTIONAL_INPUTS: dict[str, Any] = {
    "from_number_id": "pn_51b0",
    "initial_greeting": "Hi {{name}}, this is Ava from Acme Dental.",
    "system_prompt": "You confirm dental appointments. Be brief and friendly.",
    "voice": "11labs-rachel",
    "variables": {"name": "Maria", "slot": "Tuesday 2pm"},
}


def servers_for(server: ReplayServer) -> dict[str, str]:
    return {"agentphoneCallsApi": server.url}


def run_sync(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> AgentphoneOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return agentphone_outbound_call(**kwargs, servers=servers_for(server), sleep=sleep)


def run_async(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> AgentphoneOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return asyncio.run(
        agentphone_outbound_call_async(
            **kwargs, servers=servers_for(server), sleep=sleep.asleep
        )
    )


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])
Replay = Callable[[str], ReplayServer]


def request_lines(server: ReplayServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


@RUNNERS
def test_happy_path_outputs_are_typed(replay: Replay, run: Any) -> None:
    server = replay("agentphone/happy_path")
    sleep = SleepRecorder()
    outputs = run(server, sleep)

    assert isinstance(outputs, AgentphoneOutboundCallOutputs)
    assert outputs.call_id == CALL_ID
    assert outputs.status == "completed"
    # format: date-time: an aware datetime, as models.py types it
    assert outputs.started_at == dt.datetime(2026, 11, 2, 15, 4, 5, tzinfo=dt.timezone.utc)
    assert outputs.ended_at == dt.datetime(2026, 11, 2, 15, 5, 47, tzinfo=dt.timezone.utc)
    assert outputs.duration_seconds == 102 and type(outputs.duration_seconds) is int
    assert outputs.recording_url == "https://recordings.agentphone.ai/call_9a8b7c6d.wav"

    transcript = outputs.transcript
    assert isinstance(transcript, models.CallTranscript)
    assert transcript.transcripts is not None and len(transcript.transcripts) == 2
    first, second = transcript.transcripts
    assert isinstance(first, models.TranscriptTurn)
    assert first.id == "tt_1"
    assert first.transcript == "Hello?"
    assert first.response == "Hi Maria, this is Ava from Acme Dental."
    assert first.createdAt == dt.datetime(
        2026, 11, 2, 15, 4, 12, tzinfo=dt.timezone.utc
    )
    assert second.response is None

    assert request_lines(server) == [
        "POST /v1/calls",
        f"GET /v1/calls/{CALL_ID}",
        f"GET /v1/calls/{CALL_ID}/transcript",
    ]
    assert sleep.calls == []  # terminal on the first read: no wait at all


@RUNNERS
def test_unset_optional_inputs_are_left_out_of_the_body(
    replay: Replay, run: Any
) -> None:
    server = replay("agentphone/happy_path")
    run(server, SleepRecorder())
    body = server.requests[0].json()
    assert body == {"agentId": "agt_7f3c2a", "toNumber": "+14155550199"}
    for name in (
        "fromNumberId",
        "initialGreeting",
        "systemPrompt",
        "voice",
        "variables",
    ):
        assert name not in body  # omitted, not sent as null


@RUNNERS
def test_polls_until_a_terminal_status_then_fetches_the_transcript(
    replay: Replay, run: Any
) -> None:
    server = replay("agentphone/polls_until_terminal")
    sleep = SleepRecorder()
    outputs = run(server, sleep, poll_interval=2.5, **ALL_OPTIONAL_INPUTS)

    assert outputs.status == "completed"
    assert outputs.duration_seconds == 102
    assert (
        outputs.transcript.transcripts is not None
        and len(outputs.transcript.transcripts) == 2
    )
    # ringing, in-progress, in-progress, completed: three waits, none after the terminal read.
    assert request_lines(server) == ["POST /v1/calls"] + [
        f"GET /v1/calls/{CALL_ID}"
    ] * 4 + [f"GET /v1/calls/{CALL_ID}/transcript"]
    assert sleep.calls == [2.5, 2.5, 2.5]
    assert server.requests[0].json()["variables"] == {
        "name": "Maria",
        "slot": "Tuesday 2pm",
    }


def test_default_poll_interval_is_one_second(replay: Replay) -> None:
    sleep = SleepRecorder()
    run_sync(replay("agentphone/polls_until_terminal"), sleep, **ALL_OPTIONAL_INPUTS)
    assert sleep.calls == [1.0, 1.0, 1.0]


@RUNNERS
def test_debug_log_records_each_poll_decision(
    replay: Replay, run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="generated.agentphone"):
        run(
            replay("agentphone/polls_until_terminal"),
            SleepRecorder(),
            poll_interval=2.5,
            **ALL_OPTIONAL_INPUTS,
        )
    decisions = [
        r.getMessage()
        for r in caplog.records
        if r.funcName in ("decided", "poll_delay", "retry_delay")
    ]
    assert decisions == [
        "pollCall: onSuccess action 'callStillActive': goto pollCall",
        "pollCall: next attempt in 2.5 s (the poll_interval option)",
    ] * 3
    assert not any(SECRET in r.getMessage() for r in caplog.records)


@RUNNERS
def test_no_answer_is_terminal(replay: Replay, run: Any) -> None:
    server = replay("agentphone/no_answer")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.status == "no-answer"
    assert outputs.duration_seconds == 0 and type(outputs.duration_seconds) is int
    assert outputs.recording_url is None
    assert outputs.ended_at == dt.datetime(2026, 11, 2, 15, 4, 50, tzinfo=dt.timezone.utc)
    assert outputs.transcript.transcripts == []
    assert len(server.requests) == 4
    assert sleep.calls == [1.0]


@RUNNERS
def test_an_unlisted_status_is_not_taken_as_terminal(replay: Replay, run: Any) -> None:
    server = replay("agentphone/unlisted_status_keeps_polling")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.status == "completed"
    assert len(server.requests) == 5  # create, queued, ringing, completed, transcript
    assert sleep.calls == [1.0, 1.0]


def test_outputs_keep_original_names_as_aliases(replay: Replay) -> None:
    outputs = run_sync(replay("agentphone/happy_path"), SleepRecorder())
    dumped = outputs.model_dump(by_alias=True)
    assert set(dumped) == {
        "callId",
        "status",
        "startedAt",
        "endedAt",
        "durationSeconds",
        "recordingUrl",
        "transcript",
    }
    assert dumped["durationSeconds"] == 102


# -- every documented error of every operation the workflow calls -------------------------

CALL_PATH = f"/v1/calls/{CALL_ID}"
ERROR_CASES: list[
    tuple[str, str, int, str, str, type[BaseModel], Callable[[Any], bool], int]
] = [
    # cassette, step, status, method, path, error model, check on the model, requests sent
    (
        "create_call_401",
        "createCall",
        401,
        "POST",
        "/v1/calls",
        models.ErrorDetail,
        lambda e: e.detail.startswith("Invalid API key"),
        1,
    ),
    (
        "create_call_404",
        "createCall",
        404,
        "POST",
        "/v1/calls",
        models.ErrorDetail,
        lambda e: e.detail == "Agent agt_7f3c2a not found",
        1,
    ),
    (
        "create_call_422",
        "createCall",
        422,
        "POST",
        "/v1/calls",
        models.HTTPValidationError,
        lambda e: e.detail[0].loc == ["body", "toNumber"]
        and e.detail[0].type == "string_pattern_mismatch",
        1,
    ),
    (
        "create_call_429",
        "createCall",
        429,
        "POST",
        "/v1/calls",
        models.ErrorDetail,
        lambda e: e.message.startswith("Rate limit exceeded") and e.detail is None,
        1,
    ),
    (
        "poll_call_401",
        "pollCall",
        401,
        "GET",
        CALL_PATH,
        models.ErrorDetail,
        lambda e: e.detail.startswith("Invalid API key"),
        2,
    ),
    (
        "poll_call_404",
        "pollCall",
        404,
        "GET",
        CALL_PATH,
        models.ErrorDetail,
        lambda e: e.detail == f"Call {CALL_ID} not found",
        2,
    ),
    (
        "poll_call_422",
        "pollCall",
        422,
        "GET",
        CALL_PATH,
        models.HTTPValidationError,
        lambda e: e.detail[0].loc == ["path", "call_id"],
        2,
    ),
    (
        "poll_call_429",
        "pollCall",
        429,
        "GET",
        CALL_PATH,
        models.ErrorDetail,
        lambda e: e.message.startswith("Rate limit exceeded"),
        2 + 3,  # a 429 on a GET is retried 3 times
    ),
    (
        "get_transcript_401",
        "getTranscript",
        401,
        "GET",
        f"{CALL_PATH}/transcript",
        models.ErrorDetail,
        lambda e: e.detail.startswith("Invalid API key"),
        3,
    ),
    (
        "get_transcript_404",
        "getTranscript",
        404,
        "GET",
        f"{CALL_PATH}/transcript",
        models.ErrorDetail,
        lambda e: e.detail == f"Transcript for call {CALL_ID} not found",
        3,
    ),
    (
        "get_transcript_422",
        "getTranscript",
        422,
        "GET",
        f"{CALL_PATH}/transcript",
        models.HTTPValidationError,
        lambda e: e.detail[0].msg.startswith("String should match pattern"),
        3,
    ),
    (
        "get_transcript_429",
        "getTranscript",
        429,
        "GET",
        f"{CALL_PATH}/transcript",
        models.ErrorDetail,
        lambda e: e.message.startswith("Rate limit exceeded"),
        3 + 3,  # a 429 on a GET is retried 3 times
    ),
]


@RUNNERS
@pytest.mark.parametrize(
    "cassette, step, status, method, path, model, check, sent",
    ERROR_CASES,
    ids=[case[0] for case in ERROR_CASES],
)
def test_documented_error_raises_step_failed_with_typed_error(
    replay: Replay,
    run: Any,
    cassette: str,
    step: str,
    status: int,
    method: str,
    path: str,
    model: type[BaseModel],
    check: Callable[[Any], bool],
    sent: int,
) -> None:
    server = replay(f"agentphone/{cassette}")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server, sleep)
    error = caught.value
    assert isinstance(error, WorkflowError)
    assert error.step_id == step
    assert error.status_code == status
    assert error.method == method
    assert error.url == f"{server.url}{path}"
    assert isinstance(error.error, model), error.error
    assert check(error.error)
    assert (
        SECRET not in error.error.model_dump_json()
    )  # the parsed model is scrubbed too
    assert step in str(error) and str(status) in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in error.body and SECRET not in error.url
    assert (
        len(server.requests) == sent
    )  # only a 429 on a GET is retried, a failed POST never re-sent
    assert sleep.calls == ([30.0] * 3 if status == 429 and method == "GET" else [])  # its Retry-After


def test_default_server_is_the_real_api() -> None:
    from generated.agentphone.workflows import SERVERS

    assert SERVERS == {"agentphoneCallsApi": "https://api.agentphone.ai"}


def test_signature_follows_the_contract() -> None:
    params = inspect.signature(agentphone_outbound_call).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[:3] == ["api_key", "agent_id", "to_number"]
    for name in ALL_OPTIONAL_INPUTS:
        assert params[name].default is None
    for option in ("client", "servers", "poll_interval", "timeout", "sleep"):
        assert option in params
    assert list(inspect.signature(agentphone_outbound_call_async).parameters) == list(
        params
    )
