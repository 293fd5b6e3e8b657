"""Conformance (Arazzo 1.1): ``$self``, identity-based referencing and the ``$self``
runtime expression (CHANGES-1.1 sections 2-5).  Documents in tests/conformance/v11/identity:
the entry names https://example.com/wf/shared.arazzo.yaml, which no file is called;
shared-copy.yaml declares it as its ``$self``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from arazzo_codegen.pipeline import Job, build
from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, Servers, run

FEATURE = "v11/identity"


@pytest.fixture
def identity(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


def test_sources_named_by_self_are_the_local_documents(identity: Compiled, serve: Servers, mode: str) -> None:
    # The linked workflow (shared-copy.yaml, by its $self) gets the pet; the entry's
    # relative ./pets.yaml resolves against its $self to the URI pets-description.yaml
    # declares; the cassette checks the X-Origin header built from {$self}.
    server = serve(FEATURE, "main")
    result = run(identity, "main", mode, servers={"pets": server.url}, pet_id=7)
    assert result.name == "Rex"
    assert result.me == "https://example.com/wf/entry.arazzo.yaml"  # $self of the entry
    assert result.shared_self == "https://example.com/wf/shared.arazzo.yaml"  # $self of the linked document


def test_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    result = build(Job(spec=CONFORMANCE_DIR / FEATURE / "arazzo.yaml", package="identity_offline", out=tmp_path))
    assert not result.report.has_errors, [d.render() for d in result.report.items]


def test_relative_url_without_an_identity_is_read_next_to_the_document(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "fallback.yaml")
    assert not compiled.errors, compiled.errors
    assert compiled.module is not None


def test_self_without_a_self_and_an_unknown_identity_are_errors(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "no-self.yaml")
    errors = compiled.errors
    assert len(errors) == 2, errors
    assert "no-self.yaml:7:10: error: $.sourceDescriptions[0].url: source description 'unknown': 'https://example.com/elsewhere/unknown.yaml' is a remote URL" in errors[0]
    assert "put the document whose $self is this URL next to this one" in errors[0]
    assert "no-self.yaml:15:11: error: $.workflows[0].outputs.me: $self: this document declares no $self" in errors[1]


def test_self_in_a_1_0_document_is_refused(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "relabelled-v10.yaml")
    assert compiled.module is None
    assert any("$self" in e for e in compiled.errors), compiled.errors


def test_inputs_ref_by_anchor_types_the_inputs_in_1_1_only(compile_feature: Compiler) -> None:
    # CHANGES-1.1 section 4: '#pet-ref' names the schema with $anchor: pet-ref.
    compiled = compile_feature(FEATURE, "anchor.yaml")
    assert not compiled.errors, compiled.errors  # both typed pet_id: int: IR snapshot tests/generator/ir_snapshots/anchor
    relabelled = compile_feature(FEATURE, "anchor-v10.yaml")
    assert relabelled.module is None
    assert "anchor-v10.yaml:11:5: error: $.workflows[0].inputs: inputs $ref '#pet-ref' must point into this document" in relabelled.errors[0]


def test_relative_url_resolved_against_self_goes_through_the_source_map(tmp_path: Path) -> None:
    folder = CONFORMANCE_DIR / FEATURE
    mapped = build(Job(spec=folder / "mapped.yaml", package="identity_mapped", out=tmp_path, source_map=(("https://example.com/wf/api/", str(folder / "mirror")),)))
    assert not mapped.report.has_errors, [d.render() for d in mapped.report.items]
    unmapped = build(Job(spec=folder / "mapped.yaml", package="identity_unmapped", out=tmp_path))
    errors = [d.render() for d in unmapped.report.items]
    assert any("mapped.yaml:10:10: error: $.sourceDescriptions[0].url: source './api/pets.yaml' resolves against $self to 'https://example.com/wf/api/pets.yaml', which no local document declares" in e for e in errors), errors
