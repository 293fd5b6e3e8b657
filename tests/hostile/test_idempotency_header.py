"""The ``idempotency-header`` option: a configured header name (any case) that, like
``Idempotency-Key``, marks an operation idempotency-keyed, so that its POST carries a
key that is the same on every retry, and only then is retried after a reset or a 5xx.

Fixture: tests/conformance/idempotency/custom-header.{arazzo,openapi}.yaml
(``createPayment`` declares ``x-idempotency-token``, ``createRefund`` declares
``Idempotency-Key``), compiled with and without the option.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import package_status, write_package
from tests.conformance.harness import CONFORMANCE_DIR, add_to_path
from tests.hostile.test_retries import MODES, Reply, Routes, run, serve  # noqa: F401  (serve is a fixture)
from tests.replay import SleepRecorder

SPEC = CONFORMANCE_DIR / "idempotency" / "custom-header.arazzo.yaml"
CONFIGURED = "X-Idempotency-Token"  # the OpenAPI spells it x-idempotency-token


def compile_package(out: Path, package: str, header: str | None) -> tuple[Job, ModuleType]:
    job = Job(spec=SPEC, package=package, out=out, idempotency_header=header)
    result = build(job)
    assert result.files, [d.render() for d in result.report.items]
    write_package(job.package_dir, result.files)
    add_to_path(out)
    importlib.invalidate_caches()
    return job, importlib.import_module(package)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Job, ModuleType]]:
    out = tmp_path_factory.mktemp("idempotency_header")
    return {"configured": compile_package(out, "idem_header_configured", CONFIGURED), "plain": compile_package(out, "idem_header_plain", None)}


def routes(payments: list[Reply], refunds: list[Reply] | None = None) -> Routes:
    return Routes({("POST", "/payments"): payments, ("POST", "/refunds"): refunds or [(201, {}, {})]})


def sent(server: Any, path: str, header: str) -> list[str | None]:
    return [r.headers.get(header) for r in server.requests if r.path == path]


@MODES
@pytest.mark.parametrize("failure", [(503, {}, None), (502, {}, None), None], ids=["503", "502", "reset"])
def test_the_configured_header_carries_one_key_across_the_retry(packages: Any, serve: Any, mode: str, failure: Reply) -> None:
    _, module = packages["configured"]
    server = serve(routes([failure, (201, {}, {"id": "pay_1"})]))
    sleep = SleepRecorder()
    outputs = run(module.pay, mode, sleep, servers={"payments": server.url}, idempotency_key="run-7")
    assert outputs.payment_id == "pay_1"
    # The header goes out as the OpenAPI spells it; the server reads it case-insensitively.
    assert sent(server, "/payments", "x-idempotency-token") == ["run-7:pay:charge"] * 2
    assert sent(server, "/payments", "idempotency-key") == [None, None]
    assert len(sleep.calls) == 1


@MODES
def test_idempotency_key_is_still_recognised_beside_the_configured_header(packages: Any, serve: Any, mode: str) -> None:
    _, module = packages["configured"]
    server = serve(routes([(201, {}, {})], [(503, {}, None), (201, {}, {})]))
    run(module.refund, mode, SleepRecorder(), servers={"payments": server.url})
    keys = sent(server, "/refunds", "idempotency-key")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]


@MODES
@pytest.mark.parametrize("failure", [(503, {}, None), None], ids=["503", "reset"])
def test_without_the_option_the_post_is_sent_once(packages: Any, serve: Any, mode: str, failure: Reply) -> None:
    _, module = packages["plain"]
    server = serve(routes([failure, (201, {}, {"id": "pay_1"})]))
    with pytest.raises(module.WorkflowError):
        run(module.pay, mode, SleepRecorder(), servers={"payments": server.url})
    assert sent(server, "/payments", "x-idempotency-token") == [None]


def test_only_the_configured_package_takes_and_sends_a_key(packages: Any) -> None:
    configured = (packages["configured"][0].package_dir / "workflows.py").read_text(encoding="utf-8")
    plain = (packages["plain"][0].package_dir / "workflows.py").read_text(encoding="utf-8")
    assert '"x-idempotency-token": _keys.key("charge")' in configured
    assert '"x-idempotency-token":' not in plain and "idempotency_key: str | None = None" in configured
    assert '"Idempotency-Key": _keys.key("give")' in plain  # the standard name needs no option


def test_the_stamp_changes_when_the_option_changes(packages: Any) -> None:
    job, _ = packages["configured"]
    assert package_status(job.package_dir, job.spec, job.options()) == "current"
    for other in (None, "X-Other-Key"):
        changed = Job(spec=job.spec, package=job.package, out=job.out, idempotency_header=other)
        assert package_status(job.package_dir, job.spec, changed.options()) == "stale", other
    plain, _ = packages["plain"]
    assert "idempotency_header" not in plain.options()  # packages without the option keep their stamps
