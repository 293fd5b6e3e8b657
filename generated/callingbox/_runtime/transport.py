"""Sending one request (:func:`send`, :func:`asend`): the options checked, transport
retries with backoff inside the deadline, and the rules that keep a call safe.

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
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .body import _NO_TIMEOUT, _UNWATCHED, _Body, _Watch
from .core import retry_after
from .errors import _RETRIES_KEY, StepFailed
from .observe import _observe_request, _observed
from .redact import _hide_in_logs, logger, redact_url
from .wire import _request_problem

if TYPE_CHECKING:
    from .core import Deadline

#: Retries of one request after a transport error or a 502/503/504, the first backoff
#: in seconds (doubled at each retry, with jitter), and the longest wait for a retry.
TRANSPORT_RETRIES = 3


TRANSPORT_BACKOFF = 0.5


TRANSPORT_MAX_DELAY = 30.0


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


def _request_url(
    url: str, params: Mapping[str, Any] | None, secrets: Sequence[object]
) -> str:
    """The request URL with its query, without credentials (as error messages show it)."""
    return redact_url(
        str(httpx.URL(url).copy_merge_params(_clean(params) or {})), secrets
    )


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
    # no deadline: nothing to watch
    watch = _Watch(left) if left is not None else _UNWATCHED
    failure: httpx.RequestError | None = None
    try:
        # What ``http.stream()`` does, without its generator-based context manager; without
        # a deadline the client's own timeouts apply as they are (no copy of them is made).
        timeout = (
            exchange.timeout(http) if left is not None else httpx.USE_CLIENT_DEFAULT
        )
        arguments = dict(options)
        del arguments["follow_redirects"]  # send()'s, not build_request()'s
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
