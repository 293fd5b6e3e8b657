"""The generated Nixflex client against recorded exchanges served on 127.0.0.1.

Workflow: POST /v1/calls/outbound (201, ``call_id``), then GET /v1/calls/{call_id}.
The record only exists once the call has ended, so a 404 ``call_not_found`` is
retried (onFailure retry, retryAfter 5, retryLimit 120) and a 429 is retried
after its Retry-After header, or the step's retryAfter 2 without one
(retryLimit 5).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
from collections.abc import Callable
from typing import Any

import pytest

from generated.nixflex import (
    NixflexOutboundCallOutputs,
    StepFailed,
    WorkflowError,
    nixflex_outbound_call,
    nixflex_outbound_call_async,
    models,
)
from tests.replay import ReplayServer, SleepRecorder

KEY_ID = "nxf_4b7e19c2"
KEY_SECRET = "nxfs_9d1c5a8e3f6b"
SECRETS = (KEY_ID, KEY_SECRET)
CALL_ID = "CA5f2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
CALL_PATH = f"/v1/calls/{CALL_ID}"
NOT_FOUND_RETRY_LIMIT = 120  # specs/nixflex/arazzo: callNotFinishedYet.retryLimit
RATE_LIMIT_RETRY_LIMIT = 5  # specs/nixflex/arazzo: rateLimited.retryLimit
INPUTS: dict[str, Any] = {
    "key_id": KEY_ID,
    "key_secret": KEY_SECRET,
    "agent_id": "agt_nx_31",
    "to_number": "+447386172392",
    "prompt": "Remind {patient_name} of the dentist appointment tomorrow at 10:00.",
}
ALL_OPTIONAL_INPUTS: dict[str, Any] = {
    "dynamic_vars": {"patient_name": "Sarah"},
    "from_number": "+442071838750",
    "campaign_id": "cmp_autumn_reminders",
    "metadata": {"crm_id": 7712},
}


def servers_for(server: ReplayServer) -> dict[str, str]:
    return {"nixflexCallsApi": server.url}


def run_sync(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> NixflexOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return nixflex_outbound_call(**kwargs, servers=servers_for(server), sleep=sleep)


def run_async(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> NixflexOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return asyncio.run(
        nixflex_outbound_call_async(
            **kwargs, servers=servers_for(server), sleep=sleep.asleep
        )
    )


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])
Replay = Callable[[str], ReplayServer]


def statuses_of_reads(server: ReplayServer) -> int:
    return sum(1 for r in server.requests if r.method == "GET")


def assert_no_secret(error: BaseException) -> None:
    for secret in SECRETS:
        assert secret not in str(error) and secret not in repr(error)


@RUNNERS
def test_happy_path_outputs_are_typed(replay: Replay, run: Any) -> None:
    server = replay("nixflex/happy_path")
    sleep = SleepRecorder()
    outputs = run(server, sleep)

    assert isinstance(outputs, NixflexOutboundCallOutputs)
    assert outputs.call_id == CALL_ID
    assert outputs.ended_reason == "caller_hangup"
    assert outputs.duration == 87 and type(outputs.duration) is int
    assert outputs.summary == "Sarah confirmed tomorrow's 10:00 appointment."
    assert outputs.cost == pytest.approx(0.14) and isinstance(outputs.cost, float)
    # format: date-time: an aware datetime, as models.py types it
    assert outputs.started_at == dt.datetime(2026, 11, 4, 10, 0, 5, tzinfo=dt.timezone.utc)
    assert outputs.ended_at == dt.datetime(2026, 11, 4, 10, 1, 32, tzinfo=dt.timezone.utc)
    assert outputs.voicemail_detected is False
    assert outputs.call_successful is True
    assert outputs.caller_sentiment == "happy"
    assert outputs.extracted_data == {"appointment_confirmed": True}
    assert outputs.recording_url is not None and outputs.recording_url.startswith(
        "https://recordings.nixflex.com/"
    )
    assert outputs.transcript is not None and len(outputs.transcript) == 4
    turn = outputs.transcript[1]
    assert isinstance(turn, models.TranscriptTurn)
    assert turn.role == "caller" and turn.text == "Oh hi, yes?"
    assert turn.timestamp_ms == 3400 and type(turn.timestamp_ms) is int

    assert [f"{r.method} {r.path}" for r in server.requests] == [
        "POST /v1/calls/outbound",
        f"GET {CALL_PATH}",
    ]
    assert (
        server.requests[0].headers["authorization"] == f"Bearer {KEY_ID}:{KEY_SECRET}"
    )
    assert sleep.calls == []


@RUNNERS
def test_unset_optional_inputs_are_left_out_of_the_body(
    replay: Replay, run: Any
) -> None:
    server = replay("nixflex/happy_path")
    run(server, SleepRecorder())
    body = server.requests[0].json()
    assert body == {
        "agent_id": "agt_nx_31",
        "to_number": "+447386172392",
        "prompt": "Remind {patient_name} of the dentist appointment tomorrow at 10:00.",
    }
    for name in ("dynamic_vars", "from_number", "campaign_id", "metadata"):
        assert name not in body  # omitted, not sent as null or {}


@RUNNERS
def test_not_found_is_retried_after_retry_after_then_429_after_its_header(
    replay: Replay, run: Any
) -> None:
    server = replay("nixflex/retry_then_rate_limited")
    sleep = SleepRecorder()
    outputs = run(server, sleep, **ALL_OPTIONAL_INPUTS)

    assert outputs.call_id == CALL_ID
    assert outputs.ended_reason == "caller_hangup"
    assert outputs.duration == 87
    # three 404s -> retryAfter 5 each; one 429 with Retry-After: 7 -> the header's 7, not retryAfter 2
    assert sleep.calls == [5.0, 5.0, 5.0, 7.0]
    assert len(server.requests) == 1 + 5
    assert server.requests[0].json()["dynamic_vars"] == {"patient_name": "Sarah"}


@RUNNERS
def test_429_without_header_waits_the_steps_retry_after(
    replay: Replay, run: Any
) -> None:
    server = replay("nixflex/rate_limited_without_header")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.ended_reason == "caller_hangup"
    assert sleep.calls == [2.0]
    assert len(server.requests) == 3


@RUNNERS
def test_not_found_retries_up_to_the_limit_are_allowed(
    replay: Replay, run: Any
) -> None:
    server = replay("nixflex/not_found_up_to_limit")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.call_id == CALL_ID
    assert sleep.calls == [5.0] * NOT_FOUND_RETRY_LIMIT
    assert statuses_of_reads(server) == NOT_FOUND_RETRY_LIMIT + 1


@RUNNERS
def test_not_found_beyond_the_retry_limit_fails(replay: Replay, run: Any) -> None:
    server = replay("nixflex/get_call_404_exhausted")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server, sleep)
    error = caught.value
    assert error.step_id == "getFinishedCall"
    assert error.status_code == 404
    assert error.method == "GET" and error.url == f"{server.url}{CALL_PATH}"
    assert isinstance(error.error, models.ErrorResponse)
    assert error.error.error.code == "call_not_found"
    assert error.error.error.type == "not_found"
    # exactly retryLimit + 1 reads answered 404, and exactly retryLimit waits
    assert statuses_of_reads(server) == NOT_FOUND_RETRY_LIMIT + 1
    assert sleep.calls == [5.0] * NOT_FOUND_RETRY_LIMIT
    assert_no_secret(error)
    # the message names the criterion that failed and the retries used up
    assert (error.criterion, error.retries, error.retry_limit) == ("$statusCode == 200", 120, 120)
    assert "failed with HTTP 404: successCriteria $statusCode == 200 not met after 120 retries (GET " in str(error)


@RUNNERS
def test_rate_limited_beyond_the_retry_limit_fails(replay: Replay, run: Any) -> None:
    server = replay("nixflex/get_call_429_exhausted")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server, sleep)
    error = caught.value
    assert error.step_id == "getFinishedCall"
    assert error.status_code == 429
    assert isinstance(error.error, models.ErrorResponse)
    assert error.error.error.type == "rate_limit_error"
    assert error.error.error.code == "concurrent_call_limit"
    # exactly retryLimit + 1 reads answered 429, each wait the Retry-After header's 7 s
    assert statuses_of_reads(server) == RATE_LIMIT_RETRY_LIMIT + 1
    assert sleep.calls == [7.0] * RATE_LIMIT_RETRY_LIMIT
    assert_no_secret(error)
    assert (error.criterion, error.retries, error.retry_limit) == ("$statusCode == 200", 5, 5)
    assert "failed with HTTP 429: successCriteria $statusCode == 200 not met after 5 retries (GET " in str(error)


DECISIONS = ("decided", "poll_delay", "retry_delay")  # the runtime functions that log decisions


@RUNNERS
def test_debug_log_records_each_decision_with_the_spec_names(
    replay: Replay, run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = replay("nixflex/retry_then_rate_limited")
    with caplog.at_level(logging.DEBUG, logger="generated.nixflex"):
        run(server, SleepRecorder(), **ALL_OPTIONAL_INPUTS)
    records = [r for r in caplog.records if r.funcName in DECISIONS]
    assert all(r.levelno == logging.DEBUG and r.name == "generated.nixflex" for r in records)
    not_found = [
        "getFinishedCall: onFailure action 'callNotFinishedYet': retry {} of at most 120",
        "getFinishedCall: retry in 5 s (the action's retryAfter)",
    ]
    assert [r.getMessage() for r in records] == [
        line.format(n) for n in (1, 2, 3) for line in not_found
    ] + [
        "getFinishedCall: onFailure action 'rateLimited': retry 1 of at most 5",
        "getFinishedCall: retry in 7 s (the Retry-After header)",
    ]
    assert_no_secret(Exception(" ".join(r.getMessage() for r in caplog.records)))


@RUNNERS
def test_each_retry_kind_has_its_own_limit(replay: Replay, run: Any) -> None:
    server = replay("nixflex/retry_limits_are_separate")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.call_id == CALL_ID
    assert sleep.calls == [5.0] * 60 + [1.0] * RATE_LIMIT_RETRY_LIMIT + [5.0] * 60
    assert sleep.calls.count(5.0) == NOT_FOUND_RETRY_LIMIT


def test_outputs_keep_original_names_as_aliases(replay: Replay) -> None:
    outputs = run_sync(replay("nixflex/happy_path"), SleepRecorder())
    dumped = outputs.model_dump(by_alias=True)
    assert dumped["endedReason"] == "caller_hangup"
    assert dumped["duration"] == 87
    assert dumped["callerSentiment"] == "happy"


# -- every documented error of every operation the workflow calls -------------------------

ERROR_CASES: list[tuple[str, str, int, str, str, str, str, int]] = [
    # cassette, step, status, method, path, error type, error code, requests sent
    (
        "create_call_400",
        "createCall",
        400,
        "POST",
        "/v1/calls/outbound",
        "invalid_request",
        "invalid_phone_format",
        1,
    ),
    (
        "create_call_401",
        "createCall",
        401,
        "POST",
        "/v1/calls/outbound",
        "authentication_error",
        "invalid_api_key",
        1,
    ),
    (
        "create_call_403",
        "createCall",
        403,
        "POST",
        "/v1/calls/outbound",
        "permission_error",
        "agent_not_owned",
        1,
    ),
    (
        "create_call_404",
        "createCall",
        404,
        "POST",
        "/v1/calls/outbound",
        "not_found",
        "agent_not_found",
        1,
    ),
    (
        "create_call_429",
        "createCall",
        429,
        "POST",
        "/v1/calls/outbound",
        "rate_limit_error",
        "concurrent_call_limit",
        1,
    ),
    (
        "create_call_500",
        "createCall",
        500,
        "POST",
        "/v1/calls/outbound",
        "server_error",
        "internal_error",
        1,
    ),
    (
        "create_call_502",
        "createCall",
        502,
        "POST",
        "/v1/calls/outbound",
        "provider_error",
        "outbound_failed",
        1,
    ),
    (
        "get_call_401",
        "getFinishedCall",
        401,
        "GET",
        CALL_PATH,
        "authentication_error",
        "key_secret_required",
        2,
    ),
    (
        "get_call_403",
        "getFinishedCall",
        403,
        "GET",
        CALL_PATH,
        "permission_error",
        "agent_not_owned",
        2,
    ),
    (
        "get_call_500",
        "getFinishedCall",
        500,
        "GET",
        CALL_PATH,
        "server_error",
        "internal_error",
        2,
    ),
    # getCall's 404 and 429 are retried first: see the *_beyond_the_retry_limit_fails tests.
]


@RUNNERS
@pytest.mark.parametrize(
    "cassette, step, status, method, path, error_type, code, sent",
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
    error_type: str,
    code: str,
    sent: int,
) -> None:
    server = replay(f"nixflex/{cassette}")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server, sleep)
    error = caught.value
    assert isinstance(error, WorkflowError)
    assert error.step_id == step
    assert error.status_code == status
    assert error.method == method
    assert error.url == f"{server.url}{path}"
    assert isinstance(error.error, models.ErrorResponse), error.error
    assert isinstance(error.error.error, models.Error)
    assert error.error.error.type == error_type
    assert error.error.error.code == code
    assert error.error.error.message
    for secret in SECRETS:  # the parsed model is scrubbed too
        assert secret not in error.error.model_dump_json()
    assert (
        str(error.error.error.doc_url)
        == f"https://docs.nixflex.com/reference/errors#{code}"
    )
    assert step in str(error) and str(status) in str(error)
    assert_no_secret(error)
    for secret in SECRETS:
        assert secret not in error.body and secret not in error.url
    # POST errors (even a 429 with Retry-After, a 500 or a 502) are never re-sent:
    # a call is never dialled twice.
    assert len(server.requests) == sent
    assert sleep.calls == []


def test_outbound_failed_carries_the_twilio_error(replay: Replay) -> None:
    with pytest.raises(StepFailed) as caught:
        run_sync(replay("nixflex/create_call_502"), SleepRecorder())
    assert isinstance(caught.value.error, models.ErrorResponse)
    details = caught.value.error.error.details
    assert details is not None and details["twilio_error"].startswith("21215")


def test_default_server_is_the_real_api() -> None:
    from generated.nixflex.workflows import SERVERS

    assert SERVERS == {"nixflexCallsApi": "https://api.nixflex.com"}


def test_signature_follows_the_contract() -> None:
    params = inspect.signature(nixflex_outbound_call).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[:5] == [
        "key_id",
        "key_secret",
        "agent_id",
        "to_number",
        "prompt",
    ]
    for name in ALL_OPTIONAL_INPUTS:
        assert params[name].default is None
    for option in ("client", "servers", "poll_interval", "timeout", "sleep"):
        assert option in params
    assert list(inspect.signature(nixflex_outbound_call_async).parameters) == list(
        params
    )
