"""One HTTP exchange against hostile servers: bounded memory and a wall-clock deadline.

Memory: each case runs the generated workflow in a child process (a small request
first, for the baseline, then the hostile one) that reports its peak RSS
(``resource.getrusage``); the test process never measures itself.  Time: the
workflow's ``timeout`` must bound the whole exchange, whatever the server drips.
Every server script below is bounded in bytes and in time.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib
import json
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hostile.server import Conn, HostileServer, chunked

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
CAP = 16 * MiB  # the documented default of max_response_bytes
#: Peak RSS of the hostile request over the same child's small request (the issue's bound).
RSS_BOUND = CAP + 60 * MiB
TIMEOUT = 2.0
#: How far past ``timeout`` a run may end (WorkflowTimeout "within about timeout + 1 s").
SLACK = 1.0

PROVIDERS: dict[str, dict[str, Any]] = {
    "vapi": {
        "module": "generated.vapi",
        "fn": "assistant_phone_outbound_call",
        "inputs": {
            "api_token": "vapi_sk_9f2c4e6a8b0d",
            "name": "Ada",
            "first_message": "Hello.",
            "system_prompt": "Be polite.",
            "customer_number": "+14155550199",
        },
        "servers": ["assistantsApi", "phoneNumbersApi", "callsApi"],
        "first": "createAssistant",
        "second": "provisionNumber",
        "ok": 201,
    },
    "agentphone": {
        "module": "generated.agentphone",
        "fn": "agentphone_outbound_call",
        "inputs": {"api_key": "ap_live_3c9f1e7d5b2a4d6f", "agent_id": "agt_7f3c2a", "to_number": "+14155550199"},
        "servers": ["agentphoneCallsApi"],
        "first": "createCall",
        "second": "pollCall",
        "ok": 200,
    },
}
CASES = [(provider, mode) for provider in PROVIDERS for mode in ("sync", "async")]
EACH = pytest.mark.parametrize(("provider", "mode"), CASES, ids=[f"{p}-{m}" for p, m in CASES])


def run(provider: str, mode: str, url: str, **options: Any) -> Any:
    """Run the provider's workflow against ``url`` (sync or async twin)."""
    spec = PROVIDERS[provider]
    package = importlib.import_module(spec["module"])
    kwargs = {**spec["inputs"], "servers": {name: url for name in spec["servers"]}, **options}
    if mode == "sync":
        return getattr(package, spec["fn"])(**kwargs)
    return asyncio.run(getattr(package, spec["fn"] + "_async")(**kwargs))


def errors(provider: str) -> Any:
    return importlib.import_module(PROVIDERS[provider]["module"])


# -- memory, in a child process ------------------------------------------------------

CHILD = r"""
import asyncio, importlib, json, resource, sys
spec = json.loads(sys.argv[1])
package = importlib.import_module(spec["module"])

from tests.hostile.rss import peak_rss_bytes

def run(url):
    kwargs = dict(spec["inputs"], servers={name: url for name in spec["servers"]}, timeout=60, **spec["options"])
    try:
        if spec["mode"] == "sync":
            getattr(package, spec["fn"])(**kwargs)
        else:
            asyncio.run(getattr(package, spec["fn"] + "_async")(**kwargs))
    except package.WorkflowError as exc:
        return {"error": type(exc).__name__, "message": str(exc)[:600], "status": getattr(exc, "status_code", None), "step": getattr(exc, "step_id", None)}
    return {"error": None}

run(spec["small"])
baseline = peak_rss_bytes()
outcome = run(spec["hostile"])
outcome["baseline"] = baseline
outcome["peak"] = peak_rss_bytes()
print(json.dumps(outcome))
"""


def child(provider: str, mode: str, small: str, hostile: str, **options: Any) -> dict[str, Any]:
    spec = {**PROVIDERS[provider], "mode": mode, "small": small, "hostile": hostile, "options": options}
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["growth"] = result["peak"] - result["baseline"]
    print(f"{provider}-{mode}: peak RSS +{result['growth'] / MiB:.1f} MiB over the baseline ({result['baseline'] / MiB:.1f} MiB)")
    return result


def small_script(conn: Conn) -> None:
    for _ in range(10):  # bounded: a few requests per connection
        conn.read_request()
        conn.respond(500, b'{"message": "small"}', reason="Internal Server Error", headers={"Content-Type": "application/json"})


class Hostile:
    """A server whose first request gets ``body`` (an iterator of raw bytes after ``head``)."""

    def __init__(self, head: bytes, body: Callable[[], Iterator[bytes]]) -> None:
        self.head = head
        self.body = body
        self.finished = threading.Event()  # set only when the whole body went out

    def __call__(self, conn: Conn) -> None:
        conn.read_request()
        conn.send(self.head)
        for piece in self.body():
            conn.send(piece)
        self.finished.set()


def ones(total: int, piece: int = MiB) -> Iterator[bytes]:
    block = b"x" * piece
    for _ in range(total // piece):
        yield block


def endless(limit_bytes: int = 300 * MiB, limit_seconds: float = 20.0) -> Iterator[bytes]:
    """Chunks of 1 MiB "without end": bounded here by 300 MiB or 20 s."""
    end = time.monotonic() + limit_seconds
    block = b"x" * MiB
    for _ in range(limit_bytes // MiB):
        if time.monotonic() > end:
            return
        yield block


def memory_case(provider: str, mode: str, script: Hostile, **options: Any) -> dict[str, Any]:
    with HostileServer(small_script) as small, HostileServer(script) as hostile:
        result = child(provider, mode, small.url, hostile.url, **options)
    assert not small.errors and not hostile.errors
    return result


def head(status: str, *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers]) + "\r\n\r\n").encode()


@EACH
def test_a_100_mb_body_stops_at_the_cap(provider: str, mode: str) -> None:
    ok = PROVIDERS[provider]["ok"]
    script = Hostile(head(f"{ok} OK", f"Content-Length: {100 * MiB}", "Content-Type: application/json"), lambda: ones(100 * MiB))
    result = memory_case(provider, mode, script)
    assert result["error"] == "StepFailed" and result["step"] == PROVIDERS[provider]["first"]
    assert f"larger than max_response_bytes ({CAP} bytes)" in result["message"]
    assert result["growth"] < RSS_BOUND
    assert not script.finished.is_set()  # reading stopped: the connection was closed


@EACH
def test_an_endless_chunked_body_stops_at_the_cap(provider: str, mode: str) -> None:
    ok = PROVIDERS[provider]["ok"]
    script = Hostile(head(f"{ok} OK", "Transfer-Encoding: chunked", "Content-Type: application/json"), lambda: chunked(endless()))
    result = memory_case(provider, mode, script)
    assert result["error"] == "StepFailed" and f"max_response_bytes ({CAP} bytes)" in result["message"]
    assert result["growth"] < RSS_BOUND
    assert not script.finished.is_set()


_BOMBS: dict[int, bytes] = {}


def bomb(layers: int) -> bytes:
    """300 MiB of zeros, gzipped ``layers`` times (two layers: about 1 KiB on the wire)."""
    if layers not in _BOMBS:
        data = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        inner = b"".join([*(data.compress(b"\0" * MiB) for _ in range(300)), data.flush()])
        _BOMBS[1] = inner
        _BOMBS[2] = gzip.compress(inner, 9)
    return _BOMBS[layers]


@EACH
def test_a_double_gzip_bomb_is_refused(provider: str, mode: str) -> None:
    ok = PROVIDERS[provider]["ok"]
    data = bomb(2)
    assert len(data) < 4096
    script = Hostile(head(f"{ok} OK", f"Content-Length: {len(data)}", "Content-Encoding: gzip, gzip"), lambda: iter([data]))
    result = memory_case(provider, mode, script)
    assert result["error"] == "StepFailed" and "2 Content-Encoding layers; at most one is accepted" in result["message"]
    assert result["growth"] < RSS_BOUND


@EACH
def test_a_gzip_bomb_inflates_only_to_the_cap(provider: str, mode: str) -> None:
    ok = PROVIDERS[provider]["ok"]
    data = bomb(1)
    script = Hostile(head(f"{ok} OK", f"Content-Length: {len(data)}", "Content-Encoding: gzip"), lambda: iter([data]))
    result = memory_case(provider, mode, script)
    assert result["error"] == "StepFailed" and f"max_response_bytes ({CAP} bytes)" in result["message"]
    assert result["growth"] < RSS_BOUND


@EACH
def test_a_500_with_a_huge_body_keeps_a_bounded_excerpt(provider: str, mode: str) -> None:
    script = Hostile(head("500 Internal Server Error", f"Content-Length: {100 * MiB}"), lambda: (b"a " * (MiB // 2) for _ in range(100)))
    result = memory_case(provider, mode, script)
    assert result["error"] == "StepFailed" and result["status"] == 500
    assert f"max_response_bytes ({CAP} bytes)" in result["message"] and "body: a a a" in result["message"]
    assert result["growth"] < RSS_BOUND
    assert not script.finished.is_set()


@EACH
def test_a_500_under_the_cap_builds_its_excerpt_from_a_prefix(provider: str, mode: str) -> None:
    """12 MiB of ``ab ab ab``: read whole (under the cap); the 2 KB excerpt must not cost a split of it all."""
    piece = b"ab " * (MiB // 3)
    script = Hostile(head("500 Internal Server Error", f"Content-Length: {12 * len(piece)}"), lambda: (piece for _ in range(12)))
    result = memory_case(provider, mode, script)
    assert result["error"] == "StepFailed" and result["status"] == 500
    assert "not met" in result["message"] and "max_response_bytes" not in result["message"]
    assert result["growth"] < RSS_BOUND
    assert script.finished.is_set()


def padded(provider: str, size: int) -> Callable[[Conn], None]:
    """The first step gets a valid body of about ``size`` bytes; every later request a 500."""
    ok = PROVIDERS[provider]["ok"]

    def script(conn: Conn) -> None:
        body = json.dumps({"id": "id_1", "pad": "x" * size}).encode()
        conn.read_request()
        conn.respond(ok, body, headers={"Content-Type": "application/json"})
        for _ in range(10):  # bounded
            conn.read_request()
            conn.respond(500, b"{}", reason="Internal Server Error", headers={"Content-Type": "application/json"})

    return script


@EACH
def test_max_response_bytes_is_a_per_call_option(provider: str, mode: str) -> None:
    module = errors(provider)
    with HostileServer(padded(provider, 300_000)) as server, pytest.raises(module.StepFailed) as capped:
        run(provider, mode, server.url, max_response_bytes=100_000)
    assert capped.value.step_id == PROVIDERS[provider]["first"]
    assert "larger than max_response_bytes (100000 bytes)" in str(capped.value)
    assert len(capped.value.body) < 2100  # an excerpt, not the body
    # the 3 MiB body was read whole: the next step ran
    with HostileServer(padded(provider, 3 * MiB)) as server, pytest.raises(module.StepFailed) as later:
        run(provider, mode, server.url)
    assert later.value.step_id == PROVIDERS[provider]["second"] and later.value.status_code == 500


# -- the deadline is wall-clock ------------------------------------------------------


def drip_body(conn: Conn) -> None:
    conn.read_request()
    conn.send(head("200 OK", "Content-Length: 1000", "Content-Type: application/json"))
    conn.drip(b"{" + b" " * 998 + b"}", 0.25, limit_seconds=12)


def drip_headers(conn: Conn) -> None:
    conn.read_request()
    conn.drip(head("200 OK", "X-Pad: " + "p" * 200, "Content-Length: 2") + b"{}", 0.25, limit_seconds=12)


def processing(conn: Conn) -> None:
    conn.read_request()
    end = time.monotonic() + 12
    while time.monotonic() < end:  # bounded: 12 s
        conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")
        time.sleep(0.2)


DRIPS = {"body": drip_body, "headers": drip_headers, "102": processing}


def timed(provider: str, mode: str, url: str, **options: Any) -> float:
    module = errors(provider)
    start = time.monotonic()
    with pytest.raises(module.WorkflowTimeout) as caught:
        run(provider, mode, url, timeout=TIMEOUT, **options)
    took = time.monotonic() - start
    assert caught.value.step_id == PROVIDERS[provider]["first"]
    print(f"{provider}-{mode}: WorkflowTimeout {took - TIMEOUT:+.2f} s past the {TIMEOUT:g} s timeout")
    return took


@EACH
@pytest.mark.parametrize("drip", list(DRIPS))
def test_a_drip_cannot_outlast_the_timeout(provider: str, mode: str, drip: str) -> None:
    with HostileServer(DRIPS[drip]) as server:
        took = timed(provider, mode, server.url)
    assert took < TIMEOUT + SLACK


@EACH
def test_the_timeout_bounds_a_pooled_connection_of_the_callers_client(provider: str, mode: str) -> None:
    """The caller's client reuses its keep-alive connection: the drip comes on the second request."""
    connections: list[int] = []

    def script(conn: Conn) -> None:
        connections.append(1)
        conn.read_request()
        conn.respond(500, b"{}", reason="Internal Server Error", headers={"Content-Type": "application/json"})
        drip_headers(conn)

    module = errors(provider)
    with HostileServer(script) as server:
        if mode == "sync":
            with httpx.Client(timeout=httpx.Timeout(5.0)) as client:
                with pytest.raises(module.StepFailed):
                    run(provider, mode, server.url, client=client)
                took = timed(provider, mode, server.url, client=client)
        else:

            async def both() -> float:
                async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
                    spec = PROVIDERS[provider]
                    fn = getattr(module, spec["fn"] + "_async")
                    kwargs = {**spec["inputs"], "servers": {name: server.url for name in spec["servers"]}, "client": client}
                    with pytest.raises(module.StepFailed):
                        await fn(**kwargs)
                    start = time.monotonic()
                    with pytest.raises(module.WorkflowTimeout):
                        await fn(**kwargs, timeout=TIMEOUT)
                    return time.monotonic() - start

            took = asyncio.run(both())
    assert connections == [1]  # one connection: the second run reused it
    assert took < TIMEOUT + SLACK


def _deflate_raw(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODINGS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "deflate": zlib.compress, "raw-deflate": _deflate_raw}


@EACH
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_one_compressed_layer_under_the_cap_is_decoded(provider: str, mode: str, encoding: str) -> None:
    """gzip, deflate and headerless deflate (as httpx accepts it) still decode, in small steps."""
    ok = PROVIDERS[provider]["ok"]
    body = ENCODINGS[encoding](json.dumps({"id": "id_1", "pad": "x" * 200_000}).encode())

    def script(conn: Conn) -> None:
        conn.read_request()
        name = "deflate" if encoding == "raw-deflate" else encoding
        conn.respond(ok, body, headers={"Content-Type": "application/json", "Content-Encoding": name})
        for _ in range(10):  # bounded
            conn.read_request()
            conn.respond(500, b"{}", reason="Internal Server Error", headers={"Content-Type": "application/json"})

    module = errors(provider)
    # the first body decoded to its id: the next step ran
    with HostileServer(script) as server, pytest.raises(module.StepFailed) as later:
        run(provider, mode, server.url, max_response_bytes=300_000)
    assert later.value.step_id == PROVIDERS[provider]["second"] and later.value.status_code == 500
    second = server.requests[1]
    assert "id_1" in second.target or b'"id_1"' in second.body  # the decoded id reached the next request
