"""A workflow that uses another: the inputs passed on, its outputs as JSON has them,
the failure of the step that called it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .errors import StepFailed, WorkflowError, _criteria_reason


def require_input(value: Any, name: str, workflow: str) -> Any:
    """An input another workflow requires, passed on from an optional one of the caller."""
    if value is None:
        raise WorkflowError(
            f"workflow {workflow!r} needs input {name!r}, which was not given"
        )
    return value


def json_form(value: Any) -> Any:
    """A parsed output value (a datetime, a model) as JSON has it: what a step output holds."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _json_form_adapter()(value, mode="json")


@functools.lru_cache(maxsize=1)
def _json_form_adapter() -> Callable[..., Any]:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(Any)
    return adapter.dump_python


def criteria_failed(
    step_id: str,
    workflow_id: str,
    *,
    reason: str | None = None,
    criterion: str | None = None,
    retries: int = 0,
    retry_limit: int | None = None,
) -> StepFailed:
    """The error of a step that calls a workflow whose outputs failed the success criteria."""
    return StepFailed(
        step_id,
        method="CALL",
        url=f"workflow {workflow_id}",
        status_code=None,
        reason=_criteria_reason(reason, criterion),
        criterion=criterion,
        retries=retries,
        retry_limit=retry_limit,
    )
