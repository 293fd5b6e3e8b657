"""WebSocketTransport (runtime part events_ws) against a real websockets relay on 127.0.0.1."""

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

from tests.events.brokers import WsRelay, refused_port, ws_relay  # noqa: F401 - the fixture
from tests.events.runtime import load_runtime, write_runtime_package

PARTS = ("events", "events_ws")


@pytest.fixture(scope="module")
def R(tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:  # noqa: N802 - the runtime module
    return load_runtime(tmp_path_factory.mktemp("runtime"), PARTS)


def channel(name: str = "c") -> str:
    """A channel address of its own for one test (the relay lives for the whole session)."""
    return f"calls/{name}-{uuid.uuid4().hex[:10]}"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def message(
    R: types.ModuleType,
    address: str,
    payload: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Any:
    return R.Message(channel=address, payload=payload, headers=headers or {}, content_type=content_type)


async def raw_send(url: str, *frames: str | bytes) -> None:
    """Frames from a plain websockets client (not the transport)."""
    from websockets.asyncio.client import connect

    async with connect(url) as connection:
        for frame in frames:
            await connection.send(frame)


def test_channel_addresses_are_appended_to_the_base_url(R: types.ModuleType) -> None:
    transport = R.WebSocketTransport("ws://127.0.0.1:9/events/")
    assert transport.url_for("calls/CA12") == "ws://127.0.0.1:9/events/calls/CA12"
    assert transport.url_for("/calls/CA12") == "ws://127.0.0.1:9/events/calls/CA12"
    assert transport.url_for("call completed") == "ws://127.0.0.1:9/events/call%20completed"
    assert transport.url_for("") == "ws://127.0.0.1:9/events/"
    assert R.WebSocketTransport("ws://127.0.0.1:9").url_for("a") == "ws://127.0.0.1:9/a"
    with pytest.raises(ValueError, match="base_url must be a ws:// or wss:// URL"):
        R.WebSocketTransport("http://127.0.0.1:9")


def test_async_send_and_receive_round_trip(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("round")

    async def main() -> Any:
        async with R.WebSocketTransport(ws_relay.url + "/events") as transport:
            subscription = await transport.asubscribe(address)
            await transport.asend(message(R, address, {"call_id": "CA12", "status": "completed"}))
            return await subscription.areceive(5)

    got = run(main())
    assert got.channel == address
    assert got.payload == {"call_id": "CA12", "status": "completed"}
    assert (got.raw, dict(got.headers), got.content_type) == (
        b'{"call_id":"CA12","status":"completed"}',
        {},
        "application/json",
    )
    assert ws_relay.peers("/events/" + address) == 0  # the transport closed its connections


def test_one_text_frame_is_one_json_message(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("frames")

    async def main() -> list[Any]:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            subscription = await transport.asubscribe(address)
            await raw_send(f"{ws_relay.url}/{address}", '{"a": 1}', "[1, 2]", '"text"', b'{"binary": true}')
            return [(await subscription.areceive(5)).payload for _ in range(4)]

    assert run(main()) == [{"a": 1}, [1, 2], "text", {"binary": True}]


def test_a_message_sent_right_after_asubscribe_returns_is_received(R: types.ModuleType, ws_relay: WsRelay) -> None:
    async def main() -> list[Any]:
        got = []
        async with R.WebSocketTransport(ws_relay.url) as transport:
            for i in range(20):
                address = channel(f"race{i}")
                subscription = await transport.asubscribe(address)
                await transport.asend(message(R, address, {"i": i}))
                got.append((await subscription.areceive(5)).payload)
                await subscription.aclose()
        return got

    assert run(main()) == [{"i": i} for i in range(20)]


def test_areceive_returns_none_when_nothing_comes_within_the_timeout(R: types.ModuleType, ws_relay: WsRelay) -> None:
    async def main() -> tuple[Any, float, Any]:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            subscription = await transport.asubscribe(channel("quiet"))
            began = time.monotonic()
            nothing = await subscription.areceive(0.3)
            waited = time.monotonic() - began
            return nothing, waited, await subscription.areceive(0)

    nothing, waited, polled = run(main())
    assert nothing is None and polled is None
    assert 0.29 <= waited < 2.0


def test_several_subscribers_each_get_every_message(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("fanout")

    async def main() -> list[list[Any]]:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            subscriptions = [await transport.asubscribe(address) for _ in range(3)]
            for i in range(3):
                await transport.asend(message(R, address, {"i": i}))
            return [[(await s.areceive(5)).payload for _ in range(3)] for s in subscriptions]

    assert run(main()) == [[{"i": 0}, {"i": 1}, {"i": 2}]] * 3


def test_bad_json_frames_are_skipped_without_ending_the_wait(
    R: types.ModuleType, ws_relay: WsRelay, caplog: pytest.LogCaptureFixture
) -> None:
    address = channel("bad-json")

    async def main() -> tuple[Any, Any]:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            subscription = await transport.asubscribe(address)
            await raw_send(f"{ws_relay.url}/{address}", '{"call_id": "CA12", ', b"\xff\xfe", '{"call_id": "CA12"}')
            return await subscription.areceive(5), await subscription.areceive(0.2)

    with caplog.at_level(logging.WARNING):
        got, then = run(main())
    assert got.payload == {"call_id": "CA12"} and then is None
    skipped = [r.getMessage() for r in caplog.records if "skipped a message" in r.getMessage()]
    assert len(skipped) == 2 and all(address in text for text in skipped)


def test_a_text_content_type_reads_frames_as_text(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("text")

    async def main() -> Any:
        async with R.WebSocketTransport(ws_relay.url, content_type="text/plain") as transport:
            subscription = await transport.asubscribe(address)
            await transport.asend(message(R, address, "plain words, not JSON", content_type="text/plain"))
            return await subscription.areceive(5)

    got = run(main())
    assert (got.payload, got.content_type, got.raw) == ("plain words, not JSON", "text/plain", b"plain words, not JSON")


def test_handshake_headers_are_sent_and_never_shown(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("auth")
    secret = "Bearer ws-secret-token-1234"

    async def main() -> Any:
        async with R.WebSocketTransport(ws_relay.url, headers={"Authorization": secret}) as transport:
            subscription = await transport.asubscribe(address)
            assert secret not in repr(transport)
            await transport.asend(message(R, address, {"ok": 1}))
            return await subscription.areceive(5)

    assert run(main()).payload == {"ok": 1}
    seen = [h for h in ws_relay.handshakes if h.path == "/" + address]
    assert len(seen) == 2 and all(h.headers["authorization"] == secret for h in seen)
    with pytest.raises(R.TransportError) as caught:
        run(R.WebSocketTransport(ws_relay.url, headers={"Authorization": secret}).asubscribe("forbidden/x"))
    assert secret not in str(caught.value)


def test_a_refused_handshake_is_a_clear_transport_error(R: types.ModuleType, ws_relay: WsRelay) -> None:
    with pytest.raises(R.TransportError) as caught:
        run(R.WebSocketTransport(ws_relay.url).asubscribe("forbidden/calls"))
    assert (
        str(caught.value)
        == f"could not connect to the WebSocket server {ws_relay.url}/forbidden/calls: the server refused the handshake with HTTP 403"
    )
    assert isinstance(caught.value, R.WorkflowError)
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)


def test_connection_refused_is_a_clear_transport_error(R: types.ModuleType) -> None:
    port = refused_port()
    with pytest.raises(R.TransportError) as caught:
        run(R.WebSocketTransport(f"ws://127.0.0.1:{port}").asubscribe("a"))
    assert (
        str(caught.value)
        == f"could not connect to the WebSocket server ws://127.0.0.1:{port}/a: [Errno 111] Connect call failed ('127.0.0.1', {port})"
    )
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)
    with pytest.raises(
        R.TransportError, match=r"could not connect to the WebSocket server ws://127\.0\.0\.1:\d+/b: \[Errno 111\]"
    ):
        run(R.WebSocketTransport(f"ws://127.0.0.1:{port}").asend(message(R, "b", {})))


def test_a_connection_the_server_closes_ends_the_wait_with_a_transport_error(
    R: types.ModuleType, ws_relay: WsRelay
) -> None:
    address = channel("kicked")

    async def main() -> None:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            subscription = await transport.asubscribe(address)
            waiting = asyncio.ensure_future(subscription.areceive(10))
            await asyncio.sleep(0.05)
            await asyncio.to_thread(ws_relay.kick, "/" + address)
            await waiting

    with pytest.raises(
        R.TransportError,
        match=rf"the WebSocket connection to ws://127\.0\.0\.1:\d+/{address} for '{address}' was closed \(code 1011: relay going away\)",
    ):
        run(main())


def test_a_frame_over_max_message_bytes_fails_the_connection(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("large")

    async def main() -> None:
        async with R.WebSocketTransport(ws_relay.url, max_message_bytes=1000) as transport:
            subscription = await transport.asubscribe(address)
            await raw_send(f"{ws_relay.url}/{address}", '{"blob": "%s"}' % ("x" * 5000))
            await subscription.areceive(5)

    with pytest.raises(R.TransportError, match=r"was closed \(code 1009"):
        run(main())


def test_headers_cannot_be_sent(R: types.ModuleType, ws_relay: WsRelay) -> None:
    async def main() -> None:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            await transport.asend(message(R, "a", {}, {"x-a": "1"}))

    with pytest.raises(R.TransportError, match=r"cannot send headers \['x-a'\] on 'a': WebSocket frames have none"):
        run(main())


def test_closing_a_subscription_ends_its_wait(R: types.ModuleType, ws_relay: WsRelay) -> None:
    async def main() -> None:
        async with R.WebSocketTransport(ws_relay.url) as transport:
            subscription = await transport.asubscribe(channel("closing"))
            waiting = asyncio.ensure_future(subscription.areceive(10))
            await asyncio.sleep(0.05)
            await subscription.aclose()
            await waiting

    with pytest.raises(R.SubscriptionClosed):
        run(main())


def test_the_import_error_names_the_package_to_install(R: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "websockets" or name.startswith("websockets.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "websockets", None)
    with pytest.raises(ImportError) as caught:
        R.WebSocketTransport("ws://127.0.0.1:9")
    assert str(caught.value) == "WebSocketTransport needs the websockets package: pip install websockets"
    assert caught.value.__cause__ is None and (caught.value.__context__ is None or caught.value.__suppress_context__)


# -- sync -----------------------------------------------------------------------------


def test_sync_send_and_receive(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("sync")
    with R.WebSocketTransport(ws_relay.url) as transport:
        subscription = transport.subscribe(address)
        transport.send(message(R, address, {"sync": 1}))
        got = subscription.receive(5)
        began = time.monotonic()
        assert subscription.receive(0.2) is None
        assert 0.19 <= time.monotonic() - began < 2
        subscription.close()
        with pytest.raises(R.SubscriptionClosed):
            subscription.receive(0)
    assert got.payload == {"sync": 1}
    assert [t.name for t in threading.enumerate() if t.name == f"ws-{address}"] == []


def test_sync_and_async_sides_talk_through_the_server(R: types.ModuleType, ws_relay: WsRelay) -> None:
    address = channel("mixed")
    with R.WebSocketTransport(ws_relay.url) as transport:
        subscription = transport.subscribe(address)

        async def send() -> None:
            async with R.WebSocketTransport(ws_relay.url) as other:
                for i in range(5):
                    await other.asend(message(R, address, i))

        run(send())
        assert [subscription.receive(5).payload for _ in range(5)] == [0, 1, 2, 3, 4]


def test_sync_connection_refused_and_server_close(R: types.ModuleType, ws_relay: WsRelay) -> None:
    port = refused_port()
    with pytest.raises(
        R.TransportError,
        match=rf"could not connect to the WebSocket server ws://127\.0\.0\.1:{port}/a: \[Errno 111\] Connection refused",
    ):
        R.WebSocketTransport(f"ws://127.0.0.1:{port}").subscribe("a")
    address = channel("sync-kicked")
    with R.WebSocketTransport(ws_relay.url) as transport:
        subscription = transport.subscribe(address)
        ws_relay.kick("/" + address, 1001, "bye")
        with pytest.raises(R.TransportError, match=r"was closed \(code 1001: bye\)"):
            subscription.receive(5)


def test_the_transport_satisfies_both_protocols_under_mypy_strict(tmp_path: Path) -> None:
    write_runtime_package(tmp_path, "wsrt", PARTS)
    (tmp_path / "use_it.py").write_text(
        "from wsrt import _runtime as R\n\n"
        "sync: R.Transport = R.WebSocketTransport('ws://127.0.0.1:9')\n"
        "asynchronous: R.AsyncTransport = R.WebSocketTransport('ws://127.0.0.1:9')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use_it.py", "wsrt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_wss_with_a_context_that_trusts_the_servers_ca(R: types.ModuleType) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    relay = WsRelay(server_context).start()
    try:
        address = channel("tls")

        async def main() -> Any:
            async with R.WebSocketTransport(relay.url, ssl_context=client_context) as transport:
                subscription = await transport.asubscribe(address)
                await transport.asend(message(R, address, {"tls": True}))
                return await subscription.areceive(5)

        assert relay.url.startswith("wss://")
        assert run(main()).payload == {"tls": True}
        with pytest.raises(
            R.TransportError,
            match=r"could not connect to the WebSocket server wss://127\.0\.0\.1:\d+/x: .*CERTIFICATE_VERIFY_FAILED",
        ):
            run(R.WebSocketTransport(relay.url, ssl_context=ssl.create_default_context()).asubscribe("x"))
    finally:
        relay.close()
