"""A durable worker process for tests/durable: configures DBOS on a SQLite file,
launches it (which recovers the PENDING workflows a killed worker left), optionally
starts one workflow, and prints what happens as JSON lines on stdout:

    {"event": "launched"}
    {"event": "sleep", "seconds": 600.0}       (only with a test clock, see below)
    {"event": "result", "outputs": {...}}      (by alias)
    {"event": "error", "type": "StepFailed", "message": "...", "status": "ERROR"}

Usage: ``python worker.py '<json>'`` with keys ``db`` (SQLite file), ``path`` (the
directory holding the generated package), ``package``, ``workflow`` (function name),
``workflow_id``, ``start`` (``"start"`` it in this process, ``"enqueue"`` it twice
under the same id on the package's queue, or ``false``: only wait for it, recovery
runs it), ``inputs``, ``servers``, ``cancel_after`` (seconds: then cancel it) and
``clock``.

``clock`` (optional) is a test clock injected into DBOS's durable sleep: DBOS.sleep
records ``time.time() + seconds`` as the wake time, then ``time.sleep``s what is left;
the first through the ``time`` module of dbos._sys_db (SystemDatabase.record_sleep),
the second through that of dbos._dbos (DBOS.sleep).  Both are replaced by one clock
whose ``time()`` is the real time plus ``offset`` seconds; in dbos._dbos its
``sleep()`` reports the seconds on stdout and then either blocks (``"block"``: the
worker is killed during it) or returns at once, advancing the clock (``"skip"``);
dbos._sys_db's own waits (its polling loops) sleep for real.  Nothing else in the
process sees the clock.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
import types
from typing import Any


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class TestClock(types.SimpleNamespace):
    """Stands in for the ``time`` module: ``time()`` is offset, the rest is time's."""

    def __init__(self, offset: float) -> None:
        super().__init__()
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class SleepClock(TestClock):
    """The clock DBOS.sleep sees: its ``sleep()`` is reported, then blocks or is skipped."""

    def __init__(self, clock: TestClock, mode: str) -> None:
        super().__init__(0.0)
        self.clock = clock
        self.mode = mode

    def time(self) -> float:
        return self.clock.time()

    def sleep(self, seconds: float) -> None:
        emit("sleep", seconds=seconds)
        if self.mode == "block":
            threading.Event().wait()  # until kill -9
        self.clock.offset += seconds


def main(spec: dict[str, Any]) -> int:
    sys.path.insert(0, spec["path"])
    from dbos import DBOS

    if spec.get("clock"):
        import dbos._dbos
        import dbos._sys_db

        clock = TestClock(spec["clock"]["offset"])
        dbos._sys_db.time = clock  # type: ignore[attr-defined]
        dbos._dbos.time = SleepClock(clock, spec["clock"]["sleep"])  # type: ignore[attr-defined]

    durable = importlib.import_module(f"{spec['package']}.durable")
    DBOS(config={"name": "arazzo-durable-test", "system_database_url": f"sqlite:///{spec['db']}", "run_admin_server": False, "log_level": "WARNING"})
    durable.configure(servers=spec["servers"])
    DBOS.launch()
    emit("launched")
    workflow_id = spec["workflow_id"]
    if spec["start"] == "start":
        getattr(durable, f"start_{spec['workflow']}")(workflow_id, **spec["inputs"])
    elif spec["start"] == "enqueue":
        enqueue = getattr(durable, f"enqueue_{spec['workflow']}")
        handles = [enqueue(workflow_id, **spec["inputs"]) for _ in range(2)]
        emit("enqueued", ids=[h.workflow_id for h in handles], queue=durable.queue().name)
    if spec.get("cancel_after"):
        time.sleep(spec["cancel_after"])
        durable.cancel(workflow_id)
    try:
        outputs = durable.result(workflow_id)
    except Exception as exc:  # noqa: BLE001 (the workflow's recorded error, whatever it is)
        state = durable.status(workflow_id)
        emit("error", type=type(exc).__name__, message=str(exc), status=state.status if state else None)
    else:
        emit("result", outputs=outputs.model_dump(mode="json", by_alias=True))
    DBOS.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
