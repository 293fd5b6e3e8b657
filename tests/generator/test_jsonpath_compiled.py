"""Differential tests: JSONPath criteria compiled to plain Python (generator/jsonpath_py.py)
against the runtime's general evaluator (generator/runtime/jsonpath.py).

Every jsonpath condition of the conformance suite and of specs/, plus the queries
below, is compiled; each one that compiles must give the evaluator's answer on every
document of DOCUMENTS (objects with and without the member, null, booleans against
numbers, int against float, strings that differ in case, nested arrays, non-objects).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from arazzo_codegen.analyze import _JSONPATH_QUIRK
from arazzo_codegen.expressions import runtime_part
from arazzo_codegen.jsonpath_py import compile_jsonpath_test

ROOT = Path(__file__).resolve().parents[2]
PART = runtime_part("jsonpath")
RUNTIME = SimpleNamespace(**{k: v for k, v in PART.items() if not k.startswith("__")})

EXTRA = [
    "$[?@.status == 'ended']",
    "$[?@.status != 'ended']",
    "$[?@.status == 'ended' && @.cost > 0]",
    "$[?@.status == 'ended' || @.status == 'failed']",
    "$[?!(@.status == 'queued')]",
    "$[?@.id]",
    "$[?!@.id]",
    "$[?@.cost >= 0.5]",
    "$[?@.cost < 1]",
    "$[?@.cost <= 1.0]",
    "$[?@.count == 2]",
    "$[?@.count == 2.0]",
    "$[?@.ok == true]",
    "$[?@.ok != false]",
    "$[?@.gone == null]",
    "$[?@.items[0].price < 10]",
    "$[?@.items[-1].name == 'b']",
    "$[?@.a.b.c == 'deep']",
    "$[?@['odd key'] == 1]",
    "$[?@ == 'plain']",
    "$[?@.status == @.previous]",
    "$[?'ended' == @.status]",
    "$[?@.name > 'm']",
]
#: Queries outside the compiled subset (the evaluator runs them).
NOT_COMPILED = [
    "$[0].items[?@.price < 10]",
    "$[?count(@.items[*]) == 2]",
    "$[?length(@.title) > 0]",
    "$[?match(@.status, 'end.*')]",
    "$..status",
    "$[?@.items[*]]",
    "$[?$[0].status == 'ended']",
    "$[*]",
    "$[0]",
]
DOCUMENTS: list[Any] = [
    {"status": "ended", "cost": 0.1234, "id": "c-1"},
    {"status": "Ended"},
    {"status": "failed", "previous": "failed"},
    {"status": "queued", "previous": "ended", "id": None},
    {"status": None, "gone": None},
    {"status": True, "ok": True, "count": 2},
    {"count": 2.0, "ok": False, "cost": 1},
    {"count": True, "ok": 1, "cost": 0.5},
    {"items": [{"price": 5, "name": "a"}, {"price": 12, "name": "b"}]},
    {"items": []},
    {"items": {"0": {"price": 1}}},
    {"a": {"b": {"c": "deep"}}},
    {"a": {"b": ["deep"]}},
    {"odd key": 1, "name": "zed"},
    {"odd key": "1", "name": "abe"},
    {},
    [],
    [{"status": "ended"}],
    "plain",
    "ended",
    None,
    0,
    1.5,
    True,
]


def corpus() -> list[str]:
    """Every jsonpath condition in the conformance suite and specs/, plus EXTRA."""
    found: list[str] = []
    for path in sorted(itertools.chain((ROOT / "tests" / "conformance").rglob("*.yaml"), (ROOT / "specs").rglob("*.y*ml"))):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        stack = [document]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                kind = node.get("type")
                kind = kind.get("type") if isinstance(kind, dict) else kind
                if kind == "jsonpath" and isinstance(node.get("condition"), str):
                    query = node["condition"].strip()
                    quirk = _JSONPATH_QUIRK.match(query)  # "$.status == 'x'": the generator's rewrite
                    found.append(f"$[?@{quirk.group(1)} {quirk.group(2)} {quirk.group(3).strip()}]" if quirk else query)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return sorted(set(found)) + EXTRA


def well_formed(query: str) -> bool:
    try:
        PART["jsonpath_parse"](query)
    except PART["JsonPathError"]:
        return False
    return True


def compiled_test(query: str) -> Any:
    source = compile_jsonpath_test(query, "ctx")
    if source is None:
        return None
    code = compile(source, f"<compiled {query}>", "eval")
    return lambda value: eval(code, {"_runtime": RUNTIME}, {"ctx": value})  # noqa: S307 - the generator's own output


# Malformed queries (the bad-input catalogue's) never reach the compiler: the generator
# reports them first (tests/bad/test_bad_inputs.py), so they are left out here.
@pytest.mark.parametrize("query", [query for query in corpus() if well_formed(query)])
def test_compiled_criteria_agree_with_the_evaluator(query: str) -> None:
    test = compiled_test(query)
    if test is None:
        assert query not in EXTRA, "every EXTRA query is in the compiled subset"
        return
    for document in DOCUMENTS:
        expected = PART["jsonpath_test"](document, query)
        assert test(document) is expected, (query, document)


def test_the_corpus_covers_both_kinds() -> None:
    queries = corpus()
    assert "$[?@.status == 'ended']" in queries  # the conformance suite's own
    assert sum(compiled_test(q) is not None for q in queries if well_formed(q)) > len(EXTRA)
    for query in EXTRA:  # each is true for some document and false for another
        answers = {PART["jsonpath_test"](d, query) for d in DOCUMENTS}
        assert answers == {True, False}, query


@pytest.mark.parametrize("query", NOT_COMPILED)
def test_queries_outside_the_subset_are_left_to_the_evaluator(query: str) -> None:
    PART["jsonpath_parse"](query)  # well-formed
    assert compile_jsonpath_test(query, "ctx") is None


def test_goessner_queries_and_a_repeated_computed_context_are_not_compiled() -> None:
    assert compile_jsonpath_test("$[?@.status == 'ended']", "ctx", goessner=True) is None
    # Computed once: fine; it would be computed twice: the evaluator runs it.
    assert compile_jsonpath_test("$[?@.status == 'ended']", "_runtime.pointer(_body, '/data')") is not None
    assert compile_jsonpath_test("$[?@.a == 1 && @.b == 2]", "_runtime.pointer(_body, '/data')") is None
    assert compile_jsonpath_test("$[?@.a == 1 && @.b == 2]", "_body") is not None


def test_the_compiled_form_reads_plainly() -> None:
    assert compile_jsonpath_test("$[?@.status == 'ended']", "_body") == '_runtime.jp_equal(_runtime.jp_member(_body, "status"), "ended")'
    assert compile_jsonpath_test("$[?@.items[0].price < 10]", "_body") == '_runtime.jp_compare("<", _runtime.jp_member(_body, "items", 0, "price"), 10)'
