"""Schemas the bound operations reach: their closure across files, one class per
distinct schema (byte-identical repeats across source files merge), stable
meaningful names.  The names live in ``model_set`` and the Python type found at a
JSON pointer inside a schema in ``schema_types`` (both re-exported here).

Part of the resolve stage: it turns SchemaLocs into named model definitions that
the emit stage hands to datamodel-code-generator.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urldefrag

from .diagnostics import JsonPath, Report, Severity
from .ir.types import ANY, DATETIME_NAME, PyType
from .load import Loader, SourceFile, is_missing, lookup, pointer_tokens
from .model_set import (
    COMPONENT_PREFIX,
    ModelSet,
    class_name,
    is_component,
    name_large_enums,
    predict_classes,
)
from .pycode import pascal_case
from .resolve import Resolved, SchemaLoc, missing_ref_hint
from .schema_types import MAX_INFER_DEPTH, TypeInferrer

if TYPE_CHECKING:
    from .asyncapi_model import AsyncChannel, AsyncSource, EventTarget

__all__ = [
    "ANY",
    "COMPONENT_PREFIX",
    "DATETIME_TYPE",
    "MAX_INFER_DEPTH",
    "ModelSet",
    "PyType",
    "SchemaCollector",
    "TypeInferrer",
    "class_name",
    "collect_models",
    "message_schema",
    "wire_type",
]

#: The type of a ``format: date-time`` string (see ``ir.types.DATETIME_NAME``).
DATETIME_TYPE = DATETIME_NAME


def wire_type(py_type: PyType) -> PyType:
    """``py_type`` as the value is held before an Outputs model parses it: a date-time is its string."""
    return py_type.wire()


@dataclass
class _Frame:
    """A schema being registered: its components are registered before it is finished."""

    file: SourceFile
    path: JsonPath
    raw: Any
    source_name: str
    base: str
    children: list[tuple[SourceFile, JsonPath]]
    next: int = 0


class SchemaCollector:
    """Collects root schemas and everything they reference."""

    def __init__(self, loader: Loader, report: Report) -> None:
        self.loader = loader
        self.report = report
        self.models = ModelSet()
        self._pending: list[tuple[SourceFile, JsonPath, str]] = []
        self._content: dict[str, str] = {}  # class name -> canonical JSON, for dedupe
        self._source_prefix: dict[str, str] = {}

    def add_root(self, loc: SchemaLoc, suggested: str, source_name: str) -> str | None:
        """Register a request/response/webhook schema; returns its class name."""
        value = loc.value
        if isinstance(value, dict) and isinstance(value.get("$ref"), str):
            target = self._ref_target(loc.file, value["$ref"], loc.path)
            if target is not None and is_component(target[1]):
                return self._register(target[0], target[1], source_name)
        return self._register(loc.file, loc.path, source_name, suggested)

    def add_union(self, suggested: str, members: list[str], source_name: str) -> str:
        """Register a schema that is one of the classes ``members`` (a oneOf of them)."""
        schema = {"oneOf": [{"$ref": f"#/components/schemas/{m}"} for m in members]}
        canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        return self._claim(class_name(suggested), source_name, canonical, schema)

    def _claim(self, base: str, source_name: str, canonical: str, schema: Any) -> str:
        """The class name of a schema (``canonical``: its JSON): ``base`` when free or
        taken by a byte-identical schema, else ``<Source><base>``, then
        ``<Source><base>V2``, ... (the first free or identical one), recorded."""
        name, counter = base, 2
        if self._content.get(name, canonical) != canonical:
            name = pascal_case(source_name) + base
        while self._content.get(name, canonical) != canonical:
            name = f"{pascal_case(source_name)}{base}V{counter}"
            counter += 1
        if name not in self._content:
            self._content[name] = canonical
            self.models.schemas[name] = schema
        return name

    def _ref_target(self, file: SourceFile, ref: str, at: JsonPath) -> tuple[SourceFile, JsonPath] | None:
        url, fragment = urldefrag(ref)
        target = file
        if url:
            loaded = self.loader.load_url(file, url, at, "$ref")  # refuses remote URLs
            if loaded is None:
                return None
            target = loaded
        tokens = pointer_tokens(unquote(fragment))
        if tokens is None or is_missing(lookup(target.data, tokens)):
            if tokens is None:
                self.report.add(
                    file.diagnostic(
                        at,
                        f"schema reference {ref!r} has a malformed JSON pointer",
                        "a pointer looks like '#/components/schemas/Pet'",
                    )
                )
            else:
                # A dangling reference in a vendor description: the value it describes is
                # typed Any (models.py and the inferred types alike), not the whole build refused.
                self.report.add(
                    file.diagnostic(
                        at,
                        f"schema reference {ref!r} points at nothing: the value it describes is typed Any",
                        missing_ref_hint(target.data, tokens),
                        severity=Severity.WARNING,
                    )
                )
            return None
        return target, tokens

    def _register(self, file: SourceFile, path: JsonPath, source_name: str, suggested: str | None = None) -> str | None:
        """The class name of the schema at ``path``, registering it and every component
        it reaches.  Components are finished children first (so a $ref names its
        target's final class), with an explicit stack: a chain of hundreds of
        references between components never recurses."""
        key = (str(file.path), path)
        if key in self.models.names:
            return self.models.names[key]
        raw = lookup(file.data, path)
        if is_missing(raw):
            return None
        stack = [self._frame(file, path, raw, source_name, suggested)]
        while stack:
            frame = stack[-1]
            if frame.next < len(frame.children):
                c_file, c_path = frame.children[frame.next]
                frame.next += 1
                c_raw = lookup(c_file.data, c_path)
                if (str(c_file.path), c_path) not in self.models.names and not is_missing(c_raw):
                    stack.append(self._frame(c_file, c_path, c_raw, frame.source_name, None))
                continue
            stack.pop()
            self._finish(frame)
        return self.models.names[key]

    def _frame(self, file: SourceFile, path: JsonPath, raw: Any, source_name: str, suggested: str | None) -> _Frame:
        base = class_name(str(path[-1])) if suggested is None else class_name(suggested)
        self.models.names[(str(file.path), path)] = base  # final unless a different schema has the name
        return _Frame(file, path, raw, source_name, base, self._component_refs(file, raw, path))

    def _component_refs(self, file: SourceFile, value: Any, path: JsonPath) -> list[tuple[SourceFile, JsonPath]]:
        """The components a schema references, in the order _rewrite meets them
        (references to non-component locations are looked through, as _rewrite inlines them)."""
        found: list[tuple[SourceFile, JsonPath]] = []
        stack: list[tuple[SourceFile, Any, JsonPath, int, bool]] = [(file, value, path, 0, False)]
        while stack:
            s_file, node, at, depth, names = stack.pop()
            if depth > 200:
                continue
            if isinstance(node, dict):
                ref = None if names else node.get("$ref")
                if isinstance(ref, str):
                    target = self._ref_target(s_file, ref, at)
                    if target is not None and is_component(target[1]):
                        found.append(target)
                    elif target is not None:
                        stack.append((target[0], lookup(target[0].data, target[1]), target[1], depth + 1, False))
                    continue
                stack.extend(
                    (s_file, child, at + (k,), depth + 1, k in _NAME_MAPS and not names)
                    for k, child in reversed(list(node.items()))
                    if names or not _opaque(k)
                )
            elif isinstance(node, list):
                stack.extend(
                    (s_file, child, at + (i,), depth + 1, False) for i, child in reversed(list(enumerate(node)))
                )
        return found

    def _finish(self, frame: _Frame) -> None:
        """Rewrite a schema whose referenced components all have names; merge it with a
        byte-identical schema of the same name, or rename it when the name is taken."""
        key = (str(frame.file.path), frame.path)
        base = frame.base
        schema = self._rewrite(frame.file, frame.raw, frame.path, frame.source_name, depth=0)
        canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        name = self._claim(
            base, frame.source_name, canonical, schema
        )  # a byte-identical repeat from another file: one class
        if name != base:
            self.models.names[key] = name

    def _rewrite(
        self, file: SourceFile, value: Any, path: JsonPath, source_name: str, depth: int, names: bool = False
    ) -> Any:
        """Copy a schema, pointing every $ref at '#/components/schemas/<class name>'.
        ``names`` is true for a mapping of names to schemas (``properties``, ...).
        Extensions (``x-...``) and example data are opaque: copied, never followed
        (one that holds a ``$ref`` is left out, so nothing downstream follows it)."""
        if depth > 200:
            self.report.add(
                file.diagnostic(path, "schema is nested more than 200 levels deep", "flatten it with $ref components")
            )
            return {}
        if isinstance(value, dict) and names:
            return {k: self._rewrite(file, v, path + (k,), source_name, depth + 1) for k, v in value.items()}
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                target = self._ref_target(file, ref, path)
                if target is None:
                    return {}
                t_file, t_path = target
                if is_component(t_path):
                    name = self.models.names.get((str(t_file.path), t_path))
                    if name is None:  # not reached by _component_refs (cannot happen): register it now
                        name = self._register(t_file, t_path, source_name)
                    out: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
                    for k, v in value.items():  # OpenAPI 3.1 allows siblings of $ref
                        if k != "$ref" and k in ("description", "title", "nullable"):
                            out[k] = v
                    return out
                # A reference to a non-component location: inline it.
                return self._rewrite(t_file, lookup(t_file.data, t_path), t_path, source_name, depth + 1)
            out = {
                k: (
                    copy.deepcopy(v)
                    if _opaque(k)
                    else self._rewrite(file, v, path + (k,), source_name, depth + 1, k in _NAME_MAPS)
                )
                for k, v in value.items()
                if not (_opaque(k) and _holds_ref(v))
            }
            if isinstance(out.get("discriminator"), str):
                # AsyncAPI's discriminator is the property's name (OpenAPI's is an object): as
                # datamodel-code-generator reads it, every member would need a Literal there,
                # so it is left out; pydantic tells the members apart without it.
                del out["discriminator"]
            if out.get("format") in _FORMATS_NEEDING_PACKAGES and "type" in out:
                # datamodel-code-generator types these with packages a generated client
                # does not depend on (email-validator, python-ulid): the value stays a str.
                del out["format"]
            if _enum_contradicts_array(out):
                self._fix_array_enum(file, path, out)
            if "default" in out and _has_constrained_items(out):
                # datamodel-code-generator wraps constrained items in RootModels, which a
                # list of plain literals does not type-check against; the default is the
                # server's business anyway.
                del out["default"]
            if "default" in out and not _default_fits(out):
                self.report.add(
                    file.diagnostic(
                        path + ("default",),
                        f"default {out['default']!r} does not match the schema's type {out.get('type')!r}; it is left out of the model",
                        "fix the default in the OpenAPI description",
                        severity=Severity.WARNING,
                    )
                )
                del out["default"]
            return out
        if isinstance(value, list):
            return [self._rewrite(file, v, path + (i,), source_name, depth + 1) for i, v in enumerate(value)]
        return value

    def _fix_array_enum(self, file: SourceFile, path: JsonPath, out: dict[str, Any]) -> None:
        """``type: array`` with an enum of non-arrays: no value could be valid.  The enum
        describes the items (a common slip), so it moves there, unless the items have
        an enum of their own, which then wins."""
        enum = out.pop("enum")
        items = out.get("items")
        if isinstance(items, dict) and "$ref" not in items and "enum" not in items:
            out["items"] = {**items, "enum": enum}
            what = "it is applied to the items instead"
        else:
            what = "it is left out of the model (the items have their own)"
        self.report.add(
            file.diagnostic(
                path + ("enum",),
                f"the enum of a schema of type 'array' lists values that are not arrays; {what}",
                "move the enum into 'items' in the OpenAPI description",
                severity=Severity.WARNING,
            )
        )


#: String formats datamodel-code-generator maps to types of packages other than pydantic.
_FORMATS_NEEDING_PACKAGES = frozenset({"email", "idn-email", "ulid"})
#: Schema keywords whose value maps names to schemas (a key there is a name, even 'x-...').
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
#: Schema keywords whose value is data, not schemas: a '$ref' inside is not a reference.
_DATA_KEYWORDS = frozenset({"example", "examples", "default", "enum", "const"})


def _opaque(key: str) -> bool:
    """True for a schema keyword that is never followed: an extension or example data."""
    return key.startswith("x-") or key in _DATA_KEYWORDS


def _holds_ref(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _enum_contradicts_array(schema: dict[str, Any]) -> bool:
    enum = schema.get("enum")
    return (
        schema.get("type") == "array"
        and isinstance(enum, list)
        and bool(enum)
        and not any(isinstance(v, list) for v in enum)
    )


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


_ITEM_CONSTRAINTS = (
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)


def _has_constrained_items(schema: dict[str, Any]) -> bool:
    items = schema.get("items")
    return isinstance(items, dict) and "$ref" not in items and any(k in items for k in _ITEM_CONSTRAINTS)


def _default_fits(schema: dict[str, Any]) -> bool:
    """False when a schema's default contradicts its own type or enum."""
    default = schema["default"]
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    if kinds:
        allowed = tuple(t for k in kinds for t in _JSON_TYPES.get(k, (object,)))
        if schema.get("nullable"):
            allowed += (type(None),)
        if isinstance(default, bool) and bool not in allowed:
            return False
        if not isinstance(default, allowed):
            return False
    enum = schema.get("enum")
    return not (isinstance(enum, list) and default is not None and default not in enum)


def collect_models(resolved: Resolved, report: Report) -> ModelSet:
    """Every request, response and webhook schema the bound steps reach, as classes."""
    collector = SchemaCollector(resolved.loader, report)
    operations = []
    seen: set[tuple[str, JsonPath]] = set()
    for bound in resolved.all_steps():
        op = bound.operation
        if op is None or (str(op.source.file.path), op.json_path) in seen:
            continue
        seen.add((str(op.source.file.path), op.json_path))
        operations.append(op)
    operations.sort(key=lambda o: (o.source.key, o.path, o.method))
    for op in operations:
        stem = op.operation_id or f"{op.method.lower()} {op.path}"
        for ctype, loc in sorted(op.request_content.items()):
            if loc is not None:
                collector.add_root(loc, f"{stem} request", op.source.name)
                break
        for status, response in sorted(op.responses.items()):
            if response.schema is None:
                continue
            name = collector.add_root(response.schema, f"{stem} response {status}", op.source.name)
            if name is not None:
                collector.models.roots[(str(op.source.file.path), op.json_path, status)] = name
    for source in sorted((s for s in resolved.all_sources() if s.kind == "openapi"), key=lambda s: s.key):
        data = source.file.data
        hooks = data.get("webhooks") if isinstance(data, dict) else None
        for hook_name, item in sorted((hooks or {}).items()):
            if not isinstance(item, dict):
                continue
            for method, op in sorted(item.items()):
                body = op.get("requestBody") if isinstance(op, dict) else None
                content = (body or {}).get("content") or {}
                for ctype, media in sorted(content.items()):
                    if isinstance(media, dict) and "schema" in media:
                        loc = SchemaLoc(
                            source.file,
                            ("webhooks", hook_name, method, "requestBody", "content", ctype, "schema"),
                            media["schema"],
                        )
                        name = collector.add_root(loc, f"{hook_name} event", source.name)
                        if name is not None and name not in collector.models.webhooks:
                            collector.models.webhooks.append(name)
                        break
    _collect_message_models(collector, resolved)
    name_large_enums(collector.models)
    collector.models.defined = predict_classes(collector.models)
    files = {str(s.file.path): s.file for s in resolved.all_sources() if s.kind == "openapi"}
    for path in sorted(files):
        _report_unreached_dangling_refs(files[path], report)
    return collector.models


# -- AsyncAPI messages ------------------------------------------------------------------


def _collect_message_models(collector: SchemaCollector, resolved: Resolved) -> None:
    """The payload and headers schemas of every message on a channel a send/receive
    step is bound to, as classes (named after the message), and for a channel with
    several payload classes a union root model ``<Channel>Message``."""
    channels: dict[tuple[str, str], tuple[AsyncSource, AsyncChannel]] = {}
    for bound in resolved.all_steps():
        target = bound.event
        if target is not None:
            channels.setdefault((target.source.key, target.channel.key), (target.source, target.channel))
    models = collector.models
    for key in sorted(channels):
        source, channel = channels[key]
        payloads: list[str] = []
        for message in sorted(channel.messages, key=lambda m: m.key):
            m_key = (source.key, channel.key, message.key)
            for part, loc, table, suffix in (
                ("payload", message.payload, models.message_models, ""),
                ("headers", message.headers, models.header_models, " headers"),
            ):
                if loc is None or not isinstance(loc.value, dict):
                    continue  # no schema, or true/false: the value is Any
                name = collector.add_root(loc, message.name + suffix, source.name)
                if name is None:
                    continue
                table[m_key] = name
                if part == "payload" and name not in payloads:
                    payloads.append(name)
        if len(payloads) > 1:
            models.message_unions[key] = collector.add_union(f"{channel.key} message", payloads, source.name)


def message_schema(target: EventTarget, part: Literal["payload", "headers"] = "payload") -> SchemaLoc | None:
    """The schema ``$message.payload`` (or ``$message.header``) of a send/receive step
    has, to hand to TypeInferrer (``at_pointer(loc, tokens)``, ``has_path``): a
    reference to the one message's schema, or a oneOf of the schemas of the step's
    messages (an operation's messages, else all of its channel's).  Through the
    reference the whole payload types as its model class (``models.OrderRequest``,
    or ``models.A | models.B``).  None when no message has such a schema (the value is Any)."""
    file = target.source.file
    refs: list[dict[str, str]] = []
    for message in target.messages:
        loc = message.payload if part == "payload" else message.headers
        if loc is None:
            continue
        ref = {"$ref": _ref_to(file, loc)}
        if ref not in refs:
            refs.append(ref)
    if not refs:
        return None
    if len(refs) == 1:
        only = next(m for m in target.messages if (m.payload if part == "payload" else m.headers) is not None)
        return SchemaLoc(file, only.json_path + (part,), refs[0])
    return SchemaLoc(file, target.channel.json_path + ("messages",), {"oneOf": refs})


def _ref_to(file: SourceFile, loc: SchemaLoc) -> str:
    """A $ref, written in ``file``, to the schema at ``loc``."""
    pointer = "#" + "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in loc.path)
    if loc.file.path == file.path:
        return pointer
    return os.path.relpath(loc.file.path, file.path.parent).replace(os.sep, "/") + pointer


def _report_unreached_dangling_refs(file: SourceFile, report: Report) -> None:
    """A ``$ref`` within the document that points at nothing, where no bound operation
    reaches it (those the collector and the operation index met are reported already,
    with what becomes of the value): a warning, since nothing is generated from it.
    Extensions and example data are not looked into (they are opaque)."""
    known = {d.json_path for d in report.items if d.file == file.display and "points at nothing" in d.message}
    stack: list[tuple[JsonPath, Any]] = [((), file.data)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                tokens = pointer_tokens(unquote(ref[1:]))
                if tokens is not None and is_missing(lookup(file.data, tokens)) and here not in known:
                    report.add(
                        file.diagnostic(
                            here,
                            f"$ref {ref!r} points at nothing; no step's operation reaches it, so nothing is generated from it",
                            missing_ref_hint(file.data, tokens),
                            severity=Severity.WARNING,
                        )
                    )
            stack.extend(
                (here + (k,), v) for k, v in reversed(list(node.items())) if not (isinstance(k, str) and _opaque(k))
            )
        elif isinstance(node, list):
            stack.extend((here + (i,), v) for i, v in reversed(list(enumerate(node))))
