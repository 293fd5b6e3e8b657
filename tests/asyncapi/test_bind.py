"""Binding send/receive steps (generator/resolve.py): ``channelPath`` and an
``operationId`` that names an AsyncAPI operation (bare, ``events.opId`` and
``$sourceDescriptions.events.opId``) become ``BoundStep.event``; every way of naming
something that is not there, the ``action`` rules, and the correlation and payload
checks, each told at its place (in the Arazzo document, or in the AsyncAPI file for
what the AsyncAPI file lacks).  Until send/receive steps are compiled, each bound one
ends in resolve's interim "send/receive steps are not compiled yet" (GATE), which
the events analysis removes: it is left out of what these tests compare.

fixtures/calls-asyncapi.yaml: channels callCompleted (a message with a payload
correlation), callRinging (no correlation), audit (a message without payload);
operations onCompleted, onRinging and getUsers (also an operationId of
fixtures/users-openapi.yaml).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arazzo_codegen.cli import main
from arazzo_codegen.diagnostics import Report
from arazzo_codegen.load import Loader
from arazzo_codegen.resolve import Resolved, resolve

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HEAD = (
    "arazzo: 1.1.0\ninfo: {title: T, version: 1.0.0}\nsourceDescriptions:\n"
    "  - {name: api, url: ./openapi.yaml, type: openapi}\n  - {name: events, url: ./events.yaml, type: asyncapi}\n"
    "workflows:\n  - workflowId: w\n    steps:\n"
)
GATE = "send/receive steps are not compiled yet"


#: Warnings of the analysis stage (tests/conformance/events checks them); binding tests leave them out.
ANALYSIS_WARNINGS = ("has no timeout: it waits without bound", "has no requestBody: it sends a message without a payload", "has no successCriteria, but channel")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(FIXTURES / "calls-asyncapi.yaml", tmp_path / "events.yaml")
    shutil.copy(FIXTURES / "users-openapi.yaml", tmp_path / "openapi.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(folder: Path, steps: str, capsys: pytest.CaptureFixture[str], head: str = HEAD) -> tuple[int, list[str], str]:
    (folder / "doc.arazzo.yaml").write_text(head + steps, encoding="utf-8")
    code = main(["validate", "doc.arazzo.yaml"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if (": error: " in line or ": warning: " in line) and GATE not in line and not any(w in line for w in ANALYSIS_WARNINGS)], err


def gate_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if GATE in line]


def resolved(folder: Path, steps: str) -> tuple[Resolved, Report]:
    (folder / "doc.arazzo.yaml").write_text(HEAD + steps, encoding="utf-8")
    report = Report()
    loader = Loader(report)
    arazzo = loader.load(folder / "doc.arazzo.yaml")
    assert arazzo is not None
    return resolve(arazzo, loader, report), report


def test_channel_path_binds_the_channel(folder: Path) -> None:
    doc, _ = resolved(folder, "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/channels/callCompleted'\n        action: receive\n        correlationId: CA12\n")
    assert sorted(doc.async_sources) == ["events"] and sorted(doc.sources) == ["api"]
    assert [s.name for s in doc.all_async_sources()] == ["events"]
    event = doc.steps[(0, 0)].event
    assert event is not None and doc.steps[(0, 0)].operation is None
    assert (event.source is doc.async_sources["events"], event.channel.key, event.channel.effective_address, event.operation, event.action) == (True, "callCompleted", "call.completed", None, "receive")
    assert [m.name for m in event.messages] == ["call.completed"]


@pytest.mark.parametrize("operation_id", ["$sourceDescriptions.events.onRinging", "onRinging", "events.onRinging"])
def test_operation_id_binds_the_operation_and_its_channel(folder: Path, operation_id: str) -> None:
    # The step's own action (receive) differs from the operation's (send): the spec allows it.
    doc, _ = resolved(folder, f"      - stepId: ring\n        operationId: {operation_id}\n        action: receive\n")
    event = doc.steps[(0, 0)].event
    assert event is not None and event.operation is not None
    assert (event.operation.operation_id, event.operation.action, event.channel.key, event.action) == ("onRinging", "send", "callRinging", "receive")
    assert event.messages == event.operation.messages == event.channel.messages


def test_openapi_steps_still_bind_beside_asyncapi_sources(folder: Path) -> None:
    doc, report = resolved(folder, "      - stepId: list\n        operationId: listUsers\n      - stepId: qualified\n        operationId: $sourceDescriptions.api.getUsers\n")
    assert [d.render() for d in report.items] == []
    assert [(b.operation.display_name if b.operation else None, b.event) for b in doc.steps.values()] == [("listUsers", None), ("getUsers", None)]


BINDING = [
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/channels/callCompleted'\n        action: receive\n        correlationId: CA12\n",
        [],
        id='channel_path_ok',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/operations/onCompleted'\n        action: receive\n",
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: channelPath '{$sourceDescriptions.events.url}#/operations/onCompleted' points at an operation, not at a Channel Object"],
        id='channel_path_operation',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/channels/callComplete'\n        action: send\n",
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: channelPath '{$sourceDescriptions.events.url}#/channels/callComplete': events.yaml has no channel 'callComplete'"],
        id='channel_path_unknown',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/channels/call.ringing'\n        action: send\n",
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: channelPath '{$sourceDescriptions.events.url}#/channels/call.ringing': events.yaml has no channel 'call.ringing'"],
        id='channel_path_address',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/channels/callRinging/messages/ringing'\n        action: send\n",
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: channelPath '{$sourceDescriptions.events.url}#/channels/callRinging/messages/ringing' does not point at a Channel Object"],
        id='channel_path_deeper',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.api.url}#/channels/users'\n        action: send\n",
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: channelPath '{$sourceDescriptions.api.url}#/channels/users': source description 'api' is an OpenAPI document, which has no channels"],
        id='channel_path_openapi',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '{$sourceDescriptions.event.url}#/channels/callRinging'\n        action: send\n",
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: unknown source description 'event' in channelPath"],
        id='channel_path_unknown_source',
    ),
    pytest.param(
        '      - stepId: done\n        channelPath: callRinging\n        action: send\n',
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: malformed channelPath 'callRinging'"],
        id='channel_path_malformed',
    ),
    pytest.param(
        "      - stepId: done\n        channelPath: '$sourceDescriptions.events#/channels/callRinging'\n        action: send\n",
        ["doc.arazzo.yaml:10:22: warning: $.workflows[0].steps[0].channelPath: channelPath '$sourceDescriptions.events#/channels/callRinging' names the source description without '.url'"],
        id='channel_path_no_url',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: $sourceDescriptions.events.onRinging\n        action: receive\n',
        [],
        id='op_qualified',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: onRinging\n        action: send\n',
        [],
        id='op_bare',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: events.onRinging\n        action: send\n',
        ["doc.arazzo.yaml:10:22: warning: $.workflows[0].steps[0].operationId: operationId 'events.onRinging' is qualified by the source name without '$sourceDescriptions.'"],
        id='op_dotted',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: $sourceDescriptions.events.onRing\n        action: send\n',
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].operationId: operationId '$sourceDescriptions.events.onRing': AsyncAPI source 'events' (events.yaml) has no operation 'onRing'"],
        id='op_unknown_qualified',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: getUsers\n        action: send\n',
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].operationId: operationId 'getUsers' exists in several sources (api, events)"],
        id='op_ambiguous',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: $sourceDescriptions.events.onRinging\n',
        ["doc.arazzo.yaml:9:9: error: $.workflows[0].steps[0]: step 'ring' names AsyncAPI operation 'onRinging', but has no action"],
        id='op_no_action',
    ),
    pytest.param(
        '      - stepId: list\n        operationId: listUsers\n        action: send\n',
        ["doc.arazzo.yaml:11:17: error: $.workflows[0].steps[0].action: step 'list' calls OpenAPI operation 'listUsers', which is not sent or received: 'action' is only for AsyncAPI steps"],
        id='openapi_with_action',
    ),
    pytest.param(
        "      - stepId: list\n        operationPath: '{$sourceDescriptions.events.url}#/channels/callRinging'\n",
        ["doc.arazzo.yaml:10:24: error: $.workflows[0].steps[0].operationPath: operationPath '{$sourceDescriptions.events.url}#/channels/callRinging': source description 'events' is an AsyncAPI document"],
        id='operation_path_async',
    ),
    pytest.param(
        '      - stepId: list\n        operationId: onRingin\n',
        ["doc.arazzo.yaml:10:22: error: $.workflows[0].steps[0].operationId: unknown operationId 'onRingin'"],
        id='unknown_bare',
    ),
    pytest.param(
        '      - stepId: done\n        operationId: $sourceDescriptions.events.onCompleted\n        action: receive\n',
        ["doc.arazzo.yaml:9:9: error: $.workflows[0].steps[0]: step 'done' receives on operation 'onCompleted', whose message 'call.completed' defines a correlationId ($message.payload#/call_id), but the step has no correlationId"],
        id='receive_without_correlation',
    ),
    pytest.param(
        '      - stepId: ring\n        operationId: $sourceDescriptions.events.onRinging\n        action: receive\n        correlationId: $inputs.id\n',
        ["doc.arazzo.yaml:12:24: error: $.workflows[0].steps[0].correlationId: step 'ring' has a correlationId, but no message of operation 'onRinging' defines where a message carries one, so there is nothing to compare it with", "doc.arazzo.yaml:12:24: warning: $.workflows[0].steps[0].correlationId: workflow 'w' has no inputs schema: $inputs.id becomes the required argument id, typed Any"],
        id='correlation_without_message_one',
    ),
    pytest.param(
        "      - stepId: log\n        channelPath: '{$sourceDescriptions.events.url}#/channels/audit'\n        action: send\n",
        ["events.yaml:26:7: error: $.channels.audit.messages.entry: message 'entry' has no payload schema, so a step that sends or receives it cannot type or check it"],
        id='no_payload',
    ),
]


@pytest.mark.parametrize(("steps", "expected"), BINDING)
def test_binding_and_its_diagnostics(folder: Path, capsys: pytest.CaptureFixture[str], steps: str, expected: list[str]) -> None:
    code, found, err = validate(folder, steps, capsys)
    assert found == expected, err
    assert code == (1 if any(": error: " in line for line in expected) or gate_lines(err) else 0)


def test_hints_point_into_the_asyncapi_file_and_name_the_fix(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = validate(folder, "      - stepId: ring\n        operationId: $sourceDescriptions.events.onRinging\n        action: receive\n        correlationId: CA12\n", capsys)
    assert "hint: add correlationId: {location: '$message.payload#/<field>'} to message 'ringing' (events.yaml:21:7), or remove the step's correlationId" in err
    # ... and events.yaml:21:7 is where that message is.
    assert (folder / "events.yaml").read_text(encoding="utf-8").splitlines()[20] == "      ringing:"
    _, _, err = validate(folder, "      - stepId: done\n        operationId: onCompleted\n        action: receive\n", capsys)
    assert "hint: add correlationId: <expression> (the value this run's message carries, e.g. $steps.<stepId>.outputs.<name>), so that only its message is taken" in err
    _, _, err = validate(folder, "      - stepId: ring\n        operationId: onRinging\n", capsys)
    assert "hint: add action: send or action: receive (the workflow's own side; the AsyncAPI operation says 'send' from the described application's side, and the two may differ)" in err


def test_a_valid_document_has_no_other_diagnostics(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "pet-asyncapi.yaml", folder / "pet-asyncapi.yaml")
    head = "arazzo: 1.1.0\ninfo: {title: Pets, version: 1.0.0}\nsourceDescriptions:\n  - {name: petEvents, url: ./pet-asyncapi.yaml, type: asyncapi}\nworkflows:\n  - workflowId: order\n    steps:\n"
    steps = (
        "      - stepId: place\n        operationId: $sourceDescriptions.petEvents.placeOrder\n        action: send\n"
        "      - stepId: confirm\n        channelPath: '{$sourceDescriptions.petEvents.url}#/channels/confirm-order'\n        action: receive\n        correlationId: abc\n"
    )
    code, found, err = validate(folder, steps, capsys, head)
    assert found == [], err
    gate = gate_lines(err)
    assert gate in ([], [
        "doc.arazzo.yaml:8:9: error: $.workflows[0].steps[0]: step 'place': send/receive steps are not compiled yet",
        "doc.arazzo.yaml:11:9: error: $.workflows[0].steps[1]: step 'confirm': send/receive steps are not compiled yet",
    ]), err
    assert code == (1 if gate else 0)


def test_steps_of_an_asyncapi_2_source_are_not_told_again(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "events.yaml").write_text('asyncapi: 2.6.0\ninfo: {title: E, version: "1"}\nchannels: {}\n', encoding="utf-8")
    steps = "      - stepId: done\n        channelPath: '{$sourceDescriptions.events.url}#/channels/callCompleted'\n        action: receive\n      - stepId: ring\n        operationId: $sourceDescriptions.events.onRinging\n        action: send\n"
    code, found, _ = validate(folder, steps, capsys)
    assert code == 1
    assert found == ["events.yaml:1:11: error: $.asyncapi: AsyncAPI 2 is not supported: its publish/subscribe are seen from the application's side, the reverse of Arazzo's send/receive"]


def test_source_type_and_document_must_agree(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = HEAD.replace("{name: events, url: ./events.yaml, type: asyncapi}", "{name: events, url: ./events.yaml, type: openapi}")
    code, found, _ = validate(folder, "      - stepId: list\n        operationId: listUsers\n", capsys, head)
    assert code == 1
    assert found == ["doc.arazzo.yaml:5:46: error: $.sourceDescriptions[1].type: source description 'events' is of type openapi, but events.yaml is an AsyncAPI document"]
    head = HEAD.replace("{name: events, url: ./events.yaml, type: asyncapi}", "{name: events, url: ./openapi.yaml, type: asyncapi}")
    code, found, _ = validate(folder, "      - stepId: list\n        operationId: listUsers\n", capsys, head)
    assert found == ["doc.arazzo.yaml:5:47: error: $.sourceDescriptions[1].type: source description 'events' is of type asyncapi, but openapi.yaml is an OpenAPI document"]


def test_an_untyped_asyncapi_source_is_read_and_in_1_0_is_refused(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = HEAD.replace("{name: events, url: ./events.yaml, type: asyncapi}", "{name: events, url: ./events.yaml}")
    steps = "      - stepId: ring\n        operationId: onRinging\n        action: send\n"
    code, found, _ = validate(folder, steps, capsys, head)
    assert found == []
    old = head.replace("arazzo: 1.1.0", "arazzo: 1.0.1")
    code, found, _ = validate(folder, "      - stepId: list\n        operationId: listUsers\n", capsys, old)
    assert code == 1
    assert found == ["doc.arazzo.yaml:5:5: error: $.sourceDescriptions[1]: source description 'events' is an AsyncAPI document; AsyncAPI sources are an Arazzo 1.1 feature"]


def test_a_message_without_correlation_beside_correlated_ones_is_a_warning(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (folder / "events.yaml").read_text(encoding="utf-8")
    text = text.replace("      ringing:\n        payload: {type: object, properties: {call_id: {type: string}}}\n", "      ringing:\n        payload: {type: object, properties: {call_id: {type: string}}}\n      late:\n        payload: {type: object, properties: {call_id: {type: string}}}\n        correlationId: {location: '$message.payload#/call_id'}\n")
    (folder / "events.yaml").write_text(text, encoding="utf-8")
    _, found, err = validate(folder, "      - stepId: ring\n        channelPath: '{$sourceDescriptions.events.url}#/channels/callRinging'\n        action: receive\n        correlationId: CA12\n", capsys)
    assert found == [
        "doc.arazzo.yaml:12:24: warning: $.workflows[0].steps[0].correlationId: message 'ringing' of channel 'callRinging' defines no correlationId, so step 'ring', which waits for its correlationId, never takes one",
    ], err
    assert "hint: add correlationId: {location: ...} to message 'ringing' (events.yaml:21:7), if it is meant to end the wait" in err


def test_a_step_naming_a_broken_operation_or_channel_is_not_told_again(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (folder / "events.yaml").read_text(encoding="utf-8").replace("  onRinging:\n    action: send\n", "  onRinging:\n    action: push\n").replace("  audit:\n    address: audit\n", "  audit:\n    address: [audit]\n")
    (folder / "events.yaml").write_text(text, encoding="utf-8")
    steps = "      - stepId: ring\n        operationId: onRinging\n        action: send\n      - stepId: log\n        channelPath: '{$sourceDescriptions.events.url}#/channels/audit'\n        action: send\n"
    code, found, err = validate(folder, steps, capsys)
    assert code == 1
    assert found == [
        "events.yaml:24:5: error: $.channels.audit.address: the address of channel 'audit' must be a string or null, not a list",
        "events.yaml:26:7: error: $.channels.audit.messages.entry: message 'entry' has no payload schema, so a step that sends or receives it cannot type or check it",
        "events.yaml:32:13: error: $.operations.onRinging.action: operation 'onRinging' has action 'push'",
    ], err
