"""The table-driven provider harness: what a provider's generated client is run with, and
the shapes of the cases that tests/providers/test_providers.py runs for every provider.

Each provider is one :class:`Provider` (its generated package, workflow, inputs, the
secrets its fixtures use) plus rows of cases: :class:`Scenario` (a run that succeeds),
:class:`ErrorCase` (a documented error that raises ``StepFailed``), :class:`TimeoutCase`
and :class:`DecisionLog`.  Every case replays a cassette of tests/cassettes/<provider>/
from a real HTTP server on 127.0.0.1 (the ``replay`` fixture of tests/conftest.py), which
checks each request (method, raw path, query, headers, JSON body) before answering it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from tests.replay import ReplayServer, SleepRecorder

Mode = Literal["sync", "async"]
MODES: tuple[Mode, ...] = ("sync", "async")
Replay = Callable[[str], ReplayServer]
#: The runtime functions that log the workflow's decisions (goto, retry, poll delays).
DECISIONS = ("decided", "poll_delay", "retry_delay")
#: The options every generated workflow function takes (the generated code contract).
OPTIONS = ("client", "servers", "poll_interval", "timeout", "sleep")


@dataclass(frozen=True)
class Provider:
    """One provider's generated client (``generated/<name>``) and how the tests call it."""

    #: Generated package name, and the folder of its cassettes under tests/cassettes.
    name: str
    #: Python name of the workflow function (its async twin is ``<workflow>_async``).
    workflow: str
    #: Name of the workflow's Outputs model, exported by the package.
    outputs: str
    #: sourceDescription names; all of them are pointed at the replay server.
    servers: tuple[str, ...]
    #: The secrets the fixtures use (the first is "the" secret); none may leak.
    secrets: tuple[str, ...]
    #: Required inputs, passed to every run.
    inputs: Mapping[str, Any]
    #: Every optional input with a value (tests that send them all pass these).
    optional_inputs: Mapping[str, Any] = field(default_factory=dict)
    #: The workflow's default ``SERVERS`` (the real API); None: not asserted.
    default_servers: Mapping[str, str] | None = None
    #: Parameters with a default that the signature test checks (besides optional inputs: None).
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def package(self) -> ModuleType:
        return importlib.import_module(f"generated.{self.name}")

    @property
    def models(self) -> ModuleType:
        return importlib.import_module(f"generated.{self.name}.models")

    @property
    def secret(self) -> str:
        return self.secrets[0]

    def function(self, mode: Mode) -> Callable[..., Any]:
        suffix = "_async" if mode == "async" else ""
        return getattr(self.package, self.workflow + suffix)  # type: ignore[no-any-return]

    def outputs_model(self) -> type[BaseModel]:
        return getattr(self.package, self.outputs)  # type: ignore[no-any-return]

    def servers_for(self, server: ReplayServer) -> dict[str, str]:
        return {name: server.url for name in self.servers}

    def run(self, mode: Mode, server: ReplayServer, sleep: SleepRecorder, **options: Any) -> Any:
        """Run the workflow (sync, or its async twin under asyncio.run) against ``server``."""
        kwargs = {**self.inputs, **options}
        if mode == "async":
            return asyncio.run(self.function("async")(**kwargs, servers=self.servers_for(server), sleep=sleep.asleep))
        return self.function("sync")(**kwargs, servers=self.servers_for(server), sleep=sleep)

    def assert_no_secret(self, *texts: str) -> None:
        for secret in self.secrets:
            for text in texts:
                assert secret not in text


OutputsCheck = Callable[[Any, ReplayServer], None]


@dataclass(frozen=True)
class Scenario:
    """A run that succeeds, and what it must have produced and sent."""

    provider: str
    #: Cassette name under tests/cassettes/<provider>/.
    cassette: str
    #: What is checked (the test id, the name of the test function it replaces).
    test: str
    #: Options and optional inputs passed to the workflow.
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Outputs attribute -> expected value; a bool/int/float/str value must also have that exact type.
    outputs: Mapping[str, Any] = field(default_factory=dict)
    #: ``outputs.model_dump(by_alias=True)``: these items (``dumped_exactly``: exactly these).
    dumped: Mapping[str, Any] = field(default_factory=dict)
    dumped_exactly: bool = False
    #: The keys of ``model_dump(by_alias=True)``, when checked.
    dumped_keys: frozenset[str] | None = None
    #: Requests sent: how many, or ``"METHOD path"`` lines in order.
    requests: int | Sequence[str] | None = None
    #: Methods of the requests sent, in order.
    methods: Sequence[str] | None = None
    #: The JSON body of the first request: exactly ``body``, with ``body_has`` items, without ``omitted`` names.
    body: Mapping[str, Any] | None = None
    body_has: Mapping[str, Any] = field(default_factory=dict)
    omitted: Sequence[str] = ()
    #: The waits, in order.
    sleeps: Sequence[float] | None = None
    #: A substring of a WARNING log record the run must emit.
    warning: str | None = None
    #: Further assertions on (outputs, server).
    check: OutputsCheck | None = None
    modes: tuple[Mode, ...] = MODES


@dataclass(frozen=True)
class ErrorCase:
    """A documented (or criterion) failure: the run raises StepFailed with these fields."""

    provider: str
    cassette: str
    step: str
    status: int
    method: str
    #: Path of the failed request (``error.url`` is the server URL + this).
    path: str
    #: The type of ``error.error`` (the parsed error model; ``type(None)`` for none).
    model: type[Any]
    #: Further checks on the StepFailed error (true when they hold).
    check: Callable[[Any], bool]
    #: Requests sent in all (only a 429 on a GET is retried; a failed POST is never re-sent).
    sent: int
    sleeps: Sequence[float] = ()
    modes: tuple[Mode, ...] = MODES


@dataclass(frozen=True)
class TimeoutCase:
    """A poll that never ends: WorkflowTimeout, without really waiting."""

    provider: str
    cassette: str
    step: str
    options: Mapping[str, Any]
    sent: int
    sleeps: Sequence[float]
    modes: tuple[Mode, ...] = MODES


@dataclass(frozen=True)
class DecisionLog:
    """The DEBUG records of each decision, with the names the spec uses."""

    provider: str
    cassette: str
    options: Mapping[str, Any]
    messages: Sequence[str]
    modes: tuple[Mode, ...] = MODES


def cases_for(rows: Sequence[Any], *, label: Callable[[Any], str]) -> list[Any]:
    """pytest params (case, mode) for every row and each of its modes, with readable ids."""
    return [pytest.param(row, mode, id=f"{row.provider}-{label(row)}-{mode}") for row in rows for mode in row.modes]


def request_lines(server: ReplayServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


def assert_outputs(outputs: Any, expected: Mapping[str, Any]) -> None:
    for name, value in expected.items():
        actual = getattr(outputs, name)
        assert actual == value, (name, actual)
        if isinstance(value, (bool, int, float, str)):
            assert type(actual) is type(value), (name, type(actual))


def decision_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.funcName in DECISIONS]
