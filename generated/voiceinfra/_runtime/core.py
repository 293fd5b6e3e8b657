"""The core of the runtime: servers, clients, the deadline, polls, Retry-After.
Each part is copied into a package's ``_runtime/`` as it is: do not edit a copy."""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING

import httpx

from .aionet import _owned_async_client
from .errors import StepTimedOut, WorkflowTimeout
from .observe import _no_sniffio, _observer, _ssl_context
from .redact import logger, redact_url

if TYPE_CHECKING:
    from .errors import WorkflowError
    from .observe import Event, _Observer

#: Most loop iterations (polls, retries, state transitions) one workflow run may take,
#: whatever the timeout: no generated loop is unbounded.
MAX_ITERATIONS = 10_000


#: Default of the ``max_response_bytes`` option: most bytes of one decoded response body.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


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
