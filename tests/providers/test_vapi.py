"""The generated Vapi client against recorded exchanges served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from generated.vapi import (
    AssistantPhoneOutboundCallOutputs,
    StepFailed,
    WorkflowError,
    WorkflowTimeout,
    assistant_phone_outbound_call,
    assistant_phone_outbound_call_async,
)
from tests.replay import ReplayServer, SleepRecorder

SECRET = "vapi-secret-token-123"
INPUTS: dict[str, Any] = {
    "api_token": SECRET,
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}


def servers_for(server: ReplayServer) -> dict[str, str]:
    return {"assistantsApi": server.url, "phoneNumbersApi": server.url, "callsApi": server.url}


def run_sync(server: ReplayServer, sleep: SleepRecorder, **options: Any) -> AssistantPhoneOutboundCallOutputs:
    return assistant_phone_outbound_call(**INPUTS, servers=servers_for(server), sleep=sleep, **options)


def run_async(server: ReplayServer, sleep: SleepRecorder, **options: Any) -> AssistantPhoneOutboundCallOutputs:
    return asyncio.run(assistant_phone_outbound_call_async(**INPUTS, servers=servers_for(server), sleep=sleep.asleep, **options))


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])


@RUNNERS
def test_happy_path_polls_until_ended(replay: Callable[[str], ReplayServer], run: Any) -> None:
    server = replay("vapi/happy_path")
    sleep = SleepRecorder()
    outputs = run(server, sleep, poll_interval=2.5)
    assert outputs.assistant_id == "asst_1"
    assert outputs.phone_number_id == "pn_1"
    assert outputs.call_id == "call_1"
    assert outputs.call_status == "ended"
    assert outputs.ended_reason == "customer-ended-call"
    assert outputs.cost == pytest.approx(0.42)
    # 3 creates + 4 polls; one sleep between polls, none after the call ended.
    assert len(server.requests) == 7
    assert [r.method for r in server.requests] == ["POST", "POST", "POST", "GET", "GET", "GET", "GET"]
    assert sleep.calls == [2.5, 2.5, 2.5]


def test_default_poll_interval_is_one_second(replay: Callable[[str], ReplayServer]) -> None:
    server = replay("vapi/happy_path")
    sleep = SleepRecorder()
    run_sync(server, sleep)
    assert sleep.calls == [1.0, 1.0, 1.0]


def test_outputs_keep_original_names_as_aliases(replay: Callable[[str], ReplayServer]) -> None:
    outputs = run_sync(replay("vapi/happy_path"), SleepRecorder())
    dumped = outputs.model_dump(by_alias=True)
    assert dumped["callStatus"] == "ended"
    assert dumped["endedReason"] == "customer-ended-call"


@RUNNERS
def test_create_call_400_raises_step_failed(replay: Callable[[str], ReplayServer], run: Any) -> None:
    server = replay("vapi/create_call_400")
    with pytest.raises(StepFailed) as caught:
        run(server, SleepRecorder())
    error = caught.value
    assert error.step_id == "createCall"
    assert error.status_code == 400
    assert error.method == "POST"
    assert error.url == f"{server.url}/call"
    assert "E.164" in error.body
    assert "createCall" in str(error) and "400" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert isinstance(error, WorkflowError)
    assert len(server.requests) == 3  # a failed POST is never sent again


@RUNNERS
def test_call_that_never_ends_times_out_without_waiting(replay: Callable[[str], ReplayServer], run: Any) -> None:
    server = replay("vapi/never_ends")
    sleep = SleepRecorder()
    with pytest.raises(WorkflowTimeout) as caught:
        run(server, sleep, timeout=5.0, poll_interval=1.0)
    assert caught.value.step_id == "pollCall"
    assert len(server.requests) == 3 + 5
    assert sleep.calls == [1.0, 1.0, 1.0, 1.0]  # the fifth sleep would pass the deadline


def test_unlisted_enum_value_is_kept_with_a_warning(replay: Callable[[str], ReplayServer], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        outputs = run_sync(replay("vapi/new_status_value"), SleepRecorder())
    assert outputs.ended_reason == "brand-new-reason-2027"
    assert outputs.call_status == "ended"
    assert any("keeping values" in r.getMessage() for r in caplog.records)


def test_a_given_client_is_reused_and_left_open(replay: Callable[[str], ReplayServer]) -> None:
    server = replay("vapi/happy_path")
    with httpx.Client() as client:
        run_sync(server, SleepRecorder(), client=client)
        assert not client.is_closed


def test_unknown_server_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown server 'nope'"):
        assistant_phone_outbound_call(**INPUTS, servers={"nope": "http://127.0.0.1:9"}, sleep=SleepRecorder())


def test_signature_follows_the_contract() -> None:
    import inspect

    params = inspect.signature(assistant_phone_outbound_call).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[:5] == ["api_token", "name", "first_message", "system_prompt", "customer_number"]
    assert params["area_code"].default == "415"
    for option in ("client", "servers", "poll_interval", "timeout", "sleep"):
        assert option in params
