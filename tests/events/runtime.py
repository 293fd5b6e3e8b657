"""Write the generated runtime (``_runtime/``: the parts' copies and the ``__init__``
that re-exports them) with chosen optional parts into a temporary package and import
it, as a generated package would have it.

``load_runtime(tmp_path, ("events", "events_webhook"))`` returns the imported module
(the parts analysis gives a package with event steps); the same parts are rendered and
imported once per process (helper fixtures for the broker adapters pass
``("events", "events_mqtt")`` and so on).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from arazzo_codegen.emit_code import render_template
from arazzo_codegen.formatting import format_sources
from arazzo_codegen.runtime_files import RUNTIME_INIT, runtime_files, runtime_parts

_LOADED: dict[tuple[str, ...], ModuleType] = {}


def runtime_sources(parts: tuple[str, ...]) -> dict[str, str]:
    """``_runtime/<file>`` -> text, as a package with the optional runtime ``parts`` has them."""
    chosen = runtime_parts(parts)
    init = render_template("_runtime_init.py.jinja", parts=chosen)
    return {**format_sources({RUNTIME_INIT: init}), **runtime_files(parts)}


def render_runtime(parts: tuple[str, ...]) -> str:
    """Every file of the runtime with the optional runtime ``parts``, as one text."""
    return "\n".join(text for _, text in sorted(runtime_sources(parts).items()))


def write_runtime_package(directory: Path, name: str, parts: tuple[str, ...]) -> Path:
    """A package ``name`` in ``directory`` holding only ``_runtime/`` (and py.typed)."""
    package = directory / name
    (package / "_runtime").mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text('"""Runtime under test."""\n', encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
    for file, text in runtime_sources(parts).items():
        (package / file).write_text(text, encoding="utf-8")
    return package


def load_runtime(tmp_path: Path, parts: tuple[str, ...] = ("events", "events_webhook")) -> ModuleType:
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
