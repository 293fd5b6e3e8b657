"""Conformance, Arazzo 1.1 conditions (CHANGES-1.1 sections 21, 23, 24, 27).

tests/conformance/v11/conditions/arazzo.yaml is a 1.1.0 document; arazzo-1-0.yaml is
the same document relabelled 1.0.1 (without the two 1.1-only version names), run on
the same cassettes to show where the 1.1 meaning differs and where it does not.

Injection: an embedded value never changes the query around it.  Inside a string
literal it is escaped for that literal; outside one it must be a number (JSONPath
also: true, false, null), else the criterion fails (logged); in a regex it is matched
literally, as one atom.
"""

from __future__ import annotations

import importlib
import logging

import jsonpath_rfc9535
import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run

FEATURE = "v11/conditions"


@pytest.fixture
def v11(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


@pytest.fixture
def v10(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE, "arazzo-1-0.yaml")
    assert not compiled.errors, compiled.errors
    return compiled


def passes(compiled: Compiled, workflow: str, serve: Servers, scenario: str, mode: str, **inputs: object) -> None:
    run(compiled, workflow, mode, servers={"api": serve(FEATURE, scenario).url}, **inputs)


def fails(compiled: Compiled, workflow: str, serve: Servers, scenario: str, mode: str, **inputs: object) -> str:
    with pytest.raises(compiled.fn("StepFailed")) as caught:  # type: ignore[call-overload]
        run(compiled, workflow, mode, servers={"api": serve(FEATURE, scenario).url}, **inputs)
    return str(caught.value)


def test_jsonpath_root_is_the_context_in_1_1_and_wrapped_in_1_0(v11: Compiled, v10: Compiled, serve: Servers, mode: str) -> None:
    # '$.items[*]' selects the items of the body itself in 1.1 (and nothing once there are none) ...
    passes(v11, "root", serve, "status", mode)
    fails(v11, "root", serve, "empty", mode)
    # ... while 1.0 evaluates over [body], where '$.items' names nothing: the same document fails.
    fails(v10, "root", serve, "status", mode)
    # Both are compiled, 1.1 over the context, 1.0 over [body], where '$.items' is nothing:
    # the IR snapshots tests/generator/ir_snapshots/conditions-1-1 and jsonpath show it.


# The expression type object's 1.1 versions (rfc9535 spelled out, the Goessner draft, xpath-31)
# compile as the IR snapshot tests/generator/ir_snapshots/conditions-1-1 shows.


def test_embedded_values_are_substituted(v11: Compiled, serve: Servers, mode: str) -> None:
    passes(v11, "embedded", serve, "status", mode, name="it's", min=10, pattern="ended")  # a quote in the value, escaped
    fails(v11, "embedded", serve, "status", mode, name="b", min=10, pattern="ended")  # no item is named 'b'
    # The criteria are ANDed: the first two hold, the regex does not.
    message = fails(v11, "embedded", serve, "status", mode, name="a", min=10, pattern="started")
    assert "^({$inputs.pattern})$ (regex on $response.body#/status)" in message
    fails(v11, "embedded", serve, "status", mode, name="it's", min=20, pattern="ended")  # no price over 20


def test_embedded_value_cannot_change_a_jsonpath_query(v11: Compiled, serve: Servers, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    # Substituted as text, "x' || @.name != 'x" would turn the filter into one every item meets.
    fails(v11, "embedded", serve, "status", mode, name="x' || @.name != 'x", min=10, pattern="ended")
    # Outside a string literal only a number may stand: "0 || true" fails the criterion, logged.
    with caplog.at_level(logging.WARNING):
        fails(v11, "embedded", serve, "status", mode, name="it's", min="0 || true", pattern="ended")
    assert any("cannot stand outside a string literal of a jsonpath condition without changing it" in r.getMessage() for r in caplog.records)


def test_embedded_value_is_matched_literally_in_a_regex(v11: Compiled, serve: Servers, mode: str) -> None:
    # '^(.*)$' would match anything; the value '.*' is matched as the text '.*'.
    fails(v11, "embedded", serve, "status", mode, name="it's", min=10, pattern=".*")
    passes(v11, "embedded", serve, "status", mode, name="it's", min=10, pattern="ended")


def test_embedded_value_cannot_change_an_xpath_query(v11: Compiled, serve: Servers, mode: str) -> None:
    passes(v11, "embedded_xpath", serve, "report", mode, id="a", max=4)
    fails(v11, "embedded_xpath", serve, "report", mode, id="a", max=3)  # price 3 is not < 3
    # "a' or 'x'='x" would select every item if it were pasted into the query.
    fails(v11, "embedded_xpath", serve, "report", mode, id="zz' or 'x'='x", max=100)
    # XPath 1.0 has no escape for the quote that delimits a literal: the criterion fails.
    fails(v11, "embedded_xpath", serve, "report", mode, id='a"]|//item[@id="b', max=100)


def test_null_context_fails_in_1_1_and_keeps_its_1_0_meaning(v11: Compiled, v10: Compiled, serve: Servers, mode: str) -> None:
    # A member the body lacks: 1.1 says a null context fails a regex and a jsonpath criterion.
    fails(v11, "null_context", serve, "status", mode)
    fails(v11, "null_jsonpath", serve, "status", mode)
    # 1.0 (unchanged): the regex sees "" (which '^$' matches); '$' selects [null]'s element.
    passes(v10, "null_context", serve, "status", mode)
    passes(v10, "null_jsonpath", serve, "status", mode)


def test_evaluation_error_fails_the_criterion_and_is_logged(v11: Compiled, serve: Servers, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        fails(v11, "xpath_error", serve, "report", mode)  # integer division by zero
    assert any("could not be evaluated" in r.getMessage() for r in caplog.records)


def test_embedded_null_and_objects_become_text(v11: Compiled, v10: Compiled, serve: Servers, mode: str) -> None:
    passes(v11, "stringify", serve, "echo-null-1-1", mode, filter=None)
    passes(v10, "stringify", serve, "echo-null-1-0", mode, filter=None)
    passes(v11, "stringify", serve, "echo-object", mode, filter={"a": 1, "b": [True, None]})


def test_1_0_does_not_substitute_in_query_conditions(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "embedded-1-0.yaml")
    assert any("successCriteria[1].condition: malformed JSONPath query '$.items[?@.price > {$inputs.min}]'" in e for e in compiled.errors), compiled.errors


def test_embed_escapes_for_each_place(v11: Compiled) -> None:
    runtime = importlib.import_module(v11.package + "._runtime")
    embed = runtime.embed

    def holds(body: object, query: str) -> bool:  # the text means the value (the generator's own parser reads it so)
        return bool(jsonpath_rfc9535.find(query, body))

    tricky = 'a"b\\c\nd'
    body = {"items": [{"name": tricky}]}
    double = embed("jsonpath", ('$.items[?@.name == "', '"]'), ((tricky, '"'),))
    single = embed("jsonpath", ("$.items[?@.name == '", "']"), ((tricky, "'"),))
    assert double == '$.items[?@.name == "a\\"b\\\\c\\nd"]' and holds(body, double)
    assert single == "$.items[?@.name == 'a\"b\\\\c\\nd']" and holds(body, single)
    assert [embed("jsonpath", ("$[?@ == ", "]"), ((v, ""),)) for v in (True, None, 1.5, -2)] == ["$[?@ == true]", "$[?@ == null]", "$[?@ == 1.5]", "$[?@ == -2]"]
    assert embed("xpath", ("/a[@b = '", "']"), (("it's", "'"),)) == "/a[@b = 'it''s']"
    assert embed("xpath", ("/a[@b = ", "]"), (("true()", ""),)) is None  # only numbers stand outside a literal
    # In a regex character class the value's characters join the class, each literally.
    pattern = embed("regex", ("(?a)^[", "x]\\Z"), (("a-z]|.*", "class"),))
    assert not runtime.regex_holds(pattern, "q") and runtime.regex_holds(pattern, "|")
