"""Run tests/durable/pg_worker.py processes against one system database and read what they left there.

Shared by tests/durable/test_postgres_workers.py, tests/durable/test_queue_limits.py and bench/durable.py.
Every wait is bounded; a worker that dies or a queue that does not drain in time fails with the workers'
stderr.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import psycopg

from tests.durable.pg_mock import TOKEN

WORKER = Path(__file__).resolve().parent / "pg_worker.py"
PY = sys.executable


class HarnessError(AssertionError):
    pass


def worker_env(token: str = TOKEN) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DBOS")}
    env["VAPI_API_TOKEN"] = token
    env["PYTHONUNBUFFERED"] = "1"
    return env


def queue_args(db: str, mock_url: str, *, concurrency: int | None = None, worker_concurrency: int | None = None,
               rate: int | None = None, polling: float = 0.05, pool: int | None = None) -> list[str]:
    args = ["--db", db, "--mock-url", mock_url, "--polling", str(polling)]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    if worker_concurrency is not None:
        args += ["--worker-concurrency", str(worker_concurrency)]
    if rate is not None:
        args += ["--rate", str(rate)]
    if pool is not None:
        args += ["--pool", str(pool)]
    return args


def enqueue(common: Sequence[str], *, count: int, start: int = 0, twice: int = 0, prefix: str = "wf", timeout: float = 300.0,
            token: str = TOKEN) -> dict[str, Any]:
    """Enqueue workflows <prefix>-<start>..<start+count-1> from a process that dequeues nothing."""
    proc = subprocess.run(
        [PY, str(WORKER), "enqueue", "--executor-id", f"enqueuer-{start}", "--count", str(count), "--start", str(start),
         "--twice", str(twice), "--prefix", prefix, *common],
        env=worker_env(token), capture_output=True, text=True, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        raise HarnessError(f"enqueuer failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


class Workers:
    """``n`` worker processes (executor ids ``worker-0``.., or the ids given), started together, stopped by
    closing stdin (or killed with SIGKILL: :meth:`kill`)."""

    def __init__(self, common: Sequence[str], n: int | Sequence[str], *, launch_timeout: float = 120.0, token: str = TOKEN) -> None:
        self.procs: list[subprocess.Popen[str]] = []
        self.results: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self._logs: list[Any] = []  # stderr to files: a full pipe would block a chatty worker
        self.launched_at = 0.0
        self.ids = [f"worker-{k}" for k in range(n)] if isinstance(n, int) else list(n)
        for executor_id in self.ids:
            log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in stop())
            self._logs.append(log)
            self.procs.append(subprocess.Popen(
                [PY, str(WORKER), "work", "--executor-id", executor_id, *common],
                env=worker_env(token), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
            ))
        # A worker that hangs before READY is killed, so that the readline below returns (EOF).
        timer = threading.Timer(launch_timeout, lambda: [p.kill() for p in self.procs])
        timer.start()
        try:
            lines = []
            for proc in self.procs:
                assert proc.stdout is not None
                lines.append(proc.stdout.readline().strip())
        finally:
            timer.cancel()
        for line in lines:
            if line != "READY":
                self.stop()
                raise HarnessError(f"a worker did not launch (said {line!r}):\n" + "\n".join(s[-3000:] for s in self.stderr))
        self.launched_at = time.monotonic()

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                self.stop()
                raise HarnessError(f"a worker exited with {proc.returncode}:\n" + "\n".join(s[-3000:] for s in self.stderr))

    def kill(self, executor_id: str) -> None:
        """kill -9 that worker (it leaves its running workflows PENDING under its executor id)."""
        k = self.ids.index(executor_id)
        proc, log = self.procs.pop(k), self._logs.pop(k)
        self.ids.pop(k)
        proc.kill()
        proc.communicate(timeout=30)
        log.close()

    def stop(self, timeout: float = 60.0) -> list[dict[str, Any]]:
        self.results, self.stderr = [], []
        for proc, log in zip(self.procs, self._logs):
            try:
                out, _ = proc.communicate("", timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate(timeout=30)
            log.seek(0)
            self.stderr.append(log.read())
            log.close()
            lines = [line for line in out.splitlines() if line.startswith("{")]
            if lines:
                self.results.append(json.loads(lines[-1]))
        self.procs, self._logs, self.ids = [], [], []
        return self.results

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.procs:
            self.stop()


def statuses(db: str) -> dict[str, int]:
    with psycopg.connect(db) as conn:
        rows = conn.execute("SELECT status, count(*) FROM dbos.workflow_status GROUP BY status").fetchall()
    return {str(status): int(n) for status, n in rows}


def wait_drained(db: str, workers: Workers, total: int, *, timeout: float) -> float:
    """Seconds from the workers' launch until ``total`` workflows are SUCCESS; fails on error or timeout."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(db, autocommit=True) as conn:
        while True:
            rows = conn.execute("SELECT status, count(*) FROM dbos.workflow_status GROUP BY status").fetchall()
            seen = {str(status): int(n) for status, n in rows}
            if seen.get("SUCCESS", 0) >= total:
                return time.monotonic() - workers.launched_at
            failed = {k: v for k, v in seen.items() if k in ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "CANCELLED")}
            if failed:
                raise HarnessError(f"workflows failed: {seen}")
            workers.check_alive()
            if time.monotonic() > deadline:
                raise HarnessError(f"the queue did not drain within {timeout:.0f}s: {seen}")
            time.sleep(0.25)


def decode(value: str | None, serialization: str | None) -> Any:
    """A value DBOS serialized into a row: ``py_pickle`` (base64 of a pickle, DBOS's default) or JSON."""
    if value is None:
        return None
    if serialization in (None, "py_pickle"):
        return pickle.loads(base64.b64decode(value))
    return json.loads(value)


def wait_terminal(db: str, workers: Sequence[Workers], total: int, *, timeout: float) -> dict[str, int]:
    """Wait until ``total`` workflows exist and none is ENQUEUED or PENDING; return the statuses."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(db, autocommit=True) as conn:
        while True:
            rows = conn.execute("SELECT status, count(*) FROM dbos.workflow_status GROUP BY status").fetchall()
            seen = {str(status): int(n) for status, n in rows}
            if sum(seen.values()) >= total and not seen.get("ENQUEUED") and not seen.get("PENDING"):
                return seen
            for group in workers:
                group.check_alive()
            if time.monotonic() > deadline:
                raise HarnessError(f"the workflows did not all finish within {timeout:.0f}s: {seen}")
            time.sleep(0.25)


def query(db: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(db) as conn:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]  # type: ignore[call-overload]


def assert_no_secret(db: str, secrets: tuple[str, ...], visible: str) -> int:
    """Fail if any cell of any table of the ``dbos`` schema holds a secret (as text, in base64, or inside
    a base64 pickle: tests/durable/harness.py's decodings), or if ``visible`` (a value the workflows did
    record, e.g. an input) is seen nowhere, which would mean the scan does not see into the cells;
    return how many cells were read."""
    from tests.durable.harness import _decodings

    cells, seen = 0, False
    with psycopg.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'dbos'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM dbos."{table}"')
            names = [d.name for d in cursor.description or ()]
            for row in cursor:
                for name, value in zip(names, row):
                    cells += 1
                    for data in _decodings(value):
                        seen = seen or visible.encode() in data
                        for secret in secrets:
                            assert secret.encode() not in data, f"the secret {secret[:4]}... is in dbos.{table}.{name}"
    assert cells, "the dbos schema holds no rows"
    assert seen, f"{visible!r} was recorded but the scan saw it in no cell"
    return cells
