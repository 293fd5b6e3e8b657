"""Reference searches over the model: which steps, step outputs and workflows a step
or workflow refers to, found by walking the parsed values and conditions (never by
searching the document's text).

Two readings of a step: what it runs with (``step_expressions``: the workflow-level
parameters and actions merged in), and what is written in it (``written_step_expressions``
and the searches of one part: its own lists, reusable objects resolved)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeAlias

from ..diagnostics import JsonPath
from ..expr_ast import (
    And,
    Compare,
    Condition,
    Literal,
    Not,
    Or,
    Ref,
    RuntimeExpr,
    StatusCode,
    StepOutput,
    WorkflowInput,
    WorkflowOutput,
    iter_refs,
)
from .document import (
    Action,
    ActionItem,
    Criterion,
    Output,
    Parameter,
    ParameterItem,
    RequestBody,
    Step,
    Workflow,
    WorkflowTarget,
)
from .values import Value, expressions_in, located_expressions

#: A runtime expression and the JSON path of the string it is written in.
Located: TypeAlias = tuple[JsonPath, RuntimeExpr]


def bare(located: Iterable[Located]) -> Iterator[RuntimeExpr]:
    """The expressions of located ones."""
    for _, expr in located:
        yield expr


def criterion_references(criterion: Criterion) -> Iterator[Located]:
    """The runtime expressions of a criterion: its context, then its parsed condition."""
    if criterion.context_expr is not None:
        yield criterion.at + ("context",), criterion.context_expr
    if criterion.tree is not None:
        for expr in iter_refs(criterion.tree):
            yield criterion.at + ("condition",), expr


def criteria_references(criteria: Iterable[Criterion]) -> Iterator[Located]:
    for criterion in criteria:
        yield from criterion_references(criterion)


def parameter_references(items: Iterable[ParameterItem]) -> Iterator[Located]:
    """The runtime expressions of the values of a ``parameters`` list (reusable ones resolved)."""
    for item in items:
        if item.parameter is not None and item.parameter.value is not None:
            yield from located_expressions(item.parameter.value)


def action_references(action: Action) -> Iterator[Located]:
    yield from criteria_references(action.criteria)
    yield from parameter_references(action.parameters or ())


def action_item_references(items: Iterable[ActionItem]) -> Iterator[Located]:
    """The runtime expressions of an actions list as written (reusable ones resolved)."""
    for item in items:
        if item.action is not None:
            yield from action_references(item.action)


def request_body_references(body: RequestBody | None) -> Iterator[Located]:
    """The runtime expressions of a request body: its payload, then its replacement values."""
    if body is None:
        return
    if body.payload is not None:
        yield from located_expressions(body.payload)
    for replacement in body.replacements:
        if replacement.value is not None:
            yield from located_expressions(replacement.value)


def output_references(outputs: Iterable[Output]) -> Iterator[Located]:
    for output in outputs:
        yield from located_expressions(output.value)


def criterion_expressions(criterion: Criterion) -> Iterator[RuntimeExpr]:
    return bare(criterion_references(criterion))


def criteria_expressions(criteria: Iterable[Criterion]) -> Iterator[RuntimeExpr]:
    return bare(criteria_references(criteria))


def parameter_expressions(items: Iterable[ParameterItem]) -> Iterator[RuntimeExpr]:
    return bare(parameter_references(items))


def action_expressions(action: Action) -> Iterator[RuntimeExpr]:
    return bare(action_references(action))


def action_item_expressions(items: Iterable[ActionItem]) -> Iterator[RuntimeExpr]:
    return bare(action_item_references(items))


def request_body_expressions(body: RequestBody | None) -> Iterator[RuntimeExpr]:
    return bare(request_body_references(body))


def output_expressions(outputs: Iterable[Output]) -> Iterator[RuntimeExpr]:
    return bare(output_references(outputs))


def _parameter_values(parameters: tuple[Parameter, ...]) -> Iterator[Value]:
    for parameter in parameters:
        if parameter.value is not None:
            yield parameter.value


def step_values(step: Step) -> Iterator[Value]:
    """The values of a step in document order: parameters (as it runs with them), the
    request body's payload and replacements, its outputs."""
    yield from _parameter_values(step.parameters)
    body = step.request_body
    if body is not None:
        if body.payload is not None:
            yield body.payload
        for replacement in body.replacements:
            if replacement.value is not None:
                yield replacement.value
    for output in step.outputs:
        yield output.value


def step_expressions(step: Step) -> Iterator[RuntimeExpr]:
    """Every runtime expression a step evaluates: values, success criteria, actions."""
    for value in step_values(step):
        yield from expressions_in(value)
    yield from criteria_expressions(step.success_criteria)
    for action in step.success_actions + step.failure_actions:
        yield from action_expressions(action)


def written_step_references(step: Step) -> Iterator[Located]:
    """Every runtime expression written in a step (not the workflow-level parameters and
    actions it runs with): parameters, request body, correlationId, success criteria,
    actions, outputs."""
    yield from parameter_references(step.parameter_items)
    yield from request_body_references(step.request_body)
    if step.correlation_id is not None:
        yield from located_expressions(step.correlation_id)
    yield from criteria_references(step.success_criteria)
    yield from action_item_references(step.success_items + step.failure_items)
    yield from output_references(step.outputs)


def written_step_expressions(step: Step) -> Iterator[RuntimeExpr]:
    return bare(written_step_references(step))


def step_outputs_read(exprs: Iterable[RuntimeExpr]) -> set[tuple[str, str]]:
    """``(stepId, output name)`` of each ``$steps.<id>.outputs.<name>`` among ``exprs``."""
    return {(e.step_id, e.name) for e in exprs if isinstance(e, StepOutput)}


def steps_referenced(step: Step) -> set[str]:
    """The other steps whose outputs ``step`` reads."""
    return {s for s, _ in step_outputs_read(step_expressions(step)) if s != step.step_id}


def workflow_references(workflow: Workflow) -> Iterator[Located]:
    """Every runtime expression written in a workflow: its parameters, its steps, its
    actions, its outputs."""
    yield from parameter_references(workflow.parameter_items)
    for step in workflow.steps:
        yield from written_step_references(step)
    yield from action_item_references(workflow.success_items + workflow.failure_items)
    yield from output_references(workflow.outputs)


def workflow_expressions(workflow: Workflow) -> Iterator[RuntimeExpr]:
    return bare(workflow_references(workflow))


def workflows_referenced(step: Step) -> set[str]:
    """The workflows a step calls, goes to, or reads (``$workflows.<id>...``)."""
    found = {step.target.workflow_id} if isinstance(step.target, WorkflowTarget) else set()
    found |= {a.workflow_id for a in step.success_actions + step.failure_actions if a.workflow_id is not None}
    found |= {e.workflow_id for e in step_expressions(step) if isinstance(e, (WorkflowInput, WorkflowOutput))}
    return found


def status_equalities(criterion: Criterion) -> set[str]:
    """The statuses a simple criterion compares ``$statusCode`` equal to (``$statusCode == 201``)."""
    found: set[str] = set()
    todo: list[Condition] = [criterion.tree] if criterion.tree is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, And | Or):
            todo += [node.left, node.right]
        elif isinstance(node, Not):
            todo.append(node.operand)
        elif isinstance(node, Compare) and node.op == "==":
            for status, literal in ((node.left, node.right), (node.right, node.left)):
                if isinstance(status, Ref) and isinstance(status.expr, StatusCode) and isinstance(literal, Literal):
                    value = literal.value
                    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 999:
                        found.add(str(value))
    return found
