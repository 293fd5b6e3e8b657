"""Nixflex: POST /v1/calls/outbound (201, ``call_id``), then GET /v1/calls/{call_id}.
The record only exists once the call has ended, so a 404 ``call_not_found`` is retried
(onFailure retry, retryAfter 5, retryLimit 120) and a 429 is retried after its
Retry-After header, or the step's retryAfter 2 without one (retryLimit 5).

The nixflex rows of the provider harness (tests/providers/test_providers.py runs them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from generated.nixflex import models
from tests.providers.harness import DecisionLog, ErrorCase, Provider, Scenario, TimeoutCase
from tests.replay import ReplayServer

UTC = dt.UTC

KEY_ID = "nxf_4b7e19c2"
KEY_SECRET = "nxfs_9d1c5a8e3f6b"
CALL_ID = "CA5f2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
CALL_PATH = f"/v1/calls/{CALL_ID}"
NOT_FOUND_RETRY_LIMIT = 120  # specs/nixflex/arazzo: callNotFinishedYet.retryLimit
RATE_LIMIT_RETRY_LIMIT = 5  # specs/nixflex/arazzo: rateLimited.retryLimit
PROVIDER = Provider(
    name="nixflex",
    workflow="nixflex_outbound_call",
    outputs="NixflexOutboundCallOutputs",
    servers=("nixflexCallsApi",),
    secrets=(KEY_ID, KEY_SECRET),
    inputs={
        "key_id": KEY_ID,
        "key_secret": KEY_SECRET,
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
    assert isinstance(turn, models.TranscriptTurn)
    assert turn.role == "caller" and turn.text == "Oh hi, yes?"
    assert turn.timestamp_ms == 3400 and type(turn.timestamp_ms) is int
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY_ID}:{KEY_SECRET}"


SCENARIOS = [
    Scenario(
        "nixflex",
        "happy_path",
        "happy_path_outputs_are_typed",
        outputs={
            "call_id": CALL_ID,
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
        requests=["POST /v1/calls/outbound", f"GET {CALL_PATH}"],
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
        options=PROVIDER.optional_inputs,
        outputs={"call_id": CALL_ID, "ended_reason": "caller_hangup", "duration": 87},
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
        outputs={"call_id": CALL_ID},
        sleeps=[5.0] * NOT_FOUND_RETRY_LIMIT,
        requests=["POST /v1/calls/outbound"] + [f"GET {CALL_PATH}"] * (NOT_FOUND_RETRY_LIMIT + 1),
    ),
    Scenario(
        "nixflex",
        "retry_limits_are_separate",
        "each_retry_kind_has_its_own_limit",
        outputs={"call_id": CALL_ID},
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
            isinstance(inner, models.Error)
            and inner.type == error_type
            and inner.code == code
            and bool(inner.message)
            and str(inner.doc_url) == f"https://docs.nixflex.com/reference/errors#{code}"
        )

    # POST errors (even a 429 with Retry-After, a 500 or a 502) are never re-sent: a call is never dialled twice.
    return ErrorCase("nixflex", cassette, step, status, method, path, models.ErrorResponse, check, sent)


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
        CALL_PATH,
        models.ErrorResponse,
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
ERRORS = [
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
    _nx("get_call_401", "getFinishedCall", 401, "GET", CALL_PATH, "authentication_error", "key_secret_required", 2),
    _nx("get_call_403", "getFinishedCall", 403, "GET", CALL_PATH, "permission_error", "agent_not_owned", 2),
    _nx("get_call_500", "getFinishedCall", 500, "GET", CALL_PATH, "server_error", "internal_error", 2),
    # getCall's 404 and 429 are retried first, up to their retryLimit
    _nx_exhausted(404, "call_not_found", "not_found", NOT_FOUND_RETRY_LIMIT, 5.0),
    _nx_exhausted(
        429, "concurrent_call_limit", "rate_limit_error", RATE_LIMIT_RETRY_LIMIT, 7.0
    ),  # the Retry-After header's 7 s
]
_NOT_FOUND = [
    "getFinishedCall: onFailure action 'callNotFinishedYet': retry {} of at most 120",
    "getFinishedCall: retry in 5 s (the action's retryAfter)",
]
DECISIONS = [
    DecisionLog(
        "nixflex",
        "retry_then_rate_limited",
        PROVIDER.optional_inputs,
        [line.format(n) for n in (1, 2, 3) for line in _NOT_FOUND]
        + [
            "getFinishedCall: onFailure action 'rateLimited': retry 1 of at most 5",
            "getFinishedCall: retry in 7 s (the Retry-After header)",
        ],
    ),
]

TIMEOUTS: list[TimeoutCase] = []
