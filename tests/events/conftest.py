"""Fixtures of the event runtime tests: the runtime rendered with its "events" part (and
"events_send", which a package with a send step carries)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.events.runtime import load_runtime


@pytest.fixture(scope="session")
def rt(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The generated ``_runtime`` module with the "events", "events_send" and "events_webhook" parts, imported."""
    return load_runtime(Path(tmp_path_factory.mktemp("runtime")), ("events", "events_send", "events_webhook"))
