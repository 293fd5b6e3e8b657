"""No injection: whatever text a spec holds reaches the generated code only as
escaped literals, comments, docstrings or sanitized identifiers.

A hypothesis property builds small valid Arazzo + OpenAPI documents whose ids,
names, titles, descriptions, defaults, enum values, parameter names, header and
query values, path parameters and payloads are full of quotes, triple quotes,
backslashes, newlines, ``{{ }}``, ``{% %}``, ``#``, unicode, Python keywords,
leading digits and code-looking strings that would touch a canary file if they
ever ran.  For every example:

* generation succeeds (the documents are valid) and every generated module compiles;
* importing the package and running the workflow (sync and async) against a
  loopback server executes nothing from the spec: the canary never appears;
* every value arrives on the wire exactly as the spec wrote it (JSON body, query,
  headers, path parameter), and every output comes back exactly as the server sent it.

``mypy --strict`` runs once, at the end, over a few of the generated packages.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import io
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from arazzo_codegen import cli, pycode

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("INJECTION_EXAMPLES", "25"))
MYPY_EXAMPLES = 3

# -- text that tries to break out ----------------------------------------------------------

CANARY_NAME = "INJECTION-CANARY"


def _payloads(canary: str) -> list[str]:
    """Code-looking strings that would create ``canary`` if they were ever executed."""
    return [
        f"__import__('pathlib').Path({canary!r}).touch()",
        f'"); __import__("pathlib").Path({canary!r}).touch(); ("',
        f"'); __import__('os').system('touch {canary}'); ('",
        f'"""); __import__("pathlib").Path({canary!r}).touch(); ("""',
        f"{{{{ __import__('pathlib').Path({canary!r}).touch() }}}}",
        f"{{% set x = __import__('pathlib').Path({canary!r}).touch() %}}",
        f"\\\n__import__('pathlib').Path({canary!r}).touch()\n#",
        f"\n__import__('pathlib').Path({canary!r}).touch()\n",
        f"{{__import__('pathlib').Path({canary!r}).touch()}}",
    ]


FRAGMENTS = [
    '"', "'", '"""', "'''", "\\", "\\n", "\\x00", "\x00", "\x7f", "\x1b[31m", "\\N{BULLET}", "\\u0041", "\n", "\r\n", "\t", "#", "# noqa",
    "{{ x }}", "{%", "%}", "{#", "#}", "{", "}", "{}", "{0}", "%s", "`", "${x}",
    "class", "None", "True", "def", "import", "lambda", "match", "case", "_", "__init__", "__class__",
    "0", "1st", "-1", "1e400", "é", "日本語", "Ω", "\u2028", "\u2029", "\u200b", "\ufeff", "😀", "\u0301",
    "</script>", "; rm -rf /", "model_config", "self", "client", "servers", "timeout", "sleep", "http",
    "response", "body", "base", "deadline", "models", "_runtime", "StepFailed", "Any", "Literal",
]
HEADER_FRAGMENTS = ['"', "'", '"""', "\\", "\\n", "#", "{{ x }}", "{%", "%}", "{", "}", "`", "class", "None", "0", ";", ",", "=", "(", ")", "<", ">"]
KEYWORDS = ["class", "None", "True", "def", "import", "lambda", "match", "case", "_", "type", "print", "async", "await"]
RESERVED = ["client", "servers", "timeout", "sleep", "poll_interval", "http", "response", "body", "base", "secrets", "model_config", "self"]


def _text(canary: str, *, exclude_dollar: bool = False, max_parts: int = 4) -> st.SearchStrategy[str]:
    part = st.sampled_from(FRAGMENTS + _payloads(canary)) | st.text(max_size=6)
    text = st.lists(part, min_size=1, max_size=max_parts).map("".join)
    if exclude_dollar:
        text = text.map(lambda s: s.replace("$", "S"))
    return text


def _word() -> st.SearchStrategy[str]:
    """Names that runtime expressions can spell: letters, digits, '_' and '-' (keywords, leading digits...)."""
    return st.sampled_from(KEYWORDS + RESERVED) | st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_-]{0,8}\Z")


def _output_name() -> st.SearchStrategy[str]:
    pydantic = sorted(pycode.MODEL_ATTRIBUTES)
    return st.sampled_from(KEYWORDS + RESERVED + pydantic + ["1st", "a.b", "x-y", "__dict__"]) | st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_-]{0,8}\Z")


def _header_value() -> st.SearchStrategy[str]:
    printable = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="$"), max_size=6)
    parts = st.lists(st.sampled_from(HEADER_FRAGMENTS) | printable, min_size=1, max_size=4).map("".join)
    return parts.filter(lambda s: s == s.strip() and s != "")


def _json_value(canary: str) -> st.SearchStrategy[Any]:
    leaves = (
        _text(canary, exclude_dollar=True)
        | st.integers(min_value=-(2**63), max_value=2**63)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.booleans()
        | st.none()
    )
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(_text(canary, max_parts=2), children, max_size=3),
        max_leaves=8,
    )


# -- the documents ---------------------------------------------------------------------------


@dataclass
class Example:
    arazzo: dict[str, Any]
    openapi: dict[str, Any]
    source: str
    wire_body: Any  # the JSON body the first step must send
    wire_query: list[tuple[str, str]]
    wire_headers: dict[str, str]
    path_value: str
    response: dict[str, Any]  # what the server answers to the first step
    outputs: dict[str, Any]  # what the workflow must return


def _pointer(token: str) -> str:
    return "/" + token.replace("~", "~0").replace("/", "~1")


@st.composite
def examples(draw: st.DrawFn, canary: str) -> Example:
    text = _text(canary)
    source = draw(st.sampled_from(KEYWORDS + RESERVED + ["1api", "-", "SERVERS", "api-v2", "models"]) | st.from_regex(r"\A[A-Za-z0-9_-]{1,8}\Z"))

    # Inputs that the steps use (names a runtime expression can spell), all with defaults.
    used_names = draw(st.lists(_word(), min_size=1, max_size=4, unique=True))
    properties: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for name in used_names:
        kind = draw(st.sampled_from(["string", "string-enum", "integer", "number", "boolean"]))
        if kind == "string":
            default: Any = draw(_text(canary, exclude_dollar=True))
            prop: dict[str, Any] = {"type": "string", "default": default}
        elif kind == "string-enum":
            values = draw(st.lists(_text(canary, exclude_dollar=True), min_size=1, max_size=3, unique=True))
            default = values[0]
            prop = {"type": "string", "enum": values, "default": default}
        elif kind == "integer":
            default = draw(st.integers(min_value=-(2**53), max_value=2**53))
            prop = {"type": "integer", "default": default}
        elif kind == "number":
            default = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
            prop = {"type": "number", "default": default}
        else:
            default = draw(st.booleans())
            prop = {"type": "boolean", "default": default}
        prop["description"] = draw(text)
        properties[name] = prop
        defaults[name] = default
    # Inputs nothing uses: any name at all, optional.
    for name in draw(st.lists(text, max_size=3, unique=True)):
        if name not in properties:
            properties[name] = {"type": "string", "description": draw(text), "default": draw(_text(canary, exclude_dollar=True))}

    # The request: a payload of literals and input references, nasty query and headers.
    payload: dict[str, Any] = {}
    wire_body: dict[str, Any] = {}
    for key in draw(st.lists(_text(canary, max_parts=2), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            name = draw(st.sampled_from(used_names))
            payload[key] = f"$inputs.{name}"
            wire_body[key] = defaults[name]
        else:
            value = draw(_json_value(canary))
            payload[key] = value
            wire_body[key] = value
    query = draw(st.dictionaries(_text(canary, exclude_dollar=True, max_parts=2), _text(canary, exclude_dollar=True), max_size=3))
    headers = {f"X-Nasty-{i}": value for i, value in enumerate(draw(st.lists(_header_value(), max_size=3)))}
    wire_headers = dict(headers)
    # A header built from an input (a template): its own input, with a value HTTP allows.
    token_input = draw(_word().filter(lambda n: n not in properties))
    token = draw(_header_value())
    properties[token_input] = {"type": "string", "default": token, "description": draw(text)}
    headers["X-From-Input"] = f"token {{$inputs.{token_input}}}"
    wire_headers["X-From-Input"] = f"token {token}"
    path_value = draw(st.sampled_from([".", ".."]) | _text(canary, exclude_dollar=True, max_parts=3).filter(bool))
    parameters = [{"name": "thingId", "in": "path", "value": path_value}]
    parameters += [{"name": k, "in": "query", "value": v} for k, v in query.items()]
    parameters += [{"name": k, "in": "header", "value": v} for k, v in headers.items()]

    # The response and the outputs read from it (nasty JSON pointer tokens, keyword output names).
    tokens = draw(st.lists(_text(canary, max_parts=2), min_size=1, max_size=3, unique=True))
    enum_values = draw(st.lists(_text(canary), min_size=1, max_size=3, unique=True))
    response: dict[str, Any] = {}
    schema_props: dict[str, Any] = {}
    step_outputs: dict[str, str] = {}
    outputs: dict[str, Any] = {}
    output_names = draw(st.lists(_output_name(), min_size=len(tokens), max_size=len(tokens), unique=True))
    for index, (token, name) in enumerate(zip(tokens, output_names)):
        if index == 0:
            schema_props[token] = {"type": "string", "enum": enum_values, "description": draw(text), "default": enum_values[0], "example": draw(text)}
            sent: Any = enum_values[0]
        else:
            schema_props[token] = {"type": "string", "description": draw(text), "default": draw(text), "examples": [draw(text)]}
            sent = draw(_text(canary))
        response[token] = sent
        step_outputs[name] = f"$response.body{'#' + _pointer(token)}"
        outputs[name] = sent

    first_step = draw(st.sampled_from(KEYWORDS + RESERVED + ["1st", "create-thing"]) | st.from_regex(r"\A[A-Za-z0-9_-]{1,8}\Z"))
    second_step = draw(text.filter(lambda s: s not in ("", first_step)))
    operation_ids = draw(st.lists(text.filter(bool), min_size=2, max_size=2, unique=True))
    workflow = {
        "workflowId": draw(text.filter(bool)),
        "summary": draw(text),
        "description": draw(text),
        "inputs": {"type": "object", "properties": properties},
        "steps": [
            {
                "stepId": first_step,
                "description": draw(text),
                "operationId": operation_ids[0],
                "parameters": parameters,
                "requestBody": {"contentType": "application/json", "payload": payload},
                "successCriteria": [{"condition": "$statusCode == 201"}],
                "outputs": step_outputs,
            },
            {
                "stepId": second_step,
                "description": draw(text),
                "operationId": operation_ids[1],
                "parameters": [{"name": "thingId", "in": "path", "value": f"$steps.{first_step}.outputs.{output_names[0]}"}],
                "successCriteria": [{"condition": "$statusCode == 200"}],
            },
        ],
        "outputs": {name: f"$steps.{first_step}.outputs.{name}" for name in output_names},
    }
    arazzo = {
        "arazzo": "1.0.1",
        "info": {"title": draw(text), "summary": draw(text), "description": draw(text), "version": draw(text)},
        "sourceDescriptions": [{"name": source, "url": "openapi.json", "type": "openapi"}],
        "workflows": [workflow],
    }
    thing = {"type": "object", "description": draw(text), "properties": schema_props, "required": [tokens[0]]}
    openapi = {
        "openapi": "3.1.0",
        "info": {"title": draw(text), "description": draw(text), "version": "1.0.0"},
        "servers": [{"url": "https://api.invalid"}],
        "paths": {
            "/things/{thingId}": {
                "parameters": [{"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}, "description": draw(text)}],
                "post": {
                    "operationId": operation_ids[0],
                    "summary": draw(text),
                    "description": draw(text),
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "description": draw(text)}}}},
                    "responses": {"201": {"description": draw(text), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
                },
                "get": {
                    "operationId": operation_ids[1],
                    "summary": draw(text),
                    "responses": {"200": {"description": draw(text), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
                },
            }
        },
        "components": {"schemas": {"Thing": thing}},
    }
    return Example(arazzo, openapi, source, wire_body, sorted(query.items()), wire_headers, path_value, response, outputs)


def _minimal_example() -> Example:
    """A small valid example with plain values, for targeted tests."""
    arazzo = {
        "arazzo": "1.0.1",
        "info": {"title": "Plain", "version": "1.0.0"},
        "sourceDescriptions": [{"name": "api", "url": "openapi.json", "type": "openapi"}],
        "workflows": [
            {
                "workflowId": "plain",
                "steps": [
                    {
                        "stepId": "create",
                        "operationId": "createThing",
                        "parameters": [{"name": "thingId", "in": "path", "value": "t1"}],
                        "requestBody": {"contentType": "application/json", "payload": {"a": 1}},
                        "successCriteria": [{"condition": "$statusCode == 201"}],
                        "outputs": {"id": "$response.body#/id"},
                    },
                    {
                        "stepId": "fetch",
                        "operationId": "getThing",
                        "parameters": [{"name": "thingId", "in": "path", "value": "$steps.create.outputs.id"}],
                        "successCriteria": [{"condition": "$statusCode == 200"}],
                    },
                ],
                "outputs": {"id": "$steps.create.outputs.id"},
            }
        ],
    }
    thing = {"$ref": "#/components/schemas/Thing"}
    openapi = {
        "openapi": "3.1.0",
        "info": {"title": "Plain", "version": "1.0.0"},
        "paths": {
            "/things/{thingId}": {
                "parameters": [{"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "post": {"operationId": "createThing", "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": thing}}}}},
                "get": {"operationId": "getThing", "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": thing}}}}},
            }
        },
        "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}},
    }
    return Example(arazzo, openapi, "api", {"a": 1}, [], {}, "t1", {"id": "x"}, {"id": "x"})


# -- a loopback server that records what arrives ------------------------------------------


@dataclass
class Seen:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.answer: dict[str, Any] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.seen.append(Seen(self.command, self.path, {k: v for k, v in self.headers.items()}, body))
        status = 201 if self.command == "POST" else 200
        data = json.dumps(self.server.answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


# -- the property ------------------------------------------------------------------------------


def _generate(example: Example, folder: Path, package: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "arazzo.json").write_text(json.dumps(example.arazzo, indent=1), encoding="utf-8")
    (folder / "openapi.json").write_text(json.dumps(example.openapi, indent=1), encoding="utf-8")
    err = io.StringIO()
    previous = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["generate", "arazzo.json", "--out", "out", "--package", package])
    finally:
        os.chdir(previous)
    assert code == 0, err.getvalue()
    return folder / "out" / package


def _workflow_functions(module: Any) -> tuple[Any, Any]:
    functions = [getattr(module, name) for name in module.__all__ if inspect.isfunction(getattr(module, name))]
    sync = [f for f in functions if not inspect.iscoroutinefunction(f)]
    twins = [f for f in functions if inspect.iscoroutinefunction(f)]
    assert len(sync) == 1 and len(twins) == 1, module.__all__
    return sync[0], twins[0]


def _check_wire(example: Example, seen: list[Seen]) -> None:
    assert [s.method for s in seen] == ["POST", "GET"]
    post, get = seen
    split = urlsplit(post.raw_path)
    assert unquote(split.path.split("/things/", 1)[1]) == example.path_value
    assert "/" not in split.path.split("/things/", 1)[1], "a path parameter must be one segment"
    assert sorted(parse_qsl(split.query, keep_blank_values=True)) == example.wire_query
    assert json.loads(post.body) == example.wire_body
    for name, value in example.wire_headers.items():
        assert post.headers.get(name) == value, name
    # The second step sent the first output back as its path parameter.
    first_output = next(iter(example.outputs.values()))
    assert unquote(urlsplit(get.raw_path).path.split("/things/", 1)[1]) == first_output


def test_nothing_from_a_spec_is_executed_and_values_arrive_as_written(recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = Path(tempfile.mkdtemp(prefix="injection-", dir=tmp_path))
    workdir = base / "cwd"
    workdir.mkdir()
    canary = base / CANARY_NAME
    generated: list[Path] = []
    counter = iter(range(10_000))

    # INJECTION_NO_SHRINK=1 reports the first failing example as drawn (shrinking one takes minutes).
    phases = [Phase.explicit, Phase.generate] if os.environ.get("INJECTION_NO_SHRINK") else list(Phase)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck), phases=phases)
    @given(example=examples(str(canary)))
    def prop(example: Example) -> None:
        n = next(counter)
        package = f"injected_{n}"
        package_dir = _generate(example, base / f"example_{n}", package)
        for path in sorted(package_dir.glob("*.py")):
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        sys.path.insert(0, str(package_dir.parent))
        monkeypatch.chdir(workdir)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                module = importlib.import_module(package)
                importlib.import_module(f"{package}.models")
            noisy = [str(w.message) for w in caught if "Field" in str(w.message)]
            assert noisy == [], "a generated model field collides with pydantic's names"
            sync, twin = _workflow_functions(module)
            recorder.answer = example.response
            for run in ("sync", "async"):
                recorder.seen.clear()
                options = {"servers": {example.source: recorder.url}, "timeout": 30.0}
                if run == "sync":
                    result = sync(**options, sleep=lambda seconds: None)
                else:

                    async def no_sleep(seconds: float) -> None:
                        return None

                    result = asyncio.run(twin(**options, sleep=no_sleep))
                assert result.model_dump(by_alias=True) == example.outputs
                _check_wire(example, list(recorder.seen))
        finally:
            sys.path.remove(str(package_dir.parent))
            for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[name]
        assert not canary.exists(), "the spec's code ran"
        assert sorted(p.name for p in workdir.iterdir()) == [], "something was written to the working directory"
        if len(generated) < MYPY_EXAMPLES:
            generated.append(package_dir)

    prop()
    assert not canary.exists()
    # mypy --strict over a few of the generated packages at once.
    mypy_dir = base / "mypy"
    mypy_dir.mkdir()
    for package_dir in generated:
        shutil.copytree(package_dir, mypy_dir / package_dir.name)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, *[p.name for p in generated]],
        cwd=mypy_dir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "workflow_id",
    [
        "plain-id",
        'ends with a quote"',
        'a"""b',
        "back\\N{slash}",
        "nul\x00byte",
        'x"""; import os; """',
    ],
)
def test_workflow_id_reaches_code_only_escaped(workflow_id: str, tmp_path: Path) -> None:
    example = _minimal_example()
    example.arazzo["workflows"][0]["workflowId"] = workflow_id
    package_dir = _generate(example, tmp_path / "spec", "escaped")
    source = (package_dir / "workflows.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name.endswith("Outputs")]
    assert len(classes) == 1
    body = classes[0].body
    # A docstring, then field annotations: nothing the workflowId could have added.
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    assert all(isinstance(stmt, ast.AnnAssign) for stmt in body[1:]), ast.dump(classes[0])[:500]
    visible = "".join(ch for ch in workflow_id if ch.isprintable() and not ch.isspace())
    assert visible in "".join(str(body[0].value.value).split())


# -- the sanitizers themselves (generator/pycode.py), over arbitrary text ------------------


ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=40) | _text("/tmp/x", max_parts=6)


@settings(max_examples=300, deadline=None, database=None)
@given(text=ANY_TEXT)
def test_py_str_is_a_literal_of_exactly_the_text(text: str) -> None:
    source = pycode.py_str(text)
    assert "\n" not in source and "\r" not in source and "\x00" not in source
    assert ast.literal_eval(source) == text
    assert eval(compile(source, "<literal>", "eval")) == text  # noqa: S307 - a literal, checked above


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT, lambda c: st.lists(c, max_size=3) | st.dictionaries(ANY_TEXT, c, max_size=3), max_leaves=10))
def test_py_literal_round_trips(value: Any) -> None:
    source = pycode.py_literal(value)
    assert "\n" not in source
    assert eval(compile(source, "<literal>", "eval"), {"__builtins__": {"float": float}}) == value  # noqa: S307 - only float() is reachable


@settings(max_examples=300, deadline=None, database=None)
@given(text=ANY_TEXT)
def test_identifiers_are_identifiers(text: str) -> None:
    for name in (pycode.snake_case(text), pycode.pascal_case(text), pycode.snake_case(text, fallback="input")):
        assert name.isidentifier() and name.isascii()
        assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
    assert pycode.constant_case(text).isidentifier()


@settings(max_examples=300, deadline=None, database=None)
@given(text=ANY_TEXT)
def test_fstring_text_is_inert(text: str) -> None:
    source = 'f"' + pycode.fstring_text(text) + '"'
    assert eval(compile(source, "<fstring>", "eval")) == text  # noqa: S307 - no replacement fields


@settings(max_examples=300, deadline=None, database=None)
@given(text=ANY_TEXT)
def test_comment_text_stays_one_inert_comment(text: str) -> None:
    comment = pycode.comment_text(text, limit=60)
    module = f"x = 1  # {comment}\n# {comment}\ny = 2\n"
    tree = ast.parse(module)
    assert [type(node).__name__ for node in tree.body] == ["Assign", "Assign"]
    assert "\n" not in comment and len(comment) <= 60
    line = "# " + comment
    assert not re.search(r"#\s*noqa", line, re.IGNORECASE)  # flake8
    assert not re.search(r"#\s*type:\s*ignore", line, re.IGNORECASE)  # mypy
    assert not re.search(r"fmt:\s*(off|on|skip)", line, re.IGNORECASE)  # black
    assert not re.search(r"(isort|pylint|mypy|pyright|ruff|flake8|pragma)\s*:", line, re.IGNORECASE)


@settings(max_examples=300, deadline=None, database=None)
@given(text=ANY_TEXT)
def test_docstring_text_stays_inside_its_docstring(text: str) -> None:
    body = pycode.docstring_text(text)
    module = f'def f() -> None:\n    """{body}\n    """\n'
    tree = ast.parse(module)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef) and len(function.body) == 1
    docstring = ast.get_docstring(function, clean=False)
    assert docstring is not None
    # Every printable character of the text survives, in order.
    kept = "".join(ch for ch in text if ch.isprintable() and not ch.isspace())
    assert "".join(ch for ch in docstring if not ch.isspace()) == kept


def test_comment_directives_are_defused() -> None:
    assert pycode.comment_text("fmt: off") == "f\u00b7mt: off"
    assert pycode.comment_text("ok # type: ignore") == "ok # t\u00b7ype: ignore"
    assert pycode.comment_text("NOQA E501") == "N\u00b7OQA E501"
    assert pycode.comment_text("the field's type: string") == "the field's type: string"


def test_model_attributes_list_is_pydantics() -> None:
    """pycode.MODEL_ATTRIBUTES must follow the installed pydantic."""
    import pydantic

    public = {name for name in dir(pydantic.BaseModel) if not name.startswith("_")}
    assert public <= pycode.MODEL_ATTRIBUTES | {name for name in public if name.startswith("model_")}


def test_outputs_never_shadow_pydantic(tmp_path: Path) -> None:
    example = _minimal_example()
    steps = example.arazzo["workflows"][0]["steps"]
    first = steps[0]["stepId"]
    names = ["dict", "json", "copy", "schema", "validate", "construct", "model_dump_json", "model_config", "model-validate"]
    steps[0]["outputs"] = {name: next(iter(steps[0]["outputs"].values())) for name in names}
    steps[1]["parameters"][0]["value"] = f"$steps.{first}.outputs.dict"
    example.arazzo["workflows"][0]["outputs"] = {name: f"$steps.{first}.outputs.{name}" for name in names}
    package_dir = _generate(example, tmp_path / "spec", "shadowing")
    tree = ast.parse((package_dir / "workflows.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Outputs"):
            fields = {stmt.target.id for stmt in node.body if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)}
            assert len(fields) == len(names) and not fields & pycode.MODEL_ATTRIBUTES, fields
            assert not any(name.startswith("model_") for name in fields), fields


def test_workflow_id_cannot_run_code_at_import(tmp_path: Path) -> None:
    canary = tmp_path / CANARY_NAME
    example = _minimal_example()
    example.arazzo["workflows"][0]["workflowId"] = f'x"""; __import__("pathlib").Path({str(canary)!r}).touch(); """'
    package_dir = _generate(example, tmp_path / "spec", "smuggled")
    sys.path.insert(0, str(package_dir.parent))
    try:
        importlib.import_module("smuggled")
    finally:
        sys.path.remove(str(package_dir.parent))
        for name in [m for m in sys.modules if m == "smuggled" or m.startswith("smuggled.")]:
            del sys.modules[name]
    assert not canary.exists(), "importing the generated package ran code from the workflowId"


@pytest.mark.parametrize("value", ["..", "."])
def test_dot_segments_stay_path_parameters(value: str, recorder: Recorder, tmp_path: Path) -> None:
    example = _minimal_example()
    example.arazzo["workflows"][0]["steps"][0]["parameters"][0]["value"] = value
    package_dir = _generate(example, tmp_path / "spec", "dots")
    sys.path.insert(0, str(package_dir.parent))
    try:
        module = importlib.import_module("dots")
        sync, _ = _workflow_functions(module)
        recorder.answer = {"id": "x"}
        recorder.seen.clear()
        sync(servers={"api": recorder.url}, timeout=30.0, sleep=lambda seconds: None)
    finally:
        sys.path.remove(str(package_dir.parent))
        for name in [m for m in sys.modules if m == "dots" or m.startswith("dots.")]:
            del sys.modules[name]
    post = recorder.seen[0]
    assert post.method == "POST"
    assert unquote(urlsplit(post.raw_path).path) == f"/things/{value}"
