"""The queue's limits, seen from the provider's side: two worker processes on one PostgreSQL system
database, and a loopback Vapi mock that watches what arrives (issue 16).

- concurrency N (global across workers): the mock never serves more than N exchanges at once, and does
  serve N at once (each response is held, so the limit, not the speed, is what bounds it);
- rate M per second: no M+1 workflows start within one period (DBOS's started_at), and no M+1 creates
  reach the mock within one period less the measured spread of the start-to-create latency (the first
  workflows of a fresh worker are slower to reach their create than later ones).
"""

from __future__ import annotations

from tests.durable.pg_harness import (
    Workers,
    enqueue,
    query,
    queue_args,
    statuses,
    wait_drained,
)
from tests.durable.pg_mock import VapiMock
from tests.durable.pg_worker import inputs
from tests.durable.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)


def test_concurrency_limit_bounds_exchanges_in_flight(postgres_url: str) -> None:  # noqa: F811
    limit, count = 3, 30
    with VapiMock(polls=2, delay=0.05) as mock:
        common = queue_args(postgres_url, mock.url, concurrency=limit, polling=0.05)
        enqueue(common, count=count)
        with Workers(common, 2) as workers:
            wait_drained(postgres_url, workers, count, timeout=120)
            workers.stop()
        assert sum(mock.creates.values()) == count and set(mock.creates.values()) == {1}
        assert mock.max_in_flight == limit, f"at most {limit} exchanges in flight expected, and {limit} reached; saw {mock.max_in_flight}"
    by_executor = dict(query(postgres_url, "SELECT executor_id, count(*) FROM dbos.workflow_status GROUP BY 1"))
    assert set(by_executor) == {"worker-0", "worker-1"}, by_executor  # the limit held across both workers


def test_rate_limit_bounds_creates_per_second(postgres_url: str) -> None:  # noqa: F811
    rate, count = 5, 20
    with VapiMock(polls=2) as mock:
        common = queue_args(postgres_url, mock.url, rate=rate, polling=0.05)
        with Workers(common, 2) as workers:  # launched first: their start-up is not in the creates' pace
            enqueue(common, count=count)
            wait_drained(postgres_url, workers, count, timeout=120)
            workers.stop()
        arrived = dict(mock.create_times)
        assert sum(mock.creates.values()) == count and set(mock.creates.values()) == {1}
    assert statuses(postgres_url) == {"SUCCESS": count}
    started = {wid: ms / 1000 for wid, ms in query(postgres_url, "SELECT workflow_uuid, started_at_epoch_ms FROM dbos.workflow_status")}
    # DBOS's own record: any rate+1 consecutive starts span at least one period.
    starts = sorted(started.values())
    start_spans = [starts[i + rate] - starts[i] for i in range(count - rate)]
    assert min(start_spans) >= 1.0, start_spans
    # What the provider sees: each create arrives after its workflow started (host clock, shared with the
    # server), two exchanges later, so creates keep the same spacing up to the spread of that latency ...
    latency = [arrived[inputs(i)["customer_number"]] - started[f"wf-{i}"] for i in range(count)]
    assert 0 <= min(latency) and max(latency) < 5.0, latency
    spread = max(latency) - min(latency)
    creates = sorted(arrived.values())
    create_spans = [creates[i + rate] - creates[i] for i in range(count - rate)]
    assert min(create_spans) >= 1.0 - spread - 0.01, (create_spans, latency)
    # ... and the limiter, not something slower, set the pace: about rate per second.
    elapsed = creates[-1] - creates[0]
    assert count / rate - 1 - spread <= elapsed <= 2 * count / rate, elapsed
