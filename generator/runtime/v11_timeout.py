"""Arazzo 1.1 step timeout on a step that calls a workflow (included when one has it).

The called workflow gets the caller's ``_deadline.remaining()`` as its ``timeout``
option, as every call does; inside :meth:`Deadline.step_timeout` that is the earlier of
the overall deadline and the step's own timeout, so the callee's requests, sleeps and
polls all end by then (its watchdog, or asyncio's cancellation for the async twin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from .errors import StepTimedOut, WorkflowTimeout

if TYPE_CHECKING:
    from .core import Deadline

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
