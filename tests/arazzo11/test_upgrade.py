"""``arazzo-codegen upgrade``: a 1.0.x document rewritten as 1.1.0.

The text is edited scalar by scalar, so every byte outside the edited values stays;
upgrading twice is upgrading once; nothing is written without ``--write``, and
``--write`` replaces the file in one rename.  The upgraded document compiles to the
same code (tests/arazzo11/test_upgrade_equivalence.py compares every document of specs/ and
of tests/conformance).  The JSONPath rewrites (the root of a 1.1 query is the
context, a 1.0 one runs over the context wrapped in an array) are checked here
against the runtime's own evaluator: a rewrite called exact gives the same verdict
on every context tried, one called inexact has a context where it differs.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import jsonpath_rfc9535
import pytest
import yaml
from arazzo_codegen.cli import main
from arazzo_codegen.regex import ecma_pattern
from arazzo_codegen.upgrade import upgrade_text
from arazzo_codegen.upgrade_conditions import _jsonpath_root, _regex_braces

ROOT = Path(__file__).resolve().parents[2]

DOC = """\
# A 1.0 workflow; this comment must survive.
arazzo: 1.0.1   # the version
info: {title: Pets, version: 1.0.0}
sourceDescriptions:
  - name: api
    url: ./openapi.yaml
    type: openapi
workflows:
  - workflowId: poll
    inputs:
      type: object
      properties:
        expected: {type: string}
    steps:
      - stepId: get
        operationId: getPet
        successCriteria:
          - condition: $statusCode == 200
          - context: $response.body
            condition: "$[?@.status == 'ended']"   # quoted, as written
            type: jsonpath
          - context: $response.body#/name
            condition: '^{$inputs.expected}$'
            type: regex
        outputs:
          status: $response.body#/status
"""


def test_only_the_version_and_the_shifting_conditions_change() -> None:
    result = upgrade_text(DOC, "doc.yaml")
    assert not result.errors and not result.notes
    expected = (
        DOC.replace("arazzo: 1.0.1   # the version", "arazzo: 1.1.0   # the version")
        .replace("\"$[?@.status == 'ended']\"   # quoted", "\"$[?$.status == 'ended']\"   # quoted")
        .replace("'^{$inputs.expected}$'", "'^[{]$inputs.expected}$'")
    )
    assert result.new == expected
    assert len(result.changes) == 3
    diff = result.diff()
    assert diff.startswith("--- a/doc.yaml\n+++ b/doc.yaml\n")
    assert "-arazzo: 1.0.1   # the version\n+arazzo: 1.1.0   # the version\n" in diff


def test_upgrading_twice_is_upgrading_once() -> None:
    once = upgrade_text(DOC, "doc.yaml").new
    again = upgrade_text(once, "doc.yaml")
    assert again.new == once and not again.changed and again.version == "1.1.0"


def test_line_endings_and_quotes_of_the_version_are_kept() -> None:
    text = DOC.replace("arazzo: 1.0.1", "arazzo: '1.0.0'").replace("\n", "\r\n")
    new = upgrade_text(text, "doc.yaml").new
    assert new.startswith("# A 1.0 workflow; this comment must survive.\r\narazzo: '1.1.0'   # the version\r\n")
    assert new.count("\r\n") == text.count("\r\n") and "\n" not in new.replace("\r\n", "")


def test_json_keeps_its_key_order_and_indentation() -> None:
    data: dict[str, Any] = {
        "workflows": [{"workflowId": "w", "steps": [{"stepId": "s", "operationId": "op", "successCriteria": [{"context": "$response.body", "condition": "$[0].items[*]", "type": "jsonpath"}]}]}],
        "arazzo": "1.0.1",
        "info": {"version": "1", "title": "t"},
        "sourceDescriptions": [{"type": "openapi", "url": "./o.yaml", "name": "api"}],
    }
    for indent in (3, "\t"):
        text = json.dumps(data, indent=indent) + "\n"
        result = upgrade_text(text, "doc.json", is_json=True)
        expected = json.loads(text)
        expected["arazzo"] = "1.1.0"
        expected["workflows"][0]["steps"][0]["successCriteria"][0]["condition"] = "$.items[*]"
        assert result.new == json.dumps(expected, indent=indent) + "\n"
        assert list(json.loads(result.new)) == ["workflows", "arazzo", "info", "sourceDescriptions"]


@pytest.mark.parametrize(
    ("condition", "kind", "message"),
    [
        ("$.items[?@.price < 10]", "jsonpath", "its root changes meaning in Arazzo 1.1"),
        ("$[?@.status != 'ended']", "jsonpath", "the two differ when the context has no members"),
        ("//a[text()='{$inputs.expected}']", "xpath", "holds '{$': Arazzo 1.1 substitutes"),
        ("[{$]x", "regex", "inside a character class"),
    ],
)
def test_what_needs_a_human_is_listed_with_its_place(condition: str, kind: str, message: str) -> None:
    text = DOC.replace("\"$[?@.status == 'ended']\"", json.dumps(condition)).replace("type: jsonpath", f"type: {kind}")
    result = upgrade_text(text, "doc.yaml")
    assert not result.errors
    assert [n.message for n in result.notes] == [next(n.message for n in result.notes if message in n.message)]
    assert result.notes[0].render().startswith("doc.yaml:20:24: warning: $.workflows[0].steps[0].successCriteria[1].condition: ")


def test_names_the_1_1_grammar_cannot_reach_and_components_inputs_are_listed() -> None:
    text = DOC.replace("- stepId: get", "- stepId: get.pet").replace("expected: {type: string}", "expected value: {type: string}")
    text = text.replace("status: $response.body#/status", "status: $components.inputs.pet")
    result = upgrade_text(text, "doc.yaml")
    found = {(n.line, n.message.split(" is ")[0].split(" (")[0]) for n in result.notes}
    assert found == {(13, "input 'expected value'"), (15, "stepId 'get.pet'"), (26, "'$components.inputs.pet'")}
    assert result.new.startswith("# A 1.0 workflow; this comment must survive.\narazzo: 1.1.0")  # still upgraded


@pytest.mark.parametrize("version", ["1.2.0", "2.0.0", "1.0"])
def test_other_versions_are_errors(version: str) -> None:
    result = upgrade_text(DOC.replace("1.0.1", version), "doc.yaml")
    assert not result.changed
    assert [e.render().splitlines()[0] for e in result.errors] == [f"doc.yaml:2:9: error: $.arazzo: cannot upgrade Arazzo '{version}': only 1.0.x documents are upgraded"]


# -- the JSONPath rewrites against the runtime evaluator ----------------------------

CONTEXTS: list[Any] = [
    {},
    [],
    None,
    5,
    "ended",
    {"status": "ended"},
    {"status": "Ended"},
    {"status": "running", "items": []},
    {"status": None},
    {"items": [{"price": 5}, {"price": 20}], "title": "x"},
    {"items": [{"price": 50}], "title": ""},
    {"items": [1, 2], "title": "t"},
    {"items": [1, 2, 3], "title": "t", "state": "running"},
    [{"status": "ended"}],
    [{"price": 1}],
    {"a": {"b": 1}},
]

EXACT = [
    ("$[?@.status == 'ended']", "$[?$.status == 'ended']"),
    ("$.status == 'ended'", "$[?$.status == 'ended']"),  # the 1.0 comparison quirk, read as the compiler reads it
    ("$[0].items[?@.price < 10]", "$.items[?@.price < 10]"),
    ("$[*].items", "$.items"),
    ("$[?count(@.items[*]) == 2 && length(@.title) > 0]", "$[?count($.items[*]) == 2 && length($.title) > 0]"),
    ("$[?@.items[?@.price > 10]]", "$[?$.items[?@.price > 10]]"),  # the nested filter keeps its @
    ("$..price", "$..price"),
    ("$[?@.a.b >= 1 || @.status == 'ended']", "$[?$.a.b >= 1 || $.status == 'ended']"),
]


def _verdict_1_0(context: Any, query: str) -> bool:
    return bool(jsonpath_rfc9535.find(query, [context]))  # the context, wrapped


def _verdict_1_1(context: Any, query: str) -> bool:
    return bool(jsonpath_rfc9535.find(query, context))  # the context itself is the root


@pytest.mark.parametrize(("old", "new"), EXACT)
def test_exact_jsonpath_rewrites_give_the_same_verdict_on_every_context(old: str, new: str) -> None:
    text = DOC.replace("\"$[?@.status == 'ended']\"", json.dumps(old))
    result = upgrade_text(text, "doc.yaml")
    assert not result.notes, result.notes
    assert yaml.safe_load(result.new)["workflows"][0]["steps"][0]["successCriteria"][1]["condition"] == new
    quirk = old.startswith("$.status")
    reference = "$[?@.status == 'ended']" if quirk else old
    for context in CONTEXTS:
        assert _verdict_1_0(context, reference) == _verdict_1_1(context, new), (context, old, new)


def test_an_inexact_rewrite_is_flagged_and_does_differ_on_an_empty_context() -> None:
    fixed, exact = _jsonpath_root("$[?@.status != 'ended']", goessner=False) or ("", True)
    assert (fixed, exact) == ("$[?$.status != 'ended']", False)
    assert _verdict_1_0({}, "$[?@.status != 'ended']") != _verdict_1_1({}, fixed)
    for context in CONTEXTS[5:]:  # contexts with members agree
        assert _verdict_1_0(context, "$[?@.status != 'ended']") == _verdict_1_1(context, fixed)


def test_a_root_member_query_has_no_mechanical_rewrite() -> None:
    # 1.0: '$.items' runs over [context] and never selects anything; 1.1 reads the member.
    assert _jsonpath_root("$.items", goessner=False) is None
    # A '$' inside a filter is the wrapper array in 1.0 (so '$.status' is nothing there)
    # and the context in 1.1: the quirk "$.status == 'a' || $.status == 'b'" (a real
    # document's) tests only 'a' in 1.0; no rewrite keeps that, so it is listed.
    assert _jsonpath_root("$[?@.status == 'a' || $.status == 'b']", goessner=False) is None
    assert _verdict_1_0({"status": "b"}, "$[?@.status == 'a' || $.status == 'b']") is False
    assert _jsonpath_root("$[?@.x == '$']", goessner=False) == ("$[?$.x == '$']", True)  # a '$' in a string is text
    assert _jsonpath_root("$..[0]", goessner=False) is None


def test_regex_braces_match_the_same_text_and_escape_substitution() -> None:
    import re

    old, new = "^{$inputs.x}-[a-z]+$", _regex_braces("^{$inputs.x}-[a-z]+$")
    assert new == "^[{]$inputs.x}-[a-z]+$" and "{$" not in new
    for text in ("{$inputs.x}-abc", "x-abc", "{$inputs.x}-", "{$inputs.x}-ABC"):
        assert bool(re.search(ecma_pattern(old), text)) == bool(re.search(ecma_pattern(new), text)), text
    assert _regex_braces("[{$]") is None and _regex_braces(r"\{$x") == r"\{$x"


# -- the command ------------------------------------------------------------------


@pytest.fixture
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_without_write_nothing_is_written(doc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (doc.read_bytes(), doc.stat().st_mtime_ns)
    assert main(["upgrade", "doc.arazzo.yaml"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("--- a/doc.arazzo.yaml\n+++ b/doc.arazzo.yaml\n") and "+arazzo: 1.1.0" in out
    assert "doc.arazzo.yaml: would upgrade to Arazzo 1.1.0 (3 changes); run with --write to save" in err
    assert (doc.read_bytes(), doc.stat().st_mtime_ns) == before
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.arazzo.yaml"]


def test_write_replaces_the_file_in_one_rename_and_keeps_its_mode(doc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc.chmod(0o640)
    inode = doc.stat().st_ino
    assert main(["upgrade", "doc.arazzo.yaml", "--write"]) == 0
    assert "doc.arazzo.yaml: upgraded to Arazzo 1.1.0 (3 changes); written" in capsys.readouterr().err
    assert doc.read_text(encoding="utf-8") == upgrade_text(DOC, "x").new
    assert doc.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert stat.S_IMODE(doc.stat().st_mode) == 0o640
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.arazzo.yaml"]  # no temporary left
    assert main(["upgrade", "doc.arazzo.yaml", "--write"]) == 0  # idempotent
    out, err = capsys.readouterr()
    assert out == "" and "doc.arazzo.yaml: already Arazzo 1.1.0; nothing to do" in err


def test_a_failed_write_leaves_the_file_as_it_was(doc: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    assert main(["upgrade", "doc.arazzo.yaml", "--write"]) == 2
    assert "arazzo-codegen: cannot write doc.arazzo.yaml: Permission denied" in capsys.readouterr().err
    assert doc.read_text(encoding="utf-8") == DOC
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.arazzo.yaml"]


def test_exit_codes(doc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", "absent.yaml"]) == 2
    doc.write_text(DOC.replace("1.0.1", "2.0.0"), encoding="utf-8")
    assert main(["upgrade", "doc.arazzo.yaml", "--write"]) == 1
    assert "doc.arazzo.yaml: not upgraded: 1 error; left as it was" in capsys.readouterr().err
    doc.write_text("arazzo: [1.0.1\n", encoding="utf-8")
    assert main(["upgrade", "doc.arazzo.yaml"]) == 1
    assert "doc.arazzo.yaml:2:1: error: $: cannot parse the document" in capsys.readouterr().err


def test_strict_makes_what_needs_a_human_an_error_and_writes_nothing(doc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.replace("\"$[?@.status == 'ended']\"", "\"$[?@.status != 'ended']\"")
    doc.write_text(text, encoding="utf-8")
    assert main(["upgrade", "doc.arazzo.yaml", "--write"]) == 0
    err = capsys.readouterr().err
    assert "doc.arazzo.yaml:20:24: warning: $.workflows[0].steps[0].successCriteria[1].condition: " in err
    assert "(3 changes, 1 place for a human to check); written" in err
    doc.write_text(text, encoding="utf-8")
    assert main(["upgrade", "doc.arazzo.yaml", "--write", "--strict"]) == 1
    err = capsys.readouterr().err
    assert "doc.arazzo.yaml:20:24: error: " in err and "(an error under --strict)" in err
    assert doc.read_text(encoding="utf-8") == text


def test_dotted_input_paths_become_pointers_and_declared_dotted_names_stay() -> None:
    # 1.0 (as compiled here) reads $inputs.user.id as member id of input user; 1.1 reads
    # it as the input named 'user.id'.  A declared 'user.id' keeps its spelling.
    text = DOC.replace("expected: {type: string}", "expected: {type: string}\n        user: {type: object}\n        a.b: {type: string}")
    text = text.replace("status: $response.body#/status", "status: $inputs.user.address.city\n          both: 'x={$inputs.user.id}&y={$inputs.a.b}'\n          ptr: $inputs.user.address#/zip")
    result = upgrade_text(text, "doc.yaml")
    outputs = yaml.safe_load(result.new)["workflows"][0]["steps"][0]["outputs"]
    assert outputs == {"status": "$inputs.user#/address/city", "both": "x={$inputs.user#/id}&y={$inputs.a.b}", "ptr": "$inputs.user#/address/zip"}
    assert "          ptr: $inputs.user#/address/zip\n" in result.new  # plain stays plain


def test_embedded_values_regexes_matching_nothing_and_braced_pointers_are_listed() -> None:
    text = DOC.replace("'^{$inputs.expected}$'", "'^(?!done$)'").replace("status: $response.body#/status", "status: $response.body#/a{b}\n          greeting: 'Hello {$inputs.expected}'")
    notes = {(n.line, n.message.split(":")[0]) for n in upgrade_text(text, "doc.yaml").notes}
    assert notes == {
        (23, "regex condition '^(?!done$)' matches empty text"),
        (26, "'$response.body#/a{b}'"),
        (27, "1 value embeds runtime expressions in text (line 27)"),
    }


def test_a_source_field_shadowed_by_an_operation_id_is_listed(tmp_path: Path) -> None:
    # 1.1 reads $sourceDescriptions.api.url as operation 'url' when there is one.
    (tmp_path / "openapi.yaml").write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /u:\n    get: {operationId: url, responses: {'200': {description: ok}}}\n", encoding="utf-8")
    text = DOC.replace("status: $response.body#/status", "status: $sourceDescriptions.api.url\n          kind: $sourceDescriptions.api.type")
    (tmp_path / "doc.yaml").write_text(text, encoding="utf-8")
    from arazzo_codegen.upgrade import upgrade_file

    notes = [(n.line, n.message) for n in upgrade_file(tmp_path / "doc.yaml", "doc.yaml").notes]
    assert notes == [(26, "'$sourceDescriptions.api.url': source 'api' has an operation or workflow 'url' too; Arazzo 1.1 reads that first, not the field 'url'")]
    assert not upgrade_text(text, "doc.yaml").notes  # without the folder the sources are not read


def test_a_mapping_as_a_parameter_value_is_listed() -> None:
    text = DOC.replace("        successCriteria:\n", "        parameters:\n          - name: owner\n            value: {name: $inputs.expected}\n          - {name: pick, value: {context: $inputs, selector: /x, type: jsonpointer}}\n        successCriteria:\n", 1)
    notes = [(n.line, n.json_path, n.message.split(":")[0]) for n in upgrade_text(text, "doc.yaml").notes]
    assert notes == [
        (19, ("workflows", 0, "steps", 0, "parameters", 0, "value"), "a mapping as a parameter value"),
        # the selector-shaped one is no plain mapping in 1.1, but 1.0 sent it as written:
        (20, ("workflows", 0, "steps", 0, "parameters", 1, "value"), "an object of context, selector and type"),
    ]


def test_a_read_of_a_later_steps_outputs_is_listed() -> None:
    # 1.1 orders steps by their output references (or refuses a forward one).
    text = DOC.replace("status: $response.body#/status", "status: $steps.later.outputs.x\n      - stepId: later\n        operationId: getPet\n        outputs: {x: $response.body#/x}")
    notes = [(n.line, n.message.split(":")[0]) for n in upgrade_text(text, "doc.yaml").notes]
    assert notes == [(26, "'$steps.later.outputs' reads the outputs of a later step")]
    text = text.replace("status: $steps.later.outputs.x", "status: $response.body#/status").replace("outputs: {x: $response.body#/x}", "outputs: {x: $steps.get.outputs.status}")
    assert not upgrade_text(text, "doc.yaml").notes  # an earlier step's outputs are fine


def test_an_operation_path_with_a_path_template_is_no_braced_pointer() -> None:
    text = DOC.replace("operationId: getPet", "operationPath: '{$sourceDescriptions.api.url}#/paths/~1pets~1{id}/get'")
    assert not upgrade_text(text, "doc.yaml").notes
    text = DOC.replace("operationId: getPet", "operationPath: $sourceDescriptions.api#/paths/~1pets~1{id}/get")
    assert not upgrade_text(text, "doc.yaml").notes
