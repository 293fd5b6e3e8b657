"""The queue and handle API of durable.py, in real worker processes on SQLite:
``enqueue_<fn>`` twice under one workflow id runs one workflow (the server sees one
set of creates), ``status`` and ``result`` report it, ``cancel`` stops a poll loop
that would never end."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from tests.durable.harness import assert_no_secret, serve
from tests.durable.test_recovery import (
    VAPI_ENV,
    VAPI_OUTPUTS,
    VAPI_TOKEN,
    gets,
    posts,
    vapi,
)


def test_enqueueing_one_id_twice_runs_one_workflow(tmp_path: Path, spawn: Any) -> None:
    server = serve("vapi/happy_path")
    try:
        worker = spawn("worker", vapi(tmp_path, server, start="enqueue", workflow_id="campaign-1:row-8", inputs={"poll_interval": 0.01}), VAPI_ENV)
        enqueued = worker.wait_for("enqueued")
        outcome = worker.outcome()
    finally:
        server.stop()
    assert enqueued["ids"] == ["campaign-1:row-8", "campaign-1:row-8"] and enqueued["queue"] == "vapi"
    assert outcome == {"event": "result", "outputs": VAPI_OUTPUTS}, outcome
    server.assert_done()
    assert posts(server) == ["/assistant", "/phone-number", "/call"]
    with sqlite3.connect(tmp_path / "dbos.sqlite") as db:
        runs = db.execute("SELECT workflow_uuid, status, name, queue_name FROM workflow_status").fetchall()
        queues = db.execute("SELECT * FROM queues").fetchall() if _has_table(db, "queues") else []
    db.close()
    assert runs == [("campaign-1:row-8", "SUCCESS", "vapi.assistant-phone-outbound-call", "vapi")]
    assert queues, "the queue's limits are registered in the database"
    assert_no_secret(tmp_path / "dbos.sqlite", (VAPI_TOKEN,), "asst_1")


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def test_cancel_stops_a_poll_loop(tmp_path: Path, spawn: Any) -> None:
    server = serve("vapi_never_ends")
    server.expect_unconsumed()
    try:
        worker = spawn("worker", vapi(tmp_path, server, start="start", inputs={"poll_interval": 0.05}, cancel_after=1.0), VAPI_ENV)
        outcome = worker.outcome()
        stopped = gets(server)
        time.sleep(0.3)
    finally:
        server.stop()
    assert outcome["event"] == "error" and outcome["status"] == "CANCELLED", outcome
    assert 2 <= stopped == gets(server), (stopped, gets(server))  # it polled, then stopped
    assert posts(server) == ["/assistant", "/phone-number", "/call"]


def test_a_missing_credential_fails_the_run_with_invalid_input(tmp_path: Path, spawn: Any) -> None:
    server = serve("vapi_never_ends")
    server.expect_unconsumed()
    try:
        worker = spawn("worker", vapi(tmp_path, server, start="start"), {})  # no VAPI_API_TOKEN
        outcome = worker.outcome()
    finally:
        server.stop()
    assert outcome["event"] == "error" and outcome["type"] == "InvalidInput", outcome
    assert "set VAPI_API_TOKEN, or configure(credentials=...)" in outcome["message"]
    assert server.requests == []  # nothing was sent
