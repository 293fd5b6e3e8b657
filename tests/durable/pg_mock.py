"""A loopback mock of the four Vapi endpoints of the outbound-call workflow that counts, per workflow,
what the durable workers sent: the PostgreSQL worker and queue-limit tests read its counters directly.

``VapiMock(polls=K, delay=S)`` serves on 127.0.0.1:<free port> from threads of the test process
(HTTP/1.1 keep-alive).  ``POST /assistant``, ``POST /phone-number``, ``POST /call`` (201) and
``GET /call/{id}`` (``in-progress`` until poll K, then ``ended``), like bench/mock_vapi.py, with every
request needing ``Authorization: Bearer <token>``.  A workflow is known by the ``customer.number`` of
its ``POST /call`` (the tests give each workflow its own).  Counters:

- ``creates``: ``POST /call`` requests per customer number (exactly one per workflow is the point);
- ``create_times``: when each ``POST /call`` arrived (``time.time()``: the host's clock, which PostgreSQL
  on 127.0.0.1 shares, so it compares with DBOS's ``started_at_epoch_ms``), by customer number;
- ``in_flight`` / ``max_in_flight``: exchanges being served right now / at most at once (each response is
  held ``delay`` seconds, so overlapping exchanges really overlap);
- ``requests``, ``unauthorized``, ``by_route``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

CREATED_AT = "2025-01-01T00:00:00.000Z"
ORG_ID = "org-00000000-durable"
TOKEN = "durable-token-5f1e0c9a7b3d"


class VapiMock:
    def __init__(self, *, polls: int = 2, delay: float = 0.0, token: str = TOKEN) -> None:
        self.polls = polls
        self.delay = delay
        self.authorization = f"Bearer {token}"
        self.lock = threading.Lock()
        self.counter = 0
        self.assistants: set[str] = set()
        self.numbers: dict[str, str] = {}
        self.calls: dict[str, list[Any]] = {}
        self.creates: Counter[str] = Counter()
        self.create_times: dict[str, float] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.unauthorized = 0
        self.by_route: Counter[str] = Counter()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with mock.lock:
                    mock.in_flight += 1
                    mock.max_in_flight = max(mock.max_in_flight, mock.in_flight)
                try:
                    if mock.delay:
                        time.sleep(mock.delay)
                    status, payload = mock.handle(self.command, self.path.split("?", 1)[0], self.headers.get("authorization", ""), body)
                finally:
                    with mock.lock:
                        mock.in_flight -= 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 1024
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:08d}"

    def handle(self, method: str, path: str, authorization: str, body: bytes) -> tuple[int, bytes]:
        with self.lock:
            self.requests += 1
            if authorization != self.authorization:
                self.unauthorized += 1
                return _json(401, {"message": "Missing or invalid Authorization header", "statusCode": 401})
            route = f"{method} {'/call/{id}' if path.startswith('/call/') else path}"
            self.by_route[route] += 1
            payload: Any = None
            if method == "POST":
                try:
                    payload = json.loads(body)
                except ValueError:
                    return _json(400, {"message": "body is not JSON", "statusCode": 400})
                if not isinstance(payload, dict):
                    return _json(400, {"message": "body is not an object", "statusCode": 400})
            if route == "POST /assistant":
                ident = self._next_id("asst")
                self.assistants.add(ident)
                return _json(201, {
                    "id": ident, "orgId": ORG_ID, "name": payload.get("name"), "firstMessage": payload.get("firstMessage"),
                    "createdAt": CREATED_AT, "updatedAt": CREATED_AT, "isServerUrlSecretSet": False,
                })
            if route == "POST /phone-number":
                if payload.get("assistantId") not in self.assistants:
                    return _json(400, {"message": ["assistantId must name an assistant"], "statusCode": 400})
                ident = self._next_id("pn")
                self.numbers[ident] = payload["assistantId"]
                return _json(201, {
                    "id": ident, "orgId": ORG_ID, "provider": "vapi", "number": "+14155550100", "status": "active",
                    "assistantId": payload["assistantId"], "name": payload.get("name"), "createdAt": CREATED_AT, "updatedAt": CREATED_AT,
                })
            if route == "POST /call":
                customer = payload.get("customer")
                if not isinstance(customer, dict) or not isinstance(customer.get("number"), str):
                    return _json(400, {"message": ["customer.number is required"], "statusCode": 400})
                if payload.get("phoneNumberId") is not None and self.numbers.get(payload["phoneNumberId"]) != payload.get("assistantId"):
                    return _json(400, {"message": ["phoneNumberId must be bound to assistantId"], "statusCode": 400})
                self.creates[customer["number"]] += 1
                self.create_times.setdefault(customer["number"], time.time())
                ident = self._next_id("call")
                call = {
                    "id": ident, "orgId": ORG_ID, "type": "outboundPhoneCall", "status": "queued", "name": payload.get("name"),
                    "assistantId": payload.get("assistantId"), "phoneNumberId": payload.get("phoneNumberId"), "customer": customer,
                    "createdAt": CREATED_AT, "updatedAt": CREATED_AT,
                }
                self.calls[ident] = [0, call]
                return _json(201, call)
            if route == "GET /call/{id}":
                entry = self.calls.get(path[len("/call/"):])
                if entry is None:
                    return _json(404, {"message": "Call not found", "statusCode": 404})
                entry[0] += 1
                call = dict(entry[1])
                if entry[0] >= self.polls:
                    call.update(status="ended", endedReason="customer-ended-call", cost=0.1234, endedAt=CREATED_AT)
                else:
                    call.update(status="in-progress", startedAt=CREATED_AT)
                return _json(200, call)
            return _json(404, {"message": f"Cannot {method} {path}", "statusCode": 404})


def _json(status: int, body: Any) -> tuple[int, bytes]:
    return status, json.dumps(body, separators=(",", ":")).encode()
