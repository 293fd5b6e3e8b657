"""The compiled JSONPath code of generator/jsonpath_py.py, run as a workflow runs it:
over the runtime's jsonpath helpers (generator/runtime/jsonpath.py, select.py)."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

from arazzo_codegen.ir import nodes as n
from arazzo_codegen.ir import printer
from arazzo_codegen.jsonpath_py import compile_criterion, compile_locator, compile_nodes


@functools.lru_cache(maxsize=1)
def runtime() -> SimpleNamespace:
    """The runtime parts the compiled code calls (as pkg/_runtime/__init__.py re-exports them)."""
    from arazzo_codegen.runtime import jsonpath, jsonpath_nodes, select
    from arazzo_codegen.runtime_files import part_exports

    modules = (jsonpath, jsonpath_nodes, select)
    return SimpleNamespace(
        **{
            name: getattr(module, name)
            for module in modules
            for name in part_exports(module.__name__.rsplit(".", 1)[1])
        }
    )


def text(node: n.Expr) -> str:
    """The Python text of compiled code, as the printer writes it into a workflow."""
    return printer.expr(node, printer.SYNC)


def run(source: str | n.Expr, **names: Any) -> Any:
    source = source if isinstance(source, str) else text(source)
    return eval(compile(source, "<compiled>", "eval"), {"_runtime": runtime(), **names})  # noqa: S307 - the generator's own output


def query(document: Any, query_text: str, *, goessner: bool = False) -> list[Any]:
    """The nodelist ``text`` selects from ``document`` (the root), by the compiled code."""
    return list(run(compile_nodes(query_text, n.Name("doc"), goessner=goessner), doc=document))


def criterion(value: Any, query_text: str, *, goessner: bool = False) -> bool:
    """An Arazzo 1.0 jsonpath criterion (the context wrapped in an array), compiled."""
    return bool(run(compile_criterion(query_text, n.Name("ctx"), goessner=goessner), ctx=value))


def replace(document: Any, target: str, value: Any) -> Any:
    """A payload with a compiled JSONPath replacement target set."""
    return runtime().replace_selected(document, [(run(compile_locator(target)), value)])
