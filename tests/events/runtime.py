"""Render the generated runtime module (``_runtime.py``) with chosen optional parts
into a temporary package and import it, as a generated package would have it.

``load_runtime(tmp_path, ("events",))`` returns the imported module; the same parts
are rendered and imported once per process (helper fixtures for the broker adapters
pass ``("events", "events_mqtt")`` and so on).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

from arazzo_codegen.emit_code import render_template
from arazzo_codegen.formatting import format_sources

_LOADED: dict[tuple[str, ...], ModuleType] = {}


def render_runtime(parts: tuple[str, ...]) -> str:
    """The black-formatted ``_runtime.py`` with the optional runtime ``parts``."""
    source = render_template("_runtime.py.jinja", plan=SimpleNamespace(runtime_parts=tuple(parts)))
    return format_sources({"_runtime.py": source})["_runtime.py"]


def write_runtime_package(directory: Path, name: str, parts: tuple[str, ...]) -> Path:
    """A package ``name`` in ``directory`` holding only ``_runtime.py`` (and py.typed)."""
    package = directory / name
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text('"""Runtime under test."""\n', encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
    (package / "_runtime.py").write_text(render_runtime(parts), encoding="utf-8")
    return package


def load_runtime(tmp_path: Path, parts: tuple[str, ...] = ("events",)) -> ModuleType:
    """The runtime module rendered with ``parts``, imported from a package under
    ``tmp_path`` (once per process for the same parts)."""
    key = tuple(parts)
    if key in _LOADED:
        return _LOADED[key]
    name = "evrt_" + "_".join(part for part in key) if key else "evrt_base"
    write_runtime_package(tmp_path, name, key)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module(f"{name}._runtime")
    finally:
        sys.path.remove(str(tmp_path))
    _LOADED[key] = module
    return module
