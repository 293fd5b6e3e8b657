"""The generated code against a faulty network (served on 127.0.0.1 by the replay server).

Every scenario runs the generated Vapi workflow, sync and async, against a cassette
in tests/cassettes/faults/ (built from the Vapi happy path): connections reset after
the request, servers that stall past the timeout, 502/503/504, Retry-After, and
bodies that are not the documented JSON.  Sleeps go through a recorder, so retries
and backoff cost no real time; the stall tests measure real time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from generated.vapi import (
    AssistantPhoneOutboundCallOutputs,
    StepFailed,
    WorkflowError,
    WorkflowTimeout,
    _runtime,
    assistant_phone_outbound_call,
    assistant_phone_outbound_call_async,
)
from tests.replay import ReplayServer, SleepRecorder

Replay = Callable[[str], ReplayServer]

SECRET = "vapi-secret-token-123"
INPUTS: dict[str, Any] = {
    "api_token": SECRET,
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}
#: Range of the n-th backoff (0-based): TRANSPORT_BACKOFF * 2**n with +-25 % jitter.
BACKOFF = [(0.375 * 2**n, 0.625 * 2**n) for n in range(3)]


def servers_for(url: str) -> dict[str, str]:
    return {"assistantsApi": url, "phoneNumbersApi": url, "callsApi": url}


def run_sync(
    url: str, sleep: SleepRecorder, client_timeout: float | None = None, **options: Any
) -> AssistantPhoneOutboundCallOutputs:
    """Run the sync workflow; with ``client_timeout``, through a caller's client with that timeout."""
    if client_timeout is None:
        return assistant_phone_outbound_call(
            **INPUTS, servers=servers_for(url), sleep=sleep, **options
        )
    with httpx.Client(timeout=client_timeout) as client:
        return assistant_phone_outbound_call(
            **INPUTS, servers=servers_for(url), sleep=sleep, client=client, **options
        )


def run_async(
    url: str, sleep: SleepRecorder, client_timeout: float | None = None, **options: Any
) -> AssistantPhoneOutboundCallOutputs:
    """The same through the async twin."""

    async def main() -> AssistantPhoneOutboundCallOutputs:
        if client_timeout is None:
            return await assistant_phone_outbound_call_async(
                **INPUTS, servers=servers_for(url), sleep=sleep.asleep, **options
            )
        async with httpx.AsyncClient(timeout=client_timeout) as client:
            return await assistant_phone_outbound_call_async(
                **INPUTS,
                servers=servers_for(url),
                sleep=sleep.asleep,
                client=client,
                **options,
            )

    return asyncio.run(main())


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])


def paths(server: ReplayServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


CREATES = ["POST /assistant", "POST /phone-number", "POST /call"]


def retry_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "generated.vapi"
        and r.levelno == logging.WARNING
        and "retry" in r.getMessage()
    ]


def assert_clean_error(error: BaseException) -> None:
    """A WorkflowError users can read: no secret, no chained library exception, no pydantic dump."""
    assert isinstance(error, WorkflowError)
    text = str(error) + repr(error)
    assert SECRET not in text
    assert (
        "Traceback" not in text
        and "validation error" not in text
        and "pydantic" not in text
    )
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


# -- 1. POST and PATCH are sent once -------------------------------------------------


@RUNNERS
def test_reset_on_create_call_fails_after_exactly_one_request(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/create_call_reset")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep)
    error = caught.value
    assert error.step_id == "createCall" and error.method == "POST"
    assert error.status_code is None
    assert error.url == f"{server.url}/call"
    assert error.reason.endswith(("(RemoteProtocolError)", "(ReadError)")), error.reason
    assert error.transport_retries == 0
    assert paths(server) == CREATES  # the POST /call went out once
    assert sleep.calls == []
    assert_clean_error(error)


@RUNNERS
def test_503_on_create_call_fails_after_exactly_one_request(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/create_call_503")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep)
    error = caught.value
    assert (error.step_id, error.status_code, error.transport_retries) == (
        "createCall",
        503,
        0,
    )
    assert "Service Unavailable" in error.body
    assert paths(server) == CREATES
    assert (
        sleep.calls == []
    )  # the Retry-After of a POST is not honoured by re-sending it
    assert_clean_error(error)


@RUNNERS
def test_post_is_retried_when_no_connection_could_be_made(
    run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Connection refused: nothing reached a server, so even a POST may be tried again."""
    with socket.socket() as probe:  # a port that was just free: nobody listens on it
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    sleep = SleepRecorder()
    with caplog.at_level(logging.WARNING, logger="generated.vapi"):
        with pytest.raises(StepFailed) as caught:
            run(url, sleep)
    error = caught.value
    assert error.step_id == "createAssistant" and error.status_code is None
    assert error.reason == "could not connect (ConnectError)"
    assert error.transport_retries == _runtime.TRANSPORT_RETRIES == 3
    assert "after 3 transport retries" in str(error)
    assert len(sleep.calls) == 3
    assert all(
        low <= s <= high for s, (low, high) in zip(sleep.calls, BACKOFF)
    ), sleep.calls
    assert len(retry_warnings(caplog)) == 3
    assert_clean_error(error)


# -- 1. idempotent polls are retried with bounded backoff ------------------------------


@RUNNERS
def test_poll_503_then_200_succeeds_after_two_retries(
    replay: Replay, run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = replay("faults/poll_503_then_200")
    sleep = SleepRecorder()
    with caplog.at_level(logging.WARNING, logger="generated.vapi"):
        outputs = run(server.url, sleep)
    assert (
        outputs.call_status == "ended" and outputs.ended_reason == "customer-ended-call"
    )
    assert paths(server) == CREATES + ["GET /call/call_1"] * 3
    assert len(sleep.calls) == 2
    assert all(
        low <= s <= high for s, (low, high) in zip(sleep.calls, BACKOFF)
    ), sleep.calls
    warnings = retry_warnings(caplog)
    assert len(warnings) == 2
    assert warnings[0].startswith(
        f"pollCall: GET {server.url}/call/call_1: HTTP 503; retry 1 of 3 in "
    )
    assert "retry 2 of 3" in warnings[1]


@RUNNERS
def test_poll_reset_then_200_succeeds_after_one_retry(
    replay: Replay, run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = replay("faults/poll_reset_then_200")
    sleep = SleepRecorder()
    with caplog.at_level(logging.WARNING, logger="generated.vapi"):
        outputs = run(server.url, sleep)
    assert outputs.call_status == "ended"
    assert paths(server) == CREATES + ["GET /call/call_1"] * 2
    assert len(sleep.calls) == 1 and BACKOFF[0][0] <= sleep.calls[0] <= BACKOFF[0][1]
    assert len(retry_warnings(caplog)) == 1


@RUNNERS
def test_poll_read_timeout_of_the_client_is_retried(replay: Replay, run: Any) -> None:
    """The client's own read timeout (0.3 s) fires well inside the workflow deadline: a retry."""
    server = replay("faults/poll_stall_then_200")
    sleep = SleepRecorder()
    started = time.monotonic()
    outputs = run(server.url, sleep, client_timeout=0.3, timeout=30.0)
    assert outputs.call_status == "ended"
    assert time.monotonic() - started < 2.5
    assert paths(server) == CREATES + ["GET /call/call_1"] * 2
    assert len(sleep.calls) == 1


@RUNNERS
def test_persistent_5xx_on_poll_fails_after_the_retry_bound(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/poll_5xx_forever")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep)
    error = caught.value
    assert (error.step_id, error.status_code, error.method) == ("pollCall", 502, "GET")
    assert error.transport_retries == 3
    assert "after 3 transport retries" in str(error) and "bad gateway" in str(error)
    assert paths(server) == CREATES + ["GET /call/call_1"] * 4
    assert len(sleep.calls) == 3
    assert all(
        low <= s <= high for s, (low, high) in zip(sleep.calls, BACKOFF)
    ), sleep.calls
    assert_clean_error(error)


@RUNNERS
def test_persistent_resets_on_poll_fail_after_the_retry_bound(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/poll_reset_forever")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep)
    error = caught.value
    assert (error.step_id, error.status_code, error.transport_retries) == (
        "pollCall",
        None,
        3,
    )
    assert paths(server) == CREATES + ["GET /call/call_1"] * 4
    assert len(sleep.calls) == 3
    assert_clean_error(error)


@RUNNERS
def test_backoff_stays_inside_the_deadline(replay: Replay, run: Any) -> None:
    """With timeout=1: the first backoff (<= 0.625 s) fits, the second (>= 0.75 s) does not."""
    server = replay("faults/poll_503_until_deadline")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep, timeout=1.0)
    error = caught.value
    assert (error.step_id, error.status_code, error.transport_retries) == (
        "pollCall",
        503,
        1,
    )
    assert len(sleep.calls) == 1 and sum(sleep.calls) < 1.0
    assert paths(server) == CREATES + ["GET /call/call_1"] * 2


@RUNNERS
def test_retry_after_sets_the_wait_of_a_transport_retry(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/poll_503_retry_after")
    sleep = SleepRecorder()
    outputs = run(server.url, sleep)
    assert outputs.call_status == "ended"
    assert sleep.calls == [7.0]


@RUNNERS
def test_retry_after_longer_than_the_retry_limit_is_not_waited_for(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/poll_503_retry_after_too_long")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep)
    assert (caught.value.status_code, caught.value.transport_retries) == (503, 0)
    assert sleep.calls == []


def test_a_documented_503_is_returned_as_is(replay: Replay) -> None:
    """A status the description gives a meaning is the workflow's business, not a transport retry."""
    server = replay("faults/get_503")
    sleep = SleepRecorder()
    deadline = _runtime.Deadline(None)
    with httpx.Client() as http:
        headers = {"Authorization": f"Bearer {SECRET}"}
        response = _runtime.send(
            http,
            deadline,
            sleep,
            "pollCall",
            "GET",
            f"{server.url}/call/call_1",
            headers=headers,
            documented=(503,),
        )
    assert response.status_code == 503
    assert sleep.calls == [] and deadline.transport_retries == 0


# -- 2. a stall past the timeout -------------------------------------------------------


@RUNNERS
@pytest.mark.parametrize(
    "cassette, step",
    [
        ("faults/create_assistant_stall", "createAssistant"),
        ("faults/poll_stall", "pollCall"),
    ],
)
def test_stall_past_the_timeout_raises_workflow_timeout_promptly(
    replay: Replay, run: Any, cassette: str, step: str
) -> None:
    server = replay(cassette)
    sleep = SleepRecorder()
    started = time.monotonic()
    with pytest.raises(WorkflowTimeout) as caught:
        run(server.url, sleep, timeout=0.5)
    took = time.monotonic() - started
    assert 0.4 < took < 2.0, took
    assert caught.value.step_id == step
    assert "the 0.5 s timeout passed during" in str(caught.value)
    assert sleep.calls == []
    assert_clean_error(caught.value)


# -- 3. responses that are not the documented shape ------------------------------------


@RUNNERS
@pytest.mark.parametrize(
    "cassette, step, status, words",
    [
        (
            "faults/create_assistant_malformed_json",
            "createAssistant",
            201,
            "the response body is not JSON (application/json)",
        ),
        (
            "faults/poll_html_200",
            "pollCall",
            200,
            "the response body is not JSON (text/html)",
        ),
        (
            "faults/poll_xml_200",
            "pollCall",
            200,
            "the response body is not JSON (application/xml)",
        ),
    ],
)
def test_a_body_that_is_not_json_raises_step_failed(
    replay: Replay, run: Any, cassette: str, step: str, status: int, words: str
) -> None:
    server = replay(cassette)
    with pytest.raises(StepFailed) as caught:
        run(server.url, SleepRecorder())
    error = caught.value
    assert (error.step_id, error.status_code) == (step, status)
    assert words in str(error)
    assert_clean_error(error)


@RUNNERS
def test_a_body_that_cannot_be_decoded_raises_step_failed_without_retry(
    replay: Replay, run: Any
) -> None:
    server = replay("faults/poll_bad_gzip")
    sleep = SleepRecorder()
    with pytest.raises(StepFailed) as caught:
        run(server.url, sleep)
    error = caught.value
    assert (error.step_id, error.status_code) == ("pollCall", None)
    assert error.reason == "the response body could not be decoded (DecodingError)"
    assert sleep.calls == [] and paths(server) == CREATES + ["GET /call/call_1"]
    assert_clean_error(error)


@RUNNERS
def test_a_large_html_error_page_is_cut_to_2_kb(replay: Replay, run: Any) -> None:
    server = replay("faults/create_call_502_html")
    with pytest.raises(StepFailed) as caught:
        run(server.url, SleepRecorder())
    error = caught.value
    assert (error.step_id, error.status_code) == ("createCall", 502)
    assert error.body.startswith(
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
    )
    assert len(error.body) <= _runtime.MAX_BODY_CHARS + 40
    assert error.body.endswith(" more characters)")
    assert len(str(error)) < 2048 + 300
    assert paths(server) == CREATES


@RUNNERS
def test_json_nested_too_deep_raises_step_failed(replay: Replay, run: Any) -> None:
    server = replay("faults/poll_deep_json")
    with pytest.raises(StepFailed) as caught:
        run(server.url, SleepRecorder())
    assert caught.value.step_id == "pollCall"
