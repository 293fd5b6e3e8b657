"""Conformance: Criterion Objects of type simple, regex, jsonpath (RFC 9535 and the
Goessner draft) and xpath (versions 1.0 to 3.1).

How each criterion compiles (JSONPath queries to plain Python, the XPath version passed
to the runtime) is shown by the IR snapshots tests/generator/ir_snapshots/jsonpath and
xpath; these tests run the criteria."""

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
    assert "'check'" in message and "successCriteria " in message


def test_step_failed_names_the_first_criterion_that_did_not_hold(criteria: Compiled, serve: Servers, mode: str) -> None:
    # Criteria 1 and 2 hold on this response; the third (items[1].name == 'b') is the one that fails.
    step_failed = criteria.fn("StepFailed")
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(criteria, "simple", mode, servers={"api": serve("criteria", "simple-fail").url})
    third = "$response.body#/items[1].name == 'b' && $response.body#/items[0]['name'] == 'a'"
    assert caught.value.criterion == third
    assert caught.value.retries == 0 and caught.value.retry_limit is None
    assert f"failed with HTTP 200: successCriteria {third} not met (GET " in str(caught.value)
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(criteria, "regex", mode, servers={"api": serve("criteria", "regex-fail").url})
    assert caught.value.criterion == "^t-[0-9]+$ (regex on $response.header.X-Trace)"


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


def test_quirk_jsonpath_comparison_is_accepted_with_a_warning(criteria: Compiled, serve: Servers, mode: str) -> None:
    assert any("is a comparison, not an RFC 9535 query" in w for w in criteria.warnings)
    run(criteria, "jsonpath_quirk", mode, servers={"api": serve("criteria", "quirk").url})


def test_criterion_xpath_all_versions(criteria: Compiled, serve: Servers, mode: str) -> None:
    outputs = run(criteria, "xpath", mode, servers={"api": serve("criteria", "xpath-pass").url})
    assert outputs.xml.startswith("<report")  # a non-JSON body is kept as text
    message = fails(criteria, "xpath", serve("criteria", "xpath-fail").url, mode)
    assert "'report'" in message


def test_criterion_xpath_2_and_3_constructs_end_to_end(criteria: Compiled, serve: Servers, mode: str) -> None:
    # every/satisfies, if/then/else, ge/eq, distinct-values() (2.0), let and max()/min()
    # (3.0), ||, the simple map operator ! and tokenize() (3.1), compiled and replayed.
    run(criteria, "xpath_modern", mode, servers={"api": serve("criteria", "xpath-modern-pass").url})
    message = fails(criteria, "xpath_modern", serve("criteria", "xpath-modern-fail").url, mode)
    assert "'check'" in message  # two currencies: count(distinct-values(...)) eq 1 is false


def test_criterion_xpath_refused_is_a_compile_error(compile_feature: Compiler) -> None:
    # elementpath's XPath 3.1 parser decides what parses ('castable as' does); a function that
    # reads outside the response and a variable nothing binds are refused by the generator.
    compiled = compile_feature("criteria", "bad-xpath.yaml")
    assert compiled.module is None
    assert len(compiled.errors) == 3, compiled.errors
    refused, unbound, malformed = sorted(compiled.errors, key=lambda e: e.split(":")[1:3])
    assert "bad-xpath.yaml:12:" in refused and "at column 42: the function unparsed-text() reads outside the value the criterion tests" in refused
    assert "bad-xpath.yaml:15:" in unbound and "the variable $item is not bound here" in unbound
    assert "bad-xpath.yaml:18:" in malformed and "unexpected end of source" in malformed


def test_criterion_jsonpath_malformed_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("criteria", "bad-jsonpath.yaml")
    assert compiled.module is None
    assert any("malformed JSONPath query" in e and "column 13" in e for e in compiled.errors)


def test_runtime_parts_are_included_only_when_used(compile_feature: Compiler, criteria: Compiled) -> None:
    assert "def jp_member(" in criteria.runtime
    assert "def jsonpath_test(" not in criteria.runtime  # no JSONPath engine: queries are compiled
    assert "def xpath_test(" in criteria.runtime
    plain = compile_feature("expressions")
    assert "def jp_member(" not in plain.runtime
    assert "def xpath_test(" not in plain.runtime


def test_criterion_xpath_construct_of_a_later_version_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("criteria", "bad-xpath-version.yaml")
    assert compiled.module is None
    assert any("at column 15: XPath 1.0 does not have this construct: [err:XPST0003] unexpected name 'eq' (use xpath-20 or later)" in e for e in compiled.errors)
    assert any("XPath 2.0 does not have this construct: " in e and "(use xpath-30 or later)" in e for e in compiled.errors)
