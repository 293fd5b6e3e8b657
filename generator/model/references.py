"""Reference searches over the model: which steps, step outputs and workflows a step
or workflow refers to, found by walking the parsed values and conditions (never by
searching the document's text)."""

from __future__ import annotations

from collections.abc import Iterator

from ..expr_ast import RuntimeExpr, StepOutput, WorkflowInput, WorkflowOutput, iter_refs
from .document import Action, Criterion, Parameter, Step, Workflow, WorkflowTarget
from .values import Value, expressions_in


def criterion_expressions(criterion: Criterion) -> Iterator[RuntimeExpr]:
    """The runtime expressions of a criterion: its context, then its parsed condition."""
    if criterion.context_expr is not None:
        yield criterion.context_expr
    if criterion.tree is not None:
        yield from iter_refs(criterion.tree)


def action_expressions(action: Action) -> Iterator[RuntimeExpr]:
    for criterion in action.criteria:
        yield from criterion_expressions(criterion)
    for item in action.parameters or ():
        if item.parameter is not None and item.parameter.value is not None:
            yield from expressions_in(item.parameter.value)


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
    for criterion in step.success_criteria:
        yield from criterion_expressions(criterion)
    for action in step.success_actions + step.failure_actions:
        yield from action_expressions(action)


def step_outputs_read(exprs: Iterator[RuntimeExpr]) -> set[tuple[str, str]]:
    """``(stepId, output name)`` of each ``$steps.<id>.outputs.<name>`` among ``exprs``."""
    return {(e.step_id, e.name) for e in exprs if isinstance(e, StepOutput)}


def steps_referenced(step: Step) -> set[str]:
    """The other steps whose outputs ``step`` reads."""
    return {s for s, _ in step_outputs_read(step_expressions(step)) if s != step.step_id}


def workflow_expressions(workflow: Workflow) -> Iterator[RuntimeExpr]:
    """Every runtime expression of a workflow: its steps, then its outputs."""
    for step in workflow.steps:
        yield from step_expressions(step)
    for output in workflow.outputs:
        yield from expressions_in(output.value)


def workflows_referenced(step: Step) -> set[str]:
    """The workflows a step calls, goes to, or reads (``$workflows.<id>...``)."""
    found = {step.target.workflow_id} if isinstance(step.target, WorkflowTarget) else set()
    found |= {a.workflow_id for a in step.success_actions + step.failure_actions if a.workflow_id is not None}
    found |= {e.workflow_id for e in step_expressions(step) if isinstance(e, (WorkflowInput, WorkflowOutput))}
    return found
