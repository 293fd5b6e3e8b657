"""Conformance of the caller's side: inputs are checked against the inputs schema
before any request (InvalidInput naming the input and its argument), a caller's
client ``base_url`` is the base URL when it is unambiguous, and outputs that land on
a ``format: date-time`` field are typed and parsed as models.py types them."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import typing
from typing import Any

import httpx
import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run

VALID: dict[str, Any] = {
    "name": "Ada",
    "code": "ABC",
    "color": "red",
    "count": 10,
    "ratio": 0.5,
    "size": 1.5,
    "when": "2026-12-02T03:00:00+01:00",
    "ref": "b5a1c9f2-6d2d-4a7f-9f3a-5a2b1c3d4e5f",
    "flag": True,
    "level": "high",
    "tags": ["a", "b"],
    "options": {"mode": "fast"},
    "note": "abc",
}
TIMEOUT = 10.0


@pytest.fixture
def inputs(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("inputs")
    assert not compiled.errors, compiled.errors
    return compiled


def test_valid_inputs_are_sent_and_date_time_outputs_are_parsed(inputs: Compiled, serve: Servers, mode: str) -> None:
    server = serve("inputs", "create")
    outputs = run(inputs, "create", mode, servers={"api": server.url + "/v1"}, **VALID)
    assert outputs.created_at == dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)
    assert outputs.created_at.utcoffset() == dt.timedelta(hours=1)
    assert outputs.updated_at is None
    assert len(server.requests) == 1


def test_date_time_outputs_are_annotated_as_models_py_annotates_them(inputs: Compiled) -> None:
    workflows = importlib.import_module(inputs.package + ".workflows")
    models = importlib.import_module(inputs.package + ".models")
    model_hints = typing.get_type_hints(models.Thing)
    hints = typing.get_type_hints(workflows.CreateOutputs)
    assert hints["created_at"] == model_hints["createdAt"]  # both AwareDatetime
    assert hints["updated_at"] == model_hints["updatedAt"]  # AwareDatetime | None
    # the annotations, and the date-time input as the string sent: IR snapshot tests/generator/ir_snapshots/date-time


def test_a_called_workflows_date_time_output_is_sent_on_as_its_string(inputs: Compiled, serve: Servers, mode: str) -> None:
    server = serve("inputs", "echo")  # checks the body {"at": "2026-12-02T03:00:00Z"}
    outputs = run(inputs, "echo", mode, servers={"api": server.url + "/v1"})
    assert outputs.at == dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.timezone.utc)


INVALID = [
    ("name", "A", "is shorter than 2 characters"),
    ("name", "Adalbert", "is longer than 5 characters"),
    ("code", "abc", "does not match the pattern ^[A-Z]{3}$"),
    ("code", "ABC\n", "does not match the pattern ^[A-Z]{3}$"),  # ECMA $ is the very end
    ("color", "blue", 'is not one of "red", "green"'),
    ("count", 0, "is less than 1"),
    ("count", 11, "is greater than 10"),
    ("count", "3", "expected an integer, got str"),
    ("count", True, "expected an integer, got bool"),
    ("ratio", 0, "is not greater than 0"),
    ("ratio", 1.0, "is not less than 1"),
    ("size", 1.2, "is not a multiple of 0.5"),
    ("when", "tomorrow", "is not a valid date-time"),
    ("when", "2026-12-02T03:00:00", "is not a valid date-time"),  # no offset
    ("ref", "not-a-uuid", "is not a valid uuid"),
    ("flag", 1, "expected a boolean, got int"),
    ("level", "low", 'is not "high"'),
    ("tags", [], "has fewer than 1 item"),
    ("tags", ["a", "b", "c", "d"], "has more than 3 items"),
    ("tags", ["a", "a"], "has repeated items"),
    ("tags", ["a", ""], "at /1: is shorter than 1 character"),
    ("options", {}, 'lacks the required member "mode"'),
    ("options", {"mode": "medium"}, 'at /mode: is not one of "fast", "slow"'),
    ("options", {"mode": "fast", "extra": 1}, 'has a member the schema does not allow: "extra"'),
    ("note", "abcd", "is longer than 3 characters"),
]


@pytest.mark.parametrize(("name", "value", "words"), INVALID, ids=[f"{n}-{w.split()[1]}-{i}" for i, (n, _, w) in enumerate(INVALID)])
def test_an_invalid_input_is_refused_before_any_request(inputs: Compiled, serve: Servers, mode: str, name: str, value: Any, words: str) -> None:
    server = serve("inputs", "create")
    server.expect_unconsumed()
    assert inputs.module is not None
    with pytest.raises(inputs.module.InvalidInput) as caught:
        run(inputs, "create", mode, servers={"api": server.url + "/v1"}, **{**VALID, name: value})
    assert server.requests == []
    assert (caught.value.input_name, caught.value.argument) == (name, name)
    assert str(caught.value) == f"input {name!r} (argument {name}) {words}"


def test_none_is_left_out_for_optional_and_nullable_inputs_only(inputs: Compiled, serve: Servers) -> None:
    server = serve("inputs", "create")
    server.expect_unconsumed()
    assert inputs.module is not None
    with pytest.raises(inputs.module.InvalidInput, match="input 'name' \\(argument name\\) expected a string, got None"):
        run(inputs, "create", "sync", servers={"api": server.url + "/v1"}, **{**VALID, "name": None})
    assert server.requests == []


# -- a caller's client base_url ------------------------------------------------------


def loopback_only(request: httpx.Request) -> None:
    """A request hook: nothing leaves 127.0.0.1, whatever the generated code does."""
    assert request.url.host == "127.0.0.1", f"a request to {request.url.host} (not the client's base_url)"


async def aloopback_only(request: httpx.Request) -> None:
    loopback_only(request)


def run_with_client(compiled: Compiled, function: str, mode: str, base_url: str, **kwargs: Any) -> Any:
    if mode == "sync":
        with httpx.Client(base_url=base_url, timeout=TIMEOUT, event_hooks={"request": [loopback_only]}) as client:
            return run(compiled, function, mode, client=client, **kwargs)

    async def main() -> Any:
        async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, event_hooks={"request": [aloopback_only]}) as client:
            return await compiled.fn(function + "_async")(client=client, **kwargs)

    return asyncio.run(main())


def test_one_source_requests_go_to_the_clients_base_url(inputs: Compiled, serve: Servers, mode: str) -> None:
    server = serve("inputs", "create")
    outputs = run_with_client(inputs, "create", mode, server.url + "/v1/", **VALID)
    assert [r.path for r in server.requests] == ["/v1/things"]  # paths built on base_url's path
    assert outputs.id == "t-1"


def test_one_source_of_a_two_source_document_takes_the_base_url(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    steps = compile_feature("steps")
    server = serve("steps", "place-order")
    outputs = run_with_client(steps, "place_order", mode, server.url + "/shop", pet_id=7)
    assert outputs.order_id == "o-2"  # type: ignore[attr-defined]


def test_sources_on_several_servers_make_base_url_ambiguous(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    # buyFirstPet calls petsApi and, through placeOrder, ordersApi: which one is base_url?
    steps = compile_feature("steps")
    pets, orders = serve("steps", "pets"), serve("steps", "orders")
    pets.expect_unconsumed()
    orders.expect_unconsumed()
    with pytest.raises(ValueError) as caught:
        run_with_client(steps, "buy_first_pet", mode, pets.url)
    assert "is ambiguous" in str(caught.value) and "servers=" in str(caught.value)
    assert "'ordersApi', 'petsApi'" in str(caught.value)
    assert pets.requests == [] and orders.requests == []
    # servers= always wins over base_url: naming both sources settles it
    outputs = run_with_client(steps, "buy_first_pet", mode, pets.url, servers={"petsApi": pets.url, "ordersApi": orders.url})
    assert outputs.order_id == "o-1"  # type: ignore[attr-defined]
