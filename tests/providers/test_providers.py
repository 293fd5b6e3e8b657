"""The five providers' generated clients against recorded exchanges served on 127.0.0.1.

tests/providers/tables/ holds one module per provider (vapi, agentphone, voiceinfra,
nixflex, callingbox): its Provider and its rows (tests/providers/harness.py describes the
row types).  The tests below run every row, sync and async: runs that succeed (outputs
typed as the schemas say, the requests sent, the waits), every documented error
(StepFailed with the parsed error model, no secret anywhere, a failed POST never re-sent),
timeouts, the DEBUG decision log; and for every provider the generated signature, its
default servers and the client options.  Adding a provider is one more table module.
"""

from __future__ import annotations

import inspect
import logging

import httpx
import pytest

from tests.providers.harness import (
    OPTIONS,
    DecisionLog,
    ErrorCase,
    Mode,
    Provider,
    Replay,
    Scenario,
    TimeoutCase,
    assert_outputs,
    cases_for,
    decision_records,
    request_lines,
)
from tests.providers.tables import agentphone, callingbox, nixflex, vapi, voiceinfra
from tests.replay import SleepRecorder

# -- the tables ----------------------------------------------------------------------------

TABLES = (vapi, agentphone, voiceinfra, nixflex, callingbox)
PROVIDERS = {table.PROVIDER.name: table.PROVIDER for table in TABLES}
SCENARIOS = [row for table in TABLES for row in table.SCENARIOS]
ERRORS = [row for table in TABLES for row in table.ERRORS]
TIMEOUTS = [row for table in TABLES for row in table.TIMEOUTS]
DECISION_LOGS = [row for table in TABLES for row in table.DECISIONS]
EACH_PROVIDER = pytest.mark.parametrize("provider", list(PROVIDERS.values()), ids=list(PROVIDERS))


@pytest.mark.parametrize("case, mode", cases_for(SCENARIOS, label=lambda s: s.test))
def test_scenario(replay: Replay, case: Scenario, mode: Mode, caplog: pytest.LogCaptureFixture) -> None:
    provider = PROVIDERS[case.provider]
    server = replay(f"{provider.name}/{case.cassette}")
    sleep = SleepRecorder()
    with caplog.at_level(logging.WARNING):
        outputs = provider.run(mode, server, sleep, **case.options)

    assert isinstance(outputs, provider.outputs_model())
    assert_outputs(outputs, case.outputs)
    if case.dumped or case.dumped_keys is not None:
        dumped = outputs.model_dump(by_alias=True)
        if case.dumped_exactly:
            assert dumped == case.dumped
        for name, value in case.dumped.items():
            assert dumped[name] == value, name
        if case.dumped_keys is not None:
            assert set(dumped) == case.dumped_keys
    if isinstance(case.requests, int):
        assert len(server.requests) == case.requests
    elif case.requests is not None:
        assert request_lines(server) == list(case.requests)
    if case.methods is not None:
        assert [r.method for r in server.requests] == list(case.methods)
    if case.body is not None or case.body_has or case.omitted:
        body = server.requests[0].json()
        if case.body is not None:
            assert body == case.body
        for name, value in case.body_has.items():
            assert body[name] == value, name
        for name in case.omitted:
            assert name not in body  # omitted, not sent as null
    if case.sleeps is not None:
        assert sleep.calls == list(case.sleeps)
    if case.warning is not None:
        assert any(case.warning in r.getMessage() for r in caplog.records)
    if case.check is not None:
        case.check(outputs, server)


@pytest.mark.parametrize("case, mode", cases_for(ERRORS, label=lambda e: e.cassette))
def test_documented_error_raises_step_failed_with_typed_error(replay: Replay, case: ErrorCase, mode: Mode) -> None:
    provider = PROVIDERS[case.provider]
    server = replay(f"{provider.name}/{case.cassette}")
    sleep = SleepRecorder()
    with pytest.raises(provider.package.StepFailed) as caught:
        provider.run(mode, server, sleep)
    error = caught.value
    assert isinstance(error, provider.package.WorkflowError)
    assert error.step_id == case.step
    assert error.status_code == case.status
    assert error.method == case.method
    assert error.url == f"{server.url}{case.path}"
    assert isinstance(error.error, case.model), error.error
    assert case.check(error)
    if error.error is not None:
        provider.assert_no_secret(error.error.model_dump_json())  # the parsed model is scrubbed too
    assert case.step in str(error) and str(case.status) in str(error)
    provider.assert_no_secret(str(error), repr(error), error.body, error.url)
    # only a 429 on a GET (and a retry action) sends again; a failed POST is never re-sent
    assert len(server.requests) == case.sent
    assert sleep.calls == list(case.sleeps)  # a 429's Retry-After, a retry action's retryAfter


@pytest.mark.parametrize("case, mode", cases_for(TIMEOUTS, label=lambda t: t.cassette))
def test_a_call_that_never_ends_times_out_without_waiting(replay: Replay, case: TimeoutCase, mode: Mode) -> None:
    provider = PROVIDERS[case.provider]
    server = replay(f"{provider.name}/{case.cassette}")
    sleep = SleepRecorder()
    with pytest.raises(provider.package.WorkflowTimeout) as caught:
        provider.run(mode, server, sleep, **case.options)
    assert caught.value.step_id == case.step
    assert isinstance(caught.value, provider.package.WorkflowError)
    assert len(server.requests) == case.sent
    assert sleep.calls == list(case.sleeps)
    provider.assert_no_secret(str(caught.value), repr(caught.value))


@pytest.mark.parametrize("case, mode", cases_for(DECISION_LOGS, label=lambda d: d.cassette))
def test_debug_log_records_each_decision_with_the_spec_names(
    replay: Replay, case: DecisionLog, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    provider = PROVIDERS[case.provider]
    logger = f"generated.{provider.name}"
    with caplog.at_level(logging.DEBUG, logger=logger):
        provider.run(mode, replay(f"{provider.name}/{case.cassette}"), SleepRecorder(), **case.options)
    records = decision_records(caplog)
    assert all(r.levelno == logging.DEBUG and r.name == logger for r in records)
    assert [r.getMessage() for r in records] == list(case.messages)
    provider.assert_no_secret(*(r.getMessage() for r in caplog.records))


@EACH_PROVIDER
def test_signature_follows_the_contract(provider: Provider) -> None:
    params = inspect.signature(provider.function("sync")).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[: len(provider.inputs)] == list(provider.inputs)
    for name in provider.optional_inputs:
        assert params[name].default is None
    for name, default in provider.defaults.items():
        assert params[name].default == default
    for option in OPTIONS:
        assert option in params
    assert list(inspect.signature(provider.function("async")).parameters) == list(params)


@EACH_PROVIDER
def test_default_server_is_the_real_api(provider: Provider) -> None:
    workflows = __import__(f"generated.{provider.name}.workflows", fromlist=["SERVERS"])
    assert workflows.SERVERS == provider.default_servers


@EACH_PROVIDER
def test_a_given_client_is_reused_and_left_open(replay: Replay, provider: Provider) -> None:
    server = replay(f"{provider.name}/happy_path")
    with httpx.Client() as client:
        provider.run("sync", server, SleepRecorder(), client=client)
        assert not client.is_closed


@EACH_PROVIDER
def test_unknown_server_name_is_rejected(provider: Provider) -> None:
    with pytest.raises(ValueError, match="unknown server 'nope'"):
        provider.function("sync")(**provider.inputs, servers={"nope": "http://127.0.0.1:9"}, sleep=SleepRecorder())
