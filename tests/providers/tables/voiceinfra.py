"""VoiceInfra: POST /v1/calls/outbound with the X-API-Key header.  VoiceInfra has no
endpoint to read a call, so the workflow ends at ``queued`` with the call id; the outcome
arrives later as the ``call.completed`` webhook (test_voiceinfra_webhook_model.py,
test_voiceinfra_events.py).

The voiceinfra rows of the provider harness (tests/providers/test_providers.py runs them).
"""

from __future__ import annotations

from typing import Any

from generated.voiceinfra import models
from tests.providers.harness import DecisionLog, ErrorCase, Provider, Scenario, TimeoutCase
from tests.replay import ReplayServer

SECRET = "vi_key_6e2b9f1d4c7a"
CALL_ID = "vcall_8f3e2d1c"
PROVIDER = Provider(
    name="voiceinfra",
    workflow="voiceinfra_outbound_call",
    outputs="VoiceinfraOutboundCallOutputs",
    servers=("voiceinfraCallsApi",),
    secrets=(SECRET,),
    inputs={"api_key": SECRET, "agent_id": "agent_42", "from_number": "+18005551234", "to_number": "+14155550100"},
    optional_inputs={
        "first_message": "Hi Sarah, it's Max from Acme about your renewal.",
        "context": "Customer tier: gold. Last purchase: annual plan, 2025-11-20.",
        "variables": {"name": "Sarah", "company": "Acme"},
    },
    default_servers={"voiceinfraCallsApi": "https://api.voiceinfra.ai/v1"},
)


def _voiceinfra_api_key_header(outputs: Any, server: ReplayServer) -> None:
    request = server.requests[0]
    assert request.headers["x-api-key"] == SECRET
    assert "authorization" not in request.headers


SCENARIOS = [
    Scenario(
        "voiceinfra",
        "happy_path",
        "happy_path_ends_at_queued_with_the_call_id",
        outputs={"call_id": CALL_ID, "status": "queued"},
        dumped={"callId": CALL_ID, "status": "queued"},
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
        options=PROVIDER.optional_inputs,
        outputs={"call_id": CALL_ID},
        body_has={
            "first_message": PROVIDER.optional_inputs["first_message"],
            "context": PROVIDER.optional_inputs["context"],
            "variables": {"name": "Sarah", "company": "Acme"},
        },
    ),
]


def _vi(status: int, code: str, message: str) -> ErrorCase:
    def check(e: Any) -> bool:
        inner = e.error.error
        return isinstance(inner, models.Error) and inner.code == code and inner.message.startswith(message)

    # a POST that queues a call is never re-sent
    return ErrorCase(
        "voiceinfra",
        f"queue_call_{status}",
        "queueCall",
        status,
        "POST",
        "/calls/outbound",
        models.ErrorResponse,
        check,
        1,
    )


ERRORS = [
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

TIMEOUTS: list[TimeoutCase] = []
DECISIONS: list[DecisionLog] = []
