"""The context a runtime expression is compiled in (the methods come from the modules
of the analysis: values, references, requests, criteria)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import expressions as ex
from ..diagnostics import JsonPath
from ..ir import nodes as n
from ..schemas import PyType
from . import criteria as criteria_module
from . import references as references_module
from . import requests as requests_module
from . import values as values_module
from .common import StepInfo

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


class ExprContext:
    """Translates runtime expressions, criteria and requests into Python source.

    ``phase`` says what a runtime expression may read:

    * ``request``: parameters and the request body, before the step's request;
    * ``response``: criteria and outputs of an operation step (``$statusCode``,
      ``$response...``, ``$request...``, ``$url``, ``$method``);
    * ``called``: criteria and outputs of a step that called a workflow
      (``$outputs.x`` is the called workflow's output);
    * ``outputs``: the workflow's outputs (``$outputs.x`` is another of them).
    """

    def __init__(
        self,
        wf: WorkflowAnalyzer,
        info: StepInfo | None,
        *,
        phase: str,
        unset: set[str] | None = None,
        payload: str | None = None,
        path_values: dict[str, n.Expr] | None = None,
    ) -> None:
        self.wf = wf
        self.p = wf.p
        self.doc = wf.doc
        self.info = info
        self.phase = phase
        self.unset = unset or set()
        self.reads_body = False  # set when an expression reads $response.body
        #: Values another context analysed (and reported) already, compiled again only for
        #: their text (an early end's outputs, with None for the steps that did not run).
        self.quiet = False
        #: The step output variables the values compiled here read (set or not).
        self.steps_read: set[str] = set()
        #: Expressions whose value a step output variable holds already: (its name, its type).
        self.bound: dict[ex.RuntimeExpr, tuple[n.Expr, PyType]] = {}
        self.path_values: dict[str, n.Expr] = dict(path_values or {})
        self.payload_var = payload
        self.failing = False  # inside onFailure: the body is an error response, not the success schema
        #: The failure actions of a step whose own timeout ran out (Arazzo 1.1): there is no
        #: response, so what reads the exchange is unavailable (a criterion reading it fails).
        self.timed_out = False
        self.unavailable = False  # set when an expression read the exchange of a timed-out step
        self.criterion_parts: list[tuple[str, n.Expr]] = []  # (condition text, condition) of the last criteria() call
        self._outputs_stack: list[str] = []
        #: Where a request value must be present (JSON path of the value -> what it is for).
        self.needs: dict[JsonPath, str] = {}
        self.need_for: str | None = None  # what the value being compiled is for, when it must be present

    def error(self, at: JsonPath, message: str, hint: str | None = None) -> None:
        if not self.quiet:
            self.wf.error(at, message, hint)

    def warn(self, at: JsonPath, message: str, hint: str | None = None) -> None:
        if not self.quiet:
            self.wf.warn(at, message, hint)

    # values.py
    value_node = values_module.value_node
    _plain_value = values_module._plain_value
    _body_dot_path = values_module._body_dot_path
    _dependency_output = values_module._dependency_output
    _step_output_without_outputs = values_module._step_output_without_outputs
    _is_optional_input = values_module._is_optional_input
    template_node = values_module.template_node
    expr_node = values_module.expr_node
    _check_pointer = values_module._check_pointer
    _check_jsonpath_members = values_module._check_jsonpath_members

    # references.py
    _input = references_module._input
    _warn_dotted_name = references_module._warn_dotted_name
    _step_output = references_module._step_output
    _output_of_step = references_module._output_of_step
    _workflow_ref = references_module._workflow_ref
    _workflow_input = references_module._workflow_input
    _named_workflow_output = references_module._named_workflow_output
    _workflow_output = references_module._workflow_output
    _output = references_module._output
    _unbound = references_module._unbound
    _source_description = references_module._source_description
    _component = references_module._component

    # requests.py
    request_lines = requests_module.request_lines
    _documented_statuses = requests_module._documented_statuses
    workflow_arguments = requests_module.workflow_arguments
    _merged_parameters = requests_module._merged_parameters
    _parameter = requests_module._parameter
    _url = requests_module._url
    _body_argument = requests_module._body_argument
    _need_members = requests_module._need_members
    reads_request_body = requests_module.reads_request_body
    _replacements = requests_module._replacements

    # criteria.py
    criteria = criteria_module.criteria
    failed_criterion_args = criteria_module.failed_criterion_args
    criterion = criteria_module.criterion
    _context = criteria_module._context
    _jsonpath = criteria_module._jsonpath
    _xpath = criteria_module._xpath
    boolean = criteria_module.boolean
    operand = criteria_module.operand
