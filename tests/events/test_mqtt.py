"""MqttTransport (runtime part events_mqtt) against a real mosquitto on 127.0.0.1."""

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

from tests.events.brokers import Mosquitto, mosquitto, refused_port  # noqa: F401 - the fixture
from tests.events.runtime import load_runtime, write_runtime_package

PARTS = ("events", "events_mqtt", "events_send")


@pytest.fixture(scope="module")
def R(tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:  # noqa: N802 - the runtime module
    return load_runtime(tmp_path_factory.mktemp("runtime"), PARTS)


def topic(name: str = "t") -> str:
    """A topic of its own for one test (the broker lives for the whole session)."""
    return f"arazzo-test/{name}/{uuid.uuid4().hex[:10]}"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def message(
    R: types.ModuleType,
    channel: str,
    payload: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Any:
    return R.Message(channel=channel, payload=payload, headers=headers or {}, content_type=content_type)


# -- round trips ----------------------------------------------------------------------


def test_async_send_and_receive_round_trip(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("round")

    async def main() -> Any:
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"call_id": "CA12", "status": "completed", "n": [1, 2.5, None]}))
            got = await subscription.areceive(5)
            await subscription.aclose()
            return got

    got = run(main())
    assert got.channel == channel
    assert got.payload == {"call_id": "CA12", "status": "completed", "n": [1, 2.5, None]}
    assert got.content_type == "application/json"
    assert got.raw == b'{"call_id":"CA12","status":"completed","n":[1,2.5,null]}'


def test_headers_travel_as_mqtt5_user_properties(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("headers")

    async def main() -> tuple[Any, Any]:
        import aiomqtt

        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            ours = await transport.asubscribe(channel)
            # a plain aiomqtt client sees the headers as user properties on the wire
            async with aiomqtt.Client(mosquitto.host, mosquitto.port, protocol=aiomqtt.ProtocolVersion.V5) as plain:
                await plain.subscribe(channel, qos=1)
                await transport.asend(message(R, channel, {"a": 1}, {"X-Event-Type": "call.completed", "trace": "t-1"}))
                seen = await asyncio.wait_for(anext(aiter(plain.messages)), 5)
            return await ours.areceive(5), seen

    got, seen = run(main())
    assert dict(got.headers) == {"x-event-type": "call.completed", "trace": "t-1"}
    assert seen.properties.UserProperty == [
        ("x-event-type", "call.completed"),
        ("trace", "t-1"),
    ]  # Message lower-cases names
    assert seen.properties.ContentType == "application/json"


def test_user_properties_from_another_client_become_lower_cased_headers(
    R: types.ModuleType, mosquitto: Mosquitto
) -> None:
    channel = topic("from-paho")

    async def main() -> Any:
        import aiomqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            subscription = await transport.asubscribe(channel)
            async with aiomqtt.Client(mosquitto.host, mosquitto.port, protocol=aiomqtt.ProtocolVersion.V5) as plain:
                properties = Properties(PacketTypes.PUBLISH)
                properties.UserProperty = [("X-Nixflex-Signature", "t=1,v1=ab")]
                await plain.publish(channel, b'{"event": "call.completed"}', qos=1, properties=properties)
                text = Properties(PacketTypes.PUBLISH)
                text.ContentType = "text/plain"
                await plain.publish(channel, "not json, and that is fine".encode(), qos=1, properties=text)
            return await subscription.areceive(5), await subscription.areceive(5)

    first, second = run(main())
    assert first.payload == {"event": "call.completed"}
    assert dict(first.headers) == {"x-nixflex-signature": "t=1,v1=ab"}
    assert (second.payload, second.content_type) == ("not json, and that is fine", "text/plain")


def test_a_message_published_right_after_asubscribe_returns_is_received(
    R: types.ModuleType, mosquitto: Mosquitto
) -> None:
    # SUBACK before asubscribe returns: no sleep between subscribing and the publish,
    # and the publish goes over another connection (nothing orders them but the broker).
    async def main() -> list[Any]:
        import aiomqtt

        got = []
        async with (
            R.MqttTransport(mosquitto.host, mosquitto.port) as transport,
            aiomqtt.Client(mosquitto.host, mosquitto.port) as other,
        ):
            for i in range(20):
                channel = topic(f"race{i}")
                subscription = await transport.asubscribe(channel)
                await other.publish(channel, b'{"i": %d}' % i, qos=0)
                got.append(await subscription.areceive(5))
                await subscription.aclose()
        return got

    assert [m.payload for m in run(main())] == [{"i": i} for i in range(20)]


def test_areceive_returns_none_when_nothing_comes_within_the_timeout(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    async def main() -> tuple[Any, float, Any, float]:
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            subscription = await transport.asubscribe(topic("quiet"))
            began = time.monotonic()
            nothing = await subscription.areceive(0.3)
            waited = time.monotonic() - began
            began = time.monotonic()
            polled = await subscription.areceive(0)
            return nothing, waited, polled, time.monotonic() - began

    nothing, waited, polled, poll_time = run(main())
    assert nothing is None and polled is None
    assert 0.29 <= waited < 2.0
    assert poll_time < 0.1


def test_a_zero_timeout_still_returns_a_message_that_is_already_there(
    R: types.ModuleType, mosquitto: Mosquitto
) -> None:
    channel = topic("ready")

    async def main() -> Any:
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"ok": True}))
            for _ in range(100):  # until it has arrived, then a poll must return it
                await asyncio.sleep(0.02)
                got = await subscription.areceive(0)
                if got is not None:
                    return got
            return None

    assert run(main()).payload == {"ok": True}


def test_several_subscribers_each_get_every_message(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("fanout")

    async def main() -> list[list[Any]]:
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            subscriptions = [await transport.asubscribe(channel) for _ in range(3)]
            wildcard = await transport.asubscribe(channel.rsplit("/", 1)[0] + "/+")
            for i in range(3):
                await transport.asend(message(R, channel, {"i": i}))
            return [[(await s.areceive(5)).payload for _ in range(3)] for s in [*subscriptions, wildcard]]

    assert run(main()) == [[{"i": 0}, {"i": 1}, {"i": 2}]] * 4


def test_closing_one_subscription_leaves_the_others_receiving(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("close-one")

    async def main() -> tuple[Any, Any]:
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            first = await transport.asubscribe(channel)
            second = await transport.asubscribe(channel)
            await first.aclose()
            await transport.asend(message(R, channel, {"after": "close"}))
            got = await second.areceive(5)
            with pytest.raises(R.WorkflowError, match="was closed"):
                await first.areceive(0)
            return got, None

    got, _ = run(main())
    assert got.payload == {"after": "close"}


def test_bad_json_from_the_broker_is_skipped_without_ending_the_wait(
    R: types.ModuleType, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    channel = topic("bad-json")

    async def main() -> tuple[Any, Any]:
        import aiomqtt

        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            subscription = await transport.asubscribe(channel)
            async with aiomqtt.Client(mosquitto.host, mosquitto.port) as other:
                await other.publish(channel, b'{"call_id": "CA12", ', qos=1)  # cut short
                await other.publish(channel, b"\xff\xfe not utf-8", qos=1)
                await other.publish(channel, b'{"call_id": "CA12"}', qos=1)
            return await subscription.areceive(5), await subscription.areceive(0.2)

    with caplog.at_level(logging.WARNING):
        got, then = run(main())
    assert got.payload == {"call_id": "CA12"} and then is None
    skipped = [r.getMessage() for r in caplog.records if "skipped a message" in r.getMessage()]
    assert len(skipped) == 2 and all(channel in text for text in skipped)


def test_a_message_over_max_message_bytes_is_skipped(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("large")

    async def main() -> tuple[Any, Any]:
        async with R.MqttTransport(mosquitto.host, mosquitto.port, max_message_bytes=1000) as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"blob": "x" * 5000}))
            await transport.asend(message(R, channel, {"blob": "small"}))
            return await subscription.areceive(5), await subscription.areceive(0.2)

    got, then = run(main())
    assert got.payload == {"blob": "small"} and then is None


def test_a_full_subscription_buffer_drops_the_oldest(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("full")

    async def main() -> list[Any]:
        async with R.MqttTransport(mosquitto.host, mosquitto.port, max_buffered=3) as transport:
            subscription = await transport.asubscribe(channel)
            for i in range(6):
                await transport.asend(message(R, channel, i))
            await asyncio.sleep(0.3)
            return [(await subscription.areceive(0)) for _ in range(4)]

    got = run(main())
    assert [m.payload for m in got[:3]] == [3, 4, 5] and got[3] is None


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_every_qos_round_trips(R: types.ModuleType, mosquitto: Mosquitto, qos: int) -> None:
    channel = topic(f"qos{qos}")

    async def main() -> Any:
        async with R.MqttTransport(mosquitto.host, mosquitto.port, qos=qos) as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"qos": qos}))
            return await subscription.areceive(5)

    assert run(main()).payload == {"qos": qos}


def test_mqtt_3_1_1_round_trips_payloads_and_refuses_headers(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("v311")

    async def main() -> Any:
        async with R.MqttTransport(mosquitto.host, mosquitto.port, protocol="3.1.1") as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"v": "3.1.1"}))
            with pytest.raises(R.WorkflowError, match=r"MQTT 3\.1\.1 messages have none"):
                await transport.asend(message(R, channel, {}, {"x-a": "1"}))
            return await subscription.areceive(5)

    got = run(main())
    assert got.payload == {"v": "3.1.1"} and dict(got.headers) == {}


# -- authentication and TLS -----------------------------------------------------------


def test_username_and_password(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("auth")

    async def main() -> Any:
        async with R.MqttTransport(
            mosquitto.host, mosquitto.auth_port, username=mosquitto.username, password=mosquitto.password
        ) as transport:
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"auth": "ok"}))
            return await subscription.areceive(5)

    assert run(main()).payload == {"auth": "ok"}


def test_wrong_credentials_are_a_clear_workflow_error_without_the_password(
    R: types.ModuleType, mosquitto: Mosquitto
) -> None:
    async def main() -> None:
        transport = R.MqttTransport(
            mosquitto.host, mosquitto.auth_port, username=mosquitto.username, password="wrong-password-x"
        )
        await transport.asubscribe(topic("auth-bad"))

    with pytest.raises(R.TransportError) as caught:
        run(main())
    error = caught.value
    assert isinstance(error, R.WorkflowError)
    text = str(error)
    assert text.startswith(f"could not connect to the MQTT broker mqtt://127.0.0.1:{mosquitto.auth_port}: ")
    assert "authori" in text.lower()
    assert "wrong-password-x" not in text and "wrong-password-x" not in repr(error)
    assert error.__cause__ is None and error.__suppress_context__  # no chained traceback soup


def test_tls_with_a_context_that_trusts_the_brokers_ca(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("tls")

    async def main() -> Any:
        async with R.MqttTransport(
            "localhost", mosquitto.tls_port, tls_context=mosquitto.client_tls_context()
        ) as transport:
            assert transport.where == f"mqtts://localhost:{mosquitto.tls_port}"
            subscription = await transport.asubscribe(channel)
            await transport.asend(message(R, channel, {"tls": True}))
            return await subscription.areceive(5)

    assert run(main()).payload == {"tls": True}


def test_tls_with_an_untrusted_certificate_is_refused(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    import ssl

    async def main() -> None:
        await R.MqttTransport("localhost", mosquitto.tls_port, tls_context=ssl.create_default_context()).asubscribe(
            topic("tls-bad")
        )

    with pytest.raises(
        R.TransportError,
        match=r"could not connect to the MQTT broker mqtts://localhost:\d+: .*CERTIFICATE_VERIFY_FAILED",
    ):
        run(main())


# -- failures -------------------------------------------------------------------------


def test_connection_refused_is_a_clear_workflow_error(R: types.ModuleType) -> None:
    port = refused_port()

    async def main() -> None:
        await R.MqttTransport("127.0.0.1", port).asubscribe("a/b")

    with pytest.raises(R.WorkflowError) as caught:
        run(main())
    assert (
        str(caught.value)
        == f"could not connect to the MQTT broker mqtt://127.0.0.1:{port}: [Errno 111] Connection refused"
    )
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)

    with pytest.raises(
        R.WorkflowError, match=r"could not connect to the MQTT broker mqtt://127\.0\.0\.1:\d+: \[Errno 111\]"
    ):
        run(R.MqttTransport("127.0.0.1", port).asend(message(R, "a/b", {})))


def test_a_bad_topic_is_a_workflow_error(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    async def main() -> None:
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            with pytest.raises(R.WorkflowError, match=r"'a/#/b' is not an MQTT topic filter"):
                await transport.asubscribe("a/#/b")
            with pytest.raises(R.WorkflowError, match=r"'a/\+' is not an MQTT topic to publish on"):
                await transport.asend(message(R, "a/+", {}))

    run(main())


def test_options_are_checked_and_repr_has_no_secret(R: types.ModuleType) -> None:
    with pytest.raises(ValueError, match="qos must be 0, 1 or 2"):
        R.MqttTransport("127.0.0.1", qos=3)
    with pytest.raises(ValueError, match="protocol must be"):
        R.MqttTransport("127.0.0.1", protocol="4")
    transport = R.MqttTransport("broker.example", 8883, username="u", password="pw-123456")
    assert repr(transport) == "MqttTransport('mqtt://broker.example:8883', qos=1, protocol='5')"
    assert "pw-123456" not in repr(vars(transport).get("where", ""))


def test_the_import_error_names_the_package_to_install(R: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiomqtt", None)  # None in sys.modules: import fails
    with pytest.raises(ImportError) as caught:
        R.MqttTransport("127.0.0.1")
    assert str(caught.value) == "MqttTransport needs the aiomqtt package: pip install aiomqtt"
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)


def test_importing_the_runtime_imports_no_broker_library(tmp_path: Path) -> None:
    write_runtime_package(tmp_path, "mqttrt", PARTS)
    code = (
        "import sys; sys.modules['aiomqtt'] = sys.modules['paho'] = None; import mqttrt._runtime as R; "
        "print(hasattr(R, 'MqttTransport'), sorted(m for m in sys.modules if m.split('.')[0] in ('aiomqtt', 'paho', 'websockets')))"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert completed.stdout.strip() == "True ['aiomqtt', 'paho']", completed.stderr  # the two None entries set above


# -- sync -----------------------------------------------------------------------------


def test_sync_send_and_receive_on_the_transports_loop_thread(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("sync")
    with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
        subscription = transport.subscribe(channel)
        transport.send(message(R, channel, {"sync": 1}, {"x-k": "v"}))
        got = subscription.receive(5)
        began = time.monotonic()
        assert subscription.receive(0.2) is None
        assert 0.19 <= time.monotonic() - began < 2
        subscription.close()
    assert got.payload == {"sync": 1} and dict(got.headers) == {"x-k": "v"}
    threads = [t.name for t in threading.enumerate() if t.name.startswith("mqtt-")]
    assert threads == []  # close() stopped the loop thread


def test_sync_subscription_receives_from_another_thread(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    channel = topic("sync-thread")
    with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
        subscription = transport.subscribe(channel)
        sender = threading.Thread(target=lambda: [transport.send(message(R, channel, i)) for i in range(5)])
        sender.start()
        got = [subscription.receive(5) for _ in range(5)]
        sender.join()
    assert [m.payload for m in got] == [0, 1, 2, 3, 4]


def test_sync_connection_refused_is_a_workflow_error(R: types.ModuleType) -> None:
    port = refused_port()
    with R.MqttTransport("127.0.0.1", port) as transport:
        with pytest.raises(
            R.WorkflowError,
            match=r"could not connect to the MQTT broker mqtt://127\.0\.0\.1:\d+: \[Errno 111\] Connection refused",
        ):
            transport.subscribe("a/b")


def test_the_transport_satisfies_both_protocols_under_mypy_strict(tmp_path: Path) -> None:
    write_runtime_package(tmp_path, "mqttrt", PARTS)
    (tmp_path / "use_it.py").write_text(
        "from mqttrt import _runtime as R\n\n"
        "sync: R.Transport = R.MqttTransport('127.0.0.1')\n"
        "asynchronous: R.AsyncTransport = R.MqttTransport('127.0.0.1', qos=0)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use_it.py", "mqttrt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# -- what generated workflows call, over the real broker ------------------------------


def test_generated_code_helpers_run_a_correlated_wait_over_mqtt(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    # as a sync workflow does: subscribe first, send, then wait for the message whose
    # correlation value matches (others on the channel are dropped), within the step timeout
    requests, outcomes = topic("calls"), topic("call.completed")
    deadline = R.Deadline(20.0)
    with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
        with R.open_subscriptions(transport, {"awaitOutcome": outcomes}) as subs:
            sent = R.send_message(
                deadline, transport, "placeCall", requests, payload={"to": "+15550100"}, headers={"X-Request": "r1"}
            )
            assert sent.raw == b'{"to":"+15550100"}'
            transport.send(message(R, outcomes, {"call_id": "OTHER", "status": "failed"}))
            transport.send(message(R, outcomes, {"call_id": "CA12", "status": "completed"}))
            got = R.receive(
                deadline,
                subs["awaitOutcome"],
                "awaitOutcome",
                outcomes,
                matches=lambda m: R.pointer(m.payload, "/call_id") == "CA12",
                awaited="call_id == 'CA12'",
                timeout_ms=5000,
            )
            assert got.payload == {"call_id": "CA12", "status": "completed"}
            timed_out = R.receive(
                deadline,
                subs["awaitOutcome"],
                "awaitOutcome",
                outcomes,
                matches=lambda m: R.pointer(m.payload, "/call_id") == "CA99",
                awaited="call_id == 'CA99'",
                timeout_ms=300,
            )
    assert isinstance(timed_out, R.MessageTimedOut)
    assert str(timed_out) == f"step 'awaitOutcome': no message with call_id == 'CA99' on '{outcomes}' within 0.3 s"


def test_generated_code_helpers_async_over_mqtt(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    outcomes = topic("call.completed")

    async def main() -> Any:
        deadline = R.Deadline(20.0)
        async with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            async with R.aopen_subscriptions(transport, {"awaitOutcome": outcomes}) as subs:
                await R.asend_message(deadline, transport, "echo", outcomes, payload={"call_id": "CA12"})
                return await R.areceive(
                    deadline,
                    subs["awaitOutcome"],
                    "awaitOutcome",
                    outcomes,
                    matches=None,
                    awaited=None,
                    timeout_ms=5000,
                )

    assert run(main()).payload == {"call_id": "CA12"}


def test_a_send_the_broker_cannot_take_is_step_failed_naming_the_step(R: types.ModuleType) -> None:
    port = refused_port()
    with R.MqttTransport("127.0.0.1", port) as transport:
        with pytest.raises(R.StepFailed) as caught:
            R.send_message(R.Deadline(5.0), transport, "placeCall", "calls", payload={})
    assert "placeCall" in str(caught.value)
    assert f"could not connect to the MQTT broker mqtt://127.0.0.1:{port}" in str(caught.value)


def test_a_lost_broker_ends_the_wait_with_a_transport_error(R: types.ModuleType, tmp_path: Path) -> None:
    from tests.events.brokers import start_mosquitto, stop

    process, broker = start_mosquitto(tmp_path)
    try:

        async def main() -> None:
            async with R.MqttTransport(broker.host, broker.port, keepalive=5) as transport:
                subscription = await transport.asubscribe("lost/one")
                waiting = asyncio.ensure_future(subscription.areceive(20))
                await asyncio.sleep(0.1)
                await asyncio.to_thread(stop, process)
                await waiting

        with pytest.raises(
            R.TransportError,
            match=rf"the subscription to 'lost/one' on the MQTT broker mqtt://127\.0\.0\.1:{broker.port} stopped receiving: the connection was lost",
        ):
            run(main())
    finally:
        stop(process)


def test_closing_a_sync_subscription_ends_a_wait_in_another_thread(R: types.ModuleType, mosquitto: Mosquitto) -> None:
    with R.MqttTransport(mosquitto.host, mosquitto.port) as transport:
        subscription = transport.subscribe(topic("close-sync"))
        outcome: list[BaseException | None] = []

        def wait() -> None:
            try:
                subscription.receive(10)
                outcome.append(None)
            except BaseException as error:  # noqa: BLE001 - inspected below
                outcome.append(error)

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.1)
        began = time.monotonic()
        subscription.close()
        waiter.join(5)
    assert len(outcome) == 1 and isinstance(outcome[0], R.SubscriptionClosed)
    assert time.monotonic() - began < 5


def test_closing_an_async_subscription_after_its_loop_ended_does_not_hang(
    R: types.ModuleType, mosquitto: Mosquitto
) -> None:
    transport = R.MqttTransport(mosquitto.host, mosquitto.port)

    async def main() -> Any:
        return await transport.asubscribe(topic("orphan"))

    subscription = run(main())  # asyncio.run has closed the loop the subscription read on
    with pytest.raises(R.TransportError, match="stopped receiving: the event loop it read on ended"):
        subscription.receive(0)
    began = time.monotonic()
    subscription.close()
    assert time.monotonic() - began < 1
    with pytest.raises(R.SubscriptionClosed):
        subscription.receive(0)
