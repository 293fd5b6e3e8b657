"""Retries against a scripted server on 127.0.0.1 (issue 12, items 3 and 7).

- Retry-After is capped: a workflow's ``retry`` action waits at most RETRY_AFTER_MAX
  (300 s) and fails the step at once beyond it; a transport retry waits at most
  TRANSPORT_MAX_DELAY (30 s) and is not made beyond it.  The injected sleep records
  every wait: none is ever above its cap, for seconds and HTTP-date forms.
- A 429 on a GET is retried, after its Retry-After.
- A POST whose operation declares ``Idempotency-Key`` carries a key that is the same on
  every retry of the step, and only such a POST is retried after a 5xx, a 429 or a
  reset; a POST without one is sent once.

Providers: nixflex (its retry actions honour Retry-After), agentphone and vapi (429 on
their polls); the idempotency cases use tests/conformance/idempotency (no provider's
OpenAPI declares an idempotency header).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.conformance.harness import Compiler, add_to_path
from tests.hostile.server import Conn, HostileServer
from tests.replay import SleepRecorder

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
#: A response the script sends: status, headers, JSON body (None: close without answering).
Reply = tuple[int, dict[str, str], Any] | None
FAR_DATE = "Fri, 31 Dec 2060 23:59:59 GMT"
HUGE = "999999999"


class Routes:
    """A script answering each (method, path) from its own queue of replies (the last
    one repeats), at most MAX_REQUESTS requests per connection."""

    MAX_REQUESTS = 50

    def __init__(self, table: dict[tuple[str, str], list[Reply]]) -> None:
        self.table = table
        self.lock = threading.Lock()

    @classmethod
    def from_cassette(cls, name: str, **first: list[Reply]) -> Routes:
        """The cassette's responses by route; ``first`` (``GET /path=[...]``, spaces as
        ``__``) puts hostile replies before a route's recorded ones."""
        data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
        table: dict[tuple[str, str], list[Reply]] = {}
        for interaction in data["interactions"]:
            request, response = interaction["request"], interaction["response"]
            replies = table.setdefault((request["method"], request["path"]), [])
            replies += [(response["status"], dict(response.get("headers") or {}), response.get("json"))] * interaction.get("repeat", 1)
        for key, replies in first.items():
            method, path = key.split("__", 1)
            table[(method, path)] = replies + table[(method, path)]
        return cls(table)

    def __call__(self, conn: Conn) -> None:
        for _ in range(self.MAX_REQUESTS):
            request = conn.read_request()
            with self.lock:
                queue = self.table[(request.method, request.path)]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
            if reply is None:
                return  # the connection closes: a reset, for the client
            status, headers, body = reply
            payload = b"" if body is None else json.dumps(body).encode()
            conn.respond(status, payload, reason="Whatever", headers={"Content-Type": "application/json", **headers})


def run(function: Callable[..., Any], mode: str, sleep: SleepRecorder, **kwargs: Any) -> Any:
    if mode == "sync":
        return function(sleep=sleep, **kwargs)
    twin = getattr(sys.modules[function.__module__], function.__name__ + "_async")
    return asyncio.run(twin(sleep=sleep.asleep, **kwargs))


@pytest.fixture
def serve() -> Iterator[Callable[[Routes], HostileServer]]:
    started: list[HostileServer] = []

    def start(routes: Routes) -> HostileServer:
        server = HostileServer(routes).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
        assert not server.errors, server.errors


# -- Retry-After is capped -------------------------------------------------------------

NIXFLEX_INPUTS: dict[str, Any] = {
    "key_id": "nxf_4b7e19c2",
    "key_secret": "nxfs_9d1c5a8e3f6b",
    "agent_id": "agt_nx_31",
    "to_number": "+447386172392",
    "prompt": "Remind {patient_name} of the dentist appointment tomorrow at 10:00.",
}
NIXFLEX_POLL = "GET__/v1/calls/CA5f2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
RATE_LIMITED = {"error": {"type": "rate_limit_error", "code": "concurrent_call_limit", "message": "slow down"}}


def nixflex(server: HostileServer, mode: str, sleep: SleepRecorder) -> Any:
    from generated.nixflex import nixflex_outbound_call

    return run(nixflex_outbound_call, mode, sleep, **NIXFLEX_INPUTS, servers={"nixflexCallsApi": server.url}, timeout=None)


@MODES
@pytest.mark.parametrize("header", [HUGE, FAR_DATE], ids=["seconds", "http-date"])
def test_a_retry_action_fails_at_once_when_retry_after_is_beyond_the_cap(serve: Any, mode: str, header: str) -> None:
    from generated.nixflex import StepFailed, _runtime

    server = serve(Routes.from_cassette("nixflex/rate_limited_without_header", **{NIXFLEX_POLL: [(429, {"Retry-After": header}, RATE_LIMITED)]}))
    sleep = SleepRecorder()
    started = time.monotonic()
    with pytest.raises(StepFailed) as caught:
        nixflex(server, mode, sleep)
    assert time.monotonic() - started < 10
    assert sleep.calls == []  # not 31 years, five times
    assert caught.value.status_code == 429
    assert "the server asked to wait" in str(caught.value) and f"more than the {_runtime.RETRY_AFTER_MAX:g} s limit" in str(caught.value)
    assert [r.method for r in server.requests] == ["POST", "GET"]


@MODES
@pytest.mark.parametrize("header", ["300", "http-date"])
def test_a_retry_action_waits_a_retry_after_up_to_the_cap(serve: Any, mode: str, header: str) -> None:
    from generated.nixflex import _runtime

    value = email.utils.formatdate(time.time() + 200, usegmt=True) if header == "http-date" else header
    server = serve(Routes.from_cassette("nixflex/rate_limited_without_header", **{NIXFLEX_POLL: [(429, {"Retry-After": value}, RATE_LIMITED)]}))
    sleep = SleepRecorder()
    outputs = nixflex(server, mode, sleep)
    assert outputs.ended_reason == "caller_hangup"
    # the header's wait (at most the cap), then the recorded 429 without one: the action's retryAfter
    assert len(sleep.calls) == 2 and 150 < sleep.calls[0] <= _runtime.RETRY_AFTER_MAX and sleep.calls[1] == 2.0


AGENTPHONE_INPUTS: dict[str, Any] = {"api_key": "ap_live_3c9f1e7d5b2a4d6f", "agent_id": "agt_7f3c2a", "to_number": "+14155550199"}
AGENTPHONE_POLL = "GET__/v1/calls/call_9a8b7c6d"
VAPI_INPUTS: dict[str, Any] = {
    "api_token": "vapi-secret-token-123",
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}
VAPI_POLL = "GET__/call/call_1"
LIMITED = {"message": "Rate limit exceeded"}


def agentphone(server: HostileServer, mode: str, sleep: SleepRecorder) -> Any:
    from generated.agentphone import agentphone_outbound_call

    return run(agentphone_outbound_call, mode, sleep, **AGENTPHONE_INPUTS, servers={"agentphoneCallsApi": server.url}, timeout=None)


def vapi(server: HostileServer, mode: str, sleep: SleepRecorder) -> Any:
    from generated.vapi import assistant_phone_outbound_call

    servers = {"assistantsApi": server.url, "phoneNumbersApi": server.url, "callsApi": server.url}
    return run(assistant_phone_outbound_call, mode, sleep, **VAPI_INPUTS, servers=servers, timeout=None, poll_interval=2.5)


PROVIDERS = pytest.mark.parametrize(
    "provider, cassette, poll", [(agentphone, "agentphone/happy_path", AGENTPHONE_POLL), (vapi, "vapi/happy_path", VAPI_POLL)], ids=["agentphone", "vapi"]
)


@MODES
@PROVIDERS
def test_a_429_on_a_poll_is_retried_after_its_retry_after(serve: Any, mode: str, provider: Any, cassette: str, poll: str) -> None:
    server = serve(Routes.from_cassette(cassette, **{poll: [(429, {"Retry-After": "7"}, LIMITED), (429, {}, LIMITED)]}))
    sleep = SleepRecorder()
    outputs = provider(server, mode, sleep)
    assert outputs.model_transport_retries == 2
    assert sleep.calls[0] == 7.0  # the header's delay, then a backoff (0.75 to 1.25 s, the second retry)
    assert 0.75 <= sleep.calls[1] <= 1.25
    gets = [r for r in server.requests if r.method == "GET" and r.path == poll.split("__", 1)[1]]
    assert len(gets) >= 3


@MODES
@PROVIDERS
@pytest.mark.parametrize("header", [HUGE, FAR_DATE], ids=["seconds", "http-date"])
def test_a_transport_retry_never_waits_beyond_its_cap(serve: Any, mode: str, provider: Any, cassette: str, poll: str, header: str) -> None:
    from generated.agentphone import StepFailed, _runtime

    # a short Retry-After is honoured; an absurd one ends the retries (the step fails with that status);
    # the same cap on a 503: tests/runtime/test_faults.py::test_retry_after_longer_than_the_retry_limit_is_not_waited_for
    status = 429
    server = serve(Routes.from_cassette(cassette, **{poll: [(status, {"Retry-After": "2"}, LIMITED), (status, {"Retry-After": header}, LIMITED)]}))
    sleep = SleepRecorder()
    with pytest.raises(Exception) as caught:
        provider(server, mode, sleep)
    assert type(caught.value).__name__ == StepFailed.__name__ and caught.value.status_code == status  # type: ignore[attr-defined]
    assert sleep.calls == [2.0]
    assert max(sleep.calls) <= _runtime.TRANSPORT_MAX_DELAY


# -- POSTs are retried only when safe --------------------------------------------------


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """tests/conformance/idempotency compiled: createOrder declares Idempotency-Key, createNote does not."""
    out = tmp_path_factory.mktemp("idempotency_package")
    add_to_path(out)
    compiled = Compiler(out)("idempotency")
    assert compiled.module is not None, compiled.errors
    return compiled.module


ORDER = "POST__/orders"
NOTE = "POST__/notes"


def order_routes(orders_replies: list[Reply], notes_replies: list[Reply] | None = None) -> Routes:
    return Routes({("POST", "/orders"): orders_replies, ("POST", "/notes"): notes_replies or [(201, {}, {})]})


def keys(server: HostileServer, path: str = "/orders") -> list[str | None]:
    return [r.headers.get("idempotency-key") for r in server.requests if r.path == path]


@MODES
@pytest.mark.parametrize(
    "failure", [(502, {}, None), (503, {}, None), (504, {}, None), (429, {"Retry-After": "1"}, None), None], ids=["502", "503", "504", "429", "reset"]
)
def test_only_the_keyed_post_is_retried(orders: ModuleType, serve: Any, mode: str, failure: Reply) -> None:
    server = serve(order_routes([failure, (201, {}, {"id": "order_1"})], [failure, (201, {}, {})]))
    sleep = SleepRecorder()
    outputs = run(orders.place_order, mode, sleep, servers={"orders": server.url}, item="book")
    assert outputs.order_id == "order_1"
    sent = keys(server)
    assert len(sent) == 2 and sent[0] and sent[0] == sent[1]  # one retry, the same key
    assert len(sleep.calls) == 1 and sleep.calls[0] <= orders._runtime.TRANSPORT_MAX_DELAY
    with pytest.raises(orders.WorkflowError):  # a POST without a key: sent once, the failure is final
        run(orders.add_note, mode, SleepRecorder(), servers={"orders": server.url})
    assert len(keys(server, "/notes")) == 1 and keys(server, "/notes") == [None]


@MODES
def test_a_retry_action_keeps_the_key_and_each_run_draws_a_new_one(orders: ModuleType, serve: Any, mode: str) -> None:
    server = serve(order_routes([(409, {}, {}), (201, {}, {"id": "order_1"}), (201, {}, {"id": "order_2"})]))
    sleep = SleepRecorder()
    run(orders.place_order_patiently, mode, sleep, servers={"orders": server.url}, item="book")
    assert sleep.calls == [1.0]  # the action's retryAfter
    run(orders.place_order_patiently, mode, SleepRecorder(), servers={"orders": server.url}, item="book")
    first, retried, second = keys(server)
    assert first == retried and first != second


@MODES
def test_the_callers_key_makes_the_keys_deterministic(orders: ModuleType, serve: Any, mode: str) -> None:
    server = serve(order_routes([(503, {}, None), (201, {}, {"id": "order_1"})]))
    for _ in range(2):
        run(orders.place_order, mode, SleepRecorder(), servers={"orders": server.url}, item="book", idempotency_key="run-42")
    assert keys(server) == ["run-42:placeOrder:create"] * 3
    with pytest.raises(orders.InvalidInput):
        run(orders.place_order, mode, SleepRecorder(), servers={"orders": server.url}, idempotency_key="caf\u00e9\r\n")
    assert len(server.requests) == 3


def test_a_step_run_again_by_a_goto_gets_a_new_key(orders: ModuleType) -> None:
    keys = orders._runtime.IdempotencyKeys("k", "wf")
    first = keys.key("create")
    keys.retrying("create")
    assert keys.key("create") == first == "k:wf:create"
    assert keys.key("create") == "k:wf:create:2"  # run again (a goto), not retried
    assert keys.child() != keys.child()
