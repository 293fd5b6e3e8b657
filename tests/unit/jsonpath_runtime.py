"""The compiled JSONPath code of generator/jsonpath_py.py, run as a workflow runs it:
over the runtime's jsonpath helpers (templates/runtime/jsonpath.py.jinja, select.py.jinja)."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from arazzo_codegen.jsonpath_py import compile_criterion, compile_locator, compile_nodes
from arazzo_codegen.paths import templates_dir


@functools.lru_cache(maxsize=1)
def runtime() -> SimpleNamespace:
    """The helpers of the jsonpath and select parts (and replace_pointer, which select calls)."""
    namespace: dict[str, Any] = {"__name__": "jsonpath_runtime", "Any": Any, "Callable": Callable, "Sequence": Sequence, "copy": copy, "functools": functools, "json": json, "re": re}
    for part in ("jsonpath", "select"):
        source = (templates_dir() / "runtime" / f"{part}.py.jinja").read_text(encoding="utf-8")
        exec(compile("from __future__ import annotations\n" + source, f"{part}.py.jinja", "exec"), namespace)  # noqa: S102 - the generator's own runtime

    def replace_pointer(document: Any, replacements: Sequence[tuple[str, Any]]) -> Any:
        raise AssertionError("only JSONPath targets here")

    namespace.setdefault("replace_pointer", replace_pointer)
    return SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def run(source: str, **names: Any) -> Any:
    return eval(compile(source, "<compiled>", "eval"), {"_runtime": runtime(), **names})  # noqa: S307 - the generator's own output


def query(document: Any, text: str, *, goessner: bool = False) -> list[Any]:
    """The nodelist ``text`` selects from ``document`` (the root), by the compiled code."""
    return list(run(compile_nodes(text, "doc", goessner=goessner), doc=document))


def criterion(value: Any, text: str, *, goessner: bool = False) -> bool:
    """An Arazzo 1.0 jsonpath criterion (the context wrapped in an array), compiled."""
    return bool(run(compile_criterion(text, "ctx", goessner=goessner), ctx=value))


def replace(document: Any, target: str, value: Any) -> Any:
    """A payload with a compiled JSONPath replacement target set."""
    return runtime().replace_selected(document, [(run(compile_locator(target)), value)])
