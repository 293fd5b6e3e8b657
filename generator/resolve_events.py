"""AsyncAPI sources for stage 3, resolve: each one read, and a send/receive step's
operationId or channelPath bound to its operation, channel and messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import SourceFile, pointer_tokens
from .resolve_model import BoundStep, Resolved, _Linker
from .resolve_operations import _OPERATION_PATH, _OPERATION_PATH_BARE, _OPERATION_PATH_NO_URL, _QUALIFIED
from .validate import is_arazzo_1_1

if TYPE_CHECKING:  # asyncapi_model imports SchemaLoc from resolve_model: the names are only annotations
    from .asyncapi_model import AsyncSource, EventTarget

# -- AsyncAPI sources and the send/receive steps bound to them -----------------------


def _load_async(
    doc: Resolved, linker: _Linker, file: SourceFile, name: str, qualified: str, url: str, at: JsonPath
) -> None:
    """An ``asyncapi`` source: read and indexed into ``doc.async_sources`` (one
    AsyncSource per file, as for OpenAPI), or reported."""
    from .asyncapi import read_asyncapi

    if not is_arazzo_1_1(doc.arazzo.data):
        linker.report.add(
            doc.arazzo.diagnostic(
                at,
                f"source description {name!r} is an AsyncAPI document; AsyncAPI sources are an Arazzo 1.1 feature",
                "write arazzo: 1.1.0 to use AsyncAPI sources and send/receive steps",
            )
        )
        return
    shared = linker.asyncapi.get(str(file.path))
    if shared is None:
        shared = read_asyncapi(
            file, name, url, linker.loader, linker.report, key=qualified, webhook=linker.webhooks.get(qualified)
        )
        if shared is None:
            return
        linker.asyncapi[str(file.path)] = shared
    doc.async_sources[name] = shared


def _check_configured_webhooks(root: Resolved, report: Report) -> None:
    """Each source the configuration's ``webhooks`` names is an AsyncAPI source."""
    known = {f"{d.prefix}.{n}" if d.prefix else n for d in root.documents or [root] for n in d.async_sources}
    failed = {f"{d.prefix}.{n}" if d.prefix else n for d in root.documents or [root] for n in d.failed_sources}
    for name in sorted(root.webhooks):
        if name in known or name in failed:
            continue
        what = "an OpenAPI or Arazzo source description" if name in root.sources else "not a source description"
        report.add(
            root.arazzo.diagnostic(
                ("sourceDescriptions",),
                (
                    f"the configuration's webhooks names source {name!r}, which is {what} of type asyncapi in this document"
                    if what.startswith("an")
                    else f"the configuration's webhooks names source {name!r}, which is {what} of this document"
                ),
                did_you_mean(name, known)
                or (
                    "the asyncapi sources: " + ", ".join(sorted(known))
                    if known
                    else "remove the entry: this document has no asyncapi sources"
                ),
            )
        )


def _names_async_operation(doc: Resolved, value: Any) -> bool:
    """Does an operationId name an AsyncAPI operation (or an AsyncAPI source)?"""
    if not isinstance(value, str) or not doc.async_sources:
        return False
    match = _QUALIFIED.match(value)
    if match:
        return match.group(1) in doc.async_sources
    head, _, tail = value.partition(".")
    if tail and head in doc.async_sources and tail in doc.async_sources[head].operations:
        return True
    return any(
        value in s.operations or value in _raw_keys(s.file.data, "operations") for s in doc.async_sources.values()
    )


def _raw_keys(data: Any, key: str) -> list[str]:
    """The keys of a top-level map of a document as written (broken entries included)."""
    table = data.get(key) if isinstance(data, dict) else None
    return [str(k) for k in table] if isinstance(table, dict) else []


def _async_operation_ids(doc: Resolved) -> list[str]:
    return sorted({op for s in doc.async_sources.values() for op in s.operations})


def _by_async_operation_id(doc: Resolved, report: Report, step: dict[str, Any], path: JsonPath) -> EventTarget | None:
    from .asyncapi_model import EventTarget

    value = str(step["operationId"])
    at = path + ("operationId",)
    arazzo = doc.arazzo
    match = _QUALIFIED.match(value)
    head, _, tail = value.partition(".")
    if match:
        name, op_id = match.groups()
        source = doc.async_sources[name]
        operation = source.operations.get(op_id)
        if operation is None:
            if op_id not in _raw_keys(source.file.data, "operations"):
                report.add(
                    arazzo.diagnostic(
                        at,
                        f"operationId {value!r}: AsyncAPI source {name!r} ({source.file.display}) has no operation {op_id!r}",
                        did_you_mean(op_id, source.operations) or "check the operations of the AsyncAPI document",
                    )
                )
            return None
    elif tail and head in doc.async_sources and tail in doc.async_sources[head].operations:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationId {value!r} is qualified by the source name without '$sourceDescriptions.'",
                f"write '$sourceDescriptions.{value}'",
                severity=Severity.WARNING,
            )
        )
        source, operation = doc.async_sources[head], doc.async_sources[head].operations[tail]
    else:
        holders = sorted(
            [n for n, s in doc.async_sources.items() if value in s.operations]
            + [n for n, s in doc.sources.items() if s.kind == "openapi" and value in s.operations]
        )
        if len(holders) > 1:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationId {value!r} exists in several sources ({', '.join(holders)})",
                    f"qualify it: '$sourceDescriptions.{holders[0]}.{value}'",
                )
            )
            return None
        if not holders:
            return None  # the operation is there but broken: reported in the AsyncAPI file
        source = doc.async_sources[holders[0]]
        operation = source.operations[value]
    action = step.get("action")
    if action not in ("send", "receive"):
        report.add(
            arazzo.diagnostic(
                path,
                f"step {step.get('stepId')!r} names AsyncAPI operation {operation.operation_id!r}, but has no action",
                f"add action: send or action: receive (the workflow's own side; the AsyncAPI operation says {operation.action!r} from the described application's side, and the two may differ)",
            )
        )
        return None
    return EventTarget(source, operation.channel, operation, action)


def _by_channel_path(doc: Resolved, report: Report, step: dict[str, Any], path: JsonPath) -> EventTarget | None:
    """``channelPath: '{$sourceDescriptions.<name>.url}#/channels/<key>'``: the channel."""
    from .asyncapi_model import EventTarget

    value = step["channelPath"]
    at = path + ("channelPath",)
    arazzo = doc.arazzo
    if not isinstance(value, str):
        return None  # the schema says it is a string
    match = _OPERATION_PATH.match(value)
    if not match:
        for pattern, what in (
            (_OPERATION_PATH_BARE, "lacks the '{...}' around the source URL expression"),
            (_OPERATION_PATH_NO_URL, "names the source description without '.url'"),
        ):
            match = pattern.match(value)
            if (
                match
                and pattern is _OPERATION_PATH_NO_URL
                and value.startswith("{") != value.split("#", 1)[0].endswith("}")
            ):
                match = None
            if match:
                report.add(
                    arazzo.diagnostic(
                        at,
                        f"channelPath {value!r} {what}",
                        f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                        severity=Severity.WARNING,
                    )
                )
                break
    if not match:
        report.add(
            arazzo.diagnostic(
                at,
                f"malformed channelPath {value!r}",
                "write '{$sourceDescriptions.<name>.url}#/channels/<channel key>'",
            )
        )
        return None
    name, fragment = match.groups()
    if name in doc.failed_sources:
        return None
    source = doc.async_sources.get(name)
    if source is None:
        if name in doc.sources:
            kind = doc.sources[name].kind
            hint = (
                "an OpenAPI operation is named with operationId or operationPath"
                if kind == "openapi"
                else f"call its workflows with 'workflowId: $sourceDescriptions.{name}.<workflowId>'"
            )
            report.add(
                arazzo.diagnostic(
                    at,
                    f"channelPath {value!r}: source description {name!r} is an {'OpenAPI' if kind == 'openapi' else 'Arazzo'} document, which has no channels",
                    hint,
                )
            )
        else:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"unknown source description {name!r} in channelPath",
                    did_you_mean(name, list(doc.async_sources) + list(doc.sources)),
                )
            )
        return None
    tokens = pointer_tokens(unquote(fragment))
    if tokens is None or len(tokens) != 2 or tokens[0] != "channels":
        report.add(arazzo.diagnostic(at, *_not_a_channel(value, name, source, tokens)))
        return None
    key = str(tokens[1])
    channel = source.channels.get(key)
    if channel is None:
        if key in _raw_keys(source.file.data, "channels"):
            return None  # the channel is there but broken: reported in the AsyncAPI file
        by_address = sorted(k for k, c in source.channels.items() if c.address == key)
        hint = (
            f"did you mean '{by_address[0]}'? (the channel whose address is {key!r}; channelPath names a channel by its key)"
            if by_address
            else did_you_mean(key, source.channels) or "check the channels of the AsyncAPI document"
        )
        report.add(arazzo.diagnostic(at, f"channelPath {value!r}: {source.file.display} has no channel {key!r}", hint))
        return None
    action = step.get("action")
    if action not in ("send", "receive"):
        return None  # the 1.1 schema requires it next to channelPath
    return EventTarget(source, channel, None, action)


def _not_a_channel(value: str, name: str, source: AsyncSource, tokens: JsonPath | None) -> tuple[str, str]:
    if tokens is not None and len(tokens) == 2 and tokens[0] == "operations":
        operation = source.operations.get(str(tokens[1]))
        hint = f"name the operation with operationId: $sourceDescriptions.{name}.{tokens[1]}"
        if operation is not None:
            hint += f", or its channel with channelPath: '{{$sourceDescriptions.{name}.url}}#/channels/{_escape_token(operation.channel.key)}'"
        return (f"channelPath {value!r} points at an operation, not at a Channel Object", hint)
    known = ", ".join(f"'#/channels/{_escape_token(k)}'" for k in sorted(source.channels)[:8])
    return (
        f"channelPath {value!r} does not point at a Channel Object",
        "the pointer is '#/channels/<channel key>'" + (f"; the channels: {known}" if known else ""),
    )


def _escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _check_event_step(doc: Resolved, report: Report, bound: BoundStep, target: EventTarget) -> None:
    """What a send/receive step needs of its messages: a payload schema each, and a
    correlationId exactly when its messages define one."""
    step = bound.step
    step_id = step.get("stepId")
    arazzo = doc.arazzo
    messages = target.messages
    channel = target.channel
    where = f"channel {channel.key!r}" if target.operation is None else f"operation {target.operation.operation_id!r}"
    if not messages:
        line, column = target.source.file.position(channel.json_path)
        report.add(
            arazzo.diagnostic(
                bound.json_path,
                f"step {step_id!r}: {where} of {target.source.file.display} carries no messages, so there is nothing to {target.action}",
                f"add messages to channel {channel.key!r} ({target.source.file.display}:{line}:{column})",
            )
        )
        return
    for message in messages:
        if message.payload is None:
            file = message.file or target.source.file
            report.add(
                file.diagnostic(
                    message.json_path,
                    f"message {message.name!r} has no payload schema, so a step that sends or receives it cannot type or check it",
                    "add payload: {type: object, properties: {...}} to the message",
                )
            )
    if target.action != "receive":
        return  # correlationId on a send step: the 1.1 schema refuses it
    correlated = [m for m in messages if m.correlation is not None]
    if "correlationId" not in step and correlated:
        first = correlated[0]
        assert first.correlation is not None
        report.add(
            arazzo.diagnostic(
                bound.json_path,
                f"step {step_id!r} receives on {where}, whose message {first.name!r} defines a correlationId ({first.correlation.location}), but the step has no correlationId",
                "add correlationId: <expression> (the value this run's message carries, e.g. $steps.<stepId>.outputs.<name>), so that only its message is taken",
            )
        )
    elif "correlationId" in step and 0 < len(correlated) < len(messages):
        for message in messages:
            if message.correlation is None:
                file = message.file or target.source.file
                line, column = file.position(message.json_path)
                report.add(
                    arazzo.diagnostic(
                        bound.json_path + ("correlationId",),
                        f"message {message.name!r} of {where} defines no correlationId, so step {step_id!r}, which waits for its correlationId, never takes one",
                        f"add correlationId: {{location: ...}} to message {message.name!r} ({file.display}:{line}:{column}), if it is meant to end the wait",
                        severity=Severity.WARNING,
                    )
                )
    if "correlationId" in step and not correlated:
        first = messages[0]
        file = first.file or target.source.file
        line, column = file.position(first.json_path)
        report.add(
            arazzo.diagnostic(
                bound.json_path + ("correlationId",),
                f"step {step_id!r} has a correlationId, but no message of {where} defines where a message carries one, so there is nothing to compare it with",
                f"add correlationId: {{location: '$message.payload#/<field>'}} to message {first.name!r} ({file.display}:{line}:{column}), or remove the step's correlationId",
            )
        )
