"""Event steps: the buffers a subscription reads from, the hub that routes published
messages to them, and the in-memory broker built on it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from .errors import WorkflowError
from .events_base import (
    MAX_BUFFERED,
    AsyncSubscription,
    Message,
    Subscription,
    SubscriptionClosed,
)
from .redact import logger
from .wire import _json_problem, text

# -- subscriptions: bounded buffers shared by threads and asyncio tasks ---------------


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _wake(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    """Wake an asyncio waiter from any thread (from its own loop's thread: at once)."""
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _set_done(future)
        return
    # RuntimeError: the loop is closed, nobody waits there any more
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_set_done, future)


class _Buffer:
    """One subscription to one channel: a bounded buffer of the messages delivered to
    it and not yet received, usable from threads (:meth:`receive`) and asyncio tasks
    (:meth:`areceive`) at once.  A threading lock guards it; a sync waiter waits on a
    condition, an async waiter on a future of its own loop, set with
    ``loop.call_soon_threadsafe`` by whichever thread delivers.

    While a receive step waits on it, :attr:`wanted` is that step's match: a message
    that does not match is dropped at delivery (the delivering side learns that
    nobody took it), not kept to be dropped later.
    """

    def __init__(self, hub: _Hub, channel: str, max_buffered: int) -> None:
        self.hub = hub
        self.channel = channel
        self.max_buffered = max(1, max_buffered)
        self.wanted: Callable[[Message], bool] | None = None
        #: How many receive steps wait on it right now (see :func:`receive`).
        self.steps_waiting = 0
        #: Messages dropped because the buffer was full.
        self.dropped = 0
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._items: collections.deque[Message] = collections.deque()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"<subscription to {self.channel!r}, {len(self._items)} buffered>"

    def put(self, message: Message) -> bool:
        """Keep ``message`` for a receive; False when this subscription does not take it
        (closed, or a waiting step's match rejects it)."""
        wanted = self.wanted
        if wanted is not None:
            try:
                taken = wanted(message)
            except (
                LookupError,
                TypeError,
                ValueError,
                AttributeError,
                ArithmeticError,
            ):
                taken = True  # kept: the step evaluates it again, and fails in its own context
            if not taken:
                return False
        with self._lock:
            if self._closed:
                return False
            full = len(self._items) >= self.max_buffered
            if full:
                self._items.popleft()
                self.dropped += 1
            self._items.append(message)
            self._ready.notify()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            _wake(loop, future)
        if full:
            log = logger.warning if self.dropped == 1 else logger.debug
            log(
                "subscription to %r: %d messages buffered and not received; the oldest was dropped (%d so far)",
                self.channel,
                self.max_buffered,
                self.dropped,
            )
        return True

    def pending(self) -> int:
        """How many messages are buffered, not yet received."""
        with self._lock:
            return len(self._items)

    def receive(self, timeout: float | None) -> Message | None:
        end = None if timeout is None else time.monotonic() + max(0.0, timeout)
        with self._ready:
            while not self._items:  # bounded by time: each wait ends by ``end``
                if self._closed:
                    raise SubscriptionClosed(self.channel)
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._ready.wait(left)
            if self._closed:
                raise SubscriptionClosed(self.channel)
            return self._items.popleft()

    async def areceive(self, timeout: float | None) -> Message | None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None if timeout is None else max(0.0, timeout)):
                while True:  # bounded by the timeout; each pass waits for one delivery
                    with self._lock:
                        if self._closed:
                            raise SubscriptionClosed(self.channel)
                        if self._items:
                            return self._items.popleft()
                        future: asyncio.Future[None] = loop.create_future()
                        self._waiters.append((loop, future))
                    try:
                        await future
                    finally:
                        if not future.done():
                            with self._lock:
                                self._waiters = [
                                    w for w in self._waiters if w[1] is not future
                                ]
        except TimeoutError:
            return None

    def close(self) -> None:
        self.hub.unsubscribe(self)
        with self._lock:
            self._closed = True
            self._items.clear()
            self._ready.notify_all()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            _wake(loop, future)

    async def aclose(self) -> None:
        self.close()


class _Hub:
    """The subscriptions of one transport, by channel address."""

    def __init__(self, max_buffered: int) -> None:
        self.max_buffered = max_buffered
        self._lock = threading.Lock()
        self._channels: dict[str, dict[int, _Buffer]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def subscribe(self, channel: str) -> _Buffer:
        buffer = _Buffer(self, channel, self.max_buffered)
        with self._lock:
            if self._closed:
                raise WorkflowError(
                    f"cannot subscribe to {channel!r}: the transport is closed"
                )
            self._channels.setdefault(channel, {})[id(buffer)] = buffer
        return buffer

    def unsubscribe(self, buffer: _Buffer) -> None:
        with self._lock:
            subscribers = self._channels.get(buffer.channel)
            if subscribers is not None:
                subscribers.pop(id(buffer), None)
                if not subscribers:
                    del self._channels[buffer.channel]

    def publish(self, message: Message) -> int:
        """Deliver ``message`` to every subscription on its channel; how many took it."""
        with self._lock:
            targets = list(self._channels.get(message.channel, {}).values())
        return sum(1 for target in targets if target.put(message))

    def subscriptions(self, channel: str | None = None) -> int:
        """How many subscriptions are open (on ``channel``, or on any)."""
        with self._lock:
            if channel is not None:
                return len(self._channels.get(channel, ()))
            return sum(len(subscribers) for subscribers in self._channels.values())

    def waiting(self, channel: str | None = None) -> int:
        """How many subscriptions (on ``channel``, or on any) have a receive step waiting on them now."""
        with self._lock:
            buffers = [
                buffer
                for key, subscribers in self._channels.items()
                if channel is None or key == channel
                for buffer in subscribers.values()
            ]
        return sum(1 for buffer in buffers if buffer.steps_waiting > 0)

    def close(self) -> None:
        """Close every subscription (a step waiting on one gets SubscriptionClosed)."""
        with self._lock:
            self._closed = True
            buffers = [
                buffer
                for subscribers in self._channels.values()
                for buffer in subscribers.values()
            ]
        for buffer in buffers:
            buffer.close()


def _encoded(payload: Any, content_type: str) -> tuple[Any, bytes, str | None]:
    """The payload as sent (a model as its JSON), its bytes, and why it cannot be sent (or None)."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json", by_alias=True, exclude_none=True)
    if _is_json(content_type):
        try:
            raw = json.dumps(
                payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode("utf-8")
        except (ValueError, TypeError, RecursionError):
            return (
                payload,
                b"",
                _json_problem(payload, "the payload")
                or "the payload is nested too deeply to encode",
            )
        return payload, raw, None
    if isinstance(payload, bytes):
        return payload, payload, None
    if isinstance(payload, str):
        try:
            return payload, payload.encode("utf-8"), None
        except UnicodeEncodeError:
            return payload, b"", "the payload is not valid Unicode text"
    return payload, text(payload).encode("utf-8", "surrogatepass"), None


def _is_json(content_type: str) -> bool:
    """application/json, or any ``+json`` type (application/cloudevents+json, ...)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class _HubTransport:
    """The subscribing half of a transport whose messages come through a :class:`_Hub`
    (the in-memory broker, the webhook receiver)."""

    _hub: _Hub

    def subscribe(self, channel: str) -> Subscription:
        return self._hub.subscribe(channel)

    async def asubscribe(self, channel: str) -> AsyncSubscription:
        return self._hub.subscribe(channel)

    def subscriptions(self, channel: str | None = None) -> int:
        """How many subscriptions are open (on ``channel``, or on any)."""
        return self._hub.subscriptions(channel)

    def waiting(self, channel: str | None = None) -> int:
        """How many subscriptions (on ``channel``, or on any) have a receive step waiting
        on them right now (a test delivers "while the step waits" by waiting for this).
        """
        return self._hub.waiting(channel)


class InMemoryBroker(_HubTransport):
    """A broker in memory: a Transport and an AsyncTransport for tests (yours and ours).

    :meth:`publish` delivers a message to the subscriptions on its channel (from any
    thread or task); what workflows send is appended to :attr:`sent`, and the replies
    scripted with :meth:`on_send` are called with it.  A sent message reaches the
    subscriptions on its own channel only with ``echo=True`` (a workflow that sends a
    request and receives the reply on one channel would otherwise match its own message).
    """

    def __init__(self, *, max_buffered: int = MAX_BUFFERED, echo: bool = False) -> None:
        self._hub = _Hub(max_buffered)
        self.echo = echo
        #: What workflows sent, in order.
        self.sent: list[Message] = []
        self._replies: dict[str, list[Callable[[Message], None]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<InMemoryBroker: {self._hub.subscriptions()} subscriptions, {len(self.sent)} sent>"

    def publish(
        self,
        channel: str,
        payload: Any,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> int:
        """Deliver a message to the subscriptions on ``channel``; returns how many took it
        (0: nobody subscribed, or no waiting step's correlation matches it)."""
        payload, raw, problem = _encoded(payload, content_type)
        if problem is not None:
            raise ValueError(f"cannot publish on {channel!r}: {problem}")
        return self.deliver(
            Message(channel, payload, dict(headers or {}), content_type, raw)
        )

    def deliver(self, message: Message) -> int:
        """Deliver ``message`` as it is to the subscriptions on its channel; how many took it."""
        return self._hub.publish(message)

    def on_send(self, channel: str, reply: Callable[[Message], None]) -> None:
        """Call ``reply`` with each message a workflow sends to ``channel`` (after it is
        appended to :attr:`sent`), e.g. to publish the answer a real service would."""
        with self._lock:
            self._replies.setdefault(channel, []).append(reply)

    def send(self, message: Message) -> None:
        with self._lock:
            self.sent.append(message)
            replies = list(self._replies.get(message.channel, ()))
        if self.echo:
            self._hub.publish(message)
        for reply in replies:
            reply(message)

    async def asend(self, message: Message) -> None:
        self.send(message)

    def close(self) -> None:
        """Close every subscription (a step waiting on one gets SubscriptionClosed)."""
        self._hub.close()
