"""Message models (generator/schemas.py): the payload and headers schema of every
message on a channel a send/receive step is bound to becomes a pydantic model through
the same stage as OpenAPI bodies, named after the message; a channel carrying several
message types also gets a union root model ``<Channel>Message``; and
``message_schema`` gives analysis the schema to type ``$message.payload#/...`` with."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from arazzo_codegen.diagnostics import Report
from arazzo_codegen.emit_models import render_models
from arazzo_codegen.load import Loader
from arazzo_codegen.resolve import Resolved, resolve
from arazzo_codegen.schemas import ModelSet, TypeInferrer, collect_models, message_schema

FIXTURES = Path(__file__).resolve().parent / "fixtures"

PET_DOC = """arazzo: 1.1.0
info: {title: Pets, version: 1.0.0}
sourceDescriptions:
  - {name: petEvents, url: ./pet-asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: order
    steps:
      - stepId: place
        operationId: $sourceDescriptions.petEvents.placeOrder
        action: send
      - stepId: confirm
        channelPath: '{$sourceDescriptions.petEvents.url}#/channels/confirm-order'
        action: receive
        correlationId: abc
"""

CALLS = """asyncapi: 3.1.0
info: {title: Calls, version: "1"}
channels:
  calls:
    address: call.events
    messages:
      completed:
        name: call.completed
        payload:
          type: object
          required: [call_id, status]
          properties:
            call_id: {type: string}
            status: {type: string, enum: [completed, failed]}
            duration: {type: integer}
        correlationId: {location: '$message.payload#/call_id'}
      ringing: {$ref: '#/components/messages/Ringing'}
      text:
        payload: {type: string}
        correlationId: {location: '$message.header#/x-call'}
        headers: {type: object, properties: {x-call: {type: string}}}
  unused:
    address: unused
    messages:
      other: {payload: {type: object, properties: {a: {type: string}}}}
operations:
  onCall:
    action: send
    channel: {$ref: '#/channels/calls'}
    messages:
      - $ref: '#/channels/calls/messages/completed'
      - $ref: '#/channels/calls/messages/ringing'
components:
  messages:
    Ringing:
      payload: {$ref: '#/components/schemas/Ringing'}
      correlationId: {location: '$message.payload#/call_id'}
  schemas:
    Ringing:
      type: object
      properties:
        call_id: {type: string}
        at: {type: string, format: date-time}
"""

CALLS_DOC = """arazzo: 1.1.0
info: {title: Calls, version: 1.0.0}
sourceDescriptions:
  - {name: calls, url: ./calls.yaml, type: asyncapi}
workflows:
  - workflowId: wait
    steps:
      - stepId: done
        operationId: onCall
        action: receive
        correlationId: abc
"""


def front(folder: Path, name: str) -> tuple[Resolved, ModelSet, TypeInferrer, Report]:
    report = Report()
    loader = Loader(report)
    arazzo = loader.load(folder / name)
    assert arazzo is not None
    resolved = resolve(arazzo, loader, report)
    models = collect_models(resolved, report)
    return resolved, models, TypeInferrer(loader, models), report


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(FIXTURES / "pet-asyncapi.yaml", tmp_path / "pet-asyncapi.yaml")
    (tmp_path / "pet.arazzo.yaml").write_text(PET_DOC, encoding="utf-8")
    (tmp_path / "calls.yaml").write_text(CALLS, encoding="utf-8")
    (tmp_path / "calls.arazzo.yaml").write_text(CALLS_DOC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_pet_messages_become_models_named_after_them(folder: Path) -> None:
    resolved, models, inferrer, report = front(folder, "pet.arazzo.yaml")
    assert models.message_models == {("petEvents", "confirm-order", "confirmOrder.message"): "OrderResponse", ("petEvents", "place-order", "placeOrder.message"): "OrderRequest"}
    assert models.header_models == {("petEvents", "confirm-order", "confirmOrder.message"): "OrderResponseHeaders", ("petEvents", "place-order", "placeOrder.message"): "OrderRequestHeaders"}
    assert models.message_unions == {}
    source = resolved.async_sources["petEvents"]
    channel = source.channels["place-order"]
    assert models.message_model(source, channel, channel.messages[0]) == "OrderRequest"
    assert models.message_model(source, channel, channel.messages[0], "headers") == "OrderRequestHeaders"
    text = render_models(models, report, "pet")
    assert "class OrderRequest(Model):\n    petId: int\n" in text
    assert "class OrderResponse(Model):\n    orderId: int\n" in text
    assert "class OrderRequestHeaders(Model):\n    orderRequestId: str\n" in text
    assert models.defined is not None and {"OrderRequest", "OrderResponse", "OrderRequestHeaders", "OrderResponseHeaders"} <= models.defined
    # What analysis types $message.payload#/... and $message.header... with.
    place, confirm = resolved.steps[(0, 0)].event, resolved.steps[(0, 1)].event
    assert place is not None and confirm is not None
    payload = message_schema(confirm)
    assert payload is not None and payload.value == {"$ref": "#/components/messages/OrderResponse/payload"}
    assert inferrer.at_pointer(payload, ()).text == "models.OrderResponse"
    assert inferrer.at_pointer(payload, ("orderId",)).text == "int"
    assert inferrer.has_path(payload, ("orderId",)) and not inferrer.has_path(payload, ("petId",))
    headers = message_schema(place, "headers")
    assert headers is not None and inferrer.at_pointer(headers, ("orderRequestId",)).text == "str"


def test_a_channel_with_several_message_types_gets_a_union(folder: Path) -> None:
    resolved, models, inferrer, report = front(folder, "calls.arazzo.yaml")
    # Every message of the bound channel (not only the operation's), none of the unbound channel.
    assert models.message_models == {("calls", "calls", "completed"): "CallCompleted", ("calls", "calls", "ringing"): "Ringing", ("calls", "calls", "text"): "Text"}
    assert models.header_models == {("calls", "calls", "text"): "TextHeaders"}
    assert models.message_unions == {("calls", "calls"): "CallsMessage"}
    assert models.schemas["CallsMessage"] == {"oneOf": [{"$ref": "#/components/schemas/CallCompleted"}, {"$ref": "#/components/schemas/Ringing"}, {"$ref": "#/components/schemas/Text"}]}
    text = render_models(models, report, "calls")
    assert "class CallCompleted(Model):\n    call_id: str\n    status: Literal[\"completed\", \"failed\"]\n" in text.replace("'", '"')
    assert "class CallsMessage(_DeferredRoot[CallCompleted | Ringing | str]):" in text
    source = resolved.async_sources["calls"]
    channel = source.channels["calls"]
    # A payload that is a plain string has no class once emitted.
    assert models.message_model(source, channel, channel.messages[2]) is None
    assert models.message_model(source, channel, channel.messages[1]) == "Ringing"
    assert models.message_union(source, channel) == "CallsMessage"
    # The step names the operation: its two messages type $message.payload.
    event = resolved.steps[(0, 0)].event
    assert event is not None
    payload = message_schema(event)
    assert payload is not None
    assert inferrer.at_pointer(payload, ()).text == "models.CallCompleted | models.Ringing"
    assert inferrer.at_pointer(payload, ("call_id",)).text == "str | None"  # required in one, optional in the other
    assert inferrer.at_pointer(payload, ("duration",)).text == "int | None"
    assert not inferrer.has_path(payload, ("nope",))
    assert message_schema(event, "headers") is None  # neither message has headers


def test_names_are_deterministic_and_do_not_clash_with_openapi_models(folder: Path) -> None:
    (folder / "api.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: A, version: '1'}\npaths:\n  /o:\n    post:\n      operationId: makeOrder\n"
        "      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/OrderRequest'}}}}\n"
        "      responses: {'200': {description: ok}}\n"
        "components:\n  schemas:\n    OrderRequest: {type: object, properties: {sku: {type: string}}}\n",
        encoding="utf-8",
    )
    text = PET_DOC.replace("sourceDescriptions:\n", "sourceDescriptions:\n  - {name: api, url: ./api.yaml, type: openapi}\n").replace("    steps:\n", "    steps:\n      - stepId: make\n        operationId: makeOrder\n")
    (folder / "both.arazzo.yaml").write_text(text, encoding="utf-8")
    first = front(folder, "both.arazzo.yaml")[1]
    second = front(folder, "both.arazzo.yaml")[1]
    assert first.message_models == second.message_models and first.schemas == second.schemas
    # The OpenAPI body keeps its name; the message payload of the same name is qualified by its source.
    assert first.names[(str(folder / "api.yaml"), ("components", "schemas", "OrderRequest"))] == "OrderRequest"
    assert first.message_models[("petEvents", "place-order", "placeOrder.message")] == "PetEventsOrderRequest"


def test_an_asyncapi_discriminator_is_left_to_pydantic(folder: Path) -> None:
    (folder / "pets.yaml").write_text(
        "asyncapi: 3.0.0\ninfo: {title: P, version: '1'}\nchannels:\n  pets:\n    address: pets\n    messages:\n"
        "      pet:\n        payload: {oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}], discriminator: kind}\n"
        "operations:\n  onPet: {action: send, channel: {$ref: '#/channels/pets'}}\n"
        "components:\n  schemas:\n"
        "    Cat: {type: object, required: [kind, meows], properties: {kind: {type: string}, meows: {type: boolean}}}\n"
        "    Dog: {type: object, required: [kind, barks], properties: {kind: {type: string}, barks: {type: boolean}}}\n",
        encoding="utf-8",
    )
    (folder / "pets.arazzo.yaml").write_text(CALLS_DOC.replace("./calls.yaml", "./pets.yaml").replace("onCall", "onPet").replace("action: receive\n        correlationId: abc\n", "action: send\n"), encoding="utf-8")
    _, models, _, report = front(folder, "pets.arazzo.yaml")
    name = models.message_models[("calls", "pets", "pet")]
    assert "discriminator" not in models.schemas[name]
    (folder / "pets_models.py").write_text(render_models(models, report, "pets"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("pets_models", folder / "pets_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pets_models"] = module
    try:
        spec.loader.exec_module(module)
        parsed = getattr(module, name).model_validate({"kind": "dog", "barks": True})
    finally:
        del sys.modules["pets_models"]
    assert type(parsed.root).__name__ == "Dog"


def test_a_linked_document_s_asyncapi_source_is_known_by_its_qualified_key(folder: Path) -> None:
    (folder / "root.arazzo.yaml").write_text(
        "arazzo: 1.1.0\ninfo: {title: Root, version: 1.0.0}\nsourceDescriptions:\n  - {name: other, url: ./calls.arazzo.yaml, type: arazzo}\n"
        "workflows:\n  - workflowId: outer\n    steps:\n      - stepId: call\n        workflowId: $sourceDescriptions.other.wait\n",
        encoding="utf-8",
    )
    report = Report()
    loader = Loader(report)
    arazzo = loader.load(folder / "root.arazzo.yaml")
    assert arazzo is not None
    resolved = resolve(arazzo, loader, report, {"other.calls": {"route-payload": "/type"}})
    models = collect_models(resolved, report)
    [source] = resolved.all_async_sources()
    assert (source.name, source.key) == ("calls", "other.calls")
    assert resolved.async_sources == {} and resolved.linked["other"].async_sources == {"calls": source}
    assert source.webhook is not None and source.webhook.route == ("payload", "/type")
    assert models.message_unions == {("other.calls", "calls"): "CallsMessage"}
    assert ("other.calls", "calls", "completed") in models.message_models
    assert [d.message for d in report.items if "not compiled yet" not in d.message] == []
