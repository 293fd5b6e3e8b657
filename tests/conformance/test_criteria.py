"""Conformance: Criterion Objects of type simple, regex, jsonpath (RFC 9535 and the
Goessner draft) and xpath (versions 1.0 to 3.1)."""

from __future__ import annotations

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run


@pytest.fixture
def criteria(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("criteria")
    assert not compiled.errors, compiled.errors
    return compiled


def fails(compiled: Compiled, workflow: str, server_url: str, mode: str) -> str:
    step_failed = compiled.fn("StepFailed")
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(compiled, workflow, mode, servers={"api": server_url})
    return str(caught.value)


def test_criterion_simple_full_grammar(criteria: Compiled, serve: Servers, mode: str) -> None:
    # == != < <= > >= ! && || () [index] ['key'] .property, number/string/boolean/null
    # literals, '' inside a string, and case-insensitive string equality ('hello' == 'HELLO').
    outputs = run(criteria, "simple", mode, servers={"api": serve("criteria", "simple-pass").url})
    assert outputs.title == "hello"


def test_criterion_simple_failing_condition_fails_the_step(criteria: Compiled, serve: Servers, mode: str) -> None:
    message = fails(criteria, "simple", serve("criteria", "simple-fail").url, mode)
    assert "'check'" in message and "success criteria" in message


def test_criterion_regex(criteria: Compiled, serve: Servers, mode: str) -> None:
    run(criteria, "regex", mode, servers={"api": serve("criteria", "regex-pass").url})
    fails(criteria, "regex", serve("criteria", "regex-fail").url, mode)


def test_criterion_jsonpath_rfc9535_and_goessner(criteria: Compiled, serve: Servers, mode: str) -> None:
    run(criteria, "jsonpath", mode, servers={"api": serve("criteria", "jsonpath-pass").url})
    fails(criteria, "jsonpath", serve("criteria", "jsonpath-fail").url, mode)


def test_criterion_jsonpath_context_is_wrapped_and_comparisons_are_exact(criteria: Compiled, serve: Servers, mode: str) -> None:
    # $[?@.status == 'ended'] filters the one-element array holding the context, so it
    # tests the body itself; RFC 9535 string comparison is exact ('Ended' fails).
    fails(criteria, "jsonpath", serve("criteria", "jsonpath-case").url, mode)
    assert "_runtime.jsonpath_test(body, \"$[?@.status == 'ended']\")" in criteria.source


def test_criterion_jsonpath_goessner_version_is_passed_to_the_runtime(criteria: Compiled) -> None:
    assert '_runtime.jsonpath_test(body, "$..items[?(@.price > 10)]", goessner=True)' in criteria.source


def test_quirk_jsonpath_comparison_is_accepted_with_a_warning(criteria: Compiled, serve: Servers, mode: str) -> None:
    assert any("is a comparison, not an RFC 9535 query" in w for w in criteria.warnings)
    run(criteria, "jsonpath_quirk", mode, servers={"api": serve("criteria", "quirk").url})


def test_criterion_xpath_all_versions(criteria: Compiled, serve: Servers, mode: str) -> None:
    outputs = run(criteria, "xpath", mode, servers={"api": serve("criteria", "xpath-pass").url})
    assert outputs.xml.startswith("<report")  # a non-JSON body is kept as text
    message = fails(criteria, "xpath", serve("criteria", "xpath-fail").url, mode)
    assert "'report'" in message


def test_criterion_xpath_outside_the_subset_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("criteria", "bad-xpath.yaml")
    assert compiled.module is None
    assert any("following-sibling axis is outside the supported XPath subset" in e for e in compiled.errors)


def test_criterion_jsonpath_malformed_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("criteria", "bad-jsonpath.yaml")
    assert compiled.module is None
    assert any("malformed JSONPath query" in e and "column 13" in e for e in compiled.errors)


def test_runtime_parts_are_included_only_when_used(compile_feature: Compiler, criteria: Compiled) -> None:
    assert "def jsonpath_test(" in criteria.files["_runtime.py"]
    assert "def xpath_test(" in criteria.files["_runtime.py"]
    plain = compile_feature("expressions")
    assert "def jsonpath_test(" not in plain.files["_runtime.py"]
    assert "def xpath_test(" not in plain.files["_runtime.py"]
