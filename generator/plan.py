"""The analyzed plan: a typed intermediate model between analysis and templates.

Analysis decides everything (names, types, the exact statements of every step and
how control flows between them); templates only walk this model and print it.
Statements are a small tree of lines and indented blocks, so that templates need
no knowledge of Python syntax beyond indentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ir.nodes import Stmt


@dataclass(frozen=True)
class Line:
    """One statement or comment line."""

    text: str


@dataclass(frozen=True)
class Block:
    """A compound statement: ``header`` (ending in ':') and its indented body."""

    header: str
    body: tuple["Node", ...]


Node = Line | Block


@dataclass(frozen=True)
class InputParam:
    name: str  # Python keyword-argument name
    original: str  # name in the Arazzo inputs schema
    type_text: str
    default: str | None  # Python source of the default, None when required
    description: str
    secret: bool
    # Python source of a dict/list schema default: the parameter defaults to None and
    # the function body assigns a fresh copy of this literal (no mutable default argument).
    mutable_default: str | None = None


@dataclass(frozen=True)
class OutputField:
    name: str  # attribute name
    alias: str  # original output name
    type_text: str
    description: str


@dataclass(frozen=True)
class WorkflowPlan:
    workflow_id: str
    function_name: str
    async_function_name: str
    outputs_class: str
    outputs_docstring: str  # docstring text of the Outputs class, already escaped
    docstring: str
    inputs: tuple[InputParam, ...]
    outputs: tuple[OutputField, ...]
    #: The function body, ONE tree of IR statements (generator/ir/nodes.py) ...
    body: tuple[Stmt, ...]
    #: ... printed (generator/ir/printer.py) as the function's statements and as its async twin's.
    sync_body: tuple[Node, ...]
    async_body: tuple[Node, ...]
    #: The type of the required ``transport`` argument (Arazzo 1.1 event steps, here or in a
    #: workflow this one calls): "_runtime.Transport" / "_runtime.AsyncTransport"; None: no such argument.
    transport_type: str | None = None
    async_transport_type: str | None = None


@dataclass(frozen=True)
class ReceiverPlan:
    """A factory of webhook receivers for one AsyncAPI source (workflows.py defines it)."""

    function_name: str
    params: tuple[str, ...]  # keyword-only parameters, as Python source ("secret: str", "port: int = 0")
    docstring: str  # already escaped
    body: tuple[Node, ...]


@dataclass(frozen=True)
class ServerEntry:
    name: str  # source description name (a Python string literal, already escaped)
    url: str  # Python string literal of the base URL


@dataclass(frozen=True)
class TypeAliasEntry:
    name: str
    text: str  # the Literal it names, as Python source


@dataclass(frozen=True)
class ModulePlan:
    package: str
    header: tuple[str, ...]  # comment lines (without '# ')
    title: str  # docstring text for the package
    typing_imports: tuple[str, ...]  # names imported from typing
    imports_models: bool
    servers: tuple[ServerEntry, ...]
    workflows: tuple[WorkflowPlan, ...]
    webhook_models: tuple[str, ...] = field(default=())  # class names of webhook payload models
    exports: tuple[str, ...] = field(default=())
    runtime_exports: tuple[str, ...] = field(default=())  # the error classes __init__ imports from _runtime
    runtime_parts: tuple[str, ...] = field(default=())  # optional runtime parts: jsonpath, xpath, v11, v11_jsonpath, v11_xpath, events, events_mqtt, events_ws
    pydantic_imports: tuple[str, ...] = field(default=("Field",))  # names workflows.py imports from pydantic
    idempotency_keys: bool = False  # the functions take ``idempotency_key`` (some step sends one)
    receivers: tuple[ReceiverPlan, ...] = field(default=())  # webhook receiver factories (AsyncAPI sources with a webhook config)
    type_aliases: tuple[TypeAliasEntry, ...] = field(default=())  # large Literals the module names (ir.types.Alias)
