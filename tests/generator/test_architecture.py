"""ARCHITECTURE.md stays true: its module inventory lists every module of generator/ and
every template, no more and no less, each with what it is."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "ARCHITECTURE.md"
ROW = re.compile(r"^\| `(?P<path>[^`]+)` \| (?P<what>.*) \|$")


def _inventory() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Module inventory\n", 1)[1]
    return {m["path"]: m["what"].strip() for line in section.splitlines() if (m := ROW.match(line))}


def _modules() -> set[str]:
    found = {p.relative_to(ROOT).as_posix() for p in (ROOT / "generator").rglob("*.py") if "__pycache__" not in p.parts}
    found |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.jinja")}
    return found


def test_the_inventory_lists_every_module_and_nothing_else() -> None:
    listed, actual = set(_inventory()), _modules()
    assert sorted(actual - listed) == [], "modules missing from ARCHITECTURE.md's inventory"
    assert sorted(listed - actual) == [], "ARCHITECTURE.md lists modules that do not exist"


def test_every_listed_module_says_what_it_is() -> None:
    assert [path for path, what in _inventory().items() if len(what) < 10] == []


def test_the_names_the_document_gives_the_ir_exist() -> None:
    """The IR section names these; a rename must update the document."""
    from arazzo_codegen.ir import nodes, printer, types

    text = DOC.read_text(encoding="utf-8")
    for name in ("Named", "Lit", "ListOf", "DictOf", "ModelRef", "Alias", "AnyType", "NoneType", "Union"):
        assert f"`{name}`" in text and hasattr(types, name), name
    for name in ("Call", "Compare", "BoolOp", "Not", "ListComp", "Assign", "If", "While", "Match", "With", "Return", "Raise"):
        assert f"`{name}`" in text and hasattr(nodes, name), name
    for name in ("SYNC", "ASYNC", "negate", "statements"):
        assert f"`{name}" in text and hasattr(printer, name), name
