"""Requests typed at compile time: every request payload, parameter value and payload
replacement value of an operation step is checked against the operation's request
schema (or the parameter's schema) before any code is generated.

* an object written in the document has every member its schema requires (a
  ``readOnly`` member is not required of a request; a replacement may set it);
* a member the schema does not declare is an error where the schema refuses other
  members (``additionalProperties: false``, as the generated model does), and a
  warning, with the declared name it is close to, where other members are allowed;
* a literal value fits the type and the ``enum``/``const`` of its field;
* a workflow input fits the field it flows into, by the type its inputs schema
  declares: an error where no value of that type fits (an integer for an object), a
  warning where some may not (any string for an enum);
* a template (``"id {$inputs.id}"``) makes a string.

Parameters, form fields and multipart fields go on the wire as text, so their values
are compared as text ("42" is an integer parameter).  ``allOf`` parts all apply; a
value must fit one of the schemas of a ``oneOf``/``anyOf``; what cannot be known at
generation time (step outputs, response values, an unread reference, ``not``...)
is never reported: the checks are sure or silent.  Each value is checked once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import expressions as ex
from .diagnostics import JsonPath, Report, Severity
from .load import pointer_tokens
from .request_fit import (
    article,
    close_name,
    equal,
    json_problem,
    kind_fits,
    meet,
    schema_name,
    schema_place,
    text_problem,
)
from .request_schema import (
    SchemaReader,
    describe_kinds,
    kind_of,
    same_value,
    show_value,
    show_values,
)
from .resolve import BoundStep, Operation, Resolved, SchemaLoc

#: Deepest nesting of a payload that is checked (the loader allows deeper ones).
MAX_VALUE_DEPTH = 48
_LOCATIONS = ("path", "query", "header", "cookie")


#: What generation time cannot know of a value (a step output, a response value...).
UNKNOWN = object()


@dataclass(frozen=True)
class Finding:
    severity: Severity
    at: JsonPath
    subject: str
    problem: str
    hint: str | None

    @property
    def message(self) -> str:
        return f"{self.subject}: {self.problem}"


@dataclass(frozen=True)
class Shape:
    """What generation time knows of a value that is not written out: its JSON types
    and, when it is an enum, its values."""

    what: str  # "input 'x'", "the template '...'"
    kinds: frozenset[str]
    values: tuple[Any, ...] | None = None
    template: str | None = None  # the template's text
    fixed_text: bool = False  # the template has text of its own around its expressions


@dataclass(frozen=True)
class Target:
    """Where a value goes: the subject of the messages, and whether it is sent as text."""

    operation: str
    part: str  # "" for the request body, else "parameter 'limit' (query)"
    text: bool

    def subject(self, pointer: tuple[str, ...], replacement: bool = False) -> str:
        if self.part:
            return f"{self.part} of {self.operation}"
        if not pointer:
            return f"the request body of {self.operation}"
        member = "/".join(pointer)
        return f"request body member '{member}' of {self.operation}" + (
            " (set by a replacement)" if replacement else ""
        )


@dataclass
class _Workflow:
    """The context of one step's values: its document and its workflow's inputs."""

    inputs: dict[str, SchemaLoc]
    v11: bool
    sink: list[Finding] = field(default_factory=list)


def check_requests(resolved: Resolved, report: Report) -> None:
    """Check the requests of every operation step of every document (root first)."""
    reader = SchemaReader(resolved.loader)
    for doc in resolved.documents or [resolved]:
        workflows = doc.arazzo.data.get("workflows") if isinstance(doc.arazzo.data, dict) else None
        if not isinstance(workflows, list):
            continue
        contexts: dict[int, _Workflow] = {}
        for (w_index, _), bound in sorted(doc.steps.items()):
            if bound.operation is None or not isinstance(bound.step, dict) or not 0 <= w_index < len(workflows):
                continue
            workflow = workflows[w_index]
            if not isinstance(workflow, dict):
                continue
            if w_index not in contexts:
                contexts[w_index] = _Workflow(_inputs(reader, doc, workflow, ("workflows", w_index)), _is_1_1(doc))
            checker = RequestChecker(reader, doc, contexts[w_index])
            checker.step(bound, bound.operation, workflow, ("workflows", w_index))
        for context in contexts.values():
            for finding in context.sink:
                report.add(doc.arazzo.diagnostic(finding.at, finding.message, finding.hint, severity=finding.severity))
            context.sink.clear()


def _is_1_1(doc: Resolved) -> bool:
    data = doc.arazzo.data
    return isinstance(data, dict) and str(data.get("arazzo", "")).startswith("1.1")


def _inputs(reader: SchemaReader, doc: Resolved, workflow: dict[str, Any], at: JsonPath) -> dict[str, SchemaLoc]:
    """Each declared input's schema (in the Arazzo document), by name."""
    schema = workflow.get("inputs")
    if not isinstance(schema, dict):
        return {}
    parts = reader.parts(SchemaLoc(doc.arazzo, at + ("inputs",), schema))
    if parts is None:
        return {}
    return {name: subs[0] for name, subs in reader.object_view(parts).properties.items() if len(subs) == 1}


class RequestChecker:
    """Checks the values of one step's request."""

    def __init__(self, reader: SchemaReader, doc: Resolved, workflow: _Workflow) -> None:
        self.reader = reader
        self.doc = doc
        self.workflow = workflow

    # -- the step's parameters and body ----------------------------------------------

    def step(self, bound: BoundStep, op: Operation, workflow: dict[str, Any], w_at: JsonPath) -> None:
        start = len(self.workflow.sink)
        self._requests(bound, op, workflow, w_at)
        if _expects_client_error(bound.step):
            # A step that succeeds on a 4xx response tests the server's validation: its
            # request may break the schema on purpose.
            self.workflow.sink[start:] = [
                Finding(
                    Severity.WARNING,
                    f.at,
                    f.subject,
                    f.problem,
                    (f.hint + "; " if f.hint else "") + "a warning only: the step expects a 4xx response",
                )
                for f in self.workflow.sink[start:]
            ]

    def _requests(self, bound: BoundStep, op: Operation, workflow: dict[str, Any], w_at: JsonPath) -> None:
        step, at = bound.step, bound.json_path
        merged: dict[tuple[str, str], tuple[Any, JsonPath]] = {}
        for items, base in (
            (workflow.get("parameters"), w_at + ("parameters",)),
            (step.get("parameters"), at + ("parameters",)),
        ):
            for index, item in enumerate(items if isinstance(items, list) else []):
                found = self._parameter(item, base + (index,))
                if found is not None:
                    name, location, raw, v_at = found
                    key = (name.lower() if location == "header" else name, location)
                    merged.pop(key, None)
                    merged[key] = (raw, v_at)
        for (name, location), (raw, v_at) in merged.items():
            spec = next(
                (
                    s
                    for (n, loc), s in op.parameters.items()
                    if loc == location and (n == name or (loc == "header" and n.lower() == name))
                ),
                None,
            )
            if spec is None or spec.schema is None:
                continue
            target = Target(op.display_name, f"parameter '{spec.name}' ({location})", text=True)
            self.value(raw, spec.schema, v_at, (), target, 0)
        body = step.get("requestBody")
        if isinstance(body, dict) and "payload" in body:
            self._body(op, body, at + ("requestBody",))

    def _parameter(self, item: Any, at: JsonPath) -> tuple[str, str, Any, JsonPath] | None:
        if not isinstance(item, dict):
            return None
        if "reference" in item:
            ref = item["reference"]
            prefix = "$components.parameters."
            components = self.doc.arazzo.data.get("components") if isinstance(self.doc.arazzo.data, dict) else None
            params = components.get("parameters") if isinstance(components, dict) else None
            if not isinstance(ref, str) or not ref.startswith(prefix) or not isinstance(params, dict):
                return None
            name = ref[len(prefix) :]
            target = params.get(name)
            if not isinstance(target, dict) or "value" not in item and "value" not in target:
                return None
            if "value" in item:
                return str(target.get("name")), str(target.get("in")), item["value"], at + ("value",)
            return (
                str(target.get("name")),
                str(target.get("in")),
                target["value"],
                ("components", "parameters", name, "value"),
            )
        if "value" not in item or item.get("in") not in _LOCATIONS:
            return None
        return str(item.get("name")), str(item["in"]), item["value"], at + ("value",)

    def _body(self, op: Operation, body: dict[str, Any], at: JsonPath) -> None:
        content_type = body.get("contentType")
        content_type = str(
            content_type if content_type is not None else next(iter(op.request_content), "application/json")
        )
        base = content_type.split(";")[0].strip().lower()
        schema = op.request_content.get(content_type)
        if schema is None:
            schema = next(
                (loc for ct, loc in op.request_content.items() if ct.split(";")[0].strip().lower() == base), None
            )
        is_json = base == "application/json" or base.endswith("+json")
        is_form = base in ("application/x-www-form-urlencoded", "multipart/form-data")
        if schema is None or not (is_json or is_form):
            return
        target = Target(op.display_name, "", text=is_form)
        replacements: list[tuple[tuple[str, ...], Any, JsonPath]] = []
        items = body.get("replacements")
        for index, item in enumerate(items if isinstance(items, list) else []):
            tokens = self._pointer_target(item)
            if tokens is not None:
                replacements.append((tokens, item["value"], at + ("replacements", index, "value")))
        payload = body["payload"]
        if isinstance(payload, (dict, list)) or (isinstance(payload, str) and isinstance(_parse(payload), ex.Input)):
            # a string payload that is not one expression is the body's text, as written
            self.value(payload, schema, at + ("payload",), (), target, 0, frozenset(t for t, _, _ in replacements))
        for tokens, raw, r_at in replacements:
            for sub in self.reader.at_pointer(schema, tokens) or []:
                self.value(raw, sub, r_at, tokens, target, 0, replacement=True)

    def _pointer_target(self, item: Any) -> tuple[str, ...] | None:
        """The tokens of a replacement that targets a JSON pointer (not JSONPath or XPath)."""
        if not isinstance(item, dict) or not isinstance(item.get("target"), str) or "value" not in item:
            return None
        if self.workflow.v11 and item.get("targetSelectorType", "jsonpointer") != "jsonpointer":
            return None
        tokens = pointer_tokens(item["target"])
        return tuple(str(t) for t in tokens) if tokens else None

    # -- one value against one schema -------------------------------------------------

    def value(
        self,
        raw: Any,
        loc: SchemaLoc,
        at: JsonPath,
        pointer: tuple[str, ...],
        target: Target,
        depth: int,
        provided: frozenset[tuple[str, ...]] = frozenset(),
        replacement: bool = False,
    ) -> None:
        if depth > MAX_VALUE_DEPTH:
            return
        shape = self._shape(raw)
        if shape is UNKNOWN:
            return
        parts = self.reader.parts(loc)
        if parts is None:
            return
        subject = target.subject(pointer, replacement)
        for part in parts:
            alternatives = self.reader.alternatives(part)
            if alternatives is not None:
                self._alternatives(raw, alternatives, at, pointer, target, depth, provided, subject)
        kinds: frozenset[str] | None = None
        for part in parts:
            kinds = meet(kinds, self.reader.kinds(part))
        enums = [values for values in (self.reader.allowed(p) for p in parts) if values is not None]
        if isinstance(shape, Shape):
            self._shape_fits(shape, kinds, enums, at, subject, target.text)
            return
        if isinstance(raw, (dict, list)):
            kind = kind_of(raw)
            if kinds is not None and kind not in kinds:
                self._find(
                    Severity.ERROR,
                    at,
                    subject,
                    f"{article(kind)} is written, but the schema takes {describe_kinds(kinds)}",
                    schema_place(parts[0]),
                )
                return
            if isinstance(raw, dict):
                self._object(raw, parts, at, pointer, target, depth, provided)
            else:
                for part in parts:
                    items = part.value.get("items") if isinstance(part.value, dict) else None
                    if isinstance(items, dict):
                        for index, item in enumerate(raw):
                            self.value(
                                item,
                                SchemaLoc(part.file, part.path + ("items",), items),
                                at + (index,),
                                pointer + (str(index),),
                                target,
                                depth + 1,
                            )
            return
        if kind_of(raw) is None:
            return  # not a JSON value (a YAML date, say): how it is sent is the analysis's business
        problem = text_problem(raw, kinds, enums) if target.text else json_problem(raw, kinds, enums)
        if problem is not None:
            severity, text, hint = problem
            self._find(severity, at, subject, text, hint or schema_place(parts[0]))

    def _object(
        self,
        raw: dict[Any, Any],
        parts: list[SchemaLoc],
        at: JsonPath,
        pointer: tuple[str, ...],
        target: Target,
        depth: int,
        provided: frozenset[tuple[str, ...]],
    ) -> None:
        view = self.reader.object_view(parts)
        written = [str(k) for k in raw]
        set_later = {p[-1] for p in provided if len(p) == len(pointer) + 1 and p[:-1] == pointer}
        missing = sorted(view.required - set(written) - view.read_only - set_later)
        unknown = [k for k in written if k not in view.properties] if view.complete else []
        subject = target.subject(pointer)
        for name in missing:
            close = [k for k in unknown if close_name(k, [name], 0.6)]
            hint = (
                f"{close[0]!r} is written instead: rename it to {name!r}"
                if close
                else f"add {name}: <value> (the schema requires {', '.join(sorted(view.required - view.read_only))})"
            )
            self._find(Severity.ERROR, at, subject, f"missing required member {name!r}", hint)
        for name in unknown:
            declared = sorted(view.properties)
            if view.closed:
                meant = close_name(name, declared, 0.6)
                problem = f"unknown member {name!r}" + (f" (did you mean {meant!r}?)" if meant else "")
                known = ", ".join(declared[:12]) + (", ..." if len(declared) > 12 else "")
                self._find(
                    Severity.ERROR,
                    at + (name,),
                    subject,
                    problem,
                    (
                        f"the schema allows no other members (additionalProperties: false); it declares {known}"
                        if declared
                        else "the schema allows no members"
                    ),
                )
            elif not view.extra:
                meant = close_name(name, declared, 0.75)
                if meant is not None:
                    self._find(
                        Severity.WARNING,
                        at + (name,),
                        subject,
                        f"unknown member {name!r} (did you mean {meant!r}?)",
                        f"the schema allows other members, so it is sent as written; rename it to {meant!r} if that was meant",
                    )
        for key, item in raw.items():
            name = str(key)
            for sub in view.properties.get(name) or (view.extra if name not in view.properties else []):
                self.value(item, sub, at + (name,), pointer + (name,), target, depth + 1, provided)

    def _alternatives(
        self,
        raw: Any,
        alternatives: tuple[str, list[SchemaLoc]],
        at: JsonPath,
        pointer: tuple[str, ...],
        target: Target,
        depth: int,
        provided: frozenset[tuple[str, ...]],
        subject: str,
    ) -> None:
        """A value must fit one schema of a oneOf/anyOf (that it may fit two is not checked)."""
        keyword, schemas = alternatives
        failures: list[tuple[SchemaLoc, list[Finding]]] = []
        saved = self.workflow.sink
        try:
            for schema in schemas:
                self.workflow.sink = []
                self.value(raw, schema, at, pointer, target, depth + 1, provided)
                errors = [f for f in self.workflow.sink if f.severity is Severity.ERROR]
                if not errors:
                    return
                failures.append((schema, errors))
        finally:
            self.workflow.sink = saved
        if len(failures) == 1:
            saved.extend(failures[0][1])
            return
        reasons = "; ".join(f"{schema_name(s, keyword)}: {errors[0].problem}" for s, errors in failures[:3])
        more = f"; ... ({len(failures) - 3} more)" if len(failures) > 3 else ""
        self._find(
            Severity.ERROR, at, subject, f"fits none of the {len(schemas)} schemas of its {keyword}", reasons + more
        )

    # -- what a value is ----------------------------------------------------------------

    def _shape(self, raw: Any) -> Any:
        """The literal itself, a Shape (an input, a template), or UNKNOWN."""
        if isinstance(raw, dict):
            if self.workflow.v11 and "selector" in raw:
                return UNKNOWN  # a Selector Object (Arazzo 1.1): its value is read at run time
            return raw
        if not isinstance(raw, str):
            return raw
        if self.workflow.v11 and "$self" in raw:
            return UNKNOWN
        parsed = _parse(raw)
        if parsed is None:
            return UNKNOWN
        if isinstance(parsed, str):
            # text that starts like an expression may be read as one by a quirk ($dependencies...)
            return UNKNOWN if parsed.lstrip().startswith("$") else parsed
        if isinstance(parsed, ex.Template):
            fixed = any(isinstance(p, str) for p in parsed.parts)
            return Shape(f"the template {raw!r}", frozenset({"string"}), template=raw, fixed_text=fixed)
        if isinstance(parsed, ex.Input):
            return self._input(parsed) or UNKNOWN
        return UNKNOWN

    def _input(self, node: ex.Input) -> Shape | None:
        name, pointer = node.name, tuple(node.pointer or ())
        if name not in self.workflow.inputs and "." in name:
            name, *rest = name.split(".")
            pointer = tuple(rest) + pointer
        loc = self.workflow.inputs.get(name)
        if loc is None:
            return None  # unknown inputs are reported by the analysis
        found = self.reader.at_pointer(loc, pointer) if pointer else [loc]
        if not found or len(found) != 1:
            return None
        parts = self.reader.parts(found[0])
        if parts is None or any(self.reader.alternatives(p) for p in parts):
            return None
        kinds: frozenset[str] | None = None
        values: list[Any] | None = None
        for part in parts:
            kinds = meet(kinds, self.reader.kinds(part))
            allowed = self.reader.allowed(part)
            if allowed is not None:
                values = allowed if values is None else [v for v in values if any(same_value(v, a) for a in allowed)]
        if values is not None:
            values = [v for v in values if v is not None]
            kinds = frozenset(k for k in (kind_of(v) for v in values) if k is not None) & (
                kinds or frozenset({"object", "array", "string", "integer", "number", "boolean"})
            )
        if kinds is None:
            return None
        kinds = kinds - {"null"}  # an optional input left out is not sent
        if not kinds:
            return None
        shown = "$inputs." + name + ("#/" + "/".join(pointer) if pointer else "")
        return Shape(f"input {shown!r}", kinds, tuple(values) if values is not None else None)

    def _shape_fits(
        self, shape: Shape, kinds: frozenset[str] | None, enums: list[list[Any]], at: JsonPath, subject: str, text: bool
    ) -> None:
        if shape.template is not None:
            if text or kinds is None or "string" in kinds:
                return
            if shape.fixed_text:
                self._find(
                    Severity.ERROR,
                    at,
                    subject,
                    f"{shape.what} makes a string, but the schema takes {describe_kinds(kinds)}",
                    "a template always makes text; send the value by a runtime expression alone",
                )
            else:
                plain = shape.template.strip()[1:-1]
                self._find(
                    Severity.WARNING,
                    at,
                    subject,
                    f"{shape.what} makes a string, but the schema takes {describe_kinds(kinds)}",
                    f"write {plain!r} (without braces) to send the value with its own type",
                )
            return
        if kinds is not None:
            verdicts = {k: kind_fits(k, kinds, text) for k in shape.kinds}
            declared = f"{shape.what} is declared as {describe_kinds(shape.kinds)}"
            hint = f"declare the input with the field's type ({describe_kinds(kinds)}) in the workflow's inputs schema"
            if all(v == "no" for v in verdicts.values()):
                self._find(
                    Severity.ERROR, at, subject, f"{declared}, but the schema takes {describe_kinds(kinds)}", hint
                )
                return
            if any(v != "ok" for v in verdicts.values()):
                self._find(
                    Severity.WARNING, at, subject, f"{declared}, which may not fit {describe_kinds(kinds)}", hint
                )
                return
        for allowed in enums:
            if shape.values is None:
                if any(kind_of(v) in shape.kinds for v in allowed):
                    self._find(
                        Severity.WARNING,
                        at,
                        subject,
                        f"{shape.what} may be any {' or '.join(sorted(shape.kinds))}, but the schema takes one of {show_values(allowed)}",
                        f"declare enum: [{', '.join(show_value(v) for v in allowed[:10])}] on the input",
                    )
                continue
            fits = [any(equal(v, a, text) for a in allowed) for v in shape.values]
            if not any(fits):
                self._find(
                    Severity.ERROR,
                    at,
                    subject,
                    f"none of the values of {shape.what} ({show_values(list(shape.values))}) is allowed: the schema takes one of {show_values(allowed)}",
                    "make the input's enum a subset of the field's",
                )
            elif not all(fits):
                outside = [v for v, ok in zip(shape.values, fits) if not ok]
                self._find(
                    Severity.WARNING,
                    at,
                    subject,
                    f"{shape.what} may be {show_values(outside)}, which the schema does not allow (it takes one of {show_values(allowed)})",
                    "make the input's enum a subset of the field's",
                )

    def _find(self, severity: Severity, at: JsonPath, subject: str, problem: str, hint: str | None) -> None:
        finding = Finding(severity, at, subject, problem, hint)
        if finding not in self.workflow.sink:
            self.workflow.sink.append(finding)


_CLIENT_ERROR = re.compile(r"\$statusCode\s*(==|>=|>)\s*4\d\d\b|\b4\d\d\s*(==|<=|<)\s*\$statusCode")


def _expects_client_error(step: dict[str, Any]) -> bool:
    """True when a success criterion of the step reads a 4xx status as success."""
    criteria = step.get("successCriteria")
    return any(
        isinstance(c, dict) and isinstance(c.get("condition"), str) and _CLIENT_ERROR.search(c["condition"]) is not None
        for c in (criteria if isinstance(criteria, list) else [])
    )


def _parse(raw: str) -> Any:
    try:
        return ex.parse_value(raw)
    except ex.ExpressionError:
        return None
