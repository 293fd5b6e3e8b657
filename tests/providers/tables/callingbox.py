"""CallingBox: POST /v1/calls (201, the Call object), poll GET /v1/calls/{id} until the
status matches the terminal set (a regex criterion), then keep reading the call while a
completed call's ``result_status`` is still ``pending``.

The callingbox rows of the provider harness (tests/providers/test_providers.py runs them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generated.callingbox import models
from tests.providers.harness import DecisionLog, ErrorCase, Provider, Scenario, TimeoutCase
from tests.replay import ReplayServer

UTC = dt.UTC

SECRET = "sk_live_8d2f4a6c0e1b3d5f"
AGENT_ID = "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f"
CALL_ID = "3f2c9a1e-8b7d-4c6e-9f10-2a3b4c5d6e7f"
CALL_PATH = f"/v1/calls/{CALL_ID}"
PROVIDER = Provider(
    name="callingbox",
    workflow="callingbox_outbound_call",
    outputs="CallingboxOutboundCallOutputs",
    servers=("callingboxCallsApi",),
    secrets=(SECRET,),
    inputs={"api_key": SECRET, "agent_id": AGENT_ID, "to_number": "+15551234567"},
    optional_inputs={
        "from_number": "+15557654321",
        "instructions": "Confirm the patient's appointment tomorrow at 2pm.",
        "context": {"patient": "Maria Lopez", "doctor": "Dr. Chen"},
        "webhook_url": "https://example.com/callingbox-webhook",
        "metadata": {"crm_id": "lead-4471"},
    },
    default_servers={"callingboxCallsApi": "https://api.callingbox.io"},
)
RESULT = {"confirmed": True, "notes": "Will bring insurance card."}


def _callingbox_result_is_a_dict(outputs: Any, server: ReplayServer) -> None:
    assert isinstance(outputs.result, dict) and outputs.result["confirmed"] is True


SCENARIOS = [
    Scenario(
        "callingbox",
        "happy_path",
        "happy_path_outputs_are_typed",
        outputs={
            "call_id": CALL_ID,
            "status": "completed",
            "result": RESULT,
            "result_status": "completed",
            "result_error": None,
            "billing_amount_milli_cents": 1850,
            "billed_duration_seconds": 74,
            "duration_seconds": 81,
            # format: date-time: an aware datetime, as models.py types it
            "answered_at": dt.datetime(2026, 11, 3, 9, 0, 9, tzinfo=UTC),
            "ended_at": dt.datetime(2026, 11, 3, 9, 1, 23, tzinfo=UTC),
            "hangup_cause": "NORMAL_CLEARING",
            "error_code": None,
            "error_message": None,
        },
        # dispatch, pollCallStatus sees "completed" (terminal), waitForResult sees the result.
        requests=["POST /v1/calls", f"GET {CALL_PATH}", f"GET {CALL_PATH}"],
        sleeps=[],
        check=_callingbox_result_is_a_dict,
    ),
    Scenario(
        "callingbox",
        "happy_path",
        "request_uses_to_and_leaves_unset_optional_inputs_out",
        body={"agent_id": AGENT_ID, "to": "+15551234567"},  # `to`, not `to_number`
        omitted=["from_number", "instructions", "context", "webhook_url", "metadata"],
    ),
    Scenario(
        "callingbox",
        "polls_until_result",
        "polls_until_terminal_then_while_the_result_is_pending",
        options={"poll_interval": 3.0, **PROVIDER.optional_inputs},
        outputs={
            "status": "completed",
            "result_status": "completed",
            "result": RESULT,
            "billing_amount_milli_cents": 1850,
        },
        # 4 reads until terminal (queued, ringing, in_progress, completed), then 3 reads
        # until the extraction leaves pending (pending, pending, completed).
        requests=["POST /v1/calls"] + [f"GET {CALL_PATH}"] * 7,
        # 3 waits in pollCallStatus + 2 in waitForResult; none after the last read.
        sleeps=[3.0] * 5,
        body_has={"context": {"patient": "Maria Lopez", "doctor": "Dr. Chen"}},
    ),
    Scenario(
        "callingbox",
        "polls_until_result",
        "default_poll_interval_is_one_second",
        options=PROVIDER.optional_inputs,
        sleeps=[1.0] * 5,
        modes=("sync",),
    ),
    Scenario(
        "callingbox",
        "voicemail_no_answer",
        "voicemail_ends_without_waiting_for_an_extraction",
        outputs={
            "status": "no_answer",
            "result": None,
            "result_status": "pending",  # only completed calls are extracted
            "billing_amount_milli_cents": 0,
            "duration_seconds": 38,
            "answered_at": None,
            "hangup_cause": "NO_ANSWER",
        },
        requests=4,  # dispatch, ringing, no_answer, one waitForResult read
        sleeps=[1.0],
    ),
    Scenario(
        "callingbox",
        "extraction_failed",
        "failed_extraction_ends_the_workflow",
        outputs={
            "status": "completed",
            "result_status": "failed",
            "result": None,
            "result_error": "returns schema could not be satisfied",
        },
        requests=3,
        sleeps=[],
    ),
    Scenario(
        "callingbox",
        "unlisted_status_keeps_polling",
        "a_status_outside_the_terminal_set_keeps_polling",
        outputs={"status": "completed"},
        requests=4,  # dispatch, "dialing", completed (terminal), result
        sleeps=[1.0],
    ),
    Scenario(
        "callingbox",
        "happy_path",
        "outputs_keep_original_names_as_aliases",
        dumped={"resultStatus": "completed", "billingAmountMilliCents": 1850, "callId": CALL_ID},
        modes=("sync",),
    ),
]


def _cb(
    cassette: str, step: str, status: int, method: str, path: str, message: str, sent: int, sleeps: list[float]
) -> ErrorCase:
    return ErrorCase(
        "callingbox",
        cassette,
        step,
        status,
        method,
        path,
        models.ErrorResponse,
        lambda e: e.error.error.startswith(message),
        sent,  # a 502 on the POST is not re-sent: no call is dialled twice
        sleeps,
    )


ERRORS = [
    _cb("dispatch_call_400", "dispatchCall", 400, "POST", "/v1/calls", "to must be a valid E.164 phone number", 1, []),
    _cb("dispatch_call_401", "dispatchCall", 401, "POST", "/v1/calls", "invalid API key ", 1, []),
    _cb(
        "dispatch_call_502",
        "dispatchCall",
        502,
        "POST",
        "/v1/calls",
        "telephony provider could not place the call",
        1,
        [],
    ),
    _cb("poll_call_status_400", "pollCallStatus", 400, "GET", CALL_PATH, "id must be a valid UUID", 3, [1.0]),
    _cb("poll_call_status_401", "pollCallStatus", 401, "GET", CALL_PATH, "invalid API key", 3, [1.0]),
    _cb("poll_call_status_404", "pollCallStatus", 404, "GET", CALL_PATH, f"call {CALL_ID} not found", 3, [1.0]),
    _cb("wait_for_result_400", "waitForResult", 400, "GET", CALL_PATH, "id must be a valid UUID", 3, []),
    _cb("wait_for_result_401", "waitForResult", 401, "GET", CALL_PATH, "invalid API key", 3, []),
    _cb("wait_for_result_404", "waitForResult", 404, "GET", CALL_PATH, f"call {CALL_ID} not found", 3, []),
]
TIMEOUTS = [
    # the fifth wait would pass the deadline
    TimeoutCase("callingbox", "never_ends", "pollCallStatus", {"timeout": 5.0, "poll_interval": 1.0}, 1 + 5, [1.0] * 4),
]

DECISIONS: list[DecisionLog] = []
