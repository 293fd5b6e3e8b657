"""Conformance, Arazzo 1.1: a step ``timeout`` on a step that calls a workflow
(tests/conformance/v11/steps/workflow-timeout.yaml) bounds the whole called workflow;
when it ends first the CALLING step fails with StepTimedOut and its onFailure applies.

Same stalling loopback server as test_v11_steps.py: a timeout judged only once the slow
answer arrives fails these tests (they bound the time).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, run
from tests.conformance.test_v11_steps import BOUND, STALL, _stalling, _timed
from tests.hostile.server import Conn, HostileServer
from tests.replay import SleepRecorder

SPEC = "workflow-timeout.yaml"


@pytest.fixture
def calls(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("v11/steps", SPEC)
    assert not compiled.errors, compiled.errors
    return compiled


@pytest.fixture
def stall_slow() -> Iterator[HostileServer]:
    """/slow stalls every time; everything else answers at once."""
    with HostileServer(_stalling(lambda path, n: path == "/slow")) as server:
        yield server


class RealSleep(SleepRecorder):
    """Records each delay and really waits it (the polling test measures wall time)."""

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await super().asleep(seconds)
        await asyncio.sleep(seconds)


def _step_timed_out(compiled: Compiled) -> type[Exception]:
    cls: type[Exception] = compiled.module._runtime.StepTimedOut  # type: ignore[union-attr]
    return cls


def test_a_stalled_callee_fails_the_calling_step_at_its_timeout(calls: Compiled, stall_slow: HostileServer, mode: str) -> None:
    error, took = _timed(lambda: run(calls, "call_stall", mode, servers={"api": stall_slow.url + "/api"}))
    assert isinstance(error, _step_timed_out(calls)), error
    assert not isinstance(error, calls.fn("WorkflowTimeout"))  # type: ignore[arg-type]
    assert error.step_id == "callIt" and error.timeout_ms == 300 and error.status_code is None  # type: ignore[attr-defined]
    assert (error.method, error.url) == ("CALL", "workflow stall")  # type: ignore[attr-defined]
    assert "step 'callIt' failed: its 300 ms timeout passed" in str(error)
    assert 0.25 <= took < BOUND, took  # the callee's exchange was aborted, not waited out
    assert len(stall_slow.requests) == 1


def test_the_timeout_bounds_every_request_and_sleep_of_a_polling_callee(calls: Compiled, mode: str) -> None:
    sent: list[float] = []

    def script(conn: Conn) -> None:
        for _ in range(50):  # bounded: a keep-alive connection carries the polls
            conn.read_request()
            sent.append(time.monotonic())
            conn.respond(200, json.dumps({"id": "pending"}).encode(), headers={"Content-Type": "application/json"})

    sleep = RealSleep()
    with HostileServer(script) as server:
        start = time.monotonic()
        error, took = _timed(lambda: run(calls, "call_poll", mode, sleep=sleep, servers={"api": server.url + "/api"}))
        time.sleep(0.2)  # a request sent after the timeout would arrive by now
    assert isinstance(error, _step_timed_out(calls)), error
    assert error.step_id == "callIt", error  # type: ignore[attr-defined]
    assert took < BOUND, took
    assert 2 <= len(sent) <= 4, sent  # polled 100 ms apart, within the 300 ms only
    assert all(when - start < 0.3 for when in sent), [when - start for when in sent]
    assert sum(sleep.calls) < 0.3, sleep.calls  # no sleep ran past the step's timeout


def test_a_retry_calls_the_workflow_again_with_a_fresh_timeout(calls: Compiled, mode: str) -> None:
    with HostileServer(_stalling(lambda path, n: n == 1)) as server:
        outputs, took = _timed(lambda: run(calls, "call_stall_retry", mode, servers={"api": server.url + "/api"}))
        paths = [r.path for r in server.requests]
    assert not isinstance(outputs, Exception), outputs
    assert outputs.id == "slow-2"  # type: ignore[attr-defined]
    assert paths == ["/api/slow", "/api/slow"]
    assert 0.25 <= took < BOUND, took


def test_retry_limit_spent_then_the_calling_step_fails_with_its_timeout(calls: Compiled, stall_slow: HostileServer, mode: str) -> None:
    error, took = _timed(lambda: run(calls, "call_stall_retry", mode, servers={"api": stall_slow.url + "/api"}))
    assert isinstance(error, _step_timed_out(calls)), error
    assert error.step_id == "callIt" and error.retries == 1 and error.retry_limit == 1  # type: ignore[attr-defined]
    assert len(stall_slow.requests) == 2
    assert 0.5 <= took < 2 * BOUND, took  # two fresh 300 ms timeouts


def test_goto_after_a_timed_out_call(calls: Compiled, stall_slow: HostileServer, mode: str) -> None:
    # readsOutputs (an end whose criteria read the callee's outputs) cannot apply: fallBack does.
    outputs, took = _timed(lambda: run(calls, "call_stall_goto", mode, servers={"api": stall_slow.url + "/api"}))
    assert not isinstance(outputs, Exception), outputs
    assert (outputs.called_id, outputs.fallback_id) == (None, "fast-1")  # type: ignore[attr-defined]
    assert [r.path for r in stall_slow.requests] == ["/api/slow", "/api/fast"]
    assert took < BOUND, took


def test_the_overall_timeout_wins_when_it_is_shorter(calls: Compiled, stall_slow: HostileServer, mode: str) -> None:
    error, took = _timed(lambda: run(calls, "call_stall_goto", mode, servers={"api": stall_slow.url + "/api"}, timeout=0.1))
    assert isinstance(error, calls.fn("WorkflowTimeout")), error  # type: ignore[arg-type]
    assert not isinstance(error, calls.fn("StepFailed"))  # type: ignore[arg-type]
    assert took < 0.28, took  # before the step's own 300 ms would have ended
    assert [r.path for r in stall_slow.requests] == ["/api/slow"]  # no fallback: the run is over


def test_the_step_timeout_wins_within_a_longer_overall_timeout(calls: Compiled, stall_slow: HostileServer, mode: str) -> None:
    outputs, took = _timed(lambda: run(calls, "call_stall_goto", mode, servers={"api": stall_slow.url + "/api"}, timeout=30.0))
    assert not isinstance(outputs, Exception), outputs
    assert outputs.fallback_id == "fast-1"  # type: ignore[attr-defined]
    assert took < BOUND, took


def test_a_quick_callee_is_not_timed_out(calls: Compiled, mode: str) -> None:
    with HostileServer(_stalling(lambda path, n: False)) as server:
        outputs = run(calls, "call_stall_goto", mode, servers={"api": server.url + "/api"})
        paths = [r.path for r in server.requests]
    assert (outputs.called_id, outputs.fallback_id) == ("slow-1", None)
    assert paths == ["/api/slow"]


def test_step_timed_out_is_exported_by_the_package(calls: Compiled, compile_feature: Compiler) -> None:
    package = importlib.import_module(calls.package)
    assert package.StepTimedOut is package._runtime.StepTimedOut and issubclass(package.StepTimedOut, package.StepFailed)
    assert "StepTimedOut" in package.__all__
    # The import a user writes, in a fresh interpreter.
    code = f"from {calls.package} import StepTimedOut, StepFailed; assert issubclass(StepTimedOut, StepFailed); print(StepTimedOut.__name__)"
    completed = subprocess.run([sys.executable, "-c", code], cwd=compile_feature.out, capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0 and completed.stdout.strip() == "StepTimedOut", completed.stderr


def test_a_package_without_step_timeouts_does_not_export_it(compile_feature: Compiler) -> None:
    compiled = compile_feature("v11/steps", "loop.yaml")
    assert not compiled.errors, compiled.errors
    assert "timeout:" not in (CONFORMANCE_DIR / "v11/steps/loop.yaml").read_text()
    assert "StepTimedOut" not in compiled.files["__init__.py"] and "StepTimedOut" not in compiled.files["workflows.py"]
    assert "def call_within" not in compiled.runtime


def test_the_timed_call_is_documented(calls: Compiled) -> None:
    # How the timed call compiles (call_within, the action not taken) is the IR snapshot
    # tests/generator/ir_snapshots/call-timeout; the docstring's Raises section names it.
    assert "StepTimedOut: step 'callIt' ran past its own timeout" in calls.source
    assert not calls.warnings, calls.warnings


# -- the runtime helpers, directly ------------------------------------------------------


def test_a_callee_out_of_loop_iterations_is_not_a_step_timeout(calls: Compiled) -> None:
    runtime: Any = calls.module._runtime  # type: ignore[union-attr]

    def looping() -> None:
        inner = runtime.Deadline(None)  # the callee's own deadline, counting its loop
        for _ in range(runtime.MAX_ITERATIONS + 1):  # bounded: tick raises past the limit
            inner.tick("inner")

    with pytest.raises(runtime.WorkflowTimeout) as caught:
        runtime.call_within(runtime.Deadline(None), "callIt", 300, "inner", looping)
    assert not isinstance(caught.value, runtime.StepFailed) and "loop iterations" in str(caught.value)


def test_async_cancels_whatever_the_callee_awaits(calls: Compiled) -> None:
    runtime: Any = calls.module._runtime  # type: ignore[union-attr]

    async def unbounded() -> str:
        await asyncio.sleep(STALL)  # not a deadline sleep: only the cancellation ends it
        return "finished"

    start = time.monotonic()
    result = asyncio.run(runtime.acall_within(runtime.Deadline(None), "callIt", 300, "inner", unbounded))
    took = time.monotonic() - start
    assert isinstance(result, runtime.StepTimedOut) and result.step_id == "callIt", result
    assert 0.25 <= took < BOUND, took
    deadline = runtime.Deadline(0.1)  # the overall deadline ends first: raised, WorkflowTimeout
    with pytest.raises(runtime.WorkflowTimeout):
        asyncio.run(runtime.acall_within(deadline, "callIt", 300, "inner", unbounded))
