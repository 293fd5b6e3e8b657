"""The stricter runtime-expression grammar of Arazzo 1.1 (CHANGES-1.1 section 26),
applied to 1.1 documents only; a 1.0 document keeps the 1.0 grammar.

Each expression is parsed by the 1.0 parser (generator/expressions.py), which the
1.1 grammar narrows; what 1.1 no longer allows is reported here with a hint:

* input and output names are identifiers, ``[A-Za-z0-9._-]+``;
* a dot is part of the name: ``$inputs.a.b`` is the input named ``a.b``, not member
  ``b`` of input ``a`` (1.0 documents keep reading it as the member);
* a JSON pointer token may not contain ``{`` or ``}``;
* ``$components.`` is followed by parameters, successActions or failureActions only
  (``components.inputs`` are reached with ``$ref``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import expressions as ex
from .diagnostics import JsonPath

if TYPE_CHECKING:
    from .analysis.context import ExprContext
    from .resolve import Resolved

_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")


def check(ctx: ExprContext, node: ex.RuntimeExpr, at: JsonPath) -> bool:
    """Report what the 1.1 grammar refuses in ``node`` (a 1.1 document's expression);
    True when nothing more can be said about it (the caller compiles it to None)."""
    shown = ex.to_source(node)
    name = getattr(node, "name", None)
    if isinstance(node, (ex.Input, ex.Output, ex.StepOutput, ex.WorkflowInput, ex.WorkflowOutput)) and isinstance(
        name, str
    ):
        if not _IDENTIFIER.match(name):
            bad = next(c for c in name if not (c.isascii() and (c.isalnum() or c in "._-")))
            ctx.error(
                at,
                f"{shown}: in Arazzo 1.1 a name is letters, digits, '.', '-' and '_' only, not {bad!r}",
                "rename it (the 1.1 grammar has no escape); an Arazzo 1.0 document accepts it",
            )
        elif (
            isinstance(node, ex.Input)
            and "." in name
            and name not in ctx.wf.inputs
            and name.split(".")[0] in ctx.wf.inputs
        ):
            head, *rest = name.split(".")
            suggested = "#/" + "/".join(rest) + "".join("/" + t for t in (node.pointer or ()))
            ctx.error(
                at,
                f"{shown}: in Arazzo 1.1 a dot is part of the name, so this is the input {name!r}, which the workflow does not declare",
                f"to read member {rest[-1]!r} of input {head!r} write '$inputs.{head}{suggested}'",
            )
    pointer = getattr(node, "pointer", None)
    if pointer and any("{" in t or "}" in t for t in pointer):
        ctx.error(
            at,
            f"{shown}: in Arazzo 1.1 a JSON pointer may not contain '{{' or '}}'",
            "the 1.1 grammar has no escape for braces: read that member with a Selector Object (type: jsonpointer), or in an Arazzo 1.0 document",
        )
    if isinstance(node, ex.ComponentRef) and node.kind == "inputs":
        ctx.error(
            at,
            f"{shown}: Arazzo 1.1 has no $components.inputs expression",
            f"reference the schema with $ref: '#/components/inputs/{node.name}' in the workflow's inputs",
        )
        return True
    if isinstance(node, ex.SourceDescriptionRef) and ("{" in node.field or "}" in node.field):
        ctx.error(
            at,
            f"{shown}: in Arazzo 1.1 a source description reference may not contain '{{' or '}}'",
            "name the operationId, workflowId or field without braces",
        )
    return False


def source_description(doc: Resolved, node: ex.SourceDescriptionRef, operations: Mapping[str, object]) -> str | None:
    """``$sourceDescriptions.<name>.<ref>`` in a 1.1 document (CHANGES-1.1 section 28):
    an operationId (an OpenAPI source) or workflowId (an Arazzo source) first; only
    when none matches, a field of the Source Description Object (url, type, name, x-...).
    None: neither (the caller reports it as in 1.0)."""
    linked = doc.linked.get(node.source)
    if node.field in operations or (linked is not None and node.field in linked.workflow_ids()):
        return node.field
    if node.field == "url":
        return doc.source_urls.get(node.source)
    for desc in doc.arazzo.data.get("sourceDescriptions") or []:
        if isinstance(desc, dict) and desc.get("name") == node.source and isinstance(desc.get(node.field), str):
            return str(desc[node.field])
    return None
