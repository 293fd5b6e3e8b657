"""Conformance: success actions (end, goto step, goto workflow), failure actions
(end, goto, retry with retryAfter / retryLimit / Retry-After), action criteria that
see the current response, and reusable actions by reference."""

from __future__ import annotations

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run
from tests.replay import SleepRecorder


@pytest.fixture
def actions(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("actions")
    assert not compiled.errors, compiled.errors
    return compiled


def test_success_end_stops_the_workflow(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "end-early")
    outputs = run(actions, "success_end", mode, servers={"jobs": server.url})
    assert outputs.first_state == "done"
    assert outputs.second_state is None  # the second step never ran
    assert [r.path for r in server.requests] == ["/jobs/1"]


def test_success_end_not_taken_when_its_criteria_fail(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "end-not-taken")
    outputs = run(actions, "success_end", mode, servers={"jobs": server.url})
    assert (outputs.first_state, outputs.second_state) == ("running", "queued")


def test_success_goto_step(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "goto-step")
    outputs = run(actions, "success_goto_step", mode, servers={"jobs": server.url})
    assert outputs.c_state == "c-done"
    assert [r.path for r in server.requests] == ["/jobs/a", "/jobs/c"]


def test_success_goto_workflow(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "goto-workflow")
    outputs = run(actions, "success_goto_workflow", mode, servers={"jobs": server.url})
    assert outputs.handed_over_state == "done"  # $workflows.successEnd.outputs.firstState
    assert [r.path for r in server.requests] == ["/jobs/a", "/jobs/1"]  # the call: IR snapshot tests/generator/ir_snapshots/goto-workflow


def test_failure_end_raises_step_failed(actions: Compiled, serve: Servers, mode: str) -> None:
    step_failed = actions.fn("StepFailed")
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(actions, "failure_end", mode, servers={"jobs": serve("actions", "failure-end").url})
    assert caught.value.status_code == 404
    assert "failure action 'giveUp' ended the workflow" in str(caught.value)


def test_failure_goto_step(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "failure-goto")
    outputs = run(actions, "failure_goto", mode, servers={"jobs": server.url})
    assert outputs.found_id is None
    assert outputs.created_id == "j1-new"


def test_failure_retry_waits_retry_after_seconds(actions: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    server = serve("actions", "retry-then-ok")
    run(actions, "retry", mode, sleep=sleep, servers={"jobs": server.url})
    assert sleep.calls == [2.0, 2.0]
    assert len(server.requests) == 3


def test_failure_retry_after_header_overrules_retry_after(actions: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    run(actions, "retry", mode, sleep=sleep, servers={"jobs": serve("actions", "retry-after-header").url})
    assert sleep.calls == [7.0]


def test_failure_retry_limit_is_exhausted_before_later_actions(actions: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    server = serve("actions", "retry-exhausted")
    outputs = run(actions, "retry", mode, sleep=sleep, servers={"jobs": server.url})
    assert sleep.calls == [2.0, 2.0, 2.0]  # retryLimit 3
    assert outputs.status == 200  # then the next failure action: goto fallback
    assert [r.path for r in server.requests] == ["/flaky"] * 4 + ["/fallback"]


def test_failure_retry_limit_defaults_to_one(actions: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    step_failed = actions.fn("StepFailed")
    server = serve("actions", "retry-default")
    with pytest.raises(step_failed):  # type: ignore[call-overload]
        run(actions, "retry_default_limit", mode, sleep=sleep, servers={"jobs": server.url})
    assert len(server.requests) == 2
    assert sleep.calls == [1.0]  # no retryAfter: the poll interval


def test_step_failed_names_the_criterion_and_the_used_up_retries(actions: Compiled, serve: Servers, mode: str) -> None:
    step_failed = actions.fn("StepFailed")
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(actions, "retry_default_limit", mode, servers={"jobs": serve("actions", "retry-default").url})
    error = caught.value
    assert (error.step_id, error.status_code, error.criterion, error.retries, error.retry_limit) == ("flaky", 503, "$statusCode == 200", 1, 1)
    assert "failed with HTTP 503: successCriteria $statusCode == 200 not met after 1 retry (GET " in str(error)


def test_step_failed_without_retries_says_none_were_used(actions: Compiled, serve: Servers, mode: str) -> None:
    step_failed = actions.fn("StepFailed")
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(actions, "criteria_see_response", mode, servers={"jobs": serve("actions", "criteria-other-error").url})
    error = caught.value
    assert (error.criterion, error.retries, error.retry_limit) == ("$statusCode == 200", 0, 5)
    assert "successCriteria $statusCode == 200 not met (GET " in str(error)  # no retry was used


def test_action_criteria_see_the_current_response(actions: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    outputs = run(actions, "criteria_see_response", mode, sleep=sleep, poll_interval=0.25, servers={"jobs": serve("actions", "criteria-see-response").url})
    assert outputs.state == "done"
    assert sleep.calls == [1.0, 0.25]  # retry after 1 s (busy), then a goto back (running)
    step_failed = actions.fn("StepFailed")
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(actions, "criteria_see_response", mode, servers={"jobs": serve("actions", "criteria-other-error").url})
    assert caught.value.status_code == 429


def test_reusable_actions_by_reference_at_workflow_level(actions: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    server = serve("actions", "reusable")
    outputs = run(actions, "reusable", mode, sleep=sleep, servers={"jobs": server.url})
    assert sleep.calls == [0.5]  # components.failureActions.retryWhenBusy
    assert outputs.second_state == "done"
    assert [r.path for r in server.requests] == ["/jobs/r1", "/jobs/r1", "/jobs/r2"]


def test_failure_goto_workflow(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "failure-goto-workflow")
    outputs = run(actions, "failure_goto_workflow", mode, servers={"jobs": server.url})
    assert outputs.handed_over_state == "done"
    assert [r.path for r in server.requests] == ["/jobs/gone", "/jobs/1"]


def test_failure_retry_runs_a_workflow_first(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "retry-after-workflow")
    run(actions, "retry_after_workflow", mode, servers={"jobs": server.url})
    assert [r.path for r in server.requests] == ["/flaky", "/wake", "/flaky"]


def test_failure_retry_runs_a_step_first_then_comes_back(actions: Compiled, serve: Servers, mode: str) -> None:
    server = serve("actions", "retry-after-step")
    outputs = run(actions, "retry_after_step", mode, servers={"jobs": server.url})
    assert outputs.session == "s2"
    assert [r.path for r in server.requests] == ["/login", "/use", "/login", "/use"]
