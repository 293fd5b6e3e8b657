"""Event steps that receive, and what every event step needs (Arazzo 1.1 steps bound
to an AsyncAPI source; a workflow with them takes a ``transport``: a :class:`Transport`,
an :class:`AsyncTransport` for the async twin).  Receive steps subscribe when the
function starts (:func:`open_subscriptions`), so a message that arrives before its
step waits for it (a webhook that beats the create response) is kept; :func:`receive`
then waits for the first one that matches."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from .errors import StepFailed, StepTimedOut, WorkflowError, _criteria_reason
from .redact import _excerpt, logger
from .wire import text

if TYPE_CHECKING:
    from .core import Deadline

from .events_base import (
    _WAIT_SLICE,
    AsyncSubscription,
    AsyncTransport,
    Message,
    MessageTimedOut,
    Subscription,
    Transport,
    _awaited_text,
)
from .events_hub import _Buffer

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
            except _CLOSE_FAILURES as exc:  # must not hide the run's own outcome
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
        # bounded by time: every wait ends by the deadline or the step's timeout
        while True:
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
        # bounded by time: every wait ends by the deadline or the step's timeout
        while True:
            left = deadline.remaining()
            if left is not None and left <= 0:
                return _ran_out(deadline, step_id, channel, awaited, timeout_ms)
            message = await sub.areceive(_WAIT_SLICE if left is None else left)
            if message is not None and _took(step_id, channel, message, matches):
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
