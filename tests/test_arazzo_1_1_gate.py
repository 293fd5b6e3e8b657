"""The version dispatch: an Arazzo 1.1 document is held to the 1.1 schema and
compiled through the same pipeline as a 1.0 one; a 1.0 document relabelled 1.1.0
compiles to the same code.  AsyncAPI sources are read (tests/asyncapi/); a
problem with one is told at its place while the rest of the document is still
checked.  Other versions (1.2.0, 2) keep their
version error.

tests/arazzo11/ holds four documents of the official 1.1 schema test suite (see
its README for the origin).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from arazzo_codegen.cli import main

HERE = Path(__file__).resolve().parent / "arazzo11"

OPENAPI = """openapi: 3.1.0
info: {title: Users, version: 1.0.0}
servers: [{url: https://users.example.com}]
paths:
  /users:
    get:
      operationId: getUsers
      responses:
        "200": {description: ok}
"""

NOT_SUPPORTED = "Arazzo 1.1 is not supported yet"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for path in HERE.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def errors_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if ": error: " in line], err


def with_source(folder: Path, url: str, *, name: str = "doc.arazzo.yaml", version: str = "1.1.0") -> str:
    text = (folder / "minimal.arazzo.yaml").read_text(encoding="utf-8")
    (folder / name).write_text(text.replace("arazzo: 1.1.0", f"arazzo: {version}").replace("https://example.com/openapi.yaml", url), encoding="utf-8")
    return name


@pytest.mark.parametrize("command", ["validate", "generate"])
def test_placeholder_source_of_a_valid_1_1_document_is_the_one_diagnostic(folder: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, errors, err = errors_of([command, "minimal.arazzo.yaml"], capsys)
    assert code == 1
    assert errors == [
        "minimal.arazzo.yaml:7:10: error: $.sourceDescriptions[0].url: source description 'exampleAPI': 'https://example.com/openapi.yaml' is a remote URL; the generator reads only local files"
    ]
    assert "version" not in err and NOT_SUPPORTED not in err


def test_missing_local_source_of_a_1_1_document(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, errors, _ = errors_of(["validate", with_source(folder, "./absent.yaml")], capsys)
    assert code == 1
    assert errors == ["doc.arazzo.yaml:7:10: error: $.sourceDescriptions[0].url: file not found: absent.yaml"]


def _bodies(folder: Path) -> dict[str, list[str]]:
    """The generated files without their two header lines (sources, stamp), which name the input."""
    return {p.name: p.read_text(encoding="utf-8").splitlines()[3:] for p in sorted(folder.iterdir()) if p.suffix == ".py"}


def test_a_1_1_document_whose_sources_resolve_compiles_like_its_1_0_twin(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    code, errors, err = errors_of(["generate", with_source(folder, "./openapi.yaml"), "--out", "gen11"], capsys)
    assert code == 0, err
    assert NOT_SUPPORTED not in err and "version" not in err
    code, _, err = errors_of(["generate", with_source(folder, "./openapi.yaml", name="doc10.arazzo.yaml", version="1.0.1"), "--out", "gen10"], capsys)
    assert code == 0, err
    eleven, ten = _bodies(folder / "gen11" / "doc"), _bodies(folder / "gen10" / "doc10")
    assert set(eleven) == {"__init__.py", "_runtime.py", "models.py", "workflows.py"}
    assert eleven == ten


def test_a_source_map_counts_as_resolving(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "mirror").mkdir()
    (folder / "mirror" / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    code, errors, err = errors_of(["validate", "minimal.arazzo.yaml", "--source-map", "https://example.com/=mirror"], capsys)
    assert (code, errors) == (0, []), err


def test_swagger_2_source_of_a_1_1_document_says_how_to_convert(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "swagger.yaml").write_text('swagger: "2.0"\ninfo: {title: S, version: "1"}\npaths: {}\n', encoding="utf-8")
    code, errors, err = errors_of(["validate", with_source(folder, "./swagger.yaml")], capsys)
    assert code == 1
    assert errors == ["swagger.yaml:1:10: error: $.swagger: Swagger 2.0 documents are not read, only OpenAPI 3.0 and 3.1"]
    assert "swagger2openapi" in err and "Swagger Editor" in err


def test_asyncapi_source_of_a_1_1_document_is_read(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An AsyncAPI 3.0 document with no operations: the step's OpenAPI operationId is unknown.
    (folder / "events.yaml").write_text("asyncapi: 3.0.0\ninfo: {title: E, version: '1'}\n", encoding="utf-8")
    name = with_source(folder, "./events.yaml")
    path = folder / name
    path.write_text(path.read_text(encoding="utf-8").replace("type: openapi", "type: asyncapi"), encoding="utf-8")
    code, errors, _ = errors_of(["validate", name], capsys)
    assert code == 1
    assert errors == ["doc.arazzo.yaml:13:22: error: $.workflows[0].steps[0].operationId: unknown operationId 'getUsers'"]


def test_1_1_schema_refuses_a_fail_fixture_for_its_defect_not_its_source(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, errors, _ = errors_of(["validate", "openapi-both-operationId-and-operationPath.arazzo.yaml"], capsys)
    assert code == 1
    assert errors == [
        "openapi-both-operationId-and-operationPath.arazzo.yaml:12:9: error: $.workflows[0].steps[0]: names both 'operationId' and 'operationPath'; exactly one of operationId or operationPath is allowed"
    ]
    code, errors, _ = errors_of(["validate", "invalid-self-fragment.arazzo.yaml"], capsys)
    assert code == 1
    assert errors == ["invalid-self-fragment.arazzo.yaml:2:8: error: $['$self']: $self may not have a fragment ('#...'): it names the whole document"]


def test_1_1_only_forms_are_not_judged_by_1_0_rules(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 'xpath-31' is a 1.1 version name; the 1.0 checks would call it unknown.
    code, errors, _ = errors_of(["validate", "criterion-with-extended-xpath.arazzo.yaml"], capsys)
    assert code == 1
    assert len(errors) == 1 and "$.sourceDescriptions[0].url" in errors[0] and "remote URL" in errors[0]
    # ...and a 1.0 document that says xpath-31 is still told.
    text = (folder / "criterion-with-extended-xpath.arazzo.yaml").read_text(encoding="utf-8").replace("arazzo: 1.1.0", "arazzo: 1.0.1")
    (folder / "ten.arazzo.yaml").write_text(text, encoding="utf-8")
    code, errors, _ = errors_of(["validate", "ten.arazzo.yaml"], capsys)
    assert code == 1
    assert any("xpath-31" in line for line in errors), errors


@pytest.mark.parametrize(("version", "message"), [("1.2.0", "unsupported Arazzo version '1.2.0'"), ("2.0.0", "unsupported Arazzo version '2.0.0'")])
def test_unknown_minor_versions_stay_a_version_error(folder: Path, capsys: pytest.CaptureFixture[str], version: str, message: str) -> None:
    (folder / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    code, errors, _ = errors_of(["validate", with_source(folder, "./openapi.yaml", version=version)], capsys)
    assert code == 1
    assert errors == [f"doc.arazzo.yaml:1:9: error: $.arazzo: {message}"]


def test_a_1_0_document_linking_a_1_1_document(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    with_source(folder, "./openapi.yaml", name="linked.arazzo.yaml")
    (folder / "root.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: Root, version: 1.0.0}\nsourceDescriptions:\n  - name: other\n    url: ./linked.arazzo.yaml\n    type: arazzo\n"
        "workflows:\n  - workflowId: outer\n    steps:\n      - stepId: call\n        workflowId: $sourceDescriptions.other.basicWorkflow\n",
        encoding="utf-8",
    )
    code, errors, err = errors_of(["validate", "root.arazzo.yaml"], capsys)
    assert (code, errors) == (0, []), err
    # Each document by its own version: the linked 1.1 document with a 1.0-only defect is told in 1.1 terms.
    linked = folder / "linked.arazzo.yaml"
    linked.write_text(linked.read_text(encoding="utf-8") + "        successCriteria: []\n", encoding="utf-8")
    code, errors, _ = errors_of(["validate", "root.arazzo.yaml"], capsys)
    assert code == 1
    assert errors == ["linked.arazzo.yaml:14:9: error: $.workflows[0].steps[0].successCriteria: must not be empty"], errors


STEP_HEAD = """arazzo: 1.1.0
info: {title: T, version: 1.0.0}
sourceDescriptions:
  - name: api
    url: https://api.example.com/openapi.yaml
    type: openapi
workflows:
  - workflowId: w
    steps:
      - stepId: s
"""


@pytest.mark.parametrize(
    ("step", "at", "message"),
    [
        # A step of each kind fails the 1.1 schema's oneOf of three kinds; the
        # finding is the one of the kind its fields say it is, or one every kind shares.
        ("        operationId: op\n        channelPath: orders\n        action: send\n", "10:9: error: $.workflows[0].steps[0]", "names both 'operationId' and 'channelPath'; exactly one of operationId or channelPath is allowed"),
        ("        workflowId: other\n        action: send\n", "12:17: error: $.workflows[0].steps[0].action", "a step that calls workflow 'other' cannot have 'action'"),
        ("        operationId: op\n        successCriteria: []\n", "12:9: error: $.workflows[0].steps[0].successCriteria", "must not be empty"),
        (
            "        operationId: op\n        onFailure:\n          - name: again\n            type: retry\n            parameters:\n              - name: id\n                value: 1\n",
            "13:13: error: $.workflows[0].steps[0].onFailure[0]",
            "missing required field 'workflowId'",
        ),
    ],
)
def test_1_1_schema_findings_name_the_defect(folder: Path, capsys: pytest.CaptureFixture[str], step: str, at: str, message: str) -> None:
    (folder / "step.arazzo.yaml").write_text(STEP_HEAD + step, encoding="utf-8")
    code, errors, _ = errors_of(["validate", "step.arazzo.yaml"], capsys)
    assert code == 1
    assert errors == [f"step.arazzo.yaml:{at}: {message}"]


def test_asyncapi_source_and_message_steps_are_told_where_they_are_and_the_rest_is_still_checked(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (folder / "events.yaml").write_text("asyncapi: 3.0.0\ninfo: {title: E, version: '1'}\n", encoding="utf-8")
    (folder / "mixed.arazzo.yaml").write_text(
        "arazzo: 1.1.0\ninfo: {title: T, version: 1.0.0}\nsourceDescriptions:\n"
        "  - {name: api, url: ./openapi.yaml, type: openapi}\n  - {name: events, url: ./events.yaml, type: asyncapi}\n"
        "workflows:\n  - workflowId: w\n    steps:\n"
        "      - stepId: publish\n        channelPath: '{$sourceDescriptions.events.url}#/channels/orders'\n        action: send\n"
        "      - stepId: fetch\n        operationId: getUsers\n      - stepId: sub\n        workflowId: nowhere\n",
        encoding="utf-8",
    )
    code, errors, err = errors_of(["validate", "mixed.arazzo.yaml"], capsys)
    assert code == 1
    assert errors == [
        "mixed.arazzo.yaml:10:22: error: $.workflows[0].steps[0].channelPath: channelPath '{$sourceDescriptions.events.url}#/channels/orders': events.yaml has no channel 'orders'",
        "mixed.arazzo.yaml:15:21: error: $.workflows[0].steps[2].workflowId: unknown workflowId 'nowhere'",
    ], err
