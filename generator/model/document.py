"""The typed Arazzo model: frozen dataclasses for a document that validate accepted.

Every object carries its JSON path (``at``, the ``JsonPath`` diagnostics use) and the
raw mapping it was read from (``raw``, for the stages not moved onto the model yet).
Reusable objects (``$components.parameters.*``, ``successActions``, ``failureActions``)
are resolved, and workflow-level parameters and actions merged into each step, once,
by :func:`generator.model.normalize.normalize`: a step's ``parameters`` and actions are
what it runs with.  The model reports nothing: what could not be resolved is kept as a
:class:`Problem` (with the message the compiling stage reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ..diagnostics import JsonPath
from ..expr_ast import Condition, ExpressionError, Quirk, RuntimeExpr
from .values import Value

if TYPE_CHECKING:
    from .inputs import Inputs


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an object is left out of what a step runs with (reported by analysis)."""

    at: JsonPath
    message: str
    hint: str | None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    name: str
    url: str | None
    type: str | None
    at: JsonPath


# -- step targets ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperationTarget:
    """``operationId`` or ``operationPath`` (an OpenAPI operation, or an AsyncAPI one in 1.1)."""

    operation_id: str | None
    operation_path: str | None
    at: JsonPath


@dataclass(frozen=True, slots=True)
class WorkflowTarget:
    """``workflowId``: a workflow of this document or ``$sourceDescriptions.<name>.<id>``."""

    workflow_id: str
    at: JsonPath


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """``channelPath`` (Arazzo 1.1): an AsyncAPI channel."""

    channel_path: str
    at: JsonPath


StepTarget: TypeAlias = OperationTarget | WorkflowTarget | ChannelTarget


# -- parameters, bodies, criteria, actions ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter the step (or action) uses, a reusable one resolved.

    ``value`` is None when none is written (the schema requires one); ``value_at`` is
    where the value is: the item's ``value`` (which overrides a reusable parameter's)
    or ``components.parameters.<name>.value``.  ``location`` is ``in`` as written."""

    name: str
    location: str | None
    value: Value | None
    at: JsonPath  # the item in its list
    value_at: JsonPath
    component: str | None = None  # the reusable parameter's name, when it is one
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ParameterItem:
    """One item of a ``parameters`` list: the parameter, or why it cannot be read."""

    at: JsonPath
    parameter: Parameter | None
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    target: str | None
    selector_type: str | None  # Arazzo 1.1 targetSelectorType
    value: Value | None
    at: JsonPath
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RequestBody:
    content_type: str | None
    payload: Value | None  # None when the body has no payload
    replacements: tuple[Replacement, ...]
    at: JsonPath
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Criterion:
    """A Criterion Object; a ``simple`` condition parsed (``tree``), or its parse ``error``.

    ``braced`` marks a condition written ``{$...}`` (a quirk): ``tree`` is of the text
    inside the braces.  ``quirks`` are the non-standard spellings the parser accepted."""

    condition: str
    kind: str  # simple, regex, jsonpath, xpath (or what the document says)
    version: str | None  # of an expression type object
    context: str | None
    at: JsonPath
    context_expr: RuntimeExpr | None = None  # the context parsed (None when absent or malformed)
    tree: Condition | None = None
    error: ExpressionError | None = None
    quirks: tuple[Quirk, ...] = ()
    braced: bool = False
    reads_self: bool = False  # the condition reads $self (Arazzo 1.1)
    raw: Any = field(default=None, compare=False, repr=False)


ActionKind: TypeAlias = Literal["successActions", "failureActions"]


@dataclass(frozen=True, slots=True)
class Action:
    """A success or failure action, a reusable one resolved (``at`` is then
    ``components.<kind>.<name>``, ``reference_at`` the ``reference`` that named it)."""

    kind: ActionKind
    name: str
    type: str
    step_id: str | None
    workflow_id: str | None
    criteria: tuple[Criterion, ...]
    retry_after: float | None  # seconds, when a number >= 0 is written
    retry_limit: int  # 1 unless an integer >= 0 is written
    parameters: tuple[ParameterItem, ...] | None  # Arazzo 1.1: inputs of the workflow it goes to
    at: JsonPath
    component: str | None = None
    reference_at: JsonPath | None = None
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One item of an actions list: the action, or why it cannot be read."""

    at: JsonPath
    action: Action | None
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    value: Value
    at: JsonPath


# -- steps, workflows, the document -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """A step.  ``parameter_items``/``success_items``/``failure_items`` are its own lists as
    written (resolved); ``parameters``/``success_actions``/``failure_actions`` are what it
    runs with: the workflow-level ones merged in (see normalize for the rules)."""

    step_id: str
    index: int
    at: JsonPath
    target: StepTarget | None
    parameter_items: tuple[ParameterItem, ...]
    parameters: tuple[Parameter, ...]
    parameter_problems: tuple[Problem, ...]
    request_body: RequestBody | None
    success_criteria: tuple[Criterion, ...]
    success_items: tuple[ActionItem, ...]
    failure_items: tuple[ActionItem, ...]
    success_actions: tuple[Action, ...]
    failure_actions: tuple[Action, ...]
    action_problems: tuple[Problem, ...]
    outputs: tuple[Output, ...]
    depends_on: tuple[str, ...]
    correlation_id: Value | None = None  # Arazzo 1.1: a receive step's correlationId
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Workflow:
    workflow_id: str
    index: int
    at: JsonPath
    inputs: Any  # the inputs schema as written
    input_schema: Inputs | None  # dereferenced, with each declared input (None: no inputs)
    depends_on: tuple[str, ...]
    parameter_items: tuple[ParameterItem, ...]
    success_items: tuple[ActionItem, ...]
    failure_items: tuple[ActionItem, ...]
    steps: tuple[Step, ...]
    outputs: tuple[Output, ...]
    raw: Any = field(default=None, compare=False, repr=False)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.step_id == step_id), None)


@dataclass(frozen=True, slots=True)
class Components:
    parameters: dict[str, Any]
    success_actions: dict[str, Any]
    failure_actions: dict[str, Any]
    inputs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Document:
    version: str
    v11: bool
    self_uri: str | None
    source_descriptions: tuple[SourceDescription, ...]
    workflows: tuple[Workflow, ...]
    components: Components
    #: every parameters-list item read (workflows, steps, actions: reusable ones at their components path)
    parameter_index: dict[JsonPath, ParameterItem] = field(default_factory=dict, compare=False, repr=False)
    raw: Any = field(default=None, compare=False, repr=False)

    def parameter_item(self, at: JsonPath) -> ParameterItem | None:
        """The parameters-list item at ``at`` as normalize read it."""
        return self.parameter_index.get(at)

    def workflow(self, workflow_id: str) -> Workflow | None:
        return next((w for w in self.workflows if w.workflow_id == workflow_id), None)

    def workflow_at(self, index: int) -> Workflow | None:
        return next((w for w in self.workflows if w.index == index), None)

    def step_at(self, workflow_index: int, step_index: int) -> Step | None:
        """The step at ``workflows[workflow_index].steps[step_index]``."""
        workflow = self.workflow_at(workflow_index)
        return None if workflow is None else next((s for s in workflow.steps if s.index == step_index), None)
