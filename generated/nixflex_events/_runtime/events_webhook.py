"""Webhooks: the receiver, a threaded HTTP server (or an ASGI/WSGI app) that checks each
delivery, verifies it and hands it to the subscription waiting for it.
"""

from __future__ import annotations

import asyncio
import collections
import http
import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

from .errors import WorkflowError
from .events_base import MAX_BUFFERED, MAX_WEBHOOK_BYTES, WEBHOOK_READ_TIMEOUT, Message
from .events_hub import _Hub, _HubTransport, _is_json
from .events_verify import Replayed, Route, Verifier
from .redact import logger

# -- the webhook receiver ----------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class WebhookReceiver(_HubTransport):
    """Receives webhooks over HTTP: a Transport and an AsyncTransport that only receives.

    :meth:`start` serves on ``host``:``port`` (port 0: a free one) in a daemon thread,
    at :attr:`url` (the URL to register with the provider); or feed it from your own
    web app: mount :meth:`asgi` (ASGI 3) or :meth:`wsgi`, or call :meth:`deliver` from
    a route.  Each webhook is checked in this order, and answered with a short
    ``text/plain`` reason (never a secret or a signature):

    - 405 not POST (the built-in server and the ASGI/WSGI apps);
    - 404 another path than ``path`` (the built-in server; a mounted app takes what its mount gives it);
    - 411 no Content-Length (the built-in server and WSGI; ASGI bodies are counted as they come);
    - 413 a body larger than ``max_body_bytes``: never read past the limit;
    - 408 the body did not arrive within ``read_timeout`` seconds (the built-in server);
    - 400 a Content-Length that is not a number, or a body shorter than it;
    - 415 not a JSON content type (application/json or ``+json``, UTF-8);
    - 400 the body is not valid JSON;
    - 422 ``route`` finds no channel in it;
    - 401 ``verifier`` rejects the signature (missing, malformed, wrong, or a timestamp
      outside its tolerance); 409 it was delivered before (a replay).  Checked last, so
      that only a well-formed message is remembered against replays (a signed message
      first sent with a wrong content type is still taken when it comes right);
    - 200 delivered: at least one subscription took it; 202 accepted, but nobody waits
      for it (no subscription on its channel, or no waiting step's correlation matches:
      late, duplicate or someone else's).

    A rejected webhook never reaches a subscription, and no rejection ends a wait:
    the step keeps waiting for a good message.  :attr:`statuses` counts the answers.
    """

    def __init__(
        self,
        *,
        verifier: Verifier | None,
        route: Route,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/",
        max_body_bytes: int = MAX_WEBHOOK_BYTES,
        max_buffered: int = MAX_BUFFERED,
        read_timeout: float = WEBHOOK_READ_TIMEOUT,
    ) -> None:
        self.verifier = verifier
        self.route = route
        self.host = host
        self.port = port
        self.path = "/" + path.lstrip("/")
        self.max_body_bytes = max_body_bytes
        self.read_timeout = read_timeout
        #: How many webhooks got each status code.
        self.statuses: collections.Counter[int] = collections.Counter()
        self._hub = _Hub(max_buffered)
        self._lock = threading.Lock()
        self._server: _ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"<WebhookReceiver {where}: {self._hub.subscriptions()} subscriptions>"

    @property
    def url(self) -> str:
        """``http://host:port/path`` of the built-in server (after :meth:`start`)."""
        if self._server is None:
            raise WorkflowError(
                "the webhook receiver is not started: call start() or use it in a with block"
            )
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def start(self) -> Self:
        """Serve on ``host``:``port`` in a daemon thread; returns the receiver."""
        if self._server is not None:
            return self
        if self._hub.closed:  # started again after close(): new subscriptions
            self._hub = _Hub(self._hub.max_buffered)
        handler = type(
            "WebhookHandler",
            (_WebhookHandler,),
            {"receiver": self, "timeout": self.read_timeout},
        )
        server_class = (
            _ThreadingHTTPServer6 if ":" in self.host else _ThreadingHTTPServer
        )
        server = server_class((self.host, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"webhook-receiver-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the built-in server and close every subscription (a step waiting on
        one gets SubscriptionClosed)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._hub.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.close)

    def send(self, message: Message) -> None:
        raise WorkflowError(
            f"a webhook receiver only receives: cannot send on {message.channel!r} (pass a transport that sends, such as a broker adapter or InMemoryBroker)"
        )

    async def asend(self, message: Message) -> None:
        self.send(message)

    def deliver(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """Check one webhook (its headers and raw body, e.g. from a FastAPI or Django
        route) and deliver it; returns (HTTP status, reason) to answer with."""
        status, reason = self._judge(headers, body)
        self._answered(status)
        if status >= 400:
            logger.info("webhook rejected with %d: %s", status, reason)
        return status, reason

    def _answered(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

    def _judge(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        names = {str(name).lower(): str(value) for name, value in headers.items()}
        if len(body) > self.max_body_bytes:
            return 413, f"the body is larger than {self.max_body_bytes} bytes"
        content_type = names.get("content-type", "")
        media, params = content_type.partition(";")[::2]
        charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", params, re.IGNORECASE)
        if not _is_json(media) or (
            charset is not None and charset.group(1).lower() not in ("utf-8", "utf8")
        ):
            shown = content_type.strip()[:80] or "none"
            return (
                415,
                f"the content type must be JSON in UTF-8 (application/json), not {shown!r}",
            )
        try:
            payload = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return 400, "the body is not valid JSON"
        try:
            channel = self.route(names, payload)
        except (
            LookupError,
            TypeError,
            ValueError,
            AttributeError,
        ) as exc:  # the caller's route failed: no channel
            logger.warning(
                "webhook route failed (%s): answered 422", type(exc).__name__
            )
            channel = None
        if not isinstance(channel, str) or not channel:
            return 422, "no channel: the message does not say which event it is"
        # last: only a well-formed message is remembered against replays
        if self.verifier is not None:
            why = self.verifier.verify(names, body)
            if why is not None:
                return (
                    409 if isinstance(why, Replayed) else 401
                ), f"signature rejected: {why}"
        taken = self._hub.publish(
            Message(channel, payload, names, content_type.strip(), body)
        )
        if taken:
            return 200, f"delivered on {channel!r}"
        return 202, f"accepted; nothing waits for it on {channel!r}"

    def _length(
        self, declared: str | None, *, required: bool
    ) -> tuple[int, str] | int | None:
        """The declared Content-Length, or the (status, reason) that rejects it."""
        if declared is None:
            return (411, "a Content-Length header is required") if required else None
        declared = declared.strip()
        if not re.fullmatch(r"[0-9]{1,19}", declared):
            return 400, "the Content-Length header is not a number"
        length = int(declared)
        if length > self.max_body_bytes:
            return (
                413,
                f"the body is larger than {self.max_body_bytes} bytes; it was not read",
            )
        return length

    def _rejected(self, status: int, reason: str) -> tuple[int, str]:
        """A webhook rejected before :meth:`deliver` (method, path, length): counted and logged."""
        self._answered(status)
        logger.info("webhook rejected with %d: %s", status, reason)
        return status, reason

    async def asgi(
        self,
        scope: Mapping[str, Any],
        receive: Callable[[], Awaitable[Mapping[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        """The receiver as an ASGI 3 application (mount it at the URL you register)."""
        if scope["type"] == "lifespan":
            while True:  # until the server shuts down
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            name = bytes(raw_name).decode("latin-1").lower()
            value = bytes(raw_value).decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        status, reason = await self._asgi_judge(scope, receive, headers)
        data = reason.encode("utf-8") + b"\n"
        extra = [(b"allow", b"POST")] if status == 405 else []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(data)).encode("ascii")),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def _asgi_judge(
        self,
        scope: Mapping[str, Any],
        receive: Callable[[], Awaitable[Mapping[str, Any]]],
        headers: Mapping[str, str],
    ) -> tuple[int, str]:
        if scope.get("method") != "POST":
            return self._rejected(405, "only POST is accepted")
        length = self._length(headers.get("content-length"), required=False)
        if isinstance(length, tuple):
            return self._rejected(*length)
        parts: list[bytes] = []
        size = 0
        while True:  # bounded: at most max_body_bytes + one chunk is ever held
            event = await receive()
            if event["type"] == "http.disconnect":
                return self._rejected(400, "the client went away before the body ended")
            chunk = bytes(event.get("body", b""))
            size += len(chunk)
            if size > self.max_body_bytes:
                return self._rejected(
                    413,
                    f"the body is larger than {self.max_body_bytes} bytes; reading stopped there",
                )
            parts.append(chunk)
            if not event.get("more_body", False):
                break
        body = b"".join(parts)
        if length is not None and len(body) != length:
            return self._rejected(400, "the body does not have Content-Length bytes")
        return self.deliver(headers, body)

    def wsgi(
        self, environ: Mapping[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        """The receiver as a WSGI application (mount it at the URL you register)."""
        status, reason = self._wsgi_judge(environ)
        data = reason.encode("utf-8") + b"\n"
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(data))),
        ]
        if status == 405:
            headers.append(("Allow", "POST"))
        start_response(f"{status} {http.HTTPStatus(status).phrase}", headers)
        return [data]

    def _wsgi_judge(self, environ: Mapping[str, Any]) -> tuple[int, str]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self._rejected(405, "only POST is accepted")
        length = self._length(environ.get("CONTENT_LENGTH") or None, required=True)
        if isinstance(length, tuple):
            return self._rejected(*length)
        assert length is not None
        stream = environ["wsgi.input"]
        parts: list[bytes] = []
        left = length
        # bounded: at most Content-Length bytes, which is at most the limit
        while left > 0:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        if left > 0:
            return self._rejected(400, "the body is shorter than its Content-Length")
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key, name in (
            ("CONTENT_TYPE", "content-type"),
            ("CONTENT_LENGTH", "content-length"),
        ):
            if environ.get(key):
                headers[name] = str(environ[key])
        return self.deliver(headers, b"".join(parts))


class _ThreadingHTTPServer(http.server.ThreadingHTTPServer):
    """The built-in server: a thread per connection, room for a burst of deliveries in the listen queue."""

    request_queue_size = 1024


class _ThreadingHTTPServer6(_ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _WebhookHandler(http.server.BaseHTTPRequestHandler):
    """The built-in server's requests: POST at the receiver's path, one per connection."""

    receiver: WebhookReceiver
    #: The answer's body is not held back (Nagle) until its headers are acknowledged.
    disable_nagle_algorithm = True
    server_version = "arazzo-codegen-webhooks"
    sys_version = ""

    def do_POST(self) -> None:
        self.close_connection = True
        receiver = self.receiver
        if urlsplit(self.path).path != receiver.path:
            self._answer(*receiver._rejected(404, "no webhook receiver at this path"))
            return
        if self.headers.get("transfer-encoding") is not None:
            self._answer(
                *receiver._rejected(
                    411, "a Content-Length header is required (no chunked bodies)"
                )
            )
            return
        declared = self.headers.get_all("content-length") or []
        if len(set(declared)) > 1:
            self._answer(
                *receiver._rejected(
                    400, "the request has conflicting Content-Length headers"
                )
            )
            return
        length = receiver._length(declared[0] if declared else None, required=True)
        if isinstance(length, tuple):
            self._answer(*receiver._rejected(*length))
            return
        assert length is not None
        body = self._body(length)
        if isinstance(body, tuple):
            self._answer(*receiver._rejected(*body))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._answer(*receiver.deliver(headers, body))

    def _body(self, length: int) -> bytes | tuple[int, str]:
        """Exactly ``length`` bytes (at most the limit), within the read timeout."""
        end = time.monotonic() + self.receiver.read_timeout
        parts: list[bytes] = []
        left = length
        try:
            while left > 0:  # bounded: each pass reads at least one byte or ends
                if time.monotonic() > end:
                    return 408, "the body did not arrive in time"
                chunk = self.rfile.read1(min(left, 65536))
                if not chunk:
                    return 400, "the body is shorter than its Content-Length"
                parts.append(chunk)
                left -= len(chunk)
        except (TimeoutError, OSError):
            return 408, "the body did not arrive in time"
        return b"".join(parts)

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._answer(*self.receiver._rejected(405, "only POST is accepted"))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every other method: 405, not http.server's 501
            return self._not_allowed
        raise AttributeError(name)

    def _answer(self, status: int, reason: str) -> None:
        data = reason.encode("utf-8") + b"\n"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            if status == 405:
                self.send_header("Allow", "POST")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:  # the client went away: nothing to answer
            pass

    # http.server would log the request line: its path or query may be a secret (a
    # webhook URL with a token in it), so only the method and the status are logged.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug(
            "webhook receiver: %s -> %s", getattr(self, "command", None) or "?", code
        )

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug(
            "webhook receiver: a malformed request was refused (%s)",
            args[0] if args and isinstance(args[0], int) else "-",
        )

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("webhook receiver: a request was not served")
