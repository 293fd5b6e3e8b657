"""Conformance: the expression and reference quirks of real-world documents (issue 14).

Each compiles as its author meant, with a warning at the quirk's line and column that
names the spec-correct form, and is an error under --strict.  Where the meaning would
be a guess, the quirk is refused with a hint (bad.yaml).  The forms come from public
documents (see tests/conformance/README.md): WSO2's go-runner tests (dot-paths,
'petstore#/paths/...', callee outputs read through the calling step), Redocly's museum
API and Respect tests ('$sourceDescriptions.x#/paths/...',
'$sourceDescriptions.x.workflows.<id>', dot-paths into step outputs), usearazzo's
runner fixtures ('type: simple' with a context that is no expression), a Respect test
(a string in double quotes in a condition); Jentic's fixtures ('$steps.x.name' without
'.outputs', refused with the expression to write)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_codegen.diagnostics import Diagnostic, Severity
from arazzo_codegen.pipeline import Job, build
from tests.conformance.harness import CONFORMANCE_DIR, Compiled, Compiler, Servers, run

FEATURE = "quirks-expressions"


@pytest.fixture
def quirks(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature(FEATURE)
    assert not compiled.errors, compiled.errors
    return compiled


#: Under --strict the first stage with errors stops the build: the quirks the validation
#: stage and the resolve stage accept are written the spec's way one stage at a time (on
#: the same lines), so that the later stages show theirs.
STAGE_FIXES = [
    [],
    [
        ("$statusCode == 200\n            type: simple\n", "$statusCode == 200\n            context: $response.body\n"),
        ("context: response\n", "context: $response.body\n"),
    ],
    [
        ("'petsApi#/paths/", "'{$sourceDescriptions.petsApi.url}#/paths/"),
        ("'$sourceDescriptions.petsApi#/paths/", "'{$sourceDescriptions.petsApi.url}#/paths/"),
        ("$sourceDescriptions.shared.workflows.fetch-pet", "$sourceDescriptions.shared.fetch-pet"),
    ],
]


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> list[Diagnostic]:
    """The document compiled with --strict, stage by stage: every quirk is an error."""
    folder = tmp_path_factory.mktemp("strict")
    for name in ("pets.yaml", "shared.yaml"):
        (folder / name).write_text((CONFORMANCE_DIR / FEATURE / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (CONFORMANCE_DIR / FEATURE / "arazzo.yaml").read_text(encoding="utf-8")
    found: list[Diagnostic] = []
    for fixes in STAGE_FIXES:
        for old, new in fixes:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        (folder / "arazzo.yaml").write_text(text, encoding="utf-8")
        result = build(Job(spec=folder / "arazzo.yaml", package="quirks_strict", out=folder / "out", strict=True))
        assert not result.files  # nothing is generated
        found += [d for d in result.report.items if d not in found]  # a later stage may show one again
    return found


#: (line:column, JSON path, message start, hint): one row per quirk in arazzo.yaml.
QUIRKS = {
    "operation-path-bare-name": (
        "27:24",
        "$.workflows[0].steps[0].operationPath",
        "operationPath 'petsApi#/paths/~1pets~1{petId}/get' names the source description 'petsApi' without a runtime expression",
        "write '{$sourceDescriptions.petsApi.url}#/paths/~1pets~1{petId}/get'",
    ),
    "operation-path-no-url": (
        "43:24",
        "$.workflows[0].steps[1].operationPath",
        "operationPath '$sourceDescriptions.petsApi#/paths/~1pets/post' names the source description without '.url'",
        "write '{$sourceDescriptions.petsApi.url}#/paths/~1pets/post'",
    ),
    "simple-type-without-context": (
        "34:19",
        "$.workflows[0].steps[0].successCriteria[0].type",
        "a criterion that gives its type needs a context, also 'type: simple'",
        "leave out 'type: simple' (it is the default), or add context: $response.body",
    ),
    "double-quoted-string": (
        "35:24",
        "$.workflows[0].steps[0].successCriteria[1].condition",
        """condition '$response.body#/name == "Rex"' writes a string in double quotes ("Rex"): string literals take single quotes""",
        """write "$response.body#/name == 'Rex'\"""",
    ),
    "response-body-dot-path": (
        "39:25",
        "$.workflows[0].steps[0].outputs.categoryName",
        "runtime expression '$response.body.category.name' reads the body with a dot-path, not a JSON pointer",
        "write '$response.body#/category/name'",
    ),
    "request-body-dot-path": (
        "52:21",
        "$.workflows[0].steps[1].outputs.sentName",
        "runtime expression '$request.body.name' reads the body with a dot-path, not a JSON pointer",
        "write '$request.body#/name'",
    ),
    "step-output-dot-path": (
        "48:19",
        "$.workflows[0].steps[1].requestBody.payload.name",
        "$steps.getPet.outputs.whole.category.name names no step output: it is read as $steps.getPet.outputs.whole#/category/name",
        "write '$steps.getPet.outputs.whole#/category/name'",
    ),
    "input-dot-path": (
        "50:21",
        "$.workflows[0].steps[1].requestBody.payload.category.name",
        "$inputs.owner.name names no input: it is read as $inputs.owner#/name",
        "write '$inputs.owner#/name'",
    ),
    "workflows-segment": (
        "74:21",
        "$.workflows[1].steps[1].workflowId",
        "workflow reference '$sourceDescriptions.shared.workflows.fetch-pet' has '.workflows.' between the source name and the workflowId",
        "write '$sourceDescriptions.shared.fetch-pet'",
    ),
    "simple-context-not-an-expression": (
        "93:22",
        "$.workflows[2].steps[0].successCriteria[0].context",
        "context 'response' is not a runtime expression; a simple condition does not read it",
        "write context: $response.body (or leave out both context and 'type: simple')",
    ),
    "dependencies-root": (
        "108:47",
        "$.workflows[3].steps[0].parameters[1].value",
        "'$dependencies.dotPaths.name' reads the output of a dependsOn workflow through '$dependencies', which is no expression root",
        "write '$workflows.dotPaths.outputs.name'",
    ),
    "unknown-root-is-text": (
        "31:47",
        "$.workflows[0].steps[0].parameters[1].value",
        "'$dependencies.setup.petId' looks like a runtime expression, but '$dependencies' is no expression root: it is sent as this text",
        "expressions start with $url, $method, $statusCode, $request., $response., $inputs., $outputs., $steps., $workflows., "
        "$sourceDescriptions., $components.; the output of a dependsOn workflow is $workflows.<workflowId>.outputs.<name>",
    ),
    "callee-output-through-step": (
        "81:21",
        "$.workflows[1].outputs.categoryName",
        "step 'runDotPaths' declares no output 'categoryName': it is read as the output 'categoryName' of workflow 'dotPaths', which the step calls",
        "declare it on the step: outputs: {categoryName: $outputs.categoryName}",
    ),
}


def _find(diagnostics: list[Diagnostic], severity: Severity, where: str, path: str, message: str) -> Diagnostic:
    line, column = (int(n) for n in where.split(":"))
    found = [d for d in diagnostics if d.severity is severity and d.message.startswith(message)]
    assert found, f"no {severity.value} {message!r} in:\n" + "\n".join(d.render() for d in diagnostics)
    assert [(Path(d.file).name, d.line, d.column) for d in found] == [("arazzo.yaml", line, column)]
    rendered = found[0].render()
    assert f"arazzo.yaml:{where}: {severity.value}: {path}: " in rendered
    return found[0]


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_quirk_is_a_warning_naming_the_place_and_the_spec_form(quirks: Compiled, quirk: str) -> None:
    where, path, message, hint = QUIRKS[quirk]
    diagnostic = _find(quirks.diagnostics, Severity.WARNING, where, path, message)
    assert diagnostic.hint == hint


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_quirk_is_an_error_under_strict(strict: list[Diagnostic], quirk: str) -> None:
    where, path, message, hint = QUIRKS[quirk]
    diagnostic = _find(strict, Severity.ERROR, where, path, message)
    assert diagnostic.message.endswith("(an error under --strict)")
    assert diagnostic.hint == hint


def test_dot_paths_and_operation_path_shorthands_read_what_was_meant(quirks: Compiled, serve: Servers, mode: str) -> None:
    # GET by 'petsApi#/paths/~1pets~1{petId}/get', POST by '$sourceDescriptions.petsApi#/paths/~1pets/post';
    # the cassette checks the POST body: {name: <category of the pet read>, category: {name: <owner.name>}}.
    server = serve(FEATURE, "dot-paths")
    outputs = run(quirks, "dot_paths", mode, servers={"petsApi": server.url}, pet_id=7, owner={"name": "Ada"})
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/pets/7"), ("POST", "/pets")]
    assert outputs.name == "Rex"  # $response.body.name; and the criterion == "Rex" held
    assert outputs.category_name == "Dogs"  # $response.body.category.name
    assert outputs.sent_name == "Dogs"  # $request.body.name of what was sent
    assert outputs.stored_id == 8


# Dot-paths compile to JSON pointers and "Rex" is the three letters it spells (the runs
# above pass only if the criterion held for the pet named Rex): IR snapshot
# tests/generator/ir_snapshots/dot-paths.


def test_callee_outputs_and_linked_workflow_through_the_quirks(quirks: Compiled, serve: Servers, mode: str) -> None:
    server = serve(FEATURE, "caller")
    outputs = run(quirks, "caller", mode, servers={"petsApi": server.url}, pet_id=7, owner_name="Ada")
    assert outputs.category_name == "Dogs"  # $steps.runDotPaths.outputs.categoryName: dotPaths' output
    assert outputs.stored_id == 8
    assert outputs.shared_name == "Rex"  # $sourceDescriptions.shared.workflows.fetch-pet ran
    assert len(server.requests) == 3


# $dependencies reads the dependsOn workflow's output, and a callee's output read through
# the calling step is taken right after the call: IR snapshots
# tests/generator/ir_snapshots/dependencies and callee-outputs.


BAD = {
    "unknown source name": (
        "10:24",
        "$.workflows[0].steps[0].operationPath",
        "malformed operationPath 'petApi#/paths/~1pets~1{petId}/get': 'petApi' is not a source description",
        "did you mean 'petsApi'?",
    ),
    "double-quoted string with an escape": (
        "18:24",
        "$.workflows[0].steps[1].successCriteria[0].condition",
        "malformed condition '$response.body#/name == \"Rex\\\\n\"' at column 25: a double-quoted string with a backslash in it",
        "strings need single quotes",
    ),
    "dot-path with a bracket": (
        "20:18",
        "$.workflows[0].steps[1].outputs.first",
        "the dot-path '$response.body.tags[0].name' cannot be read as a JSON pointer without guessing: member 'tags[0]' holds '['",
        "write the JSON pointer",
    ),
    "step output without '.outputs'": (
        "24:13",
        "$.workflows[0].outputs.name",
        "runtime expression '$steps.getAgain.name' leaves out '.outputs' after the step id",
        "write '$steps.getAgain.outputs.name'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_ambiguous_quirks_are_refused_with_a_hint(compile_feature: Compiler, case: str) -> None:
    compiled = compile_feature(FEATURE, "bad.yaml")
    assert compiled.module is None
    where, path, message, hint = BAD[case]
    line, column = (int(n) for n in where.split(":"))
    found = [d for d in compiled.diagnostics if d.severity is Severity.ERROR and d.message.startswith(message)]
    assert len(found) == 1, "\n".join(compiled.errors)
    assert (Path(found[0].file).name, found[0].line, found[0].column) == ("bad.yaml", line, column)
    assert f"{path}: " in found[0].render()
    assert hint in (found[0].hint or "")
