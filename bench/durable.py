"""Benchmark of the durable flavour (generated/vapi/durable.py on DBOS), issue 16.  Not a test.

    .venv/bin/python bench/durable.py [--runs 30] [--count 10000] [--workers 4] [--skip-scale]

1. Per run, on SQLite and on PostgreSQL: CPU and wall of one durable Vapi outbound call
   (``start_assistant_phone_outbound_call(...).get_result()``, DBOS launched in the process) against
   bench/mock_vapi.py (its own process), as a ratio of the plain async twin
   (``assistant_phone_outbound_call_async``) run in the same process, interleaved with it, medians of
   ``--runs``.  Both get no ``client=`` (each run its own client and connection) and
   ``poll_interval=0.001`` (so DBOS records its durable sleeps).  CPU is the process's (DBOS's threads
   and, for SQLite, the database itself); for PostgreSQL the server's CPU is measured apart (/proc).
2. ``--count`` workflows enqueued on PostgreSQL (durable.enqueue_assistant_phone_outbound_call), then
   drained by ``--workers`` worker processes (tests/durable/pg_worker.py): throughput, p50/p99 per
   workflow (DBOS's started_at -> completed_at), peak RSS and CPU per worker, the database rows (and
   bytes) per workflow.

PostgreSQL is started on 127.0.0.1 by tests/durable/postgres.py (installed from the Debian registry
when missing), fsync off (a throw-away cluster), so the figures are CPU-bound rather than disk-bound.
Reads nothing from ../shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-0123456789"  # bench/mock_vapi.py's default
POLLS = 4
POLL_INTERVAL = 0.001
INPUTS = {
    "name": "Bench Assistant",
    "first_message": "Hello, this is a benchmark call.",
    "system_prompt": "You are a concise assistant.",
    "customer_number": "+14155550123",
    "area_code": "415",
}


class Mock:
    """bench/mock_vapi.py in its own process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "mock_vapi.py"), "--polls", str(POLLS), "--max-seconds", "3600"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"mock did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stats(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/__stats", timeout=30) as response:
            return dict(json.loads(response.read()))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


def server_cpu(postmaster: int) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster and its live children (backends call setsid(),
    so they are found by parent, not by session), plus what its exited children used."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        if pid != postmaster and int(fields[1]) != postmaster:  # fields[1]: the parent pid
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == postmaster:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / tick


# -- 1. per run, in a child process per backend ------------------------------------------------


def child(args: argparse.Namespace) -> None:
    from dbos import DBOS

    from generated.vapi import durable, workflows

    config: Any = {
        "name": "durable-bench",
        "system_database_url": args.db,
        "executor_id": "bench",
        "log_level": "WARNING",
        "run_admin_server": False,
    }
    DBOS(config=config)
    DBOS.launch()
    servers = {source: args.mock for source in workflows.SERVERS}
    durable.configure(servers=servers)
    os.environ["VAPI_API_TOKEN"] = TOKEN
    loop = asyncio.new_event_loop()

    def plain() -> Any:
        return loop.run_until_complete(
            workflows.assistant_phone_outbound_call_async(
                api_token=TOKEN, **INPUTS, servers=servers, poll_interval=POLL_INTERVAL
            )
        )

    def durable_run() -> Any:
        handle = durable.start_assistant_phone_outbound_call(str(uuid.uuid4()), **INPUTS, poll_interval=POLL_INTERVAL)
        return handle.get_result()

    samples: dict[str, dict[str, list[float]]] = {"plain": {"cpu": [], "wall": []}, "durable": {"cpu": [], "wall": []}}
    session = args.pg_session
    server = 0.0
    for i in range(args.warmup + args.runs):
        if i == args.warmup and session:
            server = server_cpu(session)  # the server only works for the durable runs: its CPU over the measured ones
        order = [("plain", plain), ("durable", durable_run)]
        if i % 2:
            order.reverse()
        for name, run in order:
            c0, w0 = time.process_time(), time.perf_counter()
            out = run()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            if out.call_status != "ended" or out.ended_reason != "customer-ended-call":
                raise AssertionError(f"{name}: {out}")
            if i >= args.warmup:
                samples[name]["cpu"].append(cpu)
                samples[name]["wall"].append(wall)
    server = (server_cpu(session) - server) / args.runs if session else 0.0
    loop.close()
    DBOS.destroy()
    print(json.dumps({"samples": samples, "server_cpu": server}), flush=True)


def per_run(backend: str, db: str, mock: Mock, args: argparse.Namespace, pg_session: int = 0) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--db",
            db,
            "--mock",
            mock.url,
            "--runs",
            str(args.runs),
            "--warmup",
            str(args.warmup),
            "--pg-session",
            str(pg_session),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("DBOS")},
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{backend} child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# -- 2. scale on PostgreSQL ----------------------------------------------------------------------


def scale(pg: Any, mock: Mock, args: argparse.Namespace) -> dict[str, Any]:
    from tests.durable.pg_harness import (
        Workers,
        enqueue,
        query,
        queue_args,
        wait_drained,
    )

    db = pg.database_url("durable_scale")
    common = queue_args(
        db,
        mock.url,
        concurrency=args.concurrency,
        worker_concurrency=args.worker_concurrency,
        polling=args.polling,
        pool=args.pool,
    )
    served0 = sum(mock.stats()["by_route"].values())
    enq = enqueue(common, count=args.count, token=TOKEN, timeout=3600)
    s0 = server_cpu(pg.proc.pid)
    with Workers(common, args.workers, token=TOKEN) as workers:
        drained = wait_drained(db, workers, args.count, timeout=args.timeout)
        results = workers.stop()
    server = server_cpu(pg.proc.pid) - s0
    stats = mock.stats()
    served = sum(stats["by_route"].values()) - served0
    rows = query(db, "SELECT started_at_epoch_ms, completed_at, created_at, executor_id FROM dbos.workflow_status")
    started = [r[0] for r in rows]
    completed = [r[1] for r in rows]
    durations = sorted((c - s) / 1000 for s, c, *_ in rows)
    span = (max(completed) - min(started)) / 1000
    tables = [
        t
        for (t,) in query(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'dbos' ORDER BY 1")
    ]
    counts = {t: query(db, f'SELECT count(*) FROM dbos."{t}"')[0][0] for t in tables}
    size = query(
        db,
        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'dbos' AND c.relkind = 'r'",
    )[0][0]
    per_executor: dict[str, int] = {}
    for r in rows:
        per_executor[r[3]] = per_executor.get(r[3], 0) + 1
    return {
        "count": args.count,
        "workers": args.workers,
        "enqueue_seconds": enq["seconds"],
        "drain_seconds": drained,
        "span_seconds": span,
        "throughput": args.count / span,
        "p50": durations[len(durations) // 2],
        "p99": durations[min(len(durations) - 1, int(len(durations) * 0.99))],
        "max": durations[-1],
        "workers_out": results,
        "per_executor": per_executor,
        "rows": {t: n for t, n in counts.items() if n},
        "bytes": int(size or 0),
        "served": served,
        "server_cpu": server,
    }


# -- report --------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="measured runs per flavour and backend (default 30)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--count", type=int, default=10000, help="queued workflows for the scale part (default 10,000)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=None, help="the queue's global concurrency (default none)")
    parser.add_argument("--worker-concurrency", type=int, default=10, help="per worker (default 10)")
    parser.add_argument("--polling", type=float, default=0.05, help="queue polling interval, seconds (default 0.05)")
    parser.add_argument("--pool", type=int, default=20, help="sys_db_pool_size per worker")
    parser.add_argument("--timeout", type=float, default=3600.0, help="bound on draining the queue (seconds)")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-per-run", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--mock", help=argparse.SUPPRESS)
    parser.add_argument("--pg-session", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0

    from tests.durable.postgres import PostgresServer

    out: list[str] = [
        (
            f"# Durable workflows (DBOS) benchmark: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
        ),
        "",
    ]
    tmp = Path(tempfile.mkdtemp(prefix="durable-bench-"))
    mock = Mock()
    try:
        with PostgresServer() as pg:
            out.append(
                f"PostgreSQL {pg.bin_version} on 127.0.0.1 (initdb {pg.timings['initdb']:.2f} s, start {pg.timings['start']:.2f} s; "
                f"fsync/synchronous_commit/full_page_writes off); dbos {_version('dbos')}; mock: bench/mock_vapi.py, call ends on poll {POLLS}."
            )
            out.append("")
            if not args.skip_per_run:
                rows = []
                for backend, db, session in (
                    ("SQLite", f"sqlite:///{tmp / 'bench.sqlite'}", 0),
                    ("PostgreSQL", pg.database_url("durable_per_run"), pg.proc.pid),
                ):
                    print(f"per run: {backend} ({args.runs} runs per flavour)...", file=sys.stderr, flush=True)
                    result = per_run(backend, db, mock, args, session)
                    s = result["samples"]
                    pc, pw = statistics.median(s["plain"]["cpu"]), statistics.median(s["plain"]["wall"])
                    dc, dw = statistics.median(s["durable"]["cpu"]), statistics.median(s["durable"]["wall"])
                    server = result["server_cpu"]
                    rows.append(
                        [
                            backend,
                            ms(pc),
                            ms(dc),
                            f"{dc / pc:.1f}x",
                            ms(pw),
                            ms(dw),
                            f"{dw / pw:.1f}x",
                            ms(server) + " (mean)" if session else "(in process)",
                        ]
                    )
                out.append(
                    f"## 1. One Vapi run: durable vs the plain async twin, same process, interleaved (medians of {args.runs})"
                )
                out.append("")
                out.append(
                    table(
                        [
                            "backend",
                            "plain CPU",
                            "durable CPU",
                            "CPU ratio",
                            "plain wall",
                            "durable wall",
                            "wall ratio",
                            "DB server CPU per durable run",
                        ],
                        rows,
                    )
                )
                out.append("")
            if not args.skip_scale:
                print(f"scale: {args.count} workflows over {args.workers} workers...", file=sys.stderr, flush=True)
                r = scale(pg, mock, args)
                out.append(
                    f"## 2. {r['count']:,} queued workflows over {r['workers']} worker processes on PostgreSQL "
                    f"(worker_concurrency {args.worker_concurrency}, global concurrency {args.concurrency}, no rate limit, polling {args.polling} s)"
                )
                out.append("")
                rows = [
                    [
                        "enqueue (one process, durable.enqueue_*)",
                        f"{r['enqueue_seconds']:.1f} s ({r['count'] / r['enqueue_seconds']:.0f}/s)",
                    ],
                    ["drain (workers launched -> all SUCCESS)", f"{r['drain_seconds']:.1f} s"],
                    ["throughput (first start -> last completion)", f"{r['throughput']:.1f} workflows/s"],
                    [
                        "per workflow, started -> completed: p50 / p99 / max",
                        f"{ms(r['p50'])} / {ms(r['p99'])} / {ms(r['max'])}",
                    ],
                ]
                for w in sorted(r["workers_out"], key=lambda w: w["executor_id"]):
                    rows.append(
                        [
                            f"{w['executor_id']}: workflows, peak RSS, CPU",
                            f"{r['per_executor'].get(w['executor_id'], 0):,}, {w['peak_rss_kb'] / 1024:.0f} MB, {w['cpu_seconds']:.1f} s",
                        ]
                    )
                worker_cpu = sum(w["cpu_seconds"] for w in r["workers_out"])
                rows.append(
                    [
                        "CPU per workflow: workers / PostgreSQL server",
                        f"{ms(worker_cpu / r['count'])} / {ms(r['server_cpu'] / r['count'])}",
                    ]
                )
                total_rows = sum(r["rows"].values())
                rows.append(
                    [
                        "database rows per workflow",
                        f"{total_rows / r['count']:.2f} ("
                        + ", ".join(
                            f"{t} {n / r['count']:.2f}" for t, n in sorted(r["rows"].items()) if n >= r["count"] / 10
                        )
                        + ")",
                    ]
                )
                rows.append(
                    [
                        "database bytes per workflow (tables + indexes + TOAST)",
                        f"{r['bytes'] / r['count'] / 1024:.1f} KiB",
                    ]
                )
                rows.append(
                    ["requests the mock served", f"{r['served']:,} ({r['served'] / r['count']:.1f} per workflow)"]
                )
                out.append(table(["", "value"], rows))
                out.append("")
    finally:
        mock.close()
        shutil.rmtree(tmp, ignore_errors=True)
    out.append(f"Load average at the end: {os.getloadavg()[0]:.1f} (a shared machine: other jobs ran alongside).")
    print("\n".join(out))
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    raise SystemExit(main())
