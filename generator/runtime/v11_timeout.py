"""Arazzo 1.1 step timeouts (included when a step has one): a request sent within the
step's timeout (:func:`send_within`), a called workflow run within it (:func:`call_within`).

The called workflow gets the caller's ``_run.deadline.remaining()`` as its ``timeout``
option, as every call does; inside :meth:`Deadline.step_timeout` that is the earlier of
the overall deadline and the step's own timeout, so the callee's requests, sleeps and
polls all end by then (its watchdog, or asyncio's cancellation for the async twin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .errors import StepTimedOut, WorkflowTimeout
from .transport import _request_url

if TYPE_CHECKING:
    from .core import Deadline
    from .run import AsyncRun, Run


def send_within(
    run: Run,
    step_id: str,
    method: str,
    url: str,
    *,
    timeout_ms: int,
    params: Mapping[str, Any] | None = None,
    **options: Any,
) -> httpx.Response | StepTimedOut:
    """:meth:`Run.send` for a step with its own ``timeout`` (milliseconds): the
    exchange, transport retries included, is aborted when it runs out (the socket is
    shut down; nothing is sent again) and the StepTimedOut is returned, not raised, so
    that the step's onFailure actions apply.  The overall deadline still bounds it
    (WorkflowTimeout, raised, when that ends first)."""
    where = _request_url(url, params, run.secrets)
    with run.deadline.step_timeout(step_id, timeout_ms, method, where):
        try:
            return run.send(step_id, method, url, params=params, **options)
        except StepTimedOut as error:
            return _timed_out_observed(run.deadline, error)


async def asend_within(
    run: AsyncRun,
    step_id: str,
    method: str,
    url: str,
    *,
    timeout_ms: int,
    params: Mapping[str, Any] | None = None,
    **options: Any,
) -> httpx.Response | StepTimedOut:
    """The async twin of :func:`send_within` (``asyncio.timeout`` aborts the exchange)."""
    where = _request_url(url, params, run.secrets)
    with run.deadline.step_timeout(step_id, timeout_ms, method, where):
        try:
            return await run.send(step_id, method, url, params=params, **options)
        except StepTimedOut as error:
            return _timed_out_observed(run.deadline, error)


def _timed_out_observed(deadline: Deadline, error: StepTimedOut) -> StepTimedOut:
    """End the aborted request's span and event (error.type StepTimedOut) before
    onFailure runs."""
    if deadline.observer is not None:
        deadline.observer._end_request("error", {"error.type": "StepTimedOut"})
    return error


_Called = TypeVar("_Called")


def call_within(
    deadline: Deadline,
    step_id: str,
    timeout_ms: int,
    workflow_id: str,
    call: Callable[[], _Called],
) -> _Called | StepTimedOut:
    """Run ``call`` (the called workflow) within the step's ``timeout`` (milliseconds) as
    well as the overall deadline.  When the step's timeout ends first the StepTimedOut
    of the CALLING step is returned, not raised, so that its onFailure actions apply;
    when the overall deadline ends first the WorkflowTimeout is raised, as without a
    step timeout.  A callee that ran out of loop iterations is not a timeout of the step.
    """
    with deadline.step_timeout(step_id, timeout_ms, "CALL", f"workflow {workflow_id}"):
        try:
            return call()
        except WorkflowTimeout as error:
            return _step_ran_out(deadline, step_id, workflow_id, error)


async def acall_within(
    deadline: Deadline,
    step_id: str,
    timeout_ms: int,
    workflow_id: str,
    call: Callable[[], Awaitable[_Called]],
) -> _Called | StepTimedOut:
    """The async twin of :func:`call_within`: ``asyncio.timeout`` cancels whatever the
    called workflow awaits (an exchange, a sleep) when the earlier of the two ends."""
    with deadline.step_timeout(step_id, timeout_ms, "CALL", f"workflow {workflow_id}"):
        scope = asyncio.timeout(deadline.remaining())
        try:
            async with scope:
                return await call()
        except WorkflowTimeout as error:
            return _step_ran_out(deadline, step_id, workflow_id, error)
        except TimeoutError:
            if not scope.expired():
                raise
        timed_out = deadline.expired(step_id, f" during workflow {workflow_id!r}")
        if isinstance(timed_out, StepTimedOut):
            return timed_out
    raise timed_out


def _step_ran_out(
    deadline: Deadline, step_id: str, workflow_id: str, error: WorkflowTimeout
) -> StepTimedOut:
    """The calling step's StepTimedOut for the called workflow's WorkflowTimeout, when the
    step's own timeout was the one that bounded it; else ``error`` again."""
    if error.loop_limit:
        raise error
    timed_out = deadline.expired(step_id, f" during workflow {workflow_id!r}")
    if isinstance(timed_out, StepTimedOut):
        return timed_out
    raise error
