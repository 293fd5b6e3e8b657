"""Stage 3, resolve: bind every step to the OpenAPI operation (or workflow) it
calls, with method, path template, server, parameters, request body, responses
by status and security; then compute which schemas the bound operations reach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import Loader, SourceFile, lookup, is_missing, missing_ref_hint, pointer_tokens
from .validate import is_arazzo_1_1, validate_arazzo
from .validate_spec import validate_openapi

if TYPE_CHECKING:  # asyncapi_model imports SchemaLoc from here: the names are only annotations
    from .asyncapi_model import AsyncSource, EventTarget

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class SchemaLoc:
    """Where a schema lives: the file, its JSON path there, and its (unresolved) value."""

    file: SourceFile
    path: JsonPath
    value: Any


@dataclass
class ParamSpec:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: SchemaLoc | None
    style: str | None = None
    explode: bool | None = None


@dataclass
class ResponseSpec:
    status: str  # "200", "4XX", "default"
    content_type: str | None
    schema: SchemaLoc | None
    headers: dict[str, SchemaLoc | None]
    description: str


@dataclass
class SecurityScheme:
    name: str
    kind: str  # http-bearer | http-basic | apiKey | oauth2-client-credentials | other
    location: str | None  # apiKey: header | query | cookie
    param_name: str | None  # apiKey: the header/query/cookie name
    token_url: str | None  # oauth2 client credentials
    scopes: tuple[str, ...] = ()


@dataclass
class Source:
    name: str
    kind: str  # openapi | arazzo
    url: str
    file: SourceFile
    server_url: str
    operations: dict[str, "Operation"] = field(default_factory=dict)
    operations_by_path: dict[tuple[str, str], "Operation"] = field(default_factory=dict)
    key: str = ""  # the SERVERS key (and credential scope): the name, qualified in a linked document

    def __post_init__(self) -> None:
        self.key = self.key or self.name


@dataclass
class Operation:
    source: Source
    method: str  # upper case
    path: str
    operation_id: str | None
    json_path: JsonPath
    summary: str | None
    parameters: dict[tuple[str, str], ParamSpec]
    request_content: dict[str, SchemaLoc | None]  # content type -> schema
    request_required: bool
    responses: dict[str, ResponseSpec]
    security: list[list[tuple[SecurityScheme, tuple[str, ...]]]]  # alternatives of requirements
    display_name: str  # operationId, or "GET /path"


@dataclass
class BoundStep:
    workflow_index: int
    step_index: int
    step: dict[str, Any]
    json_path: JsonPath
    operation: Operation | None = None
    workflow_id: str | None = None  # key of the workflow called by this step (see Resolved.workflow_key)
    event: EventTarget | None = None  # a send/receive step: the AsyncAPI channel (and operation) it is bound to


@dataclass
class Resolved:
    """One Arazzo document with its sources and bound steps.

    The document given to the compiler is the root; Arazzo documents named by its
    ``arazzo`` source descriptions (and theirs) are linked documents, listed in the
    root's ``documents`` (root first).  A workflow is known by its *key*: its
    workflowId in the root, ``$sourceDescriptions.<prefix>.<workflowId>`` in a linked
    document reached through the source names ``<prefix>`` (dotted when nested).
    """

    arazzo: SourceFile
    sources: dict[str, Source]
    steps: dict[tuple[int, int], BoundStep]
    loader: Loader
    failed_sources: set[str] = field(default_factory=set)  # named sources that could not be read
    unvalidated: list[SourceFile] = field(default_factory=list)  # OpenAPI documents awaiting openapi-spec-validator
    prefix: str = ""  # "" for the root document
    linked: dict[str, "Resolved"] = field(default_factory=dict)  # arazzo source name -> its document
    documents: list["Resolved"] = field(default_factory=list)  # root only: every document, root first
    source_urls: dict[str, str] = field(default_factory=dict)  # source name -> its url as written here
    async_sources: dict[str, AsyncSource] = field(default_factory=dict)  # asyncapi source name -> the document read
    #: the configuration's ``webhooks`` tables by source name (root document only; see config.py)
    webhooks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def workflow_ids(self) -> list[str]:
        return [str(w.get("workflowId")) for w in self.arazzo.data.get("workflows", []) if isinstance(w, dict)]

    def workflow_key(self, workflow_id: str) -> str:
        return workflow_id if not self.prefix else f"$sourceDescriptions.{self.prefix}.{workflow_id}"

    def all_steps(self) -> list[BoundStep]:
        return [bound for doc in self.documents or [self] for bound in doc.steps.values()]

    def all_async_sources(self) -> list[AsyncSource]:
        """Every distinct AsyncAPI source of every document, root first."""
        seen: dict[int, AsyncSource] = {}
        for doc in self.documents or [self]:
            for source in doc.async_sources.values():
                seen.setdefault(id(source), source)
        return list(seen.values())

    def all_sources(self) -> list[Source]:
        """Every distinct OpenAPI or Arazzo source of every document, root first."""
        seen: dict[int, Source] = {}
        for doc in self.documents or [self]:
            for source in doc.sources.values():
                seen.setdefault(id(source), source)
        return list(seen.values())


@dataclass
class _Linker:
    """What resolving a tree of documents shares: one document per file, one Source per OpenAPI file."""

    loader: Loader
    report: Report
    unvalidated: list[SourceFile]
    documents: dict[str, Resolved] = field(default_factory=dict)  # absolute path -> document
    openapi: dict[str, Source] = field(default_factory=dict)  # absolute path -> first Source of that file
    asyncapi: dict[str, AsyncSource] = field(default_factory=dict)  # absolute path -> the AsyncSource of that file
    order: list[Resolved] = field(default_factory=list)
    webhooks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # configuration, by source key


def resolve(
    arazzo: SourceFile, loader: Loader, report: Report, webhooks: Mapping[str, Mapping[str, Any]] | None = None
) -> Resolved:
    """``webhooks``: the configuration's ``webhooks`` option (source name -> its table,
    checked by config.py), which replaces a source's x-arazzo-webhook extension."""
    linker = _Linker(loader, report, [], webhooks=dict(webhooks or {}))
    root = _resolve_document(arazzo, "", linker)
    root.documents = list(linker.order)
    root.webhooks = linker.webhooks
    _check_configured_webhooks(root, report)
    return root


def _resolve_document(arazzo: SourceFile, prefix: str, linker: _Linker) -> Resolved:
    report, loader = linker.report, linker.loader
    data = arazzo.data
    doc = Resolved(arazzo, {}, {}, loader, set(), linker.unvalidated, prefix)
    linker.documents[str(arazzo.path)] = doc
    linker.order.append(doc)
    # This document's OpenAPI sources first (a stable sort), so that they name their
    # server keys and credentials before any linked document that uses the same files.
    descriptions = sorted(
        enumerate(data.get("sourceDescriptions", [])),
        key=lambda item: _links(doc, linker, item[1], ("sourceDescriptions", item[0])),
    )
    for index, desc in descriptions:
        errors_before = _error_count(report)
        source = _load_source(doc, linker, desc, ("sourceDescriptions", index))
        doc.source_urls[str(desc.get("name"))] = str(desc.get("url", ""))
        if source is not None:
            doc.sources[str(desc["name"])] = source
        elif str(desc.get("name")) in doc.async_sources:
            pass  # read (its own problems are reported in it; what is usable is bound below)
        elif _error_count(report) > errors_before:
            doc.failed_sources.add(str(desc.get("name")))
    # A step that names an operation of a source that could not be read is not
    # reported again: the source's own diagnostic explains it.
    workflow_ids = set(doc.workflow_ids())
    for w_index, workflow in enumerate(data.get("workflows", [])):
        _check_linked_references(doc, workflow, ("workflows", w_index), report)
        for s_index, step in enumerate(workflow.get("steps", [])):
            path: JsonPath = ("workflows", w_index, "steps", s_index)
            bound = BoundStep(w_index, s_index, step, path)
            if "operationId" in step and _names_async_operation(doc, step["operationId"]):
                bound.event = _by_async_operation_id(doc, report, step, path)
            elif "operationId" in step:
                bound.operation = _by_operation_id(
                    arazzo,
                    report,
                    doc.sources,
                    step["operationId"],
                    path + ("operationId",),
                    doc.failed_sources,
                    _async_operation_ids(doc),
                )
            elif "operationPath" in step:
                bound.operation = _by_operation_path(
                    arazzo,
                    report,
                    doc.sources,
                    step["operationPath"],
                    path + ("operationPath",),
                    doc.failed_sources,
                    doc.async_sources,
                )
            elif "channelPath" in step:
                bound.event = _by_channel_path(doc, report, step, path)
            elif "workflowId" in step:
                target = step["workflowId"]
                if target in workflow_ids:
                    bound.workflow_id = doc.workflow_key(target)
                elif isinstance(target, str) and target.startswith("$sourceDescriptions."):
                    bound.workflow_id = linked_workflow(doc, target, path + ("workflowId",), report)
                else:
                    report.add(
                        arazzo.diagnostic(
                            path + ("workflowId",),
                            f"unknown workflowId {target!r}",
                            did_you_mean(str(target), [w for w in workflow_ids if isinstance(w, str)]),
                        )
                    )
            if bound.operation is not None and "action" in step:
                report.add(
                    arazzo.diagnostic(
                        path + ("action",),
                        f"step {step.get('stepId')!r} calls OpenAPI operation {bound.operation.display_name!r}, which is not sent or received: 'action' is only for AsyncAPI steps",
                        "remove action; a send/receive step names an AsyncAPI operation (operationId) or channel (channelPath)",
                    )
                )
            if bound.event is not None:
                _check_event_step(doc, report, bound, bound.event)
            doc.steps[(w_index, s_index)] = bound
    return doc


def _check_linked_references(doc: Resolved, workflow: dict[str, Any], at: JsonPath, report: Report) -> None:
    """dependsOn entries and actions that name workflows of other documents exist
    (steps are bound below; reusable actions are checked where they are used)."""
    places: list[tuple[JsonPath, Any]] = [
        (at + ("dependsOn", i), dep) for i, dep in enumerate(workflow.get("dependsOn") or [])
    ]
    for key in ("successActions", "failureActions"):
        places += [
            (at + (key, i, "workflowId"), a.get("workflowId"))
            for i, a in enumerate(workflow.get(key) or [])
            if isinstance(a, dict)
        ]
    for s_index, step in enumerate(workflow.get("steps") or []):
        for key in ("onSuccess", "onFailure"):
            items = step.get(key) if isinstance(step, dict) else None
            places += [
                (at + ("steps", s_index, key, i, "workflowId"), a.get("workflowId"))
                for i, a in enumerate(items or [])
                if isinstance(a, dict)
            ]
    for path, ref in places:
        if isinstance(ref, str) and ref.startswith("$sourceDescriptions."):
            linked_workflow(doc, ref, path, report)


#: How deep a chain of Arazzo documents linking each other may go.
MAX_LINK_DEPTH = 32

_LINKED = re.compile(r"^\$sourceDescriptions\.([^.]+)\.(.+)$")


def linked_workflow(doc: Resolved, ref: str, at: JsonPath, report: Report) -> str | None:
    """The key of the workflow ``$sourceDescriptions.<name>.<workflowId>`` names in
    ``doc``, or None (reported) when there is no such Arazzo source or workflow."""
    match = _LINKED.match(ref)
    if match is None:
        report.add(
            doc.arazzo.diagnostic(
                at, f"malformed workflow reference {ref!r}", "write '$sourceDescriptions.<name>.<workflowId>'"
            )
        )
        return None
    name, workflow_id = match.groups()
    if name in doc.failed_sources:
        return None
    target = doc.linked.get(name)
    if (
        target is not None
        and workflow_id.startswith("workflows.")
        and workflow_id not in target.workflow_ids()
        and workflow_id[len("workflows.") :] in target.workflow_ids()
    ):
        # Quirk: Redocly's '$sourceDescriptions.<name>.workflows.<workflowId>'.
        workflow_id = workflow_id[len("workflows.") :]
        report.add(
            doc.arazzo.diagnostic(
                at,
                f"workflow reference {ref!r} has '.workflows.' between the source name and the workflowId",
                f"write '$sourceDescriptions.{name}.{workflow_id}'",
                severity=Severity.WARNING,
            )
        )
    if name not in doc.sources:
        report.add(
            doc.arazzo.diagnostic(
                at, f"unknown source description {name!r} in {ref!r}", did_you_mean(name, doc.sources)
            )
        )
        return None
    target = doc.linked.get(name)
    if target is None:
        report.add(
            doc.arazzo.diagnostic(
                at,
                f"{ref!r}: source description {name!r} is of type {doc.sources[name].kind}, not arazzo",
                "a workflow of another document is named through an arazzo source description; operations are called with operationId",
            )
        )
        return None
    known = target.workflow_ids()
    if workflow_id not in known:
        report.add(
            doc.arazzo.diagnostic(
                at,
                f"{ref!r}: {target.arazzo.display} has no workflow {workflow_id!r}",
                did_you_mean(workflow_id, known),
            )
        )
        return None
    return target.workflow_key(workflow_id)


def _error_count(report: Report) -> int:
    return sum(d.severity is Severity.ERROR for d in report.items)


def _load_source(doc: Resolved, linker: _Linker, desc: dict[str, Any], at: JsonPath) -> Source | None:
    report = linker.report
    url = str(desc.get("url", ""))
    if "#" in url:
        report.add(
            doc.arazzo.diagnostic(
                at + ("url",),
                f"the fragment of source description url {url!r} is ignored: a source description is a whole document",
                f"write {url.split('#', 1)[0]!r}",
                severity=Severity.WARNING,
            )
        )
    kind = desc.get("type", "openapi")
    file = linker.loader.load_url(
        doc.arazzo, _document_url(desc), at + ("url",), f"source description {desc.get('name')!r}:"
    )
    if file is None:
        return None
    name = str(desc["name"])
    qualified = f"{doc.prefix}.{name}" if doc.prefix else name
    found = _document_kind(file.data)
    if "type" not in desc and found is not None:
        kind = found  # the spec gives no default type: the document says what it is
    elif found is not None and found != kind:
        other = {"arazzo": "an Arazzo", "asyncapi": "an AsyncAPI"}.get(found, "an OpenAPI")
        report.add(
            doc.arazzo.diagnostic(
                at + ("type",),
                f"source description {name!r} is of type {kind}, but {file.display} is {other} document",
                f"write 'type: {found}'",
            )
        )
        return None
    if kind == "asyncapi":
        _load_async(doc, linker, file, name, qualified, url, at)
        return None
    if kind == "arazzo":
        return _link_document(doc, linker, file, name, qualified, url, at)
    shared = linker.openapi.get(str(file.path))
    if shared is not None:
        return shared  # the same OpenAPI file as an earlier source: one server entry, one set of credentials
    validate_openapi(file, report, linker.unvalidated)
    if not isinstance(file.data, dict) or not isinstance(file.data.get("openapi"), str):
        return None  # not an OpenAPI document at all: validate_openapi reported it
    source = Source(name, kind, url, file, _server_url(file.data), key=qualified)
    linker.openapi[str(file.path)] = source
    _index_operations(source, linker.loader, report)
    _check_schema_aliases(file, report)
    return source


def _document_url(desc: dict[str, Any]) -> str:
    """A source description's url without a fragment (it names a whole document)."""
    return str(desc.get("url", "")).split("#", 1)[0]


def _links(doc: Resolved, linker: _Linker, desc: dict[str, Any], at: JsonPath) -> bool:
    """Whether a source description names another Arazzo document: by its type or,
    without one, by what the document is (files are read once: the loader keeps them)."""
    if "type" in desc:
        return bool(desc["type"] == "arazzo")
    file = linker.loader.load_url(
        doc.arazzo, _document_url(desc), at + ("url",), f"source description {desc.get('name')!r}:"
    )
    return file is not None and _document_kind(file.data) == "arazzo"


def _document_kind(data: Any) -> str | None:
    if isinstance(data, dict) and "arazzo" in data and "openapi" not in data:
        return "arazzo"
    if isinstance(data, dict) and "openapi" in data and "arazzo" not in data:
        return "openapi"
    if isinstance(data, dict) and "asyncapi" in data:
        return "asyncapi"
    return None


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


def _link_document(
    doc: Resolved, linker: _Linker, file: SourceFile, name: str, qualified: str, url: str, at: JsonPath
) -> Source | None:
    """An ``arazzo`` source: the other document is validated and resolved once (a
    document linked twice, or back to the root, is the same document)."""
    target = linker.documents.get(str(file.path))
    if target is None:
        if qualified.count(".") >= MAX_LINK_DEPTH:
            linker.report.add(
                doc.arazzo.diagnostic(
                    at + ("url",),
                    f"Arazzo documents are linked more than {MAX_LINK_DEPTH} levels deep",
                    "link the documents you need from fewer levels",
                )
            )
            return None
        if not validate_arazzo(file, linker.report, linker.loader):
            return None
        target = _resolve_document(file, qualified, linker)
    doc.linked[name] = target
    return Source(name, "arazzo", url, file, "", key=qualified)


def _check_schema_aliases(file: SourceFile, report: Report) -> None:
    """A component schema that is only a $ref to another one that leads back to
    it describes nothing (pydantic would fail on every value at run time)."""
    components = file.data.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        return
    reported: set[frozenset[str]] = set()
    for name in sorted(schemas):
        chain = [name]
        value = schemas[name]
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            tokens = pointer_tokens(unquote(value["$ref"][1:])) if value["$ref"].startswith("#") else None
            if tokens is None or len(tokens) != 3 or tokens[:2] != ("components", "schemas"):
                break  # another document or a deeper pointer: the schema stage follows those
            target = str(tokens[2])
            if target in chain:
                members = frozenset(chain)
                if members not in reported:
                    reported.add(members)
                    cycle = chain[chain.index(target) :] + [target]
                    report.add(
                        file.diagnostic(
                            ("components", "schemas", cycle[0]),
                            "cyclic $ref: " + " -> ".join(cycle) + " never reaches a schema",
                            "point one of them at a real schema",
                        )
                    )
                break
            chain.append(target)
            value = schemas.get(target)


def _server_url(data: Any) -> str:
    servers = data.get("servers") if isinstance(data, dict) else None
    if not servers or not isinstance(servers, list) or not isinstance(servers[0], dict):
        return ""
    server = servers[0]
    url = str(server.get("url", ""))
    for name, var in (server.get("variables") or {}).items():
        if isinstance(var, dict) and "default" in var:
            url = url.replace("{" + name + "}", str(var["default"]))
    return url.rstrip("/")


def _index_operations(source: Source, loader: Loader, report: Report) -> None:
    data = source.file.data
    schemes = _security_schemes(source.file, loader, report)
    top_security = data.get("security", [])
    for path, item in (data.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        item_at: JsonPath = ("paths", path)
        if "$ref" in item:
            deref = loader.deref(source.file, item, item_at, "the operations of this path are left out")
            if deref is None:
                continue
            item = deref[2]
        common = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            at = item_at + (method,)
            params: dict[tuple[str, str], ParamSpec] = {}
            for p_list, base in ((common, item_at + ("parameters",)), (op.get("parameters", []), at + ("parameters",))):
                for index, raw in enumerate(p_list or []):
                    deref = loader.deref(
                        source.file,
                        raw,
                        base + (index,),
                        "the parameter is left out (a step may still set it with 'in')",
                    )
                    if deref is None or not isinstance(deref[2], dict):
                        continue
                    p_file, p_path, p = deref
                    if "name" not in p or "in" not in p:
                        continue
                    schema = SchemaLoc(p_file, p_path + ("schema",), p["schema"]) if "schema" in p else None
                    params[(p["name"], p["in"])] = ParamSpec(
                        p["name"],
                        p["in"],
                        bool(p.get("required")) or p["in"] == "path",
                        schema,
                        p.get("style"),
                        p.get("explode"),
                    )
            request_content: dict[str, SchemaLoc | None] = {}
            request_required = False
            if "requestBody" in op:
                deref = loader.deref(
                    source.file, op["requestBody"], at + ("requestBody",), "the request body is typed Any"
                )
                if deref is not None and isinstance(deref[2], dict):
                    b_file, b_path, body = deref
                    request_required = bool(body.get("required"))
                    for ctype, media in (body.get("content") or {}).items():
                        has = isinstance(media, dict) and "schema" in media
                        request_content[ctype] = (
                            SchemaLoc(b_file, b_path + ("content", ctype, "schema"), media["schema"]) if has else None
                        )
            responses: dict[str, ResponseSpec] = {}
            for status, raw in (op.get("responses") or {}).items():
                deref = loader.deref(source.file, raw, at + ("responses", str(status)), "the response is typed Any")
                if deref is None or not isinstance(deref[2], dict):
                    continue
                r_file, r_path, resp = deref
                content = resp.get("content") or {}
                ctype, schema = _pick_content(r_file, r_path, content)
                headers: dict[str, SchemaLoc | None] = {}
                for h_name, h_raw in (resp.get("headers") or {}).items():
                    h_deref = loader.deref(r_file, h_raw, r_path + ("headers", h_name), "the header is typed Any")
                    if h_deref and isinstance(h_deref[2], dict) and "schema" in h_deref[2]:
                        headers[h_name] = SchemaLoc(h_deref[0], h_deref[1] + ("schema",), h_deref[2]["schema"])
                    else:
                        headers[h_name] = None
                responses[str(status)] = ResponseSpec(
                    str(status), ctype, schema, headers, str(resp.get("description", ""))
                )
            security_raw = op.get("security", top_security) or []
            security: list[list[tuple[SecurityScheme, tuple[str, ...]]]] = []
            for requirement in security_raw:
                if not isinstance(requirement, dict):
                    continue
                alternative = []
                for scheme_name, scopes in requirement.items():
                    if scheme_name in schemes:
                        alternative.append((schemes[scheme_name], tuple(scopes or ())))
                security.append(alternative)
            operation = Operation(
                source=source,
                method=method.upper(),
                path=path,
                operation_id=op.get("operationId"),
                json_path=at,
                summary=op.get("summary"),
                parameters=params,
                request_content=request_content,
                request_required=request_required,
                responses=responses,
                security=security,
                display_name=op.get("operationId") or f"{method.upper()} {path}",
            )
            if operation.operation_id:
                source.operations.setdefault(operation.operation_id, operation)
            source.operations_by_path[(path, method)] = operation


def _pick_content(file: SourceFile, path: JsonPath, content: dict[str, Any]) -> tuple[str | None, SchemaLoc | None]:
    if not content:
        return None, None
    order = sorted(content, key=lambda c: (not _is_json(c), c))
    ctype = order[0]
    media = content[ctype]
    if isinstance(media, dict) and "schema" in media:
        return ctype, SchemaLoc(file, path + ("content", ctype, "schema"), media["schema"])
    return ctype, None


def _is_json(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _security_schemes(file: SourceFile, loader: Loader, report: Report) -> dict[str, SecurityScheme]:
    out: dict[str, SecurityScheme] = {}
    raw = ((file.data.get("components") or {}).get("securitySchemes") or {}) if isinstance(file.data, dict) else {}
    for name, value in raw.items():
        deref = loader.deref(file, value, ("components", "securitySchemes", name))
        if deref is None or not isinstance(deref[2], dict):
            continue
        scheme = deref[2]
        kind = "other"
        token_url = None
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            kind = "http-bearer"
        elif scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            kind = "http-basic"
        elif scheme.get("type") == "apiKey":
            kind = "apiKey"
        elif scheme.get("type") == "oauth2":
            flow = (scheme.get("flows") or {}).get("clientCredentials")
            if isinstance(flow, dict):
                kind = "oauth2-client-credentials"
                token_url = flow.get("tokenUrl")
        out[name] = SecurityScheme(name, kind, scheme.get("in"), scheme.get("name"), token_url)
    return out


_QUALIFIED = re.compile(r"^\$sourceDescriptions\.([^.]+)\.(.+)$")


def _by_operation_id(
    arazzo: SourceFile,
    report: Report,
    sources: dict[str, Source],
    value: Any,
    at: JsonPath,
    failed: set[str],
    async_ids: list[str] | None = None,
) -> Operation | None:
    if not isinstance(value, str):
        return None
    openapi = {n: s for n, s in sources.items() if s.kind == "openapi"}
    match = _QUALIFIED.match(value)
    if match:
        name, op_id = match.groups()
        if name in failed:
            return None
        if name not in sources:
            report.add(
                arazzo.diagnostic(
                    at, f"unknown source description {name!r} in operationId {value!r}", did_you_mean(name, sources)
                )
            )
            return None
        if sources[name].kind != "openapi":
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationId {value!r}: source description {name!r} is an Arazzo document, which has workflows, not operations",
                    f"call its workflow with 'workflowId: $sourceDescriptions.{name}.<workflowId>'",
                )
            )
            return None
        return _lookup_op(arazzo, report, {name: sources[name]}, op_id, at)
    head, _, tail = value.partition(".")
    if tail and head in openapi and tail in openapi[head].operations:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationId {value!r} is qualified by the source name without '$sourceDescriptions.'",
                f"write '$sourceDescriptions.{value}'",
                severity=Severity.WARNING,
            )
        )
        return openapi[head].operations[tail]
    return _lookup_op(arazzo, report, openapi, value, at, failed, async_ids or [])


def _lookup_op(
    arazzo: SourceFile,
    report: Report,
    sources: dict[str, Source],
    op_id: str,
    at: JsonPath,
    failed: frozenset[str] | set[str] = frozenset(),
    async_ids: list[str] | None = None,
) -> Operation | None:
    holders = sorted(name for name, s in sources.items() if op_id in s.operations)
    if len(holders) == 1:
        return sources[holders[0]].operations[op_id]
    if len(holders) > 1:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationId {op_id!r} exists in several sources ({', '.join(holders)})",
                f"qualify it: '$sourceDescriptions.{holders[0]}.{op_id}'",
            )
        )
        return None
    if failed:
        return None  # it may be in a source that could not be read (reported there)
    known = [o for s in sources.values() for o in s.operations] + list(async_ids or [])
    report.add(
        arazzo.diagnostic(
            at,
            f"unknown operationId {op_id!r}",
            did_you_mean(op_id, known)
            or (
                "check the operationIds in the OpenAPI and AsyncAPI source descriptions"
                if async_ids
                else "check the operationIds in the OpenAPI source descriptions"
            ),
        )
    )
    return None


_OPERATION_PATH = re.compile(r"^\{\$sourceDescriptions\.([^.}]+)\.url\}#(.*)$")
_OPERATION_PATH_BARE = re.compile(r"^\$sourceDescriptions\.([^.#]+)\.url#(.*)$")
# Shorthands real documents use: Redocly's '$sourceDescriptions.<name>#/paths/...'
# (no '.url', no braces) and WSO2's '<name>#/paths/...' (the bare source name).
_OPERATION_PATH_NO_URL = re.compile(r"^\{?\$sourceDescriptions\.([A-Za-z0-9_-]+)\}?#(/.*)$")
_OPERATION_PATH_NAME = re.compile(r"^([A-Za-z0-9_-]+)#(/.*)$")


def _by_operation_path(
    arazzo: SourceFile,
    report: Report,
    sources: dict[str, Source],
    value: Any,
    at: JsonPath,
    failed: set[str],
    async_sources: Mapping[str, AsyncSource] | None = None,
) -> Operation | None:
    if not isinstance(value, str):
        return None
    match = _OPERATION_PATH.match(value)
    if not match:
        match = _OPERATION_PATH_BARE.match(value)
        if match:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationPath {value!r} lacks the '{{...}}' around the source URL expression",
                    f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                    severity=Severity.WARNING,
                )
            )
    if not match:
        match = _OPERATION_PATH_NO_URL.match(value)
        if match and value.startswith("{") != value.split("#", 1)[0].endswith("}"):
            match = None  # one brace without the other: malformed, not a shorthand
        if match:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationPath {value!r} names the source description without '.url'",
                    f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                    severity=Severity.WARNING,
                )
            )
    if not match:
        match = _OPERATION_PATH_NAME.match(value)
        if match and match.group(1) in sources:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationPath {value!r} names the source description {match.group(1)!r} without a runtime expression",
                    f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                    severity=Severity.WARNING,
                )
            )
        elif match and match.group(1) not in failed:
            hint = did_you_mean(match.group(1), sources)
            report.add(
                arazzo.diagnostic(
                    at,
                    f"malformed operationPath {value!r}: {match.group(1)!r} is not a source description",
                    f"write '{{$sourceDescriptions.<name>.url}}#{match.group(2)}'" + (f"; {hint}" if hint else ""),
                )
            )
            return None
        elif match:
            return None
    if not match:
        report.add(
            arazzo.diagnostic(
                at, f"malformed operationPath {value!r}", "write '{$sourceDescriptions.<name>.url}#/paths/~1pets/get'"
            )
        )
        return None
    name, fragment = match.groups()
    if name in failed:
        return None
    if async_sources and name in async_sources:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r}: source description {name!r} is an AsyncAPI document",
                f"name its channel with channelPath: '{{$sourceDescriptions.{name}.url}}#/channels/<channel key>', or its operation with operationId: $sourceDescriptions.{name}.<operationId> (with action: send or receive)",
            )
        )
        return None
    if name not in sources:
        report.add(
            arazzo.diagnostic(at, f"unknown source description {name!r} in operationPath", did_you_mean(name, sources))
        )
        return None
    if sources[name].kind != "openapi":
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r}: source description {name!r} is an Arazzo document, which has no operations",
                f"call its workflows with 'workflowId: $sourceDescriptions.{name}.<workflowId>'",
            )
        )
        return None
    tokens = pointer_tokens(unquote(fragment))
    source = sources[name]
    if tokens is None or len(tokens) < 3 or tokens[0] != "paths":
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} does not point at an operation",
                "the pointer looks like '#/paths/~1pets~1{id}/get'",
            )
        )
        return None
    method = str(tokens[-1]).lower()
    path = "/".join(str(t) for t in tokens[1:-1])
    if len(tokens) > 3:
        # Quirk: '/paths//pets/get' style pointers written without ~1 escapes.
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} does not escape '/' in the path as '~1'",
                "write the path as one token, e.g. '#/paths/~1pets~1{id}/get'",
                severity=Severity.WARNING,
            )
        )
        path = "/" + path.lstrip("/")
    op = source.operations_by_path.get((path, method))
    if op is None:
        known = [f"{p} {m}" for p, m in source.operations_by_path]
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} matches no operation in {source.file.display}",
                did_you_mean(f"{path} {method}", known),
            )
        )
        return None
    if op.operation_id and source.operations.get(op.operation_id) is op:
        # The spec: "If the referenced operation has an operationId defined then the
        # operationId SHOULD be preferred over the operationPath."
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} names an operation that has an operationId",
                f"prefer 'operationId: $sourceDescriptions.{name}.{op.operation_id}'",
                severity=Severity.WARNING,
            )
        )
    return op


__all__ = [
    "resolve",
    "linked_workflow",
    "Resolved",
    "BoundStep",
    "Operation",
    "Source",
    "SchemaLoc",
    "ResponseSpec",
    "ParamSpec",
    "SecurityScheme",
    "lookup",
    "is_missing",
    "missing_ref_hint",
]
