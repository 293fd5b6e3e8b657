"""Conformance (Arazzo 1.1): the ``$self`` runtime expression inside conditions
(CHANGES-1.1 sections 5 and 23).  Documents in tests/conformance/v11/selfcond.

In a simple condition ``$self`` is the document's URI, a string operand on either side
of a comparison.  Embedded as ``{$self}`` in a regex, jsonpath or xpath condition it is
written into the query when the workflow is compiled, escaped as a value substituted at
run time is.  Each workflow of arazzo.yaml reads a document, then goes to /ours when its
criterion holds and to /theirs when it does not; the cassettes admit only that path.
"""

from __future__ import annotations

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run

FEATURE = "v11/selfcond"
SELF = "https://example.com/wf/self-conditions.arazzo.yaml"


@pytest.fixture
def selfcond(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    assert not compiled.warnings, compiled.warnings
    return compiled


def branch(compiled: Compiled, workflow: str, serve: Servers, scenario: str, mode: str) -> str:
    """Which of the two steps the workflow ran ("ours" or "theirs")."""
    result = run(compiled, workflow, mode, servers={"api": serve(FEATURE, scenario).url})
    taken = [name for name in ("ours", "theirs") if getattr(result, name) is not None]
    assert len(taken) == 1, result
    assert getattr(result, taken[0]) == 204
    return taken[0]


@pytest.mark.parametrize("workflow", ["simple_right", "simple_left"])
def test_self_in_a_simple_condition_decides_the_branch(selfcond: Compiled, serve: Servers, mode: str, workflow: str) -> None:
    # simple_right: $response.body#/source == $self; simple_left: $self == ... && $self != '...'
    assert branch(selfcond, workflow, serve, "doc-ours", mode) == "ours"
    assert branch(selfcond, workflow, serve, "doc-theirs", mode) == "theirs"


@pytest.mark.parametrize(("workflow", "document"), [("jsonpath", "doc"), ("regex", "doc"), ("xpath", "report")])
def test_embedded_self_decides_the_branch(selfcond: Compiled, serve: Servers, mode: str, workflow: str, document: str) -> None:
    assert branch(selfcond, workflow, serve, f"{document}-ours", mode) == "ours"
    # doc-theirs's source differs from $self in one '.', which an unescaped regex would match
    assert branch(selfcond, workflow, serve, f"{document}-theirs", mode) == "theirs"


# $self is compiled to a constant: IR snapshot tests/generator/ir_snapshots/self.


def test_a_quoted_self_cannot_change_a_jsonpath_query(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # $self is "https://example.com/wf/x' || @.source != 'x": as plain text it would make the
    # filter "@.source == 'https://example.com/wf/x' || @.source != 'x'", which the listed
    # documents meet; escaped it stays one string literal, met only by that exact source.
    quoted = compile_feature(FEATURE, "quoted.yaml")
    assert not quoted.errors, quoted.errors
    assert branch(quoted, "jsonpath", serve, "quoted-other", mode) == "theirs"
    assert branch(quoted, "jsonpath", serve, "quoted-self", mode) == "ours"
    assert '"https://example.com/wf/x\' || @.source != \'x",' in quoted.source  # one string literal of the compiled filter


def test_self_in_a_condition_of_a_document_without_self_is_an_error(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "no-self.yaml")
    assert compiled.module is None
    errors = compiled.errors
    assert len(errors) == 3, errors
    at = "$.workflows[0].steps[0].successCriteria"
    assert f"no-self.yaml:12:24: error: {at}[0].condition: $self: this document declares no $self (condition '$statusCode == 200 && $response.body#/source == $self' reads $self at column 49)" in errors[0]
    assert f"no-self.yaml:13:66: error: {at}[1].condition: $self: this document declares no $self (condition \"$.docs[?@.source == '{{$self}}']\" embeds {{$self}} at column 22)" in errors[1]
    assert f"no-self.yaml:14:71: error: {at}[2].condition: $self: this document declares no $self (condition '^{{$self}}$' embeds {{$self}} at column 2)" in errors[2]
    assert all("hint: add its URI at the top of the document, e.g. $self: https://example.com/workflows/shop.arazzo.yaml" in e for e in errors), errors


def test_self_where_its_text_would_change_the_query_is_an_error(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "misplaced.yaml")
    assert compiled.module is None
    errors = compiled.errors
    assert len(errors) == 2, errors
    assert "misplaced.yaml:15:66: error: $.workflows[0].steps[0].successCriteria[0].condition: condition '$.docs[?@.source == {$self}]' embeds {$self} (\"https://example.com/wf/it's.arazzo.yaml\") at column 21, where its text would change the jsonpath query" in errors[0]
    assert "hint: put it inside a string literal, e.g. '{$self}'" in errors[0]
    assert "misplaced.yaml:19:90: error: $.workflows[0].steps[1].successCriteria[0].condition:" in errors[1]
    assert "hint: XPath 1.0 has no escape for a quote" in errors[1]


def test_self_in_a_1_0_condition_is_refused_as_before(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "v10.yaml")
    assert compiled.module is None
    errors = compiled.errors
    assert len(errors) == 1, errors
    assert "v10.yaml:13:24: error: $.workflows[0].steps[0].successCriteria[0].condition: malformed condition '$response.body#/source == $self' at column 27: unknown runtime expression root '$self'" in errors[0]
