"""Conformance, Arazzo 1.1: step ``timeout``, step ``dependsOn`` and the order steps run
in, ``parameters`` on success/failure actions (tests/conformance/v11/steps).

The timeout cases run against a scripted raw-socket server on 127.0.0.1
(tests/hostile/server.py) that stalls for STALL seconds before it answers: a timeout
judged only once the slow answer arrives fails these tests (they bound the time), and
so does a transport retry that sends the stalled GET again (they count requests).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from arazzo_codegen.diagnostics import Severity
from arazzo_codegen.pipeline import Job, build

from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, run
from tests.hostile.server import Conn, HostileServer
from tests.golden.test_generated_quality import RUFF

FEATURE = "v11/steps"
#: How long the server sits on a stalled request (the step timeouts are 300 ms).
STALL = 4.0
#: The most a timed-out run may take: the 300 ms timeout plus scheduling slack, far below STALL.
BOUND = 1.5


@pytest.fixture
def steps(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


def _stalling(stalls: Callable[[str, int], bool]) -> Callable[[Conn], None]:
    """A script answering ``{"id": "<path>-<n>"}``; it first sits STALL seconds on the
    n-th request (from 1) to a path when ``stalls(path, n)`` (bounded by the server's
    stop flag)."""
    seen: dict[str, int] = {}

    def script(conn: Conn) -> None:
        for _ in range(20):  # bounded: a keep-alive connection carries a few requests
            request = conn.read_request()
            path = request.path.removeprefix("/api")
            seen[path] = seen.get(path, 0) + 1
            if stalls(path, seen[path]):
                end = time.monotonic() + STALL
                while time.monotonic() < end and not conn.server.stopping.is_set():
                    time.sleep(0.02)
            body = json.dumps({"id": f"{path.strip('/').replace('/', '-')}-{seen[path]}"}).encode()
            conn.respond(200, body, headers={"Content-Type": "application/json"})

    return script


@pytest.fixture
def stall_slow() -> Iterator[HostileServer]:
    """/slow stalls every time; everything else answers at once."""
    with HostileServer(_stalling(lambda path, n: path == "/slow")) as server:
        yield server


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.monotonic()
    try:
        result: object = fn()
    except Exception as exc:  # the caller inspects it
        result = exc
    return result, time.monotonic() - start


# -- timeout -----------------------------------------------------------------------------


def test_timeout_aborts_the_exchange_and_fails_the_step(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    step_timed_out = steps.module._runtime.StepTimedOut  # type: ignore[union-attr]
    error, took = _timed(lambda: run(steps, "timeout_fails", mode, servers={"api": stall_slow.url + "/api"}))
    assert isinstance(error, step_timed_out), error
    assert isinstance(error, steps.fn("StepFailed"))  # type: ignore[arg-type]
    assert not isinstance(error, steps.fn("WorkflowTimeout"))  # type: ignore[arg-type]
    assert error.step_id == "slow" and error.status_code is None and error.timeout_ms == 300
    assert "300 ms timeout" in str(error)
    assert 0.25 <= took < BOUND, took  # aborted at the timeout, not when the answer came
    assert len(stall_slow.requests) == 1  # a GET, yet not sent again by transport retries


def test_timeout_does_not_fire_on_a_quick_answer(steps: Compiled, mode: str) -> None:
    with HostileServer(_stalling(lambda path, n: False)) as server:
        outputs = run(steps, "timeout_fails", mode, servers={"api": server.url + "/api"})
    assert outputs.id == "slow-1"


def test_retry_runs_the_timed_out_step_again_with_a_fresh_timeout(steps: Compiled, mode: str) -> None:
    # The first attempt stalls (aborted at 300 ms); the retry gets its own 300 ms and an answer.
    # The retry action with criteria $statusCode == 503 cannot apply (no response): retryOnce does.
    with HostileServer(_stalling(lambda path, n: n == 1)) as server:
        outputs, took = _timed(lambda: run(steps, "timeout_retry", mode, servers={"api": server.url + "/api"}))
        paths = [r.path for r in server.requests]
    assert not isinstance(outputs, Exception), outputs
    assert outputs.id == "slow-2"  # type: ignore[attr-defined]
    assert paths == ["/api/slow", "/api/slow"]
    assert took < BOUND


def test_retry_limit_spent_then_the_step_fails_with_its_timeout(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    error, took = _timed(lambda: run(steps, "timeout_retry", mode, servers={"api": stall_slow.url + "/api"}))
    assert isinstance(error, steps.module._runtime.StepTimedOut), error  # type: ignore[union-attr]
    assert error.retries == 1 and error.retry_limit == 1
    assert len(stall_slow.requests) == 2
    assert 0.5 <= took < 2 * BOUND  # two fresh 300 ms timeouts


def test_goto_after_a_timeout(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    outputs, took = _timed(lambda: run(steps, "timeout_goto", mode, servers={"api": stall_slow.url + "/api"}))
    assert not isinstance(outputs, Exception), outputs
    assert (outputs.slow_id, outputs.fallback_id) == (None, "fast-1")  # type: ignore[attr-defined]
    assert [r.path for r in stall_slow.requests] == ["/api/slow", "/api/fast"]
    assert took < BOUND


def test_end_after_a_timeout(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    error, took = _timed(lambda: run(steps, "timeout_end", mode, servers={"api": stall_slow.url + "/api"}))
    assert isinstance(error, steps.module._runtime.StepTimedOut), error  # type: ignore[union-attr]
    assert "failure action 'giveUp' ended the workflow" in str(error)
    assert took < BOUND


def test_the_overall_timeout_still_bounds_a_step_with_a_longer_timeout(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    # timeout=0.1 s (the function's) ends before the step's 300 ms: WorkflowTimeout, and at ~0.1 s.
    error, took = _timed(lambda: run(steps, "timeout_goto", mode, servers={"api": stall_slow.url + "/api"}, timeout=0.1))
    assert isinstance(error, steps.fn("WorkflowTimeout")), error  # type: ignore[arg-type]
    assert not isinstance(error, steps.fn("StepFailed"))  # type: ignore[arg-type]
    assert took < 0.28, took  # before the step's own 300 ms would have ended
    assert [r.path for r in stall_slow.requests] == ["/api/slow"]  # no fallback: the run is over


def test_step_timeout_ends_first_within_a_longer_overall_timeout(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    outputs, took = _timed(lambda: run(steps, "timeout_goto", mode, servers={"api": stall_slow.url + "/api"}, timeout=30.0))
    assert not isinstance(outputs, Exception), outputs
    assert outputs.fallback_id == "fast-1"  # type: ignore[attr-defined]
    assert took < BOUND


# How a timed step compiles (send_within, the action not taken) is the IR snapshot
# tests/generator/ir_snapshots/step-timeout.


# -- order -------------------------------------------------------------------------------


def test_depends_on_runs_the_prerequisite_first(steps: Compiled, mode: str) -> None:
    with HostileServer(_stalling(lambda path, n: False)) as server:
        run(steps, "explicit_order", mode, servers={"api": server.url + "/api"})
        paths = [r.path for r in server.requests]
    assert paths == ["/api/things/a", "/api/things/b", "/api/things/c"]  # the array says b, a, c


def test_output_references_and_depends_on_together_decide_the_order(steps: Compiled, mode: str) -> None:
    with HostileServer(_stalling(lambda path, n: False)) as server:
        outputs = run(steps, "implicit_order", mode, servers={"api": server.url + "/api"})
        requests = list(server.requests)
    # The array says check (dependsOn report), report (reads make's outputs), make.
    assert [r.path for r in requests] == ["/api/things/make", "/api/things/report", "/api/things/check"]
    assert parse_qs(urlsplit(requests[1].target).query) == {"after": ["things-make-1"]}
    assert outputs.made == "things-make-1"


def _errors(compile_feature: Compiler, spec: str) -> list[str]:
    compiled = compile_feature(FEATURE, spec)
    assert compiled.module is None
    return compiled.errors


def test_a_dependency_cycle_is_an_error_that_names_it(compile_feature: Compiler) -> None:
    errors = _errors(compile_feature, "bad-order.yaml")
    cycle = [e for e in errors if "cycle" in e]
    assert len(cycle) == 1, errors
    assert "a -> b -> c -> a" in cycle[0] and "bad-order.yaml:" in cycle[0] and "workflows[0].steps[0].dependsOn" in cycle[0]


def test_depends_on_an_unknown_step_suggests_the_near_one(compile_feature: Compiler) -> None:
    errors = _errors(compile_feature, "bad-order.yaml")
    unknown = [e for e in errors if "unknown step 'mak'" in e]
    assert len(unknown) == 1 and "did you mean 'make'" in unknown[0], errors
    assert any("depends on itself" in e for e in errors), errors
    assert any("workflow 'other' has no step 'nope'" in e for e in errors), errors
    assert any("does not run before its steps" in e and "add 'other' to the dependsOn" in e for e in errors), errors


def test_a_forward_output_reference_without_depends_on_is_an_error_in_1_1(compile_feature: Compiler) -> None:
    errors = _errors(compile_feature, "bad-forward.yaml")
    assert len(errors) == 1, errors
    assert "step 'first' reads the outputs of step 'second', which comes later in the steps array" in errors[0]
    assert "dependsOn: [second]" in errors[0]


def test_the_same_forward_reference_in_1_0_keeps_the_1_0_behaviour(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "forward-v10.yaml")  # bad-forward.yaml labelled 1.0.1
    assert not compiled.errors, compiled.errors  # the steps' order: IR snapshot tests/generator/ir_snapshots/forward-v10


def test_a_poll_loop_reading_the_previous_round_is_not_a_forward_reference(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "loop.yaml")
    assert not compiled.errors, compiled.errors


# -- action parameters -------------------------------------------------------------------


def _report_query(server: HostileServer) -> dict[str, list[str]]:
    report = [r for r in server.requests if r.path == "/api/report"]
    assert len(report) == 1, [r.target for r in server.requests]
    return parse_qs(urlsplit(report[0].target).query)


def _busy(conn: Conn) -> None:
    """503 on /slow, 200 with an id elsewhere."""
    for _ in range(20):  # bounded
        request = conn.read_request()
        if request.path.endswith("/slow"):
            conn.respond(503, b"{}", reason="Service Unavailable", headers={"Content-Type": "application/json"})
        else:
            conn.respond(200, b'{"id": "r"}', headers={"Content-Type": "application/json"})


def test_action_parameters_win_over_caller_inputs_and_callee_defaults(steps: Compiled, mode: str) -> None:
    with HostileServer(_busy) as server:
        run(steps, "probe", mode, servers={"api": server.url + "/api"}, code=1, source="caller", note="kept")
        query = _report_query(server)
    # code: $statusCode (503) beats the caller's code=1; source: the action's literal beats
    # the caller's input and the callee's default; note: passed on by name as before.
    assert query == {"code": ["503"], "source": ["from-action"], "note": ["kept"]}


def test_without_action_parameters_inputs_pass_by_name_and_defaults_apply(steps: Compiled, mode: str) -> None:
    with HostileServer(_busy) as server:
        run(steps, "probe_defaults", mode, servers={"api": server.url + "/api"}, code=1, note="kept")
        query = _report_query(server)
    assert query == {"code": ["1"], "source": ["callee-default"], "note": ["kept"]}


def test_bad_action_parameters(compile_feature: Compiler) -> None:
    errors = _errors(compile_feature, "bad-actions.yaml")
    assert any("has 'in': 'query'" in e and "remove 'in'" in e for e in errors), errors
    assert any("workflow 'reportIt' has no input 'sorce'" in e and "did you mean 'source'" in e for e in errors), errors
    assert any("passes parameter 'code' twice" in e for e in errors), errors


def test_a_1_0_document_cannot_use_step_timeout_or_depends_on(compile_feature: Compiler) -> None:
    errors = _errors(compile_feature, "timeout-v10.yaml")
    assert any("steps[0].timeout" in e for e in errors) and any("steps[0].dependsOn" in e for e in errors), errors


def test_the_generated_packages_pass_mypy_strict_black_and_ruff(compile_feature: Compiler) -> None:
    packages = [compile_feature(FEATURE, spec).package for spec in ("arazzo.yaml", "loop.yaml", "forward-v10.yaml", "workflow-timeout.yaml")]
    out = compile_feature.out
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(out / ".mypy_cache_v11_steps")]
    completed = subprocess.run(mypy + [arg for p in packages for arg in ("-p", p)], cwd=out, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    black = subprocess.run([sys.executable, "-m", "black", "--check", "--quiet", *packages], cwd=out, capture_output=True, text=True, timeout=600)
    assert black.returncode == 0, black.stderr
    ruff = subprocess.run([*RUFF, *packages], cwd=out, capture_output=True, text=True, timeout=600)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_a_timeout_on_a_workflow_step_is_applied_without_a_warning(compile_feature: Compiler) -> None:
    # The behaviour: tests/conformance/test_v11_workflow_timeout.py.
    compiled = compile_feature(FEATURE, "workflow-step-timeout.yaml")
    assert not compiled.errors and not compiled.warnings, compiled.errors + compiled.warnings
    # the timed call it compiles to: IR snapshots tests/generator/ir_snapshots/call-timeout and timeouts


def test_a_1_0_document_relabelled_1_1_compiles_to_the_same_workflows(tmp_path: Path) -> None:
    # relabel-v10.yaml: gotos (a poll loop), retries, hand-overs to a workflow and a retry that
    # runs one, outputs read by later steps; no step dependsOn, timeout or action parameters,
    # and no criterion whose meaning 1.1 changes.  Labelled 1.1.0 it must not change.
    folder = CONFORMANCE_DIR / FEATURE
    text = (folder / "relabel-v10.yaml").read_text()
    assert text.startswith("arazzo: 1.0.1\n")
    sources: dict[str, str] = {}
    for version in ("1.0.1", "1.1.0"):
        copy = tmp_path / version
        copy.mkdir()
        shutil.copy(folder / "openapi.yaml", copy / "openapi.yaml")
        (copy / "arazzo.yaml").write_text(text.replace("arazzo: 1.0.1\n", f"arazzo: {version}\n", 1))
        result = build(Job(spec=copy / "arazzo.yaml", package="relabelled", out=tmp_path / "out"))
        assert not [d for d in result.report.items if d.severity is Severity.ERROR], [d.render() for d in result.report.items]
        sources[version] = "\n".join(line for line in result.files["workflows.py"].splitlines() if not line.startswith(("# sources:", "# stamp:")))
    assert "report_it(" in sources["1.0.1"] and "while True:" in sources["1.0.1"]
    assert sources["1.0.1"] == sources["1.1.0"]


def test_retry_action_parameters_reach_the_workflow_it_runs_first(steps: Compiled, mode: str) -> None:
    with HostileServer(_busy) as server:
        error, _ = _timed(lambda: run(steps, "probe_retry", mode, servers={"api": server.url + "/api"}, note="kept"))
        query = _report_query(server)
        probes = [r for r in server.requests if r.path == "/api/slow"]
    assert isinstance(error, steps.fn("StepFailed")) and error.status_code == 503, error  # type: ignore[arg-type]
    assert len(probes) == 2  # the probe, then its one retry
    assert query == {"code": ["503"], "source": ["callee-default"], "note": ["kept"]}


def test_action_parameters_on_a_goto_to_a_step_are_refused(compile_feature: Compiler) -> None:
    errors = _errors(compile_feature, "bad-action-step.yaml")
    assert len(errors) == 1 and "onFailure[0]" in errors[0] and "workflowId" in errors[0], errors


def test_the_aborted_request_is_reported_as_timed_out_before_the_fallback(steps: Compiled, stall_slow: HostileServer, mode: str) -> None:
    events: list[object] = []
    run(steps, "timeout_goto", mode, servers={"api": stall_slow.url + "/api"}, on_event=events.append)
    ends = [(e.step_id, e.attributes.get("error.type")) for e in events if e.kind == "request.end"]  # type: ignore[attr-defined]
    assert ends == [("slow", "StepTimedOut"), ("fallback", None)], ends


def test_depends_on_a_step_of_another_document(compile_feature: Compiler) -> None:
    # after: runs $sourceDescriptions.shared.prep first, so its step 'one' is a met prerequisite.
    errors = _errors(compile_feature, "bad-linked-order.yaml")
    assert len(errors) == 2, errors
    assert "workflows[0].steps[0].dependsOn[1]" in errors[0] and "workflow 'prep' has no step 'nope'" in errors[0]
    assert "workflows[1].steps[0].dependsOn[0]" in errors[1] and "add '$sourceDescriptions.shared.prep' to the dependsOn of workflow 'unprepared'" in errors[1]
