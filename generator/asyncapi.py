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

The document, its servers and operations are read here; asyncapi_messages reads
channels and messages (the reader's base class), asyncapi_webhook checks the
webhook settings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal, cast
from urllib.parse import unquote, urldefrag

from .asyncapi_messages import _ChannelReader, _kind
from .asyncapi_model import AsyncChannel, AsyncMessage, AsyncOperation, AsyncSource, WebhookConfig
from .asyncapi_webhook import (
    CONFIG_KEYS,
    ENCODINGS,
    ROUTE_KEYS,
    SIGNATURE_KEYS,
    SIGNATURE_SCHEMES,
    WEBHOOK_KEYS,
    _signature,
    route_problem,
    signature_problems,
    webhook_from_config,
)
from .diagnostics import JsonPath, Report, did_you_mean
from .load import Loader, SourceFile, lookup, pointer_tokens

SUPPORTED_VERSIONS = ("3.0", "3.1")
_VERSION = re.compile(r"^3\.[01]\.\d+$")


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


class _Reader(_ChannelReader):
    """Reads the parts of one AsyncAPI document, reporting into it."""

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
        found = self.mapping_at(
            self.file, value, at, f"operation {op_id!r}", "an Operation Object has action, channel and messages"
        )
        if found is None:
            return None
        o_file, o_at, raw = found
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


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _known(what: str, names: Mapping[str, Any]) -> str:
    return f"; known {what}: " + ", ".join(sorted(names)) if names and len(names) <= 8 else ""


__all__ = [
    "CONFIG_KEYS",
    "ENCODINGS",
    "SIGNATURE_SCHEMES",
    "SUPPORTED_VERSIONS",
    "read_asyncapi",
    "route_problem",
    "signature_problems",
    "webhook_from_config",
]
