"""The channels and messages of an AsyncAPI document (see asyncapi): each channel's
address and messages, each message's payload and headers schemas, traits and
correlation id, read with their positions and reported into the document.
"""

from __future__ import annotations

import re
from typing import Any, Literal, cast
from urllib.parse import unquote

from .asyncapi_model import AsyncChannel, AsyncMessage, Correlation
from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import Loader, SourceFile, pointer_tokens
from .resolve_model import SchemaLoc

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_LOCATION = re.compile(r"^\$message\.(payload|header)(?:#(.*))?$")
#: The schemaFormat values whose schemas are JSON Schema (AsyncAPI's own Schema
#: Object is a superset of JSON Schema draft 07): anything else (Avro, RAML,
#: Protobuf, ...) has no model.
_SCHEMA_FORMATS = re.compile(
    r"^application/(vnd\.aai\.asyncapi(\+json|\+yaml)?|schema\+json|schema\+yaml)(;\s*version=[^;]+)?$", re.IGNORECASE
)
DEFAULT_CONTENT_TYPE = "application/json"


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


class _ChannelReader:
    """Reads the channels and messages of one AsyncAPI document, reporting into it (the
    operations and the webhook settings are read by asyncapi._Reader, built on this)."""

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

    def mapping_at(
        self, file: SourceFile, value: Any, at: JsonPath, what: str, hint: str, kind: str = "a mapping"
    ) -> tuple[SourceFile, JsonPath, dict[str, Any]] | None:
        """``value`` with its ``$ref`` followed, where it is a mapping; None where it is
        not (reported: "<what> must be <kind>, not ...") or cannot be followed (reported by the loader)."""
        resolved = self.deref(file, value, at)
        if resolved is None:
            return None
        r_file, r_at, raw = resolved
        if not isinstance(raw, dict):
            self.error(r_file, r_at, f"{what} must be {kind}, not {_kind(raw)}", hint)
            return None
        return r_file, r_at, raw

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
        found = self.mapping_at(
            self.file, value, at, f"channel {channel_key!r}", "a Channel Object has an address and messages"
        )
        if found is None:
            return None
        c_file, c_at, raw = found
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
        found = self.mapping_at(
            file,
            value,
            at,
            f"message {m_key!r}",
            "a Message Object has payload, headers, contentType and correlationId",
        )
        if found is None:
            return None
        m_file, m_at, raw = found
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
        found = self.mapping_at(
            file,
            value,
            at,
            f"the correlationId of message {m_key!r}",
            "write correlationId: {location: '$message.payload#/<field>'}",
            kind="a Correlation ID Object (a mapping)",
        )
        if found is None:
            return None
        c_file, c_at, raw = found
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
