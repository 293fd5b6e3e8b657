"""Stage 2, validate: the Arazzo document against the official JSON Schema, each
OpenAPI document with openapi-spec-validator, and the structural checks no schema
can make (duplicate ids, unknown goto targets, dependsOn cycles, workflows that
call themselves, output names expressions cannot spell, criterion types).

Schema findings are rewritten for people: the branch of a oneOf/anyOf the value
was meant for, "unknown field 'operationID'; did you mean 'operationId'?", one
"expected object, found null" instead of every consequence of it.

Checks that need bound operations or parsed expressions (unknown operationId,
``$steps.x.outputs.y`` that nothing defines, missing path parameters) run in the
resolve and analyze stages, which report into the same Report.
"""

from __future__ import annotations

import copy
import json
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
import re
from collections.abc import Iterable, Iterator
from difflib import get_close_matches
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from . import expressions, v11_values
from .cache import TextCache, module_digest, package_version
from .diagnostics import Diagnostic, JsonPath, Report, Severity, did_you_mean
from .load import Loader, SourceFile
from . import v11_schema

ARAZZO_VERSION_PREFIX = "1.0."
#: Arazzo 1.1 documents are held to the 1.1 schema and the 1.1 rules.
ARAZZO_1_1_PREFIX = "1.1."
#: openapi-spec-validator takes tens of seconds on documents of 10 MB; larger ones
#: are validated only under --strict (the generator checks what it uses anyway).
MAX_VALIDATED_CHARS = 4_000_000


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


_SCHEMA_PREFIX = "does not match the Arazzo 1.0 schema: "
_TYPE_PREFIX = _SCHEMA_PREFIX + "expected "
_ID_ARRAYS = {"workflows", "steps", "sourceDescriptions"}  # duplicates there are duplicate ids


def _shared_defect(error: ValidationError) -> ValidationError:
    """For the 1.1 schema, whose step (and action) objects are a oneOf of kinds: a
    finding deeper inside the value that every kind reports is the value's defect
    whatever kind it was meant to be (an empty successCriteria, a bad action), so
    it is explained rather than the kind the explanation would have to guess."""
    for _ in range(64):  # bounded: each round goes one level deeper into the value
        if error.validator not in ("oneOf", "anyOf") or not error.context:
            return error
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else 0, []).append(sub)
        if len(branches) < 2:
            return error
        depth = len(error.absolute_path)
        keyed = [
            {(tuple(map(str, e.absolute_path)), e.message): e for e in errs if len(e.absolute_path) > depth}
            for errs in branches.values()
        ]
        shared = set(keyed[0]).intersection(*keyed[1:])
        if shared:
            error = keyed[0][min(shared)]
            continue
        meant = _step_kind(error, branches)
        if meant is None:
            return error
        # In the kind the step was meant to be, its own finding; "unevaluated" lists
        # every field once a part of the kind failed, so it comes last.
        return min(meant, key=lambda e: e.validator == "unevaluatedProperties")
    return error


#: The 1.1 step kinds, by their schema, and the fields that say a step is of that kind.
_STEP_KINDS = {
    "#/$defs/workflow-step-object": ("workflowId",),
    "#/$defs/asyncapi-step-object": ("channelPath", "action", "correlationId"),
}


def _step_kind(error: ValidationError, branches: dict[Any, list[ValidationError]]) -> list[ValidationError] | None:
    """The errors of the step kind a 1.1 step was meant to be (by its fields; an
    OpenAPI step otherwise), or None when ``error`` is not about a step."""
    options = error.validator_value if isinstance(error.validator_value, list) else []
    refs = [o.get("$ref") if isinstance(o, dict) else None for o in options]
    if "#/$defs/openapi-step-object" not in refs or not isinstance(error.instance, dict):
        return None
    chosen = refs.index("#/$defs/openapi-step-object")
    for ref, fields in _STEP_KINDS.items():
        if ref in refs and any(field in error.instance for field in fields):
            chosen = refs.index(ref)
            break
    return branches.get(chosen) or None


def _explain(error: ValidationError, root: Any = None) -> list[tuple[JsonPath, str, str | None]]:
    """One schema error as (path, message, hint)s a person can act on."""
    error = _deepest(error)
    path: JsonPath = tuple(error.absolute_path)
    instance = error.instance
    validator = error.validator
    if validator in ("unevaluatedProperties", "additionalProperties") and isinstance(instance, dict):
        known = _known_properties(error.schema, root)
        unknown = [k for k in instance if k not in known and not str(k).startswith("x-")]
        if validator == "additionalProperties" and error.schema.get("additionalProperties") is False:
            unknown = [
                k
                for k in instance
                if k not in known and not any(re.search(p, str(k)) for p in error.schema.get("patternProperties", {}))
            ]
        # Nothing unknown: the properties were declared only in a failing branch, which has its own finding.
        return [
            (
                path + (key,),
                f"unknown field {key!r}",
                _close(str(key), known) or _RETRY_FIELDS.get(str(key)) or "remove it; extensions must start with 'x-'",
            )
            for key in unknown
        ]
    if validator == "oneOf" and _all_required(error.validator_value):
        options = [next(iter(branch["required"])) for branch in error.validator_value]
        present = [o for o in options if isinstance(instance, dict) and o in instance]
        listed = _or_list(options)
        if present:
            return [
                (
                    path,
                    f"names both {present[0]!r} and {present[1]!r}; exactly one of {listed} is allowed",
                    "keep one of them",
                )
            ]
        return [(path, f"needs one of {listed}", "add the one that says what this does")]
    if validator == "required":
        missing = [name for name in error.validator_value if isinstance(instance, dict) and name not in instance]
        return [(path, f"missing required field {name!r}", "add it") for name in missing[:1]]
    if validator == "type":
        expected = error.validator_value
        found = "null" if instance is None else f"{_json_type(instance)} {_short(instance)}"
        return [
            (
                path,
                f"{_TYPE_PREFIX}{_or_list(expected) if isinstance(expected, list) else expected}, found {found}",
                _type_hint(expected, instance),
            )
        ]
    if validator == "uniqueItems" and isinstance(instance, list):
        if path and path[-1] in _ID_ARRAYS:
            return []  # identical items have identical ids: the duplicate-id check reports them
        first, second = _duplicate_pair(instance)
        return [(path + (second,), f"item {second} repeats item {first}", "remove one of them")]
    if validator == "enum":
        return [
            (
                path,
                f"{_short(instance)} is not one of {', '.join(map(str, error.validator_value))}",
                _enum_hint(path, instance, error.validator_value),
            )
        ]
    if validator == "pattern":
        return [
            (
                path,
                f"{_short(instance)} does not match the pattern {error.validator_value!r}",
                _pattern_hint(instance, error.validator_value),
            )
        ]
    if validator == "minItems" and error.validator_value == 1:
        return [
            (
                path,
                "must not be empty",
                _NOT_EMPTY.get(str(path[-1]) if path else "", "add at least one item, or leave the field out"),
            )
        ]
    message = str(error.message)
    message = message if len(message) < 200 else message[:197] + "..."
    return [(path, _SCHEMA_PREFIX + message, None)]


_NOT_EMPTY = {
    "steps": "a workflow needs at least one step",
    "workflows": "an Arazzo document needs at least one workflow",
    "sourceDescriptions": "name at least one OpenAPI or Arazzo document the workflows use",
}


def _type_hint(expected: Any, instance: Any) -> str:
    """How to write a value of the expected JSON type in YAML."""
    if instance is None:
        return "nothing is written here (YAML reads an empty value or a lone '-' as null): fill it in, or remove it"
    kinds = expected if isinstance(expected, list) else [expected]
    if "array" in kinds:
        return "write a list: one item per line, each starting with '- '"
    if "object" in kinds:
        return "write a mapping: one 'key: value' per line, indented below the key"
    if "string" in kinds and not isinstance(instance, (dict, list)):
        return f"quote it to make it a string: {json.dumps(str(instance).lower() if isinstance(instance, bool) else str(instance))}"
    if "boolean" in kinds:
        return "write true or false, without quotes"
    if "integer" in kinds or "number" in kinds:
        return "write a number, without quotes"
    return "write a value of the type the field takes"


def _enum_hint(path: JsonPath, instance: Any, allowed: Any) -> str:
    options = [str(o) for o in allowed] if isinstance(allowed, list) else []
    if path and path[-1] == "in" and instance == "body":
        return "a request body is written as the step's requestBody (payload, contentType), not as a parameter"
    return _close(str(instance), options) or ("use " + _or_list(options) if options else "use one of the listed values")


_CHARACTER_CLASSES = {
    "[A-Za-z0-9_\\-]": "letters, digits, '_' and '-'",
    "[a-zA-Z0-9\\.\\-_]": "letters, digits, '.', '-' and '_'",
}


def _pattern_hint(instance: Any, pattern: Any) -> str:
    """For a character-class pattern such as ^[A-Za-z0-9_\\-]+$: the characters it
    allows, and the value with the others replaced, when that matches."""
    match = re.fullmatch(r"\^(\[[^\]]+\])\+\$", str(pattern))
    if match and isinstance(instance, str):
        outside = "[^" + match.group(1)[1:]
        fixed = re.sub(outside + "+", "_", instance).strip("_")
        if fixed and re.fullmatch(str(pattern), fixed):
            allowed = _CHARACTER_CLASSES.get(match.group(1), f"the characters {match.group(1)}")
            return f"use only {allowed}, e.g. {fixed!r}"
    return "change the value to match the pattern"


def _deepest(error: ValidationError) -> ValidationError:
    """Follow anyOf/oneOf failures into the branch the instance was meant for.

    A branch whose failure is a missing required key that the instance does not
    have (a reusable ``reference`` on an inline action, say) was not meant: the
    instance's own shape picks among the others."""
    while error.context:
        if error.validator == "oneOf" and _all_required(error.validator_value):
            return error
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            key = sub.relative_schema_path[0] if sub.relative_schema_path else 0
            branches.setdefault(key, []).append(sub)
        meant = [
            errs
            for errs in branches.values()
            if not any(e.validator == "required" and not e.relative_path for e in errs)
        ]
        pool = [e for errs in (meant or list(branches.values())) for e in errs]
        candidate = best_match(pool)
        if candidate is None:
            break
        error = candidate
    return error


def _all_required(branches: Any) -> bool:
    return (
        isinstance(branches, list)
        and len(branches) > 1
        and all(isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in branches)
    )


def _known_properties(schema: Any, root: Any = None, depth: int = 0) -> list[str]:
    """The property names a schema declares, in its allOf/anyOf/oneOf branches too;
    with ``root`` (the 1.1 schema, whose step objects are allOfs of ``$ref``s),
    local ``$ref``s are followed as well."""
    names: set[str] = set()
    if root is not None and isinstance(schema, dict) and depth < 8:
        refs = [schema.get("$ref")] + [
            b.get("$ref")
            for key in ("allOf", "anyOf", "oneOf")
            for b in schema.get(key, []) or []
            if isinstance(b, dict)
        ]
        for ref in refs:
            if isinstance(ref, str) and ref.startswith("#/"):
                target = root
                for token in ref[2:].split("/"):
                    target = target.get(token) if isinstance(target, dict) else None
                names.update(_known_properties(target, root, depth + 1))
    if isinstance(schema, dict):
        names.update(schema.get("properties", {}) or {})
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key, []) or []:
                if isinstance(branch, dict):
                    names.update(branch.get("properties", {}) or {})
    return sorted(names)


def _or_list(items: Iterable[Any]) -> str:
    names = [str(i) for i in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


_ARTICLE = {
    "null": "null",
    "boolean": "a boolean",
    "number": "a number",
    "string": "a string",
    "array": "a list",
    "object": "an object",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _duplicate_pair(items: list[Any]) -> tuple[int, int]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in seen:
            return seen[key], index
        seen[key] = index
    return 0, len(items) - 1


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# -- quirks of real documents ----------------------------------------------------------


def _any_replacement_value(path: JsonPath, findings: list[tuple[str, str | None]]) -> bool:
    """A replacement value that is a number, boolean, list or mapping: the Arazzo 1.0.1
    text types ``value`` as "Any | {expression}" (a constant or a runtime expression);
    only the official JSON Schema says string.  The text is normative, so such a
    value is accepted as written (null stays refused: an empty ``value:`` is a slip)."""
    if (
        len(path) != 8
        or path[0] != "workflows"
        or path[2] != "steps"
        or path[4:6] != ("requestBody", "replacements")
        or path[7] != "value"
    ):
        return False
    return all(
        message.startswith(_TYPE_PREFIX + "string, found ") and not message.endswith("found null")
        for message, _ in findings
    )


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


# -- structure -------------------------------------------------------------------------

_NAME = re.compile(r"^[a-zA-Z0-9.\-_]+$")


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, item) for the mapping items of a list; nothing for anything else."""
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_structure(source: SourceFile, data: dict[str, Any], report: Report, minor: str = "1.0") -> list[JsonPath]:
    """The checks no schema makes; returns the paths they reported on or vetted,
    where schema findings would only repeat them."""
    start = len(report.items)
    vetted: list[JsonPath] = []
    workflows = _dicts(data.get("workflows"))
    _check_unique(
        source, report, [(("workflows", i, "workflowId"), w.get("workflowId")) for i, w in workflows], "workflowId"
    )
    _check_ids(
        source, report, [(("workflows", i, "workflowId"), w.get("workflowId")) for i, w in workflows], "workflowId"
    )
    _check_unique(
        source,
        report,
        [(("sourceDescriptions", i, "name"), s.get("name")) for i, s in _dicts(data.get("sourceDescriptions"))],
        "source description name",
    )
    known_workflows = {str(w["workflowId"]) for _, w in workflows if isinstance(w.get("workflowId"), str)}
    for w_index, workflow in workflows:
        base: JsonPath = ("workflows", w_index)
        steps = _dicts(workflow.get("steps"))
        _check_unique(source, report, [(base + ("steps", i, "stepId"), s.get("stepId")) for i, s in steps], "stepId")
        _check_ids(source, report, [(base + ("steps", i, "stepId"), s.get("stepId")) for i, s in steps], "stepId")
        known_steps = {str(s["stepId"]) for _, s in steps if isinstance(s.get("stepId"), str)}
        for path, action in _actions(workflow, base):
            _check_action_target(source, report, path, action, known_steps, known_workflows)
            _check_retry_fields(source, report, path, action)
        _check_required(source, report, workflow.get("inputs"), base + ("inputs",))
        dependencies = workflow.get("dependsOn")
        for index, dep in enumerate(dependencies if isinstance(dependencies, list) else []):
            if isinstance(dep, str) and not dep.startswith("$") and dep not in known_workflows:
                report.add(
                    source.diagnostic(
                        base + ("dependsOn", index),
                        f"dependsOn names unknown workflow {dep!r}",
                        did_you_mean(dep, known_workflows),
                    )
                )
        _check_names(source, report, workflow.get("outputs"), base + ("outputs",), "output")
        for s_index, step in steps:
            _check_names(source, report, step.get("outputs"), base + ("steps", s_index, "outputs"), "output")
            for c_path, criterion in _criteria(step, base + ("steps", s_index)):
                _check_criterion(source, report, c_path, criterion, vetted, minor)
        for key in ("successActions", "failureActions"):
            for a_index, action in _dicts(workflow.get(key)):
                for c_index, criterion in _dicts(action.get("criteria")):
                    _check_criterion(
                        source, report, base + (key, a_index, "criteria", c_index), criterion, vetted, minor
                    )
    for name, schema in _mapping(_mapping(data.get("components")).get("inputs")).items():
        _check_required(source, report, schema, ("components", "inputs", name))
    for name, action in _mapping(_mapping(data.get("components")).get("failureActions")).items():
        _check_retry_fields(source, report, ("components", "failureActions", name), _mapping(action))
    for kind in ("successActions", "failureActions"):
        for name, action in _mapping(_mapping(data.get("components")).get(kind)).items():
            for c_index, criterion in _dicts(_mapping(action).get("criteria")):
                _check_criterion(
                    source, report, ("components", kind, name, "criteria", c_index), criterion, vetted, minor
                )
    _check_depends_cycles(source, report, workflows)
    _check_call_cycles(source, report, workflows)
    return vetted + [d.json_path for d in report.items[start:] if d.severity is Severity.ERROR]


def _check_retry_fields(source: SourceFile, report: Report, path: JsonPath, action: dict[str, Any]) -> None:
    """retryAfter and retryLimit on a failure action that does not retry do nothing.
    (On a success action the schema refuses them: see _RETRY_FIELDS.)"""
    kind = action.get("type")
    if kind not in ("goto", "end") or not any(p in ("onFailure", "failureActions") for p in path):
        return
    for key in _RETRY_FIELDS:
        if key in action:
            report.add(
                source.diagnostic(
                    path + (key,),
                    f"{key} on {kind} action {action.get('name')!r} has no effect",
                    _RETRY_FIELDS[key],
                    severity=Severity.WARNING,
                )
            )


#: Where the retry fields belong, for a hint wherever they are written elsewhere.
_RETRY_FIELDS = {
    "retryAfter": "retryAfter belongs on retry actions (type: retry, in onFailure or failureActions): change the type, or remove it",
    "retryLimit": "retryLimit belongs on retry actions (type: retry, in onFailure or failureActions): change the type, or remove it",
}


def _check_required(source: SourceFile, report: Report, schema: Any, at: JsonPath) -> None:
    """``required`` names in an inputs schema (and the object schemas inside it) that
    are not among its properties: only properties become inputs."""
    stack: list[tuple[Any, JsonPath]] = [(schema, at)]
    while stack:
        node, here = stack.pop()
        if not isinstance(node, dict):
            continue
        properties = node.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        stack.extend((value, here + ("properties", key)) for key, value in reversed(list(properties.items())))
        stack.append((node.get("items"), here + ("items",)))
        required = node.get("required")
        if (
            not isinstance(required, list)
            or any(k in node for k in _OTHER_MEMBERS)
            or node.get("additionalProperties", False) is not False
        ):
            continue  # the named members may be defined elsewhere
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in properties:
                hint = did_you_mean(name, properties) if properties else None
                report.add(
                    source.diagnostic(
                        here + ("required", index),
                        f"required names {name!r}, which is not one of the schema's properties",
                        hint or "declare it under properties, or remove it from required",
                        severity=Severity.WARNING,
                    )
                )


#: Schema keywords through which an object's members may be declared other than properties.
_OTHER_MEMBERS = (
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "patternProperties",
    "dependentSchemas",
    "if",
    "unevaluatedProperties",
)


def _check_unique(source: SourceFile, report: Report, items: list[tuple[JsonPath, Any]], what: str) -> None:
    seen: set[str] = set()
    for path, value in items:
        if not isinstance(value, str):
            continue
        if value in seen:
            report.add(
                source.diagnostic(
                    path, f"duplicate {what} {value!r}", f"each {what} must be unique; rename one of them"
                )
            )
        seen.add(value)


_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


def _check_ids(source: SourceFile, report: Report, items: list[tuple[JsonPath, Any]], what: str) -> None:
    """The spec: a workflowId or stepId SHOULD conform to [A-Za-z0-9_-]+."""
    for path, value in items:
        if isinstance(value, str) and not _ID.match(value):
            report.add(
                source.diagnostic(
                    path,
                    f"{what} {value!r} does not conform to [A-Za-z0-9_-]+, as the spec says it should",
                    "runtime expressions such as $steps.<stepId> and $workflows.<workflowId> cannot name it: rename it",
                    severity=Severity.WARNING,
                )
            )


def _check_names(source: SourceFile, report: Report, outputs: Any, at: JsonPath, what: str) -> None:
    for name in _mapping(outputs):
        if not _NAME.match(str(name)):
            report.add(
                source.diagnostic(
                    at + (name,),
                    f"{what} name {str(name)!r} may use only letters, digits, '.', '-' and '_'",
                    "runtime expressions could not name it otherwise: rename it",
                )
            )


def _criteria(step: dict[str, Any], at: JsonPath) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    for index, criterion in _dicts(step.get("successCriteria")):
        yield at + ("successCriteria", index), criterion
    for key in ("onSuccess", "onFailure"):
        for a_index, action in _dicts(step.get(key)):
            for c_index, criterion in _dicts(action.get("criteria")):
                yield at + (key, a_index, "criteria", c_index), criterion


_CRITERION_TYPES = ("simple", "regex", "jsonpath", "xpath")
_EXPRESSION_VERSIONS = {
    "jsonpath": ("draft-goessner-dispatch-jsonpath-00",),
    "xpath": ("xpath-10", "xpath-20", "xpath-30"),
}
#: Arazzo 1.1's Expression Type Object: RFC 9535 JSONPath and XPath 3.1 join the 1.0 names.
#: (The 1.1 schema also admits a jsonpointer type here; the prose does not, for criteria.)
_EXPRESSION_VERSIONS_1_1 = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
}


def _check_criterion(
    source: SourceFile,
    report: Report,
    at: JsonPath,
    criterion: dict[str, Any],
    vetted: list[JsonPath],
    minor: str = "1.0",
) -> None:
    """The criterion type, checked here because the official schema's messages for
    it mislead (and it rejects the expression type object the specification allows)."""
    if "type" not in criterion:
        return
    vetted.append(at + ("type",))
    kind = criterion["type"]
    if isinstance(kind, dict):
        inner = kind.get("type")
        table = _EXPRESSION_VERSIONS_1_1 if minor == "1.1" else _EXPRESSION_VERSIONS
        versions = table.get(inner) if isinstance(inner, str) else None
        if versions is None:
            hint = "a criterion expression type object names jsonpath or xpath, and a version"
            if (
                minor == "1.1" and inner == "jsonpointer"
            ):  # the 1.1 schema admits it; the Criterion Object's prose does not
                hint = "a JSON pointer selects a value, it does not test one: use it in a Selector Object or targetSelectorType; for a condition use jsonpath (rfc9535) or xpath"
            report.add(source.diagnostic(at + ("type",), f"unknown criterion expression type {inner!r}", hint))
            return
        if kind.get("version") not in versions:
            report.add(
                source.diagnostic(
                    at + ("type",), f"unknown {inner} version {kind.get('version')!r}", "use " + _or_list(versions)
                )
            )
            return
        kind = inner
    elif kind not in _CRITERION_TYPES:
        report.add(
            source.diagnostic(
                at + ("type",),
                f"unknown criterion type {kind!r}",
                _close(str(kind), _CRITERION_TYPES) or "use simple, regex, jsonpath or xpath",
            )
        )
        return
    if kind != "simple" and "context" not in criterion:
        report.add(source.diagnostic(at, f"a {kind} criterion needs a context", "add context: $response.body"))
    elif kind == "simple" and "context" not in criterion and "condition" in criterion:
        # Quirk: 'type: simple' without the context the specification then requires
        # ("If type is specified, then the context MUST be provided"); simple is the
        # default type, and a simple condition reads no context.
        vetted.append(at)
        report.add(
            source.diagnostic(
                at + ("type",),
                "a criterion that gives its type needs a context, also 'type: simple'",
                "leave out 'type: simple' (it is the default), or add context: $response.body",
                severity=Severity.WARNING,
            )
        )
    elif kind == "simple" and isinstance(criterion.get("context"), str) and not _is_expression(criterion["context"]):
        report.add(
            source.diagnostic(
                at + ("context",),
                f"context {criterion['context']!r} is not a runtime expression; a simple condition does not read it",
                "write context: $response.body (or leave out both context and 'type: simple')",
                severity=Severity.WARNING,
            )
        )


def _is_expression(text: str) -> bool:
    """Is ``text`` one runtime expression (braces allowed, as in {$response.body})?"""
    text = text.strip()
    if text.startswith("{$") and text.endswith("}"):
        text = text[1:-1]
    try:
        expressions.parse_expression(text)
        return True
    except expressions.ExpressionError:
        pass
    try:
        return expressions.body_dot_path(text) is not None
    except expressions.ExpressionError:
        return False


def _close(word: str, options: Iterable[str]) -> str | None:
    match = get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def _actions(workflow: dict[str, Any], base: JsonPath) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    for key in ("successActions", "failureActions"):
        for index, action in _dicts(workflow.get(key)):
            if "reference" not in action:
                yield base + (key, index), action
    for s_index, step in _dicts(workflow.get("steps")):
        for key in ("onSuccess", "onFailure"):
            for index, action in _dicts(step.get(key)):
                if "reference" not in action:
                    yield base + ("steps", s_index, key, index), action


def _check_action_target(
    source: SourceFile, report: Report, path: JsonPath, action: dict[str, Any], steps: set[str], workflows: set[str]
) -> None:
    step_id = action.get("stepId")
    workflow_id = action.get("workflowId")
    if step_id is not None and workflow_id is not None:
        report.add(
            source.diagnostic(
                path, f"action {action.get('name')!r} names both a stepId and a workflowId", "keep one of them"
            )
        )
    if isinstance(step_id, str) and step_id not in steps:
        report.add(
            source.diagnostic(
                path + ("stepId",),
                f"action {action.get('name')!r} goes to unknown step {step_id!r}",
                did_you_mean(step_id, steps),
            )
        )
    if isinstance(workflow_id, str) and not workflow_id.startswith("$") and workflow_id not in workflows:
        report.add(
            source.diagnostic(
                path + ("workflowId",),
                f"action {action.get('name')!r} goes to unknown workflow {workflow_id!r}",
                did_you_mean(workflow_id, workflows),
            )
        )
    if action.get("type") == "goto" and step_id is None and workflow_id is None:
        report.add(
            source.diagnostic(
                path,
                f"goto action {action.get('name')!r} has no stepId or workflowId",
                "add the step or workflow to go to",
            )
        )


def _check_depends_cycles(source: SourceFile, report: Report, workflows: list[tuple[int, dict[str, Any]]]) -> None:
    graph: dict[str, list[str]] = {}
    index_of: dict[str, int] = {}
    for index, workflow in workflows:
        wid = workflow.get("workflowId")
        deps = workflow.get("dependsOn")
        if isinstance(wid, str) and wid not in graph:
            index_of[wid] = index
            graph[wid] = [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []
    for cycle in _cycles(graph):
        report.add(
            source.diagnostic(
                ("workflows", index_of[cycle[-2]], "dependsOn"),
                "dependsOn cycle: " + " -> ".join(cycle),
                "a workflow cannot depend on itself, directly or through others",
            )
        )


def _check_call_cycles(source: SourceFile, report: Report, workflows: list[tuple[int, dict[str, Any]]]) -> None:
    """A step whose workflowId leads back to its own workflow would recurse without end."""
    graph: dict[str, list[str]] = {}
    call_site: dict[tuple[str, str], JsonPath] = {}
    for w_index, workflow in workflows:
        wid = workflow.get("workflowId")
        if not isinstance(wid, str) or wid in graph:
            continue
        graph[wid] = []
        for s_index, step in _dicts(workflow.get("steps")):
            target = step.get("workflowId")
            if isinstance(target, str) and not target.startswith("$"):
                graph[wid].append(target)
                call_site.setdefault((wid, target), ("workflows", w_index, "steps", s_index, "workflowId"))
    for cycle in _cycles(graph):
        at = call_site[(cycle[-2], cycle[-1])]
        if len(cycle) == 2:
            message = f"workflow {cycle[0]!r} calls itself: the call would recurse without end"
        else:
            message = "workflows call each other in a cycle without end: " + " -> ".join(cycle)
        report.add(
            source.diagnostic(
                at,
                message,
                "repeat steps with a goto to an earlier step instead (a goto loop is bounded by the timeout)",
            )
        )


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle of a directed graph found by a depth-first search, as a closed
    path (first == last); iterative, so no recursion limit."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = []
        while stack:
            node, child = stack.pop()
            if child == 0:
                state[node] = 1
                trail.append(node)
            edges = graph.get(node, [])
            if child < len(edges):
                stack.append((node, child + 1))
                nxt = edges[child]
                if state.get(nxt) == 1:
                    found.append(trail[trail.index(nxt) :] + [nxt])
                elif nxt in graph and not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                trail.pop()
    return found


def _spec_validator_class(version: str) -> Any:
    """openapi-spec-validator's validator class for an OpenAPI version, or None: 3.0 and
    3.1, and 3.2 where the installed release has it (0.9.0, the pinned one, does)."""
    import openapi_spec_validator

    name = {"3.0": "OpenAPIV30SpecValidator", "3.1": "OpenAPIV31SpecValidator", "3.2": "OpenAPIV32SpecValidator"}.get(
        ".".join(version.split(".")[:2])
    )
    return getattr(openapi_spec_validator, name, None) if name else None


def validate_openapi(source: SourceFile, report: Report, deferred: list[SourceFile] | None = None) -> None:
    """openapi-spec-validator findings become warnings (errors under --strict).

    Real vendor descriptions often fail strict validation; generation goes on
    where the workflow does not depend on the broken part.  The quick shape checks
    run now; with ``deferred``, the slow openapi-spec-validator pass is queued there
    for :class:`DeepValidation` instead of running inline.
    """
    data = source.data
    if isinstance(data, dict) and "swagger" in data and "openapi" not in data:
        report.add(
            source.diagnostic(
                ("swagger",),
                f"Swagger {data['swagger']} documents are not read, only OpenAPI 3.0 and 3.1",
                "convert it to OpenAPI 3 (e.g. 'npx swagger2openapi swagger.yaml -o openapi.yaml', or the Swagger Editor's Edit > Convert to OpenAPI 3) and point the source description at the result",
            )
        )
        return
    if not isinstance(data, dict) or not isinstance(data.get("openapi"), str):
        report.add(
            source.diagnostic(
                (),
                "not an OpenAPI 3.x document: the 'openapi' version field is missing",
                "sourceDescriptions of type openapi must point at OpenAPI 3.0 or 3.1 documents",
            )
        )
        return
    version = data["openapi"]
    if not version.startswith(("3.0", "3.1")) and _spec_validator_class(version) is None:  # 3.2: imports the validator
        checked = "3.0, 3.1 and 3.2" if _spec_validator_class("3.2.0") is not None else "3.0 and 3.1"
        report.add(
            source.diagnostic(
                ("openapi",),
                f"OpenAPI {version} is not validated (openapi-spec-validator {package_version('openapi-spec-validator')} checks {checked})",
                "the generator still reads the operations it needs",
                severity=Severity.WARNING,
            )
        )
        return
    if len(source.text) > MAX_VALIDATED_CHARS and not report.strict:
        report.add(
            source.diagnostic(
                (),
                f"{len(source.text) // 1_000_000} MB is more than openapi-spec-validator is run on ({MAX_VALIDATED_CHARS // 1_000_000} MB): the document is not validated as a whole",
                "the generator still checks what the workflow uses; --strict validates it all (slowly)",
                severity=Severity.WARNING,
            )
        )
        return
    if deferred is not None:
        deferred.append(source)
        return
    report.extend(spec_validator_findings(source))


# -- openapi-spec-validator's findings, cached by the document's text --------------------


def _findings_key(cache: TextCache, source: SourceFile) -> str:
    """The findings depend on the text, the validator's version and how this module
    words them (its own source is part of the key)."""
    salt = f"openapi-spec-validator {package_version('openapi-spec-validator')} {module_digest(__file__)}"
    return cache.key("openapivalidation", salt, source.text)


def _cached_findings(cache: TextCache, source: SourceFile) -> list[Diagnostic] | None:
    text = cache.get(_findings_key(cache, source))
    if text is None:
        return None
    try:
        rows = json.loads(text)
        return [
            Diagnostic(Severity(sev), source.display, int(line), int(col), tuple(path), str(msg), hint)
            for sev, line, col, path, msg, hint in rows
        ]
    except (ValueError, TypeError):
        return None  # an entry of another shape: recompute


def _store_findings(cache: TextCache, source: SourceFile, findings: list[Diagnostic]) -> None:
    rows = [[d.severity.value, d.line, d.column, list(d.json_path), d.message, d.hint] for d in findings]
    cache.put(_findings_key(cache, source), json.dumps(rows, ensure_ascii=False))


def spec_validator_findings(source: SourceFile, cache: TextCache | None = None) -> list[Diagnostic]:
    """openapi-spec-validator's findings on one document (from the cache when the same
    text was validated before)."""
    cache = cache or TextCache.default()
    found = _cached_findings(cache, source)
    if found is None:
        report = Report()
        run_spec_validator(source, report)
        found = report.items
        _store_findings(cache, source, found)
    return found


def run_spec_validator(source: SourceFile, report: Report) -> None:
    """openapi-spec-validator over one OpenAPI 3.0, 3.1 or 3.2 document, as warnings."""

    data = source.data
    version = str(data["openapi"])
    validator_cls = _spec_validator_class(
        "3.0" if version.startswith("3.0") else "3.2" if version.startswith("3.2") else "3.1"
    )
    try:
        errors = list(validator_cls(data).iter_errors())
    except RecursionError:
        report.add(
            source.diagnostic(
                (),
                "openapi-spec-validator could not check this document: it recursed without end (a cyclic $ref?)",
                "the generator checks the parts the workflow uses itself",
                severity=Severity.WARNING,
            )
        )
        return
    except Exception as exc:  # the validator's own failures on odd input (unresolvable $refs, ...)
        detail = " ".join(str(exc).split()).split(" within {")[0]  # not the whole document
        detail = f" ({detail[:117]}...)" if len(detail) > 120 else f" ({detail})" if detail else ""
        report.add(
            source.diagnostic(
                (),
                f"openapi-spec-validator could not check this document: {exc.__class__.__name__}{detail}",
                "the generator checks the parts the workflow uses itself",
                severity=Severity.WARNING,
            )
        )
        return
    for error in errors:
        path: JsonPath = tuple(getattr(error, "absolute_path", ()) or ())
        message = str(getattr(error, "message", error)).splitlines()[0]
        if len(message) > 200:
            message = message[:197] + "..."
        report.add(
            source.diagnostic(
                path,
                f"OpenAPI validation: {message}",
                "the vendor description is not strictly valid; generation continues unless --strict",
                severity=Severity.WARNING,
            )
        )


# -- the slow pass, beside the rest of the pipeline --------------------------------------

#: Documents a forked worker validates (set before the fork, so the child has them already parsed).
_FORKED_DOCUMENTS: list[SourceFile] = []
PARALLEL_VALIDATION_MIN_CHARS = 200_000


def _validate_forked(index: int) -> list[Diagnostic]:
    report = Report()
    run_spec_validator(_FORKED_DOCUMENTS[index], report)
    return report.items


class DeepValidation:
    """openapi-spec-validator over the queued documents.

    On a machine with more than one core and documents large enough to matter, a
    forked worker validates them while the main process builds the models; ``join``
    adds the findings to the report (the report sorts them, so the order they arrive
    in does not matter).  Elsewhere, or if the worker fails, ``join`` validates inline.
    """

    def __init__(self, documents: list[SourceFile]) -> None:
        self.cache = TextCache.default()
        self.known: list[list[Diagnostic]] = []  # findings of documents validated before
        self.documents: list[SourceFile] = []  # the others, validated now
        for document in documents:
            found = _cached_findings(self.cache, document)
            if found is None:
                self.documents.append(document)
            else:
                self.known.append(found)
        documents = self.documents
        self._futures: list[Future[list[Diagnostic]]] = []
        self._pool: ProcessPoolExecutor | None = None
        size = sum(len(d.text) for d in documents)
        if size < PARALLEL_VALIDATION_MIN_CHARS or (os.cpu_count() or 1) < 2 or "fork" not in get_all_start_methods():
            return
        global _FORKED_DOCUMENTS
        _FORKED_DOCUMENTS = documents
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"))
        self._futures = [self._pool.submit(_validate_forked, i) for i in range(len(documents))]

    def join(self, report: Report) -> None:
        for found in self.known:
            report.extend(found)
        pool, self._pool = self._pool, None
        if pool is None:
            for document in self.documents:
                report.extend(spec_validator_findings(document, self.cache))
            return
        try:
            for document, future in zip(self.documents, self._futures):
                try:
                    diagnostics = future.result()
                except BrokenProcessPool:
                    diagnostics = spec_validator_findings(document, self.cache)
                else:
                    _store_findings(self.cache, document, diagnostics)
                report.extend(diagnostics)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
