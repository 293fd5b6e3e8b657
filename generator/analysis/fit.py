"""Does a value's type fit where another is declared (over type texts)."""

from __future__ import annotations

import ast

from ..schemas import PyType


def _bare(text: str) -> str:
    return text[: -len(" | None")] if text.endswith(" | None") else text


def _literal_members(text: str) -> list[str] | None:
    if not (text.startswith("Literal[") and text.endswith("]")):
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Subscript):
        return None
    elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [ast.unparse(e) for e in elements]


def _scalar_of(member: str) -> str:
    if member in ("True", "False"):
        return "bool"
    if member[:1] in ("'", '"'):
        return "str"
    return "int"


def _fits(value: PyType, target: PyType) -> bool:
    """Whether mypy accepts a value of type ``value`` where ``target`` is declared
    (None is handled apart: see WorkflowAnalyzer.argument).  Conservative: False
    when unsure."""
    v, t = _bare(value.text), _bare(target.text)
    if v == t or "Any" in (v, t):
        return True
    if (v, t) in (("int", "float"), ("bool", "int"), ("bool", "float")):
        return True
    members = _literal_members(v)
    if members is None:
        return False
    wanted = _literal_members(t)
    if wanted is not None:
        return set(members) <= set(wanted)
    return all(_scalar_of(m) == t or (t == "float" and _scalar_of(m) == "int") for m in members)
