"""Event steps, the basics: a message, the transport and subscription protocols, their
errors and the bounds every event part shares.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from .errors import StepTimedOut, WorkflowError, _retries_text
from .redact import _REDACTED, _SECRET_WORDS

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
