"""The runtime files a generated package carries: ``_runtime/<part>.py``, a byte-for-byte
copy of ``arazzo_codegen.runtime.<part>`` (generator/runtime/), for every part its
workflows use and the parts those import; ``_runtime/__init__.py`` (rendered by
templates/_runtime_init.py.jinja) re-exports each part's names, one ``from .part import
name as name`` each (an explicit re-export, which mypy --strict and ruff accept).

Standard library only: the ``check`` fast path (write.package_status) uses it to see
that a package's part files are intact without building anything.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: The directory of the runtime in a generated package.
RUNTIME_DIR = "_runtime"
#: Its ``__init__.py`` (the one runtime file that is rendered and stamped).
RUNTIME_INIT = f"{RUNTIME_DIR}/__init__.py"
#: The parts every package carries; the others are added where a workflow uses them.
ALWAYS = ("aionet", "body", "core", "errors", "observe", "redact", "run", "transport", "values", "wire")
_PART_IMPORT = re.compile(r"^\s*from \.(\w+) import ", re.MULTILINE)


@dataclass(frozen=True)
class Part:
    """One runtime part as the package ``__init__`` re-exports it."""

    name: str
    exports: tuple[str, ...]  # part_exports, in isort's order


def runtime_dir() -> Path:
    """generator/runtime/ (``arazzo_codegen/runtime`` when installed)."""
    return Path(__file__).resolve().parent / "runtime"


def is_part_file(name: str) -> bool:
    """Whether ``name`` (relative to the package directory) is a copied runtime part."""
    return name.startswith(RUNTIME_DIR + "/") and name != RUNTIME_INIT and name.endswith(".py")


def part_file(part: str) -> str:
    """The name of a part's copy, relative to the package directory."""
    return f"{RUNTIME_DIR}/{part}.py"


def known_part(part: str) -> bool:
    return part.isidentifier() and not part.startswith("_") and (runtime_dir() / f"{part}.py").is_file()


@cache
def part_source(part: str) -> str:
    """The text of ``generator/runtime/<part>.py``: what a package's copy must be."""
    if not known_part(part):
        raise KeyError(f"no runtime part {part!r}")
    with open(runtime_dir() / f"{part}.py", encoding="utf-8", newline="") as handle:
        return handle.read()


def part_imports(part: str) -> tuple[str, ...]:
    """The other parts ``part`` imports (``from .x import ...``), sorted."""
    return tuple(sorted(set(_PART_IMPORT.findall(part_source(part))) - {part}))


def parts_needed(used: Iterable[str]) -> tuple[str, ...]:
    """The parts a package carries: ``ALWAYS``, ``used`` and everything those import, sorted."""
    pending = [*ALWAYS, *used]
    seen: set[str] = set()
    while pending:
        part = pending.pop()
        if part not in seen:
            seen.add(part)
            pending.extend(part_imports(part))
    return tuple(sorted(seen))


@cache
def part_exports(part: str) -> tuple[str, ...]:
    """The names a part exports, in order: its ``__all__`` when it has one (a literal list:
    observe and redact, which export names starting with ``_``), else every name its
    module body defines (``def``, ``class``, assignment) that does not start with ``_``."""
    body = ast.parse(part_source(part)).body
    defined: list[str] = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if "__all__" in names:
                exports = ast.literal_eval(node.value) if node.value is not None else None
                if not (isinstance(exports, list) and all(isinstance(n, str) for n in exports)):
                    raise ValueError(f"runtime part {part!r}: __all__ is not a literal list of names")
                return tuple(exports)
            defined.extend(names)
    return tuple(dict.fromkeys(name for name in defined if not name.startswith("_")))


def runtime_parts(used: Iterable[str]) -> tuple[Part, ...]:
    """What ``_runtime/__init__.py`` imports: every part a package carries, with its
    exports in the order isort gives imported names."""
    parts = (Part(name, tuple(sorted(part_exports(name), key=import_order))) for name in parts_needed(used))
    return tuple(
        part for part in parts if part.exports
    )  # a part with none (body) is shipped for the parts importing it


def unshipped_names(sources: Iterable[str], used: Iterable[str]) -> tuple[str, ...]:
    """The names that ``sources`` (the package's generated modules, as Python text) take
    from its runtime (``_runtime.<name>`` and ``from ._runtime import <name>``; not text in
    strings or comments) and no part of those ``used`` exports, sorted: a part analysis
    forgot to ask for."""
    taken: set[str] = set()
    for node in (node for text in sources for node in ast.walk(ast.parse(text))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == RUNTIME_DIR:
            taken.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module == RUNTIME_DIR:
            taken.update(alias.name for alias in node.names)
    return tuple(sorted(taken - {name for part in parts_needed(used) for name in part_exports(part)}))


def _kind(name: str) -> int:
    """0 for a CONSTANT, 1 for a Class, 2 for anything else (as isort and ruff tell them apart)."""
    if len(name) > 1 and name.isupper():
        return 0
    return 1 if name[:1].isupper() else 2


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(piece)) if piece.isdigit() else (1, piece) for piece in re.split(r"(\d+)", text) if piece)


def import_order(name: str) -> tuple[int, tuple[tuple[int, int | str], ...], str]:
    """isort's order of the names of one ``from x import ...`` (order-by-type, case-insensitive)."""
    return _kind(name), _natural(name.lower()), name


def runtime_files(used: Iterable[str]) -> dict[str, str]:
    """Name (relative to the package directory) -> text, for each part's copy."""
    return {part_file(name): part_source(name) for name in parts_needed(used)}


def imported_parts(init_source: str) -> tuple[str, ...]:
    """The parts a package's ``_runtime/__init__.py`` imports."""
    return tuple(sorted(set(_PART_IMPORT.findall(init_source))))


def shipped_parts(init_source: str) -> tuple[str, ...]:
    """The parts whose copies a package with this ``_runtime/__init__.py`` must hold: those
    it imports and the parts they import (as this generator's parts import them)."""
    return parts_needed(part for part in imported_parts(init_source) if known_part(part))
