"""The upgraded document compiles to the same behaviour: every Arazzo document of
specs/ and of the 1.0 conformance suite (tests/conformance), upgraded in a copy of
its folder, builds the same package (every file equal but the stamp lines) with the
same diagnostics, where the upgrade changed only the version.

Where it also rewrote JSONPath conditions for the 1.1 root (the conformance
``criteria`` and ``actions`` documents, and Vapi's), the generated code differs in
those queries by design: there the upgraded package is run against the same
cassettes as the original, once the compiler gives 1.1 documents the 1.1 root
(until then these tests are skipped, and say why: the rewrites are checked against
the runtime's evaluator in tests/test_upgrade.py).
"""

from __future__ import annotations

import asyncio
import importlib
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arazzo_codegen.pipeline import Job, Result, build
from arazzo_codegen.upgrade import upgrade_file
from arazzo_codegen.write import write_package

from tests.replay import ReplayManager, SleepRecorder

ROOT = Path(__file__).resolve().parent.parent
TREES = ("specs", "tests/conformance")


def _arazzo_documents() -> list[str]:
    found = []
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json") or "cassettes" in path.parts or "openapi" in path.parts:
                continue
            head = path.read_text(encoding="utf-8")[:400]
            if "arazzo:" in head or '"arazzo"' in head:
                found.append(path.relative_to(ROOT).as_posix())
    return found


DOCUMENTS = _arazzo_documents()
#: Documents whose JSONPath conditions the upgrade rewrites for the 1.1 root.
JSONPATH_REWRITTEN = {
    "tests/conformance/actions/arazzo.yaml",
    "tests/conformance/criteria/arazzo.yaml",
    "specs/vapi/arazzo/vapi-ai-assistant-phone-outbound-call-workflow.yml",
}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of specs/ and tests/conformance with every Arazzo document upgraded."""
    base = tmp_path_factory.mktemp("upgraded")
    for tree in TREES:
        shutil.copytree(ROOT / tree, base / tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for rel in DOCUMENTS:
        outcome = upgrade_file(base / rel, rel)
        assert not outcome.errors, [e.render() for e in outcome.errors]
        (base / rel).write_bytes(outcome.new.encode("utf-8"))
    return base


_TREE_PATH = re.compile(r"[^\s'\"(]*?((?:specs|tests/conformance)/)")


def _normal(text: str, base: Path) -> str:
    """Text with the stamp lines dropped and both trees' paths made alike."""
    lines = _TREE_PATH.sub(r"<tree>/\1", text.replace(str(base), "").replace(str(ROOT), "")).splitlines()
    return "\n".join(line for line in lines if not line.startswith(("# stamp: ", "# sources: ")))


def _diagnostics(result: Result, base: Path) -> list[tuple[str, str, int, str, str]]:
    rows = []
    for d in result.report.items:
        rows.append((d.severity.value, _normal(d.file, base), d.line, _normal(d.message, base), _normal(d.hint or "", base)))
    return sorted(rows)


def test_the_documents_are_found() -> None:
    assert len(DOCUMENTS) >= 40 and JSONPATH_REWRITTEN <= set(DOCUMENTS)
    assert sum(rel.startswith("specs/") for rel in DOCUMENTS) == 5


@pytest.mark.parametrize("rel", sorted(set(DOCUMENTS) - JSONPATH_REWRITTEN))
def test_upgraded_document_builds_the_same_package(rel: str, upgraded: Path, tmp_path: Path) -> None:
    assert (upgraded / rel).read_text(encoding="utf-8") != (ROOT / rel).read_text(encoding="utf-8")  # it was upgraded
    before = build(Job(spec=ROOT / rel, package="pkg", out=tmp_path / "a"))
    after = build(Job(spec=upgraded / rel, package="pkg", out=tmp_path / "b"))
    assert _diagnostics(after, upgraded) == _diagnostics(before, upgraded)
    assert sorted(after.files) == sorted(before.files)
    for name in before.files:
        assert _normal(after.files[name], upgraded) == _normal(before.files[name], upgraded), name


def _roots_differ(tmp_path: Path) -> bool:
    """Does the compiler give a 1.1 document the 1.1 JSONPath root?  The criteria
    document relabelled 1.1.0 (conditions untouched) then compiles differently."""
    original = ROOT / "tests/conformance/criteria/arazzo.yaml"
    folder = tmp_path / "relabelled"
    shutil.copytree(original.parent, folder, ignore=shutil.ignore_patterns("cassettes"))
    text = original.read_text(encoding="utf-8")
    (folder / "arazzo.yaml").write_text(text.replace("arazzo: 1.0.1", "arazzo: 1.1.0", 1), encoding="utf-8")
    before = build(Job(spec=original, package="pkg", out=tmp_path / "a"))
    after = build(Job(spec=folder / "arazzo.yaml", package="pkg", out=tmp_path / "b"))
    return _normal(before.files.get("workflows.py", ""), tmp_path) != _normal(after.files.get("workflows.py", ""), tmp_path)


@pytest.fixture(scope="module")
def packages(upgraded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The upgraded JSONPath documents compiled and imported (skipped while the
    compiler reads a 1.1 JSONPath condition with the 1.0 root)."""
    if not _roots_differ(tmp_path_factory.mktemp("probe")):
        pytest.skip("the compiler does not give 1.1 documents the 1.1 JSONPath root yet")
    out = tmp_path_factory.mktemp("upgraded_packages")
    sys.path.insert(0, str(out))
    modules: dict[str, Any] = {}
    try:
        for rel in sorted(JSONPATH_REWRITTEN):
            package = "upgraded_" + Path(rel).parent.name.replace("-", "_")
            result = build(Job(spec=upgraded / rel, package=package, out=out))
            assert not result.report.has_errors, [d.render() for d in result.report.items]
            write_package(out / package, result.files)
            importlib.invalidate_caches()
            modules[rel] = importlib.import_module(package)
        yield modules
    finally:
        sys.path.remove(str(out))


def _run(module: Any, function: str, mode: str, **kwargs: Any) -> Any:
    sleep = SleepRecorder()
    if mode == "sync":
        return getattr(module, function)(sleep=sleep, **kwargs)
    return asyncio.run(getattr(module, function + "_async")(sleep=sleep.asleep, **kwargs))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_upgraded_jsonpath_criteria_behave_as_the_originals(packages: dict[str, Any], mode: str) -> None:
    criteria = packages["tests/conformance/criteria/arazzo.yaml"]
    manager = ReplayManager(ROOT / "tests/conformance/criteria/cassettes")
    try:
        _run(criteria, "jsonpath", mode, servers={"api": manager("jsonpath-pass").url})
        _run(criteria, "jsonpath_quirk", mode, servers={"api": manager("quirk").url})
        for scenario in ("jsonpath-fail", "jsonpath-case"):
            with pytest.raises(criteria.StepFailed):
                _run(criteria, "jsonpath", mode, servers={"api": manager(scenario).url})
    finally:
        manager.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_upgraded_action_criteria_behave_as_the_originals(packages: dict[str, Any], mode: str) -> None:
    actions = packages["tests/conformance/actions/arazzo.yaml"]
    manager = ReplayManager(ROOT / "tests/conformance/actions/cassettes")
    try:
        outputs = _run(actions, "criteria_see_response", mode, poll_interval=0.25, servers={"jobs": manager("criteria-see-response").url})
        assert outputs.state == "done"
    finally:
        manager.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_upgraded_vapi_polls_until_ended_as_the_original(packages: dict[str, Any], mode: str) -> None:
    vapi = packages["specs/vapi/arazzo/vapi-ai-assistant-phone-outbound-call-workflow.yml"]
    manager = ReplayManager(ROOT / "tests/cassettes")
    try:
        server = manager("vapi/happy_path")
        inputs = {"api_token": "vapi-secret-token-123", "name": "Ada Outreach", "first_message": "Hello, this is Ada.", "system_prompt": "You are a polite assistant.", "customer_number": "+14155550199"}
        outputs = _run(vapi, "assistant_phone_outbound_call", mode, poll_interval=2.5, servers={k: server.url for k in ("assistantsApi", "phoneNumbersApi", "callsApi")}, **inputs)
        assert outputs.call_status == "ended" and len(server.requests) == 7
    finally:
        manager.close()
