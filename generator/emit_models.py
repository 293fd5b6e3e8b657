"""Stage 5a, emit models: the collected schemas through datamodel-code-generator's
in-process API, as pydantic v2 models.

Enums become ``Literal`` types (no numbered enum classes), every model derives
from a lenient base (unknown fields kept, schema building deferred to first use
so that importing a large models module stays cheap).  Root models (a request
or response body that is a union or a list) derive from a deferred generic root
base for the same reason, and datamodel-code-generator's trailing
``X.model_rebuild()`` calls are dropped: either would build the schemas of every
model it reaches (for Vapi, most of them) while the module is imported.

datamodel-code-generator takes seconds on a large schema set (and about a second
just to import), so its output is kept in the text cache (``cache.TextCache``),
keyed by the exact document handed to it, its version and this module's code:
an unchanged schema set is never converted twice.
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Any

from .cache import TextCache, module_digest, package_version
from .diagnostics import Diagnostic, Report, Severity
from .ir.types import ALIAS_THRESHOLD, Scalar, lit, render
from .schemas import DATETIME_TYPE, ModelSet

_BASE_CLASS = '''

class Model(BaseModel):
    """Base of every model here: unknown fields are kept; validation is built on first use."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)
'''

_ROOT_BASE = '''

_T = TypeVar("_T")


class _DeferredRoot(RootModel[_T]):
    """Base of every root model here: validation is built on first use."""

    model_config = ConfigDict(defer_build=True)
'''

EMPTY_MODELS = """from __future__ import annotations

from pydantic import BaseModel, ConfigDict
""" + _BASE_CLASS


def render_models(models: ModelSet, report: Report, label: str) -> str:
    """Python source of models.py (not yet black-formatted)."""
    if not models.schemas:
        return EMPTY_MODELS
    document = {
        "openapi": "3.1.0",
        "info": {"title": "models", "version": "1"},
        "paths": {},
        "components": {"schemas": {name: models.schemas[name] for name in sorted(models.schemas)}},
    }
    try:
        source = _generate(document)
    except Exception as exc:  # noqa: BLE001 - datamodel-code-generator's own errors on odd schemas
        report.add(
            Diagnostic(
                Severity.ERROR,
                label,
                1,
                1,
                ("components", "schemas"),
                f"datamodel-code-generator failed: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                "simplify the schema it names, or report it",
            )
        )
        return EMPTY_MODELS
    return _post_process(source, models, report, label)


def _generate(document: dict[str, Any]) -> str:
    """datamodel-code-generator's module for ``document``, from the cache when it has it."""
    cache = TextCache.default()
    # repr, not JSON: it keeps key order and tells 1 from 1.0, True and "1" apart.
    key = cache.key("models", _salt(), repr(document))
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = _convert(document)
    cache.put(key, result)
    return result


def _salt() -> str:
    version = ".".join(map(str, sys.version_info[:2]))
    return f"datamodel-code-generator {package_version('datamodel-code-generator')} pydantic {package_version('pydantic')} python {version} {module_digest(__file__)}"


def _convert(document: dict[str, Any]) -> str:
    from datamodel_code_generator import DataModelType, DatetimeClassType, GenerateConfig, InputFileType, generate
    from datamodel_code_generator.parser import LiteralType

    config = GenerateConfig(
        input_file_type=InputFileType.OpenAPI,
        output_model_type=DataModelType.PydanticV2BaseModel,
        enum_field_as_literal=LiteralType.All,
        formatters=[],
        use_union_operator=True,
        use_standard_collections=True,
        use_double_quotes=True,
        field_constraints=True,
        use_annotated=True,
        use_field_description=True,
        disable_timestamp=True,
        keep_model_order=False,
        collapse_root_models=True,
        output_datetime_class=DatetimeClassType(DATETIME_TYPE),  # the type Outputs give a date-time too
        target_python_version=_python_version(),
    )
    result = generate(document, config=config)
    if not isinstance(result, str):
        raise TypeError("expected one module from datamodel-code-generator")
    return result


def _python_version() -> Any:
    from datamodel_code_generator import PythonVersion

    return PythonVersion.PY_311


_HEADER = re.compile(r"\A(#[^\n]*\n)+\n*")
_REBUILD = re.compile(r"^\w+\.model_rebuild\(\)$\n?", re.MULTILINE)
_ROOT_CLASS = re.compile(r"^(class \w+)\(RootModel\[", re.MULTILINE)
_CLASS = re.compile(r"^class (\w+)\(", re.MULTILINE)


def _post_process(source: str, models: ModelSet, report: Report, label: str) -> str:
    source = _HEADER.sub("", source)
    source = _REBUILD.sub("", source)
    source = re.sub(r"^(class \w+)\(BaseModel\):", r"\1(Model):", source, flags=re.MULTILINE)
    source = re.sub(r"^from pydantic import (.*)$", _add_config_import, source, count=1, flags=re.MULTILINE)
    # The base class goes right after the imports.
    first_class = re.search(r"^class ", source, re.MULTILINE)
    if first_class is None:
        return EMPTY_MODELS
    bases = _BASE_CLASS
    if _ROOT_CLASS.search(source):
        source = _ROOT_CLASS.sub(r"\1(_DeferredRoot[", source)
        source = _add_typing_import(source, "TypeVar")
        bases += _ROOT_BASE
    for name in sorted(models.aliases.keys() & set(_CLASS.findall(source))):
        del models.aliases[name]  # a class it made up for an inline schema has the name: left inline
    if models.aliases:
        bases += _aliases(models)
        source = _add_typing_import(_add_typing_import(source, "Literal"), "TypeAlias")
    source = _tidy_literals(_group_imports(source), models)
    first_class = re.search(r"^class ", source, re.MULTILINE)
    assert first_class is not None
    source = source[: first_class.start()].rstrip("\n") + "\n" + bases + "\n\n" + source[first_class.start() :]
    # Which schemas are classes was known before (model_set.predict_classes); a
    # datamodel-code-generator that decides otherwise would break the workflows' code.
    missing = sorted((models.defined or set()) - set(_CLASS.findall(source)))
    if missing:
        more = f" (nor of {len(missing) - 1} more)" if len(missing) > 1 else ""
        report.add(
            Diagnostic(
                Severity.ERROR,
                label,
                1,
                1,
                ("components", "schemas"),
                f"datamodel-code-generator made no class of schema {missing[0]!r}{more}, which the generated code refers to",
                "report it: this version of datamodel-code-generator folds models differently",
            )
        )
    for name in sorted(set(models.webhooks) - (models.defined or set())):
        report.add(
            Diagnostic(
                Severity.WARNING,
                label,
                1,
                1,
                ("webhooks",),
                f"webhook payload schema {name!r} is not an object, so it has no model class",
                "describe the payload as an object schema",
            )
        )
    return source


def _aliases(models: ModelSet) -> str:
    """The definitions of the Literal aliases (``ModelSet.aliases``), by name."""
    lines = [f"{name}: TypeAlias = {render(models.aliases[name].target)}" for name in sorted(models.aliases)]
    return "\n\n" + "\n\n".join(lines) + "\n"


_IMPORT_BLOCK = re.compile(r"^from __future__ import annotations\n((?:(?:from|import) [^\n]*\n|\n)*)", re.MULTILINE)


def _group_imports(source: str) -> str:
    """The imports after ``from __future__``: standard library, then third party, each
    group sorted and set off by a blank line (as isort and ruff want them)."""
    match = _IMPORT_BLOCK.search(source)
    if match is None:
        return source
    lines = [line for line in match.group(1).splitlines() if line]
    if any("(" in line for line in lines):
        return source  # not the one-line imports datamodel-code-generator writes
    stdlib = sorted(line for line in lines if line.split()[1].split(".")[0] in sys.stdlib_module_names)
    other = sorted(line for line in lines if line not in stdlib)
    groups = ["from __future__ import annotations"] + ["\n".join(group) for group in (stdlib, other) if group]
    return source[: match.start()] + "\n\n".join(groups) + "\n\n" + source[match.end() :].lstrip("\n")


_LITERAL = re.compile(r"\bLiteral\[")
_NEXT_LITERAL = re.compile(r"\s*\|\s*Literal\[")


def _tidy_literals(source: str, models: ModelSet) -> str:
    """Each ``Literal[...]`` without repeated members, and ``Literal[a] | Literal[b]`` as
    ``Literal[a, b]`` (an enum that lists a value twice, an enum in an anyOf); one with
    the members of an alias (``ModelSet.aliases``) is that alias's name."""
    out: list[str] = []
    at = 0
    while (match := _LITERAL.search(source, at)) is not None:
        try:
            unique, values, close = _literal_members(source, match.end())
        except (ValueError, SyntaxError, TypeError):  # "Literal[" in a docstring, say: left alone
            out.append(source[at : match.end()])
            at = match.end()
            continue
        alias = models.alias_for(lit(values)) if len(values) > ALIAS_THRESHOLD else None
        if alias is not None:
            out.append(source[at : match.start()] + alias.name)
        else:
            out.append(source[at : match.end()] + ", ".join(unique) + "]")
        at = close + 1
    return "".join(out) + source[at:]


def _literal_members(source: str, start: int) -> tuple[list[str], list[Scalar], int]:
    """The distinct members of the ``Literal[`` ending at ``start`` and of the ``| Literal[...]``
    right after it (as source and as values), and the index of the last closing bracket."""
    members: list[str] = []
    while True:
        close = _closing_bracket(source, start)
        members += _split_members(source[start:close])
        follow = _NEXT_LITERAL.match(source, close + 1)
        if follow is None:
            break
        start = follow.end()
    seen: set[tuple[type, object]] = set()
    unique: list[str] = []
    values: list[Scalar] = []
    for member in members:
        value = ast.literal_eval(member)
        if (type(value), value) not in seen:
            seen.add((type(value), value))
            unique.append(member)
            if isinstance(value, (str, int, bool)):
                values.append(value)
    return unique, values, close


def _closing_bracket(source: str, start: int) -> int:
    """The index of the ``]`` that closes the bracket opened just before ``start``."""
    depth, quote, index = 1, "", start
    while index < len(source):
        char = source[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError("unclosed bracket")


def _split_members(text: str) -> list[str]:
    """The comma-separated literals of a ``Literal[...]`` (commas inside strings kept)."""
    members: list[str] = []
    current, quote, index = "", "", 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                current += text[index : index + 2]
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ",":
            members.append(current.strip())
            current = ""
            index += 1
            continue
        current += char
        index += 1
    if current.strip():
        members.append(current.strip())
    return members


def _add_config_import(match: re.Match[str]) -> str:
    names = {n.strip() for n in match.group(1).strip("()").split(",") if n.strip()}
    names |= {"BaseModel", "ConfigDict"}
    return "from pydantic import " + ", ".join(sorted(names))


def _add_typing_import(source: str, name: str) -> str:
    match = re.search(r"^from typing import (.*)$", source, re.MULTILINE)
    if match is None:
        future = re.search(r"^from __future__ import .*\n", source, re.MULTILINE)
        at = future.end() if future else 0
        return source[:at] + f"from typing import {name}\n" + source[at:]
    names = {n.strip() for n in match.group(1).strip("()").split(",") if n.strip()} | {name}
    return source[: match.start()] + "from typing import " + ", ".join(sorted(names)) + source[match.end() :]
