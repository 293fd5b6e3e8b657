"""Durable workflows survive kill -9: real worker processes (tests/durable/worker.py)
on a SQLite system database, a loopback replay server that verifies every request
(tests/replay.py), a second worker process that recovers what the first left.

- killed in the middle of the Vapi poll loop: the new worker finishes the run with the
  right outputs, and the server sees each create exactly once;
- killed after the server received POST /call but before it answered: Vapi declares no
  idempotency key, so the recovered run does not send it again; it fails with a clear
  StepFailed ("may have been sent");
- the same crash with an operation that declares Idempotency-Key (tests/durable/specs):
  the recovered run re-sends the POST once, with the SAME key, and finishes;
- a 10-minute durable poll delay is not slept (a test clock, see worker.py), and a crash
  during it resumes with the time that is left;
- after each, every row of every table of the database is read: the API token is in none.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
from arazzo_codegen.config import Durable
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package

from tests.durable.harness import ROOT, assert_no_secret, serve, wait_until
from tests.replay import ReplayServer

VAPI_TOKEN = "vapi-secret-token-123"
VAPI_INPUTS: dict[str, Any] = {
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}
VAPI_OUTPUTS = {
    "assistantId": "asst_1",
    "phoneNumberId": "pn_1",
    "callId": "call_1",
    "callStatus": "ended",
    "endedReason": "customer-ended-call",
    "cost": 0.42,
}
SHOP_KEY = "shop-key-456"
ORDERS_SPEC = ROOT / "tests" / "durable" / "specs" / "orders.arazzo.yaml"


def vapi(tmp_path: Path, server: ReplayServer, *, start: str | bool, workflow_id: str = "campaign-1:row-7", **options: Any) -> dict[str, Any]:
    url = server.url
    return {
        "db": str(tmp_path / "dbos.sqlite"),
        "path": str(ROOT / "generated"),
        "package": "vapi",
        "workflow": "assistant_phone_outbound_call",
        "workflow_id": workflow_id,
        "start": start,
        "inputs": {**VAPI_INPUTS, **options.pop("inputs", {})},
        "servers": {"assistantsApi": url, "phoneNumbersApi": url, "callsApi": url},
        **options,
    }


VAPI_ENV = {"VAPI_API_TOKEN": VAPI_TOKEN}


def posts(server: ReplayServer) -> list[str]:
    return [r.path for r in server.requests if r.method == "POST"]


def gets(server: ReplayServer) -> int:
    return sum(r.method == "GET" for r in server.requests)


def test_killed_mid_poll_a_new_worker_finishes_with_one_create(tmp_path: Path, spawn: Any) -> None:
    server = serve("vapi_poll")
    try:
        first = spawn("first", vapi(tmp_path, server, start="start", inputs={"poll_interval": 0.5}), VAPI_ENV)
        wait_until(lambda: gets(server) >= 2, "the second poll")
        first.kill()
        seen = len(server.requests)
        second = spawn("second", vapi(tmp_path, server, start=False), VAPI_ENV)
        outcome = second.outcome()
    finally:
        server.stop()
    assert outcome == {"event": "result", "outputs": VAPI_OUTPUTS}, outcome
    server.assert_done()  # every request matched the cassette, every interaction used
    assert posts(server) == ["/assistant", "/phone-number", "/call"]  # each create exactly once
    assert len(server.requests) > seen  # the new worker did poll: the run was cut mid-loop
    assert_no_secret(tmp_path / "dbos.sqlite", (VAPI_TOKEN,), "asst_1")


def test_killed_between_the_create_post_and_its_answer_the_post_is_not_sent_again(tmp_path: Path, spawn: Any) -> None:
    server = serve("vapi_create_hangs")
    try:
        first = spawn("first", vapi(tmp_path, server, start="start"), VAPI_ENV)
        wait_until(lambda: "/call" in posts(server), "POST /call at the server")
        first.kill()  # the server holds its answer: the outcome was never recorded
        second = spawn("second", vapi(tmp_path, server, start=False), VAPI_ENV)
        outcome = second.outcome()
    finally:
        server.stop()
    assert outcome["event"] == "error", outcome
    assert outcome["type"] == "StepFailed"
    assert "POST /call may have been sent before the crash and has no idempotency key; not sending it again" in outcome["message"]
    assert outcome["status"] == "ERROR"
    assert posts(server) == ["/assistant", "/phone-number", "/call"]  # exactly one create
    assert_no_secret(tmp_path / "dbos.sqlite", (VAPI_TOKEN,), "asst_1")


@pytest.fixture(scope="module")
def orders_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/durable/specs/orders.arazzo.yaml compiled with the durable option."""
    out = tmp_path_factory.mktemp("durable_orders")
    job = Job(spec=ORDERS_SPEC, package="durable_orders", out=out, durable=Durable())
    result = build(job)
    assert result.files, [d.render() for d in result.report.items]
    assert "durable.py" in result.files
    write_package(job.package_dir, result.files)
    return out


def test_a_keyed_create_is_sent_again_with_the_same_key_and_the_run_finishes(tmp_path: Path, spawn: Any, orders_dir: Path) -> None:
    server = serve("orders_create_hangs")
    workflow_id = "order-42"

    def spec(start: str | bool) -> dict[str, Any]:
        return {
            "db": str(tmp_path / "dbos.sqlite"),
            "path": str(orders_dir),
            "package": "durable_orders",
            "workflow": "place_order",
            "workflow_id": workflow_id,
            "start": start,
            "inputs": {"item": "book", "quantity": 2, "poll_interval": 0.05},
            "servers": {"shop": server.url},
        }

    env = {"DURABLE_ORDERS_API_KEY": SHOP_KEY}
    try:
        first = spawn("first", spec("start"), env)
        wait_until(lambda: posts(server) == ["/orders"], "POST /orders at the server")
        first.kill()
        second = spawn("second", spec(False), env)
        outcome = second.outcome()
    finally:
        server.stop()
    assert outcome == {"event": "result", "outputs": {"orderId": "ord_1", "state": "shipped"}}, outcome
    server.assert_done()
    keys = [r.headers.get("idempotency-key") for r in server.requests if r.method == "POST"]
    expected = "dbos-" + hashlib.sha256(workflow_id.encode()).hexdigest()[:32] + ":place-order:createOrder"
    assert keys == [expected, expected]  # re-sent once, with the same key (from the workflow id)
    assert_no_secret(tmp_path / "dbos.sqlite", (SHOP_KEY,), "ord_1")


def test_a_ten_minute_poll_delay_is_not_slept_and_a_crash_during_it_resumes_with_what_is_left(tmp_path: Path, spawn: Any) -> None:
    server = serve("vapi_long_poll")
    try:
        # The first worker's clock is real; its sleep blocks (it is killed during it).
        first = spawn("first", vapi(tmp_path, server, start="start", inputs={"poll_interval": 600.0}, clock={"offset": 0.0, "sleep": "block"}), VAPI_ENV)
        assert first.wait_for("sleep")["seconds"] == pytest.approx(600.0, abs=1.0)
        began = time.monotonic()  # the wake-up time (now + 600 s) was recorded just before
        first.kill()
        # The second worker starts 4 minutes later by its clock; its sleeps return at once.
        second = spawn("second", vapi(tmp_path, server, start=False, clock={"offset": 240.0, "sleep": "skip"}), VAPI_ENV)
        resumed = second.wait_for("sleep")["seconds"]
        taken = time.monotonic() - began
        outcome = second.outcome()
    finally:
        server.stop()
    # 600 s - the 240 s the second worker's clock is ahead - the real seconds in between
    assert resumed == pytest.approx(360.0 - taken, abs=2.0), (resumed, taken)
    assert [e["event"] for e in second.events].count("sleep") == 1
    assert outcome == {"event": "result", "outputs": VAPI_OUTPUTS}, outcome
    server.assert_done()
    assert posts(server) == ["/assistant", "/phone-number", "/call"] and gets(server) == 2
    assert_no_secret(tmp_path / "dbos.sqlite", (VAPI_TOKEN,), "asst_1")


def test_no_secret_in_any_row_of_the_database(tmp_path: Path, spawn: Any) -> None:
    # A run whose responses carry the token (a Set-Cookie, an echoing header) and a run
    # that fails (its StepFailed, with the response body, is recorded), in one database.
    ok, failing = serve("vapi_poll"), serve("vapi/create_call_400")
    try:
        first = spawn("ok", vapi(tmp_path, ok, start="start", workflow_id="row-1", inputs={"poll_interval": 0.01}), VAPI_ENV)
        assert first.outcome()["event"] == "result"
        second = spawn("failing", vapi(tmp_path, failing, start="start", workflow_id="row-2"), VAPI_ENV)
        outcome = second.outcome()
    finally:
        ok.stop()
        failing.stop()
    assert outcome["type"] == "StepFailed" and "HTTP 400" in outcome["message"], outcome
    ok.assert_done()
    failing.assert_done()
    assert ok.requests[0].headers["authorization"] == f"Bearer {VAPI_TOKEN}"  # the token was used
    cells = assert_no_secret(tmp_path / "dbos.sqlite", (VAPI_TOKEN,), "asst_1")
    assert cells > 100
