"""Conformance, ``$sourceDescriptions.<name>.<ref>`` resolution order (CHANGES-1.1 section 28)."""

from __future__ import annotations

from tests.conformance.harness import Compiler, Servers, run

FEATURE = "v11/sources"


def test_an_operation_id_wins_over_a_field_in_1_1(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    outputs = run(compiled, "w", mode, servers={"api": serve(FEATURE, "call").url})
    assert (outputs.which, outputs.kind) == ("url", "openapi")  # the operation 'url'; then the field 'type'


def test_the_url_field_wins_in_1_0(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    compiled = compile_feature(FEATURE, "arazzo-1-0.yaml")
    assert not compiled.errors, compiled.errors
    outputs = run(compiled, "w", mode, servers={"api": serve(FEATURE, "call").url})
    assert outputs.which == "./openapi.yaml"
