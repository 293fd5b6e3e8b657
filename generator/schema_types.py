"""Type inference: the Python type of the value at a JSON pointer inside a schema
(``$response.body#/status`` of a Call whose status is an enum: that Literal), as a
type tree (``ir.types``).  Part of the analyze stage."""

from __future__ import annotations

from typing import Any

from .diagnostics import JsonPath
from .ir.types import (
    ANY,
    ANY_T,
    BOOL_T,
    DATETIME_T,
    FLOAT_T,
    INT_T,
    NONE_T,
    STR_T,
    DictOf,
    ListOf,
    Lit,
    ModelRef,
    PyType,
    Scalar,
    lit,
    py_union,
)
from .load import Loader, SourceFile
from .model_set import ModelSet, is_component
from .resolve import SchemaLoc
from .schema_refs import follow_refs

MAX_INFER_DEPTH = 64


class TypeInferrer:
    """The Python type of the value at a JSON pointer inside a schema."""

    def __init__(self, loader: Loader, models: ModelSet) -> None:
        self.loader = loader
        self.models = models
        #: The files of the schemas models.py has classes for: a large enum there is typed
        #: as its alias (``ModelSet.aliases``); one elsewhere (an Arazzo inputs schema) stays
        #: a Literal.
        self._model_files = {file for file, _ in models.names}

    def at_pointer(self, loc: SchemaLoc | None, pointer: tuple[str, ...]) -> PyType:
        if loc is None:
            return ANY
        results = self.descend(loc, pointer)
        if not results:
            return ANY
        return self._union(loc, [self.type_of(r) if r is not None else PyType(NONE_T) for r in results])

    def has_path(self, loc: SchemaLoc, pointer: tuple[str, ...]) -> bool:
        return any(r is not None for r in self.descend(loc, pointer))

    def deref(self, loc: SchemaLoc) -> SchemaLoc | None:
        """The schema a chain of ``$ref`` leads to (loading the documents it names), or None (unknown)."""
        return follow_refs(loc, self._open)

    def _open(self, referrer: SourceFile, url: str, at: JsonPath) -> SourceFile | None:
        return self.loader.load_url(referrer, url, at, "$ref")

    def json_kind(self, loc: SchemaLoc, depth: int = 0) -> str | None:
        """ "object" or "array" when the schema requires that JSON type of every valid
        value (its own ``type``, or an ``allOf`` member's); None when it may be anything
        else too (no type, several types, nullable, oneOf/anyOf)."""
        resolved = self.deref(loc)
        if depth > MAX_INFER_DEPTH or resolved is None or not isinstance(resolved.value, dict):
            return None
        schema = resolved.value
        if schema.get("nullable") is True:
            return None
        kind = schema.get("type")
        if isinstance(kind, list) and len(kind) == 1:
            kind = kind[0]
        if kind in ("object", "array"):
            return str(kind)
        if kind is None and isinstance(schema.get("allOf"), list):
            for i, member in enumerate(schema["allOf"]):
                found = self.json_kind(SchemaLoc(resolved.file, resolved.path + ("allOf", i), member), depth + 1)
                if found is not None:
                    return found
        return None

    def descend(self, loc: SchemaLoc, pointer: tuple[str, ...], depth: int = 0) -> list[SchemaLoc | None]:
        """All schemas the pointer may land on; None where a branch has no such member."""
        if depth > MAX_INFER_DEPTH:
            return []
        resolved = self.deref(loc)
        if resolved is None and isinstance(loc.value, dict) and "$ref" in loc.value:
            return [loc]  # a dangling reference (reported by the collector): what is below it is Any
        if resolved is None or not isinstance(resolved.value, dict):
            return []
        schema = resolved.value
        for combinator in ("oneOf", "anyOf"):
            if isinstance(schema.get(combinator), list):
                out: list[SchemaLoc | None] = []
                for i, member in enumerate(schema[combinator]):
                    sub = SchemaLoc(resolved.file, resolved.path + (combinator, i), member)
                    found = self.descend(sub, pointer, depth + 1)
                    out.extend(found if found else ([None] if pointer else []))
                return out
        if isinstance(schema.get("allOf"), list) and pointer:
            for i, member in enumerate(schema["allOf"]):
                found = self.descend(SchemaLoc(resolved.file, resolved.path + ("allOf", i), member), pointer, depth + 1)
                if found:
                    return found
        if not pointer:
            if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1 and not schema.get("properties"):
                return self.descend(
                    SchemaLoc(resolved.file, resolved.path + ("allOf", 0), schema["allOf"][0]), pointer, depth + 1
                )
            return [
                (
                    loc
                    if is_component(resolved.path) or "$ref" in (loc.value if isinstance(loc.value, dict) else {})
                    else resolved
                )
            ]
        head, rest = pointer[0], pointer[1:]
        props = schema.get("properties")
        if isinstance(props, dict) and head in props:
            sub = SchemaLoc(resolved.file, resolved.path + ("properties", head), props[head])
            found = self.descend(sub, rest, depth + 1)
            required = head in (schema.get("required") or [])
            if not required and not rest:
                found = found + [None]
            return found
        items = schema.get("items")
        if isinstance(items, dict) and head.isdigit():
            found = self.descend(SchemaLoc(resolved.file, resolved.path + ("items",), items), rest, depth + 1)
            return found + [None] if not rest else found
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return self.descend(
                SchemaLoc(resolved.file, resolved.path + ("additionalProperties",), extra), rest, depth + 1
            ) + [None]
        return []

    def type_of(self, loc: SchemaLoc) -> PyType:
        value = loc.value
        if isinstance(value, dict) and isinstance(value.get("$ref"), str):
            target = self.deref(loc)
            if target is None:
                return ANY
            name = self.models.name_of(target)
            if name is not None and isinstance(target.value, dict) and _is_object(target.value):
                return PyType(ModelRef(name))
            return self.type_of(target)
        if not isinstance(value, dict):
            return ANY
        nullable = bool(value.get("nullable"))
        raw_type = value.get("type")
        types = raw_type if isinstance(raw_type, list) else [raw_type] if raw_type else []
        if "null" in types:
            nullable = True
            types = [t for t in types if t != "null"]
        if "const" in value and isinstance(value["const"], (str, int, bool)):
            result = PyType(Lit((value["const"],)))
        elif (
            isinstance(value.get("enum"), list)
            and value["enum"]
            and all(isinstance(v, (str, int, bool)) or v is None for v in value["enum"])
        ):
            members = [v for v in value["enum"] if v is not None]
            if len(members) < len(value["enum"]):
                nullable = True
            result = self._literal(loc, members) if members else PyType(NONE_T)
        elif any(isinstance(value.get(c), list) for c in ("oneOf", "anyOf")):
            combinator = "oneOf" if isinstance(value.get("oneOf"), list) else "anyOf"
            result = self._union(
                loc,
                [
                    self.type_of(SchemaLoc(loc.file, loc.path + (combinator, i), m))
                    for i, m in enumerate(value[combinator])
                ],
            )
        elif isinstance(value.get("allOf"), list) and len(value["allOf"]) == 1:
            result = self.type_of(SchemaLoc(loc.file, loc.path + ("allOf", 0), value["allOf"][0]))
        elif len(types) == 1:
            result = self._simple(loc, types[0])
        elif len(types) > 1:
            result = self._union(loc, [self._simple(loc, t) for t in types])
        elif "properties" in value:
            result = PyType(DictOf(ANY_T))
        else:
            result = ANY
        return result.or_none() if nullable else result

    def _literal(self, loc: SchemaLoc, values: list[Scalar]) -> PyType:
        """``Literal[...]`` of ``values``, or the alias models.py defines for them."""
        literal = lit(values)
        alias = self.models.alias_for(literal) if str(loc.file.path) in self._model_files else None
        return PyType(alias or literal)

    def _union(self, loc: SchemaLoc, types: list[PyType]) -> PyType:
        """The union of ``types``; a merged Literal is an alias's, as ``_literal``'s."""
        aliases = self.models.aliases.values() if str(loc.file.path) in self._model_files else ()
        return py_union(types, aliases)

    def _simple(self, loc: SchemaLoc, kind: str) -> PyType:
        value = loc.value
        if kind == "string":
            return PyType(DATETIME_T if value.get("format") == "date-time" else STR_T)
        if kind == "integer":
            return PyType(INT_T)
        if kind == "number":
            return PyType(FLOAT_T)
        if kind == "boolean":
            return PyType(BOOL_T)
        if kind == "array":
            items = value.get("items")
            inner = self.type_of(SchemaLoc(loc.file, loc.path + ("items",), items)) if isinstance(items, dict) else ANY
            return PyType(ListOf(inner.tree))
        if kind == "object":
            return self._mapping(loc)
        return ANY

    def _mapping(self, loc: SchemaLoc) -> PyType:
        """``dict[str, X]`` for an object whose only members are ``additionalProperties: X``;
        ``dict[str, Any]`` when it also lists properties or allows anything."""
        value = loc.value
        extra = value.get("additionalProperties")
        if not isinstance(extra, dict) or value.get("properties") or value.get("patternProperties"):
            return PyType(DictOf(ANY_T))
        inner = self.type_of(SchemaLoc(loc.file, loc.path + ("additionalProperties",), extra))
        return PyType(DictOf(inner.tree))


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema or "allOf" in schema
    )
