"""Two worker processes on one PostgreSQL system database drain one queue of 1,000 Vapi outbound-call
workflows against a loopback mock: each workflow completes exactly once, and enqueueing an id twice
(before or after it ran) starts one workflow (issue 16)."""

from __future__ import annotations

import time
from collections import Counter

from tests.durable.pg_harness import (
    Workers,
    assert_no_secret,
    decode,
    enqueue,
    query,
    queue_args,
    statuses,
    wait_drained,
    wait_terminal,
)
from tests.durable.pg_mock import TOKEN, VapiMock
from tests.durable.pg_worker import inputs
from tests.durable.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)

COUNT = 1000
TWICE = 25
expected_routes = {"POST /assistant": COUNT, "POST /phone-number": COUNT, "POST /call": COUNT, "GET /call/{id}": 2 * COUNT}


def test_two_workers_drain_one_queue_each_workflow_once(postgres_url: str) -> None:  # noqa: F811
    with VapiMock(polls=2) as mock:
        common = queue_args(postgres_url, mock.url, concurrency=40, polling=0.05)
        enqueued = enqueue(common, count=COUNT, twice=TWICE)
        # The first TWICE ids were enqueued a second time at once: the same workflows came back.
        assert enqueued["again_ids"] == enqueued["first_ids"] == [f"wf-{i}" for i in range(TWICE)]
        assert statuses(postgres_url) == {"ENQUEUED": COUNT}, "enqueueing an id twice made a second row"
        assert mock.requests == 0, "the enqueuer dequeued work (it listens to no queue)"

        with Workers(common, 2) as workers:
            wait_drained(postgres_url, workers, COUNT, timeout=240)
            # Enqueue finished ids again while the workers still poll: they come back, nothing runs.
            again = enqueue(common, count=TWICE, twice=TWICE)
            assert again["again_ids"] == again["first_ids"] == [f"wf-{i}" for i in range(TWICE)]
            results = workers.stop()

        # Exactly one create per workflow, and every other exchange once per workflow.
        assert dict(mock.creates) == {inputs(i)["customer_number"]: 1 for i in range(COUNT)}
        assert dict(mock.by_route) == expected_routes
        assert mock.unauthorized == 0

    assert statuses(postgres_url) == {"SUCCESS": COUNT}
    # Both workers took part, and between them sent each workflow's exchanges once: what each really sent
    # (not answered from a checkpoint) adds up to what the mock served, and each sent the creates of the
    # workflows DBOS records as its own.
    by_executor = dict(query(postgres_url, "SELECT executor_id, count(*) FROM dbos.workflow_status GROUP BY executor_id"))
    assert set(by_executor) == {"worker-0", "worker-1"}, by_executor
    assert all(n > 0 for n in by_executor.values()), by_executor
    assert {r["executor_id"]: r["sent"]["POST /call"] for r in results} == by_executor
    total: Counter[str] = Counter()
    for r in results:
        total.update(r["sent"])
    assert dict(total) == expected_routes
    # Each workflow recorded one create step; no workflow was recovered (attempts stay 1).
    per_workflow = query(
        postgres_url,
        "SELECT workflow_uuid, count(*) FILTER (WHERE function_name = 'POST /call') FROM dbos.operation_outputs GROUP BY 1",
    )
    assert len(per_workflow) == COUNT and {n for _, n in per_workflow} == {1}
    assert query(postgres_url, "SELECT max(recovery_attempts) FROM dbos.workflow_status") == [(1,)]
    # The outputs are the workflow's: the call ended, one per customer.
    outputs = {wid: decode(out, how) for wid, out, how in query(
        postgres_url, "SELECT o.workflow_uuid, o.output, s.serialization FROM dbos.workflow_output o JOIN dbos.workflow_status s USING (workflow_uuid)"
    )}
    assert len(outputs) == COUNT
    assert {(out.call_status, out.ended_reason) for out in outputs.values()} == {("ended", "customer-ended-call")}
    assert len({out.call_id for out in outputs.values()}) == COUNT
    # The token reached the mock on every request, and no row of the system database holds it (a customer
    # number, a workflow input, is seen inside the pickles: the scan reads what DBOS recorded).
    assert assert_no_secret(postgres_url, (TOKEN,), inputs(COUNT - 1)["customer_number"]) > 10 * COUNT


def test_a_killed_worker_restarted_under_its_id_recovers_without_a_second_create(postgres_url: str) -> None:  # noqa: F811
    """kill -9 one of two workers with workflows in flight: they stay PENDING under its executor id until a
    worker with that id launches and recovers them; no customer is ever called twice, and a workflow killed
    between a POST and its checkpoint fails with StepFailed (Vapi's POSTs carry no idempotency key)."""
    count = 150
    with VapiMock(polls=3, delay=0.02) as mock:
        common = queue_args(postgres_url, mock.url, concurrency=20, polling=0.05)
        enqueue(common, count=count)
        with Workers(common, 2) as workers:
            deadline = time.monotonic() + 120
            while not (len(mock.creates) >= 30 and _pending(postgres_url, "worker-0")):
                workers.check_alive()
                assert time.monotonic() < deadline, "worker-0 never had workflows in flight"
                time.sleep(0.05)
            workers.kill("worker-0")
            orphans = _pending(postgres_url, "worker-0")
            with Workers(common, ["worker-0"]) as restarted:  # the same executor id: DBOS recovers its PENDING
                final = wait_terminal(postgres_url, [workers, restarted], count, timeout=180)
                restarted.stop()
            workers.stop()
        creates = dict(mock.creates)
    assert orphans, "the kill left no workflow in flight"
    assert max(creates.values()) == 1, "a customer was called twice"
    rows = query(
        postgres_url,
        "SELECT s.workflow_uuid, s.status, s.recovery_attempts, o.output, o.error, s.serialization "
        "FROM dbos.workflow_status s JOIN dbos.workflow_output o USING (workflow_uuid)",
    )
    assert len(rows) == count and set(final) <= {"SUCCESS", "ERROR"}, final
    by_id = {wid: (status, attempts, decode(out, how), decode(err, how)) for wid, status, attempts, out, err, how in rows}
    for wid in orphans:  # recovered: run again under the same id
        assert by_id[wid][1] >= 2, (wid, by_id[wid])
    for wid, (status, _, out, err) in by_id.items():
        number = inputs(int(wid.split("-")[1]))["customer_number"]
        if status == "SUCCESS":
            assert creates.get(number) == 1 and out.call_status == "ended", (wid, out)
        else:
            assert wid in orphans, (wid, err)
            assert type(err).__name__ == "StepFailed" and "may have been sent before the crash" in str(err.reason), (wid, err)
    assert sum(1 for status, *_ in by_id.values() if status == "SUCCESS") >= count - len(orphans)


def _pending(db: str, executor_id: str) -> set[str]:
    return {wid for (wid,) in query(db, "SELECT workflow_uuid FROM dbos.workflow_status WHERE status = 'PENDING' AND executor_id = %s", executor_id)}
