"""Conformance: dependsOn, workflow-level parameters / successActions /
failureActions, components.inputs through $ref, and calls that would recurse."""

from __future__ import annotations

import inspect

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run
from tests.replay import SleepRecorder


@pytest.fixture
def workflows(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("workflows")
    assert not compiled.errors, compiled.errors
    return compiled


def test_depends_on_runs_first_and_its_outputs_are_visible(workflows: Compiled, serve: Servers, mode: str) -> None:
    server = serve("workflows", "two-pages")
    outputs = run(workflows, "report", mode, servers={"reports": server.url}, user="ada", region="us")
    assert server.requests[0].path == "/login"
    assert outputs.token == "tok-1"  # $workflows.login.outputs.token
    assert server.requests[1].headers["authorization"] == "Bearer tok-1"


def test_workflow_level_parameters_apply_to_every_step(workflows: Compiled, serve: Servers, mode: str) -> None:
    server = serve("workflows", "two-pages")
    run(workflows, "report", mode, servers={"reports": server.url}, user="ada", region="us")
    assert [r.headers["x-region"] for r in server.requests[1:]] == ["us", "us", "us"]


def test_workflow_level_failure_actions_apply_to_every_step(workflows: Compiled, serve: Servers, mode: str) -> None:
    sleep = SleepRecorder()
    outputs = run(workflows, "report", mode, sleep=sleep, servers={"reports": serve("workflows", "two-pages").url}, user="ada", region="us")
    assert sleep.calls == [3.0]  # the workflow-level retry of page1's 503
    assert (outputs.first_rows, outputs.second_rows) == (10, 4)


def test_workflow_level_success_actions_apply_to_every_step(workflows: Compiled, serve: Servers, mode: str) -> None:
    server = serve("workflows", "one-page")
    outputs = run(workflows, "report", mode, servers={"reports": server.url}, user="ada")
    assert outputs.first_rows == 3
    assert outputs.second_rows is None  # page 1 was final: the workflow-level 'end' fired
    assert len(server.requests) == 2


def test_components_inputs_through_ref(workflows: Compiled) -> None:
    params = inspect.signature(workflows.fn("report")).parameters
    assert params["user"].annotation == "str" and params["user"].default is inspect.Parameter.empty
    assert params["region"].default == "eu"
    assert "user: Who logs in." in (workflows.fn("report").__doc__ or "")


def test_workflows_calling_each_other_in_a_cycle_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("workflows", "bad-cycle.yaml")
    assert compiled.module is None
    assert any("workflows call each other in a cycle: ping -> pong -> ping" in e for e in compiled.errors)


def test_ids_outside_the_recommended_pattern_warn(compile_feature: Compiler) -> None:
    # The spec: workflowId and stepId SHOULD conform to [A-Za-z0-9_-]+.  The workflow
    # still compiles; the warning (an error under --strict) says why it matters.
    compiled = compile_feature("workflows", "odd-ids.yaml")
    assert not compiled.errors and compiled.module is not None
    warnings = "\n".join(compiled.warnings)
    assert "odd-ids.yaml:6:17: warning: $.workflows[0].workflowId: workflowId 'log in' does not conform to [A-Za-z0-9_-]+" in warnings
    assert "$.workflows[0].steps[0].stepId: stepId 'login.step' does not conform" in warnings
    assert callable(compiled.fn("log_in"))


def test_workflow_names_the_module_uses_are_renamed_with_a_warning(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # 'time' and 'httpx' are imported by workflows.py: functions of those names would
    # shadow them (the default sleep=time.sleep would then be the workflow).
    compiled = compile_feature("workflows", "shadow.yaml")
    assert not compiled.errors, compiled.errors
    assert any("workflow 'time' is generated as time_(), since time is taken" in w for w in compiled.warnings)
    # the functions' names: IR snapshot tests/generator/ir_snapshots/shadowed-names
    server = serve("workflows", "shadow")
    outputs = run(compiled, "httpx_", mode, servers={"reports": server.url}, user="ada")
    assert outputs.token == "tok-2"


def test_inputs_keep_their_natural_names_and_forced_renames_warn(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # Inputs named like the generated code's locals (response, body, deadline, ...) keep
    # their names: the locals are the ones that give way ("_response").  mypy --strict
    # runs over this package in test_generated_code.py.
    compiled = compile_feature("workflows", "natural-inputs.yaml")
    assert not compiled.errors, compiled.errors
    natural = ["params", "url", "body", "headers", "state", "payload", "request", "outputs", "response", "http", "base", "deadline", "step", "secrets"]
    options = ["client", "servers", "poll_interval", "timeout", "max_response_bytes", "sleep", "on_event"]
    for name in ("natural", "natural_async"):
        assert list(inspect.signature(compiled.fn(name)).parameters) == natural + options
    assert list(inspect.signature(compiled.fn("renamed")).parameters) == ["class_", "timeout_"] + options
    renames = sorted(w.split(": warning: ", 1)[1].split("\n")[0] for w in compiled.warnings if "is generated as argument" in w)
    assert renames == [
        "$.workflows[1].inputs.properties.class: input 'class' is generated as argument class_, since class is a Python keyword",
        "$.workflows[1].inputs.properties.timeout: input 'timeout' is generated as argument timeout_, since timeout is an option of the function or a name the module imports",
    ]
    server = serve("workflows", "natural-inputs")
    values = {name: f"the-{name}" for name in natural[:8]} | {"headers": 2}
    outputs = run(compiled, "natural", mode, servers={"reports": server.url}, **values)
    assert (outputs.token, outputs.rows) == ("tok-1", 3)
    assert run(compiled, "renamed", mode, servers={"reports": server.url}, class_="Klass").token == "tok-2"


def test_an_optional_input_passed_to_a_required_one_is_checked_when_called(compile_feature: Compiler, mode: str) -> None:
    # httpx's 'user' is optional, time's is required: the generated calls narrow it
    # (mypy --strict: test_generated_code.py) and a missing value is a WorkflowError.
    compiled = compile_feature("workflows", "shadow.yaml")
    assert compiled.module is not None
    with pytest.raises(compiled.module.WorkflowError, match="workflow 'time' needs input 'user', which was not given"):
        run(compiled, "httpx_", mode, servers={"reports": "http://127.0.0.1:9"})


def test_a_value_that_does_not_fit_the_input_type_is_passed_as_is_with_a_warning(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # caller's free string goes to pick's enum input: mypy --strict would refuse the call
    # (test_generated_code.py checks the package), so it is cast, and the warning says so;
    # the literal 1 fits the integer input and is passed plainly.
    compiled = compile_feature("workflows", "types.yaml")
    assert not compiled.errors, compiled.errors
    warnings = [w for w in compiled.warnings if "is passed to input" in w]
    assert len(warnings) == 1
    assert "types.yaml:33:35: warning: $.workflows[1].steps[0].parameters[0].value: a value of type str is passed to input 'region' of workflow 'pick', of type Literal['eu', 'us']" in warnings[0].replace('"', "'")
    # how each is passed: IR snapshot tests/generator/ir_snapshots/input-cast
    server = serve("workflows", "types")
    assert run(compiled, "caller", mode, servers={"reports": server.url}, region="us").rows == 4
