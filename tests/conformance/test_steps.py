"""Conformance: steps by operationId (plain and qualified by source), operationPath,
and workflowId (parameters map to the called workflow's inputs); several OpenAPI
sources with their own servers; and the quirks real files have."""

from __future__ import annotations

import importlib

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run


@pytest.fixture
def steps(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("steps")
    assert not compiled.errors, compiled.errors
    return compiled


def run_buy(steps: Compiled, serve: Servers, mode: str) -> tuple[object, list[str], list[str]]:
    pets, orders = serve("steps", "pets"), serve("steps", "orders")
    outputs = run(steps, "buy_first_pet", mode, servers={"petsApi": pets.url, "ordersApi": orders.url})
    return outputs, [r.path for r in pets.requests], [r.path for r in orders.requests]


def test_step_operation_id_and_operation_path(steps: Compiled, serve: Servers, mode: str) -> None:
    outputs, pets, _ = run_buy(steps, serve, mode)
    assert pets == ["/pets", "/pets/7"]  # listPets, then '#/paths/~1pets~1{petId}/get'
    assert outputs.name == "Rex"  # type: ignore[attr-defined]


def test_step_operation_id_qualified_by_source(steps: Compiled, serve: Servers, mode: str) -> None:
    # getStatus exists in both sources; $sourceDescriptions.ordersApi.getStatus picks one.
    outputs, _, orders = run_buy(steps, serve, mode)
    assert orders[0] == "/status"
    assert outputs.service == "orders"  # type: ignore[attr-defined]


def test_step_ambiguous_operation_id_is_a_compile_error(compile_feature: Compiler) -> None:
    compiled = compile_feature("steps", "bad-ambiguous.yaml")
    assert any("exists in several sources (ordersApi, petsApi)" in e for e in compiled.errors)


def test_step_workflow_id_maps_parameters_to_inputs(steps: Compiled, serve: Servers, mode: str) -> None:
    outputs, _, orders = run_buy(steps, serve, mode)
    assert orders[1] == "/orders"  # the cassette checks the body {petId: 7, quantity: 2}
    assert outputs.order_id == "o-1"  # type: ignore[attr-defined]  # $outputs.orderId of the called workflow
    assert outputs.order_id_again == "o-1"  # type: ignore[attr-defined]  # $workflows.placeOrder.outputs.orderId
    # the call's arguments: IR snapshot tests/generator/ir_snapshots/step-parameters


def test_multiple_sources_with_different_servers(steps: Compiled, serve: Servers, mode: str) -> None:
    servers = importlib.import_module(steps.package + ".workflows").SERVERS
    assert servers == {"petsApi": "https://pets.example.com", "ordersApi": "https://orders.example.com/api"}
    _, pets, orders = run_buy(steps, serve, mode)
    assert len(pets) == 2 and len(orders) == 2


@pytest.fixture
def quirks(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("steps", "quirks.yaml")
    assert not compiled.errors, compiled.errors
    return compiled


def test_quirk_operation_id_prefixed_by_source_name(quirks: Compiled, serve: Servers, mode: str) -> None:
    assert any("operationId 'petsApi.listPets' is qualified by the source name without '$sourceDescriptions.'" in w for w in quirks.warnings)
    server = serve("steps", "quirks")
    run(quirks, "quirks", mode, servers={"petsApi": server.url, "ordersApi": server.url})
    assert server.requests[0].path == "/pets"


def test_quirk_operation_path_without_braces(quirks: Compiled, serve: Servers, mode: str) -> None:
    assert any("lacks the '{...}' around the source URL expression" in w for w in quirks.warnings)
    server = serve("steps", "quirks")
    run(quirks, "quirks", mode, servers={"petsApi": server.url, "ordersApi": server.url})
    assert server.requests[1].path == "/status"


def test_quirk_operation_path_pointer_without_escapes(quirks: Compiled, serve: Servers, mode: str) -> None:
    assert any("does not escape '/' in the path as '~1'" in w for w in quirks.warnings)
    server = serve("steps", "quirks")
    outputs = run(quirks, "quirks", mode, servers={"petsApi": server.url, "ordersApi": server.url})
    assert server.requests[2].path == "/pets/7"
    assert outputs.name == "Rex"


def test_step_operation_path_to_an_operation_with_an_operation_id_warns(steps: Compiled) -> None:
    # The spec: "If the referenced operation has an operationId defined then the
    # operationId SHOULD be preferred over the operationPath."  A warning (an error
    # under --strict) that names the operationId to write instead.
    warnings = [w for w in steps.warnings if "operationPath" in w]
    assert len(warnings) == 1
    assert "arazzo.yaml:23:24: warning: $.workflows[0].steps[1].operationPath:" in warnings[0]
    assert "prefer 'operationId: $sourceDescriptions.petsApi.getPet'" in warnings[0]
