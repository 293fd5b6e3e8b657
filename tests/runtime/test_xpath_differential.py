"""The 318-expression XPath corpus, as compiled criteria of a generated package.

Until issue 17 the generated runtime carried its own XPath engine, checked here
expression by expression against elementpath.  Both agreed on every case of the corpus,
and those answers are recorded in ``xpath_expected.json`` (items normalized: nodes by
string value, atomic values by type and value; the effective boolean value; or a
dynamic error).  The engine is gone: generated packages evaluate XPath with elementpath.
This module compiles every case into a workflow of one step whose success criterion is
the expression (in the case's version), runs each workflow over real HTTP against
127.0.0.1, and checks that the criterion holds exactly when the recorded effective
boolean value is true (a dynamic error, or a sequence without one, fails it); the
generated package's ``_runtime.xpath`` must also give the recorded items.

The rest: what the generation-time check (elementpath's parser of each version, plus the
generator's own refusals) rejects, with its message and position.
"""

from __future__ import annotations

import decimal
import importlib
import json
import math
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import elementpath
import pytest
import yaml
from elementpath import XPath1Parser, XPath2Parser, XPathContext
from elementpath.xpath30 import XPath30Parser
from elementpath.xpath31 import XPath31Parser

from arazzo_codegen.expressions import ExpressionError, check_xpath, runtime_part, xpath_is_location_path
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package

RECORDED = json.loads((Path(__file__).with_name("xpath_expected.json")).read_text(encoding="utf-8"))
DOCUMENTS: dict[str, str] = RECORDED["documents"]
CASES: list[dict[str, Any]] = RECORDED["cases"]
PARSERS: dict[str, Any] = {
    "xpath-10": XPath1Parser,
    "xpath-20": XPath2Parser,
    "xpath-30": XPath30Parser,
    "xpath-31": XPath31Parser,
}
PACKAGE = "xpath_corpus"


def _compiles(case: dict[str, Any]) -> bool:
    try:
        check_xpath(case["expression"], version=case["version"])
    except ExpressionError:
        return False
    return True


#: Cases elementpath's parser already rejects (a type error it sees statically): recorded
#: as dynamic errors, they are compile-time errors now and are not compiled.
STATIC_ERRORS = frozenset(number for number, case in enumerate(CASES) if not _compiles(case))

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "XML documents", "version": "1.0.0"},
    "servers": [{"url": "https://xml.example.com"}],
    "paths": {
        "/documents/{name}": {
            "get": {
                "operationId": "getDocument",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The document.",
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    }
                },
            }
        }
    },
}


def _criterion(case: dict[str, Any]) -> dict[str, Any]:
    # Arazzo 1.0 names xpath-10/20/30 in an Expression Type Object; xpath-31 is the default of type: xpath
    kind: Any = "xpath" if case["version"] == "xpath-31" else {"type": "xpath", "version": case["version"]}
    return {"context": "$response.body", "condition": case["expression"], "type": kind}


def _arazzo() -> dict[str, Any]:
    workflows = [
        {
            "workflowId": f"case{number:03d}",
            "steps": [
                {
                    "stepId": "check",
                    "operationId": "getDocument",
                    "parameters": [{"name": "name", "in": "path", "value": case["document"]}],
                    "successCriteria": [{"condition": "$statusCode == 200"}, _criterion(case)],
                }
            ],
        }
        for number, case in enumerate(CASES)
        if number not in STATIC_ERRORS
    ]
    return {
        "arazzo": "1.0.1",
        "info": {"title": "The XPath corpus as criteria", "version": "1.0.0"},
        "sourceDescriptions": [{"name": "xml", "url": "openapi.yaml", "type": "openapi"}],
        "workflows": workflows,
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The corpus compiled into one package (one workflow per case), imported."""
    root = tmp_path_factory.mktemp("xpath_corpus")
    (root / "openapi.yaml").write_text(yaml.safe_dump(OPENAPI, sort_keys=False), encoding="utf-8")
    (root / "arazzo.yaml").write_text(yaml.safe_dump(_arazzo(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    job = Job(spec=root / "arazzo.yaml", package=PACKAGE, out=root / "out")
    result = build(job)
    errors = [d.render() for d in result.report.items if d.severity.name == "ERROR"]
    assert not errors, errors
    write_package(job.package_dir, result.files)
    sys.path.insert(0, str(root / "out"))
    try:
        importlib.invalidate_caches()
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root / "out"))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class _Documents(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the http.server hook
        name = self.path.rsplit("/", 1)[-1]
        body = DOCUMENTS.get(name, "").encode("utf-8")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def normalize(item: Any, typed: bool) -> list[Any]:
    """An item as the recording spells it: nodes by string value, atomic values by type and value."""
    if isinstance(item, elementpath.XPathNode):
        return ["node", item.string_value]
    if isinstance(item, bool):
        return ["boolean", item]
    if isinstance(item, (int, float, decimal.Decimal)):
        kind = "integer" if isinstance(item, int) else "decimal" if isinstance(item, decimal.Decimal) else "double"
        number = float(item)
        # XPath 1.0 has one number type (elementpath keeps integers and decimals apart)
        return ["number", kind if typed else "", "NaN" if math.isnan(number) else number]
    if isinstance(item, elementpath.datatypes.UntypedAtomic):
        return ["untypedAtomic", str(item)]
    if isinstance(item, (str, elementpath.datatypes.AnyURI)):
        return ["string", str(item)]
    raise AssertionError(f"unexpected item {item!r}")


IDS = [f"{c['version']}|{c['document']}|{c['expression']}" for c in CASES]


def test_the_recording_is_the_whole_corpus() -> None:
    assert len(CASES) == 318
    assert len({(c["document"], c["version"], c["expression"]) for c in CASES}) == len(CASES)
    assert {c["version"] for c in CASES} == set(PARSERS)
    assert {c["document"] for c in CASES} == set(DOCUMENTS)
    assert sum("error" not in c for c in CASES) >= 290
    assert len(STATIC_ERRORS) <= 7
    assert (
        sum(c.get("ebv") is True for c in CASES) >= 250 and sum(c.get("ebv") is not True for c in CASES) >= 40
    )  # 17 false, 15 errors, FORG0006


@pytest.mark.parametrize("number", range(len(CASES)), ids=IDS)
def test_compiled_criterion_holds_exactly_when_the_recording_says(corpus: ModuleType, server: str, number: int) -> None:
    case = CASES[number]
    if number in STATIC_ERRORS:  # caught before the first call is placed
        assert "error" in case
        return
    workflow = getattr(corpus, f"case{number:03d}")
    if case.get("ebv") is True:
        workflow(servers={"xml": server})
    else:  # false, no effective boolean value (FORG0006), or a dynamic error
        with pytest.raises(corpus.StepFailed) as caught:
            workflow(servers={"xml": server})
        assert caught.value.criterion == f"{case['expression']} (xpath on $response.body)"


@pytest.mark.parametrize("number", range(len(CASES)), ids=IDS)
def test_generated_runtime_selects_the_recorded_items(corpus: ModuleType, number: int) -> None:
    case = CASES[number]
    runtime = corpus._runtime
    if "error" in case:
        with pytest.raises(runtime.XPathError):
            runtime.xpath(DOCUMENTS[case["document"]], case["expression"], case["version"])
        return
    items = runtime.xpath(DOCUMENTS[case["document"]], case["expression"], case["version"])
    assert [normalize(i, case["version"] != "xpath-10") for i in items] == case["items"]


def test_the_async_twins_agree(corpus: ModuleType, server: str) -> None:
    import asyncio

    async def outcome(number: int) -> bool:
        try:
            await getattr(corpus, f"case{number:03d}_async")(servers={"xml": server})
        except corpus.StepFailed:
            return False
        return True

    sample = [n for n in range(0, len(CASES), 7) if n not in STATIC_ERRORS]
    assert [asyncio.run(outcome(n)) for n in sample] == [CASES[n].get("ebv") is True for n in sample]


def test_the_package_says_it_needs_elementpath(corpus: ModuleType) -> None:
    assert "pip install elementpath" in (corpus.__doc__ or "")


def test_elementpath_missing_is_a_clear_import_error(corpus: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    part = sys.modules[f"{PACKAGE}._runtime.xpath"]  # the copy of generator/runtime/xpath.py
    real = importlib.import_module

    def refuse(name: str, *args: Any) -> ModuleType:
        if name.split(".")[0] == "elementpath":
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(part.importlib, "import_module", refuse)
    monkeypatch.setattr(part, "_XPATH_CACHE", {})
    with pytest.raises(ImportError, match="pip install elementpath"):
        corpus._runtime.xpath_test("<a/>", "/a")


def test_a_dtd_is_refused_and_no_entity_is_expanded(corpus: ModuleType) -> None:
    runtime = corpus._runtime
    laughs = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]><a>&y;</a>'
    external = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a>&e;</a>'
    for document in (laughs, external):
        assert runtime.xpath_test(document, "true()") is False  # not XML the runtime accepts
        assert runtime.xpath(document, "/a") == []
        with pytest.raises(runtime.WorkflowError, match="document type declaration"):
            runtime.xml_replace(document, [("/a", "v")])


def test_names_resolve_with_the_namespaces_the_document_declares(corpus: ModuleType) -> None:
    runtime = corpus._runtime
    feed = DOCUMENTS["feed"]
    # the default namespace is the default element namespace from XPath 2.0 on
    assert runtime.xpath_string(feed, "/feed/entry/title") == "First Second"
    assert runtime.xpath_string(feed, "/feed/entry/title", "xpath-10") == ""  # XPath 1.0 has none
    assert runtime.xpath_string(feed, "/f:feed/f:entry[2]/f:title", "xpath-10") == "Second"
    assert runtime.xpath_string(feed, "//entry[@x:rank = 2]/title") == "Second"
    # a prefix the document does not declare: the criterion fails (and is logged)
    assert runtime.xpath_test(feed, "count(//nope:entry) = 0") is False


# ---------------------------------------------------------------------------
# Generation-time checks: elementpath's parser of the version, and the refusals
# ---------------------------------------------------------------------------

# (version, expression, part of the message, column): constructs a version does not have
LATER_VERSION: list[tuple[str, str, str]] = [
    ("xpath-10", "if (//a) then 1 else 0", "use xpath-20 or later"),
    ("xpath-10", "for $x in //a return $x", "use xpath-20 or later"),
    ("xpath-10", "some $x in //a satisfies $x", "use xpath-20 or later"),
    ("xpath-10", "every $x in //a satisfies $x", "use xpath-20 or later"),
    ("xpath-10", "let $x := 1 return $x", "use xpath-30 or later"),
    ("xpath-10", "count(//item) eq 3", "use xpath-20 or later"),
    ("xpath-10", "1 to 3", "use xpath-20 or later"),
    ("xpath-10", "3 idiv 2", "use xpath-20 or later"),
    ("xpath-10", "//a is //a", "use xpath-20 or later"),
    ("xpath-10", "//a union //b", "use xpath-20 or later"),
    ("xpath-10", "//a intersect //b", "use xpath-20 or later"),
    ("xpath-10", "'a' || 'b'", "use xpath-30 or later"),
    ("xpath-10", "(1, 2)", "use xpath-20 or later"),
    ("xpath-10", "()", "use xpath-20 or later"),
    ("xpath-10", "ends-with('a', 'a')", "use xpath-20 or later"),
    ("xpath-10", "upper-case('a')", "use xpath-20 or later"),
    ("xpath-10", "matches('a', 'a')", "use xpath-20 or later"),
    ("xpath-10", "exists(//a)", "use xpath-20 or later"),
    ("xpath-10", "(: note :) 1", "use xpath-20 or later"),
    ("xpath-10", "//item/string()", "use xpath-20 or later"),
    ("xpath-10", "*:item", "use xpath-20 or later"),
    ("xpath-10", "//element()", "use xpath-20 or later"),
    ("xpath-20", "let $x := 1 return $x", "use xpath-30 or later"),
    ("xpath-20", "'a' || 'b'", "use xpath-30 or later"),
    ("xpath-20", "//a ! b", "use xpath-30 or later"),
    ("xpath-20", "head(//a)", "use xpath-30 or later"),
    ("xpath-20", "tail(//a)", "use xpath-30 or later"),
    ("xpath-20", "has-children(/)", "use xpath-30 or later"),
    ("xpath-20", "string-join(('a', 'b'))", "use xpath-30 or later"),
    ("xpath-20", "round(1.5, 1)", "use xpath-30 or later"),
    ("xpath-20", "data()", "use xpath-30 or later"),
    ("xpath-30", "tokenize(' a b ')", "use xpath-31"),
    ("xpath-30", "map { 'a': 1 }", "use xpath-31"),
    ("xpath-30", "[1, 2]", "use xpath-31"),
]


@pytest.mark.parametrize(
    ("version", "expression", "since"), LATER_VERSION, ids=[f"{v}|{e}" for v, e, _ in LATER_VERSION]
)
def test_a_construct_of_a_later_version_is_a_compile_time_error(version: str, expression: str, since: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_xpath(expression, version=version)
    name = {"xpath-10": "XPath 1.0", "xpath-20": "XPath 2.0", "xpath-30": "XPath 3.0"}[version]
    assert caught.value.message.startswith(f"{name} does not have this construct: [err:XPST")
    assert caught.value.message.endswith(f"({since})")
    with pytest.raises(elementpath.ElementPathError):
        PARSERS[version]().parse(expression)


# (version, expression, part of the message, 0-based offset)
REFUSED: list[tuple[str, str, str, int]] = [
    ("xpath-31", "//a[", "unexpected end of source", 4),
    ("xpath-31", "'unterminated", "XPST0003", 0),
    ("xpath-31", "count(//a, 1)", "XPST0017", 0),
    ("xpath-31", "matches('a', 'a', 'z')", "FORX0001", 0),
    ("xpath-31", "replace('a', 'a*', 'b')", "FORX0003", 0),
    ("xpath-31", "true() = 1 and\n  'a' + 1", "XPTY0004", 0),
    ("xpath-31", "", "empty XPath expression", 0),
    ("xpath-31", "doc('x')", "the function doc() reads outside the value the criterion tests", 0),
    ("xpath-31", "count(//a) + count(collection())", "the function collection() reads outside", 19),
    ("xpath-31", "unparsed-text(string(//link))", "the function unparsed-text() reads outside", 0),
    (
        "xpath-31",
        "unparsed-text('file:///etc/passwd')",
        "URI file:///etc/passwd is not allowed",
        0,
    ),  # elementpath's own refusal
    ("xpath-31", "fn:environment-variable('HOME')", "the function environment-variable() reads outside", 3),
    ("xpath-31", "doc#1('x')", "the function doc() reads outside", 3),
    ("xpath-31", "$undefined", "the variable $undefined is not bound here", 0),
    ("xpath-31", "for $x in 1 return $y", "the variable $y is not bound here", 19),
    ("xpath-31", "(" * 500 + "1" + ")" * 500, "nests too deeply", 0),
    ("xpath-40", "1", "unknown XPath version 'xpath-40'", 0),
]


@pytest.mark.parametrize(
    ("version", "expression", "message", "offset"), REFUSED, ids=[f"{v}|{e[:40]}" for v, e, _, _ in REFUSED]
)
def test_refused_expressions_are_compile_time_errors(version: str, expression: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_xpath(expression, version=version)
    assert message in caught.value.message
    if offset:
        assert caught.value.offset == offset


def test_a_position_on_a_later_line_is_an_offset_into_the_expression() -> None:
    expression = "//item[price > 1]\n  and foo(1)"
    with pytest.raises(ExpressionError) as caught:
        check_xpath(expression)
    assert caught.value.offset == expression.index("foo")
    assert "unknown function" in caught.value.message


def test_what_the_old_engine_refused_and_elementpath_evaluates_is_accepted() -> None:
    # maps, arrays, lookups, =>, instance of, casts, constructor functions, sort, dates:
    # valid XPath 3.1, and elementpath evaluates it (the hand-written engine had a subset)
    for expression in (
        "map { 'a': 1 }?a = 1",
        "[1, 2]?2 = 2",
        "//a => count()",
        "//a instance of element()*",
        ". cast as xs:string",
        "xs:integer('1') = 1",
        "sort((3, 1))[1] = 1",
        "current-dateTime() instance of xs:dateTime",
        "//a/namespace::*",
        "function($x) { $x }(1) = 1",
    ):
        check_xpath(expression)
    check_xpath("//x:tag = 'a' and //soap:Body")  # prefixes are bound by the document at run time


def test_version_constructs_are_accepted_from_their_version_on() -> None:
    for version in ("xpath-20", "xpath-30", "xpath-31"):
        check_xpath("if (//a) then count(//a) eq 1 else (1 to 3) = 2", version=version)
        check_xpath("every $x in //a satisfies some $y in $x/b satisfies $y is $y", version=version)
    for version in ("xpath-30", "xpath-31"):
        check_xpath("let $x := //a return $x ! string() || head(tail($x))", version=version)
    check_xpath("tokenize(' a b ')", version="xpath-31")
    check_xpath("/order/status = 'done' and count(//item) > 1", version="xpath-10")
    check_xpath("if (//a) then 1 else 0")  # the default version is xpath-31
    check_xpath("count(//a) = '2' and -'1' = 'a' + 1", version="xpath-10")  # 1.0 converts


def test_the_version_reaches_the_runtime(corpus: ModuleType) -> None:
    runtime = corpus._runtime
    document = DOCUMENTS["order"]
    # each version parses its own grammar at run time too
    assert runtime.xpath_test(document, "let $n := count(//item) return $n = 3", "xpath-30") is True
    assert runtime.xpath_test(document, "let $n := count(//item) return $n = 3", "xpath-20") is False  # logged
    with pytest.raises(runtime.XPathError, match="XPST0003"):
        runtime.xpath(document, "let $n := count(//item) return $n = 3", "xpath-20")
    # XPath 1.0 compares a string with a number without an error; XPath 2.0 has a type error
    assert runtime.xpath(document, "//item[1]/name = 1", "xpath-10") == [False]
    with pytest.raises(runtime.XPathError, match="FORG0001"):
        runtime.xpath(document, "//item[1]/name = 1", "xpath-20")
    assert runtime.xpath_string(document, "string(2 * 1.5)") == "3"


#: Where elementpath 5.1.4 departs from the XPath specifications (the removed engine followed
#: them): each expression, the specification's answer, elementpath's, and the reason.  These are
#: the answers a generated package now gives; prefer xpath-20 or later for XML numbers.
ELEMENTPATH_DEPARTURES: list[tuple[str, str, str, Any, Any, str]] = [
    (
        "order",
        "xpath-10",
        "/order/@id = 7",
        [True],
        [False],
        "XPath 1.0 3.4: a node-set compared with a number compares number(string-value)",
    ),
    ("data", "xpath-10", "//w = 7", [True], [False], "the same rule; number(' 7 ') is 7"),
    (
        "order",
        "xpath-20",
        "/order/@id = 7",
        [True],
        [True],
        "XPath 2.0 casts the untypedAtomic value to xs:double: no departure from 2.0 on",
    ),
    (
        "mixed",
        "xpath-10",
        "string(1 div 0)",
        ["Infinity"],
        ["INF"],
        "XPath 1.0 4.2 spells positive infinity 'Infinity'",
    ),
    (
        "order",
        "xpath-20",
        "string(1e6)",
        ["1.0E6"],
        ["1000000"],
        "F&O 3.1 19.1.2.2: an xs:double of magnitude 1e6 or more is cast with an exponent",
    ),
    (
        "order",
        "xpath-30",
        "round(1250, -2)",
        [1300],
        [1200],
        "F&O 3.1 4.4.4: fn:round rounds half towards positive infinity",
    ),
]


@pytest.mark.parametrize(
    ("document", "version", "expression", "specified", "answer", "reason"),
    ELEMENTPATH_DEPARTURES,
    ids=[f"{d[1]}|{d[2]}" for d in ELEMENTPATH_DEPARTURES],
)
def test_elementpath_departures_are_what_a_package_answers(
    corpus: ModuleType, document: str, version: str, expression: str, specified: Any, answer: Any, reason: str
) -> None:
    assert corpus._runtime.xpath(DOCUMENTS[document], expression, version) == answer, reason


def test_replacement_targets_are_location_paths_in_every_version() -> None:
    for version in PARSERS:
        assert xpath_is_location_path("/order/items/item[1]/@sku", version=version)
        assert xpath_is_location_path("//item", version=version)
        assert not xpath_is_location_path("count(//item)", version=version)
        assert not xpath_is_location_path("'a'", version=version)


# ---------------------------------------------------------------------------
# The conformance scenario (tests/conformance/criteria, workflows xpath and
# xpathModern): each criterion, on each cassette's body, as elementpath sees it
# ---------------------------------------------------------------------------

CRITERIA_DIR = Path(__file__).resolve().parents[1] / "conformance" / "criteria"


def _xpath_criteria(workflow_id: str) -> list[tuple[str, str]]:
    document = yaml.safe_load((CRITERIA_DIR / "arazzo.yaml").read_text(encoding="utf-8"))
    (workflow,) = [w for w in document["workflows"] if w["workflowId"] == workflow_id]
    out: list[tuple[str, str]] = []
    for criterion in workflow["steps"][0]["successCriteria"]:
        kind = criterion.get("type")
        if kind == "xpath" or (isinstance(kind, dict) and kind["type"] == "xpath"):
            out.append((criterion["condition"], kind["version"] if isinstance(kind, dict) else "xpath-31"))
    return out


@pytest.mark.parametrize(
    ("workflow_id", "cassette", "failing"),
    [
        ("xpath", "xpath-pass", []),
        ("xpath", "xpath-fail", ["//item[@id='b']/price > 4"]),
        ("xpathModern", "xpath-modern-pass", []),
        ("xpathModern", "xpath-modern-fail", ["count(distinct-values(//item/@currency)) eq 1"]),
    ],
)
def test_conformance_criteria_agree_with_elementpath(workflow_id: str, cassette: str, failing: list[str]) -> None:
    test = runtime_part("xpath")["xpath_test"]
    recording = yaml.safe_load((CRITERIA_DIR / "cassettes" / f"{cassette}.yaml").read_text(encoding="utf-8"))
    body = recording["interactions"][0]["response"]["body"]
    criteria = _xpath_criteria(workflow_id)
    assert len(criteria) >= 4
    for condition, version in criteria:
        reference = PARSERS[version]().parse(condition)
        expected = reference.boolean_value(reference.evaluate(XPathContext(ET.ElementTree(ET.fromstring(body)))))
        assert test(body, condition, version) is expected, condition
        assert expected is (condition not in failing), condition
