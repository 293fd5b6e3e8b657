"""The runtime's asyncio-native network backend (``_runtime.asyncio_transport``), on 127.0.0.1.

A run of an async workflow function without ``client=`` builds its client on this
backend when it runs under asyncio and the environment names no proxy; a caller gets
the same with ``httpx.AsyncClient(transport=pkg._runtime.asyncio_transport())``.
Checked here: plain HTTP and HTTPS (a throwaway CA from ``trustme``), certificate
verification on the default path, connect and TLS-handshake timeouts, a stalled read
and a header drip ended by the run's deadline, a reset peer, a unix socket (``uds=``),
a server that closes an idle keep-alive connection, read flow control (bounded
buffering), and httpx's default backend when a proxy is configured or no asyncio
loop runs.  Every server script is bounded in time and bytes; trio is
not needed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest
import trustme

import generated.agentphone as agentphone
import generated.vapi as vapi
from generated.agentphone import _runtime
from generated.agentphone._runtime import aionet
from tests.hostile.server import Conn, HostileServer
from tests.hostile.test_retries import AGENTPHONE_INPUTS, VAPI_INPUTS, Routes

SERVERS = ("agentphoneCallsApi",)
VAPI_SERVERS = ("assistantsApi", "phoneNumbersApi", "callsApi")


class Connections:
    """Counts the connections each package's asyncio backend opens (a spy, not a stub)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[tuple[str, int]] = []
        for module in (agentphone._runtime.aionet, vapi._runtime.aionet):
            original = module._AioBackend.connect_tcp

            async def spy(backend: Any, host: str, port: int, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.opened.append((host, port))
                return await _original(backend, host, port, *args, **kwargs)

            monkeypatch.setattr(module._AioBackend, "connect_tcp", spy)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Connections:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return Connections(monkeypatch)


def agentphone_run(url: str, **options: Any) -> Any:
    return asyncio.run(agentphone.agentphone_outbound_call_async(**AGENTPHONE_INPUTS, servers={name: url for name in SERVERS}, **options))


def check_agentphone(outputs: Any) -> None:
    assert outputs.call_id == "call_9a8b7c6d" and outputs.status == "completed"
    assert outputs.model_transport_retries == 0


class Counting:
    """A script that counts its connections and hands each one to ``script``."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.count = 0

    def __call__(self, conn: Conn) -> None:
        self.count += 1
        self.script(conn)


# -- plain HTTP and HTTPS --------------------------------------------------------------


def test_a_run_without_client_uses_the_asyncio_backend_and_one_connection(connections: Connections) -> None:
    script = Counting(Routes.from_cassette("agentphone/happy_path"))
    with HostileServer(script) as server:
        check_agentphone(agentphone_run(server.url, timeout=10))
    assert [r.method for r in server.requests] == ["POST", "GET", "GET"]
    assert connections.opened == [("127.0.0.1", server.port)]  # opened by the asyncio backend
    assert script.count == 1  # and kept alive for the three requests
    assert not server.errors


def test_vapi_without_client_on_the_asyncio_backend(connections: Connections) -> None:
    script = Counting(Routes.from_cassette("vapi/happy_path"))
    with HostileServer(script) as server:
        outputs = asyncio.run(vapi.assistant_phone_outbound_call_async(**VAPI_INPUTS, servers={name: server.url for name in VAPI_SERVERS}, poll_interval=0, timeout=20))
    assert outputs.call_status == "ended"
    assert len(connections.opened) == 1 and script.count == 1
    assert len(server.requests) >= 4 and not server.errors


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[HostileServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with HostileServer(Routes.from_cassette("agentphone/happy_path"), tls=context) as server:
        yield server
    assert not server.errors


def test_https_on_the_asyncio_transport(connections: Connections, ca: trustme.CA, tls_server: HostileServer) -> None:
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)

    async def both() -> tuple[Any, Any]:
        async with httpx.AsyncClient(transport=_runtime.asyncio_transport(verify=trusting)) as client:
            outputs = await agentphone.agentphone_outbound_call_async(**AGENTPHONE_INPUTS, client=client, servers={"agentphoneCallsApi": tls_server.url}, timeout=10)
            response = await client.get(f"{tls_server.url}/v1/calls/call_9a8b7c6d", headers={"Authorization": f"Bearer {AGENTPHONE_INPUTS['api_key']}"})
            stream = response.extensions["network_stream"]
            return outputs, (type(stream).__name__, stream.get_extra_info("ssl_object").version(), response.json()["status"])

    outputs, (stream_class, version, status) = asyncio.run(both())
    check_agentphone(outputs)
    assert stream_class == "_AioStream" and version in ("TLSv1.2", "TLSv1.3") and status == "completed"
    assert connections.opened == [("127.0.0.1", tls_server.port)]  # one TLS connection for all four requests


def test_the_default_path_verifies_the_certificate(connections: Connections, tls_server: HostileServer) -> None:
    # The runtime's own client trusts certifi's CAs, not the throwaway one: no request is sent.
    with pytest.raises(agentphone.StepFailed) as caught:
        agentphone_run(tls_server.url, timeout=10)
    assert "could not connect" in str(caught.value) and caught.value.status_code is None
    assert connections.opened and tls_server.requests == []


# -- timeouts, stalls and resets -------------------------------------------------------


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full (listen(0), one connection waiting, never
    accepted): the kernel drops further SYNs, so a connect stalls until its timeout."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    waiting: list[socket.socket] = []
    for _ in range(3):  # bounded: fill the queue
        sock = socket.socket()
        sock.settimeout(0.2)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            sock.close()
            break
        waiting.append(sock)
    yield port
    for sock in waiting:
        sock.close()
    listener.close()


def test_a_connect_timeout_is_a_connect_timeout(connections: Connections, full_backlog: int) -> None:
    async def get() -> float:
        async with httpx.AsyncClient(transport=_runtime.asyncio_transport(), timeout=httpx.Timeout(5.0, connect=0.3)) as client:
            start = time.monotonic()
            with pytest.raises(httpx.ConnectTimeout):
                await client.get(f"http://127.0.0.1:{full_backlog}/")
            return time.monotonic() - start

    took = asyncio.run(get())
    assert 0.25 < took < 1.5
    assert connections.opened == [("127.0.0.1", full_backlog)]


def test_a_stalled_connect_ends_at_the_runs_deadline(connections: Connections, full_backlog: int) -> None:
    start = time.monotonic()
    with pytest.raises(agentphone.WorkflowError) as caught:
        agentphone_run(f"http://127.0.0.1:{full_backlog}", timeout=1.5)
    assert time.monotonic() - start < 2.5
    assert isinstance(caught.value, agentphone.WorkflowTimeout)
    assert connections.opened


def silent(conn: Conn) -> None:
    end = time.monotonic() + 10
    while time.monotonic() < end and not conn.server.stopping.is_set():  # bounded: 10 s
        time.sleep(0.05)


def test_a_stalled_tls_handshake_is_a_connect_timeout(connections: Connections) -> None:
    async def get(port: int) -> float:
        async with httpx.AsyncClient(transport=_runtime.asyncio_transport(), timeout=httpx.Timeout(5.0, connect=0.3)) as client:
            start = time.monotonic()
            with pytest.raises(httpx.ConnectTimeout):
                await client.get(f"https://127.0.0.1:{port}/")
            return time.monotonic() - start

    with HostileServer(silent) as server:  # accepts, never answers the ClientHello
        took = asyncio.run(get(server.port))
    assert 0.25 < took < 1.5
    assert connections.opened == [("127.0.0.1", server.port)]


def stall_after_the_request(conn: Conn) -> None:
    conn.read_request()
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    end = time.monotonic() + 10
    while time.monotonic() < end and not conn.server.stopping.is_set():  # bounded: 10 s
        time.sleep(0.05)


def test_a_stalled_read_is_ended_by_the_deadline(connections: Connections) -> None:
    with HostileServer(stall_after_the_request) as server:
        start = time.monotonic()
        with pytest.raises(agentphone.WorkflowTimeout) as caught:
            agentphone_run(server.url, timeout=1.0)
        took = time.monotonic() - start
    assert took < 2.0 and caught.value.step_id == "createCall"
    assert connections.opened == [("127.0.0.1", server.port)]


def drip_headers(conn: Conn) -> None:
    conn.read_request()
    conn.drip(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 200 + b"\r\nContent-Length: 2\r\n\r\n{}", 0.1, limit_seconds=10)


def test_a_drip_on_the_callers_asyncio_transport_ends_at_the_deadline(connections: Connections) -> None:
    """Each byte would restart the read timeout; the run's wall-clock deadline does not restart."""

    async def dripped(url: str) -> float:
        async with httpx.AsyncClient(transport=_runtime.asyncio_transport(), timeout=httpx.Timeout(5.0)) as client:
            start = time.monotonic()
            with pytest.raises(agentphone.WorkflowTimeout):
                await agentphone.agentphone_outbound_call_async(**AGENTPHONE_INPUTS, client=client, servers={"agentphoneCallsApi": url}, timeout=1.0)
            return time.monotonic() - start

    with HostileServer(drip_headers) as server:
        took = asyncio.run(dripped(server.url))
    assert took < 2.0
    assert connections.opened == [("127.0.0.1", server.port)]


def reset_after_the_request(conn: Conn) -> None:
    conn.read_request()
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST


def test_a_reset_peer_is_a_workflow_error(connections: Connections) -> None:
    with HostileServer(reset_after_the_request) as server:
        with pytest.raises(agentphone.StepFailed) as caught:
            agentphone_run(server.url, timeout=10)
    assert caught.value.step_id == "createCall" and caught.value.status_code is None
    assert "the connection failed" in str(caught.value) or "closed the connection" in str(caught.value)
    assert [r.method for r in server.requests] == ["POST"]  # a POST is sent once
    assert connections.opened


def test_a_read_error_is_an_httpcore_read_error(connections: Connections) -> None:
    """At the stream: bytes that arrived before the reset are read, then ReadError."""

    def script(conn: Conn) -> None:
        conn.read_request()
        conn.send(b"partial")
        time.sleep(0.2)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    async def read_all(port: int) -> tuple[bytes, BaseException | None]:
        stream = await aionet._AIO_BACKEND.connect_tcp("127.0.0.1", port, timeout=5)
        await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        got = b""
        try:
            for _ in range(10):  # bounded
                chunk = await stream.read(65536, timeout=5)
                if not chunk:
                    return got, None
                got += chunk
        except httpcore.ReadError as exc:
            return got, exc
        finally:
            await stream.aclose()
        return got, None

    with HostileServer(script) as server:
        got, error = asyncio.run(read_all(server.port))
    assert got == b"partial" and isinstance(error, httpcore.ReadError)


@pytest.mark.parametrize("wait", ["loop-ran", "loop-blocked"])
def test_an_idle_connection_the_server_closed_is_not_reused(connections: Connections, wait: str) -> None:
    """A server that closes after each response (without ``Connection: close``): before
    reusing the idle connection, the pool asks whether it is readable; its end arrived,
    so a new connection is opened and the second request succeeds.  With the loop
    blocked in between, the end is still in the kernel (only the socket check sees it)."""

    def one_answer(conn: Conn) -> None:
        conn.read_request()
        conn.respond(200, b'{"n": 1}', headers={"Content-Type": "application/json"})
        time.sleep(0.1)  # the end comes after the client has finished with the response
        conn.sock.shutdown(socket.SHUT_WR)
        time.sleep(0.5)  # bounded: then the socket closes

    async def twice(url: str) -> list[int]:
        async with httpx.AsyncClient(transport=_runtime.asyncio_transport(), timeout=5.0) as client:
            first = await client.get(url)
            if wait == "loop-ran":
                await asyncio.sleep(0.3)
            else:
                time.sleep(0.3)  # deliberately blocks the loop: no eof_received yet
            second = await client.get(url)
            return [first.status_code, second.status_code]

    script = Counting(one_answer)
    with HostileServer(script) as server:
        assert asyncio.run(twice(server.url)) == [200, 200]
    assert script.count == 2 and len(connections.opened) == 2
    assert not server.errors


def test_reading_is_paused_while_a_large_body_waits(connections: Connections) -> None:
    """Flow control: bytes the client has not read yet are buffered only up to the limit."""

    def flood(conn: Conn) -> None:
        conn.read_request()
        block = b"x" * (1 << 20)
        for _ in range(32):  # bounded: 32 MiB
            conn.send(block)

    async def peek(port: int) -> tuple[int, int]:
        stream = await aionet._AIO_BACKEND.connect_tcp("127.0.0.1", port, timeout=5)
        try:
            await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            await asyncio.sleep(0.5)  # the server sends as fast as it can; nothing is read
            waiting = stream._protocol.buffered  # type: ignore[attr-defined]
            total = 0
            for _ in range(10_000):  # bounded: read it all
                chunk = await stream.read(65536, timeout=5)
                if not chunk:
                    break
                total += len(chunk)
                if total >= 32 << 20:
                    break
            return waiting, total
        finally:
            await stream.aclose()

    with HostileServer(flood) as server:
        waiting, total = asyncio.run(peek(server.port))
    assert 0 < waiting <= 2 * aionet._AIO_READ_LIMIT
    assert total == 32 << 20  # reading resumed: every byte arrived


# -- where httpx's default backend stays -------------------------------------------------


def proxy_script(conn: Conn) -> None:
    """An HTTP proxy for http://agentphone.invalid: the request line holds the absolute URL."""
    routes = Routes.from_cassette("agentphone/happy_path")
    for _ in range(10):  # bounded
        request = conn.read_request()
        assert request.target.startswith("http://agentphone.invalid/")
        path = request.target.removeprefix("http://agentphone.invalid")
        queue = routes.table[(request.method, path)]
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        assert reply is not None
        status, headers, body = reply
        conn.respond(status, json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})


def test_a_proxy_in_the_environment_keeps_httpx_default_backend(connections: Connections, monkeypatch: pytest.MonkeyPatch) -> None:
    with HostileServer(proxy_script) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        check_agentphone(agentphone_run("http://agentphone.invalid", timeout=10))
    assert [r.target.split("?")[0] for r in proxy.requests] == ["http://agentphone.invalid/v1/calls", "http://agentphone.invalid/v1/calls/call_9a8b7c6d", "http://agentphone.invalid/v1/calls/call_9a8b7c6d/transcript"]
    assert connections.opened == []  # the proxy's connection came from httpx's own backend
    assert not proxy.errors


def test_outside_an_asyncio_loop_the_client_is_httpx_default(connections: Connections) -> None:
    # what a run under trio gets (no asyncio loop is running): httpx's own transport
    client = aionet._owned_async_client()
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert pool._network_backend is not aionet._AIO_BACKEND

    async def inside() -> Any:
        async with aionet._owned_async_client() as owned:
            return owned._transport._pool._network_backend  # type: ignore[attr-defined]

    assert asyncio.run(inside()) is aionet._AIO_BACKEND


def test_asyncio_transport_leaves_a_proxy_transport_alone() -> None:
    transport = _runtime.asyncio_transport(proxy="http://127.0.0.1:9")
    assert type(transport._pool).__name__ == "AsyncHTTPProxy"  # type: ignore[attr-defined]
    assert transport._pool._network_backend is not aionet._AIO_BACKEND  # type: ignore[attr-defined]


def test_a_unix_socket_on_the_asyncio_transport(tmp_path: Any) -> None:
    """``uds=``: httpcore connects through connect_unix_socket, on asyncio's unix transport."""
    path = str(tmp_path / "api.sock")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        body = b'{"ok": true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    async def get() -> tuple[int, Any, str]:
        server = await asyncio.start_unix_server(answer, path)
        async with server:
            async with httpx.AsyncClient(transport=_runtime.asyncio_transport(uds=path), timeout=5.0) as client:
                response = await client.get("http://api.local/ping")
                return response.status_code, response.json(), type(response.extensions["network_stream"]).__name__

    assert asyncio.run(get()) == (200, {"ok": True}, "_AioStream")
