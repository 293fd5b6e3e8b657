"""One DBOS process of the PostgreSQL tests and of bench/durable.py: it enqueues, or it works a queue.

    python tests/durable/pg_worker.py enqueue --db URL --executor-id E --count N [--prefix P] [--twice K]
    python tests/durable/pg_worker.py work --db URL --executor-id E

Both launch DBOS on the system database ``--db`` with their own executor id (DBOS recovers, at launch, the
PENDING workflows of its executor id, so two workers sharing one would run each other's work) and register
the queue with ``--concurrency`` / ``--worker-concurrency`` / ``--rate`` / ``--polling``.

``enqueue`` listens to no queue (it only writes rows), enqueues workflows ``<prefix>-<i>`` for i < N (inputs
derived from i; the customer number is unique per workflow), then enqueues the first K ids again and checks
that each gives back the same workflow; it prints one JSON line and exits.  ``work`` dequeues until its stdin
closes, prints ``READY`` once launched, then, at the end, one JSON line: its executor id, the requests it
really sent by route (a checkpointed exchange answered from the database is not sent), its peak RSS and CPU.

The workflow is the Vapi outbound call of generated/vapi/durable.py (``enqueue_assistant_phone_outbound_call``),
its servers and transport set with ``durable.configure``, the token from ``VAPI_API_TOKEN``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx
from dbos import DBOS

from generated.vapi import durable, workflows


def inputs(i: int) -> dict[str, str]:
    """The inputs of workflow number i: its customer number identifies it at the mock."""
    return {
        "name": f"campaign assistant {i}",
        "first_message": "Hello from the campaign.",
        "system_prompt": "You are a polite assistant.",
        "customer_number": f"+1555{i:07d}",
    }


class _CountingTransport(httpx.BaseTransport):
    """What this worker really sent (not answered from a checkpoint), by route."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))
        self.sent: dict[str, int] = {}
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {'/call/{id}' if request.url.path.startswith('/call/') else request.url.path}"
        with self.lock:
            self.sent[route] = self.sent.get(route, 0) + 1
        return self.inner.handle_request(request)


_transport = _CountingTransport()


def enqueue(workflow_id: str, i: int) -> Any:
    return durable.enqueue_assistant_phone_outbound_call(workflow_id, **inputs(i), poll_interval=0.01)


def launch(args: argparse.Namespace, *, listen: bool) -> None:
    config: Any = {
        "name": "durable-scale",
        "system_database_url": args.db,
        "executor_id": args.executor_id,
        "sys_db_pool_size": args.pool,
        "log_level": "WARNING",
        "run_admin_server": False,
    }
    DBOS(config=config)
    if not listen:
        DBOS.listen_queues([])
    DBOS.launch()
    durable.configure(servers={source: args.mock_url for source in workflows.SERVERS}, transport=_transport)
    if not listen:
        # durable.queue() registers the queue with the limits of the spec's config (vapi: 10 at once, 5 per
        # second); the tests and the benchmark set their own through DBOS's API, as an operator would.
        durable.queue()
        DBOS.register_queue(
            durable.QUEUE_NAME,
            global_concurrency=args.concurrency,
            worker_concurrency=args.worker_concurrency,
            limiter={"limit": args.rate, "period": 1.0} if args.rate else None,
            polling_interval_sec=args.polling,
            on_conflict="always_update",
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("enqueue", "work"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--executor-id", required=True)
    parser.add_argument("--mock-url", required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--prefix", default="wf")
    parser.add_argument("--twice", type=int, default=0, help="enqueue the first K ids a second time")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--worker-concurrency", type=int, default=None)
    parser.add_argument("--rate", type=int, default=None)
    parser.add_argument("--polling", type=float, default=0.1)
    parser.add_argument("--pool", type=int, default=20)
    args = parser.parse_args()
    if args.mode == "enqueue":
        launch(args, listen=False)
        began = time.perf_counter()
        first = {}
        for i in range(args.start, args.start + args.count):
            handle = enqueue(f"{args.prefix}-{i}", i)
            if i - args.start < args.twice:
                first[handle.get_workflow_id()] = i
        enqueued = time.perf_counter() - began
        again = [enqueue(wid, i).get_workflow_id() for wid, i in first.items()]
        print(json.dumps({"enqueued": args.count, "seconds": enqueued, "again_ids": again, "first_ids": list(first)}), flush=True)
        DBOS.destroy()
        return
    launch(args, listen=True)
    print("READY", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    with _transport.lock:
        sent = dict(_transport.sent)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"executor_id": args.executor_id, "sent": sent, "peak_rss_kb": usage.ru_maxrss,
                      "cpu_seconds": usage.ru_utime + usage.ru_stime}), flush=True)
    DBOS.destroy(workflow_completion_timeout_sec=5)


if __name__ == "__main__":
    main()
