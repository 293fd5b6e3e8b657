"""Durable receive steps: generated/voiceinfra_events/durable.py runs the VoiceInfra
call-outcome workflow (POST /calls/outbound, then a receive step on ``call.completed``)
under DBOS in real worker processes (tests/durable/worker.py, SQLite).  The receive is a
durable ``DBOS.recv``; the signed webhook is POSTed to the package's WebhookReceiver in
this process, whose messages ``durable.forward`` sends to the workflow with a
``DBOSClient`` (this process does not launch DBOS, so it never runs a workflow).

- the run finishes with the outputs of the webhook;
- kill -9 while the receive step waits, the webhook delivered while no worker runs:
  a new worker recovers the run and finishes it; the create was sent exactly once;
- a webhook that arrives before the workflow reaches its receive step (while the
  create's answer is held) is queued by DBOS, not lost;
- after each, no cell of the database holds the API key, the webhook secret or the
  signature (the forwarder drops the signature header);
- a workflow with a send step (tests/events/test_mqtt_end_to_end.py's document, compiled
  here with the durable option): the send is a DBOS step through
  ``configure(event_transport=...)`` (tests/durable/rx_worker.py); killed while its
  receive step waits, the recovered run does not send again, skips another call's
  message and finishes with the right one's payload and (non-secret) header.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from arazzo_codegen.config import Durable
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package
from dbos import DBOSClient

from generated.voiceinfra_events import durable, voiceinfra_webhooks_receiver
from generated.voiceinfra_events._runtime import Message, WebhookReceiver
from tests.durable import harness
from tests.durable.harness import ROOT, assert_no_secret, wait_until
from tests.replay import Cassette, ReplayServer

API_KEY = "vi_key_6e2b9f1d4c7a"
WEBHOOK_SECRET = "vi_whsec_3c9a71e05d24b8f6"
CALL_ID = "vcall_8f3e2d1c"
WORKFLOW_ID = "campaign-9:row-3"
INPUTS = {"agent_id": "agent_42", "from_number": "+18005551234", "to_number": "+14155550100"}
ENV = {"VOICEINFRA_EVENTS_API_KEY": API_KEY}
EVENT: dict[str, Any] = {
    "call_id": CALL_ID,
    "event": "call.completed",
    "from_number": "+18005551234",
    "to_number": "+14155550100",
    "agent_id": "agent_42",
    "duration_seconds": 143,
    "start_time": "2026-11-05T12:30:07Z",
    "end_time": "2026-11-05T12:32:30Z",
    "call_outcome": "answered",
    "recording_url": "https://storage.voiceinfra.ai/recordings/vcall_8f3e2d1c.mp3",
    "transcript": "Agent: Hi Sarah.",
    "summary": "Sarah agreed to renew the annual plan.",
    "extracted_data": {"renewal_confirmed": True},
}
OUTPUTS = {
    "callId": CALL_ID,
    "callOutcome": "answered",
    "durationSeconds": 143,
    "startTime": "2026-11-05T12:30:07Z",
    "endTime": "2026-11-05T12:32:30Z",
    "transcript": "Agent: Hi Sarah.",
    "summary": "Sarah agreed to renew the annual plan.",
    "recordingUrl": "https://storage.voiceinfra.ai/recordings/vcall_8f3e2d1c.mp3",
    "extractedData": {"renewal_confirmed": True},
}


def create_server(delay: float = 0.0) -> ReplayServer:
    """The VoiceInfra API: one POST /calls/outbound, answered after ``delay`` seconds."""
    response: dict[str, Any] = {"status": 200, "json": {"call_id": CALL_ID, "status": "queued", "agent_id": "agent_42"}}
    if delay:
        response["delay"] = delay
    cassette = Cassette.from_dict(
        {
            "interactions": [
                {
                    "request": {
                        "method": "POST",
                        "path": "/calls/outbound",
                        "headers": {"X-API-Key": API_KEY},
                        "json": {"agent_id": "agent_42", "from_number": "+18005551234", "to_number": "+14155550100"},
                    },
                    "response": response,
                }
            ]
        }
    )
    server = ReplayServer(cassette)
    server.start()
    return server


def spec(tmp_path: Path, server: ReplayServer, start: str | bool) -> dict[str, Any]:
    return {
        "db": str(tmp_path / "dbos.sqlite"),
        "path": str(ROOT / "generated"),
        "package": "voiceinfra_events",
        "workflow": "voiceinfra_call_outcome",
        "workflow_id": WORKFLOW_ID,
        "start": start,
        "inputs": INPUTS,
        "servers": {"voiceinfraCallsApi": server.url},
    }


def signature(body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(receiver: WebhookReceiver) -> str:
    """POST the signed call.completed webhook; returns its signature."""
    body = json.dumps(EVENT).encode()
    signed = signature(body)
    answer = httpx.post(
        receiver.url,
        content=body,
        headers={"Content-Type": "application/json", "X-VoiceInfra-Event": "call.completed", "X-VoiceInfra-Signature": signed},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text  # the forwarder's subscription took it
    return signed


def operations(db: Path, workflow_id: str = WORKFLOW_ID) -> list[str]:
    """The names of the workflow's recorded steps (none before the worker created the tables)."""
    connection = sqlite3.connect(db)
    try:
        return [r[0] for r in connection.execute("SELECT function_name FROM operation_outputs WHERE workflow_uuid = ?", (workflow_id,))]
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()


def waiting(db: Path) -> bool:
    """The receive step waits: its DBOS.recv recorded its wake-up time (a DBOS.sleep
    step) after the create's exchange, and has not received yet."""
    names = operations(db)
    return "POST /calls/outbound" in names and "DBOS.sleep" in names and "DBOS.recv" not in names


def messages_waiting(db: Path) -> int:
    """DBOS messages sent to the workflow and not yet received."""
    connection = sqlite3.connect(db)
    try:
        return int(connection.execute("SELECT count(*) FROM notifications WHERE destination_uuid = ? AND NOT consumed", (WORKFLOW_ID,)).fetchone()[0])
    finally:
        connection.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[DBOSClient]:
    """A DBOSClient on the workflows' SQLite database (this process never launches DBOS)."""
    started = DBOSClient(system_database_url=f"sqlite:///{tmp_path / 'dbos.sqlite'}")
    try:
        yield started
    finally:
        started.destroy()


@pytest.fixture
def bridge(request: pytest.FixtureRequest, client: DBOSClient) -> Iterator[tuple[WebhookReceiver, durable.Forwarder]]:
    """The webhook receiver and the forwarder into the workflows' database (a web
    process); ``indirect`` param: the forwarder's ``select``."""
    select = getattr(request, "param", None)
    with voiceinfra_webhooks_receiver(secret=WEBHOOK_SECRET) as receiver, durable.forward(receiver, client=client, select=select) as forwarder:
        yield receiver, forwarder


def check_secrets(db: Path, signed: str) -> None:
    assert_no_secret(db, (API_KEY, WEBHOOK_SECRET, signed), CALL_ID)
    assert_no_secret(db, ("transcript-is-visible-but-not-a-secret",), "Sarah agreed to renew")  # the message is recorded


def test_a_durable_run_finishes_with_the_webhooks_outputs(tmp_path: Path, spawn: Any, bridge: Any, client: DBOSClient) -> None:
    receiver, forwarder = bridge
    server = create_server()
    try:
        worker = spawn("worker", spec(tmp_path, server, "start"), ENV)
        wait_until(lambda: waiting(tmp_path / "dbos.sqlite"), "the receive step's durable wait")
        signed = post_webhook(receiver)
        outcome = worker.outcome()
    finally:
        server.stop()
    assert outcome == {"event": "result", "outputs": OUTPUTS}, outcome
    server.assert_done()
    assert forwarder.forwarded == 1 and forwarder.failed == 0
    late = Message("call.completed", EVENT, {"x-voiceinfra-event": "call.completed"})
    assert durable.deliver(late, client=client) == 0  # the run has finished: nobody waits
    check_secrets(tmp_path / "dbos.sqlite", signed)


def test_killed_while_the_receive_step_waits_a_new_worker_gets_the_webhook(tmp_path: Path, spawn: Any, bridge: Any) -> None:
    receiver, forwarder = bridge
    db = tmp_path / "dbos.sqlite"
    server = create_server()
    try:
        first = spawn("first", spec(tmp_path, server, "start"), ENV)
        wait_until(lambda: waiting(db), "the receive step's durable wait")
        first.kill()
        signed = post_webhook(receiver)  # no worker runs: DBOS keeps the message for the workflow
        wait_until(lambda: forwarder.forwarded == 1, "the forward")
        assert messages_waiting(db) == 1
        second = spawn("second", spec(tmp_path, server, False), ENV)
        outcome = second.outcome()
    finally:
        server.stop()
    assert outcome == {"event": "result", "outputs": OUTPUTS}, outcome
    server.assert_done()
    assert [r.path for r in server.requests if r.method == "POST"] == ["/calls/outbound"]  # exactly one create
    assert messages_waiting(db) == 0
    check_secrets(db, signed)


@pytest.mark.parametrize("bridge", [lambda message: [WORKFLOW_ID]], indirect=True)
def test_a_webhook_that_beats_the_create_response_is_not_lost(tmp_path: Path, spawn: Any, bridge: Any, client: DBOSClient) -> None:
    receiver, forwarder = bridge
    db = tmp_path / "dbos.sqlite"
    server = create_server(delay=1.5)  # the create's answer is held: the workflow is in its HTTP step
    try:
        worker = spawn("worker", spec(tmp_path, server, "start"), ENV)
        wait_until(lambda: len(server.requests) == 1, "POST /calls/outbound at the server")
        assert "DBOS.sleep" not in operations(db)  # the receive step has not started
        other = Message("call.completed", {**EVENT, "call_id": "vcall_other"}, {})
        assert durable.deliver(other, client=client, workflow_ids=["campaign-9:row-4"]) == 0  # no such run
        assert messages_waiting(db) == 0
        signed = post_webhook(receiver)
        wait_until(lambda: forwarder.forwarded == 1, "the forward")
        assert messages_waiting(db) == 1  # queued for the workflow before it waits
        outcome = worker.outcome()
    finally:
        server.stop()
    assert outcome == {"event": "result", "outputs": OUTPUTS}, outcome
    server.assert_done()
    check_secrets(db, signed)


MQTT_DOCS = ROOT / "tests" / "events" / "test_mqtt_end_to_end.py"
SEND_ID = "calls:rx-1"


@pytest.fixture(scope="module")
def send_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MQTT end-to-end test's AsyncAPI and Arazzo documents (a send step, then a
    correlated receive step) compiled with the durable option; returns the folder."""
    folder = tmp_path_factory.mktemp("rx_send")
    text = MQTT_DOCS.read_text(encoding="utf-8")
    for name, file in (("ASYNCAPI", "asyncapi.yaml"), ("ARAZZO", "arazzo.yaml")):
        found = re.search(name + r' = """\\\n(.*?)"""', text, re.DOTALL)
        assert found is not None, name
        (folder / file).write_text(found.group(1).replace("{prefix}", "rx"), encoding="utf-8")
    out = folder / "out"
    job = Job(spec=folder / "arazzo.yaml", package="rx_send_events", out=out, durable=Durable())
    result = build(job)
    assert "durable.py" in result.files, [d.render() for d in result.report.items]
    write_package(job.package_dir, result.files)
    return out


def test_a_send_step_is_a_step_and_is_not_sent_again_after_a_crash(tmp_path: Path, spawn: Any, client: DBOSClient, send_package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "WORKER", harness.HERE / "rx_worker.py")
    db = tmp_path / "dbos.sqlite"
    sent = tmp_path / "sent.jsonl"
    run = {"db": str(db), "path": str(send_package), "package": "rx_send_events", "workflow": "call_and_wait", "workflow_id": SEND_ID, "inputs": {"call_id": "c-1", "to": "+14155550100"}, "sent": str(sent)}
    first = spawn("first", {**run, "start": True}, {})
    first.wait_for("sent")
    wait_until(lambda: "DBOS.sleep" in operations(db, SEND_ID), "the receive step's durable wait")
    first.kill()
    sys.path.insert(0, str(send_package))
    try:
        module = importlib.import_module("rx_send_events.durable")
    finally:
        sys.path.remove(str(send_package))
    assert module.RECEIVE_CHANNELS == ("rx/calls/completed",)
    other = Message("rx/calls/completed", {"call_id": "c-0", "status": "completed", "duration": 1}, {"x-event-type": "other"})
    mine = Message("rx/calls/completed", {"call_id": "c-1", "status": "completed", "duration": 42}, {"x-event-type": "call.completed", "x-signature": "s3cr3t-sig"})
    assert module.deliver(other, client=client) == 1
    assert module.deliver(mine, client=client) == 1
    second = spawn("second", {**run, "start": False}, {})
    outcome = second.outcome()
    assert outcome == {"event": "result", "outputs": {"status": "completed", "duration": 42, "eventType": "call.completed"}}, outcome
    lines = sent.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"channel": "rx/calls/requests", "payload": {"call_id": "c-1", "to": "+14155550100"}, "headers": {"x-request-id": "c-1"}}]  # once
    assert not any(e["event"] == "sent" for e in second.events)
    assert "send rx/calls/requests" in operations(db, SEND_ID)
    assert_no_secret(db, ("s3cr3t-sig",), "call.completed")
