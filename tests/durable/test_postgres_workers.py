"""Two worker processes on one PostgreSQL system database drain one queue of 1,000 Vapi outbound-call
workflows against a loopback mock: each workflow completes exactly once, and enqueueing an id twice
(before or after it ran) starts one workflow (issue 16)."""

from __future__ import annotations

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
