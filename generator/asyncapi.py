"""AsyncAPI 3.0 / 3.1 source descriptions: read, checked and indexed.

``read_asyncapi`` turns a loaded AsyncAPI document into an ``AsyncSource``
(asyncapi_model.py): its channels with their messages, its operations, the
protocols of its servers and how webhook deliveries reach its channels.  Every
problem is a diagnostic with the line and column in the AsyncAPI file (or in the
file a ``$ref`` leads to); what is wrong is left out and the rest still read, so
one run reports everything.

What is checked (AsyncAPI 3.0.0 and 3.1.0, the parts the compiler uses):

* the version: 3.0.x and 3.1.x are read; 2.x is refused with why (its
  publish/subscribe are written from the application's side, the reverse of
  Arazzo's send/receive) and how to convert it; anything else names the versions read;
* channels: ``address`` a string or null, ``messages`` a map, ``parameters`` the
  address's ``{name}`` placeholders (each one declared, each declared one used);
* operations: ``action`` send or receive, ``channel`` a ``$ref`` to a channel of
  this document's ``channels``, ``messages`` ``$ref``s to messages of that channel;
* messages: ``payload`` and ``headers`` schemas (a Multi Format Schema Object
  whose ``schemaFormat`` is not AsyncAPI or JSON Schema is refused: it cannot
  become a pydantic model), ``headers`` an object, ``contentType``, and
  ``correlationId`` (a ``location`` of ``$message.payload#/...`` or
  ``$message.header#/<name>``, or a ``$ref`` to ``components.correlationIds``);
* ``$ref``s within the document and to other files (through the Loader: local
  files only, nothing fetched);
* the ``x-arazzo-webhook`` extension at the document root (see WEBHOOK_KEYS), or
  the configuration's ``webhooks`` table for the source, which replaces it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal, cast
from urllib.parse import unquote, urldefrag

from .asyncapi_model import (
    AsyncChannel,
    AsyncMessage,
    AsyncOperation,
    AsyncSource,
    Correlation,
    SignatureConfig,
    WebhookConfig,
)
from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import Loader, SourceFile, lookup, pointer_tokens
from .resolve_model import SchemaLoc

SUPPORTED_VERSIONS = ("3.0", "3.1")
_VERSION = re.compile(r"^3\.[01]\.\d+$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_LOCATION = re.compile(r"^\$message\.(payload|header)(?:#(.*))?$")
#: The schemaFormat values whose schemas are JSON Schema (AsyncAPI's own Schema
#: Object is a superset of JSON Schema draft 07): anything else (Avro, RAML,
#: Protobuf, ...) has no model.
_SCHEMA_FORMATS = re.compile(
    r"^application/(vnd\.aai\.asyncapi(\+json|\+yaml)?|schema\+json|schema\+yaml)(;\s*version=[^;]+)?$", re.I
)
DEFAULT_CONTENT_TYPE = "application/json"
#: RFC 9110 token characters: what an HTTP header name may be made of.
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

SIGNATURE_SCHEMES = ("hmac-sha256", "stripe", "standard-webhooks")
ENCODINGS = ("hex", "base64")
#: The keys of x-arazzo-webhook and of its signature object.
WEBHOOK_KEYS = ("route", "signature")
ROUTE_KEYS = ("header", "payload")
SIGNATURE_KEYS = ("scheme", "header", "encoding", "prefix", "tolerance")
STANDARD_WEBHOOKS_HEADER = "webhook-signature"


def read_asyncapi(
    file: SourceFile,
    name: str,
    url: str,
    loader: Loader,
    report: Report,
    *,
    key: str = "",
    webhook: Mapping[str, Any] | None = None,
) -> AsyncSource | None:
    """The AsyncAPI document ``file`` (named ``name`` by a source description with
    ``url``) read and indexed, or None (reported) when it is not an AsyncAPI 3.0/3.1
    document at all.  ``webhook`` is the configuration's ``webhooks`` table for this
    source (already checked by config.py): it replaces the document's x-arazzo-webhook."""
    data = file.data
    if not isinstance(data, dict):
        report.add(file.diagnostic((), "an AsyncAPI document must be a mapping", "start it with 'asyncapi: 3.0.0'"))
        return None
    if not _check_version(file, data, report):
        return None
    reader = _Reader(file, loader, report)
    source = AsyncSource(name, url, file, str(data["asyncapi"]), key=key)
    source.protocols = reader.protocols(data.get("servers"))
    source.channels = reader.channels(data.get("channels"))
    source.operations = reader.operations(data.get("operations"), source.channels)
    if webhook is not None:
        source.webhook = webhook_from_config(webhook)
    elif "x-arazzo-webhook" in data:
        source.webhook = reader.webhook(data["x-arazzo-webhook"])
    if source.webhook is not None and source.webhook.route is None and len(source.channels) != 1:
        where = ("x-arazzo-webhook",) if source.webhook.json_path else ()
        origin = (
            "x-arazzo-webhook" if source.webhook.json_path else "the configuration's webhooks entry for this source"
        )
        report.add(
            file.diagnostic(
                where,
                f"{origin} has no route, but the document has {len(source.channels)} channels: which one a delivery is on is unknown",
                "add route: {header: <the header naming the event>} or route: {payload: /<pointer to the event name>} (configuration: route-header or route-payload)",
            )
        )
    return source


def _check_version(file: SourceFile, data: dict[str, Any], report: Report) -> bool:
    version = data.get("asyncapi")
    if version is None:
        report.add(
            file.diagnostic(
                (), "not an AsyncAPI document: it has no 'asyncapi' field", "start it with 'asyncapi: 3.0.0'"
            )
        )
        return False
    text = str(version)
    if not isinstance(version, str):
        report.add(
            file.diagnostic(
                ("asyncapi",),
                f"the asyncapi version must be a string, not {version!r}",
                "write the version as text, e.g. asyncapi: 3.0.0",
            )
        )
        return False
    if text.startswith("2.") or text == "2":
        report.add(
            file.diagnostic(
                ("asyncapi",),
                "AsyncAPI 2 is not supported: its publish/subscribe are seen from the application's side, the reverse of Arazzo's send/receive",
                f"convert it to AsyncAPI 3.0 with the AsyncAPI CLI: 'asyncapi convert {os.path.basename(file.display)} --target-version=3.0.0', and point the source description at the result",
            )
        )
        return False
    if not _VERSION.match(text):
        report.add(
            file.diagnostic(
                ("asyncapi",),
                f"unsupported AsyncAPI version {text!r}",
                "AsyncAPI 3.0.x and 3.1.x documents are read, e.g. asyncapi: 3.0.0",
            )
        )
        return False
    return True


class _Reader:
    """Reads the parts of one AsyncAPI document, reporting into it."""

    def __init__(self, file: SourceFile, loader: Loader, report: Report) -> None:
        self.file = file
        self.loader = loader
        self.report = report
        self.default_content_type = file.data.get("defaultContentType")
        if "defaultContentType" in file.data and not isinstance(self.default_content_type, str):
            self.error(
                file,
                ("defaultContentType",),
                f"defaultContentType must be a string, not {_kind(self.default_content_type)}",
                "write e.g. defaultContentType: application/json",
            )
            self.default_content_type = None

    def error(self, file: SourceFile, at: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(file.diagnostic(at, message, hint))

    def warn(self, file: SourceFile, at: JsonPath, message: str, hint: str | None = None) -> None:
        self.report.add(file.diagnostic(at, message, hint, severity=Severity.WARNING))

    def mapping(self, file: SourceFile, value: Any, at: JsonPath, what: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(
                file, at, f"{what} must be a mapping, not {_kind(value)}", f"write {what} as 'name: {{...}}' entries"
            )
            return None
        return value

    def deref(self, file: SourceFile, value: Any, at: JsonPath) -> tuple[SourceFile, JsonPath, Any] | None:
        return self.loader.deref(file, value, at)

    # -- servers -------------------------------------------------------------------

    def protocols(self, raw: Any) -> tuple[str, ...]:
        servers = self.mapping(self.file, raw, ("servers",), "servers")
        found: set[str] = set()
        for server_name, value in (servers or {}).items():
            resolved = self.deref(self.file, value, ("servers", server_name))
            if resolved is None:
                continue
            s_file, s_at, server = resolved
            if not isinstance(server, dict):
                self.error(
                    s_file,
                    s_at,
                    f"server {server_name!r} must be a mapping, not {_kind(server)}",
                    "a Server Object has host and protocol",
                )
                continue
            protocol = server.get("protocol")
            if not isinstance(protocol, str) or not protocol:
                self.error(
                    s_file,
                    s_at + (("protocol",) if "protocol" in server else ()),
                    f"server {server_name!r} has no protocol",
                    "add protocol: (mqtt, ws, http, amqp, kafka, ...)",
                )
                continue
            found.add(protocol.lower())
        return tuple(sorted(found))

    # -- channels ------------------------------------------------------------------

    def channels(self, raw: Any) -> dict[str, AsyncChannel]:
        channels = self.mapping(self.file, raw, ("channels",), "channels")
        out: dict[str, AsyncChannel] = {}
        for channel_key, value in (channels or {}).items():
            channel = self.channel(str(channel_key), value, ("channels", channel_key))
            if channel is not None:
                out[str(channel_key)] = channel
        return out

    def channel(self, channel_key: str, value: Any, at: JsonPath) -> AsyncChannel | None:
        resolved = self.deref(self.file, value, at)
        if resolved is None:
            return None
        c_file, c_at, raw = resolved
        if not isinstance(raw, dict):
            self.error(
                c_file,
                c_at,
                f"channel {channel_key!r} must be a mapping, not {_kind(raw)}",
                "a Channel Object has an address and messages",
            )
            return None
        address = raw.get("address")
        if address is not None and not isinstance(address, str):
            self.error(
                c_file,
                c_at + ("address",),
                f"the address of channel {channel_key!r} must be a string or null, not {_kind(address)}",
                (
                    f"quote it: address: '{address}'"
                    if isinstance(address, (int, float))
                    else "write the address as text, e.g. address: orders/{orderId}"
                ),
            )
            address = None
        placeholders = tuple(dict.fromkeys(_PLACEHOLDER.findall(address or "")))
        declared = (
            self.mapping(
                c_file, raw.get("parameters"), c_at + ("parameters",), f"the parameters of channel {channel_key!r}"
            )
            or {}
        )
        for placeholder in placeholders:
            if placeholder not in declared:
                self.error(
                    c_file,
                    c_at + ("address",),
                    f"the address {address!r} of channel {channel_key!r} has the parameter {{{placeholder}}}, which its parameters do not declare",
                    f"add parameters: {{{placeholder}: {{description: ...}}}} to the channel"
                    + (f"; {did_you_mean(placeholder, declared)}" if did_you_mean(placeholder, declared) else ""),
                )
        for p_name, p_value in declared.items():
            p_at = c_at + ("parameters", p_name)
            if p_name not in placeholders:
                self.error(
                    c_file,
                    p_at,
                    f"channel {channel_key!r} declares parameter {p_name!r}, but its address {address!r} has no {{{p_name}}}",
                    "remove the parameter, or put {" + str(p_name) + "} in the address",
                )
            p_resolved = self.deref(c_file, p_value, p_at)
            if p_resolved is not None and not isinstance(p_resolved[2], dict):
                self.error(
                    p_resolved[0],
                    p_resolved[1],
                    f"parameter {p_name!r} of channel {channel_key!r} must be a mapping, not {_kind(p_resolved[2])}",
                    "a Parameter Object has description, enum, default, examples",
                )
        messages: list[AsyncMessage] = []
        for m_key, m_value in (
            self.mapping(c_file, raw.get("messages"), c_at + ("messages",), f"the messages of channel {channel_key!r}")
            or {}
        ).items():
            message = self.message(c_file, str(m_key), m_value, c_at + ("messages", m_key))
            if message is not None:
                messages.append(message)
        return AsyncChannel(channel_key, address, placeholders, tuple(messages), c_at)

    # -- messages ------------------------------------------------------------------

    def message(self, file: SourceFile, m_key: str, value: Any, at: JsonPath) -> AsyncMessage | None:
        resolved = self.deref(file, value, at)
        if resolved is None:
            return None
        m_file, m_at, raw = resolved
        if not isinstance(raw, dict):
            self.error(
                m_file,
                m_at,
                f"message {m_key!r} must be a mapping, not {_kind(raw)}",
                "a Message Object has payload, headers, contentType and correlationId",
            )
            return None
        # The fields of its traits, in order (a later trait over an earlier one), then its own.
        places: dict[str, tuple[SourceFile, JsonPath, dict[str, Any]]] = self.trait_fields(m_file, raw, m_at, m_key)
        places.update({key: (m_file, m_at, raw) for key in raw})

        def field(key: str) -> tuple[SourceFile, JsonPath, dict[str, Any]]:
            return places.get(key, (m_file, m_at, raw))

        n_file, n_at, n_raw = field("name")
        name = n_raw.get("name")
        if name is not None and not isinstance(name, str):
            self.error(
                n_file,
                n_at + ("name",),
                f"the name of message {m_key!r} must be a string, not {_kind(name)}",
                "write e.g. name: call.completed",
            )
            name = None
        if name is None:
            # A message defined in components is known by its component name, else by its key.
            name = str(m_at[2]) if len(m_at) == 3 and m_at[:2] == ("components", "messages") else m_key
        t_file, t_at, t_raw = field("contentType")
        content_type = t_raw.get("contentType", self.default_content_type)
        if "contentType" in t_raw and not isinstance(content_type, str):
            self.error(
                t_file,
                t_at + ("contentType",),
                f"the contentType of message {m_key!r} must be a string, not {_kind(content_type)}",
                "write e.g. contentType: application/json",
            )
            content_type = None
        payload = self.schema(m_file, raw, m_at, "payload", m_key)
        h_file, h_at, h_raw = field("headers")
        headers = self.schema(h_file, h_raw, h_at, "headers", m_key)
        if headers is not None:
            self.check_headers_object(headers, m_key)
        c_file, c_at, c_raw = field("correlationId")
        correlation = (
            self.correlation(c_file, c_raw.get("correlationId"), c_at + ("correlationId",), m_key)
            if "correlationId" in c_raw
            else None
        )
        if correlation is not None:
            self.check_correlation_target(correlation.file or c_file, correlation, payload, headers, m_key)
        summary = field("summary")[2].get("summary") or field("title")[2].get("title") or ""
        return AsyncMessage(
            m_key,
            name,
            m_at,
            payload,
            headers,
            content_type or DEFAULT_CONTENT_TYPE,
            correlation,
            str(summary),
            file=m_file,
        )

    def trait_fields(
        self, file: SourceFile, message: dict[str, Any], at: JsonPath, m_key: str
    ) -> dict[str, tuple[SourceFile, JsonPath, dict[str, Any]]]:
        """Where each field of a message's traits is (AsyncAPI 3 merges traits into the
        message in order, the message's own fields winning; a field is taken whole)."""
        found: dict[str, tuple[SourceFile, JsonPath, dict[str, Any]]] = {}
        if "traits" not in message:
            return found
        traits = message["traits"]
        if not isinstance(traits, list):
            self.error(
                file,
                at + ("traits",),
                f"the traits of message {m_key!r} must be a list, not {_kind(traits)}",
                "write traits: [{$ref: '#/components/messageTraits/<name>'}]",
            )
            return found
        for index, item in enumerate(traits):
            resolved = self.deref(file, item, at + ("traits", index))
            if resolved is None:
                continue
            t_file, t_at, trait = resolved
            if not isinstance(trait, dict):
                self.error(
                    t_file,
                    t_at,
                    f"trait {index} of message {m_key!r} must be a mapping, not {_kind(trait)}",
                    "a Message Trait Object has headers, correlationId, contentType, ...",
                )
                continue
            for key in ("payload", "traits"):
                if key in trait:
                    self.error(
                        t_file,
                        t_at + (key,),
                        f"a message trait cannot have {key!r}",
                        f"move {key} into message {m_key!r} itself",
                    )
            found.update({key: (t_file, t_at, trait) for key in trait if key not in ("payload", "traits")})
        return found

    def schema(
        self, file: SourceFile, message: dict[str, Any], m_at: JsonPath, part: str, m_key: str
    ) -> SchemaLoc | None:
        """The payload or headers schema of a message; a Multi Format Schema Object is
        looked into (JSON Schema and AsyncAPI schemas only)."""
        if part not in message:
            return None
        at = m_at + (part,)
        value = message[part]
        target = self.deref(file, value, at)
        if target is None:
            return None  # reported: the $ref leads nowhere
        t_file, t_at, raw = target
        if isinstance(raw, bool):
            return SchemaLoc(file, at, value)  # true/false: any value / none
        if not isinstance(raw, dict):
            self.error(
                t_file,
                t_at,
                f"the {part} of message {m_key!r} must be a schema (a mapping), not {_kind(raw)}",
                "write e.g. payload: {type: object, properties: {...}}",
            )
            return None
        if "schemaFormat" in raw:
            schema_format = raw["schemaFormat"]
            if not isinstance(schema_format, str) or not _SCHEMA_FORMATS.match(schema_format.strip()):
                self.error(
                    t_file,
                    t_at + ("schemaFormat",),
                    f"the {part} of message {m_key!r} has schemaFormat {schema_format!r}: only AsyncAPI and JSON Schema {part} schemas become models",
                    "describe it as a JSON Schema (schemaFormat: application/schema+json;version=draft-07, or no schemaFormat at all)",
                )
                return None
            if "schema" not in raw:
                self.error(
                    t_file,
                    t_at,
                    f"the {part} of message {m_key!r} has a schemaFormat but no schema",
                    "a Multi Format Schema Object holds the schema under 'schema'",
                )
                return None
            inner = self.deref(t_file, raw["schema"], t_at + ("schema",))
            if inner is None:
                return None
            return SchemaLoc(t_file, t_at + ("schema",), raw["schema"])
        return SchemaLoc(file, at, value)

    def check_headers_object(self, headers: SchemaLoc, m_key: str) -> None:
        resolved = self.deref(headers.file, headers.value, headers.path)
        if resolved is None or not isinstance(resolved[2], dict):
            return
        kind = resolved[2].get("type")
        if kind is not None and kind != "object" and not (isinstance(kind, list) and "object" in kind):
            self.error(
                resolved[0],
                resolved[1] + ("type",),
                f"the headers of message {m_key!r} must be an object schema, not type {kind!r}",
                "headers are a map of names to values: type: object, properties: {...}",
            )

    def correlation(self, file: SourceFile, value: Any, at: JsonPath, m_key: str) -> Correlation | None:
        resolved = self.deref(file, value, at)
        if resolved is None:
            return None
        c_file, c_at, raw = resolved
        if not isinstance(raw, dict):
            self.error(
                c_file,
                c_at,
                f"the correlationId of message {m_key!r} must be a Correlation ID Object (a mapping), not {_kind(raw)}",
                "write correlationId: {location: '$message.payload#/<field>'}",
            )
            return None
        location = raw.get("location")
        if not isinstance(location, str):
            message = (
                f"the correlationId location of message {m_key!r} must be a string, not {_kind(location)}"
                if "location" in raw
                else f"the correlationId of message {m_key!r} has no location"
            )
            self.error(
                c_file,
                c_at + (("location",) if "location" in raw else ()),
                message,
                "write location: '$message.payload#/<field>' or '$message.header#/<name>'",
            )
            return None
        match = _LOCATION.match(location.strip())
        tokens = pointer_tokens(unquote(match.group(2) or "")) if match else None
        if match is None or tokens is None:
            self.error(
                c_file,
                c_at + ("location",),
                f"correlationId location {location!r} is not '$message.payload#/<pointer>' or '$message.header#/<name>'",
                "write e.g. location: '$message.payload#/call_id'",
            )
            return None
        part = cast(Literal["payload", "header"], match.group(1))
        if part == "header" and len(tokens) != 1:
            self.error(
                c_file,
                c_at + ("location",),
                f"correlationId location {location!r} must name one header",
                "write location: '$message.header#/<header name>'",
            )
            return None
        return Correlation(location.strip(), part, tuple(str(t) for t in tokens), c_at, file=c_file)

    def check_correlation_target(
        self,
        file: SourceFile,
        correlation: Correlation,
        payload: SchemaLoc | None,
        headers: SchemaLoc | None,
        m_key: str,
    ) -> None:
        """The correlation location names a member the message's schema has (a warning:
        a schema may allow more than it lists)."""
        from .schemas import ModelSet, TypeInferrer

        schema = payload if correlation.part == "payload" else headers
        what = "payload" if correlation.part == "payload" else "headers"
        at = correlation.json_path + ("location",)
        if schema is None:
            self.error(
                file,
                at,
                f"the correlationId of message {m_key!r} reads the message's {what}, which has no schema",
                f"add {what}: {{type: object, properties: {{...}}}} to the message, or correlate on another part",
            )
            return
        inferrer = TypeInferrer(self.loader, ModelSet())
        if correlation.pointer and not inferrer.has_path(schema, correlation.pointer):
            pointer = "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in correlation.pointer)
            self.warn(
                file,
                at,
                f"correlationId location {correlation.location!r}: the {what} schema of message {m_key!r} has no member at {pointer!r}",
                "check the location against the message's schema",
            )

    # -- operations ----------------------------------------------------------------

    def operations(self, raw: Any, channels: dict[str, AsyncChannel]) -> dict[str, AsyncOperation]:
        operations = self.mapping(self.file, raw, ("operations",), "operations")
        out: dict[str, AsyncOperation] = {}
        for op_id, value in (operations or {}).items():
            operation = self.operation(str(op_id), value, ("operations", op_id), channels)
            if operation is not None:
                out[str(op_id)] = operation
        return out

    def operation(
        self, op_id: str, value: Any, at: JsonPath, channels: dict[str, AsyncChannel]
    ) -> AsyncOperation | None:
        resolved = self.deref(self.file, value, at)
        if resolved is None:
            return None
        o_file, o_at, raw = resolved
        if not isinstance(raw, dict):
            self.error(
                o_file,
                o_at,
                f"operation {op_id!r} must be a mapping, not {_kind(raw)}",
                "an Operation Object has action, channel and messages",
            )
            return None
        action = raw.get("action")
        ok = True
        if action not in ("send", "receive"):
            where = o_at + (("action",) if "action" in raw else ())
            self.error(
                o_file,
                where,
                (
                    f"operation {op_id!r} has action {action!r}"
                    if "action" in raw
                    else f"operation {op_id!r} has no action"
                ),
                "write action: send or action: receive (the described application's side)",
            )
            ok = False
        channel = self.operation_channel(o_file, op_id, raw, o_at, channels)
        if channel is None or not ok:
            return None
        messages = self.operation_messages(o_file, op_id, raw, o_at, channel)
        summary = raw.get("summary") or raw.get("title") or ""
        return AsyncOperation(op_id, cast(Literal["send", "receive"], action), channel, messages, o_at, str(summary))

    def operation_channel(
        self, file: SourceFile, op_id: str, raw: dict[str, Any], at: JsonPath, channels: dict[str, AsyncChannel]
    ) -> AsyncChannel | None:
        if "channel" not in raw:
            self.error(
                file, at, f"operation {op_id!r} has no channel", "add channel: {$ref: '#/channels/<channel key>'}"
            )
            return None
        value = raw["channel"]
        c_at = at + ("channel",)
        ref = value.get("$ref") if isinstance(value, dict) else None
        if not isinstance(ref, str):
            self.error(
                file,
                c_at,
                f"the channel of operation {op_id!r} must be a $ref to a channel, not {_kind(value)}",
                "write channel: {$ref: '#/channels/<channel key>'}",
            )
            return None
        c_at = c_at + ("$ref",)
        url, fragment = urldefrag(ref)
        tokens = pointer_tokens(unquote(fragment))
        if url or file is not self.file or tokens is None or len(tokens) != 2 or tokens[0] != "channels":
            self.error(
                file,
                c_at,
                f"the channel $ref {ref!r} of operation {op_id!r} does not point at a channel of this document's channels",
                "an operation's channel is '#/channels/<channel key>' (not a component, not another file)"
                + _known("channels", channels),
            )
            return None
        channel = channels.get(str(tokens[1]))
        if channel is None:
            if str(tokens[1]) not in (self.file.data.get("channels") or {}):
                self.error(
                    file,
                    c_at,
                    f"the channel $ref {ref!r} of operation {op_id!r} points at no channel",
                    did_you_mean(str(tokens[1]), channels) or "name a key of channels",
                )
            return None  # else the channel itself is broken (reported there)
        return channel

    def operation_messages(
        self, file: SourceFile, op_id: str, raw: dict[str, Any], at: JsonPath, channel: AsyncChannel
    ) -> tuple[AsyncMessage, ...]:
        if "messages" not in raw:
            return channel.messages
        listed = raw["messages"]
        m_at = at + ("messages",)
        if not isinstance(listed, list):
            self.error(
                file,
                m_at,
                f"the messages of operation {op_id!r} must be a list of $refs, not {_kind(listed)}",
                f"write messages: [{{$ref: '#/channels/{channel.key}/messages/<message key>'}}]",
            )
            return channel.messages
        by_key = {m.key: m for m in channel.messages}
        raw_channel_messages = lookup(self.file.data, channel.json_path + ("messages",))
        out: list[AsyncMessage] = []
        for index, item in enumerate(listed):
            ref = item.get("$ref") if isinstance(item, dict) else None
            i_at = m_at + (index,)
            if not isinstance(ref, str):
                self.error(
                    file,
                    i_at,
                    f"message {index} of operation {op_id!r} must be a $ref to a message of channel {channel.key!r}",
                    f"write {{$ref: '#/channels/{channel.key}/messages/<message key>'}}",
                )
                continue
            url, fragment = urldefrag(ref)
            tokens = pointer_tokens(unquote(fragment))
            if (
                not url
                and tokens is not None
                and len(tokens) == 4
                and tokens[0] == "channels"
                and tokens[2] == "messages"
                and str(tokens[1]) == channel.key
            ):
                message = by_key.get(str(tokens[3]))
                if message is not None:
                    if message not in out:
                        out.append(message)
                    continue
                if str(tokens[3]) in (raw_channel_messages if isinstance(raw_channel_messages, dict) else {}):
                    continue  # the message itself is broken (reported there)
            # Where the channel's own message names the same thing, say so.
            same = [
                k
                for k, v in (raw_channel_messages if isinstance(raw_channel_messages, dict) else {}).items()
                if isinstance(v, dict) and v.get("$ref") == ref
            ]
            if same:
                hint = f"an operation lists messages of its channel: write {{$ref: '#/channels/{_escape(channel.key)}/messages/{_escape(same[0])}'}}"
            else:
                known = [f"#/channels/{_escape(channel.key)}/messages/{_escape(k)}" for k in by_key]
                hint = did_you_mean(ref, known) or (
                    f"the messages of channel {channel.key!r}: " + ", ".join(known)
                    if known
                    else f"channel {channel.key!r} has no messages: add them to the channel"
                )
            self.error(
                file,
                i_at + ("$ref",),
                f"operation {op_id!r} lists {ref!r}, which is not a message of its channel {channel.key!r}",
                hint,
            )
        return tuple(out)

    # -- x-arazzo-webhook ----------------------------------------------------------

    def webhook(self, raw: Any) -> WebhookConfig | None:
        at: JsonPath = ("x-arazzo-webhook",)
        if not isinstance(raw, dict):
            self.error(
                self.file,
                at,
                f"x-arazzo-webhook must be a mapping, not {_kind(raw)}",
                "write x-arazzo-webhook: {route: {header: <name>}, signature: {scheme: hmac-sha256, header: <name>}}",
            )
            return None
        ok = self.unknown_keys(raw, WEBHOOK_KEYS, at, "x-arazzo-webhook")
        route: tuple[Literal["header", "payload"], str] | None = None
        if "route" in raw:
            route_raw = raw["route"]
            r_at = at + ("route",)
            if not isinstance(route_raw, dict) or len([k for k in ROUTE_KEYS if k in route_raw]) != 1:
                self.error(
                    self.file,
                    r_at,
                    "x-arazzo-webhook route must be one of {header: <name>} or {payload: <JSON pointer>}",
                    "the value found there is the channel address of the delivery",
                )
                ok = False
            else:
                ok = self.unknown_keys(route_raw, ROUTE_KEYS, r_at, "route") and ok
                kind = "header" if "header" in route_raw else "payload"
                value = route_raw[kind]
                problem = route_problem(kind, value)
                if problem is not None:
                    self.error(self.file, r_at + (kind,), problem[0], problem[1])
                    ok = False
                else:
                    route = (cast(Literal["header", "payload"], kind), str(value))
        signature = None
        if "signature" in raw:
            s_raw = raw["signature"]
            s_at = at + ("signature",)
            if not isinstance(s_raw, dict):
                self.error(
                    self.file,
                    s_at,
                    f"x-arazzo-webhook signature must be a mapping, not {_kind(s_raw)}",
                    "write signature: {scheme: hmac-sha256, header: <name>}",
                )
                ok = False
            else:
                ok = self.unknown_keys(s_raw, SIGNATURE_KEYS, s_at, "signature") and ok
                problems = signature_problems(s_raw)
                for key, message, hint in problems:
                    self.error(self.file, s_at + ((key,) if key in s_raw else ()), message, hint)
                if problems:
                    ok = False
                else:
                    signature = _signature(s_raw)
        if not ok:
            return None
        return WebhookConfig(route, signature, at)

    def unknown_keys(self, raw: dict[str, Any], allowed: tuple[str, ...], at: JsonPath, what: str) -> bool:
        ok = True
        for key in raw:
            if key not in allowed and not str(key).startswith("x-"):
                self.error(self.file, at + (key,), f"unknown {what} key {key!r}", did_you_mean(str(key), allowed))
                ok = False
        return ok


def route_problem(kind: str, value: Any) -> tuple[str, str] | None:
    """What is wrong with a webhook route (message, hint), or None."""
    if kind == "header":
        if not isinstance(value, str) or not value or any(c not in _TCHARS for c in value):
            return (
                f"webhook route header {value!r} is not an HTTP header name",
                "write the name of the header that names the event, e.g. X-Event-Type",
            )
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        return (
            f"webhook route payload {value!r} is not a JSON pointer",
            "write a pointer to the member that names the event, e.g. /event or /data/type",
        )
    return None


def signature_problems(raw: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, message, hint) for each problem of a signature table (x-arazzo-webhook's
    ``signature`` or the configuration's, in the extension's key names)."""
    problems: list[tuple[str, str, str]] = []
    scheme = raw.get("scheme")
    if scheme not in SIGNATURE_SCHEMES:
        problems.append(
            (
                "scheme",
                f"unknown signature scheme {scheme!r}" if "scheme" in raw else "the signature has no scheme",
                "use one of " + ", ".join(SIGNATURE_SCHEMES),
            )
        )
        return problems
    header = raw.get("header")
    if scheme == "standard-webhooks":
        if "header" in raw and str(header).lower() != STANDARD_WEBHOOKS_HEADER:
            problems.append(
                (
                    "header",
                    f"standard-webhooks signatures are in the webhook-id, webhook-timestamp and webhook-signature headers, not {header!r}",
                    "remove header",
                )
            )
    elif "header" not in raw:
        problems.append(
            (
                "header",
                f"{'an' if scheme == 'hmac-sha256' else 'a'} {scheme} signature needs the header that carries it",
                "add header: e.g. X-Signature",
            )
        )
    elif route_problem("header", header) is not None:
        problems.append(
            (
                "header",
                f"signature header {header!r} is not an HTTP header name",
                "write the header's name, e.g. X-Signature",
            )
        )
    if "encoding" in raw:
        if scheme != "hmac-sha256":
            problems.append(
                ("encoding", f"encoding applies to hmac-sha256 signatures, not {scheme}", "remove encoding")
            )
        elif raw["encoding"] not in ENCODINGS:
            problems.append(("encoding", f"unknown signature encoding {raw['encoding']!r}", "use hex or base64"))
    if "prefix" in raw:
        if scheme != "hmac-sha256":
            problems.append(("prefix", f"prefix applies to hmac-sha256 signatures, not {scheme}", "remove prefix"))
        elif not isinstance(raw["prefix"], str):
            problems.append(
                (
                    "prefix",
                    f"signature prefix must be a string, not {_kind(raw['prefix'])}",
                    "write e.g. prefix: 'sha256='",
                )
            )
    if "tolerance" in raw:
        tolerance = raw["tolerance"]
        if scheme == "hmac-sha256":
            problems.append(
                (
                    "tolerance",
                    "tolerance applies to stripe and standard-webhooks signatures (they carry a timestamp), not hmac-sha256",
                    "remove tolerance",
                )
            )
        elif not isinstance(tolerance, int) or isinstance(tolerance, bool) or tolerance < 0:
            problems.append(
                (
                    "tolerance",
                    f"signature tolerance must be a whole number of seconds >= 0, not {tolerance!r}",
                    "write e.g. tolerance: 300",
                )
            )
    return problems


def _signature(raw: Mapping[str, Any]) -> SignatureConfig:
    scheme = cast(Literal["hmac-sha256", "stripe", "standard-webhooks"], raw["scheme"])
    header = str(raw.get("header", STANDARD_WEBHOOKS_HEADER if scheme == "standard-webhooks" else ""))
    return SignatureConfig(
        scheme,
        STANDARD_WEBHOOKS_HEADER if scheme == "standard-webhooks" else header,
        cast(Literal["hex", "base64"], raw.get("encoding", "hex")),
        str(raw.get("prefix", "")),
        int(raw.get("tolerance", 300)),
    )


#: The configuration's keys (``webhooks = { <source> = { ... } }``) and the extension's names for them.
CONFIG_KEYS = {
    "route-header": ("route", "header"),
    "route-payload": ("route", "payload"),
    "signature": ("signature", "scheme"),
    "signature-header": ("signature", "header"),
    "encoding": ("signature", "encoding"),
    "prefix": ("signature", "prefix"),
    "tolerance": ("signature", "tolerance"),
}


def webhook_from_config(table: Mapping[str, Any]) -> WebhookConfig:
    """The WebhookConfig of a configuration ``webhooks`` entry (checked by config.py)."""
    route: tuple[Literal["header", "payload"], str] | None = None
    if "route-header" in table:
        route = ("header", str(table["route-header"]))
    elif "route-payload" in table:
        route = ("payload", str(table["route-payload"]))
    signature = None
    if "signature" in table:
        signature = _signature({CONFIG_KEYS[k][1]: v for k, v in table.items() if CONFIG_KEYS[k][0] == "signature"})
    return WebhookConfig(route, signature, ())


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _known(what: str, names: Mapping[str, Any]) -> str:
    return f"; known {what}: " + ", ".join(sorted(names)) if names and len(names) <= 8 else ""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


__all__ = [
    "read_asyncapi",
    "webhook_from_config",
    "signature_problems",
    "route_problem",
    "SUPPORTED_VERSIONS",
    "CONFIG_KEYS",
    "SIGNATURE_SCHEMES",
    "ENCODINGS",
]
