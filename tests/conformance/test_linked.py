"""Conformance: workflows of other Arazzo documents (``arazzo`` source descriptions).

tests/conformance/linked/arazzo.yaml links shared/flows.yaml, which links
shared/audit.yaml (two levels down) and links back to arazzo.yaml.  Workflows are
reached through ``$sourceDescriptions.<name>.<workflowId>`` in dependsOn, in a
step's workflowId and in goto actions; each linked workflow becomes a function of
the same package, named after the source names that reach it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from arazzo_codegen.pipeline import Job, build
from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, Servers, run

LINKED = CONFORMANCE_DIR / "linked"


@pytest.fixture
def linked(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("linked")
    assert not compiled.errors, compiled.errors
    return compiled


def _servers(serve: Servers, scenario: str, *, audit: bool = False) -> dict[str, str]:
    servers = {"pets": serve("linked", f"{scenario}-pets").url, "shared.store": serve("linked", f"{scenario}-store").url}
    if audit:
        servers["shared.audit.auditApi"] = serve("linked", f"{scenario}-audit").url
    return servers


def test_linked_step_and_depends_on_call_workflows_of_another_document(linked: Compiled, serve: Servers, mode: str) -> None:
    servers = _servers(serve, "approved", audit=True)
    outputs = run(linked, "adopt", mode, servers=servers, user="ada", pet_id="p 1", quantity=2, shared_store_key="sk-1")
    # dependsOn $sourceDescriptions.shared.login ran first; $workflows.login.outputs.token reads it
    assert outputs.token == "tok-9"
    # the step calling $sourceDescriptions.shared.placeOrder mapped its parameters to inputs,
    # and placeOrder's own local step call (workflowId: confirmOrder) stayed inside shared/flows.yaml
    assert (outputs.order_id, outputs.status) == ("o-7", "approved")
    assert outputs.pet_name is None
    assert outputs.ordered_with == "placeOrder"  # $sourceDescriptions.shared.placeOrder as a value


def test_linked_goto_workflow_two_documents_down(linked: Compiled, serve: Servers, mode: str) -> None:
    servers = _servers(serve, "approved", audit=True)
    run(linked, "adopt", mode, servers=servers, user="ada", pet_id="p 1", quantity=2, shared_store_key="sk-1")
    # the cassette's teardown check proves POST /events ran; a 'placed' order does not audit:
    run(linked, "adopt", mode, servers=_servers(serve, "placed"), user="ada", pet_id="p 1", shared_store_key="sk-1")


def test_linked_failure_goto_and_calls_back_into_the_root_document(linked: Compiled, serve: Servers, mode: str) -> None:
    outputs = run(linked, "adopt", mode, servers=_servers(serve, "sold"), user="ada", pet_id="p 1", shared_store_key="sk-1")
    # onFailure goto $sourceDescriptions.shared.lookupThenOrder, whose step calls
    # $sourceDescriptions.main.describePet, a workflow of the root document
    assert outputs.pet_name == "Rex"
    assert (outputs.order_id, outputs.status) == (None, None)


def test_linked_workflows_are_functions_named_after_their_source(linked: Compiled) -> None:
    module = linked.module
    assert module is not None
    for name in ("shared_login", "shared_place_order", "shared_confirm_order", "shared_lookup_then_order", "shared_audit_record"):
        assert callable(getattr(module, name)) and callable(getattr(module, name + "_async"))
    # every document is compiled once (the back link to arazzo.yaml adds no second
    # describe_pet): IR snapshot tests/generator/ir_snapshots/linked
    outputs = getattr(module, "SharedPlaceOrderOutputs")
    assert outputs.model_fields["status"].annotation is not str  # typed from store.yaml's enum


def test_linked_sources_get_qualified_server_keys(linked: Compiled) -> None:
    servers = importlib.import_module(linked.package + ".workflows").SERVERS
    # pets.yaml is one file for both documents: one key; the linked documents' own sources
    # are qualified by the source names that reach them
    assert servers == {
        "pets": "https://pets.example.com/v1",
        "shared.store": "https://store.example.com",
        "shared.audit.auditApi": "https://audit.example.com",
    }


def test_linked_credentials_are_keyword_arguments_of_the_caller(linked: Compiled) -> None:
    params = inspect.signature(linked.fn("adopt")).parameters
    # placeOrder (in shared/flows.yaml) calls store.yaml operations secured by the storeKey apiKey
    assert params["shared_store_key"].kind is inspect.Parameter.KEYWORD_ONLY and params["shared_store_key"].default is inspect.Parameter.empty
    assert "shared_store_key" in inspect.signature(linked.fn("shared_confirm_order")).parameters
    assert "shared_store_key" not in inspect.signature(linked.fn("shared_login")).parameters  # login is security: []


def test_linked_references_that_do_not_hold_are_compile_errors(compile_feature: Compiler) -> None:
    compiled = compile_feature("linked", "bad-references.yaml")
    assert compiled.module is None
    errors = "\n".join(compiled.errors)
    assert "bad-references.yaml:8:17: error: $.workflows[0].dependsOn[0]: '$sourceDescriptions.shared.logon'" in errors
    assert "has no workflow 'logon'" in errors and "did you mean 'login'?" in errors
    assert "has no workflow 'placeOrdr'" in errors and "did you mean 'placeOrder'?" in errors
    assert "source description 'pets' is of type openapi, not arazzo" in errors
    assert "source description 'shared' is an Arazzo document, which has workflows, not operations" in errors


def test_linked_document_errors_point_into_that_document(compile_feature: Compiler) -> None:
    compiled = compile_feature("linked", "bad-linked-document.yaml")
    assert compiled.module is None
    assert len(compiled.errors) == 1
    assert "shared/broken.yaml:9:22: error: $.workflows[0].steps[0].operationId: unknown operationId 'placeOrdr'" in compiled.errors[0]


def test_linked_workflows_calling_each_other_across_documents_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("linked", "bad-cycle.yaml")
    assert compiled.module is None
    assert any("workflows call each other in a cycle: ping -> $sourceDescriptions.other.pong -> ping" in e for e in compiled.errors)


# A linked document's $sourceDescriptions.<name>.url is the one written in that document,
# though the file is the root's too (one server key): IR snapshot tests/generator/ir_snapshots/linked.


def test_linked_root_sources_name_their_server_keys_whatever_the_order(linked: Compiled) -> None:
    # arazzo.yaml lists 'shared' (which also uses pets.yaml) before its own 'pets' source:
    # the root's source still names the key, so servers={"pets": ...} keeps working
    servers = importlib.import_module(linked.package + ".workflows").SERVERS
    assert list(servers)[0] == "pets"


def test_linked_workflow_spelled_like_another_documents_key_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("linked", "bad-same-key.yaml")
    assert compiled.module is None
    assert len(compiled.errors) == 1  # at the root workflowId spelled like a reference; no cascade
    assert "bad-same-key.yaml:7:17: error: $.workflows[0].workflowId: workflowId '$sourceDescriptions.shared.login' names this workflow $sourceDescriptions.shared.login, like workflow 'login' of " in compiled.errors[0]


def test_linked_ambiguous_workflows_reference_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("linked", "bad-ambiguous.yaml")
    assert compiled.module is None
    assert any("$workflows.login.outputs.token is ambiguous: $sourceDescriptions.other.login and $sourceDescriptions.shared.login both run here" in e for e in compiled.errors)


def test_linked_documents_behind_symbolic_links_resolve_as_the_system_does(tmp_path: Path) -> None:
    # proj/vendor -> ../real/specs; real/specs/flows.yaml names '../store.yaml', which the
    # operating system opens as real/store.yaml (not proj/store.yaml), and the root's own
    # '../real/store.yaml' is that same file: one document, one server key.
    real = tmp_path / "real"
    (real / "specs").mkdir(parents=True)
    (real / "store.yaml").write_bytes((LINKED / "store.yaml").read_bytes())
    (real / "specs" / "flows.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: vendored, version: 1.0.0}\n"
        "sourceDescriptions:\n  - {name: store, url: ../store.yaml, type: openapi}\n"
        "workflows:\n  - workflowId: login\n    steps:\n"
        "      - {stepId: s, operationId: login, requestBody: {payload: {user: ada}}}\n"
    )
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "vendor").symlink_to("../real/specs", target_is_directory=True)
    (tmp_path / "proj" / "arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: uses a vendored document, version: 1.0.0}\n"
        "sourceDescriptions:\n  - {name: store, url: ../real/store.yaml, type: openapi}\n"
        "  - {name: vendor, url: vendor/flows.yaml, type: arazzo}\n"
        "workflows:\n  - workflowId: go\n    steps:\n"
        "      - {stepId: s, workflowId: $sourceDescriptions.vendor.login}\n"
    )
    result = build(Job(spec=tmp_path / "proj" / "arazzo.yaml", package="vendored", out=tmp_path / "out"))
    assert not result.report.has_errors, [d.render() for d in result.report.items]
    assert '"store": "https://store.example.com"' in result.files["workflows.py"]
    assert '"vendor.store"' not in result.files["workflows.py"]


def test_source_url_fragment_is_ignored_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pets.yaml").write_bytes((LINKED / "pets.yaml").read_bytes())
    (tmp_path / "arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: 1.0.0}\n"
        "sourceDescriptions:\n  - {name: pets, url: 'pets.yaml#/paths', type: openapi}\n"
        "workflows:\n  - workflowId: w\n    steps:\n"
        "      - {stepId: s, operationId: getPet, parameters: [{name: petId, in: path, value: x}]}\n"
    )
    result = build(Job(spec=tmp_path / "arazzo.yaml", package="fragment", out=tmp_path / "out"))
    assert not result.report.has_errors, [d.render() for d in result.report.items]
    assert any(d.json_path == ("sourceDescriptions", 0, "url") and "is ignored" in d.message for d in result.report.items)
