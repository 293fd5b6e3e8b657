"""An MQTT transport (aiomqtt, imported only when one is made)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import ssl
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Self, cast

from .events_base import (
    MAX_BUFFERED,
    MAX_WEBHOOK_BYTES,
    Message,
    SubscriptionClosed,
    TransportError,
)
from .events_hub import _Buffer, _encoded, _Hub, _is_json
from .redact import logger

if TYPE_CHECKING:
    from .events_base import AsyncSubscription, Subscription

#: Seconds an MQTT transport waits for the broker to answer (CONNACK, SUBACK, PUBACK).
MQTT_TIMEOUT = 10.0


def _mqtt_modules() -> tuple[Any, Any, Any]:
    """aiomqtt and the two paho-mqtt modules it builds on, imported on first use."""
    try:
        aiomqtt = importlib.import_module("aiomqtt")
        properties = importlib.import_module("paho.mqtt.properties")
        packettypes = importlib.import_module("paho.mqtt.packettypes")
    except ImportError:
        raise ImportError(
            "MqttTransport needs the aiomqtt package: pip install aiomqtt"
        ) from None
    return aiomqtt, properties, packettypes


def _mqtt_body(message: Message) -> bytes:
    """The bytes a message is sent as: its raw body, else its payload encoded by its content type."""
    if message.raw:
        return message.raw
    raw, problem = _encoded(message.payload, message.content_type)[1:]
    if problem is not None:
        raise TransportError(
            f"cannot send the message on {message.channel!r}: {problem}"
        )
    return raw


class _MqttLoop:
    """An asyncio loop in a daemon thread, where the sync side of a transport runs."""

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
            thread.join(MQTT_TIMEOUT)
            if not thread.is_alive():
                loop.close()


class _MqttSubscription(_Buffer):
    """One subscription of an :class:`MqttTransport`: a :class:`Subscription` and an
    :class:`AsyncSubscription` (the runtime's bounded buffer, fed from the broker).

    It has an MQTT connection of its own, subscribed to one topic filter, so two
    subscriptions never take each other's messages and closing one leaves the others
    alone.  A task on the loop that subscribed reads the connection into the buffer
    (the oldest message is dropped when it is full); a message that cannot be decoded
    (malformed JSON, too large) is logged and skipped.  When the connection is lost,
    a wait on the subscription raises :class:`TransportError`.
    """

    def __init__(self, transport: MqttTransport, channel: str, client: Any) -> None:
        super().__init__(transport._hub, channel, transport._max_buffered)
        self._transport = transport
        self._client = client
        self._error: TransportError | None = None
        self._loop = asyncio.get_running_loop()
        self._pump = self._loop.create_task(self._run())

    async def _run(self) -> None:
        why = "reading it failed"
        try:
            async for received in self._client.messages:
                message = self._transport._decode(received)
                if message is not None:
                    self.put(message)
            why = "the connection ended"
        except self._transport._aiomqtt.MqttError as exc:
            why = f"the connection was lost ({exc})"
        except asyncio.CancelledError:
            why = "the event loop it read on ended"
            raise
        finally:  # however reading stopped, a wait must not outlive it
            if not self._closed:
                self._error = TransportError(
                    f"the subscription to {self.channel!r} on the MQTT broker {self._transport.where} stopped receiving: {why}"
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
        """Stop receiving and disconnect this subscription's connection (the broker
        forgets the subscription)."""
        self._error = None  # closed here: a wait now raises SubscriptionClosed
        _Buffer.close(self)
        self._transport._subscriptions.discard(self)
        if (
            asyncio.get_running_loop() is not self._loop
        ):  # closed from another loop: disconnect on its own
            if self._loop.is_running():
                with contextlib.suppress(RuntimeError):  # closed meanwhile
                    self._loop.call_soon_threadsafe(self._disconnect_soon)
            return
        await self._disconnect()

    def close(self) -> None:
        """Stop receiving and disconnect (from any thread; waits when called off the subscription's loop)."""
        self._error = None  # closed here: a wait now raises SubscriptionClosed
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            _Buffer.close(self)
            self._transport._subscriptions.discard(self)
            self._disconnect_soon()
        elif (
            not self._loop.is_running()
        ):  # its loop is gone (asyncio.run returned): nothing reads any more
            _Buffer.close(self)
            self._transport._subscriptions.discard(self)
        else:
            asyncio.run_coroutine_threadsafe(self.aclose(), self._loop).result(
                self._transport._timeout + 5
            )

    def _disconnect_soon(self) -> None:
        self._loop.create_task(self._disconnect())

    async def _disconnect(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        with contextlib.suppress(
            OSError, RuntimeError, self._transport._aiomqtt.MqttError
        ):
            await self._client.__aexit__(None, None, None)


class MqttTransport:
    """Messages over an MQTT broker, with aiomqtt: a :class:`Transport` and an :class:`AsyncTransport`.

    A channel address is the MQTT topic (a subscription may use the ``+`` and ``#``
    wildcards).  Payloads are JSON (UTF-8); with MQTT 5 (the default) a message's
    headers travel as user properties (names lower-cased on receipt) and its content
    type as the Content Type property, so a non-JSON type arrives as text.

    Each subscription opens its own connection and returns only once the broker has
    acknowledged the SUBSCRIBE (SUBACK), so a message published right after
    :meth:`asubscribe` returns is delivered to it.  Sends share one connection per
    event loop and, at ``qos`` 1 or 2, return once the broker has acknowledged them.
    Received messages that cannot be decoded (malformed JSON, over
    ``max_message_bytes``) are logged and skipped, so they never end a wait.

    The sync methods (:meth:`subscribe`, :meth:`send`) run the same code on an event
    loop in a daemon thread of this transport.  Close it when done (``with``/``async
    with``, or :meth:`close`/:meth:`aclose`).

    :param hostname: the broker's host name or address; :param port: its port.
    :param username: and :param password: the credentials, if the broker wants them
        (never shown in errors, logs or repr).
    :param qos: the quality of service of subscriptions and sends (0, 1 or 2).
    :param tls_context: an :class:`ssl.SSLContext` to connect over TLS (mqtts).
    :param protocol: ``"5"`` or ``"3.1.1"`` (no headers: a send with headers fails).
    :param client_id_prefix: the start of each connection's client identifier.
    :param timeout: seconds to wait for each answer of the broker.
    :param keepalive: the MQTT keep-alive interval, in seconds.
    :param max_buffered: most messages one subscription holds unread.
    :param max_message_bytes: largest payload accepted (larger ones are skipped).

    Raises :class:`ImportError` when aiomqtt is not installed; a broker that cannot be
    reached, or refuses the connection, a subscription or a message raises
    :class:`TransportError` (a :class:`WorkflowError`) that says so in plain words.
    """

    def __init__(
        self,
        hostname: str,
        port: int = 1883,
        *,
        username: str | None = None,
        password: str | None = None,
        qos: int = 1,
        tls_context: ssl.SSLContext | None = None,
        protocol: str = "5",
        client_id_prefix: str = "arazzo",
        timeout: float = MQTT_TIMEOUT,
        keepalive: int = 60,
        max_buffered: int = MAX_BUFFERED,
        max_message_bytes: int = MAX_WEBHOOK_BYTES,
    ) -> None:
        self._aiomqtt, self._properties, self._packettypes = _mqtt_modules()
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")
        if protocol not in ("5", "3.1.1"):
            raise ValueError(f"protocol must be '5' or '3.1.1', not {protocol!r}")
        if max_buffered < 1:
            raise ValueError("max_buffered must be at least 1")
        self.hostname = hostname
        self.port = port
        self.qos = qos
        self.protocol = protocol
        self._username = username
        self._password = password
        self._tls_context = tls_context
        self._client_id_prefix = client_id_prefix
        self._timeout = timeout
        self._keepalive = keepalive
        self._max_buffered = max_buffered
        self._max_message_bytes = max_message_bytes
        #: Per event loop: the connection sends go over, and the lock that makes it once.
        self._senders: dict[
            asyncio.AbstractEventLoop, tuple[asyncio.Lock, list[Any]]
        ] = {}
        self._subscriptions: set[_MqttSubscription] = set()
        self._hub = _Hub(max_buffered)
        self._thread = _MqttLoop(f"mqtt-{hostname}:{port}")

    @property
    def where(self) -> str:
        """``mqtt://host:port`` (``mqtts`` with TLS), without the credentials."""
        return f"{'mqtts' if self._tls_context is not None else 'mqtt'}://{self.hostname}:{self.port}"

    def __repr__(self) -> str:
        return (
            f"MqttTransport({self.where!r}, qos={self.qos}, protocol={self.protocol!r})"
        )

    # -- async ------------------------------------------------------------------------

    async def asubscribe(self, channel: str) -> AsyncSubscription:
        """Subscribe to the topic ``channel``; returns once the broker acknowledged it."""
        client = await self._connect()
        try:
            try:
                granted = await client.subscribe(
                    channel, qos=self.qos, timeout=self._timeout
                )
            except ValueError as error:
                raise TransportError(
                    f"{channel!r} is not an MQTT topic filter: {error}"
                ) from None
            except self._aiomqtt.MqttError as error:
                raise TransportError(
                    f"the MQTT broker {self.where} did not acknowledge the subscription to {channel!r}: {error}"
                ) from None
            for code in granted:
                if int(getattr(code, "value", code)) >= 0x80:
                    raise TransportError(
                        f"the MQTT broker {self.where} refused the subscription to {channel!r}: {code}"
                    )
        except BaseException:
            with contextlib.suppress(OSError, RuntimeError, self._aiomqtt.MqttError):
                await client.__aexit__(None, None, None)
            raise
        subscription = _MqttSubscription(self, channel, client)
        self._subscriptions.add(subscription)
        return subscription

    async def asend(self, message: Message) -> None:
        """Publish ``message`` on its channel (the topic); at qos 1/2, once acknowledged."""
        properties = None
        if self.protocol == "5":
            properties = self._properties.Properties(
                self._packettypes.PacketTypes.PUBLISH
            )
            properties.ContentType = message.content_type
            if message.headers:
                properties.UserProperty = [
                    (str(name), str(value)) for name, value in message.headers.items()
                ]
        elif message.headers:
            raise TransportError(
                f"cannot send headers {sorted(message.headers)} on {message.channel!r}: MQTT 3.1.1 messages have none (use protocol='5')"
            )
        body = _mqtt_body(message)
        client = await self._sender()
        try:
            await client.publish(
                message.channel,
                body,
                qos=self.qos,
                properties=properties,
                timeout=self._timeout,
            )
        except ValueError as error:
            raise TransportError(
                f"{message.channel!r} is not an MQTT topic to publish on: {error}"
            ) from None
        except self._aiomqtt.MqttError as error:
            await self._drop_sender()
            raise TransportError(
                f"the MQTT broker {self.where} did not take the message on {message.channel!r}: {error}"
            ) from None

    async def aclose(self) -> None:
        """Close the subscriptions and the send connection made on the running loop."""
        loop = asyncio.get_running_loop()
        for subscription in list(self._subscriptions):
            if subscription._loop is loop:
                await subscription.aclose()
        await self._drop_sender()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sync -------------------------------------------------------------------------

    def subscribe(self, channel: str) -> Subscription:
        """Subscribe to the topic ``channel``; returns once the broker acknowledged it."""
        subscription = self._thread.call(lambda: self.asubscribe(channel))
        return cast(_MqttSubscription, subscription)

    def send(self, message: Message) -> None:
        """Publish ``message`` on its channel (the topic); at qos 1/2, once acknowledged."""
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

    async def _connect(self) -> Any:
        """A new connection, connected (CONNACK received)."""
        properties = None
        if self.protocol == "5":
            properties = self._properties.Properties(
                self._packettypes.PacketTypes.CONNECT
            )
            # the broker sends nothing larger (the topic and properties may add up to 64 KiB)
            properties.MaximumPacketSize = min(
                self._max_message_bytes + 65536, 268435455
            )
        client = self._aiomqtt.Client(
            self.hostname,
            self.port,
            username=self._username,
            password=self._password,
            identifier=f"{self._client_id_prefix}-{uuid.uuid4().hex[:16]}",
            protocol=(
                self._aiomqtt.ProtocolVersion.V5
                if self.protocol == "5"
                else self._aiomqtt.ProtocolVersion.V311
            ),
            timeout=self._timeout,
            keepalive=self._keepalive,
            tls_context=self._tls_context,
            properties=properties,
        )
        try:
            await client.__aenter__()
        except self._aiomqtt.MqttError as error:
            why = str(error)
            if self._password:
                why = why.replace(self._password, "***")
            raise TransportError(
                f"could not connect to the MQTT broker {self.where}: {why}"
            ) from None
        return client

    async def _sender(self) -> Any:
        loop = asyncio.get_running_loop()
        for other in [other for other in self._senders if other.is_closed()]:
            del self._senders[other]
        lock, holder = self._senders.setdefault(loop, (asyncio.Lock(), []))
        async with lock:
            if not holder:
                holder.append(await self._connect())
            return holder[0]

    async def _drop_sender(self) -> None:
        entry = self._senders.pop(asyncio.get_running_loop(), None)
        if entry is not None and entry[1]:
            with contextlib.suppress(OSError, RuntimeError, self._aiomqtt.MqttError):
                await entry[1][0].__aexit__(None, None, None)

    def _decode(self, received: Any) -> Message | None:
        """A received aiomqtt message as a :class:`Message`; None (logged) when it cannot be."""
        topic = str(received.topic.value)
        raw = received.payload
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8")
        if len(raw) > self._max_message_bytes:
            logger.warning(
                "skipped a message on %r: %d bytes, over max_message_bytes (%d)",
                topic,
                len(raw),
                self._max_message_bytes,
            )
            return None
        headers: dict[str, str] = {}
        content_type = "application/json"
        properties = received.properties
        if properties is not None:
            for name, value in getattr(properties, "UserProperty", None) or ():
                headers[str(name).lower()] = str(value)
            content_type = str(getattr(properties, "ContentType", None) or content_type)
        payload: Any
        try:
            decoded = raw.decode("utf-8")
            payload = json.loads(decoded) if _is_json(content_type) else decoded
        except (ValueError, RecursionError) as error:
            logger.warning(
                "skipped a message on %r that is not %s: %s", topic, content_type, error
            )
            return None
        return Message(
            channel=topic,
            payload=payload,
            headers=headers,
            content_type=content_type,
            raw=raw,
        )
