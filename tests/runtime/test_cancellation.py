"""Cancelling a run: the async twin (and Ctrl-C in the sync function) leaves nothing behind.

- CancelledError (KeyboardInterrupt for the sync function) reaches the caller unchanged;
- the httpx client the run created is closed; a client the caller passed stays open
  and can run the workflow again;
- no task is left running on the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from generated.vapi import (
    assistant_phone_outbound_call,
    assistant_phone_outbound_call_async,
)
from tests.replay import ReplayServer

Replay = Callable[[str], ReplayServer]

INPUTS: dict[str, Any] = {
    "api_token": "vapi-secret-token-123",
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}


def servers_for(server: ReplayServer) -> dict[str, str]:
    return {
        "assistantsApi": server.url,
        "phoneNumbersApi": server.url,
        "callsApi": server.url,
    }


class BlockingSleep:
    """An injected async sleep that never returns: it signals that the run is waiting, then waits."""

    def __init__(self) -> None:
        self.sleeping = asyncio.Event()
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.sleeping.set()
        await asyncio.Event().wait()  # only cancellation ends this


@pytest.fixture
def created_async_clients(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every httpx.AsyncClient constructed during the test (the runtime calls httpx.AsyncClient())."""
    created: list[httpx.AsyncClient] = []

    class Recording(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(httpx, "AsyncClient", Recording)
    return created


async def cancel_when(
    task: asyncio.Task[Any], ready: Callable[[], Awaitable[object]]
) -> float:
    """Wait (bounded) until ``ready``, cancel ``task``, await it; return how long the cancel took."""
    await asyncio.wait_for(ready(), timeout=10)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=5)
    return time.monotonic() - cancelled_at


def others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}


def test_cancel_mid_poll_closes_the_client_it_created(
    replay: Replay, created_async_clients: list[httpx.AsyncClient]
) -> None:
    server = replay("vapi/happy_path")
    server.expect_unconsumed()
    sleep = BlockingSleep()

    async def main() -> None:
        run = assistant_phone_outbound_call_async(
            **INPUTS, servers=servers_for(server), sleep=sleep
        )
        task = asyncio.create_task(run)
        took = await cancel_when(task, sleep.sleeping.wait)
        assert task.cancelled()
        assert took < 1.0
        assert others() == set()

    asyncio.run(main())
    assert sleep.calls == [1.0]  # cancelled in the sleep after the first poll
    assert [r.method for r in server.requests] == ["POST", "POST", "POST", "GET"]
    assert len(created_async_clients) == 1 and created_async_clients[0].is_closed


def test_cancel_during_a_request_in_flight_closes_the_client(
    replay: Replay, created_async_clients: list[httpx.AsyncClient]
) -> None:
    server = replay(
        "faults/create_assistant_stall"
    )  # the server holds the request for 5 s

    async def main() -> None:
        async def request_arrived() -> None:
            while not server.requests:
                await asyncio.sleep(0.01)

        task = asyncio.create_task(
            assistant_phone_outbound_call_async(
                **INPUTS, servers=servers_for(server), sleep=BlockingSleep()
            )
        )
        took = await cancel_when(task, request_arrived)
        assert took < 1.0  # cancellation does not wait for the stalled server
        assert others() == set()

    asyncio.run(main())
    assert len(created_async_clients) == 1 and created_async_clients[0].is_closed


def test_a_callers_client_stays_open_and_usable_after_a_cancel(replay: Replay) -> None:
    first = replay("vapi/happy_path")
    first.expect_unconsumed()
    second = replay("vapi/happy_path")
    sleep = BlockingSleep()

    async def main() -> None:
        async with httpx.AsyncClient() as client:
            task = asyncio.create_task(
                assistant_phone_outbound_call_async(
                    **INPUTS, servers=servers_for(first), sleep=sleep, client=client
                )
            )
            await cancel_when(task, sleep.sleeping.wait)
            assert not client.is_closed

            async def no_wait(seconds: float) -> None:
                pass

            outputs = await assistant_phone_outbound_call_async(
                **INPUTS, servers=servers_for(second), sleep=no_wait, client=client
            )
            assert outputs.call_status == "ended"
            assert not client.is_closed
        assert others() == set()

    asyncio.run(main())


def test_a_deadline_imposed_by_the_caller_cancels_cleanly(
    replay: Replay, created_async_clients: list[httpx.AsyncClient]
) -> None:
    """asyncio.wait_for around the workflow: TimeoutError for the caller, nothing left open."""
    server = replay("faults/create_assistant_stall")

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(
                assistant_phone_outbound_call_async(
                    **INPUTS, servers=servers_for(server)
                ),
                timeout=0.3,
            )
        assert time.monotonic() - started < 1.5
        assert others() == set()

    asyncio.run(main())
    assert len(created_async_clients) == 1 and created_async_clients[0].is_closed


def test_keyboard_interrupt_in_the_sync_function_closes_its_client(
    replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = replay("vapi/happy_path")
    server.expect_unconsumed()
    created: list[httpx.Client] = []

    class Recording(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(httpx, "Client", Recording)

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        assistant_phone_outbound_call(
            **INPUTS, servers=servers_for(server), sleep=interrupted
        )
    assert len(created) == 1 and created[0].is_closed
    assert [r.method for r in server.requests] == ["POST", "POST", "POST", "GET"]
