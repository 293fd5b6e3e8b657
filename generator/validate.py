"""Stage 2, validate: the Arazzo document against the official JSON Schema, each
OpenAPI document with openapi-spec-validator, and the structural checks no schema
can make (duplicate ids, unknown goto targets, dependsOn cycles, workflows that
call themselves, output names expressions cannot spell, criterion types).

Schema findings are rewritten for people: the branch of a oneOf/anyOf the value
was meant for, "unknown field 'operationID'; did you mean 'operationId'?", one
"expected object, found null" instead of every consequence of it.

This module holds the entry point for the Arazzo document and the quirks it
tolerates (JSON ``$ref`` objects, a root ``$schema``); validate_schema explains the
schema findings, validate_structure makes the structural checks, validate_spec runs
openapi-spec-validator over the OpenAPI documents.

Checks that need bound operations or parsed expressions (unknown operationId,
``$steps.x.outputs.y`` that nothing defines, missing path parameters) run in the
resolve and analyze stages, which report into the same Report.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

from . import v11_schema, v11_values
from .diagnostics import JsonPath, Report, Severity
from .load import Loader, SourceFile
from .validate_schema import (
    _ARTICLE,
    _SCHEMA_PREFIX,
    _TYPE_PREFIX,
    _any_replacement_value,
    _explain,
    _json_type,
    _shared_defect,
)
from .validate_structure import _check_structure, _dicts

ARAZZO_VERSION_PREFIX = "1.0."
#: Arazzo 1.1 documents are held to the 1.1 schema and the 1.1 rules.
ARAZZO_1_1_PREFIX = "1.1."


@lru_cache(maxsize=2)
def _arazzo_validator(minor: str = "1.0") -> jsonschema.Draft202012Validator:
    text = (
        resources.files(__package__ or "arazzo_codegen")
        .joinpath(f"data/arazzo-{minor}.schema.json")
        .read_text(encoding="utf-8")
    )
    return jsonschema.Draft202012Validator(json.loads(text))


def is_arazzo_1_1(data: Any) -> bool:
    """Whether a document that validate_arazzo accepted is an Arazzo 1.1.x one."""
    return (
        isinstance(data, dict) and isinstance(data.get("arazzo"), str) and data["arazzo"].startswith(ARAZZO_1_1_PREFIX)
    )


def validate_arazzo(source: SourceFile, report: Report, loader: Loader | None = None) -> bool:
    """Schema and structure checks; False when the document cannot be compiled.

    The structure checks run even when the schema finds problems (they skip what
    they cannot read), so one run reports everything; a schema finding at a place
    a structure check already explained is not repeated.  With a ``loader``, the
    document-level quirks of real documents are tolerated first (see _quirks)."""
    data = source.data
    if data is None:
        report.add(source.diagnostic((), "the document is empty", "an Arazzo document starts with 'arazzo: 1.0.1'"))
        return False
    if not isinstance(data, dict):
        report.add(
            source.diagnostic(
                (),
                f"an Arazzo document must be a mapping at the top level, not {_ARTICLE[_json_type(data)]}",
                "start the file with 'arazzo: 1.0.1'",
            )
        )
        return False
    if "arazzo" not in data:
        if "openapi" in data or "swagger" in data:
            report.add(
                source.diagnostic(
                    (),
                    "this is an OpenAPI document, not an Arazzo workflow document",
                    "pass the Arazzo file that lists this one in its sourceDescriptions",
                )
            )
        else:
            report.add(
                source.diagnostic(
                    (),
                    "not an Arazzo document: the 'arazzo' version field is missing",
                    "start the file with 'arazzo: 1.0.1'",
                )
            )
        return False
    version = data["arazzo"]
    if not isinstance(version, str):
        report.add(
            source.diagnostic(
                ("arazzo",),
                f"the Arazzo version must be a string, not the {type(version).__name__} {version!r}",
                "quote it: arazzo: '1.0.1'",
            )
        )
        return False
    minor = "1.1" if version.startswith(ARAZZO_1_1_PREFIX) else "1.0"
    if not version.startswith(ARAZZO_VERSION_PREFIX) and minor != "1.1":
        report.add(
            source.diagnostic(
                ("arazzo",),
                f"unsupported Arazzo version {version!r}",
                "this generator compiles Arazzo 1.0.x documents, e.g. arazzo: 1.0.1",
            )
        )
        return False
    before = len(report.items)
    # The structure checks know the rules of both minors (criterion versions differ).
    covered = set(_quirks(source, data, report, loader))
    covered.update(_check_structure(source, data, report, minor))
    errors = sorted(_arazzo_validator(minor).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    schema_findings: dict[JsonPath, list[tuple[str, str | None]]] = {}
    for error in errors:
        explained = _explain(
            _shared_defect(error) if minor != "1.0" else error,
            _arazzo_validator(minor).schema if minor != "1.0" else None,
        )
        if not explained and minor != "1.0":  # no branch explains it: say what the schema says
            text = str(error.message)
            explained = [
                (
                    tuple(error.absolute_path),
                    _SCHEMA_PREFIX + (text if len(text) < 200 else text[:197] + "..."),
                    "compare it with the 1.1 specification's object for this place",
                )
            ]
        if minor == "1.1":
            explained = [
                refined for path, message, hint in explained for refined in v11_schema.refine(data, path, message, hint)
            ]
        for path, message, hint in explained:
            if path in covered:
                continue
            schema_findings.setdefault(path, []).append((message, hint))
    for path, findings in schema_findings.items():
        if _any_replacement_value(path, findings):
            continue
        rewritten = v11_values.plain_mapping_value(data, path, [m for m, _ in findings]) if minor == "1.1" else None
        if rewritten is not None:  # a plain mapping as a 1.1 parameter value: the text allows it (#559)
            for at, message, hint, severity in rewritten:
                report.add(source.diagnostic(at, message, hint, severity=severity))
            continue
        type_errors = [f for f in findings if f[0].startswith(_TYPE_PREFIX)]
        for message, hint in type_errors or findings:  # a value of the wrong type explains the rest
            if minor != "1.0":
                message = message.replace(_SCHEMA_PREFIX, f"does not match the Arazzo {minor} schema: ", 1)
            report.add(source.diagnostic(path, message, hint))
    return not any(d.severity is Severity.ERROR for d in report.items[before:])


# -- quirks of real documents: a root $schema, JSON $ref objects ----------------------

#: Where Arazzo objects that a pre-bundle document writes as JSON ``$ref`` sit:
#: lists of them (workflow and step level) and a step's request body.
_REF_LISTS = {
    "parameters": ("parameter", "parameters"),
    "successActions": ("success action", "successActions"),
    "failureActions": ("failure action", "failureActions"),
    "onSuccess": ("success action", "successActions"),
    "onFailure": ("failure action", "failureActions"),
}


def _quirks(source: SourceFile, data: dict[str, Any], report: Report, loader: Loader | None) -> list[JsonPath]:
    """Tolerate, each with a warning naming the spec-correct form, what real documents
    write that Arazzo 1.0 does not define: a root ``$schema`` key (ignored) and JSON
    ``$ref`` objects for parameters, actions and request bodies (resolved in place,
    as a bundler would).  Returns the paths the schema should not report again."""
    covered: list[JsonPath] = []
    if "$schema" in data:
        covered.append(("$schema",))
        report.add(
            source.diagnostic(
                ("$schema",),
                "a root '$schema' key is not an Arazzo field; it is ignored",
                "remove it: an Arazzo document names its version with 'arazzo: 1.0.1' (editors can take the schema from a '# yaml-language-server: $schema=...' comment)",
                severity=Severity.WARNING,
            )
        )
    if loader is None:
        return covered
    for w_index, workflow in _dicts(data.get("workflows")):
        base: JsonPath = ("workflows", w_index)
        for key in ("parameters", "successActions", "failureActions"):
            covered.extend(_inline_refs(source, report, loader, workflow, key, base))
        for s_index, step in _dicts(workflow.get("steps")):
            at = base + ("steps", s_index)
            for key in ("parameters", "onSuccess", "onFailure"):
                covered.extend(_inline_refs(source, report, loader, step, key, at))
            body = step.get("requestBody")
            if isinstance(body, dict) and "$ref" in body:
                resolved = _follow_ref(
                    source,
                    report,
                    loader,
                    body,
                    at + ("requestBody",),
                    "request body",
                    "write the request body inline (contentType, payload, replacements): Arazzo 1.0 has no reusable request bodies",
                )
                if resolved is None:
                    covered.extend([at + ("requestBody",), at + ("requestBody", "$ref")])
                else:
                    step["requestBody"] = resolved
    return covered


def _inline_refs(
    source: SourceFile, report: Report, loader: Loader, owner: dict[str, Any], key: str, at: JsonPath
) -> list[JsonPath]:
    covered: list[JsonPath] = []
    what, component = _REF_LISTS[key]
    items = owner.get(key)
    if not isinstance(items, list):
        return covered
    for index, item in _dicts(items):
        if "$ref" not in item:
            continue
        i_at = at + (key, index)
        hint = f"define it under components.{component} and write '- reference: $components.{component}.<name>' (the Reusable Object)"
        resolved = _follow_ref(source, report, loader, item, i_at, what, hint)
        if resolved is None:
            covered.extend([i_at, i_at + ("$ref",)])
        else:
            items[index] = resolved
    return covered


def _follow_ref(
    source: SourceFile, report: Report, loader: Loader, item: dict[str, Any], at: JsonPath, what: str, hint: str
) -> dict[str, Any] | None:
    """The object a JSON ``$ref`` in the Arazzo document names (a copy), with a warning;
    None, with an error, when it cannot be followed or is ambiguous."""
    ref = item["$ref"]
    if not isinstance(ref, str):
        report.add(source.diagnostic(at + ("$ref",), f"$ref must be a string, not {_ARTICLE[_json_type(ref)]}", hint))
        return None
    others = sorted(str(k) for k in item if k != "$ref" and not str(k).startswith("x-"))
    if others:
        listed = ", ".join(repr(k) for k in others)
        if what == "parameter" and others == ["value"]:
            hint += ", with 'value:' beside it to set the parameter's value"
        report.add(
            source.diagnostic(
                at,
                f"a {what} given as $ref {ref!r} also has {listed} beside it: whether they override the referenced object or are ignored is not defined",
                hint,
            )
        )
        return None
    component = _same_document_component(ref)
    if component is not None and what != "request body":
        hint = f"write '- reference: $components.{component[0]}.{component[1]}' (the Reusable Object)"
    followed = loader.deref(source, item, at + ("$ref",))
    if followed is None:
        return None  # reported by the loader
    value = followed[2]
    if not isinstance(value, dict):
        report.add(
            source.diagnostic(
                at + ("$ref",), f"$ref {ref!r} names {_ARTICLE[_json_type(value)]}, not a {what} object", hint
            )
        )
        return None
    report.add(
        source.diagnostic(
            at + ("$ref",),
            f"a JSON $ref is not how Arazzo 1.0 reuses a {what} (a document written for a bundler?); what {ref!r} names is used in its place",
            hint,
            severity=Severity.WARNING,
        )
    )
    return copy.deepcopy(value)


def _same_document_component(ref: str) -> tuple[str, str] | None:
    """('parameters', 'auth') for '#/components/parameters/auth'."""
    match = re.fullmatch(r"#/components/(parameters|successActions|failureActions)/([^/]+)", ref)
    return (match.group(1), match.group(2).replace("~1", "/").replace("~0", "~")) if match else None
