"""Vapi: create an assistant, a phone number and a call, then poll the call until it ended.

The vapi rows of the provider harness (tests/providers/test_providers.py runs them).
"""

from __future__ import annotations

import pytest

from tests.providers.harness import DecisionLog, ErrorCase, Provider, Scenario, TimeoutCase

PROVIDER = Provider(
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

SCENARIOS = [
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
ERRORS = [
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
TIMEOUTS = [
    # the fifth sleep would pass the deadline
    TimeoutCase("vapi", "never_ends", "pollCall", {"timeout": 5.0, "poll_interval": 1.0}, 3 + 5, [1.0] * 4),
]

DECISIONS: list[DecisionLog] = []
