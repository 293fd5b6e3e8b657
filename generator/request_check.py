"""Requests typed at compile time: every request payload, parameter value and payload
replacement value of an operation step is checked against the operation's request
schema (or the parameter's schema) before any code is generated, and the payload of
an Arazzo 1.1 send step against its AsyncAPI message's payload schema.

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
value must fit one of the schemas of a ``oneOf``/``anyOf`` (a member whose value
picks alternatives, a discriminator, narrows the report to them); what cannot be
known at generation time (step outputs, response values, an unread reference,
``not``...) is never reported: the checks are sure or silent.  A step whose success
criteria expect a 4xx response tests the server's validation: its problems are
warnings.  Each value is checked once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import expressions as ex
from .asyncapi_model import EventTarget
from .diagnostics import JsonPath, Report, Severity
from .load import pointer_tokens
from .model.document import Step as ModelStep
from .model.normalize import document_model
from .model.values import raw_of
from .request_fit import (
    Finding,
    Shape,
    article,
    close_name,
    equal,
    expects_client_error,
    json_problem,
    meet,
    merged_miss,
    schema_name,
    schema_place,
    shape_problems,
    text_problem,
)
from .request_schema import (
    SchemaReader,
    describe_kinds,
    kind_of,
    same_value,
)
from .resolve import BoundStep, Operation, Resolved, SchemaLoc
from .schemas import message_schema

#: Deepest nesting of a payload that is checked (the loader allows deeper ones).
MAX_VALUE_DEPTH = 48
_LOCATIONS = ("path", "query", "header", "cookie")


#: What generation time cannot know of a value (a step output, a response value...).
UNKNOWN = object()


@dataclass(frozen=True)
class Target:
    """Where a value goes: the subject of the messages, and whether it is sent as text."""

    operation: str
    part: str  # "" for the request body, else "parameter 'limit' (query)"
    text: bool
    body: str = "request body"  # or "message payload" (a send step)

    def subject(self, pointer: tuple[str, ...], replacement: bool = False) -> str:
        if self.part:
            return f"{self.part} of {self.operation}"
        if not pointer:
            return f"the {self.body} of {self.operation}"
        member = "/".join(pointer)
        return f"{self.body} member '{member}' of {self.operation}" + (" (set by a replacement)" if replacement else "")


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
            if not isinstance(bound.step, dict) or not 0 <= w_index < len(workflows):
                continue
            send = bound.event is not None and bound.event.action == "send"
            if bound.operation is None and not send:
                continue
            workflow = workflows[w_index]
            if not isinstance(workflow, dict):
                continue
            if w_index not in contexts:
                contexts[w_index] = _Workflow(_inputs(reader, doc, workflow, ("workflows", w_index)), _is_1_1(doc))
            checker = RequestChecker(reader, doc, contexts[w_index])
            if bound.operation is not None:
                checker.step(bound, bound.operation, workflow, ("workflows", w_index))
            elif bound.event is not None:
                checker.message(bound, bound.event)
        for context in contexts.values():
            for finding in context.sink:
                report.add(doc.arazzo.diagnostic(finding.at, finding.message, finding.hint, severity=finding.severity))
            context.sink.clear()


def _is_json(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _model_step(doc: Resolved, bound: BoundStep) -> ModelStep:
    """The normalized step ``bound`` is (the pipeline normalizes every document after validate)."""
    w_index, s_index = bound.json_path[1], bound.json_path[3]
    assert isinstance(w_index, int) and isinstance(s_index, int)
    found = document_model(doc).step_at(w_index, s_index)
    assert found is not None, bound.json_path
    return found


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
        if expects_client_error(bound.step):
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
        # the parameters the step runs with: reusable ones resolved, the workflow's merged in (normalize)
        for parameter in _model_step(self.doc, bound).parameters:
            location = str(parameter.location)
            if parameter.value is None or (parameter.component is None and location not in _LOCATIONS):
                continue
            name = parameter.name
            spec = next(
                (
                    s
                    for (n, loc), s in op.parameters.items()
                    if loc == location and (n == name or (loc == "header" and n.lower() == name.lower()))
                ),
                None,
            )
            if spec is None or spec.schema is None:
                continue
            target = Target(op.display_name, f"parameter '{spec.name}' ({location})", text=True)
            self.value(raw_of(parameter.value), spec.schema, parameter.value_at, (), target, 0)
        body = step.get("requestBody")
        if isinstance(body, dict) and "payload" in body:
            self._body(op, body, at + ("requestBody",))

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
        self._payload(schema, Target(op.display_name, "", text=is_form), body, at)

    def message(self, bound: BoundStep, target: EventTarget) -> None:
        """A send step (Arazzo 1.1): its requestBody.payload is the message payload."""
        body = bound.step.get("requestBody")
        schema = message_schema(target, "payload")
        json_like = all(_is_json(m.content_type) for m in target.messages)
        if isinstance(body, dict) and "payload" in body and schema is not None and json_like:
            name = target.operation.operation_id if target.operation is not None else f"channel {target.channel.key!r}"
            self._payload(
                schema, Target(name, "", text=False, body="message payload"), body, bound.json_path + ("requestBody",)
            )

    def _payload(self, schema: SchemaLoc, target: Target, body: dict[str, Any], at: JsonPath) -> None:
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
            for level, says, advice in shape_problems(shape, kinds, enums, target.text):
                self._find(level, at, subject, says, advice)
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
            missed = next((e for e in enums if not any(equal(raw, a, target.text) for a in e)), None)
            miss = (raw, tuple(missed)) if missed is not None else None
            self._find(severity, at, subject, text, hint or schema_place(parts[0]), miss)

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
        if isinstance(raw, dict):
            # A member whose value picks an alternative (a discriminator such as provider:
            # azure) rules out the alternatives that refuse that value.
            members = {at + (str(k),) for k in raw}
            counts = Counter(f.at for _, e in failures for f in e if f.miss is not None and f.at in members)
            if counts:
                member = min(counts, key=lambda m: (-counts[m], str(m)))  # the member most alternatives refuse
                taking = [(s, e) for s, e in failures if not any(f.at == member for f in e)]
                if taking:
                    failures = taking
                else:
                    merged = merged_miss([e for _, e in failures], {member})
                    if merged is not None:
                        saved.append(merged)
                        return
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

    def _find(
        self,
        severity: Severity,
        at: JsonPath,
        subject: str,
        problem: str,
        hint: str | None,
        miss: tuple[Any, tuple[Any, ...]] | None = None,
    ) -> None:
        finding = Finding(severity, at, subject, problem, hint, miss)
        if finding not in self.workflow.sink:
            self.workflow.sink.append(finding)


def _parse(raw: str) -> Any:
    try:
        return ex.parse_value(raw)
    except ex.ExpressionError:
        return None
