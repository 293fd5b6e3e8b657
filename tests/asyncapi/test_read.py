"""Reading AsyncAPI 3.0/3.1 source descriptions (generator/asyncapi.py): the
official pet example and a 3.1 document read into the model, AsyncAPI 2 and other
versions refused with why, and each structural problem told at its line and column
in the AsyncAPI file with its JSON path (one small document per problem)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arazzo_codegen.asyncapi import read_asyncapi
from arazzo_codegen.asyncapi_model import AsyncSource, SignatureConfig, WebhookConfig
from arazzo_codegen.diagnostics import Diagnostic, Report, Severity
from arazzo_codegen.load import Loader

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HEAD = 'asyncapi: 3.0.0\ninfo: {title: E, version: "1"}\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def read(path: Path) -> tuple[AsyncSource | None, list[Diagnostic]]:
    report = Report()
    loader = Loader(report)
    file = loader.load(path)
    assert file is not None, [d.render() for d in report.items]
    source = read_asyncapi(file, "events", f"./{path.name}", loader, report)
    return source, report.sorted()


def lines(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.render().splitlines()[0] for d in diagnostics]


def test_the_pet_example_is_read(folder: Path) -> None:
    shutil.copy(FIXTURES / "pet-asyncapi.yaml", folder / "pet-asyncapi.yaml")
    source, diagnostics = read(folder / "pet-asyncapi.yaml")
    assert diagnostics == []
    assert source is not None
    assert (source.name, source.url, source.version, source.protocols, source.webhook) == ("events", "./pet-asyncapi.yaml", "3.0.0", ("kafka",), None)
    assert sorted(source.channels) == ["confirm-order", "place-order"]
    place = source.channels["place-order"]
    assert (place.address, place.effective_address, place.parameters, place.json_path) == ("place-order", "place-order", (), ("channels", "place-order"))
    [request] = place.messages
    # The channel's key names it; the component it is defined as gives its name.
    assert (request.key, request.name, request.json_path, request.content_type) == ("placeOrder.message", "OrderRequest", ("components", "messages", "OrderRequest"), "application/json")
    assert request.payload is not None and request.payload.path == ("components", "messages", "OrderRequest", "payload")
    assert request.payload.value["required"] == ["petId"]
    assert request.headers is not None and request.headers.path == ("components", "messages", "OrderRequest", "headers")
    correlation = request.correlation
    assert correlation is not None
    assert (correlation.location, correlation.part, correlation.pointer, correlation.json_path) == ("$message.header#/orderRequestId", "header", ("orderRequestId",), ("components", "messages", "OrderRequest", "correlationId"))
    [operation] = source.operations.values()
    assert (operation.operation_id, operation.action, operation.channel, operation.messages, operation.json_path) == ("placeOrder", "receive", place, (request,), ("operations", "placeOrder"))
    assert operation.summary == ""


DOC_3_1 = """asyncapi: 3.1.0
info: {title: Calls, version: "1"}
defaultContentType: application/cloudevents+json
servers:
  broker: {host: broker.example.com, protocol: MQTT}
  edge: {host: edge.example.com, protocol: wss}
  backup: {$ref: '#/components/servers/backup'}
channels:
  callEvents:
    address: 'calls/{callId}/events'
    parameters:
      callId: {description: the call}
    messages:
      completed: {$ref: './messages.yaml#/Completed'}
      ringing:
        summary: The phone rings
        contentType: application/json
        payload:
          schemaFormat: application/schema+json;version=draft-07
          schema: {type: object, properties: {call_id: {type: string}}}
  anything:
    address: null
    messages: {}
operations:
  watch:
    title: Watch a call
    action: receive
    channel: {$ref: '#/channels/callEvents'}
    messages: [{$ref: '#/channels/callEvents/messages/completed'}]
  all: {$ref: '#/components/operations/all'}
components:
  servers:
    backup: {host: backup.example.com, protocol: mqtt}
  operations:
    all:
      action: send
      channel: {$ref: '#/channels/callEvents'}
x-arazzo-webhook:
  route: {payload: /type}
  signature: {scheme: hmac-sha256, header: X-Signature, encoding: base64, prefix: 'sha256='}
"""

MESSAGES = """Completed:
  name: call.completed
  payload: {$ref: '#/CompletedPayload'}
  correlationId: {location: '$message.payload#/call_id'}
CompletedPayload:
  type: object
  required: [call_id]
  properties:
    call_id: {type: string}
"""


def test_a_3_1_document_with_refs_to_another_file_is_read(folder: Path) -> None:
    (folder / "calls.yaml").write_text(DOC_3_1, encoding="utf-8")
    (folder / "messages.yaml").write_text(MESSAGES, encoding="utf-8")
    source, diagnostics = read(folder / "calls.yaml")
    assert diagnostics == []
    assert source is not None
    assert source.version == "3.1.0"
    assert source.protocols == ("mqtt", "wss")  # lower case, sorted, distinct
    events = source.channels["callEvents"]
    assert (events.address, events.parameters) == ("calls/{callId}/events", ("callId",))
    assert source.channels["anything"].address is None and source.channels["anything"].effective_address == "anything"
    completed, ringing = events.messages
    # A message in another file: its JSON path is in that file, and it says which file that is.
    assert (completed.key, completed.name, completed.json_path, completed.content_type) == ("completed", "call.completed", ("Completed",), "application/cloudevents+json")
    assert completed.file is not None and completed.file.path.name == "messages.yaml"
    assert completed.payload is not None and completed.payload.file.path.name == "messages.yaml" and completed.payload.path == ("Completed", "payload")
    assert completed.correlation is not None and (completed.correlation.part, completed.correlation.pointer) == ("payload", ("call_id",))
    # A Multi Format Schema Object: its schema is the payload.
    assert (ringing.name, ringing.summary, ringing.content_type, ringing.correlation) == ("ringing", "The phone rings", "application/json", None)
    assert ringing.payload is not None and ringing.payload.path == ("channels", "callEvents", "messages", "ringing", "payload", "schema")
    watch, every = source.operations["watch"], source.operations["all"]
    assert (watch.action, watch.channel.key, watch.messages, watch.summary) == ("receive", "callEvents", (completed,), "Watch a call")
    # Without messages an operation carries all of its channel's; one in components is read through its $ref.
    assert (every.action, every.messages, every.json_path) == ("send", (completed, ringing), ("components", "operations", "all"))
    assert source.webhook == WebhookConfig(("payload", "/type"), SignatureConfig("hmac-sha256", "X-Signature", "base64", "sha256=", 300), ("x-arazzo-webhook",))


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("{scheme: stripe, header: X-Nixflex-Signature, tolerance: 60}", SignatureConfig("stripe", "X-Nixflex-Signature", tolerance=60)),
        ("{scheme: standard-webhooks}", SignatureConfig("standard-webhooks", "webhook-signature")),
        ("{scheme: hmac-sha256, header: X-Sig}", SignatureConfig("hmac-sha256", "X-Sig", "hex", "", 300)),
    ],
)
def test_webhook_signatures_and_a_single_channel_without_route(folder: Path, signature: str, expected: SignatureConfig) -> None:
    (folder / "hooks.yaml").write_text(HEAD + f"channels:\n  done: {{address: call.completed}}\nx-arazzo-webhook:\n  signature: {signature}\n", encoding="utf-8")
    source, diagnostics = read(folder / "hooks.yaml")
    assert diagnostics == []
    assert source is not None and source.webhook == WebhookConfig(None, expected, ("x-arazzo-webhook",))


def test_asyncapi_2_is_refused_with_why_and_how_to_convert(folder: Path) -> None:
    (folder / "old.yaml").write_text('asyncapi: 2.6.0\ninfo: {title: E, version: "1"}\nchannels: {}\n', encoding="utf-8")
    source, diagnostics = read(folder / "old.yaml")
    assert source is None
    assert lines(diagnostics) == ["old.yaml:1:11: error: $.asyncapi: AsyncAPI 2 is not supported: its publish/subscribe are seen from the application's side, the reverse of Arazzo's send/receive"]
    assert diagnostics[0].hint == "convert it to AsyncAPI 3.0 with the AsyncAPI CLI: 'asyncapi convert old.yaml --target-version=3.0.0', and point the source description at the result"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('asyncapi: 3.2.0\ninfo: {title: E, version: "1"}\n', "e.yaml:1:11: error: $.asyncapi: unsupported AsyncAPI version '3.2.0'"),
        ('asyncapi: "1.2"\n', "e.yaml:1:11: error: $.asyncapi: unsupported AsyncAPI version '1.2'"),
        ("asyncapi: 3.0\n", "e.yaml:1:11: error: $.asyncapi: the asyncapi version must be a string, not 3.0"),
        ('info: {title: E, version: "1"}\n', "e.yaml:1:1: error: $: not an AsyncAPI document: it has no 'asyncapi' field"),
        ("- asyncapi\n", "e.yaml:1:1: error: $: an AsyncAPI document must be a mapping"),
    ],
)
def test_other_versions_are_refused_naming_the_ones_read(folder: Path, text: str, expected: str) -> None:
    (folder / "e.yaml").write_text(text, encoding="utf-8")
    source, diagnostics = read(folder / "e.yaml")
    assert source is None
    assert lines(diagnostics) == [expected]
    if "unsupported" in expected:
        assert diagnostics[0].hint == "AsyncAPI 3.0.x and 3.1.x documents are read, e.g. asyncapi: 3.0.0"


STRUCTURE = [
    pytest.param(
        'channels:\n  orders:\n    address: 42\n',
        ["events.yaml:5:14: error: $.channels.orders.address: the address of channel 'orders' must be a string or null, not the number 42"],
        id='address_not_string',
    ),
    pytest.param(
        'channels:\n  orders:\n    address: orders/{orderId}\n',
        ["events.yaml:5:14: error: $.channels.orders.address: the address 'orders/{orderId}' of channel 'orders' has the parameter {orderId}, which its parameters do not declare"],
        id='placeholder_undeclared',
    ),
    pytest.param(
        'channels:\n  orders:\n    address: orders\n    parameters:\n      orderId: {description: the id}\n',
        ["events.yaml:7:7: error: $.channels.orders.parameters.orderId: channel 'orders' declares parameter 'orderId', but its address 'orders' has no {orderId}"],
        id='parameter_unused',
    ),
    pytest.param(
        'channels:\n  orders:\n    address: orders\n    messages: [a, b]\n',
        ["events.yaml:6:5: error: $.channels.orders.messages: the messages of channel 'orders' must be a mapping, not a list"],
        id='messages_not_mapping',
    ),
    pytest.param(
        "channels:\n  orders: {address: orders}\noperations:\n  onOrder:\n    channel: {$ref: '#/channels/orders'}\n",
        ["events.yaml:6:3: error: $.operations.onOrder: operation 'onOrder' has no action"],
        id='action_missing',
    ),
    pytest.param(
        "channels:\n  orders: {address: orders}\noperations:\n  onOrder:\n    action: publish\n    channel: {$ref: '#/channels/orders'}\n",
        ["events.yaml:7:13: error: $.operations.onOrder.action: operation 'onOrder' has action 'publish'"],
        id='action_wrong',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\noperations:\n  onOrder:\n    action: send\n',
        ["events.yaml:6:3: error: $.operations.onOrder: operation 'onOrder' has no channel"],
        id='channel_missing',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\noperations:\n  onOrder:\n    action: send\n    channel: orders\n',
        ["events.yaml:8:14: error: $.operations.onOrder.channel: the channel of operation 'onOrder' must be a $ref to a channel, not the string 'orders'"],
        id='channel_not_ref',
    ),
    pytest.param(
        "channels:\n  orders: {address: orders}\noperations:\n  onOrder:\n    action: send\n    channel: {$ref: '#/components/channels/orders'}\ncomponents:\n  channels:\n    orders: {address: orders}\n",
        ["events.yaml:8:21: error: $.operations.onOrder.channel['$ref']: the channel $ref '#/components/channels/orders' of operation 'onOrder' does not point at a channel of this document's channels"],
        id='channel_component',
    ),
    pytest.param(
        "channels:\n  orders: {address: orders}\noperations:\n  onOrder:\n    action: send\n    channel: {$ref: '#/channels/order'}\n",
        ["events.yaml:8:21: error: $.operations.onOrder.channel['$ref']: the channel $ref '#/channels/order' of operation 'onOrder' points at no channel"],
        id='channel_unknown',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created: {$ref: '#/components/messages/Created'}\noperations:\n  onOrder:\n    action: send\n    channel: {$ref: '#/channels/orders'}\n    messages:\n      - $ref: '#/components/messages/Created'\ncomponents:\n  messages:\n    Created:\n      payload: {type: object}\n",
        ["events.yaml:13:15: error: $.operations.onOrder.messages[0]['$ref']: operation 'onOrder' lists '#/components/messages/Created', which is not a message of its channel 'orders'"],
        id='op_message_component',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created: {payload: {type: object}}\n  refunds:\n    address: refunds\n    messages:\n      refunded: {payload: {type: object}}\noperations:\n  onOrder:\n    action: send\n    channel: {$ref: '#/channels/orders'}\n    messages:\n      - $ref: '#/channels/refunds/messages/refunded'\n",
        ["events.yaml:17:15: error: $.operations.onOrder.messages[0]['$ref']: operation 'onOrder' lists '#/channels/refunds/messages/refunded', which is not a message of its channel 'orders'"],
        id='op_message_other_channel',
    ),
    pytest.param(
        'channels:\n  orders:\n    address: orders\n    messages:\n      created:\n        payload:\n          schemaFormat: application/vnd.apache.avro;version=1.9.0\n          schema: {type: record, name: Order, fields: []}\n',
        ["events.yaml:9:25: error: $.channels.orders.messages.created.payload.schemaFormat: the payload of message 'created' has schemaFormat 'application/vnd.apache.avro;version=1.9.0': only AsyncAPI and JSON Schema payload schemas become models"],
        id='schema_format_avro',
    ),
    pytest.param(
        'channels:\n  orders:\n    address: orders\n    messages:\n      created:\n        payload: {type: object}\n        headers: {type: string}\n',
        ["events.yaml:9:25: error: $.channels.orders.messages.created.headers.type: the headers of message 'created' must be an object schema, not type 'string'"],
        id='headers_not_object',
    ),
    pytest.param(
        'channels:\n  orders:\n    address: orders\n    messages:\n      created:\n        payload: {type: object, properties: {id: {type: string}}}\n        correlationId: {location: $message.body#/id}\n',
        ["events.yaml:9:35: error: $.channels.orders.messages.created.correlationId.location: correlationId location '$message.body#/id' is not '$message.payload#/<pointer>' or '$message.header#/<name>'"],
        id='correlation_location_bad',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created:\n        payload: {type: object}\n        headers: {type: object}\n        correlationId: {location: '$message.header#/a/b'}\n",
        ["events.yaml:10:35: error: $.channels.orders.messages.created.correlationId.location: correlationId location '$message.header#/a/b' must name one header"],
        id='correlation_header_two_tokens',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created:\n        payload: {type: object}\n        correlationId: {$ref: '#/components/correlationIds/orderId'}\ncomponents:\n  correlationIds:\n    order: {location: '$message.payload#/id'}\n",
        ["events.yaml:9:9: error: $.channels.orders.messages.created.correlationId: $ref '#/components/correlationIds/orderId' points at nothing in events.yaml"],
        id='correlation_ref_dangling',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created:\n        payload: {type: object, properties: {id: {type: string}}}\n        correlationId: {location: '$message.payload#/order_id'}\n",
        ["events.yaml:9:35: warning: $.channels.orders.messages.created.correlationId.location: correlationId location '$message.payload#/order_id': the payload schema of message 'created' has no member at '/order_id'"],
        id='correlation_no_member',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created: {$ref: '#/components/messages/Create'}\ncomponents:\n  messages:\n    Created: {payload: {type: object}}\n",
        ["events.yaml:7:7: error: $.channels.orders.messages.created: $ref '#/components/messages/Create' points at nothing in events.yaml"],
        id='message_ref_dangling',
    ),
    pytest.param(
        "channels:\n  orders:\n    address: orders\n    messages:\n      created: {$ref: './messages.yaml#/Created'}\n",
        ['events.yaml:7:7: error: $.channels.orders.messages.created: file not found: messages.yaml'],
        id='message_other_file_missing',
    ),
    pytest.param(
        'servers:\n  prod: {host: example.com}\nchannels: {}\n',
        ["events.yaml:4:3: error: $.servers.prod: server 'prod' has no protocol"],
        id='server_no_protocol',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  route: {header: X-Event}\n  signing: {scheme: hmac-sha256}\n',
        ["events.yaml:7:3: error: $.x-arazzo-webhook.signing: unknown x-arazzo-webhook key 'signing'"],
        id='webhook_unknown_key',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  route: {header: X-Event, payload: /event}\n',
        ['events.yaml:6:3: error: $.x-arazzo-webhook.route: x-arazzo-webhook route must be one of {header: <name>} or {payload: <JSON pointer>}'],
        id='webhook_route_both',
    ),
    pytest.param(
        "channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  route: {header: 'X Event'}\n",
        ["events.yaml:6:19: error: $.x-arazzo-webhook.route.header: webhook route header 'X Event' is not an HTTP header name"],
        id='webhook_route_bad_header',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  route: {payload: event}\n',
        ["events.yaml:6:20: error: $.x-arazzo-webhook.route.payload: webhook route payload 'event' is not a JSON pointer"],
        id='webhook_route_bad_pointer',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  signature: {scheme: hmac-sha1, header: X-Sig}\n',
        ["events.yaml:6:23: error: $.x-arazzo-webhook.signature.scheme: unknown signature scheme 'hmac-sha1'"],
        id='webhook_scheme_unknown',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  signature: {scheme: hmac-sha256}\n',
        ['events.yaml:6:3: error: $.x-arazzo-webhook.signature: an hmac-sha256 signature needs the header that carries it'],
        id='webhook_hmac_no_header',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  signature: {scheme: stripe, header: Stripe-Signature, encoding: hex}\n',
        ['events.yaml:6:67: error: $.x-arazzo-webhook.signature.encoding: encoding applies to hmac-sha256 signatures, not stripe'],
        id='webhook_encoding_stripe',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\nx-arazzo-webhook:\n  signature: {scheme: standard-webhooks, tolerance: -1}\n',
        ['events.yaml:6:53: error: $.x-arazzo-webhook.signature.tolerance: signature tolerance must be a whole number of seconds >= 0, not -1'],
        id='webhook_tolerance_negative',
    ),
    pytest.param(
        'channels:\n  orders: {address: orders}\n  refunds: {address: refunds}\nx-arazzo-webhook:\n  signature: {scheme: hmac-sha256, header: X-Sig}\n',
        ['events.yaml:6:1: error: $.x-arazzo-webhook: x-arazzo-webhook has no route, but the document has 2 channels: which one a delivery is on is unknown'],
        id='webhook_no_route_two_channels',
    ),
    pytest.param(
        "channels:\n  c:\n    messages:\n      m: {payload: {type: object}, correlationId: {location: 5}}\n      n: {payload: {type: object}, correlationId: {description: x}}\n",
        [
            "events.yaml:6:62: error: $.channels.c.messages.m.correlationId.location: the correlationId location of message 'm' must be a string, not the number 5",
            "events.yaml:7:36: error: $.channels.c.messages.n.correlationId: the correlationId of message 'n' has no location",
        ],
        id="correlation_location_missing_or_not_text",
    ),
    pytest.param(
        "channels:\n  c:\n    messages:\n      m: {$ref: '#/components/messages/a'}\ncomponents:\n  messages:\n    a: {$ref: '#/components/messages/b'}\n    b: {$ref: '#/components/messages/a'}\n",
        ["events.yaml:6:7: error: $.channels.c.messages.m: cyclic $ref: #/components/messages/a -> #/components/messages/b -> #/components/messages/a"],
        id="message_ref_cycle",
    ),
    pytest.param(
        "servers: [1]\nchannels: null\noperations: [a]\n",
        ["events.yaml:3:1: error: $.servers: servers must be a mapping, not a list", "events.yaml:5:1: error: $.operations: operations must be a mapping, not a list"],
        id="top_level_maps_as_lists",
    ),
    pytest.param(
        "channels:\n  c:\n    messages:\n      m: {payload: null}\n",
        ["events.yaml:6:20: error: $.channels.c.messages.m.payload: the payload of message 'm' must be a schema (a mapping), not null"],
        id="payload_null",
    ),
]


@pytest.mark.parametrize(("body", "expected"), STRUCTURE)
def test_each_structural_problem_is_told_where_it_is(folder: Path, body: str, expected: list[str]) -> None:
    (folder / "events.yaml").write_text(HEAD + body, encoding="utf-8")
    source, diagnostics = read(folder / "events.yaml")
    assert lines(diagnostics) == expected
    assert all(d.hint for d in diagnostics)
    assert source is not None  # the rest of the document is still read


def test_what_is_wrong_is_left_out_and_the_rest_kept(folder: Path) -> None:
    body = (
        "channels:\n  good:\n    address: good\n    messages:\n      ok: {payload: {type: object}}\n      broken: {$ref: '#/components/messages/Nope'}\n"
        "  bad:\n    address: [1]\n    messages:\n      m: {payload: {type: string}}\n"
        "operations:\n  fine: {action: send, channel: {$ref: '#/channels/good'}}\n  wrong: {action: push, channel: {$ref: '#/channels/good'}}\n"
    )
    (folder / "events.yaml").write_text(HEAD + body, encoding="utf-8")
    source, diagnostics = read(folder / "events.yaml")
    assert source is not None
    assert [m.key for m in source.channels["good"].messages] == ["ok"]
    assert source.channels["bad"].address is None  # told, then unknown
    assert sorted(source.operations) == ["fine"]
    assert [d.severity for d in diagnostics] == [Severity.ERROR] * 3


def test_hints_say_what_to_write(folder: Path) -> None:
    cases = {
        "    messages:\n      created: {$ref: '#/components/messages/Create'}\ncomponents:\n  messages:\n    Created: {payload: {type: object}}\n": "nothing is named 'Create' at '#/components/messages'; did you mean 'Created'?",
        "operations:\n  o:\n    action: send\n    channel: {$ref: '#/channels/order'}\n": "did you mean 'orders'?",
    }
    for body, hint in cases.items():
        text = HEAD + "channels:\n  orders:\n    address: orders\n" + (body if body.startswith("    ") else "    messages: {}\n" + body)
        (folder / "events.yaml").write_text(text, encoding="utf-8")
        _, diagnostics = read(folder / "events.yaml")
        assert [d.hint for d in diagnostics] == [hint], lines(diagnostics)


TRAITS = HEAD + """channels:
  calls:
    address: calls
    messages:
      done:
        contentType: application/json
        payload: {type: object, properties: {call_id: {type: string}}}
        traits:
          - $ref: '#/components/messageTraits/common'
          - {summary: A call ended}
components:
  messageTraits:
    common:
      contentType: text/plain
      headers: {type: object, properties: {x-call: {type: string}}}
      correlationId: {location: '$message.header#/x-call'}
"""


def test_message_traits_are_merged_and_the_message_wins(folder: Path) -> None:
    (folder / "events.yaml").write_text(TRAITS, encoding="utf-8")
    source, diagnostics = read(folder / "events.yaml")
    assert diagnostics == []
    assert source is not None
    [done] = source.channels["calls"].messages
    assert (done.content_type, done.summary) == ("application/json", "A call ended")
    assert done.headers is not None and done.headers.path == ("components", "messageTraits", "common", "headers")
    assert done.correlation is not None and (done.correlation.part, done.correlation.pointer, done.correlation.json_path) == ("header", ("x-call",), ("components", "messageTraits", "common", "correlationId"))


def test_a_trait_with_a_payload_is_told(folder: Path) -> None:
    (folder / "events.yaml").write_text(TRAITS.replace("      contentType: text/plain\n", "      payload: {type: string}\n"), encoding="utf-8")
    _, diagnostics = read(folder / "events.yaml")
    assert lines(diagnostics) == ["events.yaml:16:7: error: $.components.messageTraits.common.payload: a message trait cannot have 'payload'"]
