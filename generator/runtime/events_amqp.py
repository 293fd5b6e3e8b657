"""An AMQP 0-9-1 transport (aio-pika, imported only when one is made)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import ssl
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Self, cast
from urllib.parse import urlsplit

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

#: Seconds an AMQP transport waits for the broker to answer (connect, bind, confirm).
AMQP_TIMEOUT = 10.0


def _amqp_modules() -> tuple[Any, Any]:
    """aio-pika and aiormq's exceptions, imported on first use."""
    try:
        aio_pika = importlib.import_module("aio_pika")
        exceptions = importlib.import_module("aiormq.exceptions")
    except ImportError:
        raise ImportError(
            "AmqpTransport needs the aio-pika package: pip install aio-pika"
        ) from None
    return aio_pika, exceptions


class _AmqpLoop:
    """An asyncio loop in a daemon thread, where the sync side of an AMQP transport runs."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def call(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``work()`` on the loop thread and wait for its result (or its error)."""

        async def run() -> Any:
            return await work()

        with self._lock:
            if self.loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=self._name, daemon=True
                )
                thread.start()
                self.loop, self._thread = loop, thread
            loop = self.loop
        future = asyncio.run_coroutine_threadsafe(run(), loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and its thread (a later :meth:`call` starts new ones)."""
        with self._lock:
            loop, thread, self.loop, self._thread = self.loop, self._thread, None, None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(AMQP_TIMEOUT)
            if not thread.is_alive():
                loop.close()


class _AmqpSubscription(_Buffer):
    """One subscription of an :class:`AmqpTransport`: a :class:`Subscription` and an
    :class:`AsyncSubscription` (the runtime's bounded buffer, fed by a consumer).

    It has an AMQP channel and an exclusive, auto-deleted queue of its own, bound to
    the transport's exchange with the channel address as routing key, so two
    subscriptions never take each other's messages and closing one (its queue goes
    with it) leaves the others alone.
    """

    def __init__(
        self, transport: AmqpTransport, channel: str, amqp_channel: Any
    ) -> None:
        super().__init__(transport._hub, channel, transport._max_buffered)
        self._transport = transport
        self._amqp_channel = amqp_channel
        self._error: TransportError | None = None
        self._loop = asyncio.get_running_loop()
        amqp_channel.close_callbacks.add(self._channel_closed)

    async def deliver(self, incoming: Any) -> None:
        """The consumer: one delivery into the buffer (or logged and skipped)."""
        message = self._transport._decode(self.channel, incoming)
        if message is not None:
            self.put(message)

    def _channel_closed(self, _sender: Any, exc: BaseException | None) -> None:
        if (
            not self._closed
        ):  # not closed here: the broker closed it, or the connection was lost
            self._error = TransportError(
                f"the AMQP channel to {self._transport.where} for {self.channel!r} was closed: {exc or 'by the broker'}"
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
        """Stop receiving and close this subscription's AMQP channel (its queue is deleted)."""
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
        """Stop receiving and close the AMQP channel (from any thread; waits when called off the subscription's loop)."""
        self._error = None  # closed here: a wait now raises SubscriptionClosed
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            _Buffer.close(self)
            self._transport._subscriptions.discard(self)
            self._close_soon()
        elif (
            not self._loop.is_running()
        ):  # its loop is gone (asyncio.run returned): nothing reads any more
            _Buffer.close(self)
            self._transport._subscriptions.discard(self)
        else:
            asyncio.run_coroutine_threadsafe(self.aclose(), self._loop).result(
                self._transport._timeout + 5
            )

    def _close_soon(self) -> None:
        self._loop.create_task(self._close())

    async def _close(self) -> None:
        with contextlib.suppress(
            OSError, RuntimeError, self._transport._exceptions.AMQPError
        ):
            await self._amqp_channel.close()


class AmqpTransport:
    """Messages over an AMQP 0-9-1 broker (RabbitMQ), with aio-pika: a :class:`Transport` and an :class:`AsyncTransport`.

    A channel address is a routing key on ``exchange`` (by default ``amq.topic``, so a
    subscription may use the ``*`` and ``#`` wildcards).  Payloads are JSON (UTF-8); a
    message's headers travel as AMQP headers (names lower-cased on receipt) and its
    content type as the content-type property, so a non-JSON type arrives as text.

    The transport keeps one connection per event loop.  Each subscription opens an
    AMQP channel with an exclusive queue bound to the exchange, and returns only once
    the broker confirmed the binding and the consumer, so a message published right
    after :meth:`asubscribe` returns reaches it.  Sends use publisher confirms: they
    return once the broker has taken the message (one nobody is subscribed to is
    dropped by the broker, as with MQTT).  Received messages that cannot be decoded
    (malformed JSON, over ``max_message_bytes``) are logged and skipped.

    The sync methods (:meth:`subscribe`, :meth:`send`) run the same code on an event
    loop in a daemon thread of this transport.  Close it when done (``with``/``async
    with``, or :meth:`close`/:meth:`aclose`).

    :param url: ``amqp://user:password@host:port/vhost`` (``amqps://`` for TLS; the
        credentials are never shown in errors, logs or repr).
    :param exchange: the exchange messages are published to and queues bound to (it must exist).
    :param ssl_context: the :class:`ssl.SSLContext` of an ``amqps://`` connection.
    :param persistent: send messages as persistent (delivery mode 2).
    :param timeout: seconds to wait for each answer of the broker.
    :param max_buffered: most messages one subscription holds unread.
    :param max_message_bytes: largest body accepted (larger ones are skipped).

    Raises :class:`ImportError` when aio-pika is not installed; a broker that cannot be
    reached, or refuses the connection, the exchange or a message raises
    :class:`TransportError` (a :class:`WorkflowError`) that says so in plain words.
    """

    def __init__(
        self,
        url: str = "amqp://guest:guest@127.0.0.1:5672/",
        *,
        exchange: str = "amq.topic",
        ssl_context: ssl.SSLContext | None = None,
        persistent: bool = False,
        timeout: float = AMQP_TIMEOUT,
        max_buffered: int = MAX_BUFFERED,
        max_message_bytes: int = MAX_WEBHOOK_BYTES,
    ) -> None:
        self._aio_pika, self._exceptions = _amqp_modules()
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps"):
            raise ValueError(
                f"url must be an amqp:// or amqps:// URL, not {redact_url(url, [parts.password or ''])!r}"
            )
        if not exchange:
            raise ValueError(
                "exchange must be named (the default exchange routes by queue name, not by channel)"
            )
        if max_buffered < 1:
            raise ValueError("max_buffered must be at least 1")
        self._url = url
        self._password = parts.password or ""
        self.exchange = exchange
        self.persistent = persistent
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._max_buffered = max_buffered
        self._max_message_bytes = max_message_bytes
        self._hub = _Hub(max_buffered)
        self._subscriptions: set[_AmqpSubscription] = set()
        #: Per event loop: [connection, send channel, exchange], made once under the lock.
        self._connections: dict[
            asyncio.AbstractEventLoop, tuple[asyncio.Lock, list[Any]]
        ] = {}
        self._thread = _AmqpLoop(f"amqp-{parts.hostname}:{parts.port}")

    @property
    def where(self) -> str:
        """``amqp://host:port/vhost`` without the credentials."""
        parts = urlsplit(self._url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path or '/'}"

    def __repr__(self) -> str:
        return f"AmqpTransport({self.where!r}, exchange={self.exchange!r})"

    # -- async ------------------------------------------------------------------------

    async def asubscribe(self, channel: str) -> AsyncSubscription:
        """Bind a queue of its own to ``channel`` (the routing key); returns once the
        broker confirmed the binding and the consumer."""
        connection = (await self._connection())[0]
        amqp_channel = await self._guarded(
            f"open an AMQP channel on {self.where}",
            connection.channel(publisher_confirms=False),
        )
        try:
            exchange = await self._guarded(
                f"use the exchange {self.exchange!r} on {self.where}",
                amqp_channel.get_exchange(self.exchange),
            )
            queue = await self._guarded(
                f"declare a queue on {self.where}",
                amqp_channel.declare_queue(exclusive=True, auto_delete=True),
            )
            await self._guarded(
                f"bind a queue to {channel!r} on {self.where}",
                queue.bind(exchange, routing_key=channel),
            )
            subscription = _AmqpSubscription(self, channel, amqp_channel)
            await self._guarded(
                f"consume {channel!r} on {self.where}",
                queue.consume(subscription.deliver, no_ack=True),
            )
        except BaseException:
            with contextlib.suppress(OSError, RuntimeError, self._exceptions.AMQPError):
                await amqp_channel.close()
            raise
        self._subscriptions.add(subscription)
        return subscription

    async def asend(self, message: Message) -> None:
        """Publish ``message`` with its channel as routing key; returns once the broker confirmed it."""
        body = message.raw
        if not body:
            body, problem = _encoded(message.payload, message.content_type)[1:]
            if problem is not None:
                raise TransportError(
                    f"cannot send the message on {message.channel!r}: {problem}"
                )
        outgoing = self._aio_pika.Message(
            body,
            headers={str(name): str(value) for name, value in message.headers.items()},
            content_type=message.content_type,
            delivery_mode=(
                self._aio_pika.DeliveryMode.PERSISTENT
                if self.persistent
                else self._aio_pika.DeliveryMode.NOT_PERSISTENT
            ),
        )
        exchange = (await self._connection())[2]
        try:
            await self._guarded(
                f"send a message on {message.channel!r} to {self.where}",
                exchange.publish(
                    outgoing, routing_key=message.channel, mandatory=False
                ),
            )
        except TransportError:
            await self._drop_connection()
            raise

    async def aclose(self) -> None:
        """Close the subscriptions and the connection made on the running loop."""
        loop = asyncio.get_running_loop()
        for subscription in list(self._subscriptions):
            if subscription._loop is loop:
                await subscription.aclose()
        await self._drop_connection()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sync -------------------------------------------------------------------------

    def subscribe(self, channel: str) -> Subscription:
        """Bind a queue of its own to ``channel`` (the routing key); returns once the
        broker confirmed the binding and the consumer."""
        return cast(
            _AmqpSubscription, self._thread.call(lambda: self.asubscribe(channel))
        )

    def send(self, message: Message) -> None:
        """Publish ``message`` with its channel as routing key; returns once the broker confirmed it."""
        self._thread.call(lambda: self.asend(message))

    def close(self) -> None:
        """Close what the sync methods opened, and stop their loop thread."""
        if self._thread.loop is not None:
            self._thread.call(self.aclose)
            self._thread.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- helpers ----------------------------------------------------------------------

    async def _guarded(self, what: str, operation: Awaitable[Any]) -> Any:
        """Await ``operation`` within the timeout; its failure as a TransportError saying ``what`` failed."""
        failure: BaseException | None = None
        try:
            async with asyncio.timeout(self._timeout):
                return await operation
        except TimeoutError:
            why = f"no answer within {self._timeout:g} s"
        except (OSError, self._exceptions.AMQPError, RuntimeError) as exc:
            failure = exc
            why = str(exc) or type(exc).__name__
        if isinstance(failure, OSError) and failure.errno is not None:
            why = f"[Errno {failure.errno}] {failure.strerror}"
        if self._password:
            why = why.replace(self._password, "***")
        raise TransportError(f"could not {what}: {why}")

    async def _connection(self) -> list[Any]:
        """[connection, send channel, exchange] of the running loop, connected on first use."""
        loop = asyncio.get_running_loop()
        for other in [other for other in self._connections if other.is_closed()]:
            del self._connections[other]
        lock, holder = self._connections.setdefault(loop, (asyncio.Lock(), []))
        async with lock:
            if not holder:
                options: dict[str, Any] = {"timeout": self._timeout}
                if self._ssl_context is not None:
                    options["ssl_context"] = self._ssl_context
                connection = await self._guarded(
                    f"connect to the AMQP broker {self.where}",
                    self._aio_pika.connect(self._url, **options),
                )
                try:
                    sending = await self._guarded(
                        f"open an AMQP channel on {self.where}",
                        connection.channel(publisher_confirms=True),
                    )
                    exchange = await self._guarded(
                        f"use the exchange {self.exchange!r} on {self.where}",
                        sending.get_exchange(self.exchange),
                    )
                except TransportError:
                    with contextlib.suppress(
                        OSError, RuntimeError, self._exceptions.AMQPError
                    ):
                        await connection.close()
                    raise
                holder.extend([connection, sending, exchange])
            return holder

    async def _drop_connection(self) -> None:
        entry = self._connections.pop(asyncio.get_running_loop(), None)
        if entry is not None and entry[1]:
            with contextlib.suppress(OSError, RuntimeError, self._exceptions.AMQPError):
                await entry[1][0].close()

    def _decode(self, channel: str, incoming: Any) -> Message | None:
        """A delivery as a :class:`Message` on its routing key (the channel address it was
        sent to); None (logged) when it cannot be read."""
        raw = bytes(incoming.body)
        if len(raw) > self._max_message_bytes:
            logger.warning(
                "skipped a message on %r: %d bytes, over max_message_bytes (%d)",
                channel,
                len(raw),
                self._max_message_bytes,
            )
            return None
        headers: dict[str, str] = {}
        for name, value in (incoming.headers or {}).items():
            headers[str(name).lower()] = (
                value.decode("utf-8", "replace")
                if isinstance(value, bytes)
                else str(value)
            )
        content_type = str(incoming.content_type or "application/json")
        payload: Any
        try:
            decoded = raw.decode("utf-8")
            payload = json.loads(decoded) if _is_json(content_type) else decoded
        except (ValueError, RecursionError) as error:
            logger.warning(
                "skipped a message on %r that is not %s: %s",
                channel,
                content_type,
                error,
            )
            return None
        return Message(
            channel=str(incoming.routing_key or channel),
            payload=payload,
            headers=headers,
            content_type=content_type,
            raw=raw,
        )
