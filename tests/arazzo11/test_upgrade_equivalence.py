"""The upgraded document compiles to the same behaviour: every Arazzo document of
specs/ and of the 1.0 conformance suite (tests/conformance), upgraded in a copy of
its folder, builds the same package (every file equal but the stamp lines) with the
same diagnostics, where the upgrade changed only the version.

Where it also rewrote JSONPath conditions for the 1.1 root (the conformance
``criteria`` and ``actions`` documents, and Vapi's), the generated code differs in
those queries by design: there the upgraded package is run against the same
cassettes as the original, once the compiler gives 1.1 documents the 1.1 root
(until then these tests are skipped, and say why: the rewrites are checked against
the runtime's evaluator in tests/arazzo11/test_upgrade.py).
"""

from __future__ import annotations

import ast
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

ROOT = Path(__file__).resolve().parents[2]
TREES = ("specs", "tests/conformance")


def _arazzo_documents() -> list[tuple[str, str]]:
    found = []
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json") or "cassettes" in path.parts or "openapi" in path.parts:
                continue
            head = path.read_text(encoding="utf-8")[:2000]
            version = re.search(r"""^["']?arazzo["']?\s*:\s*["']?(\d+\.\d+)""", head, re.MULTILINE)
            if version:
                found.append((version.group(1), path.relative_to(ROOT).as_posix()))
    return found


#: The 1.1 conformance suite's 1.0 twins exist to show where 1.1 differs (or to use a 1.1
#: feature in a 1.0 document): they are checked apart, below.
V11_SUITE = "tests/conformance/v11/"
ALL_1_0 = [rel for version, rel in _arazzo_documents() if version == "1.0"]
DOCUMENTS = [rel for rel in ALL_1_0 if not rel.startswith(V11_SUITE)]
V11_TWINS = [rel for rel in ALL_1_0 if rel.startswith(V11_SUITE)]
DOCUMENTS_1_1 = [rel for version, rel in _arazzo_documents() if version == "1.1"]
#: Documents whose JSONPath conditions the upgrade rewrites for the 1.1 root.
JSONPATH_REWRITTEN = {
    "tests/conformance/actions/arazzo.yaml",
    "tests/conformance/criteria/arazzo.yaml",
    "specs/vapi/arazzo/vapi-ai-assistant-phone-outbound-call-workflow.yml",
}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    """A copy of specs/ and tests/conformance with every 1.0 Arazzo document upgraded,
    and what the upgrade listed for a human, per document."""
    base = tmp_path_factory.mktemp("upgraded")
    for tree in TREES:
        shutil.copytree(ROOT / tree, base / tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    notes: dict[str, list[str]] = {}
    for rel in ALL_1_0:
        outcome = upgrade_file(base / rel, rel)
        assert not outcome.errors, [e.render() for e in outcome.errors]
        assert outcome.changed
        (base / rel).write_bytes(outcome.new.encode("utf-8"))
        notes[rel] = [n.message for n in outcome.notes]
    return base, notes


_TREE_PATH = re.compile(r"[^\s'\"(]*?((?:specs|tests/conformance)/)")
#: The note on embedded values: 1.1 writes an embedded null 'null', 1.0 ''.
EMBEDDED_NULL = "runtime expressions in text"
#: Documents that build differently once upgraded, each for a reason the upgrade
#: lists for a human (a regex that matches '' on a null context, a JSONPath query
#: with no 1.1 equivalent, a name or pointer the 1.1 grammar refuses).
KNOWN_DIFFERENT = {
    "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml",
    "tests/conformance/quirks-expressions/arazzo.yaml",  # a mapping as a parameter value (#559)
}


def _normal(text: str, base: Path) -> str:
    """Text with the stamp lines dropped and both trees' paths made alike."""
    lines = _TREE_PATH.sub(r"<tree>/\1", text.replace(str(base), "").replace(str(ROOT), "")).splitlines()
    return "\n".join(line for line in lines if not line.startswith(("# stamp: ", "# sources: ")))


def _diagnostics(result: Result, base: Path) -> list[tuple[str, str, int, str]]:
    """What was found where (hints may explain the 1.1 reading, so they are left out)."""
    return sorted((d.severity.value, _normal(d.file, base), d.line, _normal(d.message, base)) for d in result.report.items)


def _feature(rel: str) -> str:
    """specs/<provider> or tests/conformance/<feature>[/...]: the documents that link each other."""
    parts = rel.split("/")
    return "/".join(parts[:2] if parts[0] == "specs" else parts[:3])


def _code(text: str, *, embedded_null_noted: bool, regex_noted: bool) -> str:
    """Python source as its syntax tree (layout and comments ignored), with the two 1.1
    helpers that differ from their 1.0 twins only where the upgrade said so read as
    those twins: ``text_1_1`` (an embedded null) and ``regex_holds`` (a null context,
    which only a pattern matching '' tells apart)."""
    tree = ast.dump(ast.parse(text))
    if embedded_null_noted:
        tree = tree.replace("attr='text_1_1'", "attr='text'")
    if not regex_noted:
        tree = tree.replace("attr='regex_holds'", "attr='matches'")
    return tree


RUNTIME = "_runtime/"


def _runtime(files: dict[str, str]) -> str:
    """The runtime parts of a package (not the ``__init__`` that re-exports them), as one text."""
    return "\n".join(text for name, text in sorted(files.items()) if name.startswith(RUNTIME) and name != RUNTIME + "__init__.py")


def _helpers(text: str) -> dict[str, str]:
    """Each top-level statement of a runtime module, by name (functions, classes,
    assignments), as its syntax tree."""
    found: dict[str, str] = {}
    for index, node in enumerate(ast.parse(text).body):
        name = getattr(node, "name", None) or ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node)[:80]
        found[name if isinstance(name, str) else str(index)] = ast.dump(node)
    return found


def test_the_documents_are_found() -> None:
    assert len(DOCUMENTS) >= 40 and JSONPATH_REWRITTEN <= set(DOCUMENTS)
    assert sum(rel.startswith("specs/") for rel in DOCUMENTS) == 5
    assert KNOWN_DIFFERENT <= set(DOCUMENTS)


# The 1.0 twins that 1.0 refuses, each for the 1.1 feature it uses (the first error).
REFUSED_AS_1_0 = {
    "tests/conformance/v11/conditions/embedded-1-0.yaml": "unexpected filter selector token '{'",
    "tests/conformance/v11/identity/anchor-v10.yaml": "inputs $ref '#pet-ref' must point into this document",
    "tests/conformance/v11/identity/relabelled-v10.yaml": "unknown field '$self'",
    "tests/conformance/v11/querystring/relabelled-v10.yaml": '"querystring" is not one of path, query, header, cookie',
    "tests/conformance/v11/selfcond/v10.yaml": "unknown runtime expression root '$self'",
    "tests/conformance/v11/steps/timeout-v10.yaml": "unknown field 'timeout'",
}


def _differences(rel: str, upgraded: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> tuple[list[str], list[str], Result]:
    """What differs between the packages of ``rel`` and of its upgrade, what the upgrade
    listed for a human, and the original's build."""
    base, notes = upgraded
    human = [n for n in notes[rel] if EMBEDDED_NULL not in n]
    # A package holds the workflows of the documents it links to: their notes count too.
    linked = [n for other, found in notes.items() if _feature(other) == _feature(rel) for n in found]
    before = build(Job(spec=ROOT / rel, package="pkg", out=tmp_path / "a"))
    after = build(Job(spec=base / rel, package="pkg", out=tmp_path / "b"))
    flags = {"embedded_null_noted": any(EMBEDDED_NULL in n for n in linked), "regex_noted": any("matches empty text" in n for n in linked)}
    differs = [] if _diagnostics(after, base) == _diagnostics(before, base) else ["diagnostics"]
    if sorted(n for n in after.files if not n.startswith(RUNTIME)) != sorted(n for n in before.files if not n.startswith(RUNTIME)):
        differs.append("the files")
    if not differs:  # the library (every _runtime/ file): the same helpers, plus any the 1.1 code calls
        old, new = _helpers(_runtime(before.files)), _helpers(_runtime(after.files))
        if not all(new.get(key) == code for key, code in old.items()):
            differs.append("_runtime")
    for name in before.files if not differs else ():
        if name.startswith(RUNTIME):
            continue
        if name.endswith(".py"):
            equal = _normal(_code(after.files[name], **flags), base) == _normal(_code(before.files[name], **flags), base)
        else:
            equal = _normal(after.files[name], base) == _normal(before.files[name], base)
        if not equal:
            differs.append(name)
    return differs, human, before


@pytest.mark.parametrize("rel", sorted(set(DOCUMENTS) - JSONPATH_REWRITTEN))
def test_upgraded_document_builds_the_same_package(rel: str, upgraded: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> None:
    differs, human, _ = _differences(rel, upgraded, tmp_path)
    if rel in KNOWN_DIFFERENT:
        assert differs, f"{rel} now builds the same once upgraded: take it out of KNOWN_DIFFERENT"
        assert human, f"{rel} builds differently once upgraded, and the upgrade said nothing"
    else:
        assert not differs, f"{rel}: the upgraded document builds a different package ({', '.join(differs)}; {human or 'nothing listed for a human'})"


@pytest.mark.parametrize("rel", V11_TWINS)
def test_a_1_0_twin_of_the_1_1_suite_builds_the_same_or_is_listed(rel: str, upgraded: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> None:
    # These 1.0 documents show what 1.1 changes: one that compiles as 1.0 either builds
    # the same once upgraded, or the upgrade listed something for a human.
    differs, human, before = _differences(rel, upgraded, tmp_path)
    if before.report.has_errors:
        # Not a valid 1.0 document: nothing to keep, but it must be refused for a 1.1
        # feature (a field or form 1.0 lacks), not for something else.
        errors = [d.render() for d in before.report.items if d.severity.name == "ERROR"]
        assert rel in REFUSED_AS_1_0, errors
        assert REFUSED_AS_1_0[rel] in errors[0], errors
        return
    assert not differs or human, f"{rel}: builds differently once upgraded ({', '.join(differs)}), and the upgrade said nothing"


@pytest.mark.parametrize("rel", DOCUMENTS_1_1)
def test_a_1_1_document_is_left_as_it_is(rel: str) -> None:
    outcome = upgrade_file(ROOT / rel, rel)
    assert not outcome.changed and not outcome.errors and outcome.version.startswith("1.1.")


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


CALLINGBOX = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"


@pytest.fixture(scope="module")
def packages(upgraded: tuple[Path, dict[str, list[str]]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The upgraded JSONPath documents compiled and imported (skipped while the
    compiler reads a 1.1 JSONPath condition with the 1.0 root)."""
    assert _roots_differ(tmp_path_factory.mktemp("probe")), "a 1.1 JSONPath condition is read with the 1.1 root"
    out = tmp_path_factory.mktemp("upgraded_packages")
    sys.path.insert(0, str(out))
    modules: dict[str, Any] = {}
    try:
        for rel in sorted(JSONPATH_REWRITTEN | {CALLINGBOX}):
            package = "upgraded_" + Path(rel).parts[-2 if rel.startswith("tests/") else 1].replace("-", "_")
            result = build(Job(spec=upgraded[0] / rel, package=package, out=out))
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


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_upgraded_callingbox_polls_as_the_original(packages: dict[str, Any], mode: str) -> None:
    # Listed for a human (its regex matches '' so a null status would end the loop in
    # 1.1), but on every recorded status the upgraded workflow polls as before.
    callingbox = packages[CALLINGBOX]
    manager = ReplayManager(ROOT / "tests/cassettes")
    inputs = {"api_key": "sk_live_8d2f4a6c0e1b3d5f", "agent_id": "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f", "to_number": "+15551234567"}
    optional = {
        "from_number": "+15557654321",
        "instructions": "Confirm the patient's appointment tomorrow at 2pm.",
        "context": {"patient": "Maria Lopez", "doctor": "Dr. Chen"},
        "webhook_url": "https://example.com/callingbox-webhook",
        "metadata": {"crm_id": "lead-4471"},
    }  # as tests/providers/test_providers.py (CALLINGBOX) sends them
    try:
        server = manager("callingbox/polls_until_result")
        outputs = _run(callingbox, "callingbox_outbound_call", mode, poll_interval=3.0, servers={"callingboxCallsApi": server.url}, **inputs, **optional)
        assert (outputs.status, outputs.result_status) == ("completed", "completed") and len(server.requests) == 8
        server = manager("callingbox/unlisted_status_keeps_polling")
        assert _run(callingbox, "callingbox_outbound_call", mode, servers={"callingboxCallsApi": server.url}, **inputs).status == "completed"
        assert len(server.requests) == 4
    finally:
        manager.close()


def test_relabelling_alone_would_not_keep_the_behaviour(tmp_path: Path) -> None:
    # Why the upgrade rewrites JSONPath conditions: the criteria document only
    # relabelled 1.1.0 fails the cassette that the original and the upgraded pass.
    assert _roots_differ(tmp_path / "probe"), "a 1.1 JSONPath condition is read with the 1.1 root"
    folder = tmp_path / "relabelled"
    shutil.copytree(ROOT / "tests/conformance/criteria", folder, ignore=shutil.ignore_patterns("cassettes", "*.py", "__pycache__"))
    text = (folder / "arazzo.yaml").read_text(encoding="utf-8")
    (folder / "arazzo.yaml").write_text(text.replace("arazzo: 1.0.1", "arazzo: 1.1.0", 1), encoding="utf-8")
    result = build(Job(spec=folder / "arazzo.yaml", package="relabelled_criteria", out=tmp_path / "out"))
    # The 1.0 comparison quirk is no 1.1 query at all ...
    assert [d.message for d in result.report.items if d.severity.value == "error"] == ["malformed JSONPath query \"$.status == 'ended'\" at column 10: expected '.', '..' or a bracketed selection, found '='"]
    # ... and with that one written as the upgrade writes it, the rest compiles but fails.
    text = text.replace("arazzo: 1.0.1", "arazzo: 1.1.0", 1).replace("condition: $.status == 'ended'", "condition: \"$[?$.status == 'ended']\"")
    (folder / "arazzo.yaml").write_text(text, encoding="utf-8")
    result = build(Job(spec=folder / "arazzo.yaml", package="relabelled_criteria", out=tmp_path / "out"))
    assert not result.report.has_errors, [d.render() for d in result.report.items]
    write_package(tmp_path / "out" / "relabelled_criteria", result.files)
    sys.path.insert(0, str(tmp_path / "out"))
    manager = ReplayManager(ROOT / "tests/conformance/criteria/cassettes")
    try:
        importlib.invalidate_caches()
        module = importlib.import_module("relabelled_criteria")
        with pytest.raises(module.StepFailed):
            _run(module, "jsonpath", "sync", servers={"api": manager("jsonpath-pass").url})
    finally:
        manager.close()
        sys.path.remove(str(tmp_path / "out"))
