"""Event steps that send a message (:func:`send_message`, :func:`asend_message`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import StepFailed
from .events_base import AsyncTransport, Message, Transport, TransportError
from .events_hub import _encoded
from .wire import _headers_problem, text

if TYPE_CHECKING:
    from .core import Deadline


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
