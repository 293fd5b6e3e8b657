"""Worker processes and database checks for tests/durable.

:class:`Worker` runs tests/durable/worker.py in a subprocess (a real DBOS worker on a
SQLite file) and reads the JSON lines it prints; :meth:`Worker.kill` is ``kill -9``.
:func:`assert_no_secret` reads every row of every table of the SQLite database.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.replay import Cassette, ReplayServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORKER = HERE / "worker.py"
CASSETTES = HERE / "cassettes"
#: Every wait is bounded by this (seconds): a worker that hangs fails the test.
TIMEOUT = 60.0


def serve(name: str) -> ReplayServer:
    """A started replay server for tests/durable/cassettes/<name>.yaml, or for a
    cassette of tests/cassettes (``"vapi/happy_path"``)."""
    path = CASSETTES / f"{name}.yaml"
    if not path.is_file():
        path = ROOT / "tests" / "cassettes" / f"{name}.yaml"
    server = ReplayServer(Cassette.load(path))
    server.start()
    return server


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Worker:
    """One worker process; its stdout events arrive in :attr:`events`."""

    def __init__(self, tmp: Path, label: str, spec: dict[str, Any], env: dict[str, str]) -> None:
        self.label = label
        self.stderr_path = tmp / f"{label}.stderr"
        self.events: list[dict[str, Any]] = []
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DBOS")}
        environment.update(env)
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(spec)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=environment,
                cwd=tmp,
                text=True,
            )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(json.loads(line))
        self._lines.put(None)

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def wait_for(self, event: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next event named ``event`` (earlier ones are kept in :attr:`events`)."""
        return self.wait_for_any((event,), timeout)

    def outcome(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The workflow's result or error event, once the worker has exited."""
        deadline = time.monotonic() + timeout
        item = self.wait_for_any(("result", "error"), timeout)
        code = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        assert code == 0, f"{self.label} exited {code}; stderr:\n{self.stderr()}"
        return item

    def wait_for_any(self, names: tuple[str, ...], timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.label}: no {names} event in {timeout:g} s; stderr:\n{self.stderr()}") from None
            if item is None:
                self._lines.put(None)
                raise AssertionError(f"{self.label} exited ({self.process.wait()}) before {names}; events {self.events}; stderr:\n{self.stderr()}")
            self.events.append(item)
            if item["event"] in names:
                return item

    def kill(self) -> None:
        """kill -9, and reap."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()


def rows(db: Path) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every row of every table."""
    out: list[tuple[str, str, object]] = []
    with sqlite3.connect(db) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                out.extend((table, name, value) for name, value in zip(names, row))
    connection.close()
    return out


def _decodings(value: object) -> list[bytes]:
    """The value's bytes, and what they decode to when they are base64 (DBOS pickles
    step outputs and workflow inputs, outputs and errors, then base64-encodes them)."""
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    found = [raw]
    try:
        found.append(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        pass
    return found


def assert_no_secret(db: Path, secrets: tuple[str, ...], visible: str) -> int:
    """Fail if any cell of the database holds a secret (as text, in base64, or inside a
    base64 pickle); return how many cells were read.  ``visible`` is a value the run
    did record (a response's id): the scan must find it, so it does see inside the
    pickled step outputs."""
    cells = rows(db)
    assert cells, f"{db} holds no rows"
    seen = False
    for table, column, value in cells:
        for data in _decodings(value):
            seen = seen or visible.encode("utf-8") in data
            for secret in secrets:
                assert secret.encode("utf-8") not in data, f"the secret {secret[:4]}... is in {table}.{column}"
    assert seen, f"{visible!r} is in no cell: the scan does not see the recorded steps"
    return len(cells)
