"""Reading a response body: the size limit, decompression, and the watchdog that ends a
connection that stalls past the deadline."""

from __future__ import annotations

import contextlib
import math
import socket
import sys
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .errors import StepFailed
from .redact import MAX_BODY_CHARS, _excerpt, _scrub

if TYPE_CHECKING:
    from .transport import _Exchange

#: Content-Encodings whose decoding :class:`_Body` bounds itself (others are left to httpx).
_INFLATE = {
    "gzip": zlib.MAX_WBITS | 16,
    "x-gzip": zlib.MAX_WBITS | 16,
    "deflate": zlib.MAX_WBITS,
}


class _Body:
    """The body of one response, decoded as it arrives and kept only up to the limit.

    At most one Content-Encoding layer is accepted (``gzip, gzip`` is a bomb, not a
    format); gzip and deflate are inflated here with ``max_length``, so a small
    compressed body never expands in memory beyond the limit.  Over the limit, or
    past the deadline, reading stops (the connection is closed, not reused).
    """

    def __init__(
        self, exchange: _Exchange, response: httpx.Response, secrets: Sequence[object]
    ) -> None:
        self.exchange = exchange
        self.response = response
        self.secrets = secrets
        self.limit = exchange.deadline.max_response_bytes
        self.parts: list[bytes] = []
        self.size = 0
        layers = (
            [
                word.strip().lower()
                for word in response.headers.get_list(
                    "content-encoding", split_commas=True
                )
            ]
            if "content-encoding" in response.headers
            else []
        )
        layers = [word for word in layers if word and word != "identity"]
        if len(layers) > 1:
            self.fail(
                f"the response has {len(layers)} Content-Encoding layers; at most one is accepted"
            )
        # A caller's response hook may have read the body already: then it is decoded.
        wbits = (
            _INFLATE.get(layers[0])
            if layers and not response.is_stream_consumed
            else None
        )
        self.inflate = zlib.decompressobj(wbits) if wbits is not None else None
        self.deflate = bool(layers) and layers[0] == "deflate"
        #: Read the raw bytes (and inflate them here) unless httpx must decode another encoding.
        self.raw = (not layers or wbits is not None) and not response.is_stream_consumed

    def feed(self, chunk: bytes) -> None:
        if self.exchange.deadline.passed():
            raise self.exchange.deadline.expired(
                self.exchange.step_id, f" during {self.exchange.where}"
            )
        if self.inflate is None:
            self.keep(chunk)
            return
        # bounded: each pass keeps output or consumes input
        while chunk and not self.inflate.eof:
            try:
                out = self.inflate.decompress(chunk, self.limit - self.size + 1)
            except zlib.error:
                out = self.retry_raw_deflate(chunk)
            chunk = self.inflate.unconsumed_tail
            self.keep(out)

    def retry_raw_deflate(self, chunk: bytes) -> bytes:
        """``deflate`` without its zlib header (some servers send it so), as httpx accepts it."""
        if not self.deflate or self.size:
            raise httpx.DecodingError(
                "invalid compressed data", request=self.response.request
            )
        self.deflate = False
        self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self.inflate.decompress(chunk, self.limit + 1)
        except zlib.error:
            raise httpx.DecodingError(
                "invalid compressed data", request=self.response.request
            ) from None

    def keep(self, data: bytes) -> None:
        if not data:
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size > self.limit:
            self.fail(
                f"the response body is larger than max_response_bytes ({self.limit} bytes); reading stopped there"
            )

    def finish(self) -> None:
        """Give the response its content (``response.content``, ``.json()`` work as usual)."""
        self.response._content = b"".join(self.parts)
        self.parts = []

    def fail(self, reason: str) -> None:
        """StepFailed with the status and an excerpt of what was read (never the whole body)."""
        prefix = b"".join(self.parts)[: MAX_BODY_CHARS * 4]
        self.parts = []
        text = _scrub(
            prefix.decode(self.response.encoding or "utf-8", errors="replace"),
            self.secrets,
        )
        exchange = self.exchange
        raise StepFailed(
            exchange.step_id,
            method=exchange.method,
            url=exchange.url,
            status_code=self.response.status_code,
            reason=reason,
            body=_excerpt(text),
            transport_retries=exchange.deadline.transport_retries,
        )


class _Watch:
    """The sockets of one sync exchange, shut down by :data:`_WATCHDOG` at the deadline.

    httpcore's ``trace`` extension reports the network stream of a new connection
    (``connection.connect_tcp.complete``); a pooled connection is found when its
    request headers are sent.  Shutting the socket down ends any blocked read, which
    is what a read timeout cannot do against a server that sends a byte now and then.
    """

    def __init__(self, left: float | None) -> None:
        self.fired = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.extensions: dict[str, Any] = {}
        self.when: float | None = None
        if left is not None:
            self.when = time.monotonic() + max(0.0, left)
            self.extensions["trace"] = self.trace
            _WATCHDOG.add(self)

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in (
            "connection.connect_tcp.complete",
            "connection.start_tls.complete",
        ):
            self.add(info.get("return_value"))
        elif event.endswith(".send_request_headers.started"):
            self.add(_connection_stream())

    def add(self, stream: object) -> None:
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if callable(get_extra_info) else None
        if not isinstance(sock, socket.socket):
            return
        with self.lock:
            self.sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def expire(self) -> None:
        with self.lock:
            self.fired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)

    def stop(self) -> None:
        if self.when is not None:
            _WATCHDOG.remove(self)
        with self.lock:
            self.sockets = []


def _connection_stream() -> object:
    """The network stream of the httpcore connection sending the current request: the
    ``self`` of a caller frame (the trace callback runs inside ``handle_request``)."""
    frame: Any = sys._getframe(2)
    for _ in range(4):  # bounded: Trace.trace, Trace.__enter__, then the connection
        if frame is None:
            return None
        stream = getattr(frame.f_locals.get("self"), "_network_stream", None)
        if stream is not None:
            return stream
        frame = frame.f_back
    return None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for the whole process, expiring the :class:`_Watch` es whose time is up."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.watches: dict[int, _Watch] = {}
        self.thread: threading.Thread | None = None
        #: When the thread wakes up next (it is woken earlier only for an earlier deadline).
        self.wakes = math.inf

    def add(self, watch: _Watch) -> None:
        with self.cond:
            self.watches[id(watch)] = watch
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self.run, name="arazzo-codegen-deadlines", daemon=True
                )
                self.thread.start()
            if watch.when is not None and watch.when < self.wakes:
                self.cond.notify()

    def remove(self, watch: _Watch) -> None:
        with self.cond:
            self.watches.pop(id(watch), None)

    def run(self) -> None:
        # a daemon thread: waits for the next deadline, for the life of the process
        while True:
            with self.cond:
                now = time.monotonic()
                due = [
                    watch
                    for watch in self.watches.values()
                    if watch.when is not None and watch.when <= now
                ]
                for watch in due:
                    del self.watches[id(watch)]
                if not due:
                    self.wakes = min(
                        (
                            watch.when
                            for watch in self.watches.values()
                            if watch.when is not None
                        ),
                        default=math.inf,
                    )
                    self.cond.wait(None if self.wakes == math.inf else self.wakes - now)
                    self.wakes = -math.inf  # awake: the next add need not notify
            for watch in due:
                watch.expire()


_WATCHDOG = _Watchdog()


#: The watch of an exchange without a deadline (never registered, never fired, no sockets).
_UNWATCHED = _Watch(None)


#: ``async with`` that bounds nothing: an exchange without a deadline.
_NO_TIMEOUT = contextlib.nullcontext()
