"""The generated CallingBox client against recorded exchanges served on 127.0.0.1.

Workflow: POST /v1/calls (201, the Call object), poll GET /v1/calls/{id} until
the status matches the terminal set (a regex criterion), then keep reading the
call while a completed call's ``result_status`` is still ``pending``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from generated.callingbox import (
    CallingboxOutboundCallOutputs,
    StepFailed,
    WorkflowError,
    WorkflowTimeout,
    callingbox_outbound_call,
    callingbox_outbound_call_async,
    models,
)
from tests.replay import ReplayServer, SleepRecorder

SECRET = "sk_live_8d2f4a6c0e1b3d5f"
AGENT_ID = "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f"
CALL_ID = "3f2c9a1e-8b7d-4c6e-9f10-2a3b4c5d6e7f"
CALL_PATH = f"/v1/calls/{CALL_ID}"
INPUTS: dict[str, Any] = {
    "api_key": SECRET,
    "agent_id": AGENT_ID,
    "to_number": "+15551234567",
}
ALL_OPTIONAL_INPUTS: dict[str, Any] = {
    "from_number": "+15557654321",
    "instructions": "Confirm the patient's appointment tomorrow at 2pm.",
    "context": {"patient": "Maria Lopez", "doctor": "Dr. Chen"},
    "webhook_url": "https://example.com/callingbox-webhook",
    "metadata": {"crm_id": "lead-4471"},
}


def servers_for(server: ReplayServer) -> dict[str, str]:
    return {"callingboxCallsApi": server.url}


def run_sync(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> CallingboxOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return callingbox_outbound_call(**kwargs, servers=servers_for(server), sleep=sleep)


def run_async(
    server: ReplayServer, sleep: SleepRecorder, **options: Any
) -> CallingboxOutboundCallOutputs:
    kwargs = {**INPUTS, **options}
    return asyncio.run(
        callingbox_outbound_call_async(
            **kwargs, servers=servers_for(server), sleep=sleep.asleep
        )
    )


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])
Replay = Callable[[str], ReplayServer]


def request_lines(server: ReplayServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


@RUNNERS
def test_happy_path_outputs_are_typed(replay: Replay, run: Any) -> None:
    server = replay("callingbox/happy_path")
    sleep = SleepRecorder()
    outputs = run(server, sleep)

    assert isinstance(outputs, CallingboxOutboundCallOutputs)
    assert outputs.call_id == CALL_ID
    assert outputs.status == "completed"
    assert outputs.result == {"confirmed": True, "notes": "Will bring insurance card."}
    assert isinstance(outputs.result, dict) and outputs.result["confirmed"] is True
    assert outputs.result_status == "completed"
    assert outputs.result_error is None
    assert (
        outputs.billing_amount_milli_cents == 1850
        and type(outputs.billing_amount_milli_cents) is int
    )
    assert (
        outputs.billed_duration_seconds == 74
        and type(outputs.billed_duration_seconds) is int
    )
    assert outputs.duration_seconds == 81 and type(outputs.duration_seconds) is int
    # format: date-time: an aware datetime, as models.py types it
    assert outputs.answered_at == dt.datetime(2026, 11, 3, 9, 0, 9, tzinfo=dt.timezone.utc)
    assert outputs.ended_at == dt.datetime(2026, 11, 3, 9, 1, 23, tzinfo=dt.timezone.utc)
    assert outputs.hangup_cause == "NORMAL_CLEARING"
    assert outputs.error_code is None and outputs.error_message is None

    # dispatch, pollCallStatus sees "completed" (terminal), waitForResult sees the result.
    assert request_lines(server) == [
        "POST /v1/calls",
        f"GET {CALL_PATH}",
        f"GET {CALL_PATH}",
    ]
    assert sleep.calls == []


@RUNNERS
def test_request_uses_to_and_leaves_unset_optional_inputs_out(
    replay: Replay, run: Any
) -> None:
    server = replay("callingbox/happy_path")
    run(server, SleepRecorder())
    body = server.requests[0].json()
    assert body == {"agent_id": AGENT_ID, "to": "+15551234567"}  # `to`, not `to_number`
    for name in ("from_number", "instructions", "context", "webhook_url", "metadata"):
        assert name not in body  # omitted, not sent as null


@RUNNERS
def test_polls_until_terminal_then_while_the_result_is_pending(
    replay: Replay, run: Any
) -> None:
    server = replay("callingbox/polls_until_result")
    sleep = SleepRecorder()
    outputs = run(server, sleep, poll_interval=3.0, **ALL_OPTIONAL_INPUTS)

    assert outputs.status == "completed"
    assert outputs.result_status == "completed"
    assert outputs.result == {"confirmed": True, "notes": "Will bring insurance card."}
    assert outputs.billing_amount_milli_cents == 1850
    # 4 reads until terminal (queued, ringing, in_progress, completed), then 3 reads
    # until the extraction leaves pending (pending, pending, completed).
    assert request_lines(server) == ["POST /v1/calls"] + [f"GET {CALL_PATH}"] * 7
    # 3 waits in pollCallStatus + 2 in waitForResult; none after the last read.
    assert sleep.calls == [3.0] * 5
    assert server.requests[0].json()["context"] == {
        "patient": "Maria Lopez",
        "doctor": "Dr. Chen",
    }


def test_default_poll_interval_is_one_second(replay: Replay) -> None:
    sleep = SleepRecorder()
    run_sync(replay("callingbox/polls_until_result"), sleep, **ALL_OPTIONAL_INPUTS)
    assert sleep.calls == [1.0] * 5


@RUNNERS
def test_voicemail_ends_without_waiting_for_an_extraction(
    replay: Replay, run: Any
) -> None:
    server = replay("callingbox/voicemail_no_answer")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.status == "no_answer"
    assert outputs.result is None
    assert outputs.result_status == "pending"  # only completed calls are extracted
    assert (
        outputs.billing_amount_milli_cents == 0
        and type(outputs.billing_amount_milli_cents) is int
    )
    assert outputs.duration_seconds == 38
    assert outputs.answered_at is None
    assert outputs.hangup_cause == "NO_ANSWER"
    assert (
        len(server.requests) == 4
    )  # dispatch, ringing, no_answer, one waitForResult read
    assert sleep.calls == [1.0]


@RUNNERS
def test_failed_extraction_ends_the_workflow(replay: Replay, run: Any) -> None:
    server = replay("callingbox/extraction_failed")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.status == "completed"
    assert outputs.result_status == "failed"
    assert outputs.result is None
    assert outputs.result_error == "returns schema could not be satisfied"
    assert len(server.requests) == 3
    assert sleep.calls == []


@RUNNERS
def test_a_status_outside_the_terminal_set_keeps_polling(
    replay: Replay, run: Any
) -> None:
    server = replay("callingbox/unlisted_status_keeps_polling")
    sleep = SleepRecorder()
    outputs = run(server, sleep)
    assert outputs.status == "completed"
    assert (
        len(server.requests) == 4
    )  # dispatch, "dialing", completed (terminal), result
    assert sleep.calls == [1.0]


@RUNNERS
def test_a_call_that_never_ends_times_out_without_waiting(
    replay: Replay, run: Any
) -> None:
    server = replay("callingbox/never_ends")
    sleep = SleepRecorder()
    with pytest.raises(WorkflowTimeout) as caught:
        run(server, sleep, timeout=5.0, poll_interval=1.0)
    assert caught.value.step_id == "pollCallStatus"
    assert isinstance(caught.value, WorkflowError)
    assert len(server.requests) == 1 + 5
    assert sleep.calls == [1.0] * 4  # the fifth wait would pass the deadline
    assert SECRET not in str(caught.value)


def test_outputs_keep_original_names_as_aliases(replay: Replay) -> None:
    outputs = run_sync(replay("callingbox/happy_path"), SleepRecorder())
    dumped = outputs.model_dump(by_alias=True)
    assert dumped["resultStatus"] == "completed"
    assert dumped["billingAmountMilliCents"] == 1850
    assert dumped["callId"] == CALL_ID


# -- every documented error of every operation the workflow calls -------------------------

ERROR_CASES: list[tuple[str, str, int, str, str, str, int, list[float]]] = [
    # cassette, step, status, method, path, error message (start), requests sent, sleeps
    (
        "dispatch_call_400",
        "dispatchCall",
        400,
        "POST",
        "/v1/calls",
        "to must be a valid E.164 phone number",
        1,
        [],
    ),
    (
        "dispatch_call_401",
        "dispatchCall",
        401,
        "POST",
        "/v1/calls",
        "invalid API key ",
        1,
        [],
    ),
    (
        "dispatch_call_502",
        "dispatchCall",
        502,
        "POST",
        "/v1/calls",
        "telephony provider could not place the call",
        1,
        [],
    ),
    (
        "poll_call_status_400",
        "pollCallStatus",
        400,
        "GET",
        CALL_PATH,
        "id must be a valid UUID",
        3,
        [1.0],
    ),
    (
        "poll_call_status_401",
        "pollCallStatus",
        401,
        "GET",
        CALL_PATH,
        "invalid API key",
        3,
        [1.0],
    ),
    (
        "poll_call_status_404",
        "pollCallStatus",
        404,
        "GET",
        CALL_PATH,
        f"call {CALL_ID} not found",
        3,
        [1.0],
    ),
    (
        "wait_for_result_400",
        "waitForResult",
        400,
        "GET",
        CALL_PATH,
        "id must be a valid UUID",
        3,
        [],
    ),
    (
        "wait_for_result_401",
        "waitForResult",
        401,
        "GET",
        CALL_PATH,
        "invalid API key",
        3,
        [],
    ),
    (
        "wait_for_result_404",
        "waitForResult",
        404,
        "GET",
        CALL_PATH,
        f"call {CALL_ID} not found",
        3,
        [],
    ),
]


@RUNNERS
@pytest.mark.parametrize(
    "cassette, step, status, method, path, message, sent, sleeps",
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
    message: str,
    sent: int,
    sleeps: list[float],
) -> None:
    server = replay(f"callingbox/{cassette}")
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
    assert error.error.error.startswith(message)
    assert (
        SECRET not in error.error.model_dump_json()
    )  # the parsed model is scrubbed too
    assert step in str(error) and str(status) in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in error.body and SECRET not in error.url
    assert (
        len(server.requests) == sent
    )  # a 502 on the POST is not re-sent: no call is dialled twice
    assert sleep.calls == sleeps


def test_default_server_is_the_real_api() -> None:
    from generated.callingbox.workflows import SERVERS

    assert SERVERS == {"callingboxCallsApi": "https://api.callingbox.io"}


def test_signature_follows_the_contract() -> None:
    params = inspect.signature(callingbox_outbound_call).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[:3] == ["api_key", "agent_id", "to_number"]
    for name in ALL_OPTIONAL_INPUTS:
        assert params[name].default is None
    for option in ("client", "servers", "poll_interval", "timeout", "sleep"):
        assert option in params
    assert list(inspect.signature(callingbox_outbound_call_async).parameters) == list(
        params
    )
