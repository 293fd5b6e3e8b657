"""Conformance: goto graphs compile without recursion; a loop becomes an inline
bounded loop, crossing back edges become a state machine, nothing runs unbounded.

Which shape each workflow compiles to (inline loop, state machine, no call of the
function itself) is shown by the IR snapshots tests/generator/ir_snapshots/loop and
crossing; these tests run the workflows."""

from __future__ import annotations

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run
from tests.replay import SleepRecorder


@pytest.fixture
def flow(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("control-flow")
    assert not compiled.errors, compiled.errors
    return compiled


def test_loop_over_several_steps_compiles_to_an_inline_loop(flow: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    server = serve("control-flow", "inline-loop")
    outputs = run(flow, "inline_loop", mode, sleep=sleep, poll_interval=0.5, servers={"flow": server.url})
    assert outputs.state == "done"
    assert [r.path for r in server.requests] == ["/steps/start", "/steps/wait", "/steps/check", "/steps/wait", "/steps/check", "/steps/finish"]
    assert sleep.calls == [0.5]  # the one back edge taken sleeps poll_interval


def test_crossing_back_edges_compile_to_a_state_machine(flow: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    server = serve("control-flow", "crossing")
    outputs = run(flow, "crossing", mode, sleep=sleep, servers={"flow": server.url})
    assert [r.path.rsplit("/", 1)[1] for r in server.requests] == list("abcabcdbcd")
    assert sleep.calls == [1.0, 1.0]  # c -> a and d -> b are back edges
    assert outputs.state == "at-d"


def test_nothing_runs_unbounded(flow: Compiled, serve: Servers, mode: str) -> None:
    timeout_error = flow.fn("WorkflowTimeout")
    sleep = SleepRecorder()
    server = serve("control-flow", "forever")
    with pytest.raises(timeout_error) as caught:  # type: ignore[call-overload]
        run(flow, "forever", mode, sleep=sleep, timeout=3.5, poll_interval=1.0, servers={"flow": server.url})
    assert caught.value.step_id == "spin"
    assert len(server.requests) == 4 and sleep.calls == [1.0, 1.0, 1.0]


def test_a_loop_reads_outputs_of_its_previous_round(flow: Compiled, serve: Servers, mode: str) -> None:
    server = serve("control-flow", "paginate")
    outputs = run(flow, "paginate", mode, servers={"flow": server.url})
    assert outputs.last_state == "p3"
    assert [r.query for r in server.requests] == [{}, {"cursor": ["c2"]}, {"cursor": ["c3"]}]
