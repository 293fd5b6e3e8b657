"""A WebSocket transport (websockets, imported only when one is made)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import ssl
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote, urlsplit

from .events_base import (
    MAX_BUFFERED,
    MAX_WEBHOOK_BYTES,
    Message,
    SubscriptionClosed,
    TransportError,
)
from .events_hub import _Buffer, _encoded, _Hub, _is_json
from .redact import logger, redact_url

if TYPE_CHECKING:
    from .events_base import AsyncSubscription, Subscription

#: Seconds a WebSocket transport waits for the opening handshake (and for a close).
WS_TIMEOUT = 10.0


def _ws_modules() -> tuple[Any, Any, Any]:
    """websockets' asyncio client, its sync client and its exceptions, imported on first use."""
    try:
        aclient = importlib.import_module("websockets.asyncio.client")
        sclient = importlib.import_module("websockets.sync.client")
        exceptions = importlib.import_module("websockets.exceptions")
    except ImportError:
        raise ImportError(
            "WebSocketTransport needs the websockets package: pip install websockets"
        ) from None
    return aclient, sclient, exceptions


def _ws_frame(message: Message) -> str | bytes:
    """The frame a message is sent as: text (its JSON, or its text), else binary."""
    raw = message.raw
    if not raw:
        raw, problem = _encoded(message.payload, message.content_type)[1:]
        if problem is not None:
            raise TransportError(
                f"cannot send the message on {message.channel!r}: {problem}"
            )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


class _WsSubscription(_Buffer):
    """One subscription of a :class:`WebSocketTransport` made by :meth:`~WebSocketTransport.asubscribe`:
    an :class:`AsyncSubscription` (and a :class:`Subscription`), the runtime's bounded
    buffer fed by a task that reads the connection's frames."""

    def __init__(
        self, transport: WebSocketTransport, channel: str, url: str, connection: Any
    ) -> None:
        super().__init__(transport._hub, channel, transport._max_buffered)
        self._transport = transport
        self._url = url
        self._connection = connection
        self._error: TransportError | None = None
        self._loop = asyncio.get_running_loop()
        self._pump = self._loop.create_task(self._run())

    async def _run(self) -> None:
        closed: BaseException | None = None
        try:
            async for frame in self._connection:
                message = self._transport._decode(self.channel, frame)
                if message is not None:
                    self.put(message)
        except self._transport._exceptions.ConnectionClosed as exc:
            closed = exc
        except asyncio.CancelledError:
            if not self._closed:
                self._error = TransportError(
                    f"the subscription to {self.channel!r} on {redact_url(self._url)} stopped receiving: the event loop it read on ended"
                )
                _Buffer.close(self)
            raise
        finally:  # not closed here: the server closed it, the network failed, or reading did
            if not self._closed:
                self._error = self._transport._lost(
                    self.channel, self._url, closed, self._connection
                )
                _Buffer.close(self)

    def receive(self, timeout: float | None) -> Message | None:
        """The next message, or None when none came within ``timeout`` seconds (None: wait)."""
        try:
            return super().receive(timeout)
        except SubscriptionClosed:
            if self._error is not None:
                raise TransportError(str(self._error)) from None
            raise

    async def areceive(self, timeout: float | None) -> Message | None:
        """The next message, or None when none came within ``timeout`` seconds (None: wait)."""
        try:
            return await super().areceive(timeout)
        except SubscriptionClosed:
            if self._error is not None:
                raise TransportError(str(self._error)) from None
            raise

    async def aclose(self) -> None:
        """Stop receiving and close the connection."""
        self._error = None  # closed here: a wait now raises SubscriptionClosed
        _Buffer.close(self)
        self._transport._subscriptions.discard(self)
        if asyncio.get_running_loop() is not self._loop:
            if self._loop.is_running():
                with contextlib.suppress(RuntimeError):  # closed meanwhile
                    self._loop.call_soon_threadsafe(self._close_soon)
            return
        await self._close()

    def close(self) -> None:
        """Stop receiving and close the connection (without waiting for it)."""
        self._error = None  # closed here: a wait now raises SubscriptionClosed
        _Buffer.close(self)
        self._transport._subscriptions.discard(self)
        if self._loop.is_running():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                self._loop.call_soon_threadsafe(self._close_soon)

    def _close_soon(self) -> None:
        self._loop.create_task(self._close())

    async def _close(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        with contextlib.suppress(
            OSError, RuntimeError, self._transport._exceptions.WebSocketException
        ):
            await self._connection.close()


class _WsSyncSubscription(_Buffer):
    """One subscription made by :meth:`WebSocketTransport.subscribe`: a :class:`Subscription`
    (and an :class:`AsyncSubscription`), the runtime's bounded buffer fed by a daemon
    thread that reads the (websockets.sync) connection's frames."""

    def __init__(
        self, transport: WebSocketTransport, channel: str, url: str, connection: Any
    ) -> None:
        super().__init__(transport._hub, channel, transport._max_buffered)
        self._transport = transport
        self._url = url
        self._connection = connection
        self._error: TransportError | None = None
        self._reader = threading.Thread(
            target=self._run, name=f"ws-{channel}", daemon=True
        )
        self._reader.start()

    def _run(self) -> None:
        closed: BaseException | None = None
        try:
            for frame in self._connection:
                message = self._transport._decode(self.channel, frame)
                if message is not None:
                    self.put(message)
        except self._transport._exceptions.ConnectionClosed as exc:
            closed = exc
        finally:  # not closed here: the server closed it, the network failed, or reading did
            if not self._closed:
                self._error = self._transport._lost(
                    self.channel, self._url, closed, self._connection
                )
                _Buffer.close(self)

    def receive(self, timeout: float | None) -> Message | None:
        """The next message, or None when none came within ``timeout`` seconds (None: wait)."""
        try:
            return super().receive(timeout)
        except SubscriptionClosed:
            if self._error is not None:
                raise TransportError(str(self._error)) from None
            raise

    async def areceive(self, timeout: float | None) -> Message | None:
        """The next message, or None when none came within ``timeout`` seconds (None: wait)."""
        try:
            return await super().areceive(timeout)
        except SubscriptionClosed:
            if self._error is not None:
                raise TransportError(str(self._error)) from None
            raise

    def close(self) -> None:
        """Stop receiving, close the connection and let the reader thread end."""
        self._error = None  # closed here: a wait now raises SubscriptionClosed
        _Buffer.close(self)
        self._transport._subscriptions.discard(self)
        with contextlib.suppress(
            OSError, RuntimeError, self._transport._exceptions.WebSocketException
        ):
            self._connection.close()
        self._reader.join(self._transport._open_timeout)

    async def aclose(self) -> None:
        """Stop receiving and close the connection."""
        await asyncio.to_thread(self.close)


class WebSocketTransport:
    """Messages over WebSocket connections, with websockets: a :class:`Transport` and an :class:`AsyncTransport`.

    A channel's address is appended to ``base_url`` (``ws://host:port/events`` and
    ``calls/CA12`` -> ``ws://host:port/events/calls/CA12``).  One text frame is one
    message: its JSON (or, for another ``content_type``, its text); a binary frame is
    read the same way.  WebSocket frames carry no headers: received messages have
    none, and a send with headers fails.

    Each subscription is a connection of its own to its channel's URL, open (the
    handshake done) before :meth:`asubscribe` returns.  Sends use one connection per
    channel (and event loop, or for the sync side one per transport), kept open until
    the transport is closed.  A frame that is not valid JSON (or not UTF-8) is logged and
    skipped, so it never ends a wait; a frame over ``max_message_bytes`` makes the
    server's connection fail (code 1009), and a wait on it then raises TransportError.

    The sync methods (:meth:`subscribe`, :meth:`send`) use websockets.sync; each sync
    subscription reads its connection in a daemon thread.  Close the transport when
    done (``with``/``async with``, or :meth:`close`/:meth:`aclose`).

    :param base_url: ``ws://`` or ``wss://`` URL the channel addresses are appended to.
    :param headers: extra HTTP headers of each opening handshake (e.g. Authorization;
        never shown in errors, logs or repr).
    :param ssl_context: the :class:`ssl.SSLContext` of ``wss://`` connections.
    :param content_type: how frames are read and written (default JSON).
    :param open_timeout: seconds to wait for each opening handshake.
    :param max_message_bytes: the largest frame accepted.
    :param max_buffered: most messages one subscription holds unread.
    :param proxy: websockets' ``proxy`` option: True (its default) takes it from the
        environment, a URL names one, None or False connects directly.

    Raises :class:`ImportError` when websockets is not installed; a server that cannot
    be reached or refuses the handshake, and a lost connection, raise
    :class:`TransportError` (a :class:`WorkflowError`) that says so in plain words.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        content_type: str = "application/json",
        open_timeout: float = WS_TIMEOUT,
        max_message_bytes: int = MAX_WEBHOOK_BYTES,
        max_buffered: int = MAX_BUFFERED,
        proxy: str | bool | None = True,
    ) -> None:
        self._aclient, self._sclient, self._exceptions = _ws_modules()
        if urlsplit(base_url).scheme not in ("ws", "wss"):
            raise ValueError(
                f"base_url must be a ws:// or wss:// URL, not {redact_url(base_url)!r}"
            )
        if max_buffered < 1:
            raise ValueError("max_buffered must be at least 1")
        self.base_url = base_url
        self.content_type = content_type
        self._headers = dict(headers or {})
        self._ssl_context = ssl_context
        self._open_timeout = open_timeout
        self._max_message_bytes = max_message_bytes
        self._max_buffered = max_buffered
        self._proxy = None if proxy is False else proxy
        self._hub = _Hub(max_buffered)
        self._subscriptions: set[_WsSubscription | _WsSyncSubscription] = set()
        #: Send connections: per (event loop, channel) for the async side ...
        self._senders: dict[
            tuple[asyncio.AbstractEventLoop, str], tuple[asyncio.Lock, list[Any]]
        ] = {}
        #: ... and per channel for the sync side.
        self._sync_senders: dict[str, Any] = {}
        self._sync_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WebSocketTransport({redact_url(self.base_url)!r})"

    def url_for(self, channel: str) -> str:
        """The URL of a channel: its address appended to ``base_url``."""
        address = quote(channel.lstrip("/"), safe="/:@!$&'()*+,;=%~?")
        return (
            self.base_url if not address else self.base_url.rstrip("/") + "/" + address
        )

    # -- async ------------------------------------------------------------------------

    async def asubscribe(self, channel: str) -> AsyncSubscription:
        """Open a connection to the channel's URL; returns once the handshake is done."""
        url = self.url_for(channel)
        connection = await self._aopen(url)
        subscription = _WsSubscription(self, channel, url, connection)
        self._subscriptions.add(subscription)
        return subscription

    async def asend(self, message: Message) -> None:
        """Send ``message`` as one frame on its channel's connection (opened on first use)."""
        frame = self._frame(message)
        key = (asyncio.get_running_loop(), message.channel)
        for other in [other for other in self._senders if other[0].is_closed()]:
            del self._senders[other]
        lock, holder = self._senders.setdefault(key, (asyncio.Lock(), []))
        async with lock:
            if not holder:
                holder.append(await self._aopen(self.url_for(message.channel)))
            try:
                await holder[0].send(frame)
            except self._exceptions.ConnectionClosed as exc:
                holder.clear()
                raise self._lost(
                    message.channel, self.url_for(message.channel), exc, None
                ) from None

    async def aclose(self) -> None:
        """Close the subscriptions and send connections made on the running loop (and the sync ones)."""
        loop = asyncio.get_running_loop()
        for subscription in list(self._subscriptions):
            if (
                isinstance(subscription, _WsSyncSubscription)
                or subscription._loop is loop
            ):
                await subscription.aclose()
        for key in [key for key in self._senders if key[0] is loop]:
            for connection in self._senders.pop(key)[1]:
                with contextlib.suppress(
                    OSError, RuntimeError, self._exceptions.WebSocketException
                ):
                    await connection.close()
        await asyncio.to_thread(self._close_sync_senders)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sync -------------------------------------------------------------------------

    def subscribe(self, channel: str) -> Subscription:
        """Open a connection to the channel's URL; returns once the handshake is done."""
        url = self.url_for(channel)
        subscription = _WsSyncSubscription(self, channel, url, self._open(url))
        self._subscriptions.add(subscription)
        return subscription

    def send(self, message: Message) -> None:
        """Send ``message`` as one frame on its channel's connection (opened on first use)."""
        frame = self._frame(message)
        with self._sync_lock:
            connection = self._sync_senders.get(message.channel)
            if connection is None:
                connection = self._sync_senders[message.channel] = self._open(
                    self.url_for(message.channel)
                )
            try:
                connection.send(frame)
            except self._exceptions.ConnectionClosed as exc:
                del self._sync_senders[message.channel]
                raise self._lost(
                    message.channel, self.url_for(message.channel), exc, None
                ) from None

    def close(self) -> None:
        """Close the sync subscriptions and send connections (async ones: :meth:`aclose`)."""
        for subscription in list(self._subscriptions):
            if isinstance(subscription, _WsSyncSubscription):
                subscription.close()
        self._close_sync_senders()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- helpers ----------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "open_timeout": self._open_timeout,
            "close_timeout": self._open_timeout,
            "max_size": self._max_message_bytes,
            "proxy": self._proxy,
        }
        if self._headers:
            options["additional_headers"] = self._headers
        if self._ssl_context is not None:
            options["ssl"] = self._ssl_context
        return options

    async def _aopen(self, url: str) -> Any:
        failure: BaseException | None = None
        try:
            return await self._aclient.connect(url, **self._options())
        except (OSError, TimeoutError, self._exceptions.WebSocketException) as exc:
            failure = exc
        raise self._refused(url, failure)

    def _open(self, url: str) -> Any:
        failure: BaseException | None = None
        try:
            # entered (websockets 17 asks for that, older ones accept it): closed by close()
            return self._sclient.connect(url, **self._options()).__enter__()
        except (OSError, TimeoutError, self._exceptions.WebSocketException) as exc:
            failure = exc
        raise self._refused(url, failure)

    def _refused(self, url: str, failure: BaseException | None) -> TransportError:
        """Why a connection could not be opened, in plain words (no header values)."""
        where = redact_url(url)
        if isinstance(failure, self._exceptions.InvalidStatus):
            why = f"the server refused the handshake with HTTP {failure.response.status_code}"
        elif isinstance(failure, TimeoutError):
            why = f"no handshake within {self._open_timeout:g} s"
        elif isinstance(failure, OSError):
            why = (
                f"[Errno {failure.errno}] {failure.strerror}"
                if failure.errno is not None
                else str(failure)
            )
        else:
            why = str(failure)
        return TransportError(
            f"could not connect to the WebSocket server {where}: {why}"
        )

    def _lost(
        self, channel: str, url: str, closed: BaseException | None, connection: Any
    ) -> TransportError:
        """The error of a wait or send on a connection that is gone."""
        if closed is None and connection is not None:
            closed = getattr(connection, "close_exc", None)
        code = getattr(getattr(closed, "rcvd", None), "code", None) or getattr(
            getattr(closed, "sent", None), "code", None
        )
        reason = getattr(getattr(closed, "rcvd", None), "reason", "") or getattr(
            getattr(closed, "sent", None), "reason", ""
        )
        detail = (
            f" (code {code}{': ' + reason if reason else ''})"
            if code is not None
            else ""
        )
        return TransportError(
            f"the WebSocket connection to {redact_url(url)} for {channel!r} was closed{detail}"
        )

    def _frame(self, message: Message) -> str | bytes:
        if message.headers:
            raise TransportError(
                f"cannot send headers {sorted(message.headers)} on {message.channel!r}: WebSocket frames have none"
            )
        return _ws_frame(message)

    def _close_sync_senders(self) -> None:
        with self._sync_lock:
            connections, self._sync_senders = list(self._sync_senders.values()), {}
        for connection in connections:
            with contextlib.suppress(
                OSError, RuntimeError, self._exceptions.WebSocketException
            ):
                connection.close()

    def _decode(self, channel: str, frame: str | bytes) -> Message | None:
        """One frame as a :class:`Message`; None (logged) when it cannot be read."""
        raw = frame.encode("utf-8") if isinstance(frame, str) else bytes(frame)
        payload: Any
        try:
            decoded = frame if isinstance(frame, str) else raw.decode("utf-8")
            payload = json.loads(decoded) if _is_json(self.content_type) else decoded
        except (ValueError, RecursionError) as error:
            logger.warning(
                "skipped a message on %r that is not %s: %s",
                channel,
                self.content_type,
                error,
            )
            return None
        return Message(
            channel=channel,
            payload=payload,
            headers={},
            content_type=self.content_type,
            raw=raw,
        )
