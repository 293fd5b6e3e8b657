"""Conformance: runtime expressions everywhere they may appear, and embedded as {$...}."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.harness import Compiler, Servers, run

INPUTS: dict[str, Any] = {
    "store": {"id": "store-7", "name": "Main"},
    "pet": {"name": "Rex", "tags": ["good", "dog"]},
    "request_id": "abc",
}


@pytest.fixture
def served(compile_feature: Compiler, serve: Servers, mode: str) -> tuple[Any, str]:
    compiled = compile_feature("expressions")
    assert not compiled.errors, compiled.errors
    server = serve("expressions", "happy")
    return run(compiled, "expressions", mode, servers={"petsApi": server.url}, **INPUTS), server.url


def test_expression_url_method_and_status_code(served: tuple[Any, str]) -> None:
    outputs, url = served
    assert outputs.url == f"{url}/stores/store-7/pets?verbose=true"
    assert outputs.method == "POST"
    assert outputs.status == 201


def test_expression_request_header_query_path_and_body(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.sent_request_id == "req-abc"
    assert outputs.sent_verbose == "true"
    assert outputs.sent_store_id == "store-7"
    assert outputs.sent_name == "Rex"
    assert outputs.sent_note == "created by abc"


def test_expression_response_header_is_case_insensitive(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.etag == '"v1"'  # the server sends "ETag"; the workflow reads $response.header.etag


def test_expression_response_body_pointer_with_escapes_and_indices(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.pet_id == 42
    assert outputs.slash_key == "slash"  # #/meta/a~1b
    assert outputs.tilde_key == "tilde"  # #/meta/c~0d
    assert outputs.second_tag == "dog"  # #/tags/1


def test_expression_inputs_with_pointer(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.sent_store_id == "store-7"  # path parameter from $inputs.store#/id
    assert outputs.sent_name == "Rex"  # payload member from $inputs.pet#/name


def test_expression_steps_outputs_with_pointer(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.first_tag == "good"  # $steps.createPet.outputs.pet#/tags/0
    assert outputs.pet_name == "Rex"


def test_expression_outputs_reads_another_workflow_output(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.label == "Rex #42"  # '{$outputs.petName} #{$outputs.petId}'


def test_expression_workflows_inputs(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.request_id == "abc"


def test_expression_embedded_in_strings(served: tuple[Any, str]) -> None:
    outputs, _ = served
    assert outputs.summary == "pet Rex is 201 (POST)"


def test_expression_source_descriptions_and_components_parameters(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # The cassette checks X-Operation: getPet ($sourceDescriptions.petsApi.getPet),
    # X-Source-Url ($sourceDescriptions.petsApi.url), X-Store-Param and the store query
    # parameter ($components.parameters.storeQuery, by value and by reference).
    compiled = compile_feature("expressions")
    server = serve("expressions", "happy")
    run(compiled, "expressions", mode, servers={"petsApi": server.url}, **INPUTS)
    get_pet = server.requests[1]
    assert get_pet.headers["x-operation"] == "getPet"
    assert get_pet.headers["x-store-param"] == "Main"
    assert get_pet.headers["x-source-url"] == "openapi.yaml"


def test_expression_workflows_outputs_of_a_dependency(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    compiled = compile_feature("expressions")
    server = serve("expressions", "wrapper")
    outputs = run(compiled, "wrapper", mode, servers={"petsApi": server.url}, **INPUTS)
    assert outputs.label == "Rex #42"  # $workflows.expressions.outputs.label
    assert outputs.seen_by == "abc"  # $workflows.wrapper.inputs.requestId
    assert outputs.name == "Rex"
    assert [r.path for r in server.requests] == ["/stores/store-7/pets", "/pets/42", "/pets/42"]


def test_expression_output_types_follow_the_response_schema(compile_feature: Compiler) -> None:
    compiled = compile_feature("expressions")
    fields = compiled.fn("ExpressionsOutputs").model_fields  # type: ignore[attr-defined]
    assert fields["pet_id"].annotation is int
    assert fields["status"].annotation is int


def test_expressions_where_they_cannot_be_evaluated_are_compile_errors(compile_feature: Compiler) -> None:
    compiled = compile_feature("expressions", "bad-expressions.yaml")
    assert compiled.module is None
    errors = "\n".join(compiled.errors)
    assert "$statusCode is not available in the parameters or request body" in errors
    assert "$response.body#/name is not available in the parameters or request body" in errors
    assert "$outputs.petId is only available in workflow outputs and in steps that call a workflow" in errors
    assert "$statusCode is not available in workflow outputs" in errors
    assert "step 'createPet' defines no output 'nope'" in errors
    assert "source description 'petsApi' has no operation 'deletePet'" in errors
    assert "unknown workflow 'nowhere'" in errors
