"""Requests: a step's parameters, URL, body and headers, and the send call."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import expressions as ex
from .. import v11_querystring, v11_selectors
from ..diagnostics import JsonPath, did_you_mean
from ..ir import nodes as n
from ..model.document import WorkflowTarget
from ..model.normalize import document_model, merge_parameters, no_in_problem
from ..model.references import action_item_expressions, criteria_expressions, output_expressions, status_equalities
from ..model.values import raw_of
from ..resolve import Operation, SchemaLoc
from .common import (
    _CRITERIA_RETRY_STATUSES,
    _TRANSPORT_RETRY_STATUSES,
    _pointer_text,
    _required_names,
    idempotency_header,
)

if TYPE_CHECKING:
    from .context import ExprContext
    from .workflow import WorkflowAnalyzer


def request_lines(self: ExprContext, op: Operation, step: dict[str, Any], at: JsonPath) -> list[n.Stmt]:
    """The statements that send the step's request and bind ``response``."""
    assert self.info is not None
    lines: list[n.Stmt] = []
    by_location: dict[str, list[tuple[str, n.Expr]]] = {"path": [], "query": [], "header": [], "cookie": []}
    path_at: dict[str, JsonPath] = {}
    path_nodes: dict[str, n.Expr] = {}
    query_string: list[tuple[str, n.Expr, JsonPath]] = []  # in: querystring (Arazzo 1.1, OpenAPI 3.2)
    for (name, location), (raw, p_at) in self._merged_parameters(step, at, for_workflow=False).items():
        spec = next(
            (
                s
                for (pn, loc), s in op.parameters.items()
                if loc == location and (pn == name or (loc == "header" and pn.lower() == name.lower()))
            ),
            None,
        )
        if location == "path" or (spec is not None and spec.required):
            self.needs[p_at] = (
                f"path parameter {name!r}" if location == "path" else f"the required {location} parameter {name!r}"
            )
        source, py_type = self.value_node(raw, p_at)
        if location == "path":
            path_nodes[name] = source
            self.path_values[name] = source
            path_at[name] = p_at[:-1] + ("name",) if p_at[-1:] == ("value",) else p_at
        elif location == "header" and py_type.text != "str":
            source = n.runtime("text", source)
        if location in by_location:
            by_location[location].append((name, source))
        elif location == "querystring":
            query_string.append((name, source, p_at))
        else:
            self.error(
                p_at[:-1] + ("in",),
                f"parameter location {location!r} is not path, query, header or cookie",
                "write in: path, query, header or cookie (a request body goes in requestBody)",
            )
    auth = self.wf.auth_for(self.info, self)
    lines += auth.prelude
    url: n.Expr = self._url(op, path_nodes, at, path_at)
    if query_string:
        url = v11_querystring.with_query_string(self, op, url, query_string, by_location["query"])
    headers = by_location["header"] + auth.headers
    explicit = {hn.lower() for hn, _ in headers}
    query = by_location["query"] + auth.query
    cookies = by_location["cookie"] + auth.cookies
    body_lines, body_arg, content_type = self._body_argument(op, step, at)
    lines += body_lines
    if content_type and "content-type" not in explicit:
        headers.append(("Content-Type", content_type))
    if cookies and "cookie" not in explicit:
        headers.append(("Cookie", n.runtime("cookies", n.Dict(tuple((n.Const(cn), v) for cn, v in cookies)))))
    key_header = idempotency_header(op, self.wf.p.options.idempotency_header)
    keyed = key_header is not None and key_header.lower() not in explicit
    if key_header is not None and keyed:
        headers.append((key_header, n.call("_keys.key", n.Const(self.info.step_id))))
    kwargs: list[tuple[str, n.Expr]] = []
    if query:
        kwargs.append(("params", n.Dict(tuple((n.Const(name), v) for name, v in query))))
    if headers:
        kwargs.append(("headers", n.Dict(tuple((n.Const(name), v) for name, v in headers))))
    if body_arg:
        kwargs.append(body_arg)
    documented = self._documented_statuses(op)
    if documented:
        kwargs.append(("documented", n.Tuple(tuple(n.Const(int(status)) for status in documented))))
    if keyed:
        kwargs.append(("idempotent", n.TRUE))
    args = (n.Const(self.info.step_id), n.Const(op.method), url)
    send = n.Call(n.dotted("_run.send"), args, tuple(kwargs), n.dotted("_run.send"))
    lines.append(n.Assign("_response", send))
    return lines


def _documented_statuses(self: ExprContext, op: Operation) -> list[str]:
    """502/503/504 (and 429) when the description or the step gives them a meaning: the
    step's own actions, not transport retries, then decide what they mean."""
    assert self.info is not None
    statuses = set(op.responses) & _TRANSPORT_RETRY_STATUSES
    step = self.wf.model_step(self.info)
    for criterion in step.success_criteria + tuple(c for a in step.failure_actions for c in a.criteria):
        statuses.update(s for s in status_equalities(criterion) if s in _CRITERIA_RETRY_STATUSES)
    if any(a.kind == "retry" for a in self.info.failure_actions):
        statuses.add("429")  # a step with retry actions decides about rate limits itself
    return sorted(statuses)


def workflow_arguments(
    self: ExprContext, callee: WorkflowAnalyzer, step: dict[str, Any], at: JsonPath
) -> list[tuple[str, n.Expr]]:
    """Parameters of a step that calls a workflow: they map to the callee's inputs."""
    arguments: list[tuple[str, n.Expr]] = []
    for (name, _), (raw, p_at) in self._merged_parameters(step, at, for_workflow=True).items():
        if name not in callee.inputs:
            if p_at[: len(at)] == at:
                self.error(
                    p_at[:-1] + ("name",),
                    f"workflow {callee.workflow_id!r} has no input {name!r}",
                    did_you_mean(name, callee.inputs) or "parameters of a step that calls a workflow map to its inputs",
                )
            continue
        source, py_type = self.value_node(raw, p_at)
        arguments.append((name, self.wf.argument(callee, name, source, py_type, p_at)))
    given = {name for name, _ in arguments}
    for original in sorted(callee.required_inputs - given):
        self.error(
            at,
            f"step {step.get('stepId')!r} calls workflow {callee.workflow_id!r} without its required input {original!r}",
            f"add a parameter: {{name: {original}, value: ...}}",
        )
    return arguments


def _merged_parameters(
    self: ExprContext, step: dict[str, Any], at: JsonPath, *, for_workflow: bool
) -> dict[tuple[str, str], tuple[Any, JsonPath]]:
    """The parameters the step at ``at`` runs with, as normalize merged them (the
    workflow's, then the step's; reusable ones resolved): (name, in or "input") ->
    (raw value, where it is)."""
    model = document_model(self.doc)
    workflow, found = model.workflow_at(int(at[1])), model.step_at(int(at[1]), int(at[3]))
    assert workflow is not None and found is not None, at
    if for_workflow == isinstance(found.target, WorkflowTarget):
        parameters, problems = found.parameters, found.parameter_problems
    else:
        parameters, problems = merge_parameters(
            workflow.parameter_items + found.parameter_items, for_workflow=for_workflow
        )
    for problem in problems:
        self.error(problem.at, problem.message, problem.hint)
    return {
        (p.name, "input" if for_workflow else str(p.location)): (
            None if p.value is None else raw_of(p.value),
            p.value_at,
        )
        for p in parameters
    }


def _parameter(self: ExprContext, item: Any, at: JsonPath, for_workflow: bool) -> tuple[str, str, Any, JsonPath] | None:
    """The parameters-list item at ``at`` (name, in, raw value, where the value is), as
    normalize read it; None, reported, when it cannot be used."""
    found = document_model(self.doc).parameter_item(at)
    assert found is not None, at
    if found.problem is not None:
        self.error(found.problem.at, found.problem.message, found.problem.hint)
    parameter = found.parameter
    if parameter is None:
        return None
    if parameter.location is None and not for_workflow:
        problem = no_in_problem(parameter)
        self.error(problem.at, problem.message, problem.hint)
        return None
    value = None if parameter.value is None else raw_of(parameter.value)
    return parameter.name, str(parameter.location), value, parameter.value_at


def _url(
    self: ExprContext, op: Operation, path_values: dict[str, n.Expr], at: JsonPath, path_at: dict[str, JsonPath]
) -> n.Expr:
    """The request URL: the source's base URL, the path's text and its parameters (an f-string)."""
    parts = re.split(r"(\{[^{}]+\})", op.path)
    pieces: list[str | n.Expr] = [n.Subscript(n.Name("_base"), n.Const(op.source.key))]
    self.wf.server_keys.add(op.source.key)
    for part in parts:
        if not (part.startswith("{") and part.endswith("}")):
            pieces.append(part)
            continue
        name = part[1:-1]
        if name not in path_values:
            self.error(
                at,
                f"no value for the required path parameter {name!r} of {op.display_name} ({op.method} {op.path})",
                f"add a parameter: {{name: {name}, in: path, value: ...}}",
            )
            pieces.append(part)
        else:
            step = self.info.step_id if self.info else ""
            pieces.append(n.runtime("path_param", path_values[name], n.Const(step), n.Const(name)))
    for name in path_values:
        if "{" + name + "}" not in op.path:
            self.error(
                path_at.get(name, at),
                f"path parameter {name!r} does not appear in the path {op.path!r}",
                did_you_mean(name, re.findall(r"\{([^{}]+)\}", op.path))
                or f"the path has no {{{name}}}: remove the parameter, or set 'in' to where the operation takes it (query, header or cookie)",
            )
    merged: list[str | n.Expr] = []
    for piece in pieces:  # a placeholder without a value stays as text, with the text around it
        if merged and isinstance(piece, str) and isinstance(merged[-1], str):
            merged[-1] += piece
        elif piece != "":
            merged.append(piece)
    return n.Concat(tuple(merged))


def _body_argument(
    self: ExprContext, op: Operation, step: dict[str, Any], at: JsonPath
) -> tuple[list[n.Stmt], tuple[str, n.Expr] | None, n.Expr | None]:
    """(lines before the request, the body keyword argument, the Content-Type value)."""
    request_body = step.get("requestBody")
    if not isinstance(request_body, dict) or "payload" not in request_body:
        if isinstance(request_body, dict) and request_body.get("replacements"):
            self.error(at + ("requestBody",), "payload replacements need a payload", "add requestBody.payload")
        return [], None, None
    b_at = at + ("requestBody",)
    if op.method in ("GET", "HEAD", "DELETE"):
        self.warn(
            b_at,
            f"a request body on {op.method} has no defined meaning (RFC 9110); the Arazzo specification says to avoid it",
            "send the data as parameters, or use an operation that takes a body",
        )
    content_type = request_body.get("contentType")
    if content_type is None:
        content_type = next(iter(op.request_content), "application/json")
    content_type = str(content_type)
    base = content_type.split(";")[0].strip().lower()
    payload = request_body["payload"]
    is_json = base == "application/json" or base.endswith("+json")
    is_xml = base in ("application/xml", "text/xml") or base.endswith("+xml")
    parsed: Any = None
    if isinstance(payload, str):
        try:
            parsed = ex.parse_value(payload)
        except ex.ExpressionError:
            parsed = None
    whole_expression = isinstance(payload, str) and parsed is not None and not isinstance(parsed, (str, ex.Template))
    schema = op.request_content.get(content_type) or next(
        (loc for ct, loc in op.request_content.items() if ct.split(";")[0].strip().lower() == base), None
    )
    self._need_members(payload, schema, (), b_at + ("payload",))
    source, _ = self.value_node(payload, b_at + ("payload",))
    replacements = self._replacements(request_body, b_at, xml=is_xml)
    lines: list[n.Stmt] = []
    var_needed = self.reads_request_body() or bool(replacements)
    if replacements:
        if is_xml:
            self.p.runtime_parts.add("xpath")
            source = n.runtime("xml_replace", source, _pairs(replacements, n.Const))
        elif any(t.startswith("$") for t, _ in replacements):
            source = n.runtime("replace_selected", source, _pairs(replacements, v11_selectors.target_source))
        else:
            self.p.runtime_parts.add("payload")
            source = n.runtime("replace_pointer", source, _pairs(replacements, n.Const))
    if base == "multipart/form-data":
        if not isinstance(payload, dict) and not whole_expression:
            self.error(
                b_at + ("payload",),
                "a multipart/form-data payload must be an object of fields",
                "write the payload as a mapping of field names to values",
            )
        var = self.info.payload_name if self.info else "_payload"
        self.p.runtime_parts.add("payload")
        lines.append(n.Assign(var, n.runtime("multipart", source)))
        self.payload_var = f"{var}.fields"
        return lines, ("content", n.dotted(f"{var}.content")), n.dotted(f"{var}.content_type")
    if var_needed:
        var = self.info.payload_name if self.info else "_payload"
        lines.append(n.Assign(var, source))
        source = n.Name(var)
        self.payload_var = var
    if is_json:
        if isinstance(payload, (dict, list)) or whole_expression or (replacements and not isinstance(payload, str)):
            extra = None if base == "application/json" else n.Const(content_type)
            return lines, ("json", source), extra
        return lines, ("content", source), n.Const(content_type)
    if base == "application/x-www-form-urlencoded":
        if isinstance(payload, dict) or whole_expression:
            return lines, ("data", source), None
        return lines, ("content", source), n.Const(content_type)
    if isinstance(payload, (dict, list)):
        self.error(
            b_at + ("payload",),
            f"a structured payload cannot be sent as {content_type!r}",
            "use application/json, application/x-www-form-urlencoded or multipart/form-data, or write the payload as text",
        )
    return (
        lines,
        ("content", source if isinstance(payload, str) and not whole_expression else n.runtime("text", source)),
        n.Const(content_type),
    )


def _pairs(replacements: list[tuple[str, n.Expr]], target: Callable[[str], n.Expr]) -> n.List:
    """``[(target, value), ...]``: the replacements as the runtime takes them."""
    return n.List(tuple(n.Tuple((target(t), value)) for t, value in replacements))


def _need_members(
    self: ExprContext, payload: Any, schema: SchemaLoc | None, pointer: tuple[str, ...], at: JsonPath
) -> None:
    """List in ``needs`` the members of a literal payload that its schema requires."""
    if schema is None or not isinstance(payload, dict) or len(pointer) > 16:
        return
    required = _required_names(self.p.inferrer, schema, pointer)
    for key, item in payload.items():
        if str(key) in required:
            self.needs[at + (str(key),)] = f"the required body member {_pointer_text(pointer + (str(key),))!r}"
        self._need_members(item, schema, pointer + (str(key),), at + (str(key),))


def reads_request_body(self: ExprContext) -> bool:
    if self.info is None:
        return False
    step = self.wf.model_step(self.info)
    read = itertools.chain(
        criteria_expressions(step.success_criteria),
        output_expressions(step.outputs),
        action_item_expressions(step.success_items + step.failure_items),
    )
    return any(isinstance(ref, ex.RequestBody) for ref in read)


def _replacements(
    self: ExprContext, request_body: dict[str, Any], at: JsonPath, *, xml: bool
) -> list[tuple[str, n.Expr]]:
    out: list[tuple[str, n.Expr]] = []
    for index, item in enumerate(request_body.get("replacements") or []):
        r_at = at + ("replacements", index)
        if not isinstance(item, dict) or not isinstance(item.get("target"), str):
            continue
        target = item["target"]
        if v11_selectors.is_v11(self):
            chosen = v11_selectors.replacement_target(self, item, r_at, xml=xml)
            if chosen is None:
                continue
            source, _ = self.value_node(item.get("value"), r_at + ("value",))
            out.append((chosen, source))
            continue
        if xml:
            problem = ex.xpath_target_problem(target)
            if problem is not None:
                self.error(
                    r_at + ("target",),
                    f"replacement target {target!r} is not a supported XPath location path: {problem}",
                    "e.g. /order/petId or /order/@id",
                )
                continue
        elif target != "" and not target.startswith("/"):
            self.error(
                r_at + ("target",),
                f"replacement target {target!r} is not a JSON pointer",
                "JSON pointers start with '/', e.g. /petId",
            )
            continue
        source, _ = self.value_node(item.get("value"), r_at + ("value",))
        out.append((target, source))
    return out
