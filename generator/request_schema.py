"""What a request schema says, read conservatively for the compile-time request checks
(request_check.py): the JSON types a schema takes, its allowed values, the members of
an object schema (its allOf parts merged), and whether it forbids other members.

Every reader answers "unknown" (None, or an open view) where the schema is not plain
enough to be sure: a reference that leads outside the loaded documents, oneOf/anyOf
(the checker tries their alternatives itself), ``not``, conditionals, and the like.
A check only reports what a definite answer contradicts.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .diagnostics import JsonPath
from .load import Loader, SourceFile, is_remote
from .resolve import SchemaLoc
from .schema_refs import follow_refs

#: JSON types in the order they are named in messages.
KINDS = ("object", "array", "string", "integer", "number", "boolean", "null")
#: Deepest chain of allOf/oneOf/anyOf/$ref followed from one value.
MAX_SCHEMA_DEPTH = 24
_ARTICLE = {"object": "an object", "array": "an array", "string": "a string", "integer": "an integer"}


def kind_of(value: Any) -> str | None:
    """The JSON type of a literal (an integral float is an integer, as in JSON Schema)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if math.isfinite(value) and value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def describe_kinds(kinds: frozenset[str] | set[str]) -> str:
    """``{'string', 'null'}`` -> ``a string or null``."""
    return " or ".join(_ARTICLE.get(k, "a " + k if k != "null" else "null") for k in KINDS if k in kinds)


def same_value(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def show_value(value: Any) -> str:
    """A value as a reader writes it in YAML: 'low', 42, true, null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return "an object" if isinstance(value, dict) else "an array" if isinstance(value, list) else repr(value)


def show_values(values: list[Any], limit: int = 10) -> str:
    shown = ", ".join(show_value(v) for v in values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


@dataclass
class ObjectView:
    """The members an object schema declares (with their schemas: one per allOf part
    that declares the member), the members it requires, and whether other members are
    refused (additionalProperties: false) or their schemas (additionalProperties)."""

    properties: dict[str, list[SchemaLoc]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    read_only: set[str] = field(default_factory=set)
    closed: bool = False
    #: False when some part could add members the view does not know (oneOf, patternProperties, an unread $ref...).
    complete: bool = True
    extra: list[SchemaLoc] = field(default_factory=list)


class SchemaReader:
    """Reads schemas of the documents the loader has read (it loads nothing more, and
    reports nothing: the schema collector has reported broken references already)."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def deref(self, loc: SchemaLoc) -> SchemaLoc | None:
        """The schema a chain of ``$ref`` leads to, or None (unknown)."""
        return follow_refs(loc, self._file)

    def _file(self, referrer: SourceFile, url: str, at: JsonPath) -> SourceFile | None:
        """The document ``url`` names, if it is loaded (nothing is reported, so ``at`` is not used)."""
        if is_remote(url):
            for prefix, folder in self.loader.source_map:
                if url.startswith(prefix):
                    return self._loaded(Path(folder) / unquote(url[len(prefix) :].split("?", 1)[0]))
            return None
        return self._loaded(referrer.path.parent / unquote(url))

    def _loaded(self, path: Path) -> SourceFile | None:
        return self.loader.files.get(Path(os.path.realpath(path)))

    def parts(self, loc: SchemaLoc, depth: int = 0) -> list[SchemaLoc] | None:
        """The schema and its allOf parts (recursively), dereferenced; None when one of
        them cannot be read."""
        resolved = self.deref(loc)
        if resolved is None or depth > MAX_SCHEMA_DEPTH:
            return None
        if not isinstance(resolved.value, dict):
            return [resolved]
        out = [resolved]
        members = resolved.value.get("allOf")
        if isinstance(members, list):
            for index, member in enumerate(members):
                found = self.parts(SchemaLoc(resolved.file, resolved.path + ("allOf", index), member), depth + 1)
                if found is None:
                    return None
                out += found
        return out

    @staticmethod
    def alternatives(loc: SchemaLoc) -> tuple[str, list[SchemaLoc]] | None:
        """("oneOf"/"anyOf", its schemas) of a dereferenced schema, if it has them."""
        schema = loc.value
        if not isinstance(schema, dict):
            return None
        for keyword in ("oneOf", "anyOf"):
            members = schema.get(keyword)
            if isinstance(members, list) and members:
                return keyword, [SchemaLoc(loc.file, loc.path + (keyword, i), m) for i, m in enumerate(members)]
        return None

    @staticmethod
    def kinds(loc: SchemaLoc) -> frozenset[str] | None:
        """The JSON types one dereferenced schema (not its allOf parts) allows; None: any."""
        schema = loc.value
        if not isinstance(schema, dict):
            return None
        raw = schema.get("type")
        if isinstance(raw, str):
            kinds = {raw}
        elif isinstance(raw, list) and raw and all(isinstance(k, str) for k in raw):
            kinds = set(raw)
        else:
            return None
        if not kinds <= set(KINDS):
            return None
        if schema.get("nullable") is True:
            kinds.add("null")
        return frozenset(kinds)

    @staticmethod
    def allowed(loc: SchemaLoc) -> list[Any] | None:
        """The values an enum (or const) of one dereferenced schema allows; None: no such list."""
        schema = loc.value
        if not isinstance(schema, dict):
            return None
        if "const" in schema:
            return [schema["const"]]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = list(enum)
            if schema.get("nullable") is True and not any(v is None for v in values):
                values.append(None)
            return values
        return None

    def object_view(self, parts: list[SchemaLoc]) -> ObjectView:
        """The merged member view of a schema's parts (see :meth:`parts`)."""
        view = ObjectView()
        declares = False
        for part in parts:
            schema = part.value
            if not isinstance(schema, dict):
                view.complete = False
                continue
            if any(
                k in schema for k in ("oneOf", "anyOf", "patternProperties", "if", "dependentSchemas", "dependencies")
            ):
                view.complete = False
            props = schema.get("properties")
            if isinstance(props, dict):
                declares = True
                for name, sub in props.items():
                    sub_loc = SchemaLoc(part.file, part.path + ("properties", str(name)), sub)
                    view.properties.setdefault(str(name), []).append(sub_loc)
                    resolved = self.deref(sub_loc)
                    if (
                        resolved is not None
                        and isinstance(resolved.value, dict)
                        and resolved.value.get("readOnly") is True
                    ):
                        view.read_only.add(str(name))
            required = schema.get("required")
            if isinstance(required, list):
                view.required.update(str(r) for r in required if isinstance(r, str))
            extra = schema.get("additionalProperties")
            if extra is False or schema.get("unevaluatedProperties") is False:
                view.closed = True
            elif isinstance(extra, dict) and extra:
                view.extra.append(SchemaLoc(part.file, part.path + ("additionalProperties",), extra))
        if not declares and not view.closed:
            view.complete = False  # no declared members: a free-form object, nothing to compare names against
        return view

    def at_pointer(self, loc: SchemaLoc, tokens: tuple[str, ...], depth: int = 0) -> list[SchemaLoc] | None:
        """The schemas (all of which apply) of the member a JSON pointer names, or None
        when the way there is not plain (oneOf/anyOf, an unread reference...)."""
        if not tokens:
            return [loc]
        parts = self.parts(loc)
        if parts is None or depth > MAX_SCHEMA_DEPTH:
            return None
        if any(self.alternatives(p) for p in parts):
            return None
        head, rest = tokens[0], tokens[1:]
        view = self.object_view(parts)
        subs = view.properties.get(head) or view.extra
        if not subs:
            items = [p for p in parts if isinstance(p.value, dict) and isinstance(p.value.get("items"), dict)]
            if not (head.isdigit() and items):
                return None
            subs = [SchemaLoc(p.file, p.path + ("items",), p.value["items"]) for p in items]
        out: list[SchemaLoc] = []
        for sub in subs:
            found = self.at_pointer(sub, rest, depth + 1)
            if found is None:
                return None
            out += found
        return out
