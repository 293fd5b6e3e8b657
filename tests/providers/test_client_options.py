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

def loopback_only(request: httpx.Request) -> None:
    """A request hook: nothing leaves 127.0.0.1 (the spec's server is api.vapi.ai)."""
    assert request.url.host == "127.0.0.1", f"a request to {request.url.host} (not the client's base_url)"


async def aloopback_only(request: httpx.Request) -> None:
    loopback_only(request)


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
    with httpx.Client(base_url=server.url, timeout=TIMEOUT, event_hooks={"request": [loopback_only]}) as client:
        outputs = vapi.assistant_phone_outbound_call(**VAPI_INPUTS, client=client, sleep=SleepRecorder())
    assert outputs.call_status == "ended"
    assert [r.path for r in server.requests][:3] == ["/assistant", "/phone-number", "/call"]
    assert len(server.requests) == 7
    # servers= wins over base_url, source by source
    other = replay("vapi/happy_path")
    servers = {"assistantsApi": other.url, "phoneNumbersApi": other.url, "callsApi": other.url}
    with httpx.Client(base_url=server.url, timeout=TIMEOUT, event_hooks={"request": [loopback_only]}) as client:
        vapi.assistant_phone_outbound_call(**VAPI_INPUTS, client=client, servers=servers, sleep=SleepRecorder())
    assert len(other.requests) == 7 and len(server.requests) == 7


def test_vapi_async_requests_go_to_the_clients_base_url(replay: Replay) -> None:
    server = replay("vapi/happy_path")

    async def main() -> vapi.AssistantPhoneOutboundCallOutputs:
        async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT, event_hooks={"request": [aloopback_only]}) as client:
            return await vapi.assistant_phone_outbound_call_async(**VAPI_INPUTS, client=client, sleep=SleepRecorder().asleep)

    outputs = asyncio.run(main())
    assert outputs.call_status == "ended"
    assert len(server.requests) == 7


NIXFLEX_KEY_SECRET = "nxfs_9d1c5a8e3f6b"
NIXFLEX_INPUTS: dict[str, Any] = {
    "key_id": "nxf_4b7e19c2",
    "key_secret": NIXFLEX_KEY_SECRET,
    "agent_id": "agt_nx_31",
    "to_number": "+447386172392",
    "prompt": "Remind Sarah of the dentist appointment tomorrow at 10:00.",
}
CALLINGBOX_SECRET = "sk_live_8d2f4a6c0e1b3d5f"
CALLINGBOX_INPUTS: dict[str, Any] = {
    "api_key": CALLINGBOX_SECRET,
    "agent_id": "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f",
    "to_number": "+15551234567",
}


def run_nixflex(mode: str, server: ReplayServer, **inputs: Any) -> object:
    kwargs = {**NIXFLEX_INPUTS, **inputs, "servers": {"nixflexCallsApi": server.url}}
    if mode == "sync":
        return nixflex.nixflex_outbound_call(**kwargs, sleep=SleepRecorder())
    return asyncio.run(nixflex.nixflex_outbound_call_async(**kwargs, sleep=SleepRecorder().asleep))


def run_callingbox(mode: str, server: ReplayServer, **inputs: Any) -> object:
    kwargs = {**CALLINGBOX_INPUTS, **inputs, "servers": {"callingboxCallsApi": server.url}}
    if mode == "sync":
        return callingbox.callingbox_outbound_call(**kwargs, sleep=SleepRecorder())
    return asyncio.run(callingbox.callingbox_outbound_call_async(**kwargs, sleep=SleepRecorder().asleep))


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
@pytest.mark.parametrize(
    ("inputs", "name", "argument", "words"),
    [
        ({"to_number": "07386 172392"}, "toNumber", "to_number", "does not match the pattern ^\\+[1-9]\\d{1,14}$"),
        ({"to_number": "+447386172392\n"}, "toNumber", "to_number", "does not match the pattern"),  # ECMA $: the end
        ({"to_number": "+٤٤٧٣٨٦١٧٢٣٩٢"}, "toNumber", "to_number", "does not match the pattern"),  # ECMA \d: ASCII
        ({"from_number": "not a number"}, "fromNumber", "from_number", "does not match the pattern"),
        ({"prompt": ""}, "prompt", "prompt", "is shorter than 1 character"),
        ({"dynamic_vars": {"patient_name": 7}}, "dynamicVars", "dynamic_vars", "at /patient_name: expected a string, got int"),
        ({"agent_id": None}, "agentId", "agent_id", "expected a string, got None"),
    ],
)
def test_nixflex_invalid_input_never_reaches_the_provider(replay: Replay, mode: str, inputs: dict[str, Any], name: str, argument: str, words: str) -> None:
    server = replay("nixflex/happy_path")
    server.expect_unconsumed()
    with pytest.raises(nixflex.InvalidInput) as caught:
        run_nixflex(mode, server, **inputs)
    assert server.requests == []
    error = caught.value
    assert isinstance(error, nixflex.WorkflowError) and isinstance(error, ValueError)
    assert (error.input_name, error.argument) == (name, argument)
    assert f"input {name!r} (argument {argument}) {words}" in str(error)
    assert NIXFLEX_KEY_SECRET not in str(error)


def test_nixflex_every_invalid_input_is_named_at_once(replay: Replay) -> None:
    server = replay("nixflex/happy_path")
    server.expect_unconsumed()
    with pytest.raises(nixflex.InvalidInput) as caught:
        run_nixflex("sync", server, to_number="+0", prompt="", key_secret=12345)
    assert [p[:2] for p in caught.value.problems] == [("keySecret", "key_secret"), ("toNumber", "to_number"), ("prompt", "prompt")]
    assert "12345" not in str(caught.value)  # values are never quoted (a secret may be one)
    assert server.requests == []


@MODES
@pytest.mark.parametrize(
    ("inputs", "name", "words"),
    [
        ({"agent_id": "agent-7"}, "agentId", "is not a valid uuid"),
        ({"to_number": "+1 555 123 4567"}, "toNumber", "does not match the pattern"),
        ({"webhook_url": "not a url"}, "webhookUrl", "is not a valid uri"),
        ({"context": ["not", "an", "object"]}, "context", "expected an object, got list"),
    ],
)
def test_callingbox_invalid_input_never_reaches_the_provider(replay: Replay, mode: str, inputs: dict[str, Any], name: str, words: str) -> None:
    server = replay("callingbox/happy_path")
    server.expect_unconsumed()
    with pytest.raises(callingbox.InvalidInput) as caught:
        run_callingbox(mode, server, **inputs)
    assert server.requests == []
    assert caught.value.input_name == name
    assert words in str(caught.value)
    assert CALLINGBOX_SECRET not in str(caught.value)

