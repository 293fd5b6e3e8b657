"""The inputs of a workflow: its arguments, from the inputs schema (or from ``$inputs.x``
when it has none)."""

from __future__ import annotations

import functools
import keyword
from typing import TYPE_CHECKING, Any

from .. import expressions as ex
from ..diagnostics import JsonPath
from ..inputs import compile_schema
from ..load import document_order
from ..model.inputs import follow as follow_input_ref
from ..model.references import workflow_references
from ..plan import InputParam
from ..pycode import RESERVED_NAMES, py_literal, snake_case
from ..resolve import SchemaLoc
from ..schemas import ANY, wire_type
from .common import _SECRET_INPUT

if TYPE_CHECKING:
    from .workflow import WorkflowAnalyzer


def _inputs(self: WorkflowAnalyzer) -> list[InputParam]:
    schema = self.workflow.get("inputs")
    at = self.path + ("inputs",)
    if schema is None:
        return self._undeclared_inputs()
    schema, at = self._deref_input_schema(schema, at)
    if not isinstance(schema, dict):
        return []
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    params: list[InputParam] = []
    for original, prop in properties.items():
        prop_at = at + ("properties", original)
        prop, prop_at = self._deref_input_schema(prop, prop_at)
        loc = SchemaLoc(self.doc.arazzo, prop_at, prop)
        py_type = wire_type(self.p.inferrer.type_of(loc)) if isinstance(prop, dict) else ANY
        wanted = snake_case(original, fallback="input")
        py_name = self.names.claim(wanted)
        self._warn_renamed_input(original, wanted, py_name, prop_at)
        default: str | None = None
        mutable_default: str | None = None
        if isinstance(prop, dict) and isinstance(prop.get("default"), (dict, list)):
            mutable_default = py_literal(prop["default"])
            self.mutable_defaults[py_name] = prop["default"]
            default = "None"
        elif isinstance(prop, dict) and "default" in prop:
            default = py_literal(prop["default"])
        elif original not in required:
            py_type = py_type.or_none()
            default = "None"
        if default is None:
            self.required_inputs.add(original)
        description = str(prop.get("description", "")) if isinstance(prop, dict) else ""
        secret = bool(_SECRET_INPUT.search(original)) or (isinstance(prop, dict) and prop.get("format") == "password")
        type_text = py_type.or_none().text if mutable_default is not None else py_type.text
        param = InputParam(py_name, original, type_text, default, description, secret, mutable_default)
        hint = "write it in the ECMA-262 subset Python's re also reads"
        checks = compile_schema(prop, functools.partial(self.warn, prop_at, hint=hint))
        if checks:
            self.input_checks.append((param, {**checks, "optional": True} if default == "None" else checks))
        self.inputs[original] = param
        self.input_types[original] = py_type
        params.append(param)
        if secret:
            self.secret_names.append(py_name)
    return sorted(params, key=lambda p: p.default is not None)


def _undeclared_inputs(self: WorkflowAnalyzer) -> list[InputParam]:
    """A workflow with no inputs schema at all whose expressions read ``$inputs.x``
    (real documents do): each such name becomes a required argument typed Any,
    with a warning naming the declaration.  (With an inputs schema that lacks the
    name, ``$inputs.x`` stays an error: the schema says what the inputs are.)"""
    params: list[InputParam] = []
    data = self.doc.arazzo.data
    read = sorted(workflow_references(self.model()), key=lambda found: document_order(data, found[0]))
    for here, expr in read:
        if not isinstance(expr, ex.Input):
            continue
        original = expr.name.split(".")[0]  # $inputs.a.b: a dot-path into input a (see references._input)
        if original in self.inputs:
            continue
        wanted = snake_case(original, fallback="input")
        py_name = self.names.claim(wanted)
        self._warn_renamed_input(original, wanted, py_name, here)
        secret = bool(_SECRET_INPUT.search(original))
        param = InputParam(py_name, original, "Any", None, "", secret)
        self.inputs[original] = param
        self.input_types[original] = ANY
        self.required_inputs.add(original)
        params.append(param)
        if secret:
            self.secret_names.append(py_name)
        declared = f"inputs: {{type: object, properties: {{{original}: {{type: string}}}}, required: [{original}]}}"
        self.warn(
            here,
            f"workflow {self.workflow_id!r} has no inputs schema: $inputs.{original} becomes the required argument {py_name}, typed Any",
            f"declare it in the workflow's inputs, e.g. {declared}",
        )
    return params


def _warn_renamed_input(self: WorkflowAnalyzer, original: str, wanted: str, py_name: str, at: JsonPath) -> None:
    """Warn when input ``original`` does not become the argument its snake_case name would be."""
    natural = (
        wanted[:-1]
        if wanted.endswith("_") and (keyword.iskeyword(wanted[:-1]) or keyword.issoftkeyword(wanted[:-1]))
        else wanted
    )
    if py_name == natural:
        return
    if natural != wanted:
        why = f"{natural} is a Python keyword"
    elif natural in RESERVED_NAMES:
        why = f"{natural} is an option of the function or a name the module imports"
    else:
        why = f"{natural} is taken by another input"
    self.warn(
        at,
        f"input {original!r} is generated as argument {py_name}, since {why}",
        f"rename the input, or pass it as {py_name}=...",
    )


def _deref_input_schema(self: WorkflowAnalyzer, schema: Any, at: JsonPath) -> tuple[Any, JsonPath]:
    """``schema`` with its ``$ref`` chain followed (generator.model.inputs, as normalize does)."""
    schema, at, problem = follow_input_ref(self.doc.arazzo.data, schema, at)
    if problem is not None:
        self.error(problem.at, problem.message, problem.hint)
    return schema, at
