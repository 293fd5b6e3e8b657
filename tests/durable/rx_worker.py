"""A durable worker for tests/durable/test_durable_receive.py's send step: like
worker.py (a real DBOS worker on a SQLite file, JSON lines on stdout), and its send
steps go through a transport that appends each message to ``sent`` (a JSON lines file
the test reads), standing in for a broker.

Usage: ``python rx_worker.py '<json>'`` with keys ``db``, ``path``, ``package``,
``workflow``, ``workflow_id``, ``start`` (true: start it; false: recovery runs it),
``inputs`` and ``sent``.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class FileTransport:
    """Sends by appending the message to a file; receives nothing (the receives are DBOS messages)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def subscribe(self, channel: str) -> Any:
        raise AssertionError("a durable workflow subscribes through DBOS, not through the configured transport")

    def send(self, message: Any) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"channel": message.channel, "payload": message.payload, "headers": dict(message.headers)}) + "\n")
        emit("sent", channel=message.channel)


def main(spec: dict[str, Any]) -> int:
    sys.path.insert(0, spec["path"])
    from dbos import DBOS

    durable = importlib.import_module(f"{spec['package']}.durable")
    DBOS(config={"name": "arazzo-durable-test", "system_database_url": f"sqlite:///{spec['db']}", "run_admin_server": False, "log_level": "WARNING"})
    durable.configure(event_transport=FileTransport(spec["sent"]))
    DBOS.launch()
    emit("launched")
    workflow_id = spec["workflow_id"]
    if spec["start"]:
        getattr(durable, f"start_{spec['workflow']}")(workflow_id, **spec["inputs"])
    try:
        outputs = durable.result(workflow_id)
    except Exception as exc:  # noqa: BLE001 (the workflow's recorded error, whatever it is)
        emit("error", type=type(exc).__name__, message=str(exc))
    else:
        emit("result", outputs=outputs.model_dump(mode="json", by_alias=True))
    DBOS.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
