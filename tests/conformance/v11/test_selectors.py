"""Conformance (Arazzo 1.1): Selector Objects in outputs, parameter values, request
payloads and payload replacement values; targetSelectorType and JSONPath replacement
targets (CHANGES-1.1 sections 16, 18-20, 22).  Documents in tests/conformance/v11/selectors."""

from __future__ import annotations

import importlib

import pytest

from arazzo_codegen.diagnostics import Report
from arazzo_codegen.ir import printer
from arazzo_codegen.jsonpath_py import compile_locator
from arazzo_codegen.load import Loader
from arazzo_codegen.validate import validate_arazzo
from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, Servers, run

FEATURE = "v11/selectors"


@pytest.fixture
def selectors(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


def test_selectors_in_parameter_outputs_payload_and_replacements(selectors: Compiled, serve: Servers, mode: str) -> None:
    # The cassette checks the path /users/42 (id selected from the input object) and the
    # order body: an XPath-selected invoice number, a JSONPath-selected email, items
    # selected by JSON pointer, and the quantity of *every* item with sku A replaced by
    # the value selected from the input (a replacement that sets only the first fails).
    server = serve(FEATURE, "selectors")
    result = run(selectors, "selectors", mode, servers={"shop": server.url}, user={"id": 42, "qty": 9})
    assert [r.path for r in server.requests] == ["/users/42", "/invoice", "/orders"]
    assert result.email == "ada@example.com"
    assert result.age == 36
    assert result.skus == ["A", "B", "A"]  # not singular: every selected value
    assert result.last_sku == "A"  # $.items[-1]: counted from the end at run time
    assert result.invoice == "INV-7"
    assert result.first_sku == "A"  # the root $ is the context itself, not a wrapping array


# How selector outputs are typed and compiled (a singular query to a JSON pointer lookup,
# others to comprehensions): IR snapshot tests/generator/ir_snapshots/selectors.


def test_a_query_that_is_not_singular_gets_a_warning(selectors: Compiled) -> None:
    warnings = [w for w in selectors.warnings if "not a singular query" in w]
    assert len(warnings) == 1 and "outputs.skus.selector" in warnings[0], selectors.warnings


@pytest.mark.parametrize(("version", "sent"), [("v10", {"context": "red", "selector": "$.id", "type": "jsonpath"}), ("v11", None)])
def test_a_selector_shaped_object_is_a_selector_only_in_1_1(compile_feature: Compiler, serve: Servers, mode: str, version: str, sent: object) -> None:
    compiled = compile_feature(FEATURE, f"literal-{version}.yaml")
    assert not compiled.errors, compiled.errors
    server = serve(FEATURE, f"literal-{version}")
    run(compiled, "literal", mode, servers={"shop": server.url}, tag="red")
    assert server.requests[0].json() == {"pick": sent}


def test_bad_selectors_get_positioned_diagnostics(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "bad.arazzo.yaml")
    assert compiled.module is None
    expected = [
        ("17:54", "steps[0].parameters[0].value.selector", "malformed JSONPath selector '$.id[' at column 6"),
        ("19:56", "steps[0].outputs.pointer.selector", "selector 'user/profile' is not a JSON pointer"),
        ("20:30", "steps[0].outputs.context.context", "malformed context expression 'response.body'"),
        ("21:54", "steps[0].outputs.xpath.selector", "XPath selector '/a[' at column 4"),
        ("28:23", "steps[1].requestBody.replacements[0].target", "replacement target \"$.items[?@.sku == 'A'].quantity\" is not a JSON pointer"),
        ("31:35", "steps[1].requestBody.replacements[1].targetSelectorType", "targetSelectorType xpath cannot set a value in a JSON payload"),
    ]
    errors = compiled.errors
    assert len(errors) == len(expected), errors
    for (position, path, message), error in zip(expected, errors):
        assert f"bad.arazzo.yaml:{position}: error: $.workflows[0].{path}: {message}" in error, error
    assert "add targetSelectorType: jsonpath" in errors[4]  # the hint names the fix


def test_plain_mapping_parameter_value_is_accepted_with_a_warning(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # Override of the 1.1 schema (CHANGES-1.1 Appendix B 5, OAI/Arazzo-Specification#559).
    compiled = compile_feature(FEATURE, "plain-value.yaml")
    assert not compiled.errors, compiled.errors
    assert len(compiled.warnings) == 1 and "plain-value.yaml:16:42: warning: $.workflows[0].steps[0].parameters[1].value: a mapping as a parameter value" in compiled.warnings[0], compiled.warnings
    server = serve(FEATURE, "plain-value")
    run(compiled, "plain", mode, servers={"shop": server.url})
    assert server.requests[0].headers["x-filter"] == '{"status":"new","max":2}'


def test_a_misshapen_selector_as_a_parameter_value_names_its_defects() -> None:
    # Not the #559 override: an object with a selector is meant as a Selector Object.
    report = Report()
    source = Loader(report).load(CONFORMANCE_DIR / FEATURE / "bad-shape.yaml")
    assert source is not None
    assert not validate_arazzo(source, report)
    rendered = sorted(d.render().split("\n")[0].split("bad-shape.yaml:", 1)[1] for d in report.items)
    assert rendered == [
        "11:34: error: $.workflows[0].steps[0].parameters[0].value: a Selector Object needs 'type'",
        "11:54: error: $.workflows[0].steps[0].parameters[0].value.expression: unknown Selector Object field 'expression'",
    ]


def test_a_selector_output_over_a_skipped_step_is_none(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    compiled = compile_feature(FEATURE, "skipped.yaml")
    assert not compiled.errors, compiled.errors
    server = serve(FEATURE, "skipped")
    assert run(compiled, "skipped", mode, servers={"shop": server.url}).email is None


def test_a_selector_over_all_inputs_is_read_with_a_warning(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    compiled = compile_feature(FEATURE, "all-inputs.yaml")
    assert not compiled.errors, compiled.errors
    assert len(compiled.warnings) == 3 and all("context $inputs (every input as one object)" in w for w in compiled.warnings), compiled.warnings
    server = serve(FEATURE, "all-inputs")
    run(compiled, "all_inputs", mode, servers={"shop": server.url}, customer_name="Ada", tags=["red", "blue"])
    assert server.requests[0].json()["customerName"] == "Ada"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("$.items[*].quantity", {"items": [{"sku": "A", "quantity": 0}, {"sku": "B", "quantity": 0}, {"sku": "A", "quantity": 0}], "n": 1}),
        ("$.items[-1].quantity", {"items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "A", "quantity": 0}], "n": 1}),
        ("$.items[0:3:2].sku", {"items": [{"sku": 0, "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": 0, "quantity": 3}], "n": 1}),
        ("$..quantity", {"items": [{"sku": "A", "quantity": 0}, {"sku": "B", "quantity": 0}, {"sku": "A", "quantity": 0}], "n": 1}),
        ("$['n', 'missing']", {"items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "A", "quantity": 3}], "n": 0}),
        ("$.items[?@.quantity > 5].sku", {"items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "A", "quantity": 3}], "n": 1}),
        ("$", 0),
    ],
)
def test_jsonpath_replacement_targets_set_every_selected_node(selectors: Compiled, target: str, expected: object) -> None:
    runtime = importlib.import_module(selectors.package + "._runtime")

    def compiled(query: str) -> object:  # the target as the generated code passes it: compiled to its locator
        return eval(printer.expr(compile_locator(query)), {"_runtime": runtime})  # noqa: S307 - the generator's own output

    payload = {"items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "A", "quantity": 3}], "n": 1}
    assert runtime.replace_selected(payload, [(compiled(target), 0)]) == expected
    assert payload["items"][0] == {"sku": "A", "quantity": 1}  # the payload itself is not changed
    assert runtime.replace_selected('{"a": [1, 2]}', [(compiled("$.a[*]"), 9), ("/b", True)]) == '{"a": [9, 9], "b": true}'  # JSON text in, JSON text out
