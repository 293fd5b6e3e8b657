"""An asyncio-native network backend for httpcore."""

from __future__ import annotations

import asyncio
import collections
import select
import socket
import ssl
import urllib.request
from collections.abc import Awaitable, Iterable
from typing import Any, cast

import httpcore
import httpx

from .observe import _ssl_context

#: Bytes one connection buffers from the server before it stops reading the socket
#: (reading resumes once the buffer is down to a quarter of this).
_AIO_READ_LIMIT = 256 * 1024


class _AioProtocol(asyncio.Protocol):
    """The asyncio side of one connection: what the server sent, and whether it is gone."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.lost = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        #: The future a read (or a write waiting for the buffer to drain) awaits.
        self.waiter: asyncio.Future[None] | None = None
        self.drained: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a cast: uvloop's transports are not subclasses
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if (
            self.buffered > _AIO_READ_LIMIT
            and not self.reading_paused
            and self.transport is not None
        ):
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # plain TCP: the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self, max_bytes: int) -> bytes:
        """The next buffered bytes, at most ``max_bytes`` (the caller checked there are some)."""
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if (
            self.reading_paused
            and self.buffered <= _AIO_READ_LIMIT // 4
            and self.transport is not None
        ):
            self.reading_paused = False
            self.transport.resume_reading()
        return chunk


def _aio_expire(future: asyncio.Future[None], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


class _AioStream(httpcore.AsyncNetworkStream):
    """An httpcore network stream on an asyncio transport.

    A read that finds bytes buffered returns them at once; otherwise it awaits one
    future, with a ``call_later`` timer for its timeout (no cancel scope, no task).
    Cancelling the task cancels the read, so ``asyncio.timeout`` (the run's
    wall-clock deadline) ends a stalled exchange as with httpx's default backend.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        protocol: _AioProtocol,
    ) -> None:
        self._loop = loop
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof and not protocol.lost:
            waiter = self._loop.create_future()
            protocol.waiter = waiter
            timer = (
                self._loop.call_later(
                    timeout,
                    _aio_expire,
                    waiter,
                    httpcore.ReadTimeout("no data within the read timeout"),
                )
                if timeout is not None
                else None
            )
            try:
                await waiter
            finally:
                protocol.waiter = None
                if timer is not None:
                    timer.cancel()
        if protocol.chunks:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(
                f"the connection failed ({type(protocol.error).__name__})"
            ) from protocol.error
        return b""  # the server closed the connection: httpcore decides what that means

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.lost or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        if not protocol.writing_paused:
            return
        drained = self._loop.create_future()
        protocol.drained = drained
        timer = (
            self._loop.call_later(
                timeout,
                _aio_expire,
                drained,
                httpcore.WriteTimeout(
                    "the request could not be sent within the write timeout"
                ),
            )
            if timeout is not None
            else None
        )
        try:
            await drained
        finally:
            protocol.drained = None
            if timer is not None:
                timer.cancel()
        if protocol.lost:
            raise httpcore.WriteError("the connection is closed")

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                transport = await self._loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout(
                "no TLS handshake within the connect timeout"
            ) from exc
        except (OSError, ssl.SSLError, EOFError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        except BaseException:  # cancelled: the connection is not httpcore's yet
            self._transport.close()
            raise
        if transport is None:
            self._transport.close()
            raise httpcore.ConnectError(
                "the connection closed during the TLS handshake"
            )
        self._protocol.transport = transport
        return _AioStream(self._loop, transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # data or the end arrived while idle
            protocol = self._protocol
            return (
                bool(protocol.chunks)
                or protocol.eof
                or protocol.lost
                or _socket_readable(self._transport)
            )
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info in ("ssl_object", "socket"):
            return self._transport.get_extra_info(info)
        return None


class _AioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's own transports (anyio's, under any other loop)."""

    def __init__(self) -> None:
        self._other: httpcore.AsyncNetworkBackend | None = None

    def _fallback(self) -> httpcore.AsyncNetworkBackend:
        if self._other is None:
            self._other = httpcore.AnyIOBackend()
        return self._other

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): httpx's default backend
            return await self._fallback().connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        local = (local_address, 0) if local_address is not None else None
        # Happy eyeballs (as anyio does) for a name, which may have several addresses;
        # an IP address has one, and the race would cost a third more CPU per connection.
        delay = None if _ip_literal(host) else 0.25
        return await self._connect(
            loop,
            loop.create_connection(
                _AioProtocol, host, port, local_addr=local, happy_eyeballs_delay=delay
            ),
            socket_options,
            timeout,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return await self._fallback().connect_unix_socket(
                path, timeout, socket_options
            )
        return await self._connect(
            loop,
            loop.create_unix_connection(_AioProtocol, path),
            socket_options,
            timeout,
        )

    async def _connect(
        self,
        loop: asyncio.AbstractEventLoop,
        connecting: Awaitable[tuple[asyncio.BaseTransport, _AioProtocol]],
        socket_options: Iterable[Any] | None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await connecting
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise httpcore.ConnectTimeout(
                "no connection within the connect timeout"
            ) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _AioStream(loop, cast(asyncio.Transport, transport), protocol)

    async def sleep(self, seconds: float) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            await self._fallback().sleep(seconds)
            return
        await asyncio.sleep(seconds)


def _socket_readable(transport: asyncio.BaseTransport) -> bool:
    """Whether the kernel holds bytes (or the end) the loop has not delivered yet: a
    server that closed an idle connection just now, before the loop ran again."""
    sock = transport.get_extra_info("socket")
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    if not hasattr(select, "poll"):
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return True
    return False


_AIO_BACKEND = _AioBackend()


def asyncio_transport(**options: Any) -> httpx.AsyncHTTPTransport:
    """An ``httpx.AsyncHTTPTransport`` whose connections run on asyncio's own transports.

    Takes the keyword arguments of ``httpx.AsyncHTTPTransport``; ``verify`` defaults to
    the process's one TLS context (unless ``cert`` is given).  httpx's default backend
    wraps every socket read and write in an anyio cancel scope; this one awaits one
    future per read, and only when nothing is buffered, which is what makes the
    generated async functions cheaper on clients the runtime creates.  Under another
    event loop (trio) it falls back to httpx's anyio backend; with ``proxy=`` the
    transport is httpx's own, unchanged.  Pass it to your own client to get the same::

        client = httpx.AsyncClient(transport=asyncio_transport())

    (a client given ``transport=`` ignores the proxy environment variables: build it
    only where none applies, as the runtime does).
    """
    if "verify" not in options and "cert" not in options:
        options["verify"] = _ssl_context()
    transport = httpx.AsyncHTTPTransport(**options)
    pool = getattr(transport, "_pool", None)
    if (
        options.get("proxy") is None
        and type(pool) is httpcore.AsyncConnectionPool
        and hasattr(pool, "_network_backend")
    ):
        pool._network_backend = _AIO_BACKEND
    return transport


def _env_proxies() -> bool:
    """Whether the environment names a proxy for http or https (httpx's ``trust_env``)."""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def _owned_async_client() -> httpx.AsyncClient:
    """The client of a run without ``client=``: on :func:`asyncio_transport` under
    asyncio without a proxy in the environment, else httpx's default transport."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return httpx.AsyncClient(verify=_ssl_context())
    if _env_proxies():
        return httpx.AsyncClient(verify=_ssl_context())
    return httpx.AsyncClient(verify=_ssl_context(), transport=asyncio_transport())
