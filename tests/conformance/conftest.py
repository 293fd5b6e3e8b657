"""Fixtures of the conformance suite: compile features once, serve cassettes, run both twins."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.conformance.harness import Compiler, Servers, add_to_path


@pytest.fixture(scope="session")
def compile_feature(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compiler]:
    """``compile_feature("actions")`` builds tests/conformance/actions/arazzo.yaml once per session."""
    out = tmp_path_factory.mktemp("conformance_packages")
    add_to_path(out)
    yield Compiler(out)
    sys.path.remove(str(out))


@pytest.fixture
def serve() -> Iterator[Servers]:
    """``serve("actions", "retry")`` serves tests/conformance/actions/cassettes/retry.yaml;
    at teardown every request must have matched and every interaction been used."""
    servers = Servers()
    yield servers
    servers.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run each scenario through the function and through its async twin."""
    return str(request.param)


