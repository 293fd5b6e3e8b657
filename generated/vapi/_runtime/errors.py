"""The errors a workflow raises (WorkflowError, StepFailed, StepTimedOut,
WorkflowTimeout, InvalidInput) and Outputs, the base of every Outputs model."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from .redact import (
    _REDACTED,
    _SECRET_WORDS,
    _decoded,
    _error_model,
    _excerpt,
    _scrub,
    _scrub_escaped,
    logger,
    redact_url,
)

#: Where :func:`send` leaves the run's retry count on a response, for StepFailed.from_response.
_RETRIES_KEY = "arazzo_codegen.transport_retries"


class WorkflowError(Exception):
    """Base class of every error a generated workflow raises."""

    #: How many requests the run re-sent after transport errors or 502/503/504.
    transport_retries: int = 0


class StepFailed(WorkflowError):
    """A step's request failed, or its response did not meet the success criteria.

    :attr:`criterion` is the condition of the first success criterion that did not
    hold (as the spec writes it; None when the request itself failed or the step has
    no criteria), :attr:`retries` how many times the step's retry actions ran it
    again, out of at most :attr:`retry_limit` (None when it has no retry action).
    """

    def __init__(
        self,
        step_id: str,
        *,
        method: str,
        url: str,
        status_code: int | None,
        reason: str,
        error: BaseModel | None = None,
        body: str = "",
        transport_retries: int = 0,
        criterion: str | None = None,
        retries: int = 0,
        retry_limit: int | None = None,
    ) -> None:
        self.step_id = step_id
        self.method = method
        self.url = url
        self.status_code = status_code
        self.reason = reason
        self.error = error
        self.body = body
        self.transport_retries = transport_retries
        self.criterion = criterion
        self.retries = retries
        self.retry_limit = retry_limit
        status = f" with HTTP {status_code}" if status_code is not None else ""
        message = f"step {step_id!r} failed{status}: {reason}{_retries_text(retries, retry_limit)} ({method} {url})"
        if transport_retries:
            message += f" after {transport_retries} transport retr{'y' if transport_retries == 1 else 'ies'}"
        if body:
            message += f"; body: {body}"
        super().__init__(message)

    @classmethod
    def from_response(
        cls,
        step_id: str,
        response: httpx.Response,
        *,
        reason: str | None = None,
        error_models: Mapping[str, str] | None = None,
        secrets: Sequence[object] = (),
        criterion: str | None = None,
        retries: int = 0,
        retry_limit: int | None = None,
    ) -> StepFailed:
        """The error for ``response``: URL and body without secrets, body cut to MAX_BODY_CHARS."""
        request = response.request
        raw = _decoded(response)
        text = _scrub(raw, secrets)
        return cls(
            step_id,
            method=request.method,
            url=redact_url(str(request.url), secrets),
            status_code=response.status_code,
            reason=_criteria_reason(reason, criterion),
            error=_error_model(raw, response.status_code, error_models or {}, secrets),
            body=_excerpt(_scrub_escaped(text, secrets)),
            transport_retries=response.extensions.get(_RETRIES_KEY, 0),
            criterion=criterion,
            retries=retries,
            retry_limit=retry_limit,
        )

    def __repr__(self) -> str:
        return f"StepFailed(step_id={self.step_id!r}, status_code={self.status_code!r}, reason={self.reason!r}, criterion={self.criterion!r}, retries={self.retries!r}, transport_retries={self.transport_retries!r})"


def _criteria_reason(reason: str | None, criterion: str | None) -> str:
    """Why a step failed: ``reason`` (a failure action's) and the criterion that did not hold."""
    failed = (
        f"successCriteria {criterion} not met"
        if criterion is not None
        else "the success criteria were not met"
    )
    if reason is None:
        return failed
    return f"{reason} ({failed})" if criterion is not None else reason


def _retries_text(retries: int, retry_limit: int | None) -> str:
    """`` after 3 retries`` when the step's retry actions ran it again (``of at most N`` when some were left)."""
    if not retries:
        return ""
    text = f" after {retries} retr{'y' if retries == 1 else 'ies'}"
    if retry_limit is not None and retries < retry_limit:
        text += f" (of at most {retry_limit})"
    return text


class StepTimedOut(StepFailed):
    """A step's own ``timeout`` (Arazzo 1.1, in milliseconds) ran out: its exchange was
    aborted, never re-sent, and the step failed, so that its ``onFailure`` actions apply
    (there is no response: :attr:`status_code` is None).  Distinct from WorkflowTimeout,
    the run's overall deadline."""

    def __init__(
        self,
        step_id: str,
        *,
        method: str,
        url: str,
        timeout_ms: int,
        reason: str | None = None,
        transport_retries: int = 0,
        retries: int = 0,
        retry_limit: int | None = None,
    ) -> None:
        #: The step's timeout, in milliseconds, as the Arazzo document gives it.
        self.timeout_ms = timeout_ms
        why = f"its {timeout_ms} ms timeout passed"
        super().__init__(
            step_id,
            method=method,
            url=url,
            status_code=None,
            reason=why if reason is None else f"{reason} ({why})",
            transport_retries=transport_retries,
            retries=retries,
            retry_limit=retry_limit,
        )


def timed_out(
    error: StepTimedOut,
    *,
    reason: str | None = None,
    retries: int = 0,
    retry_limit: int | None = None,
) -> StepTimedOut:
    """``error`` as the step's final failure: with the failure action that ended the
    workflow (``reason``) and how often the step's retry actions ran it again."""
    return StepTimedOut(
        error.step_id,
        method=error.method,
        url=error.url,
        timeout_ms=error.timeout_ms,
        reason=reason,
        transport_retries=error.transport_retries,
        retries=retries,
        retry_limit=retry_limit,
    )


class WorkflowTimeout(WorkflowError):
    """The workflow's deadline (the ``timeout`` option) passed, or a loop hit MAX_ITERATIONS."""

    def __init__(
        self,
        step_id: str,
        message: str,
        *,
        transport_retries: int = 0,
        loop_limit: bool = False,
    ) -> None:
        self.step_id = step_id
        self.transport_retries = transport_retries
        #: True when a loop hit MAX_ITERATIONS, False when time ran out.
        self.loop_limit = loop_limit
        super().__init__(f"step {step_id!r}: {message}")


class InvalidInput(WorkflowError, ValueError):
    """Inputs the workflow's inputs schema rejects; raised before any request is sent.

    :attr:`problems` holds (input name as in the spec, Python argument name, what is
    wrong) for each rejected input; no message quotes an input's value.
    """

    def __init__(self, problems: Sequence[tuple[str, str, str]]) -> None:
        self.problems = tuple(problems)
        self.input_name, self.argument = (
            self.problems[0][:2] if self.problems else ("", "")
        )
        super().__init__(
            "; ".join(
                f"input {name!r} (argument {argument}) {problem}"
                for name, argument, problem in self.problems
            )
        )


class Outputs(BaseModel):
    """Base of the generated Outputs models.

    Validation is lenient: a value the API sends that the description does not
    list (a new enum member, say) is kept as sent, with a warning in the log,
    instead of failing a workflow that has already done its work.  The repr
    hides the values of outputs whose names look like credentials.

    :attr:`model_transport_retries` is how many times the run retried an
    idempotent request after a transport error or a 502/503/504 (output names
    never start with ``model_``, so it cannot clash with an output).
    """

    model_config = ConfigDict(
        populate_by_name=True, frozen=True, extra="forbid", defer_build=True
    )
    _transport_retries: int = PrivateAttr(default=0)

    @model_validator(mode="wrap")
    @classmethod
    def _lenient(
        cls, data: Any, handler: Callable[[Any], Any], info: ValidationInfo
    ) -> Any:
        try:
            result = handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            logger.warning(
                "%s: keeping values the description does not allow: %s",
                cls.__name__,
                exc.errors(include_url=False, include_input=False),
            )
            by_name = {
                field.alias or name: name for name, field in cls.model_fields.items()
            }
            result = cls.model_construct(
                **{str(by_name.get(key, key)): value for key, value in data.items()}
            )
        if isinstance(result, Outputs) and isinstance(info.context, Mapping):
            result._transport_retries = int(info.context.get("transport_retries", 0))
        return result

    @property
    def model_transport_retries(self) -> int:
        """Transport retries of idempotent requests during the run that returned these outputs."""
        return self._transport_retries

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            hidden = (
                name is not None and value is not None and _SECRET_WORDS.search(name)
            )
            yield name, _REDACTED if hidden else value
