"""A workflow's inputs schema with its ``$ref`` followed (``#/components/inputs/<name>``,
any pointer into the document, or an Arazzo 1.1 ``#anchor``), once, as the analysis
stage follows it (analysis/workflow_inputs.py ``_deref_input_schema``): the schema
itself and each property's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import v11_identity
from ..diagnostics import JsonPath
from .document import Problem

#: How many ``$ref`` hops are followed from one inputs schema.
MAX_HOPS = 16


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One declared input: its (dereferenced) schema and where that is."""

    name: Any  # the property's key as written
    schema: Any
    at: JsonPath
    required: bool
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class Inputs:
    """The inputs schema dereferenced (``{}`` when its ``$ref`` cannot be followed)."""

    schema: Any
    at: JsonPath
    problem: Problem | None
    inputs: tuple[InputSpec, ...]


def follow(data: Any, schema: Any, at: JsonPath) -> tuple[Any, JsonPath, Problem | None]:
    """``schema`` with its ``$ref`` chain followed inside the document ``data``."""
    hops = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < MAX_HOPS:
        ref = schema["$ref"]
        hops += 1
        if ref.startswith("#") and not ref.startswith("#/") and len(ref) > 1 and v11_identity.is_1_1(data):
            found = v11_identity.anchored(data, ref[1:])  # a plain-name fragment: $anchor (1.1)
            if found is None:
                return (
                    {},
                    at,
                    Problem(
                        at,
                        f"inputs $ref {ref!r}: no schema in this document declares $anchor {ref[1:]!r}",
                        "add $anchor to the schema under components.inputs, or write '#/components/inputs/<name>'",
                    ),
                )
            schema, at = found
            continue
        if not ref.startswith("#/"):
            problem = Problem(
                at, f"inputs $ref {ref!r} must point into this document", "use '#/components/inputs/<name>'"
            )
            return {}, at, problem
        tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/"))
        node: Any = data
        for token in tokens:
            node = node.get(token) if isinstance(node, dict) else None
        if node is None:
            return {}, at, Problem(at, f"inputs $ref {ref!r} points at nothing", "define it under components.inputs")
        schema, at = node, tokens
    return schema, at, None


def read_inputs(data: Any, raw: Any, at: JsonPath) -> Inputs | None:
    """A workflow's ``inputs`` (at ``at``), dereferenced; None when it has none."""
    if raw is None:
        return None
    schema, s_at, problem = follow(data, raw, at)
    if not isinstance(schema, dict):
        return Inputs(schema, s_at, problem, ())
    required = set(schema.get("required") or [])
    specs = []
    for name, prop in (schema.get("properties") or {}).items():
        p_schema, p_at, p_problem = follow(data, prop, s_at + ("properties", name))
        specs.append(InputSpec(name, p_schema, p_at, name in required, p_problem))
    return Inputs(schema, s_at, problem, tuple(specs))
