"""Stage 3, resolve: bind every step to the OpenAPI operation (or workflow) it
calls, with method, path template, server, parameters, request body, responses
by status and security; then compute which schemas the bound operations reach.

This module walks the documents (sources, linked Arazzo documents, steps);
resolve_operations indexes and looks up OpenAPI operations, resolve_events binds
AsyncAPI send/receive steps, and resolve_model holds what they produce (its classes
are re-exported here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import Loader, SourceFile, is_missing, lookup, missing_ref_hint
from .resolve_events import (
    _async_operation_ids,
    _by_async_operation_id,
    _by_channel_path,
    _check_configured_webhooks,
    _check_event_step,
    _load_async,
    _names_async_operation,
)
from .resolve_model import (
    BoundStep,
    Operation,
    ParamSpec,
    Resolved,
    ResponseSpec,
    SchemaLoc,
    SecurityScheme,
    Source,
    _Linker,
)
from .resolve_operations import (
    _by_operation_id,
    _by_operation_path,
    _check_schema_aliases,
    _index_operations,
    _server_url,
)
from .validate import validate_arazzo
from .validate_spec import validate_openapi


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


__all__ = [
    "BoundStep",
    "Operation",
    "ParamSpec",
    "Resolved",
    "ResponseSpec",
    "SchemaLoc",
    "SecurityScheme",
    "Source",
    "is_missing",
    "linked_workflow",
    "lookup",
    "missing_ref_hint",
    "resolve",
]
