"""A workflow's retry actions: the wait before the step runs again."""

from __future__ import annotations

import httpx

from .core import interval, retry_after
from .errors import StepFailed
from .redact import logger

#: Longest Retry-After a workflow's ``retry`` action waits for: a longer one (31 years,
#: a far HTTP date) fails the step at once with StepFailed rather than sleeping.
RETRY_AFTER_MAX = 300.0


def retry_delay(
    step_id: str,
    response: httpx.Response | None,
    retry_after_seconds: float | None,
    poll_interval: float | None,
    default: float,
) -> float:
    """The wait before a retry action runs the step again, logged with its reason: the
    response's Retry-After header, else the action's retryAfter, else the poll interval.
    A Retry-After beyond RETRY_AFTER_MAX raises StepFailed instead of waiting."""
    # -1: no usable header
    header = retry_after(response, -1.0) if response is not None else -1.0
    if response is not None and header > RETRY_AFTER_MAX:
        raise StepFailed.from_response(
            step_id,
            response,
            reason=f"the server asked to wait {header:.0f} s before a retry (Retry-After), more than the {RETRY_AFTER_MAX:g} s limit",
        )
    if header >= 0:
        seconds, why = header, "the Retry-After header"
    elif retry_after_seconds is not None:
        seconds, why = retry_after_seconds, "the action's retryAfter"
    else:
        seconds = interval(poll_interval, default)
        why = (
            "the poll_interval option"
            if poll_interval is not None
            else "the default poll interval"
        )
    logger.debug("%s: retry in %g s (%s)", step_id, seconds, why)
    return seconds
