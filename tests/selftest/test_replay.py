"""Tests of the cassette replay server itself (tests/replay.py).

All traffic goes to 127.0.0.1; every client call has a timeout, every async
test is wrapped in asyncio.wait_for, and every fault/delay is short or is cut
short when the server stops.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.replay import (
    MISSING,
    REPLAY_ERROR_STATUS,
    Cassette,
    CassetteError,
    ReplayManager,
    ReplayServer,
)

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
SELFTEST = CASSETTES / "_replay_selftest"
TIMEOUT = httpx.Timeout(5.0)
ASYNC_TEST_TIMEOUT = 10.0


@contextmanager
def serve(name: str) -> Iterator[ReplayServer]:
    with ReplayServer(Cassette.load(SELFTEST / f"{name}.yaml")) as server:
        yield server


def replay_error(response: httpx.Response) -> str:
    assert response.status_code == REPLAY_ERROR_STATUS, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"replay_error"}
    message = body["replay_error"]
    assert isinstance(message, str)
    return message


# ---------------------------------------------------------------------------
# Matching requests
# ---------------------------------------------------------------------------


def test_matching_requests_get_recorded_responses() -> None:
    with serve("basic") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        assert server.url.startswith("http://127.0.0.1:")
        r = client.get(
            "/items",
            params=[("limit", "10"), ("tag", "a"), ("tag", "b")],
            headers={"Authorization": "Bearer test-token"},
        )
        assert r.status_code == 200
        assert r.headers["retry-after"] == "2"
        assert r.headers.get_list("x-multi") == ["one", "two"]
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"items": [{"id": 1, "ok": True}], "next": None}

        # Key order of JSON objects does not matter; 2.5 stays a float.
        r = client.post(
            "/items",
            json={"nested": {"b": 2.5, "a": 1}, "tags": ["x"], "name": "Ada"},
        )
        assert r.status_code == 201
        assert r.json() == {"id": "item_1"}

        r = client.get("/items/item_1/raw")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.text == "raw text ✓"

        r = client.delete("/items/item_1")
        assert r.status_code == 204
        assert r.content == b""

    assert server.errors == []
    assert [(q.method, q.path) for q in server.requests] == [
        ("GET", "/items"),
        ("POST", "/items"),
        ("GET", "/items/item_1/raw"),
        ("DELETE", "/items/item_1"),
    ]
    first = server.requests[0]
    assert first.query == {"limit": ["10"], "tag": ["a", "b"]}
    assert first.headers["authorization"] == "Bearer test-token"
    assert all(name == name.lower() for name in first.headers)
    assert first.body == b""
    assert server.requests[1].json() == {
        "nested": {"b": 2.5, "a": 1},
        "tags": ["x"],
        "name": "Ada",
    }
    server.assert_done()


def test_async_client_is_served() -> None:
    async def scenario(server: ReplayServer) -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as client:
            r = await client.get("/first")
            assert r.json() == {"n": 1}
            r = await client.get("/second")
            assert r.json() == {"n": 2}

    with serve("order") as server:
        asyncio.run(asyncio.wait_for(scenario(server), ASYNC_TEST_TIMEOUT))
    server.assert_done()


# ---------------------------------------------------------------------------
# Mismatches
# ---------------------------------------------------------------------------

RequestSpec = dict[str, Any]


def strict_good_request() -> RequestSpec:
    return {
        "method": "POST",
        "url": "/things/a%2Fb",
        "params": [("mode", "fast"), ("id", "1"), ("id", "2")],
        "headers": {"Authorization": "Bearer test-token", "X-Trace": "1"},
        "json": {"name": "Ada", "count": 1, "active": True, "tags": ["x", "y"]},
    }


def _set(key: str, value: Any) -> Callable[[RequestSpec], None]:
    def change(spec: RequestSpec) -> None:
        spec[key] = value

    return change


def _header(name: str, value: str | None) -> Callable[[RequestSpec], None]:
    def change(spec: RequestSpec) -> None:
        if value is None:
            del spec["headers"][name]
        else:
            spec["headers"][name] = value

    return change


def _json_field(key: str, value: Any) -> Callable[[RequestSpec], None]:
    def change(spec: RequestSpec) -> None:
        spec["json"][key] = value

    return change


def _raw_body(content: bytes, content_type: str) -> Callable[[RequestSpec], None]:
    def change(spec: RequestSpec) -> None:
        del spec["json"]
        spec["content"] = content
        spec["headers"]["Content-Type"] = content_type

    return change


STRICT_MISMATCHES: list[tuple[str, Callable[[RequestSpec], None], str]] = [
    ("method", _set("method", "PUT"), "method: expected POST, got PUT"),
    ("path-decoded", _set("url", "/things/a/b"), "path (raw, not percent-decoded)"),
    ("path-encoding-case", _set("url", "/things/a%2fb"), "'/things/a%2fb'"),
    ("path-other", _set("url", "/thing/a%2Fb"), "path"),
    ("query-missing-key", _set("params", [("id", "1"), ("id", "2")]), "query:"),
    (
        "query-value",
        _set("params", [("mode", "slow"), ("id", "1"), ("id", "2")]),
        "query:",
    ),
    (
        "query-extra-key",
        _set("params", [("mode", "fast"), ("id", "1"), ("id", "2"), ("x", "")]),
        "query:",
    ),
    ("query-repeat-count", _set("params", [("mode", "fast"), ("id", "1")]), "query:"),
    (
        "query-repeat-order",
        _set("params", [("mode", "fast"), ("id", "2"), ("id", "1")]),
        "query:",
    ),
    ("query-none", _set("params", None), "query:"),
    (
        "header-value",
        _header("Authorization", "Bearer other"),
        "header 'authorization': expected 'Bearer test-token', got 'Bearer other'",
    ),
    ("header-missing", _header("X-Trace", None), "header 'x-trace': missing"),
    (
        "absent-header-present",
        _header("X-Api-Key", "k"),
        "header 'x-api-key': must be absent",
    ),
    ("json-value", _json_field("name", "Bob"), "json body: at $.name"),
    ("json-bool-is-not-int", _json_field("active", 1), "json body: at $.active"),
    ("json-int-is-not-string", _json_field("count", "1"), "json body: at $.count"),
    ("json-extra-key", _json_field("extra", None), "unexpected key 'extra'"),
    ("json-list", _json_field("tags", ["y", "x"]), "json body: at $.tags[0]"),
    (
        "json-invalid",
        _raw_body(b"{not json", "application/json"),
        "json body: not valid JSON",
    ),
    (
        "json-content-type",
        _raw_body(
            json.dumps(
                {"name": "Ada", "count": 1, "active": True, "tags": ["x", "y"]}
            ).encode(),
            "text/plain",
        ),
        "json body: Content-Type is 'text/plain'",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(c, e, id=i) for i, c, e in STRICT_MISMATCHES],
)
def test_mismatch_is_answered_599_and_recorded(
    change: Callable[[RequestSpec], None], expected: str
) -> None:
    bad = strict_good_request()
    change(bad)
    with serve("strict_target") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        message = replay_error(client.request(**bad))
        assert expected in message
        assert "interactions[0]" in message
        assert "strict_target.yaml" in message
        assert server.errors == [message]

        # The interaction was not consumed: the correct request still matches.
        r = client.request(**strict_good_request())
        assert r.status_code == 200
        assert r.json() == {"ok": True}

    assert len(server.requests) == 2
    with pytest.raises(AssertionError, match="1 error"):
        server.assert_done()
    server.errors.clear()
    server.assert_done()


def form_good_request() -> RequestSpec:
    return {
        "method": "POST",
        "url": "/oauth/token",
        "data": {
            "grant_type": "client_credentials",
            "scope": ["read", "write"],
            "empty": "",
        },
        "headers": {"Cookie": "session=abc; theme=dark"},
    }


def _form_field(key: str, value: Any) -> Callable[[RequestSpec], None]:
    def change(spec: RequestSpec) -> None:
        if value is None:
            del spec["data"][key]
        else:
            spec["data"][key] = value

    return change


def _form_as_json(spec: RequestSpec) -> None:
    spec["json"] = spec.pop("data")


FORM_MISMATCHES: list[tuple[str, Callable[[RequestSpec], None], str]] = [
    ("form-value", _form_field("grant_type", "password"), "form body: expected"),
    ("form-missing-field", _form_field("empty", None), "form body: expected"),
    ("form-extra-field", _form_field("extra", "1"), "form body: expected"),
    ("form-repeat-order", _form_field("scope", ["write", "read"]), "form body"),
    (
        "form-sent-as-json",
        _form_as_json,
        "form body: Content-Type is 'application/json'",
    ),
    ("cookie-missing", _header("Cookie", "session=abc"), "cookies: expected"),
    ("cookie-value", _header("Cookie", "session=xyz; theme=dark"), "cookies: expected"),
    ("cookie-header-absent", _header("Cookie", None), "cookies: expected"),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(c, e, id=i) for i, c, e in FORM_MISMATCHES],
)
def test_form_and_cookie_mismatches(
    change: Callable[[RequestSpec], None], expected: str
) -> None:
    bad = form_good_request()
    change(bad)
    with serve("form") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        message = replay_error(client.request(**bad))
        assert expected in message
        assert server.errors == [message]
        r = client.request(**form_good_request())
        assert r.status_code == 200
        assert r.json() == {"access_token": "t"}
        server.expect_unconsumed()  # the second interaction is not exercised here
    server.errors.clear()
    server.assert_done()


def test_raw_body_match_and_mismatch() -> None:
    with serve("form") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        assert client.request(**form_good_request()).status_code == 200
        headers = {"Content-Type": "application/xml"}
        message = replay_error(
            client.put("/doc", content=b'<doc id="2"/>', headers=headers)
        )
        assert "body: expected" in message
        r = client.put("/doc", content=b'<doc id="1"/>', headers=headers)
        assert r.status_code == 200
        assert r.text == "ok"
        assert "content-type" not in r.headers  # raw body: no default type
    assert len(server.errors) == 1
    server.errors.clear()
    server.assert_done()


def test_unexpected_query_or_body_is_a_mismatch() -> None:
    with serve("order") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        message = replay_error(client.get("/first", params={"x": "1"}))
        assert "expected no query string, got 'x=1'" in message
        message = replay_error(client.request("GET", "/first", content=b"hello"))
        assert "the cassette expects no body, got 5 bytes" in message
        assert len(server.errors) == 2
        assert client.get("/first").status_code == 200
        assert client.get("/second").status_code == 200
    server.errors.clear()
    server.assert_done()


def test_order_is_enforced() -> None:
    with serve("order") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        message = replay_error(client.get("/second"))
        assert "interactions[0] (GET /first)" in message
        assert client.get("/first").json() == {"n": 1}
        assert client.get("/second").json() == {"n": 2}
        message = replay_error(client.get("/second"))
        assert "all 2 interaction(s)" in message
        assert "already consumed" in message
    assert len(server.errors) == 2
    assert len(server.requests) == 4
    with pytest.raises(AssertionError, match="already consumed"):
        server.assert_done()


def test_repeat() -> None:
    with serve("repeat") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        statuses = [client.get("/calls/c1").json()["status"] for _ in range(4)]
        assert statuses == ["queued", "queued", "queued", "ended"]
        replay_error(client.get("/calls/c1"))
    assert len(server.errors) == 1
    server.errors.clear()
    server.assert_done()


def test_assert_done_reports_unconsumed_and_partial_repeat() -> None:
    with serve("repeat") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        client.get("/calls/c1")
        client.get("/calls/c1")
    with pytest.raises(AssertionError) as info:
        server.assert_done()
    text = str(info.value)
    assert "2 unconsumed interaction(s)" in text
    assert "interactions[0] GET /calls/c1 (matched 2 of 3 time(s))" in text
    assert "interactions[1] GET /calls/c1 (matched 0 of 1 time(s))" in text
    assert "repeat.yaml" in text
    server.expect_unconsumed()
    server.assert_done()


def test_expect_unconsumed_does_not_hide_errors() -> None:
    with serve("order") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        replay_error(client.get("/nope"))
    server.expect_unconsumed()
    with pytest.raises(AssertionError, match="GET /nope"):
        server.assert_done()


# ---------------------------------------------------------------------------
# Timing, faults, connections
# ---------------------------------------------------------------------------


def test_delay_is_honoured() -> None:
    with serve("delay") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        start = time.monotonic()
        r = client.get("/slow")
        elapsed = time.monotonic() - start
    assert r.status_code == 200
    assert elapsed >= 0.05
    server.assert_done()


def test_reset_fault_is_a_transport_error() -> None:
    with serve("faults") as server:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            with pytest.raises(httpx.TransportError):
                client.get("/reset")
        server.expect_unconsumed()
    assert server.errors == []


def test_stall_fault_times_out_and_server_recovers() -> None:
    with serve("faults") as server:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            with pytest.raises(httpx.TransportError):
                client.get("/reset")
        stall_timeout = httpx.Timeout(5.0, read=0.1)
        with httpx.Client(base_url=server.url, timeout=stall_timeout) as client:
            start = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                client.get("/stall")
            assert time.monotonic() - start < 3.0
        # The server keeps serving after faults, on fresh connections.
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            assert client.get("/after").json() == {"ok": True}
        stop_started = time.monotonic()
    # Stopping cuts the 5 s stall short.
    assert time.monotonic() - stop_started < 2.0
    server.assert_done()


def test_keep_alive_with_and_without_bodies() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"chunked "
        yield b"body"

    with serve("keepalive") as server, httpx.Client(
        base_url=server.url, timeout=TIMEOUT
    ) as client:
        assert client.get("/a").json() == {"n": 1}
        assert client.post("/b", json={"x": 1}).json() == {"n": 2}
        # An iterator body goes out with Transfer-Encoding: chunked.
        assert client.post("/c", content=chunks()).json() == {"n": 3}
        r = client.head("/d")
        assert r.status_code == 200
        assert r.content == b""
        assert server.connection_count == 1
    assert server.requests[2].headers.get("transfer-encoding") == "chunked"
    assert server.requests[2].body == b"chunked body"
    server.assert_done()


def test_concurrent_async_requests() -> None:
    async def scenario(server: ReplayServer) -> float:
        limits = httpx.Limits(max_connections=8)
        async with httpx.AsyncClient(
            base_url=server.url, timeout=TIMEOUT, limits=limits
        ) as client:
            start = time.monotonic()
            responses = await asyncio.gather(*(client.get("/poll") for _ in range(8)))
            elapsed = time.monotonic() - start
        assert [r.json() for r in responses] == [{"ok": True}] * 8
        return elapsed

    with serve("concurrent") as server:
        elapsed = asyncio.run(asyncio.wait_for(scenario(server), ASYNC_TEST_TIMEOUT))
    # Eight 0.2 s delays served one after another would take 1.6 s.
    assert elapsed < 1.2
    assert len(server.requests) == 8
    assert server.connection_count > 1
    server.assert_done()


def test_stop_is_bounded_with_idle_keep_alive_connection() -> None:
    client = httpx.Client(timeout=TIMEOUT)
    try:
        with serve("order") as server:
            assert client.get(server.url + "/first").status_code == 200
            start = time.monotonic()
        assert time.monotonic() - start < 2.0
    finally:
        client.close()
    server.expect_unconsumed()
    server.assert_done()


def test_lifecycle_errors() -> None:
    server = ReplayServer(Cassette.load(SELFTEST / "order.yaml"))
    with pytest.raises(RuntimeError):
        server.url
    with server:
        with pytest.raises(RuntimeError):
            server.start()
    server.stop()  # idempotent


# ---------------------------------------------------------------------------
# Loader
# ---------------------------------------------------------------------------

VALID_INTERACTION = """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200}
"""

LOADER_ERRORS: list[tuple[str, str, str]] = [
    ("top-level-unknown", "extra: 1\n" + VALID_INTERACTION, "extra: unknown key"),
    (
        "interaction-unknown",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200}
    repeats: 2
""",
        "interactions[0].repeats: unknown key",
    ),
    (
        "request-unknown",
        """
interactions:
  - request: {method: GET, path: /x, header: {A: b}}
    response: {status: 200}
""",
        "interactions[0].request.header: unknown key",
    ),
    (
        "response-unknown",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200, jsn: {}}
""",
        "interactions[0].response.jsn: unknown key",
    ),
    (
        "missing-status",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {json: {a: 1}}
""",
        "interactions[0].response.status: missing required key",
    ),
    (
        "missing-method",
        """
interactions:
  - request: {path: /x}
    response: {status: 200}
""",
        "interactions[0].request.method: missing required key",
    ),
    ("missing-interactions", "description: nothing\n", "interactions: missing"),
    ("top-level-not-mapping", "- 1\n- 2\n", "expected a mapping"),
    ("invalid-yaml", "interactions: [\n", "invalid YAML"),
    (
        "duplicate-key",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200}
    response: {status: 201}
""",
        "duplicate key 'response'",
    ),
    (
        "lowercase-method",
        """
interactions:
  - request: {method: get, path: /x}
    response: {status: 200}
""",
        "interactions[0].request.method",
    ),
    (
        "path-with-query",
        """
interactions:
  - request: {method: GET, path: "/x?a=1"}
    response: {status: 200}
""",
        "interactions[0].request.path",
    ),
    (
        "unquoted-number-in-query",
        """
interactions:
  - request: {method: GET, path: /x, query: {limit: 10}}
    response: {status: 200}
""",
        "interactions[0].request.query.limit: expected a string",
    ),
    (
        "unquoted-date-in-json",
        """
interactions:
  - request: {method: POST, path: /x, json: {when: 2024-01-01}}
    response: {status: 200}
""",
        "interactions[0].request.json.when: date",
    ),
    (
        "two-bodies",
        """
interactions:
  - request: {method: POST, path: /x, json: {}, body: "x"}
    response: {status: 200}
""",
        "at most one of json/form/body",
    ),
    (
        "header-in-both-lists",
        """
interactions:
  - request: {method: GET, path: /x, headers: {X-A: "1"}, absent_headers: [x-a]}
    response: {status: 200}
""",
        "interactions[0].request.absent_headers[0]",
    ),
    (
        "status-string",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: "200"}
""",
        "interactions[0].response.status: expected an integer",
    ),
    (
        "status-out-of-range",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 600}
""",
        "interactions[0].response.status",
    ),
    (
        "delay-too-long",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200, delay: 31}
""",
        "interactions[0].response.delay: must be between 0 and 30",
    ),
    (
        "unknown-fault",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {fault: explode}
""",
        "interactions[0].response.fault",
    ),
    (
        "fault-with-status",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {fault: reset, status: 200}
""",
        "interactions[0].response.status: not allowed together with fault",
    ),
    (
        "framing-header",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200, headers: {Content-Length: "3"}}
""",
        "interactions[0].response.headers.Content-Length",
    ),
    (
        "repeat-zero",
        """
interactions:
  - request: {method: GET, path: /x}
    response: {status: 200}
    repeat: 0
""",
        "interactions[0].repeat",
    ),
    (
        "second-interaction",
        VALID_INTERACTION + """
  - request: {method: GET, path: /y}
    response: {status: 200, unknown: 1}
""",
        "interactions[1].response.unknown: unknown key",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in LOADER_ERRORS]
)
def test_loader_rejects_bad_cassettes(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad_cassette.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError) as info:
        Cassette.load(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_loader_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(CassetteError, match="nope.yaml"):
        Cassette.load(path)


def test_loader_parses_fields() -> None:
    cassette = Cassette.load(SELFTEST / "strict_target.yaml")
    assert cassette.description.startswith("One fully specified request")
    (interaction,) = cassette.interactions
    request = interaction.request
    assert request.method == "POST"
    assert request.path == "/things/a%2Fb"
    assert request.query == {"mode": ["fast"], "id": ["1", "2"]}
    assert request.headers == {"authorization": "Bearer test-token", "x-trace": "1"}
    assert request.absent_headers == ("x-api-key",)
    assert request.json == {
        "name": "Ada",
        "count": 1,
        "active": True,
        "tags": ["x", "y"],
    }
    assert interaction.response.status == 200
    assert interaction.response.body is None
    assert interaction.repeat == 1

    faults = Cassette.load(SELFTEST / "faults.yaml")
    assert faults.interactions[0].response.fault == "reset"
    assert faults.interactions[0].response.json is MISSING
    assert faults.interactions[1].response.delay == 5.0


def test_every_selftest_cassette_loads() -> None:
    paths = sorted(SELFTEST.glob("*.yaml"))
    assert paths
    for path in paths:
        Cassette.load(path)


# ---------------------------------------------------------------------------
# Fixture / manager
# ---------------------------------------------------------------------------


def test_replay_fixture(replay: Callable[[str], ReplayServer]) -> None:
    server = replay("_replay_selftest/order")
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        assert client.get("/first").json() == {"n": 1}
        assert client.get("/second").json() == {"n": 2}
    # Teardown calls assert_done(); both interactions were consumed.


def test_replay_fixture_expected_errors(replay: Callable[[str], ReplayServer]) -> None:
    server = replay("_replay_selftest/repeat.yaml")
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        replay_error(client.delete("/calls/c1"))
    server.errors.clear()
    server.expect_unconsumed()


def test_manager_close_stops_servers_and_reports() -> None:
    manager = ReplayManager(CASSETTES)
    clean = manager("_replay_selftest/delay")
    dirty = manager("_replay_selftest/order")
    with httpx.Client(timeout=TIMEOUT) as client:
        assert client.get(clean.url + "/slow").status_code == 200
        replay_error(client.get(dirty.url + "/wrong"))
    with pytest.raises(AssertionError) as info:
        manager.close()
    text = str(info.value)
    assert "order.yaml" in text
    assert "GET /wrong" in text
    assert "unconsumed" in text
    assert "delay.yaml" not in text
    with httpx.Client(timeout=httpx.Timeout(1.0)) as client:
        with pytest.raises(httpx.ConnectError):
            client.get(clean.url + "/slow")


def test_manager_rejects_names_outside_cassettes_dir() -> None:
    manager = ReplayManager(CASSETTES)
    with pytest.raises(ValueError, match="escapes"):
        manager("../unit/whatever")
    manager.close()


def test_unsupported_method_is_recorded() -> None:
    with serve("order") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5.0) as sock:
            sock.sendall(b"FROB /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 501 ")
    assert len(server.errors) == 1
    assert "FROB /first" in server.errors[0]
    assert server.requests == []
