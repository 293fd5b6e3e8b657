"""Differential tests: JSONPath queries compiled to plain Python (generator/jsonpath_py.py)
against the evaluator of the library that parses them (jsonpath-rfc9535, the test-time
oracle; no JSONPath evaluator ships in a generated package).

Every jsonpath condition, selector and replacement target of tests/ and specs/, the
queries below and the RFC 9535 examples are compiled; each must give the library's
answer on every document of DOCUMENTS (objects with and without the member, null,
booleans against numbers, int against float, strings that differ in case, nested
arrays, non-objects).  Hypothesis then generates queries and documents at random.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import jsonpath_rfc9535 as library
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from arazzo_codegen.analysis.common import _JSONPATH_QUIRK
from arazzo_codegen.expressions import ExpressionError
from arazzo_codegen.jsonpath_parse import check
from arazzo_codegen.ir import nodes as n
from arazzo_codegen.jsonpath_py import compile_criterion, compile_criterion_1_1, compile_locator, compile_nodes, compile_selector
from arazzo_codegen.runtime import jsonpath as jsonpath_module

from . import jsonpath_runtime
from .test_expressions import BOOKSTORE, FILTER_DOC, RFC_BOOKSTORE, RFC_FILTERS

ROOT = Path(__file__).resolve().parents[2]
GOESSNER = "draft-goessner-dispatch-jsonpath-00"

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
    "$[0].items[?@.price < 10]",
    "$[?count(@.items[*]) == 2]",
    "$[?length(@.title) > 0]",
    "$[?length(@.status) == 5]",
    "$[?match(@.status, 'end.*')]",
    "$[?search(@.status, '[dD]')]",
    "$[?value(@..price) == 5]",
    "$..status",
    "$..[?@.price > 6]",
    "$[?@.items[*]]",
    "$[?$[0].status == 'ended']",
    "$[*]",
    "$[0]",
    "$[1]",
    "$[-1]",
    "$[0:1]",
    "$[1:]",
    "$.status",
    "$",
    "$[0]['status', 'id']",
    "$[0].items[1:]",
    "$[0].items[::-1].price",
    "$[0].*",
    "$[?@.status == 'ended' && (@.cost > 0 || !@.id)]",
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
    {"odd key": 1, "name": "zed", "title": ""},
    {"odd key": "1", "name": "abe", "title": "t"},
    {},
    [],
    [{"status": "ended"}],
    [1, [2, {"price": 7}], {"status": "end\nd"}],
    "plain",
    "ended",
    None,
    0,
    1.5,
    True,
    BOOKSTORE,
    FILTER_DOC,
]


def _documents_with_jsonpath() -> list[Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found = []
    for path in sorted(itertools.chain((ROOT / "tests").rglob("*.y*ml"), (ROOT / "specs").rglob("*.y*ml"))):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "jsonpath" not in text:
            continue
        try:
            found.append(yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            continue
    return found


def _corpus() -> tuple[list[tuple[str, bool]], list[tuple[str, bool]], list[str]]:
    """(criteria conditions, selectors, replacement targets) of tests/ and specs/:
    each query with whether it is Goessner's."""
    conditions: set[tuple[str, bool]] = set()
    selectors: set[tuple[str, bool]] = set()
    targets: set[str] = set()
    stack = _documents_with_jsonpath()
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("type")
            version = kind.get("version") if isinstance(kind, dict) else None
            kind = kind.get("type") if isinstance(kind, dict) else kind
            if kind == "jsonpath" and isinstance(node.get("condition"), str) and "{$" not in node["condition"]:
                query = node["condition"].strip()
                quirk = _JSONPATH_QUIRK.match(query)  # "$.status == 'x'": the generator's rewrite
                conditions.add((f"$[?@{quirk.group(1)} {quirk.group(2)} {quirk.group(3).strip()}]" if quirk else query, version == GOESSNER))
            if kind == "jsonpath" and isinstance(node.get("selector"), str):
                selectors.add((node["selector"], version == GOESSNER))
            if node.get("targetSelectorType") == "jsonpath" and isinstance(node.get("target"), str):
                targets.add(node["target"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(conditions), sorted(selectors), sorted(targets)


CONDITIONS, SELECTORS, TARGETS = _corpus()
RFC_QUERIES = [query for query, _ in RFC_BOOKSTORE + RFC_FILTERS]


def well_formed(query: str, goessner: bool = False) -> bool:
    try:
        check(query, goessner=goessner)
    except ExpressionError:
        return False
    return True


def oracle_query(query: str) -> bool:
    """Whether the library's own evaluator means what the compiled query means (not
    so for Goessner's .length and script indexes, which RFC 9535 does not have)."""
    return well_formed(query) and "length" not in query.replace("length(", "")


def same(a: Any, b: Any) -> bool:
    """Equal as JSON texts: true is not 1, 1 is not 1.0."""
    return json.dumps(a) == json.dumps(b)


def expected_nodes(query: str, document: Any) -> list[Any]:
    return [node.value for node in library.find(query, document)]


# -- the queries of tests/ and specs/ ----------------------------------------------------


def test_the_corpus_is_found() -> None:
    assert ("$[?@.status == 'ended']", False) in CONDITIONS  # the conformance suite's own
    assert any(goessner for _, goessner in CONDITIONS)
    assert SELECTORS and TARGETS
    assert len(CONDITIONS) + len(SELECTORS) + len(TARGETS) > 20


# Malformed queries (the bad-input catalogue's) never reach the compiler: the generator
# reports them first (tests/bad/test_bad_inputs.py), so they are left out here.
@pytest.mark.parametrize("query", sorted({q for q, _ in CONDITIONS if oracle_query(q)} | set(EXTRA) | set(RFC_QUERIES)))
def test_compiled_criteria_agree_with_the_library(query: str) -> None:
    source = jsonpath_runtime.text(compile_criterion(query, n.Name("ctx")))
    assert "jsonpath_test" not in source
    for document in DOCUMENTS:
        expected = bool(library.find(query, [document]))  # 1.0: the context, wrapped
        assert jsonpath_runtime.criterion(document, query) is expected, (query, document, source)


@pytest.mark.parametrize("query", sorted({q for q, _ in CONDITIONS + SELECTORS if oracle_query(q)} | set(TARGETS) | set(EXTRA) | set(RFC_QUERIES)))
def test_compiled_queries_agree_with_the_library(query: str) -> None:
    # Arazzo 1.1 (conditions, selectors): the root is the context itself
    for document in DOCUMENTS:
        assert same(jsonpath_runtime.query(document, query), expected_nodes(query, document)), (query, document)


@pytest.mark.parametrize(("query", "goessner"), [item for item in SELECTORS if well_formed(*item)])
def test_compiled_selectors_give_a_value_or_the_list(query: str, goessner: bool) -> None:
    source = jsonpath_runtime.text(compile_selector(query, n.Name("doc"), goessner=goessner))
    for document in DOCUMENTS:
        nodes = jsonpath_runtime.query(document, query, goessner=goessner)
        value = jsonpath_runtime.run(source, doc=document)
        if source.startswith("_runtime.jp_one("):
            assert same(value, nodes[0] if nodes else None)
        else:
            assert same(value, nodes)


def _oracle_replace(document: Any, target: str, value: Any) -> Any:
    result = copy.deepcopy(document)
    for node in library.find(target, result):
        if node.parent is None:
            result = copy.deepcopy(value)
        else:
            node.parent.value[node.location[-1]] = copy.deepcopy(value)
    return result


@pytest.mark.parametrize("target", sorted(set(TARGETS) | {"$", "$.items[*].price", "$..price", "$.items[?@.price > 6].name", "$.items[-1]", "$.items[0:1]", "$['a', 'b']", "$.a.b"}))
def test_compiled_replacement_targets_set_what_the_library_selects(target: str) -> None:
    for document in [d for d in DOCUMENTS if not isinstance(d, str)]:  # a text payload is JSON text
        expected = _oracle_replace(document, target, "X")
        assert same(jsonpath_runtime.replace(document, target, "X"), expected), (target, document)


# -- Goessner's draft ------------------------------------------------------------------


def test_goessner_length_and_script_index() -> None:
    query = jsonpath_runtime.query
    assert query({"a": [1, 2, 3]}, "$.a[(@.length-1)]", goessner=True) == [3]
    assert query({"a": [1, 2, 3]}, "$.a[( @.length - 2 )]", goessner=True) == [2]
    assert query([[1, 2], [1], "abc", {"length": 0}], "$[?(@.length > 1)]", goessner=True) == [[1, 2], "abc"]
    assert query({"a": "four"}, "$.a.length", goessner=True) == [4]
    assert query({"a": "four"}, "$.a.length") == []  # RFC 9535: a string has no members
    assert query({"a": [1], "s": "$.a[(@.length-1)]"}, "$[?@.s == '$.a[(@.length-1)]']", goessner=True) == []  # text in a string stays
    with pytest.raises(ExpressionError) as caught:
        check("$.a[(@.length-1)]x", goessner=True)
    assert caught.value.offset == 17  # the column of the text as written


# -- Arazzo 1.1: embedded values -------------------------------------------------------


def test_embedded_values_are_arguments_of_the_compiled_test() -> None:
    holes: list[n.Expr] = [n.Name("inputs_n"), n.Name("inputs_s")]
    source = jsonpath_runtime.text(compile_criterion_1_1("$.items[?@.price > 9007199254740000 && @.name == 'a\ue001']", n.Name("_body"), holes))
    assert source.startswith("_runtime.jp_holds(_body, lambda _r, _h0, _h1: ")
    assert source.endswith(", _runtime.jp_literal(inputs_n), _runtime.text_1_1(inputs_s))")
    assert '"a" + _h1' in source
    index = jsonpath_runtime.text(compile_criterion_1_1("$.items[9007199254740000]", n.Name("_body"), [n.Name("inputs_i")]))
    assert index.endswith('_runtime.jp_literal(inputs_i, "index"))')


# -- hypothesis: random queries over random documents ----------------------------------

NAMES = st.sampled_from(["a", "b", "price", "x y"])
LITERALS = st.one_of(st.integers(-3, 12), st.sampled_from(["1.5", "0.0", "true", "false", "null", "'a'", "'b'", "''", "'x y'"])).map(str)


def _name(name: str) -> str:
    return f".{name}" if name.isidentifier() else f"['{name}']"


SINGULAR = st.lists(st.one_of(NAMES.map(_name), st.integers(-2, 2).map(lambda i: f"[{i}]")), max_size=3).map("".join)


def _filter(depth: int) -> st.SearchStrategy[str]:
    relative = st.tuples(st.sampled_from(["@", "@", "$"]), SINGULAR).map("".join)
    # count(@) and value(@) of a scalar node: the library answers wrongly (its bare @ is the value, not a nodelist)
    nodes = QUERY_TAIL.filter(bool)
    comparable = st.one_of(relative, LITERALS, relative.map(lambda q: f"length({q})"), nodes.map(lambda q: f"count(@{q})"), nodes.map(lambda q: f"value(@{q})"))
    comparison = st.tuples(comparable, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), comparable).map(" ".join)
    regex = st.tuples(st.sampled_from(["match", "search"]), relative, st.sampled_from(["'a'", "'.*'", "'[ab]'", "'b.'", "'('"])).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
    atom = st.one_of(comparison, nodes.map(lambda q: "@" + q), regex)  # (and the existence test of a bare @)
    if depth == 0:
        return atom
    inner = _filter(depth - 1)
    return st.one_of(atom, st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"), inner.map(lambda f: f"!({f})"))


SLICE = st.tuples(st.sampled_from(["", "0", "1", "-1", "-2", "5"]), st.sampled_from(["", "1", "-1", "3"]), st.sampled_from(["", ":1", ":2", ":-1", ":0"])).map(lambda t: f"[{t[0]}:{t[1]}{t[2]}]")
SIMPLE_SEGMENT = st.one_of(NAMES.map(_name), st.integers(-2, 2).map(lambda i: f"[{i}]"), st.just("[*]"), st.just(".*"), SLICE)
QUERY_TAIL = st.lists(st.one_of(SIMPLE_SEGMENT, NAMES.map(lambda n: ".." + n if n.isidentifier() else f"..['{n}']"), st.just("..[*]")), max_size=3).map("".join)
SEGMENT = st.one_of(
    SIMPLE_SEGMENT,
    NAMES.map(lambda n: ".." + n if n.isidentifier() else f"..['{n}']"),
    _filter(2).map(lambda f: f"[?{f}]"),
    st.tuples(SIMPLE_SEGMENT.filter(lambda s: s.startswith("[")), _filter(1)).map(lambda t: f"[{t[0][1:-1]}, ?{t[1]}]"),
)
QUERIES = st.lists(SEGMENT, max_size=4).map(lambda segments: "$" + "".join(segments))
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.sampled_from([1.5, 0.0, -2.25]), st.sampled_from(["a", "b", "", "ab", "x y", "B"])),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(NAMES, children, max_size=4)),
    max_leaves=14,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(query=QUERIES, document=JSON)
def test_random_queries_agree_with_the_library(query: str, document: Any) -> None:
    assume(well_formed(query))
    assert same(jsonpath_runtime.query(document, query), expected_nodes(query, document)), query
    assert jsonpath_runtime.criterion(document, query) is bool(library.find(query, [document])), query
    if not isinstance(document, str):  # a text payload is JSON text
        assert same(jsonpath_runtime.replace(document, query, "X"), _oracle_replace(document, query, "X")), query


# -- what a package carries ------------------------------------------------------------


def test_no_jsonpath_engine_ships() -> None:
    runtime = Path(jsonpath_module.__file__).parent
    helpers = (runtime / "jsonpath.py").read_text(encoding="utf-8")
    assert "class _JPParser" not in helpers and "def jsonpath_query" not in helpers
    assert len(helpers.splitlines()) < 250
    for part in runtime.glob("*.py"):
        assert "jsonpath_parse" not in part.read_text(encoding="utf-8"), part
    for query in EXTRA:
        assert "jsonpath" not in jsonpath_runtime.text(compile_nodes(query, n.Name("doc"))) + jsonpath_runtime.text(compile_locator(query))
