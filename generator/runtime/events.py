"""Event steps: messages, transports, the in-memory broker and the webhook receiver.

Included when a workflow sends or receives messages (Arazzo 1.1 steps bound to an
AsyncAPI source).  Stdlib only.  A workflow with event steps takes a ``transport``:
the sync function a :class:`Transport`, the async twin an :class:`AsyncTransport`.
Receive steps subscribe when the function starts (:func:`open_subscriptions`), so a
message that arrives before its step waits for it (a webhook that beats the create
response) is kept; :func:`receive` then waits for the first one that matches.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import dataclasses
import hashlib
import hmac
import http
import http.server
import json
import math
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, Self
from urllib.parse import urlsplit

from pydantic import BaseModel

from .errors import (
    StepFailed,
    StepTimedOut,
    WorkflowError,
    _criteria_reason,
    _retries_text,
)
from .redact import _REDACTED, _SECRET_WORDS, _excerpt, logger
from .values import pointer
from .wire import _headers_problem, _json_problem, text

if TYPE_CHECKING:
    from .core import Deadline

__all__ = [
    "MAX_BUFFERED",
    "MAX_REPLAY_RECORDS",
    "MAX_WEBHOOK_BYTES",
    "WEBHOOK_READ_TIMEOUT",
    "AsyncSubscription",
    "AsyncTransport",
    "HmacSha256Verifier",
    "InMemoryBroker",
    "Message",
    "MessageTimedOut",
    "Replayed",
    "Route",
    "StandardWebhooksVerifier",
    "StripeVerifier",
    "Subscription",
    "SubscriptionClosed",
    "Transport",
    "TransportError",
    "Verifier",
    "WebhookReceiver",
    "aadd_subscription",
    "add_subscription",
    "aopen_subscriptions",
    "areceive",
    "asend_message",
    "message_failed",
    "message_timed_out",
    "open_subscriptions",
    "receive",
    "route_by_header",
    "route_by_payload",
    "route_to",
    "send_message",
]


#: Default of WebhookReceiver's ``max_body_bytes``: the largest webhook body accepted (larger: 413, never read).
MAX_WEBHOOK_BYTES = 1024 * 1024
#: Default bound of one subscription's buffer: messages delivered and not yet received
#: (beyond it the oldest is dropped, with a warning).
MAX_BUFFERED = 1024
#: Seconds the built-in webhook server gives a client to send a request's body (then 408).
WEBHOOK_READ_TIMEOUT = 10.0
#: Most deliveries a verifier remembers to reject replays (the oldest are forgotten first).
MAX_REPLAY_RECORDS = 100_000
#: The longest single wait of a receive without any deadline: the wait is resumed after it.
_WAIT_SLICE = 60.0


@dataclasses.dataclass(frozen=True, repr=False)
class Message:
    """One message received on, or sent to, a channel.

    ``channel`` is the channel address it came on (or goes to); ``payload`` the parsed
    JSON (dict, list, str, int, ...), or the text for a non-JSON content type;
    ``headers`` its headers (HTTP headers of a webhook, MQTT user properties, ...) with
    lower-case names; ``raw`` the body as received or sent.  The repr hides headers
    whose names look like credentials or signatures, and never shows the body.
    """

    channel: str
    payload: Any
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    content_type: str = "application/json"
    raw: bytes = b""

    def __post_init__(self) -> None:
        if any(name != name.lower() for name in self.headers):
            object.__setattr__(
                self,
                "headers",
                {name.lower(): value for name, value in self.headers.items()},
            )

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), None when the message has none."""
        return self.headers.get(name.lower())

    def __repr__(self) -> str:
        shown = {
            name: _REDACTED if _SECRET_WORDS.search(name) else value
            for name, value in self.headers.items()
        }
        return f"Message(channel={self.channel!r}, content_type={self.content_type!r}, headers={shown!r}, raw=<{len(self.raw)} bytes>)"


class Subscription(Protocol):
    """A subscription to one channel, for the sync workflow functions."""

    def receive(self, timeout: float | None) -> Message | None:
        """The next message on the channel, waiting at most ``timeout`` seconds (None:
        no limit); None when nothing came within it."""
        ...

    def close(self) -> None:
        """Stop receiving; messages not yet received are dropped."""
        ...


class AsyncSubscription(Protocol):
    """A subscription to one channel, for the async workflow functions."""

    async def areceive(self, timeout: float | None) -> Message | None:
        """The next message on the channel, waiting at most ``timeout`` seconds (None:
        no limit); None when nothing came within it."""
        ...

    async def aclose(self) -> None:
        """Stop receiving; messages not yet received are dropped."""
        ...


class Transport(Protocol):
    """What a sync workflow function with event steps takes as ``transport=``:
    InMemoryBroker, WebhookReceiver, or a broker adapter."""

    def subscribe(self, channel: str) -> Subscription:
        """Start receiving the messages on ``channel`` (its address)."""
        ...

    def send(self, message: Message) -> None:
        """Send ``message`` to ``message.channel``."""
        ...


class AsyncTransport(Protocol):
    """What an async workflow function with event steps takes as ``transport=``."""

    async def asubscribe(self, channel: str) -> AsyncSubscription:
        """Start receiving the messages on ``channel`` (its address)."""
        ...

    async def asend(self, message: Message) -> None:
        """Send ``message`` to ``message.channel``."""
        ...


class TransportError(WorkflowError):
    """What a transport (a broker adapter) raises when it cannot send or subscribe; its
    message says why in plain words, and never holds a credential.  A send step turns
    it, like an OSError, into StepFailed naming the step."""


class SubscriptionClosed(WorkflowError):
    """A subscription was closed (its transport or receiver was closed) while a step waited on it."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        super().__init__(
            f"the subscription to {channel!r} was closed while a step waited for a message on it"
        )


def _seconds(timeout_ms: int) -> str:
    """A step timeout for a message: ``600 s``, ``0.2 s``, ``1.25 s``."""
    if timeout_ms % 1000 == 0:
        return f"{timeout_ms // 1000} s"
    return f"{timeout_ms / 1000:.3f}".rstrip("0") + " s"


def _awaited_text(awaited: str | None) -> str:
    """``message with call_id == 'CA12'`` (or ``message`` when any message will do)."""
    return f"message with {awaited}" if awaited else "message"


class MessageTimedOut(StepTimedOut):
    """A receive step's ``timeout`` passed before a matching message came:
    ``step 'awaitOutcome': no message with call_id == 'CA12' on 'call.completed' within 600 s``.

    Returned (not raised) by :func:`receive` so that the step's onFailure actions
    apply; :attr:`channel` is the channel address, :attr:`awaited` what was awaited.
    """

    def __init__(
        self,
        step_id: str,
        *,
        channel: str,
        awaited: str | None,
        timeout_ms: int,
        reason: str | None = None,
        transport_retries: int = 0,
        retries: int = 0,
        retry_limit: int | None = None,
    ) -> None:
        super().__init__(
            step_id,
            method="RECEIVE",
            url=channel,
            timeout_ms=timeout_ms,
            reason=reason,
            transport_retries=transport_retries,
            retries=retries,
            retry_limit=retry_limit,
        )
        self.channel = channel
        self.awaited = awaited
        why = (
            f"no {_awaited_text(awaited)} on {channel!r} within {_seconds(timeout_ms)}"
        )
        self.reason = why if reason is None else f"{reason} ({why})"
        if reason is None:
            text = f"step {step_id!r}: {why}{_retries_text(retries, retry_limit)}"
        else:
            text = f"step {step_id!r} failed: {self.reason}{_retries_text(retries, retry_limit)}"
        self.args = (text,)


def message_timed_out(
    error: MessageTimedOut,
    *,
    reason: str | None = None,
    retries: int = 0,
    retry_limit: int | None = None,
) -> MessageTimedOut:
    """``error`` as the step's final failure (what :func:`timed_out` is for other steps):
    with the failure action that ended the workflow and how often the step's retry
    actions ran it again."""
    return MessageTimedOut(
        error.step_id,
        channel=error.channel,
        awaited=error.awaited,
        timeout_ms=error.timeout_ms,
        reason=reason,
        transport_retries=error.transport_retries,
        retries=retries,
        retry_limit=retry_limit,
    )


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
    with contextlib.suppress(
        RuntimeError
    ):  # the loop is closed: nobody waits there any more
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


# -- routes and signature verifiers ------------------------------------------------------

#: Which channel a webhook belongs to, from its headers (lower-case names) and parsed
#: payload: the channel address, or None when it names none (the receiver answers 422).
Route = Callable[[Mapping[str, str], Any], "str | None"]


def route_by_header(name: str) -> Route:
    """The channel is the value of header ``name`` (e.g. ``X-VoiceInfra-Event: call.completed``)."""
    key = name.lower()

    def route(headers: Mapping[str, str], payload: Any) -> str | None:
        value = headers.get(key, "").strip()
        return value or None

    return route


def route_by_payload(path: str) -> Route:
    """The channel is the string at JSON pointer ``path`` in the payload (e.g. ``/event``)."""

    def route(headers: Mapping[str, str], payload: Any) -> str | None:
        value = pointer(payload, path)
        return value if isinstance(value, str) and value else None

    return route


def route_to(channel: str) -> Route:
    """Every webhook belongs to ``channel`` (a receiver URL per event type)."""

    def route(headers: Mapping[str, str], payload: Any) -> str | None:
        return channel

    return route


class Verifier(Protocol):
    """Checks a webhook's signature before it is parsed or matched."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """None when ``body`` (the raw bytes) is signed as it should be, else why not
        (a :class:`Replayed` reason when it was delivered before).  ``headers`` have
        lower-case names.  The reason never quotes a secret or a signature."""
        ...


class Replayed(str):
    """A verifier's reason saying that the message was delivered before (the receiver answers 409)."""

    __slots__ = ()


def _secret_bytes(secret: str | bytes, what: str) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError(f"the {what} secret is empty")
    return key


def _base64_bytes(text: str) -> bytes:
    """The bytes a base64 signature spells (padding optional); empty when it is not base64."""
    text = text.strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _remembered_until(when: int, tolerance: float | None) -> float:
    """How long a signed delivery is remembered against replays: while its timestamp is
    within the tolerance (no tolerance: until MAX_REPLAY_RECORDS newer ones push it out).
    """
    return math.inf if tolerance is None else when + tolerance


class _Seen:
    """What a verifier saw recently, to reject replays: at most MAX_REPLAY_RECORDS keys,
    each until its own expiry (on the verifier's clock); thread-safe."""

    def __init__(
        self, clock: Callable[[], float], limit: int = MAX_REPLAY_RECORDS
    ) -> None:
        self.clock = clock
        self.limit = limit
        self._lock = threading.Lock()
        self._keys: collections.OrderedDict[bytes, float] = collections.OrderedDict()

    def first(self, key: bytes, until: float) -> bool:
        """Remember ``key`` until ``until``; False when it was seen before (a replay)."""
        with self._lock:
            now = self.clock()
            while self._keys:  # bounded: each pass forgets one key
                oldest, expiry = next(iter(self._keys.items()))
                if expiry >= now:
                    break
                del self._keys[oldest]
            if key in self._keys and self._keys[key] >= now:
                return False
            self._keys[key] = until
            self._keys.move_to_end(key)
            while len(self._keys) > self.limit:
                self._keys.popitem(last=False)
            return True


class HmacSha256Verifier:
    """HMAC-SHA256 of the raw body with the shared ``secret``, in header ``header``:
    ``encoding`` "hex" or "base64", after ``prefix`` (e.g. ``sha256=``, as GitHub
    writes it).  A body and signature delivered again are rejected as a replay
    (``reject_replays=False`` accepts them: without a timestamp a replay cannot be
    told from a retry)."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        header: str,
        encoding: str = "hex",
        prefix: str = "",
        reject_replays: bool = True,
    ) -> None:
        if encoding not in ("hex", "base64"):
            raise ValueError(f"encoding must be 'hex' or 'base64', not {encoding!r}")
        self._key = _secret_bytes(secret, "HMAC-SHA256")
        self.header = header
        self.encoding = encoding
        self.prefix = prefix
        self._seen = _Seen(time.monotonic) if reject_replays else None

    def __repr__(self) -> str:
        return f"HmacSha256Verifier(header={self.header!r}, encoding={self.encoding!r}, prefix={self.prefix!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        value = headers.get(self.header.lower())
        if value is None:
            return f"no {self.header} header"
        value = value.strip()
        if not value.startswith(self.prefix):
            return f"the {self.header} header does not start with {self.prefix!r}"
        given = value[len(self.prefix) :].strip().encode("utf-8", "replace")
        digest = hmac.new(self._key, body, hashlib.sha256).digest()
        if self.encoding == "hex":
            good = hmac.compare_digest(digest.hex().encode("ascii"), given.lower())
        else:
            good = hmac.compare_digest(
                digest, _base64_bytes(given.decode("utf-8", "replace"))
            )
        if not good:
            return f"the {self.header} header does not hold the HMAC-SHA256 of the body"
        if self._seen is not None and not self._seen.first(digest, math.inf):
            return Replayed("this body and signature were delivered before (a replay)")
        return None


class StripeVerifier:
    """Stripe-style signatures: header ``header`` holds ``t=<unix time>,v1=<hex>`` (more
    ``v1=`` entries while a secret is rolled over), the HMAC-SHA256 of
    ``"<t>.<raw body>"`` with ``secret``; the timestamp must be within ``tolerance``
    seconds of ``clock()`` (None: any time), and a signature seen before is rejected as
    a replay."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        header: str = "Stripe-Signature",
        tolerance: float | None = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = _secret_bytes(secret, "Stripe-style")
        self.header = header
        self.tolerance = tolerance
        self.clock = clock
        self._seen = _Seen(clock)

    def __repr__(self) -> str:
        return f"StripeVerifier(header={self.header!r}, tolerance={self.tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        value = headers.get(self.header.lower())
        if value is None:
            return f"no {self.header} header"
        stamp: str | None = None
        signatures: list[bytes] = []
        for item in value.split(","):
            name, part = item.strip().partition("=")[::2]
            if name == "t":
                stamp = part.strip()
            elif name == "v1":
                signatures.append(part.strip().lower().encode("utf-8", "replace"))
        if stamp is None or not re.fullmatch(r"[0-9]{1,12}", stamp):
            return f"the {self.header} header has no t=<unix time>"
        if not signatures:
            return f"the {self.header} header has no v1= signature"
        expected = (
            hmac.new(self._key, stamp.encode("ascii") + b"." + body, hashlib.sha256)
            .hexdigest()
            .encode("ascii")
        )
        good = False
        for signature in signatures:  # all compared: no early exit
            good = hmac.compare_digest(expected, signature) or good
        if not good:
            return f"the {self.header} header holds no valid v1 signature of this body"
        when = int(stamp)
        if self.tolerance is not None and abs(self.clock() - when) > self.tolerance:
            return f"the {self.header} timestamp is more than {self.tolerance:g} s away from now"
        if not self._seen.first(expected, _remembered_until(when, self.tolerance)):
            return Replayed("this signature was delivered before (a replay)")
        return None


class StandardWebhooksVerifier:
    """Standard Webhooks (https://www.standardwebhooks.com): headers ``webhook-id``,
    ``webhook-timestamp`` (unix seconds) and ``webhook-signature`` (space-separated
    ``v1,<base64>`` entries), the HMAC-SHA256 of ``"<id>.<timestamp>.<raw body>"``
    with the secret (``whsec_<base64>``, or the key's bytes); the timestamp must be
    within ``tolerance`` seconds of ``clock()`` (None: any time), and a webhook-id seen
    before is rejected as a replay."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        tolerance: float | None = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(secret, str):
            encoded = secret.removeprefix("whsec_").strip()
            try:
                key = base64.b64decode(
                    encoded + "=" * (-len(encoded) % 4), validate=True
                )
            except (binascii.Error, ValueError):
                raise ValueError(
                    "the Standard Webhooks secret is not whsec_ followed by base64"
                ) from None
        else:
            key = bytes(secret)
        if not key:
            raise ValueError("the Standard Webhooks secret is empty")
        self._key = key
        self.tolerance = tolerance
        self.clock = clock
        self._seen = _Seen(clock)

    def __repr__(self) -> str:
        return f"StandardWebhooksVerifier(tolerance={self.tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        message_id = headers.get("webhook-id")
        stamp = headers.get("webhook-timestamp")
        value = headers.get("webhook-signature")
        for name, got in (
            ("webhook-id", message_id),
            ("webhook-timestamp", stamp),
            ("webhook-signature", value),
        ):
            if got is None:
                return f"no {name} header"
        assert message_id is not None and stamp is not None and value is not None
        stamp = stamp.strip()
        if not re.fullmatch(r"[0-9]{1,12}", stamp):
            return "the webhook-timestamp header is not a unix time"
        signed = (
            message_id.encode("utf-8", "replace")
            + b"."
            + stamp.encode("ascii")
            + b"."
            + body
        )
        expected = hmac.new(self._key, signed, hashlib.sha256).digest()
        good = False
        for entry in value.split():  # all compared: no early exit
            version, signature = entry.partition(",")[::2]
            if version == "v1":
                good = hmac.compare_digest(expected, _base64_bytes(signature)) or good
        if not good:
            return "the webhook-signature header holds no valid v1 signature of this message"
        when = int(stamp)
        if self.tolerance is not None and abs(self.clock() - when) > self.tolerance:
            return (
                f"the webhook-timestamp is more than {self.tolerance:g} s away from now"
            )
        if not self._seen.first(
            b"id:" + message_id.encode("utf-8", "replace"),
            _remembered_until(when, self.tolerance),
        ):
            return Replayed("this webhook-id was delivered before (a replay)")
        return None


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
        if (
            self.verifier is not None
        ):  # last: only a well-formed message is remembered against replays
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
        while (
            left > 0
        ):  # bounded: at most Content-Length bytes, which is at most the limit
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


# -- what the generated event steps call -----------------------------------------------


@contextlib.contextmanager
def open_subscriptions(
    transport: Transport, channels: Mapping[str, str]
) -> Iterator[dict[str, Subscription]]:
    """Subscribe to each receive step's channel (step id -> channel address) before any
    step runs, so that no message is lost; every subscription (also one added to the
    dict later, see :func:`add_subscription`) is closed on exit, also on errors."""
    opened: dict[str, Subscription] = {}
    try:
        for step_id, channel in channels.items():
            opened[step_id] = transport.subscribe(channel)
        yield opened
    finally:
        for subscription in reversed(list(opened.values())):
            _closed(subscription.close)


@contextlib.asynccontextmanager
async def aopen_subscriptions(
    transport: AsyncTransport, channels: Mapping[str, str]
) -> AsyncIterator[dict[str, AsyncSubscription]]:
    """The async twin of :func:`open_subscriptions`."""
    opened: dict[str, AsyncSubscription] = {}
    try:
        for step_id, channel in channels.items():
            opened[step_id] = await transport.asubscribe(channel)
        yield opened
    finally:
        for subscription in reversed(list(opened.values())):
            try:
                await subscription.aclose()
            except (
                _CLOSE_FAILURES
            ) as exc:  # closing must not hide the run's own outcome
                logger.warning("closing a subscription failed (%s)", type(exc).__name__)


#: What closing a subscription may fail with, logged (by type) rather than hiding the run's outcome.
_CLOSE_FAILURES = (OSError, RuntimeError, WorkflowError)


def _closed(close: Callable[[], None]) -> None:
    try:
        close()
    except _CLOSE_FAILURES as exc:  # closing must not hide the run's own outcome
        logger.warning("closing a subscription failed (%s)", type(exc).__name__)


def add_subscription(
    subscriptions: dict[str, Subscription],
    transport: Transport,
    step_id: str,
    channel: str,
) -> Subscription:
    """Subscribe a receive step whose channel address is known only once earlier steps
    ran (it is closed with the others when :func:`open_subscriptions` exits)."""
    old = subscriptions.pop(step_id, None)
    if old is not None:
        _closed(old.close)
    subscriptions[step_id] = transport.subscribe(channel)
    return subscriptions[step_id]


async def aadd_subscription(
    subscriptions: dict[str, AsyncSubscription],
    transport: AsyncTransport,
    step_id: str,
    channel: str,
) -> AsyncSubscription:
    """The async twin of :func:`add_subscription`."""
    old = subscriptions.pop(step_id, None)
    if old is not None:
        await old.aclose()
    subscriptions[step_id] = await transport.asubscribe(channel)
    return subscriptions[step_id]


@contextlib.contextmanager
def _receiving(
    deadline: Deadline,
    subscription: object,
    step_id: str,
    channel: str,
    matches: Callable[[Message], bool] | None,
    timeout_ms: int | None,
) -> Iterator[None]:
    """While a receive step waits: its own timeout in force, and its match applied at
    delivery by the runtime's own subscriptions."""
    buffer = subscription if isinstance(subscription, _Buffer) else None
    if buffer is not None:
        buffer.wanted = matches
        buffer.steps_waiting += 1
    try:
        with (
            deadline.step_timeout(step_id, timeout_ms, "RECEIVE", channel)
            if timeout_ms is not None
            else contextlib.nullcontext()
        ):
            yield
    finally:
        if buffer is not None:
            buffer.wanted = None
            buffer.steps_waiting -= 1


def _ran_out(
    deadline: Deadline,
    step_id: str,
    channel: str,
    awaited: str | None,
    timeout_ms: int | None,
) -> MessageTimedOut:
    """The step's MessageTimedOut when its own timeout ended first; else WorkflowTimeout, raised."""
    error = deadline.expired(
        step_id, f" while waiting for a {_awaited_text(awaited)} on {channel!r}"
    )
    if isinstance(error, StepTimedOut) and timeout_ms is not None:
        return MessageTimedOut(
            step_id,
            channel=channel,
            awaited=awaited,
            timeout_ms=timeout_ms,
            transport_retries=deadline.transport_retries,
        )
    raise error


def _took(
    step_id: str,
    channel: str,
    message: Message,
    matches: Callable[[Message], bool] | None,
) -> bool:
    if matches is None or matches(message):
        return True
    logger.debug(
        "%s: dropped a message on %r that is not the one awaited", step_id, channel
    )
    return False


def receive(
    deadline: Deadline,
    sub: Subscription,
    step_id: str,
    channel: str,
    *,
    matches: Callable[[Message], bool] | None,
    awaited: str | None,
    timeout_ms: int | None,
) -> Message | MessageTimedOut:
    """Wait for the first message on ``sub`` for which ``matches`` holds (None: any),
    within the step's ``timeout_ms`` and the overall deadline; other messages are
    dropped.  When the step's timeout ends first, the MessageTimedOut is returned (its
    onFailure actions apply); when the overall deadline ends first, WorkflowTimeout is
    raised.  ``awaited`` says what was awaited (``call_id == 'CA12'``), for the error.
    """
    with _receiving(deadline, sub, step_id, channel, matches, timeout_ms):
        while (
            True
        ):  # bounded by time: every wait ends by the deadline or the step's timeout
            left = deadline.remaining()
            if left is not None and left <= 0:
                return _ran_out(deadline, step_id, channel, awaited, timeout_ms)
            message = sub.receive(_WAIT_SLICE if left is None else left)
            if message is not None and _took(step_id, channel, message, matches):
                return message


async def areceive(
    deadline: Deadline,
    sub: AsyncSubscription,
    step_id: str,
    channel: str,
    *,
    matches: Callable[[Message], bool] | None,
    awaited: str | None,
    timeout_ms: int | None,
) -> Message | MessageTimedOut:
    """The async twin of :func:`receive`; cancelling it ends the wait."""
    with _receiving(deadline, sub, step_id, channel, matches, timeout_ms):
        while (
            True
        ):  # bounded by time: every wait ends by the deadline or the step's timeout
            left = deadline.remaining()
            if left is not None and left <= 0:
                return _ran_out(deadline, step_id, channel, awaited, timeout_ms)
            message = await sub.areceive(_WAIT_SLICE if left is None else left)
            if message is not None and _took(step_id, channel, message, matches):
                return message


def _outgoing(
    deadline: Deadline,
    step_id: str,
    channel: str,
    payload: Any,
    headers: Mapping[str, str] | None,
    content_type: str,
) -> Message:
    """The message a send step sends; StepFailed (never quoting a value) when it cannot be built."""
    payload, raw, problem = _encoded(payload, content_type)
    values = {
        name: text(value)
        for name, value in (headers or {}).items()
        if value is not None
    }
    if problem is None:
        problem = _headers_problem(values, "header")
    if problem is not None:
        raise StepFailed(
            step_id,
            method="SEND",
            url=channel,
            status_code=None,
            reason=f"the message cannot be built: {problem}",
            transport_retries=deadline.transport_retries,
        )
    if deadline.passed():
        raise deadline.expired(step_id, f" before sending on {channel!r}")
    return Message(channel, payload, values, content_type, raw)


def _not_sent(
    deadline: Deadline, step_id: str, channel: str, failure: OSError | TransportError
) -> StepFailed:
    """A send that failed: a TransportError's own words, an OSError only by its type
    (its text may quote an address or a credential)."""
    why = (
        str(failure) if isinstance(failure, TransportError) else type(failure).__name__
    )
    return StepFailed(
        step_id,
        method="SEND",
        url=channel,
        status_code=None,
        reason=f"the message could not be sent ({why})",
        transport_retries=deadline.transport_retries,
    )


def send_message(
    deadline: Deadline,
    transport: Transport,
    step_id: str,
    channel: str,
    *,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
) -> Message:
    """Send one message on ``channel``; returns it (``$message`` of a send step).  A
    TransportError or OSError of the transport is StepFailed naming the step, raised
    outside the ``except``: nothing is chained."""
    message = _outgoing(deadline, step_id, channel, payload, headers, content_type)
    failure: OSError | TransportError | None = None
    try:
        transport.send(message)
    except (OSError, TransportError) as exc:
        failure = exc
    if failure is not None:
        raise _not_sent(deadline, step_id, channel, failure)
    return message


async def asend_message(
    deadline: Deadline,
    transport: AsyncTransport,
    step_id: str,
    channel: str,
    *,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
) -> Message:
    """The async twin of :func:`send_message`, bounded by the deadline."""
    message = _outgoing(deadline, step_id, channel, payload, headers, content_type)
    failure: OSError | TransportError | None = None
    expired = False
    scope = asyncio.timeout(deadline.remaining())
    try:
        async with scope:
            await transport.asend(message)
    except TimeoutError as exc:
        if not scope.expired():
            failure = exc
        expired = scope.expired()
    except (OSError, TransportError) as exc:
        failure = exc
    if expired:
        raise deadline.expired(step_id, f" while sending on {channel!r}")
    if failure is not None:
        raise _not_sent(deadline, step_id, channel, failure)
    return message


def message_failed(
    step_id: str,
    channel: str,
    message: Message,
    *,
    criterion: str | None,
    reason: str | None = None,
    retries: int = 0,
    retry_limit: int | None = None,
    action: str = "receive",
) -> StepFailed:
    """The StepFailed of an event step whose success criteria did not hold for
    ``message`` (``action`` "receive" or "send"): the criterion, and an excerpt of the message.
    """
    shown = (
        message.raw.decode("utf-8", errors="replace")
        if message.raw
        else text(message.payload)
    )
    return StepFailed(
        step_id,
        method=action.upper(),
        url=channel,
        status_code=None,
        reason=_criteria_reason(reason, criterion),
        body=_excerpt(shown),
        criterion=criterion,
        retries=retries,
        retry_limit=retry_limit,
    )
