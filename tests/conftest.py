"""Shared pytest fixtures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests run the same examples on every machine (derandomize), so `make test` passes or
# fails alike in CI and at a desk; input generation that is slow on a loaded machine is not a
# failure (too_slow, data_too_large), a property that does not hold still is.
settings.register_profile(
    "arazzo-codegen",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("arazzo-codegen")

_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:  # so that `tests.replay` imports in any import mode
    sys.path.insert(0, str(_REPO_ROOT))

from tests import secret_scan  # noqa: E402
from tests.replay import ReplayManager, ReplayServer  # noqa: E402

CASSETTES_DIR = Path(__file__).resolve().parent / "cassettes"


def pytest_configure(config: pytest.Config) -> None:
    """Watch the fixture suites for leaked secrets as they run (tests/secret_scan.py);
    tests/runtime/test_secrets.py gives the verdict."""
    secret_scan.install(config)


@pytest.fixture
def replay() -> Iterator[Callable[[str], ReplayServer]]:
    """Start replay servers for cassettes, by name relative to tests/cassettes.

    ``server = replay("vapi/happy_path")`` loads
    ``tests/cassettes/vapi/happy_path.yaml``, starts a :class:`ReplayServer`
    on 127.0.0.1 and returns it (use ``server.url`` as the client base URL).
    At teardown every server is stopped and ``assert_done()`` is called on
    each, so any mismatch or unconsumed interaction fails the test.  A test
    that provokes mismatches on purpose should ``server.errors.clear()``; one
    that leaves interactions unused on purpose should call
    ``server.expect_unconsumed()``.
    """
    manager = ReplayManager(CASSETTES_DIR)
    yield manager
    manager.close()
