"""The event runtime with the in-memory broker: subscriptions, receive and send, sync and async."""

from __future__ import annotations

import asyncio
import threading
import time
from types import ModuleType
from typing import Any

import pytest


def _by_call_id(call_id: str) -> Any:
    return lambda message: isinstance(message.payload, dict) and message.payload.get("call_id") == call_id


def test_a_message_published_before_receive_starts_is_kept(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    deadline = rt.Deadline(5.0)
    with rt.open_subscriptions(broker, {"awaitOutcome": "call.completed"}) as subs:
        assert broker.publish("call.completed", {"call_id": "CA12", "status": "completed"}) == 1
        message = rt.receive(
            deadline,
            subs["awaitOutcome"],
            "awaitOutcome",
            "call.completed",
            matches=_by_call_id("CA12"),
            awaited="call_id == 'CA12'",
            timeout_ms=1000,
        )
    assert isinstance(message, rt.Message)
    assert message.payload == {"call_id": "CA12", "status": "completed"}
    assert message.channel == "call.completed"
    assert message.raw == b'{"call_id":"CA12","status":"completed"}'
    assert broker.subscriptions() == 0  # closed on exit


def test_non_matching_messages_are_dropped_and_the_match_is_returned(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    deadline = rt.Deadline(5.0)
    with rt.open_subscriptions(broker, {"wait": "call.completed"}) as subs:
        broker.publish("call.completed", {"call_id": "OTHER"})
        broker.publish("call.started", {"call_id": "CA12"})  # another channel: nobody subscribed
        threading.Timer(0.05, broker.publish, ("call.completed", {"call_id": "CA12", "n": 2})).start()
        message = rt.receive(
            deadline,
            subs["wait"],
            "wait",
            "call.completed",
            matches=_by_call_id("CA12"),
            awaited="call_id == 'CA12'",
            timeout_ms=2000,
        )
        assert message.payload == {"call_id": "CA12", "n": 2}
        assert subs["wait"].pending() == 0  # the other call's message was dropped, not kept


def test_while_a_step_waits_a_message_for_someone_else_is_not_taken(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    deadline = rt.Deadline(5.0)
    counts: list[int] = []

    def deliver() -> None:
        time.sleep(0.05)
        counts.append(broker.publish("c", {"call_id": "OTHER"}))
        counts.append(broker.publish("c", {"call_id": "CA12"}))

    with rt.open_subscriptions(broker, {"wait": "c"}) as subs:
        threading.Thread(target=deliver).start()
        message = rt.receive(
            deadline,
            subs["wait"],
            "wait",
            "c",
            matches=_by_call_id("CA12"),
            awaited="call_id == 'CA12'",
            timeout_ms=2000,
        )
    assert message.payload == {"call_id": "CA12"}
    assert counts == [0, 1]


def test_receive_with_no_match_criterion_takes_any_message(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    with rt.open_subscriptions(broker, {"s": "c"}) as subs:
        broker.publish("c", "hello", content_type="text/plain")
        message = rt.receive(rt.Deadline(None), subs["s"], "s", "c", matches=None, awaited=None, timeout_ms=None)
    assert message.payload == "hello"
    assert message.raw == b"hello"
    assert message.content_type == "text/plain"


def test_step_timeout_returns_message_timed_out_with_a_clear_message(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    deadline = rt.Deadline(10.0)
    with rt.open_subscriptions(broker, {"awaitOutcome": "call.completed"}) as subs:
        broker.publish("call.completed", {"call_id": "OTHER"})
        started = time.monotonic()
        result = rt.receive(
            deadline,
            subs["awaitOutcome"],
            "awaitOutcome",
            "call.completed",
            matches=_by_call_id("CA12"),
            awaited="call_id == 'CA12'",
            timeout_ms=200,
        )
        took = time.monotonic() - started
    assert isinstance(result, rt.MessageTimedOut)
    assert isinstance(result, rt.StepTimedOut) and isinstance(result, rt.StepFailed)
    assert str(result) == "step 'awaitOutcome': no message with call_id == 'CA12' on 'call.completed' within 0.2 s"
    assert result.timeout_ms == 200 and result.channel == "call.completed" and result.status_code is None
    assert 0.19 <= took < 2.0
    final = rt.message_timed_out(result, reason="the call did not end", retries=2)
    assert (
        str(final)
        == "step 'awaitOutcome' failed: the call did not end (no message with call_id == 'CA12' on 'call.completed' within 0.2 s) after 2 retries"
    )


@pytest.mark.parametrize(
    ("timeout_ms", "shown"),
    [(600000, "600 s"), (200, "0.2 s"), (1500, "1.5 s"), (1250, "1.25 s"), (1, "0.001 s"), (90000, "90 s")],
)
def test_seconds_are_shown_sensibly(rt: ModuleType, timeout_ms: int, shown: str) -> None:
    error = rt.MessageTimedOut("s", channel="c", awaited=None, timeout_ms=timeout_ms)
    assert str(error) == f"step 's': no message on 'c' within {shown}"


def test_the_overall_deadline_raises_workflow_timeout(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    deadline = rt.Deadline(0.2)
    with rt.open_subscriptions(broker, {"wait": "call.completed"}) as subs:
        with pytest.raises(rt.WorkflowTimeout) as caught:
            rt.receive(
                deadline,
                subs["wait"],
                "wait",
                "call.completed",
                matches=_by_call_id("CA12"),
                awaited="call_id == 'CA12'",
                timeout_ms=600000,
            )
    assert not isinstance(caught.value, rt.StepFailed)
    assert (
        str(caught.value)
        == "step 'wait': the 0.2 s timeout passed while waiting for a message with call_id == 'CA12' on 'call.completed'"
    )


def test_the_overall_deadline_without_a_step_timeout_raises_too(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    with rt.open_subscriptions(broker, {"wait": "c"}) as subs, pytest.raises(rt.WorkflowTimeout):
        rt.receive(rt.Deadline(0.1), subs["wait"], "wait", "c", matches=None, awaited=None, timeout_ms=None)


def test_buffer_is_bounded_and_drops_the_oldest(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker(max_buffered=3)
    with rt.open_subscriptions(broker, {"s": "c"}) as subs:
        for n in range(5):
            assert broker.publish("c", {"n": n}) == 1
        sub = subs["s"]
        assert sub.pending() == 3
        assert sub.dropped == 2
        got = [sub.receive(0).payload["n"] for _ in range(3)]
        assert got == [2, 3, 4]
        assert sub.receive(0.01) is None


def test_sent_messages_are_recorded_and_scripted_replies_arrive(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    broker.on_send(
        "call.start",
        lambda m: broker.publish(
            "call.completed",
            {"call_id": m.payload["call_id"], "status": "completed"},
            headers={"X-Event": "call.completed"},
        ),
    )
    deadline = rt.Deadline(5.0)
    with rt.open_subscriptions(broker, {"wait": "call.completed"}) as subs:
        sent = rt.send_message(
            deadline, broker, "start", "call.start", payload={"call_id": "CA12"}, headers={"X-Trace": 7}
        )
        message = rt.receive(
            deadline,
            subs["wait"],
            "wait",
            "call.completed",
            matches=_by_call_id("CA12"),
            awaited="call_id == 'CA12'",
            timeout_ms=1000,
        )
    assert broker.sent == [sent]
    assert sent.headers == {"x-trace": "7"} and sent.raw == b'{"call_id":"CA12"}'
    assert message.payload["status"] == "completed"
    assert message.headers == {"x-event": "call.completed"} and message.header("X-Event") == "call.completed"


def test_a_sent_message_is_not_echoed_unless_asked(rt: ModuleType) -> None:
    quiet, echo = rt.InMemoryBroker(), rt.InMemoryBroker(echo=True)
    for broker, expected in ((quiet, 0), (echo, 1)):
        with rt.open_subscriptions(broker, {"s": "c"}) as subs:
            rt.send_message(rt.Deadline(1.0), broker, "send", "c", payload={"a": 1})
            assert subs["s"].pending() == expected


def test_a_payload_that_cannot_be_sent_fails_the_step_without_quoting_it(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    with pytest.raises(rt.StepFailed) as caught:
        rt.send_message(rt.Deadline(1.0), broker, "send", "c", payload={"v": float("nan"), "secret": "hunter2-secret"})
    assert "hunter2" not in str(caught.value) and "/v" in str(caught.value)
    with pytest.raises(rt.StepFailed, match="line break"):
        rt.send_message(rt.Deadline(1.0), broker, "send", "c", payload={}, headers={"X-A": "a\r\nb"})
    assert broker.sent == []


def test_a_transport_failure_is_step_failed_naming_only_its_type(rt: ModuleType) -> None:
    class Broken:
        def subscribe(self, channel: str) -> Any:
            raise AssertionError("not used")

        def send(self, message: Any) -> None:
            raise ConnectionRefusedError("connect to mqtt://user:hunter2-secret@host failed")

    with pytest.raises(rt.StepFailed) as caught:
        rt.send_message(rt.Deadline(1.0), Broken(), "send", "c", payload={})
    assert "hunter2" not in str(caught.value)
    assert "ConnectionRefusedError" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_closing_the_broker_ends_a_wait_with_subscription_closed(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    with rt.open_subscriptions(broker, {"s": "c"}) as subs:
        threading.Timer(0.05, broker.close).start()
        with pytest.raises(rt.SubscriptionClosed):
            rt.receive(rt.Deadline(5.0), subs["s"], "s", "c", matches=None, awaited=None, timeout_ms=None)


def test_message_failed_names_the_criterion_and_shows_the_message(rt: ModuleType) -> None:
    message = rt.Message("call.completed", {"status": "failed"}, {"X-Signature": "abc"}, raw=b'{"status":"failed"}')
    error = rt.message_failed("wait", "call.completed", message, criterion="$message.payload.status == 'completed'")
    assert isinstance(error, rt.StepFailed)
    assert error.criterion == "$message.payload.status == 'completed'"
    assert "successCriteria $message.payload.status == 'completed' not met" in str(error)
    assert '{"status":"failed"}' in str(error)
    assert "abc" not in repr(message) and message.headers == {"x-signature": "abc"}


# -- async ----------------------------------------------------------------------------------


def test_async_receive_and_send(rt: ModuleType) -> None:
    async def main() -> None:
        broker = rt.InMemoryBroker()
        broker.on_send("call.start", lambda m: broker.publish("call.completed", {"call_id": m.payload["call_id"]}))
        deadline = rt.Deadline(5.0)
        async with rt.aopen_subscriptions(broker, {"wait": "call.completed"}) as subs:
            await rt.asend_message(deadline, broker, "start", "call.start", payload={"call_id": "CA7"})
            message = await rt.areceive(
                deadline,
                subs["wait"],
                "wait",
                "call.completed",
                matches=_by_call_id("CA7"),
                awaited="call_id == 'CA7'",
                timeout_ms=1000,
            )
            assert message.payload == {"call_id": "CA7"}
            timed_out = await rt.areceive(
                deadline,
                subs["wait"],
                "wait",
                "call.completed",
                matches=_by_call_id("CA7"),
                awaited="call_id == 'CA7'",
                timeout_ms=100,
            )
            assert str(timed_out) == "step 'wait': no message with call_id == 'CA7' on 'call.completed' within 0.1 s"
        assert broker.subscriptions() == 0

    asyncio.run(main())


def test_async_waiters_are_woken_from_another_thread(rt: ModuleType) -> None:
    async def main() -> list[Any]:
        broker = rt.InMemoryBroker()
        deadline = rt.Deadline(5.0)
        async with rt.aopen_subscriptions(broker, {f"w{n}": "c" for n in range(20)}) as subs:

            def deliver() -> None:
                for n in reversed(range(20)):
                    broker.publish("c", {"call_id": f"CA{n}"})

            threading.Timer(0.05, deliver).start()
            return list(
                await asyncio.gather(
                    *(
                        rt.areceive(
                            deadline,
                            subs[f"w{n}"],
                            f"w{n}",
                            "c",
                            matches=_by_call_id(f"CA{n}"),
                            awaited=None,
                            timeout_ms=3000,
                        )
                        for n in range(20)
                    )
                )
            )

    results = asyncio.run(main())
    assert [m.payload["call_id"] for m in results] == [f"CA{n}" for n in range(20)]


def test_async_overall_deadline_raises_workflow_timeout(rt: ModuleType) -> None:
    async def main() -> None:
        broker = rt.InMemoryBroker()
        async with rt.aopen_subscriptions(broker, {"wait": "c"}) as subs:
            await rt.areceive(rt.Deadline(0.1), subs["wait"], "wait", "c", matches=None, awaited=None, timeout_ms=5000)

    with pytest.raises(rt.WorkflowTimeout):
        asyncio.run(main())


def test_a_cancelled_async_receive_leaves_the_subscription_usable(rt: ModuleType) -> None:
    async def main() -> None:
        broker = rt.InMemoryBroker()
        sub = await broker.asubscribe("c")
        task = asyncio.create_task(sub.areceive(5.0))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert broker.publish("c", {"a": 1}) == 1
        got = await sub.areceive(1.0)
        assert got is not None and got.payload == {"a": 1}
        assert await sub.areceive(0.01) is None
        await sub.aclose()

    asyncio.run(main())


def test_sync_and_async_waiters_on_one_subscription(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    sub = broker.subscribe("c")
    got: list[Any] = []
    thread = threading.Thread(target=lambda: got.append(sub.receive(3.0)))
    thread.start()

    async def main() -> Any:
        loop_task = asyncio.create_task(sub.areceive(3.0))
        await asyncio.sleep(0.05)
        broker.publish("c", {"n": 1})
        broker.publish("c", {"n": 2})
        return await loop_task

    async_got = asyncio.run(main())
    thread.join(3.0)
    assert sorted([got[0].payload["n"], async_got.payload["n"]]) == [1, 2]
    sub.close()


def test_waiting_counts_the_subscriptions_a_receive_step_waits_on(rt: ModuleType) -> None:
    broker = rt.InMemoryBroker()
    with rt.open_subscriptions(broker, {"a": "c", "b": "d"}) as subs:
        assert broker.subscriptions() == 2 and broker.waiting() == 0
        thread = threading.Thread(
            target=rt.receive,
            args=(rt.Deadline(5.0), subs["a"], "a", "c"),
            kwargs={"matches": None, "awaited": None, "timeout_ms": 3000},
        )
        thread.start()
        for _ in range(200):
            if broker.waiting("c"):
                break
            time.sleep(0.01)
        assert broker.waiting("c") == 1 and broker.waiting("d") == 0 and broker.waiting() == 1
        broker.publish("c", {})
        thread.join(3)
        assert broker.waiting() == 0
