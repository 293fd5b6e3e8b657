"""An override of the Arazzo 1.1 schema for parameter values (CHANGES-1.1 Appendix B 5,
OAI/Arazzo-Specification#559).

The 1.1 text lets a parameter value be any constant; the 1.1 JSON Schema, since
Selector Objects came, takes no object but a Selector Object.  A plain mapping as a
parameter value is therefore accepted as written, with a warning that other 1.1
tools may refuse it.  (An object with a ``selector`` is meant as a Selector Object:
its defects stay errors, see v11_schema.)  The vendored schema stays byte-identical.
"""

from __future__ import annotations

from typing import Any

from .diagnostics import JsonPath, Severity
from .v11_schema import selector_defects

Finding = tuple[JsonPath, str, "str | None", Severity]


def _at(data: Any, path: JsonPath) -> Any:
    node = data
    for key in path:
        if isinstance(node, dict) and key in node:  # noqa: SIM114 - two branches, so mypy narrows the key of each
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def plain_mapping_value(data: Any, path: JsonPath, messages: list[str]) -> list[Finding] | None:
    """The warning that replaces the schema's findings at a parameter value that is a
    plain mapping, or None when ``path`` is something else.  A parameter or
    replacement value with a ``selector`` gets the Selector Object's defects."""
    value = _at(data, path)
    if (
        len(path) < 3
        or path[-3] not in ("parameters", "replacements")
        or path[-1] != "value"
        or not isinstance(value, dict)
    ):
        return None
    if "selector" in value:
        defects = selector_defects(value, path)
        return [(at, message, hint, Severity.ERROR) for at, message, hint in defects] or None
    if path[-3] != "parameters":
        return None
    if not messages or not all("found object" in m for m in messages):
        return None
    return [
        (
            path,
            "a mapping as a parameter value: the Arazzo 1.1 text allows any constant, but its JSON Schema takes no object but a Selector Object (OAI/Arazzo-Specification#559); it is sent as written",
            "other Arazzo 1.1 tools may refuse it: a JSON text string or a runtime expression is valid for both",
            Severity.WARNING,
        )
    ]
