"""AgentPhone: POST /v1/calls, poll GET /v1/calls/{call_id} until a terminal status
(completed, failed, busy, no-answer), then GET /v1/calls/{call_id}/transcript.

The agentphone rows of the provider harness (tests/providers/test_providers.py runs them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generated.agentphone import models
from tests.providers.harness import DecisionLog, ErrorCase, Provider, Scenario, TimeoutCase
from tests.replay import ReplayServer

UTC = dt.UTC

SECRET = "ap_live_3c9f1e7d5b2a4d6f"
CALL_ID = "call_9a8b7c6d"
CALL_PATH = f"/v1/calls/{CALL_ID}"
PROVIDER = Provider(
    name="agentphone",
    workflow="agentphone_outbound_call",
    outputs="AgentphoneOutboundCallOutputs",
    servers=("agentphoneCallsApi",),
    secrets=(SECRET,),
    inputs={"api_key": SECRET, "agent_id": "agt_7f3c2a", "to_number": "+14155550199"},
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
    assert isinstance(transcript, models.CallTranscript)
    assert transcript.transcripts is not None and len(transcript.transcripts) == 2
    first, second = transcript.transcripts
    assert isinstance(first, models.TranscriptTurn)
    assert first.id == "tt_1"
    assert first.transcript == "Hello?"
    assert first.response == "Hi Maria, this is Ava from Acme Dental."
    assert first.createdAt == dt.datetime(2026, 11, 2, 15, 4, 12, tzinfo=UTC)
    assert second.response is None


def _agentphone_two_turns(outputs: Any, server: ReplayServer) -> None:
    assert outputs.transcript.transcripts is not None and len(outputs.transcript.transcripts) == 2


def _agentphone_no_turns(outputs: Any, server: ReplayServer) -> None:
    assert outputs.transcript.transcripts == []


SCENARIOS = [
    Scenario(
        "agentphone",
        "happy_path",
        "happy_path_outputs_are_typed",
        outputs={
            "call_id": CALL_ID,
            "status": "completed",
            # format: date-time: an aware datetime, as models.py types it
            "started_at": dt.datetime(2026, 11, 2, 15, 4, 5, tzinfo=UTC),
            "ended_at": dt.datetime(2026, 11, 2, 15, 5, 47, tzinfo=UTC),
            "duration_seconds": 102,
            "recording_url": "https://recordings.agentphone.ai/call_9a8b7c6d.wav",
        },
        requests=["POST /v1/calls", f"GET {CALL_PATH}", f"GET {CALL_PATH}/transcript"],
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
        options={"poll_interval": 2.5, **PROVIDER.optional_inputs},
        outputs={"status": "completed", "duration_seconds": 102},
        # ringing, in-progress, in-progress, completed: three waits, none after the terminal read.
        requests=["POST /v1/calls"] + [f"GET {CALL_PATH}"] * 4 + [f"GET {CALL_PATH}/transcript"],
        sleeps=[2.5, 2.5, 2.5],
        body_has={"variables": {"name": "Maria", "slot": "Tuesday 2pm"}},
        check=_agentphone_two_turns,
    ),
    Scenario(
        "agentphone",
        "polls_until_terminal",
        "default_poll_interval_is_one_second",
        options=PROVIDER.optional_inputs,
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


ErrorDetail, HTTPValidationError = models.ErrorDetail, models.HTTPValidationError
ERRORS = [
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
        CALL_PATH,
        ErrorDetail,
        lambda e: e.error.detail.startswith("Invalid API key"),
        2,
    ),
    _ap(
        "poll_call_404",
        "pollCall",
        404,
        "GET",
        CALL_PATH,
        ErrorDetail,
        lambda e: e.error.detail == f"Call {CALL_ID} not found",
        2,
    ),
    _ap(
        "poll_call_422",
        "pollCall",
        422,
        "GET",
        CALL_PATH,
        HTTPValidationError,
        lambda e: e.error.detail[0].loc == ["path", "call_id"],
        2,
    ),
    _ap(
        "poll_call_429",
        "pollCall",
        429,
        "GET",
        CALL_PATH,
        ErrorDetail,
        lambda e: e.error.message.startswith("Rate limit exceeded"),
        2 + 3,  # a 429 on a GET is retried 3 times
    ),
    _ap(
        "get_transcript_401",
        "getTranscript",
        401,
        "GET",
        f"{CALL_PATH}/transcript",
        ErrorDetail,
        lambda e: e.error.detail.startswith("Invalid API key"),
        3,
    ),
    _ap(
        "get_transcript_404",
        "getTranscript",
        404,
        "GET",
        f"{CALL_PATH}/transcript",
        ErrorDetail,
        lambda e: e.error.detail == f"Transcript for call {CALL_ID} not found",
        3,
    ),
    _ap(
        "get_transcript_422",
        "getTranscript",
        422,
        "GET",
        f"{CALL_PATH}/transcript",
        HTTPValidationError,
        lambda e: e.error.detail[0].msg.startswith("String should match pattern"),
        3,
    ),
    _ap(
        "get_transcript_429",
        "getTranscript",
        429,
        "GET",
        f"{CALL_PATH}/transcript",
        ErrorDetail,
        lambda e: e.error.message.startswith("Rate limit exceeded"),
        3 + 3,  # a 429 on a GET is retried 3 times
    ),
]
DECISIONS = [
    DecisionLog(
        "agentphone",
        "polls_until_terminal",
        {"poll_interval": 2.5, **PROVIDER.optional_inputs},
        [
            "pollCall: onSuccess action 'callStillActive': goto pollCall",
            "pollCall: next attempt in 2.5 s (the poll_interval option)",
        ]
        * 3,
    ),
]

TIMEOUTS: list[TimeoutCase] = []
