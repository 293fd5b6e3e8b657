"""Values from responses that the next request cannot use (issue 12, items 4, 5 and 9).

A hostile server on 127.0.0.1 answers the create step with a body that lacks the id,
holds null, NaN, a lone surrogate or a 990-deep array; the next request must not be
sent with it (no ``GET /call/`` to the collection), and every failure is a
WorkflowError that quotes no secret and chains no encoder exception.  Regex criteria
follow ECMA-262: ``completed\\n`` is not the terminal ``^completed$``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from generated import agentphone, callingbox, vapi
from tests.hostile.server import Conn, HostileServer, Request

VAPI_TOKEN = "vapi-secret-token-123"
AP_KEY = "ap_live_3c9f1e7d5b2a4d6f"
#: Most requests one connection serves (every script is bounded).
MAX_REQUESTS = 40

Route = Callable[[Request], tuple[int, bytes]]


def router(route: Route) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        for _ in range(MAX_REQUESTS):
            request = conn.read_request()
            status, body = route(request)
            conn.respond(status, body, headers={"Content-Type": "application/json"})

    return script


def deep_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# -- the providers: a run, and what the create step answers -------------------------------


def vapi_route(create_call: bytes = b'{"id": "call_1"}', create_assistant: bytes = b'{"id": "asst_1"}') -> Route:
    def route(request: Request) -> tuple[int, bytes]:
        if request.method == "POST" and request.path == "/assistant":
            return 201, create_assistant
        if request.method == "POST" and request.path == "/phone-number":
            return 201, b'{"id": "pn_1"}'
        if request.method == "POST" and request.path == "/call":
            return 201, create_call
        return 200, b'{"status": "ended", "endedReason": "customer-ended-call", "cost": 0.1}'  # also the collection /call/

    return route


def agentphone_route(create_call: bytes = b'{"id": "call_1"}') -> Route:
    def route(request: Request) -> tuple[int, bytes]:
        if request.method == "POST" and request.path == "/v1/calls":
            return 200, create_call
        if request.path.endswith("/transcript"):
            return 200, b'{"transcript": []}'
        return 200, b'{"id": "call_1", "status": "completed"}'  # also the collection /v1/calls/

    return route


def run_vapi(url: str, is_async: bool, **inputs: Any) -> Any:
    args: dict[str, Any] = {
        "api_token": VAPI_TOKEN,
        "name": "Ada",
        "first_message": "Hello",
        "system_prompt": "Be polite.",
        "customer_number": "+14155550199",
        "servers": {"assistantsApi": url, "phoneNumbersApi": url, "callsApi": url},
        **inputs,
    }
    if is_async:
        return asyncio.run(vapi.assistant_phone_outbound_call_async(**args, sleep=_no_async_sleep))
    return vapi.assistant_phone_outbound_call(**args, sleep=lambda _: None)


def run_agentphone(url: str, is_async: bool, **inputs: Any) -> Any:
    args: dict[str, Any] = {"api_key": AP_KEY, "agent_id": "agt_1", "to_number": "+14155550199", "servers": {"agentphoneCallsApi": url}, **inputs}
    if is_async:
        return asyncio.run(agentphone.agentphone_outbound_call_async(**args, sleep=_no_async_sleep))
    return agentphone.agentphone_outbound_call(**args, sleep=lambda _: None)


async def _no_async_sleep(_: float) -> None:
    return None


PROVIDERS = {
    # name: (route for a create-call answer, run, the collection path, the poll step, its path parameter, the secret)
    "vapi": (lambda body: vapi_route(create_call=body), run_vapi, "/call/", "pollCall", "id", VAPI_TOKEN),
    "agentphone": (agentphone_route, run_agentphone, "/v1/calls/", "pollCall", "call_id", AP_KEY),
}
BOTH = pytest.mark.parametrize("provider", sorted(PROVIDERS))
TWINS = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


def failure(route: Route, run: Callable[..., Any], is_async: bool, **inputs: Any) -> tuple[BaseException, list[Request]]:
    with HostileServer(router(route)) as server:
        with pytest.raises(BaseException) as caught:
            run(server.url, is_async, **inputs)
        assert not server.errors
        return caught.value, list(server.requests)


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen and len(seen) < 50:
        seen.add(id(node))
        yield node
        node = node.__cause__ or node.__context__


def assert_clean(exc: BaseException, secret: str) -> None:
    """A WorkflowError, chained to nothing, with no secret in its text or repr."""
    assert isinstance(exc, vapi.WorkflowError) or isinstance(exc, agentphone.WorkflowError), repr(exc)
    assert exc.__cause__ is None and exc.__context__ is None, repr(exc.__context__)
    for node in chain(exc):
        assert secret not in str(node) and secret not in repr(node)
        assert secret.encode("utf-8", "surrogatepass") not in repr(node).encode("utf-8", "surrogatepass")


# -- item 4: a missing value fails the step that needs it ---------------------------------


@BOTH
@TWINS
@pytest.mark.parametrize("answer", [b'{"status": "queued"}', b'{"id": null}'], ids=["no-id", "null-id"])
def test_a_missing_id_fails_the_step_that_needs_it(provider: str, is_async: bool, answer: bytes) -> None:
    make_route, run, collection, poll_step, param, secret = PROVIDERS[provider]
    exc, requests = failure(make_route(answer), run, is_async)
    assert isinstance(exc, (vapi.StepFailed, agentphone.StepFailed)), repr(exc)
    assert exc.step_id == poll_step
    assert f"createCall: output 'callId' ($response.body#/id) is missing in the response; {poll_step} needs it for path parameter {param!r}" in str(exc)
    assert exc.status_code is None
    assert not any(r.path == collection or r.path.startswith(collection.rstrip("/") + "//") for r in requests)
    assert [r.method for r in requests][-1] == "POST"  # nothing was sent after the create step
    assert_clean(exc, secret)


# -- item 5: every failure is a WorkflowError ------------------------------------------------


@BOTH
@TWINS
@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b'{"id": "\\ud800"}', "is not valid Unicode (it holds a lone surrogate)"),
        (b'{"id": NaN}', "is NaN or Infinity, which strict JSON cannot carry"),
        (b'{"id": -Infinity}', "is NaN or Infinity, which strict JSON cannot carry"),
        (b'{"id": ["a", NaN]}', "is NaN or Infinity, which strict JSON cannot carry"),
    ],
    ids=["surrogate", "nan", "infinity", "nan-in-array"],
)
def test_a_path_value_that_cannot_be_sent_is_a_workflow_error(provider: str, is_async: bool, answer: bytes, problem: str) -> None:
    make_route, run, collection, poll_step, param, secret = PROVIDERS[provider]
    exc, requests = failure(make_route(answer), run, is_async)
    assert type(exc).__name__ == "WorkflowError"
    assert str(exc) == f"step {poll_step!r}: the request cannot be built: path parameter {param!r} {problem}"
    assert [r.method for r in requests][-1] == "POST"  # the poll was never sent ("nan" is not an id)
    assert_clean(exc, secret)


@TWINS
@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b'{"id": "asst_\\udc00"}', "the JSON body member /assistantId is not valid Unicode (it holds a lone surrogate)"),
        (b'{"id": NaN}', "the JSON body member /assistantId is NaN or Infinity"),
        (b'{"id": {"x": [1, Infinity]}}', "the JSON body member /assistantId/x/1 is NaN or Infinity"),
        (b'{"id": ' + deep_array(300) + b"}", "the JSON body is nested more than 256 levels deep (at /assistantId/0/0/0/0/0/0/0/...)"),
    ],
    ids=["surrogate", "nan", "nested-infinity", "300-deep"],
)
def test_a_body_value_that_cannot_be_sent_fails_the_step(is_async: bool, answer: bytes, problem: str) -> None:
    exc, requests = failure(vapi_route(create_assistant=answer), run_vapi, is_async)
    assert isinstance(exc, vapi.StepFailed), repr(exc)
    assert exc.step_id == "provisionNumber" and exc.status_code is None
    assert f"the request cannot be built: {problem}" in str(exc)
    assert [r.path for r in requests] == ["/assistant"]  # provisionNumber was never sent
    assert_clean(exc, VAPI_TOKEN)


@BOTH
@TWINS
def test_a_non_ascii_secret_in_a_header_never_shows(provider: str, is_async: bool) -> None:
    make_route, run, _, _, _, _ = PROVIDERS[provider]
    secret = "t\u00f6k\u00e9n-s\u00ebcret-9f3a"
    name = "api_token" if provider == "vapi" else "api_key"
    exc, requests = failure(make_route(b'{"id": "call_1"}'), run, is_async, **{name: secret})
    assert isinstance(exc, (vapi.StepFailed, agentphone.StepFailed)), repr(exc)
    assert exc.step_id == ("createAssistant" if provider == "vapi" else "createCall")
    assert "the request cannot be built: header 'Authorization' holds characters outside ASCII" in str(exc)
    assert requests == []
    assert_clean(exc, secret)
    assert "Bearer" not in repr(exc) and "t\u00f6k" not in str(exc)


@TWINS
def test_nan_in_a_query_parameter_is_refused_like_nan_in_a_body(is_async: bool) -> None:
    """httpx sends a float NaN parameter as ``nan``; strict JSON refuses it in a body: both refuse here."""
    from generated.vapi import _runtime

    for options in ({"params": {"limit": float("nan")}}, {"json": {"limit": float("nan")}}):
        with pytest.raises(vapi.StepFailed) as caught:
            _runtime.request_options("listCalls", "GET", "http://127.0.0.1:1/call", options.get("params"), None, None, {k: v for k, v in options.items() if k != "params"})
        assert "is NaN or Infinity" in str(caught.value) and caught.value.__context__ is None


def test_a_json_body_is_encoded_once_as_httpx_would() -> None:
    from generated.vapi import _runtime

    options = _runtime.request_options("s", "POST", "http://127.0.0.1:1/x", None, {"X-A": "1"}, None, {"json": {"n\u00e4me": "\u00e9", "v": [1, 2.5, None, True]}})
    assert options["content"] == json.dumps({"n\u00e4me": "\u00e9", "v": [1, 2.5, None, True]}, ensure_ascii=False, separators=(",", ":")).encode()
    assert options["headers"] == {"X-A": "1", "Content-Type": "application/json"} and "json" not in options


# -- item 9: regex criteria are ECMA-262 ------------------------------------------------------


@TWINS
def test_a_status_with_a_final_newline_is_not_terminal(is_async: bool) -> None:
    """callingbox polls while ``^(?!(completed|...)$)`` matches the status: with Python's ``$``,
    ``completed\\n`` ended the polling; with ECMA-262's, only ``completed`` does."""
    statuses = iter(["completed\n", "completed"])
    call = {"id": "c1", "status": "completed"}

    def route(request: Request) -> tuple[int, bytes]:
        if request.method == "POST":
            return 201, json.dumps({"id": "c1", "status": "queued"}).encode()
        return 200, json.dumps({**call, "status": next(statuses, "completed")}).encode()

    args: dict[str, Any] = {"api_key": "sk_live_8d2f4a6c0e1b3d5f", "agent_id": "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f", "to_number": "+15551234567"}
    with HostileServer(router(route)) as server:
        servers = {"callingboxCallsApi": server.url}
        if is_async:
            asyncio.run(callingbox.callingbox_outbound_call_async(**args, servers=servers, sleep=_no_async_sleep))
        else:
            callingbox.callingbox_outbound_call(**args, servers=servers, sleep=lambda _: None)
        gets = [r for r in server.requests if r.method == "GET"]
    assert len(gets) == 3  # poll (completed\n: still in flight), poll (completed), then waitForResult


@BOTH
@TWINS
def test_a_990_deep_id_is_a_workflow_error_never_a_recursion_error(provider: str, is_async: bool) -> None:
    make_route, run, _, _, _, secret = PROVIDERS[provider]
    exc, requests = failure(make_route(b'{"id": ' + deep_array(990) + b"}"), run, is_async)
    assert isinstance(exc, (vapi.StepFailed, agentphone.StepFailed)), repr(exc)
    assert "nested" in str(exc)
    assert not any(isinstance(node, RecursionError) for node in chain(exc))
    assert [r.method for r in requests][-1] == "POST"
    assert_clean(exc, secret)


# -- required parameters and body members (tests/hostile/values/: one spec, built here) ------


@pytest.fixture(scope="module")
def things(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import importlib
    import sys
    from pathlib import Path

    from arazzo_codegen.pipeline import Job, build
    from arazzo_codegen.write import write_package

    out = tmp_path_factory.mktemp("values_package")
    job = Job(spec=Path(__file__).resolve().parent / "values" / "arazzo.yaml", package="hostile_values_things", out=out)
    result = build(job)
    assert result.files, [str(item) for item in result.report.items]
    write_package(job.package_dir, result.files)
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("hostile_values_things")
    finally:
        sys.path.remove(str(out))


def things_route(created: dict[str, Any]) -> Route:
    def route(request: Request) -> tuple[int, bytes]:
        if request.path == "/things":
            return 201, json.dumps(created).encode()
        return 200, b"{}"

    return route


def run_things(package: Any, url: str, is_async: bool) -> Any:
    if is_async:
        return asyncio.run(package.use_thing_async(servers={"api": url}, sleep=_no_async_sleep))
    return package.use_thing(servers={"api": url}, sleep=lambda _: None)


@TWINS
@pytest.mark.parametrize(
    ("missing", "needed_for"),
    [
        ("token", "the required query parameter 'token'"),
        ("owner", "the required body member '/owner'"),
    ],
)
def test_a_required_parameter_or_body_member_must_be_present(things: Any, is_async: bool, missing: str, needed_for: str) -> None:
    created = {"id": "t1", "token": "k1", "owner": "ada", "note": "n"}
    del created[missing]
    exc, requests = failure(things_route(created), lambda url, is_async: run_things(things, url, is_async), is_async)
    assert isinstance(exc, things.StepFailed), repr(exc)
    assert exc.step_id == "use" and exc.status_code is None
    assert f"create: output {missing!r} ($response.body#/{missing}) is missing in the response; use needs it for {needed_for}" in str(exc)
    assert [r.path for r in requests] == ["/things"]


@TWINS
def test_an_optional_member_or_header_may_be_missing(things: Any, is_async: bool) -> None:
    """``note`` feeds an optional header and optional body members: its absence is no failure."""
    with HostileServer(router(things_route({"id": "t1", "token": "k1", "owner": "ada"}))) as server:
        outputs = run_things(things, server.url, is_async)
        requests = list(server.requests)
    assert outputs.id == "t1"
    assert [r.target for r in requests] == ["/things", "/things/t1/use?token=k1"]
    assert json.loads(requests[1].body)["detail"]["by"] == "by ada"
