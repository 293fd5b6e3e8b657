"""Document-level quirks of real Arazzo documents (issue 14): each compiles as its
author meant, with a warning at the quirk naming the spec-correct form, and is an
error under --strict; where the intent is ambiguous the document is refused.

The fixtures in tests/conformance/documents/ say where they come from."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import pytest

from arazzo_codegen.diagnostics import Severity
from arazzo_codegen.pipeline import Job, build, validate_only
from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, Servers, run

FEATURE = CONFORMANCE_DIR / "documents"


@pytest.fixture(scope="module")
def documents(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("documents")
    assert not compiled.errors, compiled.errors
    return compiled


def _strict(spec: str, tmp_path: Path) -> list[str]:
    """The errors of a --strict validation of one document of the feature."""
    result = validate_only(Job(spec=FEATURE / spec, package="strict_documents", out=tmp_path, strict=True))
    return [d.render() for d in result.report.items if d.severity is Severity.ERROR]


#: The document quirks of arazzo.yaml, each replaced by its spec-correct form: under
#: --strict they are errors that stop the build before the OpenAPI and inputs quirks.
_SPEC_FORMS = {
    "$schema: https://spec.openapis.org/arazzo/1.0/schema/2024-08-01\n": "",
    "      - $ref: './parameter.yaml'\n": "      - {name: Authorization, in: header, value: Basic Og==}\n",
    "          $ref: './request-body.yaml#/requestBody'\n": "          payload: {ticketType: general}\n",
    "          - $ref: '#/components/parameters/auth'\n": "          - reference: $components.parameters.auth\n",
}


def _strict_without_document_quirks(tmp_path: Path) -> list[str]:
    """--strict errors of arazzo.yaml with its document quirks written the spec's way
    (one line less: the OpenAPI and inputs findings of arazzo.yaml move up by one)."""
    text = (FEATURE / "arazzo.yaml").read_text(encoding="utf-8")
    for quirk, form in _SPEC_FORMS.items():
        assert quirk in text
        text = text.replace(quirk, form)
    (tmp_path / "arazzo.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "api.yaml").write_text((FEATURE / "api.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = validate_only(Job(spec=tmp_path / "arazzo.yaml", package="strict_documents", out=tmp_path / "out", strict=True))
    return [d.render() for d in result.report.items if d.severity is Severity.ERROR]


def _one(lines: list[str], needle: str) -> str:
    found = [line for line in lines if needle in line]
    assert len(found) == 1, (needle, lines)
    return found[0]


# -- 1. a root "$schema" key -------------------------------------------------------------


def test_root_schema_key_is_ignored_with_a_warning(documents: Compiled) -> None:
    warning = _one(documents.warnings, "'$schema'")
    assert "arazzo.yaml:7:10: warning: $['$schema']: a root '$schema' key is not an Arazzo field; it is ignored" in warning
    assert "hint: remove it: an Arazzo document names its version with 'arazzo: 1.0.1'" in warning
    assert documents.module is not None


def test_root_schema_key_is_an_error_under_strict(tmp_path: Path) -> None:
    error = _one(_strict("arazzo.yaml", tmp_path), "'$schema'")
    assert "arazzo.yaml:7:10: error: $['$schema']: a root '$schema' key is not an Arazzo field; it is ignored (an error under --strict)" in error


# -- 2. replacement values of any JSON type ----------------------------------------------


def test_replacement_values_of_any_json_type_are_accepted_without_a_warning(documents: Compiled) -> None:
    # Arazzo 1.0.1 types the value "Any | {expression}"; only the JSON Schema says string.
    assert not [w for w in documents.warnings if ".replacements[" in w]
    # compiled as the literals they are: IR snapshot tests/generator/ir_snapshots/replacements


def test_replacement_values_land_in_the_request_body_as_written(documents: Compiled, serve: Servers, mode: str) -> None:
    server = serve("documents", "replace")  # the cassette checks the JSON body
    outputs = run(documents, "replace_values", mode, email="ada@example.com", servers={"museum-api": server.url})
    assert outputs.ticket_id == "t-2"


def test_a_null_replacement_value_stays_refused(tmp_path: Path) -> None:
    spec = tmp_path / "null.yaml"
    text = (FEATURE / "arazzo.yaml").read_text(encoding="utf-8").replace("              value: 'vip'", "              value:")
    spec.write_text(text.replace("url: api.yaml", f"url: {FEATURE / 'api.yaml'}"), encoding="utf-8")
    for name in ("parameter.yaml", "request-body.yaml"):
        (tmp_path / name).write_text((FEATURE / name).read_text(encoding="utf-8"), encoding="utf-8")
    result = validate_only(Job(spec=spec, package="null_documents", out=tmp_path))
    errors = [d.render() for d in result.report.items if d.severity is Severity.ERROR]
    assert any("replacements[0].value: does not match the Arazzo 1.0 schema: expected string, found null" in e for e in errors), errors


# -- 3. JSON $ref for parameters and request bodies ----------------------------------------


def test_ref_parameter_and_request_body_are_resolved_with_warnings(documents: Compiled) -> None:
    parameter = _one(documents.warnings, "'./parameter.yaml'")
    assert "arazzo.yaml:19:15: warning: $.workflows[0].parameters[0]['$ref']: a JSON $ref is not how Arazzo 1.0 reuses a parameter" in parameter
    assert "hint: define it under components.parameters and write '- reference: $components.parameters.<name>' (the Reusable Object)" in parameter
    body = _one(documents.warnings, "'./request-body.yaml#/requestBody'")
    assert "arazzo.yaml:24:17: warning: $.workflows[0].steps[0].requestBody['$ref']:" in body
    assert "hint: write the request body inline (contentType, payload, replacements): Arazzo 1.0 has no reusable request bodies" in body
    local = _one(documents.warnings, "'#/components/parameters/auth'")
    assert "arazzo.yaml:44:19: warning: $.workflows[1].steps[0].parameters[0]['$ref']:" in local
    assert "hint: write '- reference: $components.parameters.auth' (the Reusable Object)" in local


def test_ref_parameter_and_request_body_are_sent(documents: Compiled, serve: Servers, mode: str) -> None:
    server = serve("documents", "buy")  # Authorization from parameter.yaml, the body from request-body.yaml
    outputs = run(documents, "get_museum_tickets", mode, servers={"museum-api": server.url})
    assert outputs.ticket_id == "t-1"
    assert outputs.owner == {"name": "Ada", "since": 2020}  # a dangling $ref: typed Any, kept as sent


def test_ref_parameter_and_request_body_are_errors_under_strict(tmp_path: Path) -> None:
    errors = _strict("arazzo.yaml", tmp_path)
    assert "arazzo.yaml:19:15: error:" in _one(errors, "'./parameter.yaml'")
    assert "arazzo.yaml:24:17: error:" in _one(errors, "'./request-body.yaml#/requestBody'")
    assert all("(an error under --strict)" in e for e in errors)


def test_ambiguous_or_dangling_refs_in_the_arazzo_document_are_refused(compile_feature: Compiler) -> None:
    compiled = compile_feature("documents", "refs-ambiguous.yaml")
    assert compiled.module is None
    beside = _one(compiled.errors, "also has 'value' beside it")
    assert "refs-ambiguous.yaml:16:13: error: $.workflows[0].steps[0].parameters[0]:" in beside
    assert "with 'value:' beside it to set the parameter's value" in beside
    nothing = _one(compiled.errors, "'./request-body.yaml#/nothing' points at nothing")
    assert "refs-ambiguous.yaml:19:17: error:" in nothing and "hint: nothing is named 'nothing' at '#'; known: requestBody" in nothing
    assert len(compiled.errors) == 2  # no schema finding repeats them ('unknown field $ref', 'missing name')


# -- 4. a $ref inside an x- extension is never followed ------------------------------------


def test_refs_inside_extensions_are_not_followed(documents: Compiled) -> None:
    # api.yaml: x-policy-list on an operation and x-currency in a schema point at files that do not exist.
    assert not [d for d in documents.diagnostics if "policies.yaml" in d.render() or "currencies.yaml" in d.render()]
    models = documents.files["models.py"]
    assert "class Ticket(" in models and "currencies" not in models


# -- 5. dangling $refs in the OpenAPI description -----------------------------------------


def test_a_dangling_ref_a_bound_operation_reaches_is_typed_any_with_a_warning(documents: Compiled) -> None:
    warning = _one(documents.warnings, "'#/components/schemas/Owner'")
    assert "api.yaml:95:9: warning: $.components.schemas.Ticket.properties.owner: schema reference '#/components/schemas/Owner' points at nothing: the value it describes is typed Any" in warning
    assert "hint: nothing is named 'Owner' at '#/components/schemas'; known: Ticket, TicketRequest" in warning
    outputs = typing.get_type_hints(documents.fn("get_museum_tickets")).get("return")
    assert outputs is not None and outputs.model_fields["owner"].annotation is typing.Any


def test_a_dangling_ref_in_an_operation_no_step_uses_is_a_warning(documents: Compiled) -> None:
    warning = _one(documents.warnings, "'#/components/responses/Gone'")
    assert "api.yaml:66:9: warning: $.paths['/unused'].get.responses.200: $ref '#/components/responses/Gone' points at nothing" in warning
    assert "hint: nothing is named 'responses' at '#/components'; known: schemas" in warning


def test_a_response_schema_that_is_a_dangling_ref_is_typed_any(compile_feature: Compiler) -> None:
    compiled = compile_feature("documents", "dangling-root.yaml")
    assert not compiled.errors, compiled.errors
    assert "dangling-root-openapi.yaml:14:15: warning:" in _one(compiled.warnings, "'#/components/schemas/Missing' points at nothing: the value it describes is typed Any")
    outputs = typing.get_type_hints(compiled.fn("w")).get("return")
    assert outputs is not None and outputs.model_fields["things"].annotation is typing.Any


def test_dangling_refs_are_errors_under_strict(tmp_path: Path) -> None:
    errors = _strict_without_document_quirks(tmp_path)
    assert not [e for e in errors if "$ref is not how" in e or "$schema" in e]
    assert "api.yaml:95:9: error:" in _one(errors, "'#/components/schemas/Owner'")
    assert "api.yaml:66:9: error:" in _one(errors, "'#/components/responses/Gone'")
    assert "dangling-root-openapi.yaml:14:15: error:" in _one(_strict("dangling-root.yaml", tmp_path), "'#/components/schemas/Missing'")


# -- 6. $inputs.x in a workflow without an inputs schema ------------------------------------


def test_inputs_read_without_an_inputs_schema_become_untyped_arguments(documents: Compiled) -> None:
    token = _one(documents.warnings, "$inputs.token")
    assert "arazzo.yaml:83:20: warning: $.workflows[2].steps[0].parameters[1].value: workflow 'fetchThing' has no inputs schema: $inputs.token becomes the required argument token, typed Any" in token
    assert "hint: declare it in the workflow's inputs, e.g. inputs: {type: object, properties: {token: {type: string}}, required: [token]}" in token
    assert "arazzo.yaml:86:20: warning:" in _one(documents.warnings, "$inputs.legacyToken becomes the required argument legacy_token")
    parameters = inspect.signature(documents.fn("fetch_thing")).parameters
    assert "not_read" not in parameters and not [w for w in documents.warnings if "notRead" in w]
    assert parameters["token"].default is inspect.Parameter.empty and parameters["legacy_token"].default is inspect.Parameter.empty
    # both typed Any: IR snapshot tests/generator/ir_snapshots/untyped-inputs


UNDECLARED_ELSEWHERE = """\
arazzo: 1.0.1
info: {title: inputs read where the text search did not look, version: 1.0.0}
sourceDescriptions:
  - {name: museum-api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: fetchThing
    description: Prose may mention $inputs.notRead; only expressions make inputs.
    steps:
      - stepId: fetch
        operationId: getThing
        parameters:
          - {name: id, in: path, value: "7"}
          - reference: $components.parameters.tok
        outputs:
          name: $response.body#/name
    outputs:
      summary: $inputs.note
components:
  parameters:
    tok: {name: token, in: header, value: $inputs.apiKey}
"""


def test_inputs_read_in_a_reusable_parameter_or_an_output_named_summary_become_arguments(tmp_path: Path) -> None:
    """The inputs are found in the parsed values (a reusable parameter the step uses, an
    output whose name is a prose key elsewhere), never in prose."""
    (tmp_path / "api.yaml").write_text((CONFORMANCE_DIR / "documents" / "api.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "arazzo.yaml").write_text(UNDECLARED_ELSEWHERE, encoding="utf-8")
    result = build(Job(spec=tmp_path / "arazzo.yaml", package="undeclared", out=tmp_path / "out"))
    assert not [d.render() for d in result.report.items if d.severity is Severity.ERROR]
    warned = sorted(d.message for d in result.report.items if "has no inputs schema" in d.message)
    assert [m.split(":")[1].split(" becomes")[0].strip() for m in warned] == ["$inputs.apiKey", "$inputs.note"]
    source = result.files["workflows.py"]
    assert "api_key: Any," in source and "note: Any," in source and "not_read" not in source


def test_inputs_read_without_an_inputs_schema_are_sent(documents: Compiled, serve: Servers, mode: str) -> None:
    server = serve("documents", "fetch")  # the header and the query parameter of the same name
    outputs = run(documents, "fetch_thing", mode, token="header-secret", legacy_token="query-secret", servers={"museum-api": server.url})
    assert outputs.name == "Seven"


def test_inputs_read_without_an_inputs_schema_are_errors_under_strict(tmp_path: Path) -> None:
    errors = _strict_without_document_quirks(tmp_path)
    assert "arazzo.yaml:82:20: error: $.workflows[2].steps[0].parameters[1].value:" in _one(errors, "$inputs.token becomes")
    assert "arazzo.yaml:85:20: error:" in _one(errors, "$inputs.legacyToken becomes")


def test_an_input_the_inputs_schema_lacks_stays_an_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("documents", "inputs-undeclared.yaml")
    assert compiled.module is None
    assert "inputs-undeclared.yaml:26:20: error: $.workflows[0].steps[0].parameters[1].value: unknown input $inputs.legacyToken" in _one(compiled.errors, "legacyToken")


# -- formats that would need packages a generated client does not depend on ---------------


def test_email_and_ulid_formats_stay_strings(documents: Compiled) -> None:
    # datamodel-code-generator would import pydantic.EmailStr (email-validator) and ulid.ULID (python-ulid).
    models = documents.files["models.py"]
    assert "EmailStr" not in models and "ulid" not in models.lower()
    assert "ticketId: str" in models and "email: str | None = None" in models


def test_ref_actions_are_resolved_with_warnings_naming_the_reusable_object(compile_feature: Compiler) -> None:
    compiled = compile_feature("documents", "refs-actions.yaml")
    assert not compiled.errors, compiled.errors
    success = _one(compiled.warnings, "'#/components/successActions/done'")
    assert "refs-actions.yaml:22:19: warning: $.workflows[0].steps[0].onSuccess[0]['$ref']: a JSON $ref is not how Arazzo 1.0 reuses a success action" in success
    assert "hint: write '- reference: $components.successActions.done' (the Reusable Object)" in success
    failure = _one(compiled.warnings, "'#/components/failureActions/giveUp'")
    assert "refs-actions.yaml:13:15: warning: $.workflows[0].failureActions[0]['$ref']:" in failure
    assert "hint: write '- reference: $components.failureActions.giveUp'" in failure
    # both actions compiled into the function: IR snapshot tests/generator/ir_snapshots/ref-actions


def test_a_dangling_ref_no_bound_operation_reaches_is_a_warning(documents: Compiled, tmp_path: Path) -> None:
    warning = _one(documents.warnings, "'#/components/schemas/Nowhere'")
    assert "api.yaml:106:9: warning: $.components.schemas.Unused.properties.x: $ref '#/components/schemas/Nowhere' points at nothing; no step's operation reaches it, so nothing is generated from it" in warning
    assert "hint: nothing is named 'Nowhere' at '#/components/schemas'" in warning
    assert not [d for d in documents.diagnostics if "x-links" in d.render()]  # an extension is opaque
    assert "api.yaml:106:9: error:" in _one(_strict_without_document_quirks(tmp_path), "'#/components/schemas/Nowhere'")
