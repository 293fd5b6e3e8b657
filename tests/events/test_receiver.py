"""The webhook receiver over real HTTP on 127.0.0.1: every status code, the body cap, and
rejected webhooks that never end a wait; the same through its ASGI and WSGI apps and
deliver()."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

SECRET = "whk-test-secret-0123456789"
CAP = 4096


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(
    payload: Any, *, event: str | None = "call.completed", signed: bool = True, content_type: str = "application/json"
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    headers = {"Content-Type": content_type}
    if event is not None:
        headers["X-Event"] = event
    if signed:
        headers["X-Signature"] = "sha256=" + sign(body)
    return headers, body


@pytest.fixture
def receiver(rt: ModuleType) -> Iterator[Any]:
    verifier = rt.HmacSha256Verifier(SECRET, header="X-Signature", prefix="sha256=")
    with rt.WebhookReceiver(
        verifier=verifier,
        route=rt.route_by_header("X-Event"),
        path="/hooks/voice",
        max_body_bytes=CAP,
        read_timeout=0.5,
    ) as started:
        yield started


def raw_request(receiver: Any, data: bytes, *, then: bytes = b"", shut_write: bool = False) -> tuple[int, bytes]:
    """Send ``data`` on a fresh connection (then ``then``, without waiting); the status and the whole answer."""
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as conn:
        conn.sendall(data)
        if then:
            try:
                conn.sendall(then)
            except OSError:
                pass  # the server may have answered and closed already
        if shut_write:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def test_the_url_is_on_the_chosen_host_and_path(receiver: Any) -> None:
    assert receiver.url == f"http://127.0.0.1:{receiver.port}/hooks/voice"
    assert receiver.port > 0


def test_delivered_200_and_nobody_waiting_202(rt: ModuleType, receiver: Any) -> None:
    headers, body = webhook({"call_id": "CA1"})
    assert httpx.post(receiver.url, headers=headers, content=body).status_code == 202
    sub = receiver.subscribe("call.completed")
    headers, body = webhook({"call_id": "CA2"})
    answer = httpx.post(receiver.url, headers=headers, content=body)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    message = sub.receive(1.0)
    assert message.payload == {"call_id": "CA2"} and message.raw == body
    assert message.channel == "call.completed"
    assert message.headers["x-event"] == "call.completed" and message.content_type == "application/json"
    sub.close()
    assert receiver.statuses[200] == 1 and receiver.statuses[202] == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"])
def test_only_post_405(receiver: Any, method: str) -> None:
    answer = httpx.request(method, receiver.url)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


def test_another_path_404(receiver: Any) -> None:
    headers, body = webhook({"call_id": "CA1"})
    assert (
        httpx.post(receiver.url.replace("/hooks/voice", "/hooks/other"), headers=headers, content=body).status_code
        == 404
    )
    assert (
        httpx.post(receiver.url + "?x=1", headers=headers, content=body).status_code == 202
    )  # the query is not the path


def test_no_content_length_411(receiver: Any) -> None:
    headers, body = webhook({"call_id": "CA1"})
    status, _ = raw_request(
        receiver, b"POST /hooks/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n" + body
    )
    assert status == 411
    chunked = httpx.post(receiver.url, headers=headers, content=iter([body]))  # a generator body goes chunked
    assert chunked.status_code == 411


def test_a_content_length_over_the_cap_is_413_before_any_body_is_sent(receiver: Any) -> None:
    # Only the headers are sent, claiming a gigabyte: the answer comes at once, so the
    # server did not wait to read any of it.
    started = time.monotonic()
    status, answer = raw_request(
        receiver,
        b"POST /hooks/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n",
    )
    assert status == 413 and b"not read" in answer
    assert time.monotonic() - started < 0.4  # less than the read timeout: nothing was awaited
    big = httpx.post(receiver.url, headers={"Content-Type": "application/json"}, content=b"x" * (CAP + 1))
    assert big.status_code == 413


def test_a_lying_content_length_is_read_only_up_to_what_it_says(rt: ModuleType, receiver: Any) -> None:
    # The first Content-Length bytes are a good signed webhook; what follows (far more
    # than the cap) is never read: exactly those bytes are delivered, nothing else is parsed.
    headers, body = webhook({"call_id": "CA9"})
    sub = receiver.subscribe("call.completed")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"POST /hooks/voice HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
    status, _ = raw_request(receiver, request, then=b"POST /hooks/voice HTTP/1.1\r\n" + b"y" * (4 * CAP))
    assert status == 200
    assert sub.receive(1.0).raw == body
    assert sub.receive(0.05) is None
    assert sum(receiver.statuses.values()) == 1  # the junk after it was not taken for a second request


def test_a_body_shorter_than_its_content_length(receiver: Any) -> None:
    _, body = webhook({"call_id": "CA1"})
    head = f"POST /hooks/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body) + 10}\r\n\r\n".encode()
    status, _ = raw_request(receiver, head + body, shut_write=True)
    assert status == 400
    started = time.monotonic()
    status, _ = raw_request(receiver, head + body)  # the client just stops sending: 408 after the read timeout
    assert status == 408
    assert 0.4 < time.monotonic() - started < 3


def test_a_content_length_that_is_not_a_number_400(receiver: Any) -> None:
    for value in (b"12abc", b"-1", b"+5", b"\xc2\xb2"):
        status, _ = raw_request(
            receiver,
            b"POST /hooks/voice HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + b"\r\n\r\n",
            shut_write=True,
        )
        assert status == 400, value


def test_each_rejection_code(rt: ModuleType, receiver: Any) -> None:
    good_headers, body = webhook({"call_id": "CA1"})
    cases: list[tuple[int, dict[str, str], bytes]] = [
        (401, {k: v for k, v in good_headers.items() if k != "X-Signature"}, body),
        (401, {**good_headers, "X-Signature": "sha256=" + "0" * 64}, body),
        (401, {**good_headers, "X-Signature": sign(body)}, body),  # no prefix
        (415, *webhook({"call_id": "CA2"}, content_type="text/plain")),
        (415, *webhook({"call_id": "CA3"}, content_type="application/json; charset=latin-1")),
        (400, webhook(b'{"call_id": "CA1"')[0], b'{"call_id": "CA1"'),
        (400, webhook(b'{"n": NaN}')[0], b'{"n": NaN}'),
        (400, webhook(b'"\xff"')[0], b'"\xff"'),
        (422, *webhook({"call_id": "CA4"}, event=None)),
    ]
    for expected, headers, content in cases:
        answer = httpx.post(receiver.url, headers=headers, content=content)
        assert answer.status_code == expected, (expected, headers, answer.text)
    replay_headers, replay_body = webhook({"call_id": "CA-replay"})
    assert httpx.post(receiver.url, headers=replay_headers, content=replay_body).status_code == 202
    assert httpx.post(receiver.url, headers=replay_headers, content=replay_body).status_code == 409


def test_rejected_webhooks_never_end_a_wait_and_the_good_one_is_received(rt: ModuleType, receiver: Any) -> None:
    results: list[Any] = []
    deadline = rt.Deadline(20.0)

    def wait() -> None:
        with rt.open_subscriptions(receiver, {"awaitOutcome": "call.completed"}) as subs:
            ready.set()
            matches = lambda m: isinstance(m.payload, dict) and m.payload.get("call_id") == "CA12"  # noqa: E731
            results.append(
                rt.receive(
                    deadline,
                    subs["awaitOutcome"],
                    "awaitOutcome",
                    "call.completed",
                    matches=matches,
                    awaited="call_id == 'CA12'",
                    timeout_ms=10000,
                )
            )

    ready = threading.Event()
    waiter = threading.Thread(target=wait)
    waiter.start()
    assert ready.wait(5)
    good_headers, good_body = webhook({"call_id": "CA12", "status": "completed"})
    bad = [
        (401, {**good_headers, "X-Signature": "sha256=" + sign(good_body, "wrong-secret")}, good_body),  # bad signature
        (401, {k: v for k, v in good_headers.items() if k != "X-Signature"}, good_body),  # missing signature
        (415, {**good_headers, "Content-Type": "text/plain"}, good_body),  # wrong content type
        (400, webhook(b"{not json")[0], b"{not json"),  # malformed JSON
        (202, *webhook({"call_id": "CA99"})),  # someone else's call: nobody waits for it
        (
            401,
            {**good_headers, "X-Signature": "sha256=" + sign(good_body + b" ")},
            good_body,
        ),  # signature of another body
    ]
    for expected, headers, body in bad:
        assert httpx.post(receiver.url, headers=headers, content=body).status_code == expected
    time.sleep(0.1)
    assert waiter.is_alive() and not results
    assert httpx.post(receiver.url, headers=good_headers, content=good_body).status_code == 200
    waiter.join(5)
    assert results and results[0].payload == {"call_id": "CA12", "status": "completed"}
    assert httpx.post(receiver.url, headers=good_headers, content=good_body).status_code == 409  # replayed afterwards


def test_a_webhook_that_arrives_before_receive_starts_is_kept(rt: ModuleType, receiver: Any) -> None:
    with rt.open_subscriptions(receiver, {"wait": "call.completed"}) as subs:
        headers, body = webhook({"call_id": "CA5"})
        assert httpx.post(receiver.url, headers=headers, content=body).status_code == 200
        message = rt.receive(
            rt.Deadline(5.0),
            subs["wait"],
            "wait",
            "call.completed",
            matches=lambda m: m.payload["call_id"] == "CA5",
            awaited="call_id == 'CA5'",
            timeout_ms=100,
        )
    assert message.payload == {"call_id": "CA5"}


def test_route_by_payload_and_route_to(rt: ModuleType) -> None:
    with rt.WebhookReceiver(verifier=None, route=rt.route_by_payload("/event/type")) as receiver:
        sub = receiver.subscribe("call.completed")
        assert httpx.post(receiver.url, json={"event": {"type": "call.completed"}, "id": 1}).status_code == 200
        assert httpx.post(receiver.url, json={"event": {"type": 7}}).status_code == 422
        assert httpx.post(receiver.url, json=[1, 2]).status_code == 422
        assert sub.receive(1).payload["id"] == 1
    with rt.WebhookReceiver(verifier=None, route=rt.route_to("all")) as receiver:
        sub = receiver.subscribe("all")
        assert httpx.post(receiver.url, json=5).status_code == 200
        assert sub.receive(1).payload == 5


def test_closing_the_receiver_ends_a_wait_and_stops_serving(rt: ModuleType) -> None:
    receiver = rt.WebhookReceiver(verifier=None, route=rt.route_to("c")).start()
    url = receiver.url
    sub = receiver.subscribe("c")
    threading.Timer(0.05, receiver.close).start()
    with pytest.raises(rt.SubscriptionClosed):
        rt.receive(rt.Deadline(5.0), sub, "s", "c", matches=None, awaited=None, timeout_ms=None)
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json={})
    with pytest.raises(rt.WorkflowError, match="not started"):
        receiver.url  # noqa: B018


def test_the_receiver_does_not_send(rt: ModuleType, receiver: Any) -> None:
    with pytest.raises(rt.WorkflowError, match="only receives"):
        rt.send_message(rt.Deadline(1.0), receiver, "send", "c", payload={})


def test_200_concurrent_async_waiters_each_get_their_own_webhook(rt: ModuleType, receiver: Any) -> None:
    count = 200

    async def waiter(n: int, subscribed: asyncio.Event, deadline: Any) -> Any:
        async with rt.aopen_subscriptions(receiver, {"awaitOutcome": "call.completed"}) as subs:
            if receiver.subscriptions("call.completed") == count:
                subscribed.set()
            call_id = f"CA{n}"
            return await rt.areceive(
                deadline,
                subs["awaitOutcome"],
                "awaitOutcome",
                "call.completed",
                matches=lambda m: m.payload.get("call_id") == call_id,
                awaited=f"call_id == {call_id!r}",
                timeout_ms=30000,
            )

    async def main() -> tuple[list[Any], list[int]]:
        deadline = rt.Deadline(60.0)
        subscribed = asyncio.Event()
        tasks = [asyncio.create_task(waiter(n, subscribed, deadline)) for n in range(count)]
        await asyncio.wait_for(subscribed.wait(), 10)
        order = list(range(count))
        random.Random(15).shuffle(order)
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:

            async def post(n: int) -> int:
                headers, body = webhook({"call_id": f"CA{n}", "n": n})
                return (await client.post(receiver.url, headers=headers, content=body)).status_code

            statuses = await asyncio.gather(*(post(n) for n in order))
        return list(await asyncio.gather(*tasks)), list(statuses)

    results, statuses = asyncio.run(main())
    assert statuses == [200] * count
    assert [m.payload["n"] for m in results] == list(range(count))
    assert receiver.subscriptions() == 0


# -- the ASGI app, the WSGI app and deliver() -----------------------------------------


def test_the_asgi_app(rt: ModuleType) -> None:
    verifier = rt.HmacSha256Verifier(SECRET, header="X-Signature", prefix="sha256=")
    receiver = rt.WebhookReceiver(verifier=verifier, route=rt.route_by_header("X-Event"), max_body_bytes=CAP)

    async def main() -> None:
        transport = httpx.ASGITransport(app=receiver.asgi)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://app") as client,
            rt.aopen_subscriptions(receiver, {"wait": "call.completed"}) as subs,
        ):
            waiting = asyncio.create_task(
                rt.areceive(
                    rt.Deadline(5.0),
                    subs["wait"],
                    "wait",
                    "call.completed",
                    matches=lambda m: m.payload["call_id"] == "CA3",
                    awaited="call_id == 'CA3'",
                    timeout_ms=3000,
                )
            )
            headers, body = webhook({"call_id": "CA3"})
            assert (await client.get("/")).status_code == 405
            assert (
                await client.post("/", headers={**headers, "X-Signature": "sha256=00"}, content=body)
            ).status_code == 401
            assert (await client.post("/", headers=webhook(b"[")[0], content=b"[")).status_code == 400
            assert (await client.post("/", headers=headers, content=b"x" * (CAP + 1))).status_code == 413
            assert (
                await client.post("/", headers={**headers, "Content-Type": "text/xml"}, content=body)
            ).status_code == 415
            assert (await client.post("/any/path", headers=headers, content=body)).status_code == 200
            assert (await waiting).payload == {"call_id": "CA3"}
            assert (await client.post("/", headers=headers, content=body)).status_code == 409

        # lifespan, and a body in several chunks that passes the cap: stopped there
        sent: list[dict[str, Any]] = []

        async def send(event: dict[str, Any]) -> None:
            sent.append(event)

        events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def lifespan_receive() -> dict[str, Any]:
            return next(events)

        await receiver.asgi({"type": "lifespan"}, lifespan_receive, send)
        assert [e["type"] for e in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        chunks = iter(
            [
                {"type": "http.request", "body": b"y" * 3000, "more_body": True},
                {"type": "http.request", "body": b"y" * 3000, "more_body": True},
            ]
        )
        asked: list[int] = []

        async def body_receive() -> dict[str, Any]:
            asked.append(1)
            return next(chunks)

        sent.clear()
        await receiver.asgi(
            {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-type", b"application/json")]},
            body_receive,
            send,
        )
        assert sent[0]["status"] == 413 and len(asked) == 2

    asyncio.run(main())


def test_the_wsgi_app(rt: ModuleType) -> None:
    verifier = rt.HmacSha256Verifier(SECRET, header="X-Signature", prefix="sha256=")
    receiver = rt.WebhookReceiver(verifier=verifier, route=rt.route_by_header("X-Event"), max_body_bytes=CAP)
    sub = receiver.subscribe("call.completed")
    with httpx.Client(transport=httpx.WSGITransport(app=receiver.wsgi), base_url="http://app") as client:
        headers, body = webhook({"call_id": "CA4"})
        assert client.get("/").status_code == 405
        assert client.post("/", headers={**headers, "X-Signature": "sha256=00"}, content=body).status_code == 401
        assert client.post("/", headers=headers, content=b"x" * (CAP + 1)).status_code == 413
        assert (
            client.post("/", headers={k: v for k, v in headers.items() if k != "X-Event"}, content=body).status_code
            == 422
        )
        answer = client.post("/", headers=headers, content=body)
        assert answer.status_code == 200 and answer.reason_phrase == "OK"
    assert sub.receive(1).payload == {"call_id": "CA4"}
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json"}
    statuses: list[str] = []
    receiver.wsgi(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["411 Length Required"]


def test_deliver_for_a_web_framework_route(rt: ModuleType) -> None:
    verifier = rt.HmacSha256Verifier(SECRET, header="X-Signature", prefix="sha256=")
    receiver = rt.WebhookReceiver(verifier=verifier, route=rt.route_by_header("X-Event"), max_body_bytes=CAP)
    headers, body = webhook({"call_id": "CA8"})
    with rt.open_subscriptions(receiver, {"w": "call.completed"}) as subs:
        assert receiver.deliver(headers, body)[0] == 200
        assert subs["w"].receive(1).payload == {"call_id": "CA8"}
    assert receiver.deliver(headers, body)[0] == 409
    assert receiver.deliver(headers, b"x" * (CAP + 1))[0] == 413
    status, reason = receiver.deliver({**headers, "X-Signature": "sha256=" + "ab" * 32}, body)
    assert status == 401 and "ab" * 32 not in reason and SECRET not in reason


def test_no_reason_or_log_shows_the_secret_or_a_signature(
    rt: ModuleType, receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers, body = webhook({"call_id": "CA1"})
    wrong = "sha256=" + sign(body, "another-secret")
    answers = [
        httpx.post(receiver.url, headers={**headers, "X-Signature": wrong}, content=body),
        httpx.post(receiver.url, headers=headers, content=body),
        httpx.post(receiver.url, headers=headers, content=body),
    ]
    assert [a.status_code for a in answers] == [401, 202, 409]
    shown = " ".join(a.text for a in answers) + caplog.text + repr(receiver) + repr(receiver.verifier)
    for secret in (SECRET, sign(body), wrong.removeprefix("sha256=")):
        assert secret not in shown


def test_a_receiver_can_be_started_again_after_close(rt: ModuleType) -> None:
    receiver = rt.WebhookReceiver(verifier=None, route=rt.route_to("c"))
    for _ in range(2):
        with receiver:
            sub = receiver.subscribe("c")
            assert httpx.post(receiver.url, json={"a": 1}).status_code == 200
            assert sub.receive(1).payload == {"a": 1}


def test_the_log_never_shows_the_path_or_query_of_a_request(rt: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = "tok-9f8e7d6c5b4a"
    with rt.WebhookReceiver(verifier=None, route=rt.route_to("c"), path=f"/hooks/{token}") as receiver:
        assert token in receiver.url
        assert httpx.post(receiver.url + f"?key={token}", json={}).status_code == 202
        assert httpx.post(receiver.url.replace(token, token + "x"), json={}).status_code == 404
        assert httpx.get(receiver.url).status_code == 405
        _, answer = raw_request(receiver, f"POST /hooks/{token} HTTP/9.9 junk\r\n\r\n".encode())
        assert b"400" in answer  # http.server answers a malformed request line itself (without a status line)
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name == rt.logger.name)
    assert "webhook receiver: POST -> 202" in ours and "webhook receiver: GET -> 405" in ours
    assert token not in ours
