"""Fixtures of tests/durable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.durable.harness import Worker


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """``spawn(label, spec, env)`` starts a worker; all are killed (if still running) at teardown."""
    started: list[Worker] = []

    def start(label: str, spec: dict[str, Any], env: dict[str, str]) -> Worker:
        worker = Worker(tmp_path, label, spec, env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()
