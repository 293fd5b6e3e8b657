"""The official Arazzo 1.1 schema test suite (tests/arazzo11/schema/{pass,fail}, see
tests/arazzo11/README.md for the origin), table-driven.

"pass": accepted as far as their structure goes.  Their source URLs are placeholders
(remote hosts, or files that exist nowhere), so each source gets its one source
diagnostic, and never a version error.  A few documents also have a defect no schema
sees (a wrong case in a source name, an expression the grammar does not allow);
those are listed with the reason.  A send/receive step whose source could not be read
is not reported (what it would do is unknown, not wrong); openapi-operation-path's
'$sourceDescriptions.userAPI#/paths/...' is read with a warning (a quirk of real documents).

"fail": refused, each with the diagnostic that names its real defect.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from arazzo_codegen.cli import main

SUITE = Path(__file__).resolve().parent / "schema"
SOURCE = re.compile(r"\$\.sourceDescriptions\[\d+\]\.url: (source description '[^']+': '[^']+' is a remote URL; the generator reads only local files|file not found: .*)$")

#: pass documents with diagnostics beyond their sources: (JSON path, message start).
PASS_EXTRA: dict[str, list[tuple[str, str]]] = {
    # the 1.0 example's '$response.headers.Location' ($response.body.x reads as a quirk, with a warning)
    "bnpl-example.yaml": [("$.workflows[0].steps[4].outputs.redirectUrl", "malformed runtime expression in '$response.headers.Location'")],
    # characterization: the schema only checks that operationPath is a string
    "characterization-openapi-invalid-operationPath-string.arazzo.yaml": [("$.workflows[0].steps[0].operationPath", "malformed operationPath 'definitely-not-a-runtime-expression'")],
    # the same for channelPath (a malformed one is wrong whether or not its source can be read)
    "characterization-async-invalid-channelPath-string.arazzo.yaml": [("$.workflows[0].steps[0].channelPath", "malformed channelPath 'definitely-not-a-runtime-expression'")],
    # 'channelPath: createUser' names no source description (it is '{$sourceDescriptions.<name>.url}#/channels/createUser')
    "async-with-channel-path.arazzo.yaml": [("$.workflows[0].steps[0].channelPath", "malformed channelPath 'createUser'")],
    # the source is named 'UserAPI'; names are case-sensitive
    "openapi-success-criteria.arazzo.yaml": [("$.workflows[0].steps[0].operationId", "unknown source description 'userAPI'")],
    "workflow-success-criteria.arazzo.yaml": [("$.workflows[1].steps[0].operationId", "unknown source description 'userAPI'")],
    # a step that calls a workflow has no HTTP status
    "pet-coupons-example.yaml": [
        ("$.workflows[0].steps[2].successCriteria[0].condition", "$statusCode is not available in a step that calls a workflow"),
        ("$.workflows[1].steps[1].successCriteria[0].condition", "$statusCode is not available in a step that calls a workflow"),
    ],
}

#: fail documents: every error, as (JSON path, message start).
FAIL: dict[str, list[tuple[str, str]]] = {
    "async-both-operationId-and-channelPath.arazzo.yaml": [("$.workflows[0].steps[0]", "names both 'operationId' and 'channelPath'")],
    "async-channelPath-without-action.arazzo.yaml": [("$.workflows[0].steps[0]", "missing required field 'action'")],
    "async-depends-on-duplicate-values.arazzo.yaml": [("$.workflows[0].steps[1].dependsOn[1]", "item 1 repeats item 0")],
    "async-depends-on-empty.arazzo.yaml": [("$.workflows[0].steps[1].dependsOn", "must not be empty")],
    "async-depends-on-invalid-reference.arazzo.yaml": [("$.workflows[0].steps[1].dependsOn[0]", "dependsOn entry '$steps.sendEvent': a step is named by its stepId")],
    "channel-path-is-invalid-for-openapi.arazzo.yaml": [("$.workflows[0].steps[0].channelPath", "step 'step1': channelPath names an AsyncAPI channel, but no source description is of type asyncapi")],
    "invalid-arazzo-version.yaml": [("$.arazzo", "the Arazzo version must be a string, not the int 2")],
    "invalid-async-correlation-id-non-receive-action.arazzo.yaml": [("$.workflows[0].steps[0].action", "correlationId is only allowed with action: receive, not 'send'")],
    "invalid-async-parameter-without-in.arazzo.yaml": [("$.workflows[0].steps[0].parameters[0]", "missing required field 'in'")],
    "invalid-async.arazzo.yaml": [("$.workflows[0].steps[0].action", '"invalid" is not one of send, receive')],
    "invalid-expression-type-object.arazzo.yaml": [
        ("$.workflows[0].steps[0].outputs.brokenSelector.expression", "unknown Selector Object field 'expression'"),
        ("$.workflows[0].steps[0].outputs.brokenSelector.type.version", "xpath has no version 'rfc9535'"),
    ],
    "invalid-openapi-parameter-without-in.arazzo.yaml": [("$.workflows[0].steps[0].parameters[0]", "missing required field 'in'")],
    "invalid-openapi-success-criteria.arazzo.yaml": [("$.workflows[0].steps[0].successCriteria", "must not be empty")],
    "invalid-querystring-without-value.arazzo.yaml": [("$.workflows[0].steps[0].parameters[0]", "parameter 'q' has no value")],
    "invalid-selector-object.arazzo.yaml": [
        ("$.workflows[0].steps[0].outputs.brokenOutput", "a Selector Object needs 'type'"),
        ("$.workflows[0].steps[0].outputs.brokenOutput.expression", "unknown Selector Object field 'expression'"),
    ],
    "invalid-self-fragment.arazzo.yaml": [("$['$self']", "$self may not have a fragment ('#...')")],
    "invalid-targetSelectorType.arazzo.yaml": [("$.workflows[0].steps[0].requestBody.replacements[0].targetSelectorType", "unknown targetSelectorType 'jmespath'")],
    "invalid-workflow-step-with-operationId.arazzo.yaml": [("$.workflows[0].steps[0].operationId", "a step that calls workflow 'childWorkflow' cannot have 'operationId'")],
    "invalid-workflow-success-criteria.arazzo.yaml": [("$.workflows[0].steps[0].successCriteria", "must not be empty")],
    "not-an-object.yaml": [("$", "an Arazzo document must be a mapping at the top level, not a list")],
    "openapi-both-operationId-and-operationPath.arazzo.yaml": [("$.workflows[0].steps[0]", "names both 'operationId' and 'operationPath'")],
    "openapi-duplicate-parameters.arazzo.yaml": [("$.workflows[0].steps[0].parameters[1]", "item 1 repeats item 0")],
    "openapi-missing-operation-target.arazzo.yaml": [("$.workflows[0].steps[0]", "step 'getUsers' names nothing to run")],
    "workflow-duplicate-parameters.arazzo.yaml": [("$.workflows[0].steps[0].parameters[1]", "item 1 repeats item 0")],
    "workflow-missing-workflowId.arazzo.yaml": [("$.workflows[0].steps[0]", "step 'nestedWorkflow' names nothing to run")],
    "workflow-step-with-action.arazzo.yaml": [("$.workflows[0].steps[0].action", "a step that calls workflow 'childWorkflow' cannot have 'action'")],
    "workflow-step-with-channelPath.arazzo.yaml": [("$.workflows[0].steps[0].channelPath", "a step that calls workflow 'childWorkflow' cannot have 'channelPath'")],
}


def findings(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, str]]]:
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    out: list[tuple[str, str]] = []
    for line in err.splitlines():
        match = re.match(r"^.*?:\d+:\d+: (?:error|warning): (\$[^:]*?): (.*)$", line)
        if match and ": error: " in line:
            out.append((match.group(1), match.group(2)))
    return code, out


def test_the_suite_is_complete() -> None:
    assert len(list((SUITE / "pass").iterdir())) == 35 and len(list((SUITE / "fail").iterdir())) == 27
    assert sorted(FAIL) == sorted(p.name for p in (SUITE / "fail").iterdir())


@pytest.mark.parametrize("name", sorted(p.name for p in (SUITE / "pass").iterdir()))
def test_pass_document_is_accepted_as_far_as_its_structure_goes(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, found = findings(SUITE / "pass" / name, capsys)
    sources = [(path, message) for path, message in found if SOURCE.match(f"{path}: {message}")]
    rest = [(path, message) for path, message in found if (path, message) not in sources]
    assert code == 1 and sources, found  # every document names at least one placeholder source
    assert len({path for path, _ in sources}) == len(sources)  # one diagnostic per source
    assert not any("version" in message.lower() and "arazzo" in message.lower() for _, message in found), found
    expected = PASS_EXTRA.get(name, [])
    assert len(rest) == len(expected), rest
    for (path, message), (want_path, want) in zip(rest, expected):
        assert path == want_path and message.startswith(want), (path, message)


@pytest.mark.parametrize("name", sorted(FAIL))
def test_fail_document_is_refused_for_its_defect(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, found = findings(SUITE / "fail" / name, capsys)
    assert code == 1
    assert len(found) == len(FAIL[name]), found
    for (path, message), (want_path, want) in zip(found, FAIL[name]):
        assert path == want_path and message.startswith(want), (path, message)


def test_operation_path_naming_the_source_without_url_is_read_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The quirk of real documents (README "Quirks of real documents"), the same in 1.0 and 1.1.
    text = (SUITE / "pass" / "openapi-operation-path.arazzo.yaml").read_text(encoding="utf-8")
    ten = tmp_path / "ten.arazzo.yaml"
    ten.write_text(text.replace("arazzo: 1.1.0", "arazzo: 1.0.1"), encoding="utf-8")
    for path in (SUITE / "pass" / "openapi-operation-path.arazzo.yaml", ten):
        code = main(["validate", str(path)])
        err = capsys.readouterr().err
        assert code == 1 and "warning: $.workflows[0].steps[0].operationPath: operationPath '$sourceDescriptions.userAPI#/paths/~1users/get' names the source description without '.url'" in err
        assert "write '{$sourceDescriptions.userAPI.url}#/paths/~1users/get'" in err
