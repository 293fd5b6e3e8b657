"""Secrets never leave: not through an error model, a log record or a redirect.

A hostile server (tests/hostile/server.py) echoes the run's token where the
runtime's defences used to miss it:

- JSON-escaped (``\\u0061...``) inside a documented error model field and in an
  extra field: the model is parsed from the raw body, then every string in it is
  scrubbed (and the excerpt ``exc.body`` too);
- in a response header, the reason phrase and a ``Location``: every record that
  httpx (INFO) and httpcore (DEBUG) log is scrubbed of the current run's secrets,
  and two concurrent async runs with different tokens each hide their own;
- a 307 to another origin, with a caller's client that has ``follow_redirects=True``:
  never followed (the other origin sees no request); the 3xx fails the step.

Each for the sync and async twins of two or three providers' packages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import generated.agentphone as agentphone
import generated.callingbox as callingbox
import generated.vapi as vapi
from tests.hostile.server import Conn, HostileServer
from tests.replay import SleepRecorder


@dataclass(frozen=True)
class Provider:
    package: Any
    run: Callable[..., Any]
    run_async: Callable[..., Any]
    token_input: str
    inputs: dict[str, Any]
    sources: tuple[str, ...]
    error_field: str  # the documented error model's field a token is echoed in
    error_status: int  # a status with a documented error model (0: none)


PROVIDERS = {
    "vapi": Provider(
        vapi,
        vapi.assistant_phone_outbound_call,
        vapi.assistant_phone_outbound_call_async,
        "api_token",
        {
            "name": "Ada",
            "first_message": "Hello.",
            "system_prompt": "Be polite.",
            "customer_number": "+14155550199",
        },
        ("assistantsApi", "phoneNumbersApi", "callsApi"),
        "",
        0,
    ),
    "agentphone": Provider(
        agentphone,
        agentphone.agentphone_outbound_call,
        agentphone.agentphone_outbound_call_async,
        "api_key",
        {"agent_id": "agt_7f3c2a", "to_number": "+14155550199"},
        ("agentphoneCallsApi",),
        "detail",
        401,
    ),
    "callingbox": Provider(
        callingbox,
        callingbox.callingbox_outbound_call,
        callingbox.callingbox_outbound_call_async,
        "api_key",
        {
            "agent_id": "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f",
            "to_number": "+15551234567",
        },
        ("callingboxCallsApi",),
        "error",
        401,
    ),
}
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


def token_for(name: str, mode: str) -> str:
    return f"tok-{name}-{mode}-7f3Kq9ZxW2"


def run(
    name: str,
    mode: str,
    url: str,
    token: str,
    make_client: Callable[[], Any] | None = None,
) -> BaseException:
    """Run the provider's workflow against ``url``; return the WorkflowError it raised."""
    provider = PROVIDERS[name]
    kwargs = {
        **provider.inputs,
        provider.token_input: token,
        "servers": {source: url for source in provider.sources},
    }
    kwargs["timeout"] = 10.0
    sleep = SleepRecorder()
    with pytest.raises(provider.package.WorkflowError) as caught:
        if mode == "sync":
            if make_client is None:
                provider.run(**kwargs, sleep=sleep)
            else:
                with make_client() as client:
                    provider.run(**kwargs, sleep=sleep, client=client)
        else:

            async def main() -> None:
                if make_client is None:
                    await provider.run_async(**kwargs, sleep=sleep.asleep)
                else:
                    async with make_client() as client:
                        await provider.run_async(
                            **kwargs, sleep=sleep.asleep, client=client
                        )

            asyncio.run(main())
    error: BaseException = caught.value
    return error


def escaped(text: str) -> str:
    """``text`` as a JSON string with every character written as ``\\uXXXX``."""
    return "".join(f"\\u{ord(char):04x}" for char in text)


# -- error models ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["agentphone", "callingbox"])
@MODES
def test_token_json_escaped_in_an_error_model_is_scrubbed(name: str, mode: str) -> None:
    provider = PROVIDERS[name]
    token = token_for(name, mode)
    body = (
        f'{{"{provider.error_field}": "invalid credentials {escaped(token)}",'
        f' "echo": {{"headers": [["authorization", "Bearer {escaped(token)}"]], "{escaped(token)}": 1}}}}'
    ).encode()

    def script(conn: Conn) -> None:
        conn.read_request()
        conn.respond(
            provider.error_status,
            body,
            reason="Unauthorized",
            headers={"Content-Type": "application/json"},
        )

    with HostileServer(script) as server:
        error = run(name, mode, server.url, token)
    assert (
        isinstance(error, provider.package.StepFailed)
        and error.status_code == provider.error_status
    )
    model = error.error
    assert model is not None, "the documented error model was not kept"
    assert getattr(model, provider.error_field) == "invalid credentials [REDACTED]"
    assert model.model_extra == {
        "echo": {"headers": [["authorization", "Bearer [REDACTED]"]], "[REDACTED]": 1}
    }
    shown = [
        repr(model),
        str(model),
        str(model.model_dump()),
        model.model_dump_json(),
        repr(error),
        str(error),
    ]
    for text in shown:
        assert token not in text
    # the excerpt, as a reader decoding its JSON escapes would see it
    assert token not in error.body.encode("ascii", "backslashreplace").decode(
        "unicode_escape"
    )
    assert "[REDACTED]" in error.body


def test_a_model_too_deep_to_scrub_is_dropped() -> None:
    """The walk that scrubs a model is bounded: a model nested past the bound is not kept."""
    runtime = agentphone._runtime.redact
    deep: Any = "x " + "tok-deep-secret"
    for _ in range(runtime._SCRUB_DEPTH + 5):
        deep = [deep]
    model = agentphone.models.ErrorDetail.model_validate(
        {"detail": "d", "nested": deep}
    )
    assert runtime._scrub_model(model, ("tok-deep-secret",)) is None
    shallow = agentphone.models.ErrorDetail.model_validate(
        {"detail": "tok-deep-secret", "nested": [[["tok-deep-secret"]]]}
    )
    kept = runtime._scrub_model(shallow, ("tok-deep-secret",))
    assert kept is not None and "tok-deep-secret" not in repr(kept)


# -- log records ----------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records(
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """Every record at DEBUG: the root logger's (caplog) and a handler on httpcore."""
    caplog.set_level(logging.DEBUG)
    handler = _Collect()
    httpcore_logger = logging.getLogger("httpcore")
    httpcore_logger.addHandler(handler)
    try:
        yield lambda: [*caplog.records, *handler.records]
    finally:
        httpcore_logger.removeHandler(handler)


def echo_script(
    token: str, barrier: threading.Barrier | None = None
) -> Callable[[Conn], None]:
    """Answers every request with the token in the reason phrase, a header and a Location."""

    def script(conn: Conn) -> None:
        conn.read_request()
        if barrier is not None:
            barrier.wait(timeout=10)  # both runs' requests are in flight at once
        conn.respond(
            401,
            b'{"detail": "no"}',
            reason=f"Unauthorized {token}",
            headers={
                "Content-Type": "application/json",
                "X-Echo": f"Bearer {token}",
                "Location": f"http://127.0.0.1:9/cb?token={token}",
            },
        )

    return script


def assert_no_token(found: list[logging.LogRecord], tokens: list[str]) -> None:
    names = {record.name for record in found}
    assert (
        "httpx" in names and "httpcore.http11" in names
    ), names  # the logs were seen at all
    assert any(
        "receive_response_headers.complete" in record.getMessage() for record in found
    )
    for record in found:
        for token in tokens:
            assert token not in record.getMessage(), (record.name, record.getMessage())
            assert token not in repr(record.args), (record.name, record.args)


@pytest.mark.parametrize("name", ["vapi", "agentphone"])
@MODES
def test_token_echoed_in_headers_reason_and_location_is_not_logged(
    name: str, mode: str, records: Callable[[], list[logging.LogRecord]]
) -> None:
    token = token_for(name, mode)
    with HostileServer(echo_script(token)) as server:
        error = run(name, mode, server.url, token)
    assert (
        isinstance(error, PROVIDERS[name].package.StepFailed)
        and error.status_code == 401
    )
    assert_no_token(records(), [token])
    assert token not in repr(error) and token not in str(error)


def test_concurrent_async_runs_hide_their_own_tokens(
    records: Callable[[], list[logging.LogRecord]],
) -> None:
    """Three runs in flight at once (two of one package, one of another), each echoed
    its own token: each record is scrubbed of its own run's secrets, whichever run
    set its secrets last."""
    runs = [
        ("agentphone", "tok-first-run-A1b2C3d4"),
        ("agentphone", "tok-second-run-E5f6G7h8"),
        ("vapi", "tok-third-run-J9k0L1m2"),
    ]
    barrier = threading.Barrier(len(runs))
    servers = [HostileServer(echo_script(token, barrier)) for _, token in runs]

    async def one(name: str, token: str, url: str) -> BaseException | None:
        provider = PROVIDERS[name]
        kwargs = {
            **provider.inputs,
            provider.token_input: token,
            "servers": {s: url for s in provider.sources},
        }
        try:
            await provider.run_async(
                **kwargs, timeout=10.0, sleep=SleepRecorder().asleep
            )
        except provider.package.WorkflowError as exc:
            error: BaseException = exc
            return error
        return None

    async def main() -> list[BaseException | None]:
        return list(
            await asyncio.gather(
                *(
                    one(name, token, server.url)
                    for (name, token), server in zip(runs, servers)
                )
            )
        )

    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.enter_context(server)
        errors = asyncio.run(main())
    assert [type(error).__module__ for error in errors] == [
        f"generated.{name}._runtime.errors" for name, _ in runs
    ], errors
    assert all(getattr(error, "status_code", None) == 401 for error in errors), errors
    assert_no_token(records(), [token for _, token in runs])


# -- redirects ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vapi", "agentphone"])
@MODES
def test_redirect_to_another_origin_is_not_followed(name: str, mode: str) -> None:
    token = token_for(name, mode)

    def other(conn: Conn) -> None:
        conn.read_request()
        conn.respond(200, b"{}", headers={"Content-Type": "application/json"})

    with HostileServer(other) as elsewhere:

        def redirect(conn: Conn) -> None:
            conn.read_request()
            conn.respond(
                307,
                b"",
                reason="Temporary Redirect",
                headers={"Location": f"{elsewhere.url}/steal"},
            )

        with HostileServer(redirect) as server:
            make_client = (
                (lambda: httpx.Client(follow_redirects=True))
                if mode == "sync"
                else (lambda: httpx.AsyncClient(follow_redirects=True))
            )
            error = run(name, mode, server.url, token, make_client)
            assert len(server.requests) == 1 and server.requests[0].method == "POST"
        assert elsewhere.requests == [], [
            (r.method, r.target, r.headers) for r in elsewhere.requests
        ]
    assert (
        isinstance(error, PROVIDERS[name].package.StepFailed)
        and error.status_code == 307
    )
    assert json.dumps(error.url).find(token) == -1
