"""One DBOS process of the PostgreSQL tests and of bench/durable.py: it enqueues, or it works a queue.

    python tests/durable/pg_worker.py enqueue --db URL --executor-id E --count N [--prefix P] [--twice K]
    python tests/durable/pg_worker.py work --db URL --executor-id E

Both launch DBOS on the system database ``--db`` with their own executor id (DBOS recovers, at launch, the
PENDING workflows of its executor id, so two workers sharing one would run each other's work) and register
the queue with ``--concurrency`` / ``--worker-concurrency`` / ``--rate`` / ``--polling``.

``enqueue`` listens to no queue (it only writes rows), enqueues workflows ``<prefix>-<i>`` for i < N (inputs
derived from i; the customer number is unique per workflow), then enqueues the first K ids again and checks
that each gives back the same workflow; it prints one JSON line and exits.  ``work`` dequeues until its stdin
closes, prints ``READY`` once launched, then, at the end, one JSON line: its executor id, the workflows it
finished and its peak RSS.

The workflow is the Vapi outbound call of ``generated/vapi``: ``--app handwritten`` (the default until
generated/vapi/durable.py exists) wraps the plain sync function in a DBOS workflow right here, the shape the
issue-16 plan gives durable.py (every HTTP exchange a DBOS step, ``sleep=DBOS.sleep``, the token from
``VAPI_API_TOKEN``, never a workflow argument).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from dbos import DBOS, SetWorkflowID  # noqa: E402

from generated.vapi import workflows  # noqa: E402

QUEUE_NAME = "vapi"
_finished = 0
_finished_lock = threading.Lock()


def inputs(i: int) -> dict[str, str]:
    """The inputs of workflow number i: its customer number identifies it at the mock."""
    return {
        "name": f"campaign assistant {i}",
        "first_message": "Hello from the campaign.",
        "system_prompt": "You are a polite assistant.",
        "customer_number": f"+1555{i:07d}",
    }


class _StepTransport(httpx.BaseTransport):
    """Every exchange a DBOS step: on recovery a completed exchange returns its checkpointed response."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        def exchange() -> dict[str, Any]:
            response = self.inner.handle_request(request)
            try:
                content = response.read()
            finally:
                response.close()
            keep = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("set-cookie", "authorization")]
            return {"status": response.status_code, "headers": keep, "body": content.decode("latin-1")}

        recorded = DBOS.run_step({"name": f"{request.method} {request.url.path}"}, exchange)
        return httpx.Response(recorded["status"], headers=recorded["headers"], content=recorded["body"].encode("latin-1"), request=request)


_client: httpx.Client | None = None


def _http(base_url: str) -> httpx.Client:
    global _client
    if _client is None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        _client = httpx.Client(transport=_StepTransport(httpx.HTTPTransport(limits=limits)), base_url=base_url)
    return _client


@DBOS.workflow(name="assistant_phone_outbound_call")
def handwritten_workflow(base_url: str, name: str, first_message: str, system_prompt: str, customer_number: str) -> dict[str, Any]:
    outputs = workflows.assistant_phone_outbound_call(
        api_token=os.environ["VAPI_API_TOKEN"],
        name=name,
        first_message=first_message,
        system_prompt=system_prompt,
        customer_number=customer_number,
        client=_http(base_url),
        servers={k: base_url for k in workflows.SERVERS},
        poll_interval=0.01,
        sleep=DBOS.sleep,
    )
    global _finished
    with _finished_lock:
        _finished += 1
    return outputs.model_dump(by_alias=True)


def enqueue(workflow_id: str, base_url: str, i: int) -> Any:
    with SetWorkflowID(workflow_id):
        return DBOS.enqueue_workflow(QUEUE_NAME, handwritten_workflow, base_url, **inputs(i))


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
    DBOS.register_queue(
        QUEUE_NAME,
        concurrency=args.concurrency,
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
    parser.add_argument("--mock-url", default="http://127.0.0.1:9")
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
            handle = enqueue(f"{args.prefix}-{i}", args.mock_url, i)
            if i - args.start < args.twice:
                first[handle.get_workflow_id()] = i
        enqueued = time.perf_counter() - began
        again = [enqueue(wid, args.mock_url, i).get_workflow_id() for wid, i in first.items()]
        print(json.dumps({"enqueued": args.count, "seconds": enqueued, "again_ids": again, "first_ids": list(first)}), flush=True)
        DBOS.destroy()
        return
    launch(args, listen=True)
    print("READY", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    with _finished_lock:
        finished = _finished
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"executor_id": args.executor_id, "finished": finished, "peak_rss_kb": peak_kb}), flush=True)
    DBOS.destroy(workflow_completion_timeout_sec=5)


if __name__ == "__main__":
    main()
