"""Conformance (Arazzo 1.1): ``in: querystring`` parameters and OpenAPI 3.2 sources
(CHANGES-1.1 section 14).  Documents in tests/conformance/v11/querystring."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from arazzo_codegen.cache import package_version
from arazzo_codegen.diagnostics import Report, Severity
from arazzo_codegen.load import Loader
from arazzo_codegen.validate import validate_arazzo
from arazzo_codegen.validate_spec import validate_openapi
from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, Servers, run

FEATURE = "v11/querystring"


@pytest.fixture
def querystring(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


def test_querystring_value_is_the_whole_query(querystring: Compiled, serve: Servers, mode: str) -> None:
    # The cassette checks the parsed query of each request: filter and limit from the
    # template (not one parameter q holding 'filter=...&limit=20'), then the mapping.
    server = serve(FEATURE, "search")
    result = run(querystring, "search", mode, servers={"search": server.url}, filter='status:"new" b', criteria={"tag": "a&b", "page": 2})
    # On the wire: the author's & and = kept, only what a query cannot hold escaped.
    assert result.text_url == f"{server.url}/search?filter=status:%22new%22%20b&limit=20"
    assert result.mapping_url == f"{server.url}/search?tag=a%26b&page=2"
    assert result.hits == 3


def test_openapi_3_2_source_is_validated_without_a_warning(querystring: Compiled) -> None:
    assert querystring.warnings == []  # no "OpenAPI 3.2.0 is not validated"


def test_openapi_3_2_findings_are_reported(tmp_path: Path) -> None:
    # The installed openapi-spec-validator has a 3.2 validator: a defect is found.
    text = (CONFORMANCE_DIR / FEATURE / "openapi.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "openapi.yaml"
    broken.write_text(text.replace("in: querystring", "in: nowhere"), encoding="utf-8")
    report = Report()
    source = Loader(report).load(broken)
    assert source is not None
    validate_openapi(source, report)
    messages = [d.message for d in report.items if d.severity is Severity.WARNING]
    assert any("'nowhere' is not one of" in m for m in messages), messages
    assert not any("is not validated" in m for m in messages)


def test_querystring_with_query_parameters_is_an_error(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "bad.arazzo.yaml")
    assert len(compiled.errors) == 1, compiled.errors
    assert "bad.arazzo.yaml:15:27: error: $.workflows[0].steps[0].parameters[0].in: in: querystring gives the whole query string, so it cannot be combined with in: query parameters ('page')" in compiled.errors[0]
    assert any("steps[1].parameters[0].in: listItems declares no in: querystring parameter" in w for w in compiled.warnings), compiled.warnings


def test_querystring_in_a_1_0_document_is_refused(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE, "relabelled-v10.yaml")
    assert compiled.module is None
    assert len(compiled.errors) == 2 and all('"querystring" is not one of' in e for e in compiled.errors), compiled.errors


def test_official_querystring_without_value_names_the_missing_value() -> None:
    report = Report()
    source = Loader(report).load(CONFORMANCE_DIR.parent / "arazzo11" / "schema" / "fail" / "invalid-querystring-without-value.arazzo.yaml")
    assert source is not None
    assert not validate_arazzo(source, report)
    assert [d.render().split("\n")[0].split(".yaml:", 1)[1] for d in report.items] == ["15:13: error: $.workflows[0].steps[0].parameters[0]: parameter 'q' has no value"]


def test_openapi_3_2_without_a_3_2_validator_gets_a_clear_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    import openapi_spec_validator

    monkeypatch.delattr(openapi_spec_validator, "OpenAPIV32SpecValidator")  # as in a release before 3.2
    report = Report()
    source = Loader(report).load(CONFORMANCE_DIR / FEATURE / "openapi.yaml")
    assert source is not None
    validate_openapi(source, report)
    assert [(d.severity, d.message) for d in report.items] == [(Severity.WARNING, f"OpenAPI 3.2.0 is not validated (openapi-spec-validator {package_version('openapi-spec-validator')} checks 3.0 and 3.1)")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a=1&b=2", "?a=1&b=2"),
        ("q=a b", "?q=a%20b"),
        ("q=100%25&r=5%", "?q=100%25&r=5%25"),  # an escape is kept; a stray % is escaped
        ('json={"a":[1]}', "?json=%7B%22a%22:%5B1%5D%7D"),
        ("city=Zürich#x", "?city=Z%C3%BCrich%23x"),
        ("", ""),
        ({"a": "x y", "b": 2}, "?a=x+y&b=2"),
        (7, "?7"),
    ],
)
def test_query_string_text(querystring: Compiled, value: object, expected: str) -> None:
    runtime = importlib.import_module(querystring.package + "._runtime")
    assert runtime.query_string(value) == expected
