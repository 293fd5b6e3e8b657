"""The generated clients' caller options and input checks, against recorded exchanges
served on 127.0.0.1: a caller's ``client`` with a ``base_url`` (and no ``servers=``)
is where the requests go; an input the inputs schema rejects raises InvalidInput
before any request reaches the provider."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from generated import callingbox, nixflex, vapi
from tests.replay import ReplayServer, SleepRecorder

Replay = Callable[[str], ReplayServer]
TIMEOUT = 10.0

VAPI_INPUTS: dict[str, Any] = {
    "api_token": "vapi-secret-token-123",
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}


def test_vapi_sync_requests_go_to_the_clients_base_url(replay: Replay) -> None:
    # Vapi's three sources share one server (https://api.vapi.ai): base_url is that server.
    server = replay("vapi/happy_path")
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        outputs = vapi.assistant_phone_outbound_call(**VAPI_INPUTS, client=client, sleep=SleepRecorder())
    assert outputs.call_status == "ended"
    assert [r.path for r in server.requests][:3] == ["/assistant", "/phone-number", "/call"]
    assert len(server.requests) == 7


def test_vapi_async_requests_go_to_the_clients_base_url(replay: Replay) -> None:
    server = replay("vapi/happy_path")

    async def main() -> vapi.AssistantPhoneOutboundCallOutputs:
        async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as client:
            return await vapi.assistant_phone_outbound_call_async(**VAPI_INPUTS, client=client, sleep=SleepRecorder().asleep)

    outputs = asyncio.run(main())
    assert outputs.call_status == "ended"
    assert len(server.requests) == 7


def test_vapi_servers_option_wins_over_base_url(replay: Replay) -> None:
    server = replay("vapi/happy_path")
    servers = {"assistantsApi": server.url, "phoneNumbersApi": server.url, "callsApi": server.url}
    with httpx.Client(base_url="http://127.0.0.1:9/nowhere", timeout=TIMEOUT) as client:
        outputs = vapi.assistant_phone_outbound_call(**VAPI_INPUTS, client=client, servers=servers, sleep=SleepRecorder())
    assert outputs.call_status == "ended"
