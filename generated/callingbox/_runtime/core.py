"""The core of the runtime the generated workflow functions share: errors, clients,
deadlines, sending requests, and keeping credentials out of messages and logs.

Part of arazzo-codegen's runtime (``arazzo_codegen.runtime``), copied byte for byte
into each generated package as ``_runtime/core.py``: do not edit the copy, regenerate.
Needs only httpx and pydantic.

Safety rules this module implements (see :func:`send`, :class:`StepFailed`):

- a POST or PATCH reaches the server at most once (it is sent again only when
  the connection could not even be opened, or when it carries an idempotency key
  that is the same on every attempt); idempotent requests are retried a few
  times, with backoff inside the deadline, on transport errors and on
  429/502/503/504, and every retry is logged and counted (``transport_retries``);
- no Retry-After is waited for beyond TRANSPORT_MAX_DELAY (transport retries) or
  RETRY_AFTER_MAX (a workflow's retry actions, which fail the step beyond it);
- no error message, repr or log record shows a credential, and error messages
  quote at most MAX_BODY_CHARS of a response body.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import functools
import importlib
import json
import logging
import math
import random
import re
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from .aionet import _owned_async_client
from .observe import (
    Event,
    _no_sniffio,
    _observe_request,
    _observed,
    _Observer,
    _observer,
    _ssl_context,
)
from .wire import _request_problem

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_ITERATIONS",
    "MAX_RESPONSE_BYTES",
    "RETRY_AFTER_MAX",
    "TRANSPORT_BACKOFF",
    "TRANSPORT_MAX_DELAY",
    "TRANSPORT_RETRIES",
    "_SECRET_WORDS",
    "Deadline",
    "IdempotencyKeys",
    "InvalidInput",
    "Outputs",
    "StepFailed",
    "StepTimedOut",
    "WorkflowError",
    "WorkflowTimeout",
    "asend",
    "asend_within",
    "async_client",
    "client_servers",
    "decided",
    "interval",
    "logger",
    "poll_delay",
    "redact_url",
    "request_options",
    "retry_after",
    "retry_delay",
    "send",
    "send_within",
    "servers",
    "sync_client",
    "timed_out",
]


#: The generated package this module belongs to (it is ``<package>._runtime.core``).
_PACKAGE = __name__.rsplit(".", 2)[0]

logger = logging.getLogger(_PACKAGE)

#: Most loop iterations (polls, retries, state transitions) one workflow run may take,
#: whatever the timeout: no generated loop is unbounded.
MAX_ITERATIONS = 10_000
#: Most characters of a response body kept in an error message.
MAX_BODY_CHARS = 2048
#: Default of the ``max_response_bytes`` option: most bytes of one decoded response body.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Retries of one request after a transport error or a 502/503/504, the first backoff
#: in seconds (doubled at each retry, with jitter), and the longest wait for a retry.
TRANSPORT_RETRIES = 3
TRANSPORT_BACKOFF = 0.5
TRANSPORT_MAX_DELAY = 30.0
#: Longest Retry-After a workflow's ``retry`` action waits for: a longer one (31 years,
#: a far HTTP date) fails the step at once with StepFailed rather than sleeping.
RETRY_AFTER_MAX = 300.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
#: Statuses after which an idempotent (or idempotency-keyed) request is sent again.
_RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
#: Failures that leave the request unsent (no connection was made): retried whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Failures after which the server may have acted on the request: retried only when idempotent.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
#: Plain words for transport failures; an httpx message is never shown (it may quote headers).
_FAILURES: tuple[tuple[type[Exception], str], ...] = (
    (httpx.TimeoutException, "no answer within the timeout"),
    (httpx.ConnectError, "could not connect"),
    (
        httpx.RemoteProtocolError,
        "the server closed the connection without a valid response",
    ),
    (httpx.NetworkError, "the connection failed"),
    (httpx.DecodingError, "the response body could not be decoded"),
    (httpx.TooManyRedirects, "too many redirects"),
)
_SECRET_WORDS = re.compile(
    r"token|key|secret|passw|pwd|auth|credential|signature|^sig$|session", re.IGNORECASE
)
#: Shorter secret values are not searched for in bodies (they would match everywhere).
_MIN_SECRET_CHARS = 4
_REDACTED = "[REDACTED]"
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


# -- servers, clients and deadlines --------------------------------------------------


def servers(
    defaults: Mapping[str, str], overrides: Mapping[str, str] | None
) -> dict[str, str]:
    merged = dict(defaults)
    for name, url in (overrides or {}).items():
        if name not in merged:
            raise ValueError(
                f"unknown server {name!r}; known: {', '.join(sorted(merged))}"
            )
        merged[name] = url.rstrip("/")
    return merged


def client_servers(
    defaults: Mapping[str, str],
    overrides: Mapping[str, str] | None,
    client: httpx.Client | httpx.AsyncClient | None,
    used: Sequence[str],
) -> dict[str, str]:
    """The base URL of each source: ``servers=`` wins; else the caller's client's
    ``base_url``, when it has one, for the sources ``used`` (the workflow's, its
    callees' too) that ``servers=`` does not name, provided they share one default
    URL; several defaults make it ambiguous: ValueError, before any request."""
    merged = servers(defaults, overrides)
    base_url = str(client.base_url).rstrip("/") if client is not None else ""
    left = [name for name in used if name not in (overrides or {})]
    if not base_url or not left:
        return merged
    hosts = sorted({defaults[name] for name in left})
    if len(hosts) > 1:
        raise ValueError(
            f"the client's base_url {redact_url(base_url)!r} is ambiguous: the workflow calls {', '.join(map(repr, left))}, whose servers differ ({', '.join(hosts)}); pass servers= with the base URL of each (servers= always wins over base_url)"
        )
    for name in left:
        merged[name] = base_url
    return merged


@contextlib.contextmanager
def sync_client(
    client: httpx.Client | None, deadline: Deadline | None = None
) -> Iterator[httpx.Client]:
    """The caller's client (left open), or a new one closed on exit, also on errors;
    a new client shares the process's one TLS context, nothing else.  With ``deadline``,
    the run is observed (its span or events) from here to the exit."""
    observer = deadline.watch() if deadline is not None else None
    try:
        if client is not None:
            yield client
        else:
            with httpx.Client(verify=_ssl_context()) as owned:
                yield owned
    except BaseException as exc:
        if observer is not None:
            observer.end(exc)
        raise
    if observer is not None:
        observer.end(None)


@contextlib.asynccontextmanager
async def async_client(
    client: httpx.AsyncClient | None, deadline: Deadline | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The caller's client (left open), or a new one closed on exit, also on cancellation;
    a new client shares the process's one TLS context, nothing else, and runs on
    :func:`asyncio_transport` under asyncio when no proxy is configured."""
    _no_sniffio()
    observer = deadline.watch() if deadline is not None else None
    try:
        if client is not None:
            yield client
        else:
            async with _owned_async_client() as owned:
                yield owned
    except BaseException as exc:
        if observer is not None:
            observer.end(exc)
        raise
    if observer is not None:
        observer.end(None)


class Deadline:
    """The overall deadline of one run, its response size limit, and its counters.

    Time slept through the injected ``sleep`` counts as elapsed even when that
    function returns at once, so tests exercise timeouts without waiting.
    """

    def __init__(
        self,
        timeout: float | None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        on_event: Callable[[Event], None] | None = None,
        workflow_id: str = "",
    ) -> None:
        self.timeout = timeout
        #: Most bytes of one decoded response body (the ``max_response_bytes`` option).
        self.max_response_bytes = max_response_bytes
        self._watch = (workflow_id, on_event)
        #: The run's spans and events (see :func:`sync_client`), None when unobserved.
        self.observer: _Observer | None = None
        self._start = time.monotonic()
        self._credit = 0.0
        self.iterations = 0
        #: Requests re-sent after transport errors or 502/503/504 during the run.
        self.transport_retries = 0
        #: The step timeout in force (see :meth:`step_timeout`): (step id, ms, method, URL, end on the elapsed clock).
        self._step: tuple[str, int, str, str, float] | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self._start + self._credit

    def watch(self) -> _Observer | None:
        """Start observing the run: its span (when OpenTelemetry records) and events."""
        self.observer = _observer(*self._watch)
        if self.observer is not None:
            self.observer.start()
        return self.observer

    def remaining(self) -> float | None:
        """Seconds left: of the overall timeout, or of the running step's own timeout when that ends first."""
        overall = None if self.timeout is None else self.timeout - self.elapsed()
        if self._step is None:
            return overall
        step = self._step[4] - self.elapsed()
        return step if overall is None else min(overall, step)

    @contextlib.contextmanager
    def step_timeout(
        self, step_id: str, timeout_ms: int, method: str, url: str
    ) -> Iterator[None]:
        """Bound what runs inside (one execution of a step: its request and transport
        retries) by the step's own timeout as well; whichever ends first wins."""
        self._step = (
            step_id,
            timeout_ms,
            method,
            url,
            self.elapsed() + timeout_ms / 1000,
        )
        try:
            yield
        finally:
            self._step = None

    def passed(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def expired(self, step_id: str, when: str = "") -> WorkflowError:
        """The error for time run out: StepTimedOut when the step's own timeout ended
        first (or alone), else WorkflowTimeout."""
        step = self._step
        if step is not None and (self.timeout is None or step[4] <= self.timeout):
            return StepTimedOut(
                step[0],
                method=step[2],
                url=step[3],
                timeout_ms=step[1],
                transport_retries=self.transport_retries,
            )
        return WorkflowTimeout(
            step_id,
            f"the {self.timeout:g} s timeout passed{when}",
            transport_retries=self.transport_retries,
        )

    def tick(self, step_id: str) -> None:
        """Count one loop iteration; a run never takes more than MAX_ITERATIONS."""
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise WorkflowTimeout(
                step_id,
                f"more than {MAX_ITERATIONS} loop iterations",
                transport_retries=self.transport_retries,
                loop_limit=True,
            )

    def _plan_sleep(self, step_id: str, seconds: float) -> float:
        self.tick(step_id)
        seconds = max(0.0, seconds)
        left = self.remaining()
        if left is not None and seconds >= left:
            raise self.expired(step_id, f" before the next attempt (in {seconds:g} s)")
        if self.observer is not None:
            self.observer.slept(step_id, seconds)
        return seconds

    def sleep(
        self, sleep: Callable[[float], None], seconds: float, *, step: str
    ) -> None:
        seconds = self._plan_sleep(step, seconds)
        before = time.monotonic()
        sleep(seconds)
        self._credit += max(0.0, seconds - (time.monotonic() - before))

    async def asleep(
        self, sleep: Callable[[float], Awaitable[None]], seconds: float, *, step: str
    ) -> None:
        seconds = self._plan_sleep(step, seconds)
        before = time.monotonic()
        await sleep(seconds)
        self._credit += max(0.0, seconds - (time.monotonic() - before))


def interval(poll_interval: float | None, default: float) -> float:
    return default if poll_interval is None else poll_interval


def retry_after(response: httpx.Response, default: float) -> float:
    """The Retry-After header (seconds or HTTP date) when present, else ``default``."""
    value = response.headers.get("retry-after")
    if value is None:
        return default
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return default
        seconds = when.timestamp() - time.time()
    if math.isnan(seconds) or math.isinf(seconds):
        return default
    return max(0.0, seconds)


def decided(step_id: str, kind: str, action: str, what: str) -> None:
    """Log at DEBUG the action the workflow takes: ``kind`` onSuccess or onFailure,
    ``action`` its name in the spec, ``what`` it does (spec text passes as arguments only).
    """
    logger.debug("%s: %s action %r: %s", step_id, kind, action, what)


def poll_delay(step_id: str, poll_interval: float | None, default: float) -> float:
    """The wait before a goto back to an earlier (or the same) step, logged with its reason."""
    seconds = interval(poll_interval, default)
    logger.debug(
        "%s: next attempt in %g s (%s)",
        step_id,
        seconds,
        (
            "the poll_interval option"
            if poll_interval is not None
            else "the default poll interval"
        ),
    )
    return seconds


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
    header = (
        retry_after(response, -1.0) if response is not None else -1.0
    )  # -1: no usable header
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


class IdempotencyKeys:
    """The Idempotency-Key of each step of one run: ``{base}:{workflow}:{step}`` (then
    ``:2``, ``:3``... when the step runs again after a goto), the same on every transport
    retry and every ``retry`` action of that execution, so the server acts at most once.
    ``base`` is the caller's ``idempotency_key`` (deterministic keys, e.g. for replays),
    else a fresh uuid4 per run."""

    def __init__(self, base: str | None, workflow_id: str) -> None:
        if base is not None and (
            not isinstance(base, str)
            or not base
            or not all(" " <= c <= "~" for c in base)
        ):
            raise InvalidInput(
                [
                    (
                        "idempotency_key",
                        "idempotency_key",
                        "must be a non-empty string of printable ASCII",
                    )
                ]
            )
        self.base = f"{uuid.uuid4().hex if base is None else base}:{quote(workflow_id, safe='')}"
        self._runs: dict[str, int] = {}
        self._retrying: set[str] = set()
        self._children = 0

    def key(self, step_id: str) -> str:
        """The key of this execution of ``step_id``: a new one unless a retry action re-runs it."""
        if step_id in self._retrying:
            self._retrying.discard(step_id)
        else:
            self._runs[step_id] = self._runs.get(step_id, 0) + 1
        count = self._runs.setdefault(step_id, 1)
        return f"{self.base}:{quote(step_id, safe='')}" + (
            f":{count}" if count > 1 else ""
        )

    def retrying(self, step_id: str) -> None:
        """A retry action runs ``step_id`` again: its next request keeps the same key."""
        self._retrying.add(step_id)

    def child(self) -> str:
        """The base for a workflow this run calls: distinct for each call, deterministic."""
        self._children += 1
        return f"{self.base}:{self._children}"


# -- requests ------------------------------------------------------------------------


def send(
    http: httpx.Client,
    deadline: Deadline,
    sleep: Callable[[float], None],
    step_id: str,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
    cookies: Mapping[str, Any] | None = None,
    documented: Collection[int] = (),
    secrets: Sequence[object] = (),
    idempotent: bool = False,
    **body: Any,
) -> httpx.Response:
    """Send one request and return its response, whatever its status.

    A POST or PATCH is sent once: again only when no connection could be made, or
    when ``idempotent`` says it carries an idempotency key that is the same on every
    attempt.  An idempotent request is sent again after a transport error or a 429/502/503/504
    (unless ``documented``, the statuses the description gives a meaning), at most
    TRANSPORT_RETRIES times, after a backoff (or Retry-After) that must fit in the
    deadline.  Raises StepFailed when the request fails for good, WorkflowTimeout
    when the deadline passes; both are raised outside any ``except`` block, so no
    httpx exception (which holds the request and its headers) is chained to them.
    """
    exchange = _Exchange(
        deadline,
        step_id,
        method,
        url,
        params,
        documented,
        secrets,
        idempotent=idempotent,
    )
    observer = deadline.observer  # what _observe_request and _observed do, inline
    if observer is not None:
        observer.request_started(step_id, exchange)
    options = request_options(
        step_id, method, url, params, headers, cookies, body, secrets
    )
    _hide_in_logs(secrets)
    while True:  # bounded: _Exchange.judge allows at most TRANSPORT_RETRIES retries
        outcome = _perform(http, exchange, method, url, options, secrets)
        verdict = exchange.judge(outcome)
        if isinstance(verdict, httpx.Response):
            if observer is not None:
                observer.request_ended(verdict)
            return verdict
        deadline.sleep(sleep, verdict, step=step_id)


async def asend(
    http: httpx.AsyncClient,
    deadline: Deadline,
    sleep: Callable[[float], Awaitable[None]],
    step_id: str,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
    cookies: Mapping[str, Any] | None = None,
    documented: Collection[int] = (),
    secrets: Sequence[object] = (),
    idempotent: bool = False,
    **body: Any,
) -> httpx.Response:
    """The async twin of :func:`send`; cancelling it cancels the request in flight."""
    exchange = _Exchange(
        deadline,
        step_id,
        method,
        url,
        params,
        documented,
        secrets,
        idempotent=idempotent,
    )
    _observe_request(deadline, step_id, exchange)
    options = request_options(
        step_id, method, url, params, headers, cookies, body, secrets
    )
    _hide_in_logs(secrets)
    while True:  # bounded: _Exchange.judge allows at most TRANSPORT_RETRIES retries
        outcome = await _aperform(http, exchange, method, url, options, secrets)
        verdict = exchange.judge(outcome)
        if isinstance(verdict, httpx.Response):
            return _observed(deadline, verdict)
        await deadline.asleep(sleep, verdict, step=step_id)


def send_within(
    http: httpx.Client,
    deadline: Deadline,
    sleep: Callable[[float], None],
    step_id: str,
    method: str,
    url: str,
    *,
    timeout_ms: int,
    params: Mapping[str, Any] | None = None,
    secrets: Sequence[object] = (),
    **options: Any,
) -> httpx.Response | StepTimedOut:
    """:func:`send` for a step with its own ``timeout`` (Arazzo 1.1, milliseconds): the
    exchange, transport retries included, is aborted when it runs out (the socket is
    shut down; nothing is sent again) and the StepTimedOut is returned, not raised, so
    that the step's onFailure actions apply.  The overall deadline still bounds it
    (WorkflowTimeout, raised, when that ends first)."""
    with deadline.step_timeout(
        step_id, timeout_ms, method, _request_url(url, params, secrets)
    ):
        try:
            return send(
                http,
                deadline,
                sleep,
                step_id,
                method,
                url,
                params=params,
                secrets=secrets,
                **options,
            )
        except StepTimedOut as error:
            return _timed_out_observed(deadline, error)


async def asend_within(
    http: httpx.AsyncClient,
    deadline: Deadline,
    sleep: Callable[[float], Awaitable[None]],
    step_id: str,
    method: str,
    url: str,
    *,
    timeout_ms: int,
    params: Mapping[str, Any] | None = None,
    secrets: Sequence[object] = (),
    **options: Any,
) -> httpx.Response | StepTimedOut:
    """The async twin of :func:`send_within` (``asyncio.timeout`` aborts the exchange)."""
    with deadline.step_timeout(
        step_id, timeout_ms, method, _request_url(url, params, secrets)
    ):
        try:
            return await asend(
                http,
                deadline,
                sleep,
                step_id,
                method,
                url,
                params=params,
                secrets=secrets,
                **options,
            )
        except StepTimedOut as error:
            return _timed_out_observed(deadline, error)


def _timed_out_observed(deadline: Deadline, error: StepTimedOut) -> StepTimedOut:
    """End the aborted request's span and event (error.type StepTimedOut) before onFailure runs."""
    if deadline.observer is not None:
        deadline.observer._end_request("error", {"error.type": "StepTimedOut"})
    return error


def _request_url(
    url: str, params: Mapping[str, Any] | None, secrets: Sequence[object]
) -> str:
    """The request URL with its query, without credentials (as error messages show it)."""
    return redact_url(
        str(httpx.URL(url).copy_merge_params(_clean(params) or {})), secrets
    )


# -- one exchange: the deadline and the size of the body ---------------------------


def _perform(
    http: httpx.Client,
    exchange: _Exchange,
    method: str,
    url: str,
    options: Mapping[str, Any],
    secrets: Sequence[object],
) -> httpx.Response | httpx.RequestError:
    """One request, its body read within the run's ``max_response_bytes`` and deadline.

    The deadline is wall-clock for the whole exchange: :data:`_WATCHDOG` shuts the
    connection's socket down when it passes, so a server that drips its headers or
    body, or sends ``102 Processing`` without end, cannot hold the run past it.
    """
    left = exchange.deadline.remaining()
    watch = (
        _Watch(left) if left is not None else _UNWATCHED
    )  # no deadline: nothing to watch
    failure: httpx.RequestError | None = None
    try:
        # What ``http.stream()`` does, without its generator-based context manager; without
        # a deadline the client's own timeouts apply as they are (no copy of them is made).
        timeout = (
            exchange.timeout(http) if left is not None else httpx.USE_CLIENT_DEFAULT
        )
        arguments = dict(options)
        del arguments[
            "follow_redirects"
        ]  # send()'s, not build_request()'s: never followed
        request = http.build_request(
            method, url, timeout=timeout, extensions=watch.extensions, **arguments
        )
        response = http.send(request, follow_redirects=False, stream=True)
        try:
            body = _Body(exchange, response, secrets)
            raw = body.raw
            for chunk in response.iter_raw() if raw else response.iter_bytes():
                body.feed(chunk)
            body.finish()
        finally:
            response.close()
    except httpx.RequestError as exc:
        failure = exc
    finally:
        if watch is not _UNWATCHED:
            watch.stop()
    if watch.fired or (failure is not None and exchange.deadline.passed()):
        raise exchange.deadline.expired(exchange.step_id, f" during {exchange.where}")
    return failure if failure is not None else response


async def _aperform(
    http: httpx.AsyncClient,
    exchange: _Exchange,
    method: str,
    url: str,
    options: Mapping[str, Any],
    secrets: Sequence[object],
) -> httpx.Response | httpx.RequestError:
    """The async twin of :func:`_perform`: ``asyncio.timeout`` bounds the whole exchange."""
    timeout = exchange.timeout(http)
    failure: httpx.RequestError | None = None
    expired = False
    left = exchange.deadline.remaining()
    try:
        async with (
            asyncio.timeout(left) if left is not None else _NO_TIMEOUT,
            http.stream(method, url, timeout=timeout, **options) as response,
        ):
            body = _Body(exchange, response, secrets)
            raw = body.raw
            async for chunk in response.aiter_raw() if raw else response.aiter_bytes():
                body.feed(chunk)
            body.finish()
    except httpx.RequestError as exc:
        failure = exc
    except TimeoutError:
        expired = True
    if expired or (failure is not None and exchange.deadline.passed()):
        raise exchange.deadline.expired(exchange.step_id, f" during {exchange.where}")
    return failure if failure is not None else response


#: Content-Encodings whose decoding :class:`_Body` bounds itself (others are left to httpx).
_INFLATE = {
    "gzip": zlib.MAX_WBITS | 16,
    "x-gzip": zlib.MAX_WBITS | 16,
    "deflate": zlib.MAX_WBITS,
}


class _Body:
    """The body of one response, decoded as it arrives and kept only up to the limit.

    At most one Content-Encoding layer is accepted (``gzip, gzip`` is a bomb, not a
    format); gzip and deflate are inflated here with ``max_length``, so a small
    compressed body never expands in memory beyond the limit.  Over the limit, or
    past the deadline, reading stops (the connection is closed, not reused).
    """

    def __init__(
        self, exchange: _Exchange, response: httpx.Response, secrets: Sequence[object]
    ) -> None:
        self.exchange = exchange
        self.response = response
        self.secrets = secrets
        self.limit = exchange.deadline.max_response_bytes
        self.parts: list[bytes] = []
        self.size = 0
        layers = (
            [
                word.strip().lower()
                for word in response.headers.get_list(
                    "content-encoding", split_commas=True
                )
            ]
            if "content-encoding" in response.headers
            else []
        )
        layers = [word for word in layers if word and word != "identity"]
        if len(layers) > 1:
            self.fail(
                f"the response has {len(layers)} Content-Encoding layers; at most one is accepted"
            )
        # A caller's response hook may have read the body already: then it is decoded.
        wbits = (
            _INFLATE.get(layers[0])
            if layers and not response.is_stream_consumed
            else None
        )
        self.inflate = zlib.decompressobj(wbits) if wbits is not None else None
        self.deflate = bool(layers) and layers[0] == "deflate"
        #: Read the raw bytes (and inflate them here) unless httpx must decode another encoding.
        self.raw = (not layers or wbits is not None) and not response.is_stream_consumed

    def feed(self, chunk: bytes) -> None:
        if self.exchange.deadline.passed():
            raise self.exchange.deadline.expired(
                self.exchange.step_id, f" during {self.exchange.where}"
            )
        if self.inflate is None:
            self.keep(chunk)
            return
        while (
            chunk and not self.inflate.eof
        ):  # bounded: each pass keeps output or consumes input
            try:
                out = self.inflate.decompress(chunk, self.limit - self.size + 1)
            except zlib.error:
                out = self.retry_raw_deflate(chunk)
            chunk = self.inflate.unconsumed_tail
            self.keep(out)

    def retry_raw_deflate(self, chunk: bytes) -> bytes:
        """``deflate`` without its zlib header (some servers send it so), as httpx accepts it."""
        if not self.deflate or self.size:
            raise httpx.DecodingError(
                "invalid compressed data", request=self.response.request
            )
        self.deflate = False
        self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self.inflate.decompress(chunk, self.limit + 1)
        except zlib.error:
            raise httpx.DecodingError(
                "invalid compressed data", request=self.response.request
            ) from None

    def keep(self, data: bytes) -> None:
        if not data:
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size > self.limit:
            self.fail(
                f"the response body is larger than max_response_bytes ({self.limit} bytes); reading stopped there"
            )

    def finish(self) -> None:
        """Give the response its content (``response.content``, ``.json()`` work as usual)."""
        self.response._content = b"".join(self.parts)
        self.parts = []

    def fail(self, reason: str) -> None:
        """StepFailed with the status and an excerpt of what was read (never the whole body)."""
        prefix = b"".join(self.parts)[: MAX_BODY_CHARS * 4]
        self.parts = []
        text = _scrub(
            prefix.decode(self.response.encoding or "utf-8", errors="replace"),
            self.secrets,
        )
        exchange = self.exchange
        raise StepFailed(
            exchange.step_id,
            method=exchange.method,
            url=exchange.url,
            status_code=self.response.status_code,
            reason=reason,
            body=_excerpt(text),
            transport_retries=exchange.deadline.transport_retries,
        )


class _Watch:
    """The sockets of one sync exchange, shut down by :data:`_WATCHDOG` at the deadline.

    httpcore's ``trace`` extension reports the network stream of a new connection
    (``connection.connect_tcp.complete``); a pooled connection is found when its
    request headers are sent.  Shutting the socket down ends any blocked read, which
    is what a read timeout cannot do against a server that sends a byte now and then.
    """

    def __init__(self, left: float | None) -> None:
        self.fired = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.extensions: dict[str, Any] = {}
        self.when: float | None = None
        if left is not None:
            self.when = time.monotonic() + max(0.0, left)
            self.extensions["trace"] = self.trace
            _WATCHDOG.add(self)

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in (
            "connection.connect_tcp.complete",
            "connection.start_tls.complete",
        ):
            self.add(info.get("return_value"))
        elif event.endswith(".send_request_headers.started"):
            self.add(_connection_stream())

    def add(self, stream: object) -> None:
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if callable(get_extra_info) else None
        if not isinstance(sock, socket.socket):
            return
        with self.lock:
            self.sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def expire(self) -> None:
        with self.lock:
            self.fired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)

    def stop(self) -> None:
        if self.when is not None:
            _WATCHDOG.remove(self)
        with self.lock:
            self.sockets = []


def _connection_stream() -> object:
    """The network stream of the httpcore connection sending the current request: the
    ``self`` of a caller frame (the trace callback runs inside ``handle_request``)."""
    frame: Any = sys._getframe(2)
    for _ in range(4):  # bounded: Trace.trace, Trace.__enter__, then the connection
        if frame is None:
            return None
        stream = getattr(frame.f_locals.get("self"), "_network_stream", None)
        if stream is not None:
            return stream
        frame = frame.f_back
    return None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for the whole process, expiring the :class:`_Watch` es whose time is up."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.watches: dict[int, _Watch] = {}
        self.thread: threading.Thread | None = None
        #: When the thread wakes up next (it is woken earlier only for an earlier deadline).
        self.wakes = math.inf

    def add(self, watch: _Watch) -> None:
        with self.cond:
            self.watches[id(watch)] = watch
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self.run, name="arazzo-codegen-deadlines", daemon=True
                )
                self.thread.start()
            if watch.when is not None and watch.when < self.wakes:
                self.cond.notify()

    def remove(self, watch: _Watch) -> None:
        with self.cond:
            self.watches.pop(id(watch), None)

    def run(self) -> None:
        while (
            True
        ):  # a daemon thread: waits for the next deadline, for the life of the process
            with self.cond:
                now = time.monotonic()
                due = [
                    watch
                    for watch in self.watches.values()
                    if watch.when is not None and watch.when <= now
                ]
                for watch in due:
                    del self.watches[id(watch)]
                if not due:
                    self.wakes = min(
                        (
                            watch.when
                            for watch in self.watches.values()
                            if watch.when is not None
                        ),
                        default=math.inf,
                    )
                    self.cond.wait(None if self.wakes == math.inf else self.wakes - now)
                    self.wakes = -math.inf  # awake: the next add need not notify
            for watch in due:
                watch.expire()


_WATCHDOG = _Watchdog()
#: The watch of an exchange without a deadline (never registered, never fired, no sockets).
_UNWATCHED = _Watch(None)
#: ``async with`` that bounds nothing: an exchange without a deadline.
_NO_TIMEOUT = contextlib.nullcontext()


class _Exchange:
    """The decisions about one request and its retries, shared by send and asend."""

    def __init__(
        self,
        deadline: Deadline,
        step_id: str,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        documented: Collection[int],
        secrets: Sequence[object],
        *,
        idempotent: bool = False,
    ) -> None:
        self.deadline = deadline
        self.step_id = step_id
        self.method = method
        #: A keyed POST (its Idempotency-Key is the same on every attempt) is retried like a GET.
        self.idempotent = idempotent or method.upper() in _IDEMPOTENT
        self.retry_statuses = (
            _RETRYABLE_STATUS.difference(documented)
            if documented
            else _RETRYABLE_STATUS
        )
        self.retries = 0
        self._raw = (url, params, secrets)

    @functools.cached_property
    def url(self) -> str:
        """The request URL without credentials (built only when a message needs it)."""
        return _request_url(*self._raw)

    @functools.cached_property
    def where(self) -> str:
        return f"{self.method} {self.url}"

    def timeout(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Timeout:
        """The client's own timeouts, cut to what is left of the deadline."""
        own = http.timeout
        left = self.deadline.remaining()
        if left is None:
            return own
        if left <= 0:
            raise self.deadline.expired(self.step_id, f" before {self.where}")
        return httpx.Timeout(
            connect=_shorter(own.connect, left),
            read=_shorter(own.read, left),
            write=_shorter(own.write, left),
            pool=_shorter(own.pool, left),
        )

    def judge(
        self, outcome: httpx.Response | httpx.RequestError
    ) -> httpx.Response | float:
        """The final response, or the seconds to wait before the next attempt.

        Raises WorkflowTimeout or StepFailed when the request failed for good.
        """
        if isinstance(outcome, httpx.Response):
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s: %s -> %s", self.step_id, self.where, outcome.status_code
                )
            if self.idempotent and outcome.status_code in self.retry_statuses:
                delay = retry_after(outcome, self._backoff())
                if self._retry(delay, f"HTTP {outcome.status_code}"):
                    return delay
            outcome.extensions[_RETRIES_KEY] = self.deadline.transport_retries
            return outcome
        if isinstance(outcome, httpx.TimeoutException) and self.deadline.passed():
            raise self.deadline.expired(self.step_id, f" during {self.where}")
        problem = _describe(outcome)
        if isinstance(outcome, _NOT_SENT) or (
            self.idempotent and isinstance(outcome, _TRANSIENT)
        ):
            delay = self._backoff()
            if self._retry(delay, problem):
                return delay
        raise StepFailed(
            self.step_id,
            method=self.method,
            url=self.url,
            status_code=None,
            reason=problem,
            transport_retries=self.deadline.transport_retries,
        )

    def _backoff(self) -> float:
        """TRANSPORT_BACKOFF doubled at each retry, +-25 % jitter so that clients spread out."""
        return TRANSPORT_BACKOFF * 2.0**self.retries * (0.75 + random.random() / 2)

    def _retry(self, delay: float, problem: str) -> bool:
        """Count and log one more retry, unless none is left or ``delay`` does not fit in the deadline."""
        left = self.deadline.remaining()
        if (
            self.retries >= TRANSPORT_RETRIES
            or delay > TRANSPORT_MAX_DELAY
            or (left is not None and delay >= left)
        ):
            if self.retries < TRANSPORT_RETRIES and delay > TRANSPORT_MAX_DELAY:
                logger.warning(
                    "%s: %s: %s; not retried: the server asked to wait %.0f s, more than %g s",
                    self.step_id,
                    self.where,
                    problem,
                    delay,
                    TRANSPORT_MAX_DELAY,
                )
            return False
        self.retries += 1
        self.deadline.transport_retries += 1
        logger.warning(
            "%s: %s: %s; retry %d of %d in %.2f s",
            self.step_id,
            self.where,
            problem,
            self.retries,
            TRANSPORT_RETRIES,
            delay,
        )
        return True


def _options(
    params: Mapping[str, Any] | None,
    headers: Mapping[str, Any] | None,
    cookies: Mapping[str, Any] | None,
    body: dict[str, Any],
) -> dict[str, Any]:
    """The request's keyword arguments.  Redirects are never followed, whatever the
    client's ``follow_redirects``: a 3xx is a response like any other (a redirect to
    another origin would carry the body and the credentials there)."""
    return {
        "params": params and _clean(params),
        "headers": headers and _clean(headers),
        "cookies": cookies and _clean(cookies),
        "follow_redirects": False,
        **body,
    }


def _clean(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if mapping is None:
        return None
    return {key: value for key, value in mapping.items() if value is not None}


def _shorter(limit: float | None, left: float) -> float:
    return left if limit is None else min(limit, left)


def _describe(error: httpx.RequestError) -> str:
    for kind, words in _FAILURES:
        if isinstance(error, kind):
            return f"{words} ({type(error).__name__})"
    return f"the request failed ({type(error).__name__})"


# -- secrets and error bodies ---------------------------------------------------------


def redact_url(url: str, secrets: Sequence[object] = ()) -> str:
    """The URL without credentials: no userinfo, and a query value redacted when its
    name looks like a credential (``api_key``, ``token``, ...) or it holds a secret."""
    parts = urlsplit(url)
    pairs = []
    for pair in parts.query.split("&") if parts.query else ():
        name, sep, value = pair.partition("=")
        if sep and (
            _SECRET_WORDS.search(unquote_plus(name))
            or _scrub(unquote(value), secrets) != unquote(value)
        ):
            value = _REDACTED
        pairs.append(f"{name}{sep}{value}")
    netloc = parts.netloc.rpartition("@")[2]
    return _scrub(
        urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment)),
        secrets,
    )


def _scrub(text: str, secrets: Sequence[object]) -> str:
    """``text`` with each secret replaced, as written, percent-encoded, JSON-escaped or
    as Python shows it inside bytes (``b'...'``, as httpcore logs headers)."""
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= _MIN_SECRET_CHARS:
            escaped = json.dumps(secret)[1:-1]
            spellings = (
                secret,
                quote(secret, safe=""),
                quote_plus(secret),
                escaped,
                escaped.replace("/", "\\/"),
                json.dumps(secret, ensure_ascii=False)[1:-1],
                repr(secret.encode("utf-8", "surrogatepass"))[2:-1],
            )
            for spelling in dict.fromkeys(spellings):
                text = text.replace(spelling, _REDACTED)
    return text


def _decoded(response: httpx.Response) -> str:
    try:
        return response.content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        return response.content.decode("utf-8", errors="replace")


def _excerpt(text: str) -> str:
    """The body for a message: whitespace collapsed, at most MAX_BODY_CHARS characters,
    built from a bounded prefix of ``text`` (a huge body costs no more than a small one).
    """
    prefix = text[: MAX_BODY_CHARS * 4]
    head = " ".join(prefix.split())
    more = len(text) - len(prefix)
    if len(head) > MAX_BODY_CHARS or more > 0:
        more += len(head) - min(len(head), MAX_BODY_CHARS)
        head = head[:MAX_BODY_CHARS] + f"... ({more} more characters)"
    return head


def _scrub_escaped(text: str, secrets: Sequence[object]) -> str:
    """``text`` (already scrubbed), with JSON escapes decoded when that shows a secret
    the plain spellings missed (a server may write any character as ``\\uXXXX``)."""
    if not _usable(secrets) or "\\" not in text:
        return text
    decoded = _JSON_ESCAPE.sub(_unescape, text)
    scrubbed = _scrub(decoded, secrets)
    return text if scrubbed == decoded else scrubbed


_JSON_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))",
    re.DOTALL,
)
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(match: re.Match[str]) -> str:
    high, low, code, char = match.groups()
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if code is not None:
        return chr(int(code, 16))
    return _SIMPLE_ESCAPES.get(char, char)


def _usable(secrets: Sequence[object]) -> tuple[str, ...]:
    """The secrets that :func:`_scrub` searches for."""
    return tuple(
        secret
        for secret in secrets
        if isinstance(secret, str) and len(secret) >= _MIN_SECRET_CHARS
    )


#: Bounds of the walk that scrubs an error model: deeper or larger models are dropped.
_SCRUB_DEPTH = 64
_SCRUB_NODES = 100_000


class _TooLarge(Exception):
    pass


def _scrub_model(model: BaseModel, secrets: Sequence[object]) -> BaseModel | None:
    """``model`` with every string in it scrubbed (fields, nested models, lists, dict keys
    and values, and the extra fields pydantic kept), in place; None when it is too deep
    or too large to walk."""
    if not _usable(secrets):
        return model
    try:
        _scrub_value(model, secrets, 0, [_SCRUB_NODES])
    except _TooLarge:
        return None
    return model


def _scrub_value(
    value: Any, secrets: Sequence[object], depth: int, budget: list[int]
) -> Any:
    budget[0] -= 1
    if depth > _SCRUB_DEPTH or budget[0] < 0:
        raise _TooLarge
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, BaseModel):
        fields = value.__dict__
        for name, item in list(fields.items()):
            fields[name] = _scrub_value(item, secrets, depth + 1, budget)
        extra = value.__pydantic_extra__
        if extra:
            for name, item in list(extra.items()):
                extra[name] = _scrub_value(item, secrets, depth + 1, budget)
        return value
    if isinstance(value, dict):
        return {
            _scrub_value(key, secrets, depth + 1, budget): _scrub_value(
                item, secrets, depth + 1, budget
            )
            for key, item in value.items()
        }
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(
            _scrub_value(item, secrets, depth + 1, budget) for item in value
        )
    shown = str(
        value
    )  # a URL, a date, a UUID, bytes, an enum, ...: kept unless it shows a secret
    return (
        _REDACTED
        if _scrub(shown, secrets) != shown
        or _scrub(repr(value), secrets) != repr(value)
        else value
    )


def _error_model(
    text: str,
    status_code: int,
    error_models: Mapping[str, str],
    secrets: Sequence[object] = (),
) -> BaseModel | None:
    """The documented error model parsed from the raw body, if it fits, then scrubbed
    (after parsing: a JSON string may spell a secret with any escapes)."""
    status = str(status_code)
    name = (
        error_models.get(status)
        or error_models.get(f"{status[0]}XX")
        or error_models.get("default")
    )
    if name is None:
        return None
    models = importlib.import_module(f"{_PACKAGE}.models")
    cls: type[BaseModel] = getattr(models, name)
    try:
        model = cls.model_validate_json(text)
    except (ValidationError, ValueError):
        return None
    return _scrub_model(model, secrets)


class _RedactHttpxUrls(logging.Filter):
    """httpx logs every request as ``HTTP Request: GET <url> ...`` at INFO: redact its URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, httpx.URL) for arg in record.args
        ):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(
    type(f).__name__ == _RedactHttpxUrls.__name__ for f in _httpx_logger.filters
):
    _httpx_logger.addFilter(_RedactHttpxUrls())


#: The secrets of the run whose request is in flight in this thread or task, as
#: :func:`send` and :func:`asend` set them: what :class:`_RedactRunSecrets` hides.
_LOG_SECRETS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    f"{__name__}._LOG_SECRETS", default=()
)
#: The ``secrets`` sequence that _LOG_SECRETS was last computed from (by identity).
_LOG_SECRETS_FROM: contextvars.ContextVar[Sequence[object] | None] = (
    contextvars.ContextVar(f"{__name__}._LOG_SECRETS_FROM", default=None)
)
#: The loggers a request writes to (httpx, httpcore and its children, h2 and hpack);
#: a filter on a logger sees only the records logged to that very logger.
_REQUEST_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "h11",
    "h2",
    "h2.connection",
    "hpack",
    "hpack.hpack",
    "hpack.table",
)


def _hide_in_logs(secrets: Sequence[object]) -> None:
    """Make the log records of this thread's or task's requests hide ``secrets`` (a
    context variable: concurrent runs, in other threads or tasks, keep their own)."""
    if secrets is _LOG_SECRETS_FROM.get():
        return  # the run's own tuple, already in place (every request of a run passes it)
    usable = _usable(secrets)
    if usable != _LOG_SECRETS.get():
        _LOG_SECRETS.set(usable)
    _LOG_SECRETS_FROM.set(secrets)


class _RedactRunSecrets(logging.Filter):
    """Hides the current run's secrets in the message and the arguments of a record
    (a header, a reason phrase or a Location echoing a token, as httpcore logs them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _LOG_SECRETS.get()
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except (
            TypeError,
            ValueError,
            KeyError,
        ):  # a record that cannot be formatted: its parts, scrubbed
            message = f"{record.msg} {record.args!r}"
        shown = repr(record.args) if record.args else ""
        if _scrub(message, secrets) != message or _scrub(shown, secrets) != shown:
            record.msg = _scrub(message, secrets)
            record.args = ()
        return True


def _install_log_filters() -> None:
    """One _RedactRunSecrets of this module on each request logger and its existing
    children (each generated package has its own context variable, so its own filter).
    """
    names = set(_REQUEST_LOGGERS)
    names.update(
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.split(".")[0] in {"httpx", "httpcore", "h11", "h2", "hpack"}
    )
    for name in sorted(names):
        target = logging.getLogger(name)
        for old in [
            f
            for f in target.filters
            if type(f).__name__ == _RedactRunSecrets.__name__
            and type(f).__module__ == __name__
        ]:
            target.removeFilter(old)  # a reloaded module replaces its own filter
        target.addFilter(_RedactRunSecrets())


_install_log_filters()


def request_options(
    step_id: str,
    method: str,
    url: str,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, Any] | None,
    cookies: Mapping[str, Any] | None,
    body: dict[str, Any],
    secrets: Sequence[object] = (),
) -> dict[str, Any]:
    """The keyword arguments of one request (for :func:`send`), every value checked and the
    JSON body encoded here, strictly (no NaN or Infinity, valid Unicode, at most
    MAX_JSON_DEPTH levels).  A value that cannot be sent: StepFailed naming the step and
    the parameter, header or body member, never the value; raised outside any ``except``,
    so no encoder exception (whose repr may quote a header such as ``Bearer <token>``) is chained.
    """
    options = _options(params, headers, cookies, body)
    problem = _request_problem(options)
    if problem is not None:
        raise StepFailed(
            step_id,
            method=method,
            url=redact_url(url, secrets),
            status_code=None,
            reason=f"the request cannot be built: {problem}",
        )
    return options
