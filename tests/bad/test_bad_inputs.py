"""The bad-input catalogue: every document under tests/bad/ is refused with exactly
the diagnostics tests/bad/expected.yaml lists, exit code 1, no traceback, and no
file written or changed anywhere.

Each case runs the real command line in-process (``cli.main``, the function behind
``arazzo-codegen``), from the case's folder so that file names print as the
catalogue writes them.  A few cases also run as subprocesses, to show the exit code
and the absence of tracebacks at the process boundary; usage errors exit 2 and an
internal error of the generator is one line and exit 3.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arazzo_codegen import cli, pipeline

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path(__file__).resolve().parent
EXPECTED: dict[str, Any] = yaml.safe_load((CATALOGUE / "expected.yaml").read_text(encoding="utf-8"))
PACKAGE = "bad"
#: Any one case, built documents included, must be decided within this many seconds.
CASE_SECONDS = 60.0

_DIAGNOSTIC = re.compile(r"^\S+:\d+:\d+: (error|warning): \$")


# -- documents the test writes (too big or too odd to commit) ------------------------------


def _ten_megabytes(folder: Path) -> None:
    """A valid 10 MB OpenAPI document (20,000 operations with long descriptions) and
    a workflow that names an operation it does not have."""
    filler = "A description long enough to make the document big. " * 8
    parts = ["openapi: 3.1.0\ninfo:\n  title: Big\n  version: 1.0.0\npaths:\n"]
    for index in range(20_000):
        parts.append(
            f"  /things/t{index}:\n    get:\n      operationId: getThing{index}\n"
            f"      description: {filler}\n      responses:\n        '200':\n          description: ok\n"
        )
    (folder / "openapi.yaml").write_text("".join(parts), encoding="utf-8")
    assert (folder / "openapi.yaml").stat().st_size > 10_000_000
    (folder / "arazzo.yaml").write_text(
        _HEAD.replace("../_shared/petstore.yaml", "openapi.yaml")
        + "workflows:\n  - workflowId: w\n    steps:\n      - stepId: a\n        operationId: getThing20000\n",
        encoding="utf-8",
    )


def _nesting_100000_deep(folder: Path) -> None:
    """Deep enough to crash libyaml's recursive composer if it ever saw it."""
    (folder / "arazzo.yaml").write_text(_HEAD + "x-deep: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")


def _linked_40_deep(folder: Path) -> None:
    """arazzo.yaml links d1.yaml, which links d2.yaml, ... down to d40.yaml: a chain
    of documents deeper than the generator follows (it must stop, not recurse)."""
    depth = 40
    for level in range(depth + 1):
        name = "arazzo.yaml" if level == 0 else f"d{level}.yaml"
        link = f"  - {{name: next, url: d{level + 1}.yaml, type: arazzo}}\n" if level < depth else ""
        text = (
            f"arazzo: 1.0.1\ninfo: {{title: level {level}, version: 1.0.0}}\nsourceDescriptions:\n"
            "  - {name: petstore, url: ../_shared/petstore.yaml, type: openapi}\n"
            f"{link}workflows:\n  - workflowId: w\n    steps:\n      - {{stepId: a, operationId: listPets}}\n"
        )
        (folder / name).write_text(text, encoding="utf-8")


_HEAD = """arazzo: 1.0.1
info:
  title: Bad input
  version: 1.0.0
sourceDescriptions:
  - name: petstore
    url: ../_shared/petstore.yaml
    type: openapi
"""

BUILDERS: dict[str, Callable[[Path], None]] = {
    "ten-megabytes": _ten_megabytes,
    "nesting-100000-deep": _nesting_100000_deep,
    "linked-40-deep": _linked_40_deep,
}


# -- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    spec: str
    diagnostics: tuple[str, ...]  # rendered, as the CLI prints them
    build: str | None
    xfail: str | None


def _render(entry: dict[str, Any]) -> str:
    """An expected diagnostic as the CLI prints it: ``file:line:col: severity: path:
    message``, then the hint on an indented line."""
    text = f"{entry['at']}: {entry['severity']}: {entry['path']}: {entry['message']}"
    if entry.get("hint"):
        text += f"\n    hint: {entry['hint']}"
    return text


def _cases() -> list[Case]:
    cases = []
    for name, spec in sorted(EXPECTED["cases"].items()):
        cases.append(
            Case(
                name=name,
                spec=spec.get("spec", "arazzo.yaml"),
                diagnostics=tuple(_render(d) for d in spec.get("diagnostics", [])),
                build=spec.get("build"),
                xfail=spec.get("xfail"),
            )
        )
    return cases


CASES = _cases()


def _params(skip: frozenset[str] = frozenset()) -> list[Any]:
    params = []
    for case in CASES:
        if case.name in skip:
            continue
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def test_catalogue_is_complete() -> None:
    """Every folder is a case, every case has a folder (or a builder), and there are
    at least 40 of them."""
    folders = {p.name for p in CATALOGUE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    listed = {case.name for case in CASES if case.build is None}
    assert folders == listed
    assert {case.build for case in CASES if case.build} == set(BUILDERS)
    assert len(CASES) >= 40
    for case in CASES:
        assert case.xfail or case.diagnostics, f"{case.name}: no expected diagnostics"


#: Catalogue diagnostics printed without a hint line, as "case: message" -> why no
#: honest hint can be given.  (None today: every refusal says what to do.)
NO_HINT: dict[str, str] = {}


def test_every_catalogue_diagnostic_has_a_hint() -> None:
    """Each diagnostic the catalogue expects (and so, by the tests below, each one the
    CLI prints for it) comes with a hint line, unless NO_HINT says why it cannot."""
    bare = [
        f"{name}: {entry['message']}"
        for name, spec in sorted(EXPECTED["cases"].items())
        for entry in spec.get("diagnostics", [])
        if not entry.get("hint")
    ]
    assert [b for b in bare if b not in NO_HINT] == []
    assert set(NO_HINT) <= set(bare), "NO_HINT lists diagnostics that have a hint (or are gone)"


# -- running the CLI ------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative name -> bytes); directories too, as b''."""
    if not folder.exists():
        return {}
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        out[path.relative_to(folder).as_posix() + ("/" if path.is_dir() else "")] = b"" if path.is_dir() else path.read_bytes()
    return out


def run_cli(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """``arazzo-codegen argv`` in-process from ``cwd``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


def split_report(stderr: str) -> tuple[list[str], list[str]]:
    """(rendered diagnostics with their hint lines, the other lines)."""
    diagnostics: list[str] = []
    other: list[str] = []
    for line in stderr.splitlines():
        if line.startswith("    hint: ") and diagnostics:
            diagnostics[-1] += "\n" + line
        elif _DIAGNOSTIC.match(line):
            diagnostics.append(line)
        else:
            other.append(line)
    return diagnostics, other


@pytest.fixture
def case_folder(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    case: Case = request.param
    if case.build is None:
        yield CATALOGUE / case.name
        return
    # Built documents live in a temporary folder laid out like the catalogue's.
    folder = tmp_path / "bad" / case.build
    folder.mkdir(parents=True)
    (tmp_path / "bad" / "_shared").mkdir()
    (tmp_path / "bad" / "_shared" / "petstore.yaml").write_bytes((CATALOGUE / "_shared" / "petstore.yaml").read_bytes())
    BUILDERS[case.build](folder)
    yield folder


def _previous_output(out: Path) -> None:
    (out / PACKAGE).mkdir(parents=True)
    (out / PACKAGE / "sentinel.py").write_text("# output of an earlier run\n", encoding="utf-8")


@pytest.mark.parametrize("case_folder", _params(), indirect=True)
def test_generate_refuses(case_folder: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    case: Case = request.node.callspec.params["case_folder"]
    out = tmp_path / "out"
    _previous_output(out)
    before_out, before_case = _snapshot(out), _snapshot(case_folder)
    started = time.monotonic()
    code, stdout, stderr = run_cli(["generate", case.spec, "--out", str(out), "--package", PACKAGE], case_folder)
    elapsed = time.monotonic() - started
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    diagnostics, other = split_report(stderr)
    assert diagnostics == list(case.diagnostics)
    assert len(other) == 1 and other[0].startswith(f"{PACKAGE}: not generated: "), other
    assert code == cli.EXIT_ERRORS
    assert stdout == ""
    assert _snapshot(out) == before_out, "the output directory changed"
    assert _snapshot(case_folder) == before_case, "the spec's folder changed"
    assert elapsed < CASE_SECONDS


# The 10 MB document takes seconds to read and follows the same path in both commands.
@pytest.mark.parametrize("case_folder", _params(skip=frozenset({"ten-megabytes"})), indirect=True)
def test_validate_reports_the_same(case_folder: Path, request: pytest.FixtureRequest) -> None:
    """``validate`` runs every stage up to analysis: the same diagnostics, exit 1."""
    case: Case = request.node.callspec.params["case_folder"]
    before_case = _snapshot(case_folder)
    code, stdout, stderr = run_cli(["validate", case.spec, "--package", PACKAGE], case_folder)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    diagnostics, _ = split_report(stderr)
    assert diagnostics == list(case.diagnostics)
    assert code == cli.EXIT_ERRORS
    assert _snapshot(case_folder) == before_case


# -- the process boundary -------------------------------------------------------------------

SUBPROCESS_CASES = ["malformed-yaml-indentation", "yaml-python-tag", "binary-garbage", "workflow-calls-itself", "openapi-cyclic-schema-ref"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ARAZZO_CODEGEN_TRACEBACK", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_subprocess_exit_code_and_no_traceback(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    out = tmp_path / "out"
    _previous_output(out)
    before = _snapshot(out)
    proc = subprocess.run(
        [sys.executable, "-m", "arazzo_codegen", "generate", case.spec, "--out", str(out), "--package", PACKAGE],
        cwd=CATALOGUE / name,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    diagnostics, _ = split_report(proc.stderr)
    assert diagnostics == list(case.diagnostics)
    assert _snapshot(out) == before


USAGE_ERRORS: list[tuple[list[str], str]] = [
    (["generate", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["generate", "nowhere/arazzo.yaml", "--out", "{out}"], "nowhere/arazzo.yaml"),
    (["generate", "{spec}", "--out", "{out}", "--line-length", "5"], "--line-length"),
    (["generate", "{spec}", "--out", "{out}", "--poll-interval", "-1"], "--poll-interval"),
    (["generate", "{spec}", "--out", "{out}", "--package", "not-a-name"], "not-a-name"),
    (["generate", "{spec}", "--out", "{out}", "--package", "../escape"], "../escape"),
    (["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize(("argv", "mentions"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_exit_2(argv: list[str], mentions: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = CATALOGUE / "unknown-operation-id" / "arazzo.yaml"
    args = [a.replace("{out}", str(out)).replace("{spec}", str(spec)) for a in argv]
    code, stdout, stderr = run_cli(args, tmp_path)
    assert code == cli.EXIT_USAGE, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("arazzo-codegen") and mentions in lines[-1], stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_directory_as_spec_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    code, _, stderr = run_cli(["generate", str(folder), "--out", str(tmp_path / "out")], tmp_path)
    assert code == cli.EXIT_USAGE
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == f"arazzo-codegen: {folder}: not a file"
    assert not (tmp_path / "out").exists()


# -- internal errors --------------------------------------------------------------------------


def test_internal_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stage exploded")

    monkeypatch.setattr(pipeline, "resolve", broken)
    monkeypatch.delenv("ARAZZO_CODEGEN_TRACEBACK", raising=False)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["generate", "arazzo.yaml", "--out", str(out), "--package", PACKAGE], CATALOGUE / "unknown-operation-id")
    assert code == cli.EXIT_INTERNAL
    assert stderr.splitlines() == [
        "arazzo-codegen: internal error: RuntimeError: stage exploded. Please report this with the spec that caused it."
    ]
    assert stdout == ""
    assert not out.exists()


def test_internal_error_in_a_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from arazzo_codegen import cli, pipeline\n"
        "def broken(*a, **k):\n"
        "    raise KeyError('boom')\n"
        "pipeline.resolve = broken\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", script, "generate", "arazzo.yaml", "--out", str(out), "--package", PACKAGE],
        cwd=CATALOGUE / "unknown-operation-id",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "arazzo-codegen: internal error: KeyError: 'boom'. Please report this with the spec that caused it."
    ]
    assert not out.exists()


# -- inputs that must terminate and succeed ------------------------------------------------


def test_recursive_schema_terminates_and_generates(tmp_path: Path) -> None:
    """A schema that contains itself through a property (a tree) is valid: it must
    neither loop nor fail."""
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: Trees, version: '1'}\n"
        "paths:\n  /tree:\n    get:\n      operationId: getTree\n      responses:\n"
        "        '200':\n          description: A tree.\n          content:\n            application/json:\n"
        "              schema: {$ref: '#/components/schemas/Node'}\n"
        "components:\n  schemas:\n    Node:\n      type: object\n      properties:\n"
        "        name: {type: string}\n        children:\n          type: array\n          items: {$ref: '#/components/schemas/Node'}\n",
        encoding="utf-8",
    )
    (tmp_path / "arazzo.yaml").write_text(
        _HEAD.replace("../_shared/petstore.yaml", "openapi.yaml").replace("petstore", "trees")
        + "workflows:\n  - workflowId: tree\n    steps:\n      - stepId: get\n        operationId: getTree\n"
        + "        outputs:\n          name: $response.body#/name\n    outputs:\n      name: $steps.get.outputs.name\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, _, stderr = run_cli(["generate", "arazzo.yaml", "--out", "out", "--package", "trees"], tmp_path)
    assert code == 0, stderr
    assert time.monotonic() - started < CASE_SECONDS
    for name in ("models.py", "workflows.py"):
        source = (tmp_path / "out" / "trees" / name).read_text(encoding="utf-8")
        compile(source, name, "exec")


def test_schema_ref_chain_200_deep_terminates_and_generates(tmp_path: Path) -> None:
    """200 component schemas, each holding a $ref to the next: followed without
    recursion trouble, in bounded time, into 199 model classes."""
    chain = "".join(
        f"    Level{i}:\n      type: object\n      properties:\n        child:\n          $ref: '#/components/schemas/Level{i + 1}'\n"
        for i in range(1, 200)
    )
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: Chain, version: '1'}\n"
        "paths:\n  /things:\n    get:\n      operationId: listThings\n      responses:\n"
        "        '200':\n          description: Things.\n          content:\n            application/json:\n"
        "              schema: {$ref: '#/components/schemas/Level1'}\n"
        "components:\n  schemas:\n" + chain + "    Level200:\n      type: string\n",
        encoding="utf-8",
    )
    (tmp_path / "arazzo.yaml").write_text(
        _HEAD.replace("../_shared/petstore.yaml", "openapi.yaml")
        + "workflows:\n  - workflowId: w\n    steps:\n      - stepId: a\n        operationId: listThings\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, _, stderr = run_cli(["generate", "arazzo.yaml", "--out", "out", "--package", "chain"], tmp_path)
    assert code == 0, stderr
    assert time.monotonic() - started < CASE_SECONDS
    models = (tmp_path / "out" / "chain" / "models.py").read_text(encoding="utf-8")
    compile(models, "models.py", "exec")
    assert len(re.findall(r"^class Level\d+\(", models, re.M)) == 199


def test_payload_at_the_deepest_accepted_nesting_still_compiles(tmp_path: Path) -> None:
    """The loader's depth limit keeps literals within what Python can parse: a payload
    as deep as the limit allows (with optional members at every level) compiles."""
    from arazzo_codegen.load_parse import MAX_DEPTH

    depth = MAX_DEPTH - 6  # workflows, [0], steps, [0], requestBody, payload
    payload: Any = "$inputs.name"
    for _ in range(depth):
        payload = {"a": payload, "nick": "$inputs.nick"}
    payload["name"] = "$inputs.name"  # the member the schema requires (checked at compile time)
    document: dict[str, Any] = {
        "arazzo": "1.0.1",
        "info": {"title": "Deep", "version": "1"},
        "sourceDescriptions": [{"name": "petstore", "url": str(CATALOGUE / "_shared" / "petstore.yaml"), "type": "openapi"}],
        "workflows": [
            {
                "workflowId": "deep",
                "inputs": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "nick": {"type": "string"}}},
                "steps": [{"stepId": "create", "operationId": "createPet", "requestBody": {"contentType": "application/json", "payload": payload}}],
            }
        ],
    }
    (tmp_path / "arazzo.json").write_text(json.dumps(document), encoding="utf-8")
    code, _, stderr = run_cli(["generate", "arazzo.json", "--out", "out", "--package", "deep"], tmp_path)
    assert code == 0, stderr
    source = (tmp_path / "out" / "deep" / "workflows.py").read_text(encoding="utf-8")
    compile(source, "workflows.py", "exec")
    # One level deeper is refused with a diagnostic instead.
    document["workflows"][0]["steps"][0]["requestBody"]["payload"] = {"a": payload}
    (tmp_path / "arazzo.json").write_text(json.dumps(document), encoding="utf-8")
    code, _, stderr = run_cli(["generate", "arazzo.json", "--out", "out2", "--package", "deep"], tmp_path)
    assert code == 1
    assert f"more than {MAX_DEPTH} levels deep" in stderr
    assert not (tmp_path / "out2").exists()


# -- random documents: never a crash --------------------------------------------------------


_VOCABULARY = [
    "arazzo", "info", "title", "version", "sourceDescriptions", "name", "url", "type", "workflows", "workflowId",
    "steps", "stepId", "operationId", "operationPath", "parameters", "in", "value", "requestBody", "payload",
    "contentType", "successCriteria", "condition", "context", "onSuccess", "onFailure", "retryAfter", "retryLimit",
    "criteria", "outputs", "inputs", "properties", "required", "default", "dependsOn", "components",
    "successActions", "failureActions", "reference", "$ref", "x-ext", "replacements", "target",
]
_SCALARS = (
    st.sampled_from(["1.0.1", "openapi", "goto", "end", "retry", "path", "query", "header", "$statusCode == 200",
                     "$inputs.a", "$steps.a.outputs.b", "$response.body#/id", "{$inputs.a}", "a", "w", "listPets",
                     "../_shared/petstore.yaml", "#/components/inputs/a", "$components.parameters.p", "regex", "jsonpath"])
    | st.text(max_size=8) | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(_VOCABULARY) | st.text(max_size=4), children, max_size=4),
    max_leaves=25,
)


def _random_case(folder: Path, document: dict[str, Any]) -> None:
    """``folder/case/arazzo.json`` beside a copy of the catalogue's shared OpenAPI document.
    (hypothesis reuses the test's tmp_path across examples: each overwrites the last.)"""
    (folder / "_shared").mkdir(exist_ok=True)
    (folder / "_shared" / "petstore.yaml").write_bytes((CATALOGUE / "_shared" / "petstore.yaml").read_bytes())
    (folder / "case").mkdir(exist_ok=True)
    (folder / "case" / "arazzo.json").write_text(json.dumps(document), encoding="utf-8")


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    document=st.fixed_dictionaries(
        {"arazzo": st.just("1.0.1"), "info": st.just({"title": "t", "version": "1"})},
        optional={
            "sourceDescriptions": st.just([{"name": "petstore", "url": "../_shared/petstore.yaml", "type": "openapi"}]) | _VALUES,
            "workflows": st.lists(st.dictionaries(st.sampled_from(_VOCABULARY), _VALUES, max_size=6), max_size=2) | _VALUES,
            "components": _VALUES,
        },
    )
)
def test_random_documents_never_crash(document: dict[str, Any], tmp_path: Path) -> None:
    """Arbitrary shapes in the places the generator reads: a report (exit 0 or 1), never an internal error."""
    _random_case(tmp_path, document)
    code, _, stderr = run_cli(["validate", "arazzo.json", "--package", PACKAGE], tmp_path / "case")
    assert code in (0, 1), stderr
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr


_BASE: dict[str, Any] = {
    "arazzo": "1.0.1",
    "info": {"title": "Base", "version": "1.0.0"},
    "sourceDescriptions": [{"name": "petstore", "url": "../_shared/petstore.yaml", "type": "openapi"}],
    "workflows": [
        {
            "workflowId": "adopt",
            "inputs": {"type": "object", "required": ["petName"], "properties": {"petName": {"type": "string"}, "limit": {"type": "integer", "default": 3}}},
            "steps": [
                {
                    "stepId": "create",
                    "operationId": "createPet",
                    "requestBody": {"contentType": "application/json", "payload": {"name": "$inputs.petName", "status": "available"}},
                    "successCriteria": [{"condition": "$statusCode == 201"}],
                    "outputs": {"petId": "$response.body#/id", "status": "$response.body#/status"},
                },
                {
                    "stepId": "poll",
                    "operationId": "getPet",
                    "parameters": [{"name": "petId", "in": "path", "value": "$steps.create.outputs.petId"}],
                    "successCriteria": [{"condition": "$statusCode == 200"}],
                    "outputs": {"status": "$response.body#/status"},
                    "onSuccess": [
                        {"name": "again", "type": "goto", "stepId": "poll", "criteria": [{"context": "$response.body#/status", "condition": "^avail", "type": "regex"}]},
                        {"name": "done", "type": "end"},
                    ],
                    "onFailure": [{"name": "retry", "type": "retry", "retryAfter": 1, "retryLimit": 3}],
                },
                {
                    "stepId": "list",
                    "operationPath": "{$sourceDescriptions.petstore.url}#/paths/~1pets/get",
                    "parameters": [{"name": "limit", "in": "query", "value": "$inputs.limit"}],
                },
            ],
            "outputs": {"petId": "$steps.create.outputs.petId", "status": "$steps.poll.outputs.status"},
        },
        {
            "workflowId": "again",
            "dependsOn": ["adopt"],
            "inputs": {"type": "object", "required": ["petName"], "properties": {"petName": {"type": "string"}}},
            "steps": [{"stepId": "one", "operationId": "listPets"}],
        },
    ],
}


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, here + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out += _paths(child, here + (index,))
    return out


def test_base_document_is_valid(tmp_path: Path) -> None:
    """The mutation test below starts from a document every stage accepts."""
    (tmp_path / "_shared").mkdir()
    (tmp_path / "_shared" / "petstore.yaml").write_bytes((CATALOGUE / "_shared" / "petstore.yaml").read_bytes())
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "arazzo.json").write_text(json.dumps(_BASE), encoding="utf-8")
    code, _, stderr = run_cli(["validate", "arazzo.json", "--package", PACKAGE], tmp_path / "case")
    assert code == 0, stderr


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_documents_never_crash(data: st.DataObject, tmp_path: Path) -> None:
    """A valid document with a few parts replaced, removed or added: every stage
    (resolve and analyze included) reports; none crashes."""
    document = json.loads(json.dumps(_BASE))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(document) if p]
        path = data.draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = data.draw(_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(_VOCABULARY))] = data.draw(_VALUES)
        else:
            parent.append(data.draw(_VALUES))
    _random_case(tmp_path, document)
    code, _, stderr = run_cli(["validate", "arazzo.json", "--package", PACKAGE], tmp_path / "case")
    assert "internal error" not in stderr and "Traceback" not in stderr, (stderr, document)
    assert code in (0, 1), stderr
