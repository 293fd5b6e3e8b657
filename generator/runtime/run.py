"""One run of a generated workflow (:class:`Run`, :class:`AsyncRun`): its HTTP client,
deadline, injected sleep and the credentials to hide, held once, so that a request, a
wait or an error in the workflow's code names only what differs from the others."""

from __future__ import annotations

import contextlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any

import httpx

from .core import Deadline, async_client, sync_client
from .errors import StepFailed
from .transport import asend, send
from .values import json_body


class _Run:
    def __init__(self, deadline: Deadline, secrets: Sequence[object]) -> None:
        self.deadline = deadline
        #: The credentials no error, log record or redirect may show.
        self.secrets = secrets

    def json_body(
        self, step_id: str, response: httpx.Response, *, expect: str | None = None
    ) -> Any:
        """:func:`json_body` with the run's secrets."""
        return json_body(step_id, response, secrets=self.secrets, expect=expect)

    def failed(
        self,
        step_id: str,
        response: httpx.Response,
        *,
        reason: str | None = None,
        error_models: Mapping[str, str] | None = None,
        criterion: str | None = None,
        retries: int = 0,
        retry_limit: int | None = None,
    ) -> StepFailed:
        """:meth:`StepFailed.from_response` with the run's secrets (raise it)."""
        return StepFailed.from_response(
            step_id,
            response,
            reason=reason,
            error_models=error_models,
            secrets=self.secrets,
            criterion=criterion,
            retries=retries,
            retry_limit=retry_limit,
        )


class Run(_Run):
    """A run of a sync workflow function (see :func:`run`)."""

    def __init__(
        self,
        http: httpx.Client,
        deadline: Deadline,
        sleep: Callable[[float], None],
        secrets: Sequence[object],
    ) -> None:
        super().__init__(deadline, secrets)
        self.http = http
        self.sleep = sleep

    def send(
        self,
        step_id: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        documented: Collection[int] = (),
        idempotent: bool = False,
        **body: Any,
    ) -> httpx.Response:
        """:func:`send` on the run's client, within its deadline."""
        return send(
            self.http,
            self.deadline,
            self.sleep,
            step_id,
            method,
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            documented=documented,
            secrets=self.secrets,
            idempotent=idempotent,
            **body,
        )

    def wait(self, seconds: float, *, step: str) -> None:
        """Sleep before ``step`` runs again: counted, and never past the deadline."""
        self.deadline.sleep(self.sleep, seconds, step=step)


class AsyncRun(_Run):
    """A run of an async workflow function (see :func:`arun`)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        deadline: Deadline,
        sleep: Callable[[float], Awaitable[None]],
        secrets: Sequence[object],
    ) -> None:
        super().__init__(deadline, secrets)
        self.http = http
        self.sleep = sleep

    async def send(
        self,
        step_id: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        documented: Collection[int] = (),
        idempotent: bool = False,
        **body: Any,
    ) -> httpx.Response:
        """:func:`asend` on the run's client, within its deadline."""
        return await asend(
            self.http,
            self.deadline,
            self.sleep,
            step_id,
            method,
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            documented=documented,
            secrets=self.secrets,
            idempotent=idempotent,
            **body,
        )

    async def wait(self, seconds: float, *, step: str) -> None:
        """The async twin of :meth:`Run.wait`."""
        await self.deadline.asleep(self.sleep, seconds, step=step)


@contextlib.contextmanager
def run(
    client: httpx.Client | None,
    deadline: Deadline,
    sleep: Callable[[float], None],
    secrets: Sequence[object] = (),
) -> Iterator[Run]:
    """The run on the caller's client or a new one (:func:`sync_client`), observed
    from here to the exit."""
    with sync_client(client, deadline) as http:
        yield Run(http, deadline, sleep, secrets)


@contextlib.asynccontextmanager
async def arun(
    client: httpx.AsyncClient | None,
    deadline: Deadline,
    sleep: Callable[[float], Awaitable[None]],
    secrets: Sequence[object] = (),
) -> AsyncIterator[AsyncRun]:
    """The async twin of :func:`run` (:func:`async_client`)."""
    async with async_client(client, deadline) as http:
        yield AsyncRun(http, deadline, sleep, secrets)
