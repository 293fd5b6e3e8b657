"""The five providers' generated clients against recorded exchanges served on 127.0.0.1.

One table per provider (tests/providers/harness.py describes the row types), then the
tests that run every row, sync and async: runs that succeed (outputs typed as the
schemas say, the requests sent, the waits), every documented error (StepFailed with the
parsed error model, no secret anywhere, a failed POST never re-sent), timeouts, the
DEBUG decision log, and the generated signature, servers and client options.

- vapi: create an assistant, a phone number and a call, poll the call until it ended.
- agentphone: POST /v1/calls, poll GET /v1/calls/{call_id} until a terminal status
  (completed, failed, busy, no-answer), then GET /v1/calls/{call_id}/transcript.
- voiceinfra: POST /v1/calls/outbound with the X-API-Key header; there is no endpoint to
  read a call, so the workflow ends at ``queued`` (the outcome arrives as the
  ``call.completed`` webhook: test_voiceinfra_webhook_model.py, test_voiceinfra_events.py).
- nixflex: POST /v1/calls/outbound (201, ``call_id``), then GET /v1/calls/{call_id}; the
  record only exists once the call has ended, so a 404 ``call_not_found`` is retried
  (onFailure retry, retryAfter 5, retryLimit 120) and a 429 after its Retry-After header,
  or the step's retryAfter 2 without one (retryLimit 5).
- callingbox: POST /v1/calls (201, the Call object), poll GET /v1/calls/{id} until the
  status matches the terminal set (a regex criterion), then keep reading the call while a
  completed call's ``result_status`` is still ``pending``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest

from generated.agentphone import models as agentphone_models
from generated.callingbox import models as callingbox_models
from generated.nixflex import models as nixflex_models
from generated.voiceinfra import models as voiceinfra_models
from tests.providers.harness import (
    OPTIONS,
    DecisionLog,
    ErrorCase,
    Mode,
    Provider,
    Replay,
    Scenario,
    TimeoutCase,
    assert_outputs,
    cases_for,
    decision_records,
    request_lines,
)
from tests.replay import ReplayServer, SleepRecorder

UTC = dt.UTC

# -- vapi ----------------------------------------------------------------------------------

VAPI = Provider(
    name="vapi",
    workflow="assistant_phone_outbound_call",
    outputs="AssistantPhoneOutboundCallOutputs",
    servers=("assistantsApi", "phoneNumbersApi", "callsApi"),
    secrets=("vapi-secret-token-123",),
    inputs={
        "api_token": "vapi-secret-token-123",
        "name": "Ada Outreach",
        "first_message": "Hello, this is Ada.",
        "system_prompt": "You are a polite assistant.",
        "customer_number": "+14155550199",
    },
    default_servers={
        "assistantsApi": "https://api.vapi.ai",
        "phoneNumbersApi": "https://api.vapi.ai",
        "callsApi": "https://api.vapi.ai",
    },
    defaults={"area_code": "415"},
)

VAPI_SCENARIOS = [
    Scenario(
        "vapi",
        "happy_path",
        "happy_path_polls_until_ended",
        options={"poll_interval": 2.5},
        outputs={
            "assistant_id": "asst_1",
            "phone_number_id": "pn_1",
            "call_id": "call_1",
            "call_status": "ended",
            "ended_reason": "customer-ended-call",
            "cost": pytest.approx(0.42),
        },
        # 3 creates + 4 polls; one sleep between polls, none after the call ended.
        requests=7,
        methods=["POST", "POST", "POST", "GET", "GET", "GET", "GET"],
        sleeps=[2.5, 2.5, 2.5],
    ),
    Scenario("vapi", "happy_path", "default_poll_interval_is_one_second", sleeps=[1.0, 1.0, 1.0], modes=("sync",)),
    Scenario(
        "vapi",
        "happy_path",
        "outputs_keep_original_names_as_aliases",
        dumped={"callStatus": "ended", "endedReason": "customer-ended-call"},
        modes=("sync",),
    ),
    Scenario(
        "vapi",
        "new_status_value",
        "unlisted_enum_value_is_kept_with_a_warning",
        outputs={"ended_reason": "brand-new-reason-2027", "call_status": "ended"},
        warning="keeping values",
        modes=("sync",),
    ),
]
VAPI_ERRORS = [
    ErrorCase(
        "vapi",
        "create_call_400",
        "createCall",
        400,
        "POST",
        "/call",
        type(None),  # no error model is documented
        lambda e: "E.164" in e.body,
        3,  # a failed POST is never sent again
    ),
]
VAPI_TIMEOUTS = [
    # the fifth sleep would pass the deadline
    TimeoutCase("vapi", "never_ends", "pollCall", {"timeout": 5.0, "poll_interval": 1.0}, 3 + 5, [1.0] * 4),
]

# -- agentphone ----------------------------------------------------------------------------

AP_SECRET = "ap_live_3c9f1e7d5b2a4d6f"
AP_CALL_ID = "call_9a8b7c6d"
AP_CALL_PATH = f"/v1/calls/{AP_CALL_ID}"
AGENTPHONE = Provider(
    name="agentphone",
    workflow="agentphone_outbound_call",
    outputs="AgentphoneOutboundCallOutputs",
    servers=("agentphoneCallsApi",),
    secrets=(AP_SECRET,),
    inputs={"api_key": AP_SECRET, "agent_id": "agt_7f3c2a", "to_number": "+14155550199"},
    optional_inputs={
        "from_number_id": "pn_51b0",
        "initial_greeting": "Hi {{name}}, this is Ava from Acme Dental.",
        "system_prompt": "You confirm dental appointments. Be brief and friendly.",
        "voice": "11labs-rachel",
        "variables": {"name": "Maria", "slot": "Tuesday 2pm"},
    },
    default_servers={"agentphoneCallsApi": "https://api.agentphone.ai"},
)


def _agentphone_transcript(outputs: Any, server: ReplayServer) -> None:
    transcript = outputs.transcript
    assert isinstance(transcript, agentphone_models.CallTranscript)
    assert transcript.transcripts is not None and len(transcript.transcripts) == 2
    first, second = transcript.transcripts
    assert isinstance(first, agentphone_models.TranscriptTurn)
    assert first.id == "tt_1"
    assert first.transcript == "Hello?"
    assert first.response == "Hi Maria, this is Ava from Acme Dental."
    assert first.createdAt == dt.datetime(2026, 11, 2, 15, 4, 12, tzinfo=UTC)
    assert second.response is None


def _agentphone_two_turns(outputs: Any, server: ReplayServer) -> None:
    assert outputs.transcript.transcripts is not None and len(outputs.transcript.transcripts) == 2


def _agentphone_no_turns(outputs: Any, server: ReplayServer) -> None:
    assert outputs.transcript.transcripts == []


AGENTPHONE_SCENARIOS = [
    Scenario(
        "agentphone",
        "happy_path",
        "happy_path_outputs_are_typed",
        outputs={
            "call_id": AP_CALL_ID,
            "status": "completed",
            # format: date-time: an aware datetime, as models.py types it
            "started_at": dt.datetime(2026, 11, 2, 15, 4, 5, tzinfo=UTC),
            "ended_at": dt.datetime(2026, 11, 2, 15, 5, 47, tzinfo=UTC),
            "duration_seconds": 102,
            "recording_url": "https://recordings.agentphone.ai/call_9a8b7c6d.wav",
        },
        requests=["POST /v1/calls", f"GET {AP_CALL_PATH}", f"GET {AP_CALL_PATH}/transcript"],
        sleeps=[],  # terminal on the first read: no wait at all
        check=_agentphone_transcript,
    ),
    Scenario(
        "agentphone",
        "happy_path",
        "unset_optional_inputs_are_left_out_of_the_body",
        body={"agentId": "agt_7f3c2a", "toNumber": "+14155550199"},
        omitted=["fromNumberId", "initialGreeting", "systemPrompt", "voice", "variables"],
    ),
    Scenario(
        "agentphone",
        "polls_until_terminal",
        "polls_until_a_terminal_status_then_fetches_the_transcript",
        options={"poll_interval": 2.5, **AGENTPHONE.optional_inputs},
        outputs={"status": "completed", "duration_seconds": 102},
        # ringing, in-progress, in-progress, completed: three waits, none after the terminal read.
        requests=["POST /v1/calls"] + [f"GET {AP_CALL_PATH}"] * 4 + [f"GET {AP_CALL_PATH}/transcript"],
        sleeps=[2.5, 2.5, 2.5],
        body_has={"variables": {"name": "Maria", "slot": "Tuesday 2pm"}},
        check=_agentphone_two_turns,
    ),
    Scenario(
        "agentphone",
        "polls_until_terminal",
        "default_poll_interval_is_one_second",
        options=AGENTPHONE.optional_inputs,
        sleeps=[1.0, 1.0, 1.0],
        modes=("sync",),
    ),
    Scenario(
        "agentphone",
        "no_answer",
        "no_answer_is_terminal",
        outputs={
            "status": "no-answer",
            "duration_seconds": 0,
            "recording_url": None,
            "ended_at": dt.datetime(2026, 11, 2, 15, 4, 50, tzinfo=UTC),
        },
        requests=4,
        sleeps=[1.0],
        check=_agentphone_no_turns,
    ),
    Scenario(
        "agentphone",
        "unlisted_status_keeps_polling",
        "an_unlisted_status_is_not_taken_as_terminal",
        outputs={"status": "completed"},
        requests=5,  # create, queued, ringing, completed, transcript
        sleeps=[1.0, 1.0],
    ),
    Scenario(
        "agentphone",
        "happy_path",
        "outputs_keep_original_names_as_aliases",
        dumped={"durationSeconds": 102},
        dumped_keys=frozenset(
            {"callId", "status", "startedAt", "endedAt", "durationSeconds", "recordingUrl", "transcript"}
        ),
        modes=("sync",),
    ),
]


def _ap(
    cassette: str, step: str, status: int, method: str, path: str, model: type[Any], check: Any, sent: int
) -> ErrorCase:
    # a 429 on a GET is retried 3 times, each after its Retry-After
    sleeps = [30.0] * 3 if status == 429 and method == "GET" else []
    return ErrorCase("agentphone", cassette, step, status, method, path, model, check, sent, sleeps)


ErrorDetail, HTTPValidationError = agentphone_models.ErrorDetail, agentphone_models.HTTPValidationError
AGENTPHONE_ERRORS = [
    _ap(
        "create_call_401",
        "createCall",
        401,
        "POST",
        "/v1/calls",
        ErrorDetail,
        lambda e: e.error.detail.startswith("Invalid API key"),
        1,
    ),
    _ap(
        "create_call_404",
        "createCall",
        404,
        "POST",
        "/v1/calls",
        ErrorDetail,
        lambda e: e.error.detail == "Agent agt_7f3c2a not found",
        1,
    ),
    _ap(
        "create_call_422",
        "createCall",
        422,
        "POST",
        "/v1/calls",
        HTTPValidationError,
        lambda e: e.error.detail[0].loc == ["body", "toNumber"] and e.error.detail[0].type == "string_pattern_mismatch",
        1,
    ),
    _ap(
        "create_call_429",
        "createCall",
        429,
        "POST",
        "/v1/calls",
        ErrorDetail,
        lambda e: e.error.message.startswith("Rate limit exceeded") and e.error.detail is None,
        1,
    ),
    _ap(
        "poll_call_401",
        "pollCall",
        401,
        "GET",
        AP_CALL_PATH,
        ErrorDetail,
        lambda e: e.error.detail.startswith("Invalid API key"),
        2,
    ),
    _ap(
        "poll_call_404",
        "pollCall",
        404,
        "GET",
        AP_CALL_PATH,
        ErrorDetail,
        lambda e: e.error.detail == f"Call {AP_CALL_ID} not found",
        2,
    ),
    _ap(
        "poll_call_422",
        "pollCall",
        422,
        "GET",
        AP_CALL_PATH,
        HTTPValidationError,
        lambda e: e.error.detail[0].loc == ["path", "call_id"],
        2,
    ),
    _ap(
        "poll_call_429",
        "pollCall",
        429,
        "GET",
        AP_CALL_PATH,
        ErrorDetail,
        lambda e: e.error.message.startswith("Rate limit exceeded"),
        2 + 3,  # a 429 on a GET is retried 3 times
    ),
    _ap(
        "get_transcript_401",
        "getTranscript",
        401,
        "GET",
        f"{AP_CALL_PATH}/transcript",
        ErrorDetail,
        lambda e: e.error.detail.startswith("Invalid API key"),
        3,
    ),
    _ap(
        "get_transcript_404",
        "getTranscript",
        404,
        "GET",
        f"{AP_CALL_PATH}/transcript",
        ErrorDetail,
        lambda e: e.error.detail == f"Transcript for call {AP_CALL_ID} not found",
        3,
    ),
    _ap(
        "get_transcript_422",
        "getTranscript",
        422,
        "GET",
        f"{AP_CALL_PATH}/transcript",
        HTTPValidationError,
        lambda e: e.error.detail[0].msg.startswith("String should match pattern"),
        3,
    ),
    _ap(
        "get_transcript_429",
        "getTranscript",
        429,
        "GET",
        f"{AP_CALL_PATH}/transcript",
        ErrorDetail,
        lambda e: e.error.message.startswith("Rate limit exceeded"),
        3 + 3,  # a 429 on a GET is retried 3 times
    ),
]
AGENTPHONE_DECISIONS = [
    DecisionLog(
        "agentphone",
        "polls_until_terminal",
        {"poll_interval": 2.5, **AGENTPHONE.optional_inputs},
        [
            "pollCall: onSuccess action 'callStillActive': goto pollCall",
            "pollCall: next attempt in 2.5 s (the poll_interval option)",
        ]
        * 3,
    ),
]

# -- voiceinfra ----------------------------------------------------------------------------

VI_SECRET = "vi_key_6e2b9f1d4c7a"
VI_CALL_ID = "vcall_8f3e2d1c"
VOICEINFRA = Provider(
    name="voiceinfra",
    workflow="voiceinfra_outbound_call",
    outputs="VoiceinfraOutboundCallOutputs",
    servers=("voiceinfraCallsApi",),
    secrets=(VI_SECRET,),
    inputs={"api_key": VI_SECRET, "agent_id": "agent_42", "from_number": "+18005551234", "to_number": "+14155550100"},
    optional_inputs={
        "first_message": "Hi Sarah, it's Max from Acme about your renewal.",
        "context": "Customer tier: gold. Last purchase: annual plan, 2025-11-20.",
        "variables": {"name": "Sarah", "company": "Acme"},
    },
    default_servers={"voiceinfraCallsApi": "https://api.voiceinfra.ai/v1"},
)


def _voiceinfra_api_key_header(outputs: Any, server: ReplayServer) -> None:
    request = server.requests[0]
    assert request.headers["x-api-key"] == VI_SECRET
    assert "authorization" not in request.headers


VOICEINFRA_SCENARIOS = [
    Scenario(
        "voiceinfra",
        "happy_path",
        "happy_path_ends_at_queued_with_the_call_id",
        outputs={"call_id": VI_CALL_ID, "status": "queued"},
        dumped={"callId": VI_CALL_ID, "status": "queued"},
        dumped_exactly=True,
        requests=["POST /calls/outbound"],
        sleeps=[],
        check=_voiceinfra_api_key_header,
    ),
    Scenario(
        "voiceinfra",
        "happy_path",
        "unset_optional_inputs_are_left_out_of_the_body",
        body={"agent_id": "agent_42", "from_number": "+18005551234", "to_number": "+14155550100"},
        omitted=["first_message", "context", "variables"],  # omitted, not sent as null or {}
    ),
    Scenario(
        "voiceinfra",
        "with_options",
        "optional_inputs_are_sent_when_given",
        options=VOICEINFRA.optional_inputs,
        outputs={"call_id": VI_CALL_ID},
        body_has={
            "first_message": VOICEINFRA.optional_inputs["first_message"],
            "context": VOICEINFRA.optional_inputs["context"],
            "variables": {"name": "Sarah", "company": "Acme"},
        },
    ),
]


def _vi(status: int, code: str, message: str) -> ErrorCase:
    def check(e: Any) -> bool:
        inner = e.error.error
        return isinstance(inner, voiceinfra_models.Error) and inner.code == code and inner.message.startswith(message)

    # a POST that queues a call is never re-sent
    return ErrorCase(
        "voiceinfra",
        f"queue_call_{status}",
        "queueCall",
        status,
        "POST",
        "/calls/outbound",
        voiceinfra_models.ErrorResponse,
        check,
        1,
    )


VOICEINFRA_ERRORS = [
    # a 200 that is not queued fails the success criteria; 200 documents no error model
    ErrorCase(
        "voiceinfra",
        "not_queued",
        "queueCall",
        200,
        "POST",
        "/calls/outbound",
        type(None),
        lambda e: '"rejected"' in e.body,
        1,
    ),
    _vi(400, "validation_error", "agent_id is required"),
    _vi(401, "unauthorized", "API key "),
    _vi(404, "not_found", "Agent agent_42 does not exist or is inactive"),
    _vi(422, "invalid_phone", "to_number must be in E.164 format, e.g. +14155550100"),
    _vi(429, "rate_limited", "Too many requests; back off exponentially"),
    _vi(500, "server_error", "Internal server error"),
]

# -- nixflex -------------------------------------------------------------------------------

NX_KEY_ID = "nxf_4b7e19c2"
NX_KEY_SECRET = "nxfs_9d1c5a8e3f6b"
NX_CALL_ID = "CA5f2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
NX_CALL_PATH = f"/v1/calls/{NX_CALL_ID}"
NOT_FOUND_RETRY_LIMIT = 120  # specs/nixflex/arazzo: callNotFinishedYet.retryLimit
RATE_LIMIT_RETRY_LIMIT = 5  # specs/nixflex/arazzo: rateLimited.retryLimit
NIXFLEX = Provider(
    name="nixflex",
    workflow="nixflex_outbound_call",
    outputs="NixflexOutboundCallOutputs",
    servers=("nixflexCallsApi",),
    secrets=(NX_KEY_ID, NX_KEY_SECRET),
    inputs={
        "key_id": NX_KEY_ID,
        "key_secret": NX_KEY_SECRET,
        "agent_id": "agt_nx_31",
        "to_number": "+447386172392",
        "prompt": "Remind {patient_name} of the dentist appointment tomorrow at 10:00.",
    },
    optional_inputs={
        "dynamic_vars": {"patient_name": "Sarah"},
        "from_number": "+442071838750",
        "campaign_id": "cmp_autumn_reminders",
        "metadata": {"crm_id": 7712},
    },
    default_servers={"nixflexCallsApi": "https://api.nixflex.com"},
)


def _nixflex_typed_call(outputs: Any, server: ReplayServer) -> None:
    assert outputs.recording_url is not None and outputs.recording_url.startswith("https://recordings.nixflex.com/")
    assert outputs.transcript is not None and len(outputs.transcript) == 4
    turn = outputs.transcript[1]
    assert isinstance(turn, nixflex_models.TranscriptTurn)
    assert turn.role == "caller" and turn.text == "Oh hi, yes?"
    assert turn.timestamp_ms == 3400 and type(turn.timestamp_ms) is int
    assert server.requests[0].headers["authorization"] == f"Bearer {NX_KEY_ID}:{NX_KEY_SECRET}"


NIXFLEX_SCENARIOS = [
    Scenario(
        "nixflex",
        "happy_path",
        "happy_path_outputs_are_typed",
        outputs={
            "call_id": NX_CALL_ID,
            "ended_reason": "caller_hangup",
            "duration": 87,
            "summary": "Sarah confirmed tomorrow's 10:00 appointment.",
            "cost": 0.14,  # exactly the recorded value, and a float
            # format: date-time: an aware datetime, as models.py types it
            "started_at": dt.datetime(2026, 11, 4, 10, 0, 5, tzinfo=UTC),
            "ended_at": dt.datetime(2026, 11, 4, 10, 1, 32, tzinfo=UTC),
            "voicemail_detected": False,
            "call_successful": True,
            "caller_sentiment": "happy",
            "extracted_data": {"appointment_confirmed": True},
        },
        requests=["POST /v1/calls/outbound", f"GET {NX_CALL_PATH}"],
        sleeps=[],
        check=_nixflex_typed_call,
    ),
    Scenario(
        "nixflex",
        "happy_path",
        "unset_optional_inputs_are_left_out_of_the_body",
        body={
            "agent_id": "agt_nx_31",
            "to_number": "+447386172392",
            "prompt": "Remind {patient_name} of the dentist appointment tomorrow at 10:00.",
        },
        omitted=["dynamic_vars", "from_number", "campaign_id", "metadata"],  # not sent as null or {}
    ),
    Scenario(
        "nixflex",
        "retry_then_rate_limited",
        "not_found_is_retried_after_retry_after_then_429_after_its_header",
        options=NIXFLEX.optional_inputs,
        outputs={"call_id": NX_CALL_ID, "ended_reason": "caller_hangup", "duration": 87},
        # three 404s -> retryAfter 5 each; one 429 with Retry-After: 7 -> the header's 7, not retryAfter 2
        sleeps=[5.0, 5.0, 5.0, 7.0],
        requests=1 + 5,
        body_has={"dynamic_vars": {"patient_name": "Sarah"}},
    ),
    Scenario(
        "nixflex",
        "rate_limited_without_header",
        "429_without_header_waits_the_steps_retry_after",
        outputs={"ended_reason": "caller_hangup"},
        sleeps=[2.0],
        requests=3,
    ),
    Scenario(
        "nixflex",
        "not_found_up_to_limit",
        "not_found_retries_up_to_the_limit_are_allowed",
        outputs={"call_id": NX_CALL_ID},
        sleeps=[5.0] * NOT_FOUND_RETRY_LIMIT,
        requests=["POST /v1/calls/outbound"] + [f"GET {NX_CALL_PATH}"] * (NOT_FOUND_RETRY_LIMIT + 1),
    ),
    Scenario(
        "nixflex",
        "retry_limits_are_separate",
        "each_retry_kind_has_its_own_limit",
        outputs={"call_id": NX_CALL_ID},
        # 120 not-found retries in all (the limit), with the rate-limit retries between them
        sleeps=[5.0] * 60 + [1.0] * RATE_LIMIT_RETRY_LIMIT + [5.0] * 60,
    ),
    Scenario(
        "nixflex",
        "happy_path",
        "outputs_keep_original_names_as_aliases",
        dumped={"endedReason": "caller_hangup", "duration": 87, "callerSentiment": "happy"},
        modes=("sync",),
    ),
]


def _nx(
    cassette: str, step: str, status: int, method: str, path: str, error_type: str, code: str, sent: int
) -> ErrorCase:
    def check(e: Any) -> bool:
        inner = e.error.error
        return (
            isinstance(inner, nixflex_models.Error)
            and inner.type == error_type
            and inner.code == code
            and bool(inner.message)
            and str(inner.doc_url) == f"https://docs.nixflex.com/reference/errors#{code}"
        )

    # POST errors (even a 429 with Retry-After, a 500 or a 502) are never re-sent: a call is never dialled twice.
    return ErrorCase("nixflex", cassette, step, status, method, path, nixflex_models.ErrorResponse, check, sent)


def _nx_exhausted(status: int, code: str, error_type: str, retries: int, wait: float) -> ErrorCase:
    def check(e: Any) -> bool:
        # the message names the criterion that failed and the retries used up
        return (
            e.error.error.code == code
            and e.error.error.type == error_type
            and (e.criterion, e.retries, e.retry_limit) == ("$statusCode == 200", retries, retries)
            and f"failed with HTTP {status}: successCriteria $statusCode == 200 not met after {retries} retries (GET "
            in str(e)
        )

    # exactly retryLimit + 1 reads answered with the status, and exactly retryLimit waits
    return ErrorCase(
        "nixflex",
        f"get_call_{status}_exhausted",
        "getFinishedCall",
        status,
        "GET",
        NX_CALL_PATH,
        nixflex_models.ErrorResponse,
        check,
        1 + retries + 1,
        [wait] * retries,
    )


def _twilio_error(e: Any) -> bool:
    details = e.error.error.details
    return details is not None and details["twilio_error"].startswith("21215")


_nx_502 = _nx(
    "create_call_502", "createCall", 502, "POST", "/v1/calls/outbound", "provider_error", "outbound_failed", 1
)
NIXFLEX_ERRORS = [
    _nx(
        "create_call_400", "createCall", 400, "POST", "/v1/calls/outbound", "invalid_request", "invalid_phone_format", 1
    ),
    _nx(
        "create_call_401", "createCall", 401, "POST", "/v1/calls/outbound", "authentication_error", "invalid_api_key", 1
    ),
    _nx("create_call_403", "createCall", 403, "POST", "/v1/calls/outbound", "permission_error", "agent_not_owned", 1),
    _nx("create_call_404", "createCall", 404, "POST", "/v1/calls/outbound", "not_found", "agent_not_found", 1),
    _nx(
        "create_call_429",
        "createCall",
        429,
        "POST",
        "/v1/calls/outbound",
        "rate_limit_error",
        "concurrent_call_limit",
        1,
    ),
    _nx("create_call_500", "createCall", 500, "POST", "/v1/calls/outbound", "server_error", "internal_error", 1),
    # the outbound_failed error carries the Twilio error
    replace(_nx_502, check=lambda e: _nx_502.check(e) and _twilio_error(e)),
    _nx("get_call_401", "getFinishedCall", 401, "GET", NX_CALL_PATH, "authentication_error", "key_secret_required", 2),
    _nx("get_call_403", "getFinishedCall", 403, "GET", NX_CALL_PATH, "permission_error", "agent_not_owned", 2),
    _nx("get_call_500", "getFinishedCall", 500, "GET", NX_CALL_PATH, "server_error", "internal_error", 2),
    # getCall's 404 and 429 are retried first, up to their retryLimit
    _nx_exhausted(404, "call_not_found", "not_found", NOT_FOUND_RETRY_LIMIT, 5.0),
    _nx_exhausted(
        429, "concurrent_call_limit", "rate_limit_error", RATE_LIMIT_RETRY_LIMIT, 7.0
    ),  # the Retry-After header's 7 s
]
_NX_NOT_FOUND = [
    "getFinishedCall: onFailure action 'callNotFinishedYet': retry {} of at most 120",
    "getFinishedCall: retry in 5 s (the action's retryAfter)",
]
NIXFLEX_DECISIONS = [
    DecisionLog(
        "nixflex",
        "retry_then_rate_limited",
        NIXFLEX.optional_inputs,
        [line.format(n) for n in (1, 2, 3) for line in _NX_NOT_FOUND]
        + [
            "getFinishedCall: onFailure action 'rateLimited': retry 1 of at most 5",
            "getFinishedCall: retry in 7 s (the Retry-After header)",
        ],
    ),
]

# -- callingbox ----------------------------------------------------------------------------

CB_SECRET = "sk_live_8d2f4a6c0e1b3d5f"
CB_AGENT_ID = "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f"
CB_CALL_ID = "3f2c9a1e-8b7d-4c6e-9f10-2a3b4c5d6e7f"
CB_CALL_PATH = f"/v1/calls/{CB_CALL_ID}"
CALLINGBOX = Provider(
    name="callingbox",
    workflow="callingbox_outbound_call",
    outputs="CallingboxOutboundCallOutputs",
    servers=("callingboxCallsApi",),
    secrets=(CB_SECRET,),
    inputs={"api_key": CB_SECRET, "agent_id": CB_AGENT_ID, "to_number": "+15551234567"},
    optional_inputs={
        "from_number": "+15557654321",
        "instructions": "Confirm the patient's appointment tomorrow at 2pm.",
        "context": {"patient": "Maria Lopez", "doctor": "Dr. Chen"},
        "webhook_url": "https://example.com/callingbox-webhook",
        "metadata": {"crm_id": "lead-4471"},
    },
    default_servers={"callingboxCallsApi": "https://api.callingbox.io"},
)
CB_RESULT = {"confirmed": True, "notes": "Will bring insurance card."}


def _callingbox_result_is_a_dict(outputs: Any, server: ReplayServer) -> None:
    assert isinstance(outputs.result, dict) and outputs.result["confirmed"] is True


CALLINGBOX_SCENARIOS = [
    Scenario(
        "callingbox",
        "happy_path",
        "happy_path_outputs_are_typed",
        outputs={
            "call_id": CB_CALL_ID,
            "status": "completed",
            "result": CB_RESULT,
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
        requests=["POST /v1/calls", f"GET {CB_CALL_PATH}", f"GET {CB_CALL_PATH}"],
        sleeps=[],
        check=_callingbox_result_is_a_dict,
    ),
    Scenario(
        "callingbox",
        "happy_path",
        "request_uses_to_and_leaves_unset_optional_inputs_out",
        body={"agent_id": CB_AGENT_ID, "to": "+15551234567"},  # `to`, not `to_number`
        omitted=["from_number", "instructions", "context", "webhook_url", "metadata"],
    ),
    Scenario(
        "callingbox",
        "polls_until_result",
        "polls_until_terminal_then_while_the_result_is_pending",
        options={"poll_interval": 3.0, **CALLINGBOX.optional_inputs},
        outputs={
            "status": "completed",
            "result_status": "completed",
            "result": CB_RESULT,
            "billing_amount_milli_cents": 1850,
        },
        # 4 reads until terminal (queued, ringing, in_progress, completed), then 3 reads
        # until the extraction leaves pending (pending, pending, completed).
        requests=["POST /v1/calls"] + [f"GET {CB_CALL_PATH}"] * 7,
        # 3 waits in pollCallStatus + 2 in waitForResult; none after the last read.
        sleeps=[3.0] * 5,
        body_has={"context": {"patient": "Maria Lopez", "doctor": "Dr. Chen"}},
    ),
    Scenario(
        "callingbox",
        "polls_until_result",
        "default_poll_interval_is_one_second",
        options=CALLINGBOX.optional_inputs,
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
        dumped={"resultStatus": "completed", "billingAmountMilliCents": 1850, "callId": CB_CALL_ID},
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
        callingbox_models.ErrorResponse,
        lambda e: e.error.error.startswith(message),
        sent,  # a 502 on the POST is not re-sent: no call is dialled twice
        sleeps,
    )


CALLINGBOX_ERRORS = [
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
    _cb("poll_call_status_400", "pollCallStatus", 400, "GET", CB_CALL_PATH, "id must be a valid UUID", 3, [1.0]),
    _cb("poll_call_status_401", "pollCallStatus", 401, "GET", CB_CALL_PATH, "invalid API key", 3, [1.0]),
    _cb("poll_call_status_404", "pollCallStatus", 404, "GET", CB_CALL_PATH, f"call {CB_CALL_ID} not found", 3, [1.0]),
    _cb("wait_for_result_400", "waitForResult", 400, "GET", CB_CALL_PATH, "id must be a valid UUID", 3, []),
    _cb("wait_for_result_401", "waitForResult", 401, "GET", CB_CALL_PATH, "invalid API key", 3, []),
    _cb("wait_for_result_404", "waitForResult", 404, "GET", CB_CALL_PATH, f"call {CB_CALL_ID} not found", 3, []),
]
CALLINGBOX_TIMEOUTS = [
    # the fifth wait would pass the deadline
    TimeoutCase("callingbox", "never_ends", "pollCallStatus", {"timeout": 5.0, "poll_interval": 1.0}, 1 + 5, [1.0] * 4),
]

# -- the tables ----------------------------------------------------------------------------

PROVIDERS = {p.name: p for p in (VAPI, AGENTPHONE, VOICEINFRA, NIXFLEX, CALLINGBOX)}
SCENARIOS = VAPI_SCENARIOS + AGENTPHONE_SCENARIOS + VOICEINFRA_SCENARIOS + NIXFLEX_SCENARIOS + CALLINGBOX_SCENARIOS
ERRORS = VAPI_ERRORS + AGENTPHONE_ERRORS + VOICEINFRA_ERRORS + NIXFLEX_ERRORS + CALLINGBOX_ERRORS
TIMEOUTS = VAPI_TIMEOUTS + CALLINGBOX_TIMEOUTS
DECISION_LOGS = AGENTPHONE_DECISIONS + NIXFLEX_DECISIONS
EACH_PROVIDER = pytest.mark.parametrize("provider", list(PROVIDERS.values()), ids=list(PROVIDERS))


@pytest.mark.parametrize("case, mode", cases_for(SCENARIOS, label=lambda s: s.test))
def test_scenario(replay: Replay, case: Scenario, mode: Mode, caplog: pytest.LogCaptureFixture) -> None:
    provider = PROVIDERS[case.provider]
    server = replay(f"{provider.name}/{case.cassette}")
    sleep = SleepRecorder()
    with caplog.at_level(logging.WARNING):
        outputs = provider.run(mode, server, sleep, **case.options)

    assert isinstance(outputs, provider.outputs_model())
    assert_outputs(outputs, case.outputs)
    if case.dumped or case.dumped_keys is not None:
        dumped = outputs.model_dump(by_alias=True)
        if case.dumped_exactly:
            assert dumped == case.dumped
        for name, value in case.dumped.items():
            assert dumped[name] == value, name
        if case.dumped_keys is not None:
            assert set(dumped) == case.dumped_keys
    if isinstance(case.requests, int):
        assert len(server.requests) == case.requests
    elif case.requests is not None:
        assert request_lines(server) == list(case.requests)
    if case.methods is not None:
        assert [r.method for r in server.requests] == list(case.methods)
    if case.body is not None or case.body_has or case.omitted:
        body = server.requests[0].json()
        if case.body is not None:
            assert body == case.body
        for name, value in case.body_has.items():
            assert body[name] == value, name
        for name in case.omitted:
            assert name not in body  # omitted, not sent as null
    if case.sleeps is not None:
        assert sleep.calls == list(case.sleeps)
    if case.warning is not None:
        assert any(case.warning in r.getMessage() for r in caplog.records)
    if case.check is not None:
        case.check(outputs, server)


@pytest.mark.parametrize("case, mode", cases_for(ERRORS, label=lambda e: e.cassette))
def test_documented_error_raises_step_failed_with_typed_error(replay: Replay, case: ErrorCase, mode: Mode) -> None:
    provider = PROVIDERS[case.provider]
    server = replay(f"{provider.name}/{case.cassette}")
    sleep = SleepRecorder()
    with pytest.raises(provider.package.StepFailed) as caught:
        provider.run(mode, server, sleep)
    error = caught.value
    assert isinstance(error, provider.package.WorkflowError)
    assert error.step_id == case.step
    assert error.status_code == case.status
    assert error.method == case.method
    assert error.url == f"{server.url}{case.path}"
    assert isinstance(error.error, case.model), error.error
    assert case.check(error)
    if error.error is not None:
        provider.assert_no_secret(error.error.model_dump_json())  # the parsed model is scrubbed too
    assert case.step in str(error) and str(case.status) in str(error)
    provider.assert_no_secret(str(error), repr(error), error.body, error.url)
    # only a 429 on a GET (and a retry action) sends again; a failed POST is never re-sent
    assert len(server.requests) == case.sent
    assert sleep.calls == list(case.sleeps)  # a 429's Retry-After, a retry action's retryAfter


@pytest.mark.parametrize("case, mode", cases_for(TIMEOUTS, label=lambda t: t.cassette))
def test_a_call_that_never_ends_times_out_without_waiting(replay: Replay, case: TimeoutCase, mode: Mode) -> None:
    provider = PROVIDERS[case.provider]
    server = replay(f"{provider.name}/{case.cassette}")
    sleep = SleepRecorder()
    with pytest.raises(provider.package.WorkflowTimeout) as caught:
        provider.run(mode, server, sleep, **case.options)
    assert caught.value.step_id == case.step
    assert isinstance(caught.value, provider.package.WorkflowError)
    assert len(server.requests) == case.sent
    assert sleep.calls == list(case.sleeps)
    provider.assert_no_secret(str(caught.value), repr(caught.value))


@pytest.mark.parametrize("case, mode", cases_for(DECISION_LOGS, label=lambda d: d.cassette))
def test_debug_log_records_each_decision_with_the_spec_names(
    replay: Replay, case: DecisionLog, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    provider = PROVIDERS[case.provider]
    logger = f"generated.{provider.name}"
    with caplog.at_level(logging.DEBUG, logger=logger):
        provider.run(mode, replay(f"{provider.name}/{case.cassette}"), SleepRecorder(), **case.options)
    records = decision_records(caplog)
    assert all(r.levelno == logging.DEBUG and r.name == logger for r in records)
    assert [r.getMessage() for r in records] == list(case.messages)
    provider.assert_no_secret(*(r.getMessage() for r in caplog.records))


@EACH_PROVIDER
def test_signature_follows_the_contract(provider: Provider) -> None:
    params = inspect.signature(provider.function("sync")).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[: len(provider.inputs)] == list(provider.inputs)
    for name in provider.optional_inputs:
        assert params[name].default is None
    for name, default in provider.defaults.items():
        assert params[name].default == default
    for option in OPTIONS:
        assert option in params
    assert list(inspect.signature(provider.function("async")).parameters) == list(params)


@EACH_PROVIDER
def test_default_server_is_the_real_api(provider: Provider) -> None:
    workflows = __import__(f"generated.{provider.name}.workflows", fromlist=["SERVERS"])
    assert workflows.SERVERS == provider.default_servers


@EACH_PROVIDER
def test_a_given_client_is_reused_and_left_open(replay: Replay, provider: Provider) -> None:
    server = replay(f"{provider.name}/happy_path")
    with httpx.Client() as client:
        provider.run("sync", server, SleepRecorder(), client=client)
        assert not client.is_closed


@EACH_PROVIDER
def test_unknown_server_name_is_rejected(provider: Provider) -> None:
    with pytest.raises(ValueError, match="unknown server 'nope'"):
        provider.function("sync")(**provider.inputs, servers={"nope": "http://127.0.0.1:9"}, sleep=SleepRecorder())
