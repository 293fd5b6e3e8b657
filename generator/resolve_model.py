"""What stage 3, resolve, produces: the sources of a document, their operations
(method, path, parameters, request body, responses, security) and the steps bound to
them; resolve re-exports these classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .diagnostics import JsonPath, Report
from .load import Loader, SourceFile

if TYPE_CHECKING:  # asyncapi_model imports SchemaLoc from resolve_model: the names are only annotations
    from .asyncapi_model import AsyncSource, EventTarget
    from .model.document import Document as ArazzoModel


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
    operations: dict[str, Operation] = field(default_factory=dict)
    operations_by_path: dict[tuple[str, str], Operation] = field(default_factory=dict)
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
    linked: dict[str, Resolved] = field(default_factory=dict)  # arazzo source name -> its document
    documents: list[Resolved] = field(default_factory=list)  # root only: every document, root first
    source_urls: dict[str, str] = field(default_factory=dict)  # source name -> its url as written here
    async_sources: dict[str, AsyncSource] = field(default_factory=dict)  # asyncapi source name -> the document read
    #: the configuration's ``webhooks`` tables by source name (root document only; see config.py)
    webhooks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the typed model of this document (generator.model; the pipeline normalizes after validate)
    model: ArazzoModel | None = None

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
