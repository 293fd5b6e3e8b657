"""The YAML node tree ``arazzo-codegen upgrade`` edits (see upgrade): lookups by key,
the document's criteria, inputs and scalars, the ids a local source defines, and the
data the edited text must hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import JsonPath

# -- the document tree ---------------------------------------------------------------


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found: yaml.Node = v
                return found
    return None


def _seq_items(
    node: yaml.Node | None, keys: tuple[str, ...], base: JsonPath = ()
) -> Iterator[tuple[JsonPath, yaml.MappingNode]]:
    for key in keys:
        node = _get(node, key)
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            if isinstance(item, yaml.MappingNode):
                yield base + keys + (index,), item


def _map_items(node: yaml.Node | None, keys: tuple[str, ...]) -> Iterator[tuple[JsonPath, yaml.MappingNode]]:
    for key in keys:
        node = _get(node, key)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.MappingNode):
                yield keys + (k.value,), v


def _criteria(root: yaml.MappingNode) -> Iterator[tuple[JsonPath, yaml.MappingNode]]:
    """Every Criterion Object of the document (steps, actions, components)."""
    actions: list[tuple[JsonPath, yaml.MappingNode]] = []
    for wpath, workflow in _seq_items(root, ("workflows",)):
        for spath, step in _seq_items(workflow, ("steps",), wpath):
            yield from _seq_items(step, ("successCriteria",), spath)
            for kind in ("onSuccess", "onFailure"):
                actions += _seq_items(step, (kind,), spath)
        for kind in ("successActions", "failureActions"):
            actions += _seq_items(workflow, (kind,), wpath)
    for kind in ("successActions", "failureActions"):
        actions += _map_items(root, ("components", kind))
    for apath, action in actions:
        yield from _seq_items(action, ("criteria",), apath)


def _as_member(match: re.Match[str], declared: set[str]) -> str:
    """``$inputs.a.b.c`` -> ``$inputs.a#/b/c`` when ``a`` is a declared input and
    ``a.b.c`` is not (the longest declared head wins); else unchanged."""
    parts = match.group(1).split(".")
    if ".".join(parts) in declared:
        return match.group(0)
    for cut in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:cut]) in declared:
            pointer = "/".join(parts[cut:]) + (match.group(2) or "#")[1:]
            return f"$inputs.{'.'.join(parts[:cut])}#/{pointer}"
    return match.group(0)


def _ids_of(path: Path) -> set[str]:
    """The operationIds (OpenAPI) or workflowIds (Arazzo) of a local source, or nothing."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    found: set[str] = set()
    if not isinstance(data, dict):
        return found
    for workflow in data.get("workflows") or []:
        if isinstance(workflow, dict) and isinstance(workflow.get("workflowId"), str):
            found.add(workflow["workflowId"])
    for item in (data.get("paths") or {}).values() if isinstance(data.get("paths"), dict) else ():
        for operation in item.values() if isinstance(item, dict) else ():
            if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                found.add(operation["operationId"])
    return found


def _input_names(root: yaml.MappingNode, workflow: yaml.MappingNode) -> set[str]:
    """The names of a workflow's inputs (its inputs schema, or the components.inputs
    schema its ``$ref`` names)."""
    inputs = _get(workflow, "inputs")
    ref = _get(inputs, "$ref")
    if isinstance(ref, yaml.ScalarNode) and ref.value.startswith("#/components/inputs/"):
        inputs = _get(_get(_get(root, "components"), "inputs"), ref.value.rsplit("/", 1)[1])
    props = _get(inputs, "properties")
    if not isinstance(props, yaml.MappingNode):
        return set()
    return {k.value for k, _ in props.value if isinstance(k, yaml.ScalarNode)}


def _criterion_type(node: yaml.MappingNode) -> tuple[str, str | None]:
    kind = _get(node, "type")
    if isinstance(kind, yaml.ScalarNode):
        return kind.value, None
    if isinstance(kind, yaml.MappingNode):
        inner, version = _get(kind, "type"), _get(kind, "version")
        return (
            inner.value if isinstance(inner, yaml.ScalarNode) else "",
            version.value if isinstance(version, yaml.ScalarNode) else None,
        )
    return "simple", None


def _scalars(
    node: yaml.Node, path: JsonPath, skip: set[int] | None = None
) -> Iterator[tuple[JsonPath, yaml.ScalarNode]]:
    """Every scalar value (not inside ``x-`` extensions, nor inside the nodes ``skip`` names)."""
    if skip and id(node) in skip:
        return
    if isinstance(node, yaml.ScalarNode):
        yield path, node
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and not k.value.startswith("x-"):
                yield from _scalars(v, path + (k.value,), skip)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _scalars(item, path + (index,), skip)


def _all_mappings(node: yaml.Node, path: JsonPath) -> Iterator[tuple[JsonPath, yaml.MappingNode]]:
    """Every mapping of the document with its path (not inside ``x-`` extensions)."""
    if isinstance(node, yaml.MappingNode):
        yield path, node
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and not k.value.startswith("x-"):
                yield from _all_mappings(v, path + (k.value,))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _all_mappings(item, path + (index,))


def _expected(root: yaml.Node, values: dict[int, str]) -> Any:
    """The document's data with the edited scalars replaced (what the new text must hold)."""
    loader = yaml.SafeLoader("")
    try:

        def build(node: yaml.Node) -> Any:
            if isinstance(node, yaml.ScalarNode):
                return values[id(node)] if id(node) in values else loader.construct_object(node, deep=True)
            if isinstance(node, yaml.SequenceNode):
                return [build(item) for item in node.value]
            assert isinstance(node, yaml.MappingNode)
            return {loader.construct_object(k, deep=True): build(v) for k, v in node.value}

        return build(root)
    finally:
        loader.dispose()


def _render(node: yaml.ScalarNode, value: str, *, json_file: bool, force_quotes: bool) -> str:
    if json_file or node.style == '"':
        return json.dumps(value, ensure_ascii=False)
    if node.style is None and not force_quotes:
        return value  # plain stays plain when it reads back the same (checked by apply)
    return "'" + value.replace("'", "''") + "'"
