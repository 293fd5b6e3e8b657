"""AmqpTransport (runtime part events_amqp) against a real RabbitMQ node on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.events.brokers import RabbitMQ, rabbitmq, refused_port  # noqa: F401 - the fixture
from tests.events.runtime import load_runtime, write_runtime_package

PARTS = ("events", "events_amqp")


@pytest.fixture(scope="module")
def R(tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:  # noqa: N802 - the runtime module
    return load_runtime(tmp_path_factory.mktemp("runtime"), PARTS)


def key(name: str = "k") -> str:
    """A routing key of its own for one test (the node lives for the whole session)."""
    return f"arazzo.{name}.{uuid.uuid4().hex[:10]}"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def message(
    R: types.ModuleType,
    channel: str,
    payload: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Any:
    return R.Message(channel=channel, payload=payload, headers=headers or {}, content_type=content_type)


def test_the_node_started_quickly(rabbitmq: RabbitMQ) -> None:
    assert rabbitmq.started_in < 60, rabbitmq.started_in


def test_async_send_and_receive_round_trip_with_headers(R: types.ModuleType, rabbitmq: RabbitMQ) -> None:
    channel = key("round")

    async def main() -> Any:
        async with R.AmqpTransport(rabbitmq.url) as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(
                message(R, channel, {"call_id": "CA12", "status": "completed"}, {"X-Event-Type": "call.completed"})
            )
            return await subscription.areceive(5)

    got = run(main())
    assert (got.channel, got.payload, got.content_type) == (
        channel,
        {"call_id": "CA12", "status": "completed"},
        "application/json",
    )
    assert dict(got.headers) == {"x-event-type": "call.completed"}
    assert got.raw == b'{"call_id":"CA12","status":"completed"}'


def test_a_message_published_right_after_asubscribe_returns_is_received(
    R: types.ModuleType, rabbitmq: RabbitMQ
) -> None:
    async def main() -> list[Any]:
        import aio_pika

        got = []
        async with R.AmqpTransport(rabbitmq.url) as transport:
            other = await aio_pika.connect(rabbitmq.url)
            async with other:
                exchange = await (await other.channel()).get_exchange("amq.topic")
                for i in range(20):
                    channel = key(f"race{i}")
                    subscription = await transport.asubscribe(channel)
                    await exchange.publish(aio_pika.Message(b'{"i": %d}' % i), routing_key=channel)
                    got.append((await subscription.areceive(5)).payload)
                    await subscription.aclose()
        return got

    assert run(main()) == [{"i": i} for i in range(20)]


def test_areceive_timeout_and_several_subscribers_with_a_wildcard(R: types.ModuleType, rabbitmq: RabbitMQ) -> None:
    channel = key("fanout")

    async def main() -> tuple[Any, float, list[list[Any]]]:
        async with R.AmqpTransport(rabbitmq.url) as transport:
            subscriptions = [await transport.asubscribe(channel) for _ in range(2)]
            wildcard = await transport.asubscribe(channel.rsplit(".", 1)[0] + ".*")
            began = time.monotonic()
            nothing = await wildcard.areceive(0.3)
            waited = time.monotonic() - began
            for i in range(3):
                await transport.asend(message(R, channel, {"i": i}))
            return (
                nothing,
                waited,
                [[(await s.areceive(5)).payload for _ in range(3)] for s in [*subscriptions, wildcard]],
            )

    nothing, waited, got = run(main())
    assert nothing is None and 0.29 <= waited < 2
    assert got == [[{"i": 0}, {"i": 1}, {"i": 2}]] * 3


def test_bad_json_and_text_bodies(R: types.ModuleType, rabbitmq: RabbitMQ, caplog: pytest.LogCaptureFixture) -> None:
    channel = key("bad-json")

    async def main() -> tuple[Any, Any, Any]:
        import aio_pika

        async with R.AmqpTransport(rabbitmq.url) as transport:
            subscription = await transport.asubscribe(channel)
            other = await aio_pika.connect(rabbitmq.url)
            async with other:
                exchange = await (await other.channel()).get_exchange("amq.topic")
                await exchange.publish(
                    aio_pika.Message(b'{"call_id": ', content_type="application/json"), routing_key=channel
                )
                await exchange.publish(aio_pika.Message(b"plain text", content_type="text/plain"), routing_key=channel)
                await exchange.publish(
                    aio_pika.Message(b'{"call_id": "CA12"}'), routing_key=channel
                )  # no content type: JSON
            return await subscription.areceive(5), await subscription.areceive(5), await subscription.areceive(0.2)

    with caplog.at_level(logging.WARNING):
        text, good, then = run(main())
    assert (text.payload, text.content_type) == ("plain text", "text/plain")
    assert good.payload == {"call_id": "CA12"} and then is None
    assert len([r for r in caplog.records if "skipped a message" in r.getMessage() and channel in r.getMessage()]) == 1


def test_wrong_credentials_refused_port_and_missing_exchange_are_clear_transport_errors(
    R: types.ModuleType, rabbitmq: RabbitMQ
) -> None:
    with pytest.raises(R.TransportError) as caught:
        run(R.AmqpTransport(f"amqp://guest:not-the-password-9@127.0.0.1:{rabbitmq.port}/").asubscribe("a"))
    text = str(caught.value)
    assert text.startswith(f"could not connect to the AMQP broker amqp://127.0.0.1:{rabbitmq.port}/: ")
    assert "not-the-password-9" not in text and isinstance(caught.value, R.WorkflowError)

    port = refused_port()
    with pytest.raises(R.TransportError) as caught:
        run(R.AmqpTransport(f"amqp://guest:guest@127.0.0.1:{port}/").asend(message(R, "a", {})))
    assert str(caught.value).startswith(f"could not connect to the AMQP broker amqp://127.0.0.1:{port}/: [Errno 111]")
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)

    with pytest.raises(
        R.TransportError,
        match=r"could not use the exchange 'no-such-exchange' on amqp://127\.0\.0\.1:\d+/: .*NOT_FOUND",
    ):
        run(R.AmqpTransport(rabbitmq.url, exchange="no-such-exchange").asubscribe("a"))


def test_options_repr_and_the_import_error(R: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="url must be an amqp:// or amqps:// URL"):
        R.AmqpTransport("http://u:pw-77777777@h/")
    transport = R.AmqpTransport("amqp://user:pw-123456@broker.example:5672/vh")
    assert repr(transport) == "AmqpTransport('amqp://broker.example:5672/vh', exchange='amq.topic')"
    monkeypatch.setitem(sys.modules, "aio_pika", None)
    with pytest.raises(ImportError) as caught:
        R.AmqpTransport()
    assert str(caught.value) == "AmqpTransport needs the aio-pika package: pip install aio-pika"


def test_sync_side_and_the_generated_code_helpers(R: types.ModuleType, rabbitmq: RabbitMQ) -> None:
    outcomes = key("call.completed")
    deadline = R.Deadline(30.0)
    with R.AmqpTransport(rabbitmq.url) as transport:
        with R.open_subscriptions(transport, {"awaitOutcome": outcomes}) as subs:
            sender = threading.Thread(
                target=lambda: [transport.send(message(R, outcomes, {"call_id": c})) for c in ("OTHER", "CA12")]
            )
            sender.start()
            got = R.receive(
                deadline,
                subs["awaitOutcome"],
                "awaitOutcome",
                outcomes,
                matches=lambda m: R.pointer(m.payload, "/call_id") == "CA12",
                awaited="call_id == 'CA12'",
                timeout_ms=5000,
            )
            sender.join()
            timed_out = R.receive(
                deadline, subs["awaitOutcome"], "awaitOutcome", outcomes, matches=None, awaited=None, timeout_ms=200
            )
    assert got.payload == {"call_id": "CA12"}
    assert isinstance(timed_out, R.MessageTimedOut)
    assert [t.name for t in threading.enumerate() if t.name.startswith("amqp-")] == []


def test_the_transport_satisfies_both_protocols_and_the_part_is_clean(tmp_path: Path) -> None:
    from tests.golden.test_generated_quality import RUFF

    write_runtime_package(tmp_path, "amqprt", PARTS)
    (tmp_path / "use_it.py").write_text(
        "from amqprt import _runtime as R\n\n"
        "sync: R.Transport = R.AmqpTransport()\n"
        "asynchronous: R.AsyncTransport = R.AmqpTransport()\n"
    )
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use_it.py", "amqprt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = subprocess.run([*RUFF, "amqprt"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "amqprt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert black.returncode == 0, black.stderr


def test_a_connection_the_broker_closes_ends_the_wait_with_a_transport_error(
    R: types.ModuleType, rabbitmq: RabbitMQ
) -> None:
    channel = key("closed")

    async def main() -> None:
        async with R.AmqpTransport(rabbitmq.url) as transport:
            subscription = await transport.asubscribe(channel)
            waiting = asyncio.ensure_future(subscription.areceive(50))
            await asyncio.to_thread(rabbitmq.ctl, "close_all_connections", "closed by the test")
            await waiting

    with pytest.raises(
        R.TransportError,
        match=rf"the AMQP channel to amqp://127\.0\.0\.1:{rabbitmq.port}/ for '{channel}' was closed: .*closed by the test",
    ):
        run(main())
