"""A loopback mock of the four Vapi endpoints the outbound-call workflow uses,
run as its own process so that its CPU time never counts against the client.

    python bench/mock_vapi.py [--polls K] [--max-seconds S]

It binds 127.0.0.1 on a free port, prints ``PORT <n>`` on stdout, and serves
HTTP/1.1 with keep-alive on one asyncio loop (stdlib only) until stdin closes,
SIGTERM, or ``--max-seconds`` pass.  ``GET /__stats`` returns request counts.

- ``POST /assistant`` -> 201 an assistant (``id`` ``asst-<n>``)
- ``POST /phone-number`` -> 201 a phone number bound to the ``assistantId`` sent
- ``POST /call`` -> 201 a queued call; the body must name an assistant and a
  phone number that this server created
- ``GET /call/{id}`` -> 200 the call: ``in-progress`` on polls 1..K-1 and
  ``ended`` (with ``endedReason`` and ``cost``) from poll K on

Every request must carry ``Authorization: Bearer <--token>`` (else 401); a body
that is not the JSON the step needs gets 400; an unknown call id gets 404.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import stat
import sys
from typing import Any

CREATED_AT = "2025-01-01T00:00:00.000Z"
ORG_ID = "org-00000000-bench"
DEFAULT_TOKEN = "bench-token-0123456789"


class State:
    def __init__(self, polls: int, token: str) -> None:
        self.polls = polls
        self.authorization = f"Bearer {token}"
        self.unauthorized = 0
        self.counter = 0
        self.assistants: set[str] = set()
        self.numbers: dict[str, str] = {}
        self.calls: dict[str, list[Any]] = {}  # id -> [polls so far, call body]
        self.requests = 0
        self.by_route: dict[str, int] = {}

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:08d}"


def _json(status: int, body: Any) -> tuple[int, bytes]:
    return status, json.dumps(body, separators=(",", ":")).encode()


def handle(state: State, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    state.requests += 1
    if path == "/__stats":
        return _json(
            200,
            {
                "requests": state.requests,
                "by_route": state.by_route,
                "calls": len(state.calls),
                "unauthorized": state.unauthorized,
            },
        )
    if headers.get("authorization", "") != state.authorization:
        state.unauthorized += 1
        return _json(401, {"message": "Missing or invalid Authorization header", "statusCode": 401})
    route = f"{method} {path if not path.startswith('/call/') else '/call/{id}'}"
    state.by_route[route] = state.by_route.get(route, 0) + 1
    payload: Any = None
    if method == "POST":
        try:
            payload = json.loads(body)
        except ValueError:
            return _json(400, {"message": "body is not JSON", "statusCode": 400})
        if not isinstance(payload, dict):
            return _json(400, {"message": "body is not an object", "statusCode": 400})
    if route == "POST /assistant":
        if not isinstance(payload.get("name"), str):
            return _json(400, {"message": ["name must be a string"], "statusCode": 400})
        ident = state.next_id("asst")
        state.assistants.add(ident)
        return _json(
            201,
            {
                "id": ident,
                "orgId": ORG_ID,
                "name": payload["name"],
                "firstMessage": payload.get("firstMessage"),
                "model": payload.get("model"),
                "voice": payload.get("voice"),
                "createdAt": CREATED_AT,
                "updatedAt": CREATED_AT,
                "isServerUrlSecretSet": False,
            },
        )
    if route == "POST /phone-number":
        if payload.get("assistantId") not in state.assistants or payload.get("provider") != "vapi":
            return _json(400, {"message": ["assistantId must name an assistant"], "statusCode": 400})
        ident = state.next_id("pn")
        state.numbers[ident] = payload["assistantId"]
        return _json(
            201,
            {
                "id": ident,
                "orgId": ORG_ID,
                "provider": "vapi",
                "number": "+14155550100",
                "status": "active",
                "assistantId": payload["assistantId"],
                "name": payload.get("name"),
                "numberDesiredAreaCode": payload.get("numberDesiredAreaCode"),
                "createdAt": CREATED_AT,
                "updatedAt": CREATED_AT,
            },
        )
    if route == "POST /call":
        customer = payload.get("customer")
        if (
            payload.get("phoneNumberId") not in state.numbers
            or state.numbers[payload["phoneNumberId"]] != payload.get("assistantId")
            or not isinstance(customer, dict)
            or not isinstance(customer.get("number"), str)
        ):
            return _json(
                400, {"message": ["assistantId, phoneNumberId and customer.number are required"], "statusCode": 400}
            )
        ident = state.next_id("call")
        call = {
            "id": ident,
            "orgId": ORG_ID,
            "type": "outboundPhoneCall",
            "status": "queued",
            "name": payload.get("name"),
            "assistantId": payload["assistantId"],
            "phoneNumberId": payload["phoneNumberId"],
            "customer": customer,
            "createdAt": CREATED_AT,
            "updatedAt": CREATED_AT,
            "phoneCallProvider": "vapi",
            "phoneCallTransport": "pstn",
        }
        state.calls[ident] = [0, call]
        return _json(201, call)
    if route == "GET /call/{id}":
        entry = state.calls.get(path[len("/call/") :])
        if entry is None:
            return _json(404, {"message": "Call not found", "statusCode": 404})
        entry[0] += 1
        call = dict(entry[1])
        if entry[0] >= state.polls:
            call.update(status="ended", endedReason="customer-ended-call", cost=0.1234, endedAt=CREATED_AT)
        else:
            call.update(status="in-progress", startedAt=CREATED_AT)
        return _json(200, call)
    return _json(404, {"message": f"Cannot {method} {path}", "statusCode": 404})


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


async def _serve_connection(state: State, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            body = await reader.readexactly(length) if length else b""
            status, payload = handle(state, method, target.split("?", 1)[0], headers, body)
            close = headers.get("connection", "").lower() == "close"
            writer.write(
                f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(payload)}\r\n{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n".encode(
                    "latin-1"
                )
                + payload
            )
            await writer.drain()
            if close:
                return
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        return
    finally:
        writer.close()


async def main_async(polls: int, token: str, max_seconds: float) -> None:
    state = State(polls, token)
    server = await asyncio.start_server(lambda r, w: _serve_connection(state, r, w), "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    def stdin_readable() -> None:
        if os.read(0, 4096) == b"":
            finish()

    loop.add_signal_handler(signal.SIGTERM, finish)
    if stat.S_ISFIFO(os.fstat(0).st_mode):  # stop when the parent closes our stdin pipe (it died or is done)
        loop.add_reader(0, stdin_readable)
    try:
        await asyncio.wait_for(stop, timeout=max_seconds)
    except TimeoutError:
        print("mock_vapi: --max-seconds passed; stopping", file=sys.stderr)
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=4, help="the call ends on this poll (default 4)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the only Bearer token accepted")
    parser.add_argument(
        "--max-seconds", type=float, default=900.0, help="stop after this long whatever happens (default 900)"
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main_async(args.polls, args.token, args.max_seconds))


if __name__ == "__main__":
    main()
