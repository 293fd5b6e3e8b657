"""Follow-up fixes in the compiler core: map value types, mutable input defaults,
the transport retry count on Outputs, and the documented top-level JSON type.

Small specs are compiled in-process into a temporary directory and imported; their
workflows run through an ``httpx.MockTransport`` client (no network at all).  The
transport retry count is checked on the generated Vapi package against the fault
cassettes served by the replay server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from generated.vapi import (
    assistant_phone_outbound_call,
    assistant_phone_outbound_call_async,
)
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package
from tests.replay import ReplayServer

OPENAPI = """\
openapi: 3.1.0
info: {title: Things, version: 1.0.0}
servers: [{url: https://api.example.test}]
paths:
  /things:
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: string}
                  labels:
                    type: object
                    additionalProperties: {type: string}
                  counts:
                    type: object
                    additionalProperties: {type: integer}
                  anything:
                    type: object
                    additionalProperties: true
                  mixed:
                    type: object
                    properties: {a: {type: string}}
                    additionalProperties: {type: integer}
  /things/list:
    get:
      operationId: listThings
      responses:
        "200":
          description: the things
          content:
            application/json:
              schema:
                type: array
                items: {type: object, properties: {id: {type: string}}}
  /things/loose:
    get:
      operationId: looseThing
      responses:
        "200":
          description: anything
          content:
            application/json:
              schema:
                oneOf: [{type: object}, {type: array}]
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: Follow-ups, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: make-thing
    inputs:
      type: object
      required: [labels]
      properties:
        labels:
          type: object
          additionalProperties: {type: string}
        extra:
          type: object
          additionalProperties: true
        plain: {type: object}
        options:
          type: object
          description: Options of the thing.
          default: {color: red}
        tags:
          type: array
          items: {type: string}
          default: [a, b]
        size: {type: integer, default: 3}
    steps:
      - stepId: create
        operationId: createThing
        requestBody:
          contentType: application/json
          payload:
            labels: $inputs.labels
            options: $inputs.options
            tags: $inputs.tags
            size: $inputs.size
        successCriteria: [{condition: $statusCode == 201}]
        outputs:
          id: $response.body#/id
          labels: $response.body#/labels
          counts: $response.body#/counts
          anything: $response.body#/anything
          mixed: $response.body#/mixed
    outputs:
      id: $steps.create.outputs.id
      labels: $steps.create.outputs.labels
      counts: $steps.create.outputs.counts
      anything: $steps.create.outputs.anything
      mixed: $steps.create.outputs.mixed
  - workflowId: list-things
    steps:
      - stepId: list
        operationId: listThings
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          first: $response.body#/0/id
    outputs:
      first: $steps.list.outputs.first
  - workflowId: loose-thing
    steps:
      - stepId: loose
        operationId: looseThing
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          whole: $response.body
    outputs:
      whole: $steps.loose.outputs.whole
  - workflowId: stop-early
    steps:
      - stepId: list
        operationId: listThings
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          first: $response.body#/0/id
        onSuccess:
          - {name: stop, type: end, criteria: [{condition: $statusCode == 200}]}
      - stepId: loose
        operationId: looseThing
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          whole: $response.body
    outputs:
      first: $steps.list.outputs.first
      whole: $steps.loose.outputs.whole
"""


@pytest.fixture(scope="module")
def compiled(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ModuleType, str]]:
    """The spec above compiled, written and imported: (workflows module, its source)."""
    root = tmp_path_factory.mktemp("followups")
    (root / "arazzo.yaml").write_text(ARAZZO)
    (root / "openapi.yaml").write_text(OPENAPI)
    out = root / "out"
    job = Job(spec=root / "arazzo.yaml", package="followups_pkg", out=out)
    result = build(job)
    assert result.files, [d.render() for d in result.report.items]
    write_package(job.package_dir, result.files)
    sys.path.insert(0, str(out))
    try:
        importlib.invalidate_caches()
        module = importlib.import_module("followups_pkg.workflows")
        yield module, result.files["workflows.py"]
    finally:
        sys.path.remove(str(out))
        for name in [
            n
            for n in sys.modules
            if n == "followups_pkg" or n.startswith("followups_pkg.")
        ]:
            del sys.modules[name]


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], sent: list[httpx.Request]
) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    return httpx.Client(transport=httpx.MockTransport(record))


def mock_async_client(
    handler: Callable[[httpx.Request], httpx.Response], sent: list[httpx.Request]
) -> httpx.AsyncClient:
    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(record))


def run_both(
    module: ModuleType,
    name: str,
    handler: Callable[[httpx.Request], httpx.Response],
    **inputs: Any,
) -> list[tuple[Any, list[httpx.Request]]]:
    """Run the sync function and its async twin; (outputs or the exception, requests) of each."""
    results: list[tuple[Any, list[httpx.Request]]] = []
    sent: list[httpx.Request] = []
    with mock_client(handler, sent) as client:
        try:
            results.append(
                (
                    getattr(module, name)(
                        **inputs, client=client, sleep=lambda s: None
                    ),
                    sent,
                )
            )
        except Exception as exc:  # noqa: BLE001 - returned to the test to assert on
            results.append((exc, sent))

    async def main() -> Any:
        async def no_sleep(seconds: float) -> None:
            return None

        async with mock_async_client(handler, asent) as client:
            return await getattr(module, name + "_async")(
                **inputs, client=client, sleep=no_sleep
            )

    asent: list[httpx.Request] = []
    try:
        results.append((asyncio.run(main()), asent))
    except Exception as exc:  # noqa: BLE001
        results.append((exc, asent))
    return results


# -- 1. map types ---------------------------------------------------------------------


def test_map_inputs_keep_their_value_type(compiled: tuple[ModuleType, str]) -> None:
    module, _ = compiled
    for fn in (module.make_thing, module.make_thing_async):
        annotations = {
            name: p.annotation for name, p in inspect.signature(fn).parameters.items()
        }
        assert annotations["labels"] == "dict[str, str]"
        assert (
            annotations["extra"] == "dict[str, Any] | None"
        )  # additionalProperties: true
        assert (
            annotations["plain"] == "dict[str, Any] | None"
        )  # additionalProperties absent


def test_map_outputs_keep_their_value_type(compiled: tuple[ModuleType, str]) -> None:
    module, _ = compiled
    fields = module.MakeThingOutputs.model_fields
    assert str(fields["labels"].annotation) == "dict[str, str] | None"
    assert str(fields["counts"].annotation) == "dict[str, int] | None"
    assert fields["anything"].annotation == dict[str, Any] | None
    # properties of their own besides additionalProperties: not a uniform map
    assert fields["mixed"].annotation == dict[str, Any] | None


# -- 2. mutable defaults -------------------------------------------------------------


def created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        201, json={"id": "t1", "labels": {"k": "v"}, "counts": {"n": 2}}
    )


def test_object_and_array_defaults_are_none_sentinels(
    compiled: tuple[ModuleType, str],
) -> None:
    module, _ = compiled
    for fn in (module.make_thing, module.make_thing_async):
        params = inspect.signature(fn).parameters
        assert (
            params["options"].default is None
            and params["options"].annotation == "dict[str, Any] | None"
        )
        assert (
            params["tags"].default is None
            and params["tags"].annotation == "list[str] | None"
        )
        assert params["size"].default == 3 and params["size"].annotation == "int"
    # the body assigns a fresh default: IR snapshot tests/generator/ir_snapshots/defaults
    doc = " ".join(module.make_thing.__doc__.split())  # the docstring is wrapped at the line length
    assert (
        'options: Options of the thing. Defaults to {"color": "red"} (None also means the default).'
        in doc
    )
    assert 'tags: tags Defaults to ["a", "b"] (None also means the default).' in doc


def test_defaults_are_sent_fresh_on_every_call(
    compiled: tuple[ModuleType, str],
) -> None:
    module, _ = compiled
    for _ in range(2):  # a default mutated by one call would show in the next
        for outputs, sent in run_both(module, "make_thing", created, labels={"a": "b"}):
            assert not isinstance(outputs, Exception), outputs
            assert json.loads(sent[0].content) == {
                "labels": {"a": "b"},
                "options": {"color": "red"},
                "tags": ["a", "b"],
                "size": 3,
            }
    for outputs, sent in run_both(
        module, "make_thing", created, labels={}, options={"color": "blue"}, tags=[]
    ):
        assert json.loads(sent[0].content) == {
            "labels": {},
            "options": {"color": "blue"},
            "tags": [],
            "size": 3,
        }


# -- 4. documented top-level JSON type -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "found"),
    [([], "array"), ("ok", "string"), (None, "null"), (7, "number")],
)
def test_a_body_of_another_json_type_than_the_documented_object_fails(
    compiled: tuple[ModuleType, str], body: Any, found: str
) -> None:
    module, _ = compiled

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            201,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )

    for error, _ in run_both(module, "make_thing", handler, labels={}):
        assert isinstance(error, module.StepFailed), error
        assert error.step_id == "create"
        assert f"the response body is a JSON {found}, not the documented object" in str(
            error
        )


def test_a_body_of_another_json_type_than_the_documented_array_fails(
    compiled: tuple[ModuleType, str],
) -> None:
    module, _ = compiled

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "x"})

    for error, _ in run_both(module, "list_things", handler):
        assert isinstance(error, module.StepFailed), error
        assert "the response body is a JSON object, not the documented array" in str(
            error
        )

    def good(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": "x"}])

    for outputs, _ in run_both(module, "list_things", good):
        assert outputs.first == "x"


def test_an_ambiguous_schema_checks_no_type(compiled: tuple[ModuleType, str]) -> None:
    module, _ = compiled  # read with no expected type: IR snapshot tests/generator/ir_snapshots/early-end

    for body in ({"a": 1}, [1]):

        def handler(request: httpx.Request, body: Any = body) -> httpx.Response:
            return httpx.Response(200, json=body)

        for outputs, _ in run_both(module, "loose_thing", handler):
            assert outputs.whole == body


# -- 3. transport retries on the outputs -----------------------------------------------

Replay = Callable[[str], ReplayServer]
VAPI_INPUTS: dict[str, Any] = {
    "api_token": "vapi-secret-token-123",
    "name": "Ada Outreach",
    "first_message": "Hello, this is Ada.",
    "system_prompt": "You are a polite assistant.",
    "customer_number": "+14155550199",
}


def run_vapi(url: str, is_async: bool) -> Any:
    servers = {"assistantsApi": url, "phoneNumbersApi": url, "callsApi": url}
    if not is_async:
        return assistant_phone_outbound_call(
            **VAPI_INPUTS, servers=servers, sleep=lambda s: None
        )

    async def no_sleep(seconds: float) -> None:
        return None

    return asyncio.run(
        assistant_phone_outbound_call_async(
            **VAPI_INPUTS, servers=servers, sleep=no_sleep
        )
    )


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("cassette", "retries"),
    [
        ("vapi/happy_path", 0),
        ("faults/poll_503_then_200", 2),
        ("faults/poll_reset_then_200", 1),
    ],
)
def test_outputs_report_transport_retries(
    replay: Replay, is_async: bool, cassette: str, retries: int
) -> None:
    server = replay(cassette)
    outputs = run_vapi(server.url, is_async)
    assert outputs.call_status == "ended"
    assert outputs.model_transport_retries == retries


def test_transport_retries_survive_the_lenient_fallback(
    compiled: tuple[ModuleType, str],
) -> None:
    module, _ = compiled
    outputs_class = module.MakeThingOutputs
    strict = outputs_class.model_validate(
        {
            "id": "t",
            "labels": {"a": "b"},
            "counts": None,
            "anything": None,
            "mixed": None,
        },
        context={"transport_retries": 4},
    )
    assert strict.model_transport_retries == 4
    # counts is not a map of integers: kept as sent, through model_construct
    lenient = outputs_class.model_validate(
        {
            "id": "t",
            "labels": None,
            "counts": {"n": "many"},
            "anything": None,
            "mixed": None,
        },
        context={"transport_retries": 5},
    )
    assert lenient.counts == {"n": "many"} and lenient.model_transport_retries == 5
    assert (
        outputs_class.model_validate(
            {"id": "t", "labels": None, "counts": None, "anything": None, "mixed": None}
        ).model_transport_retries
        == 0
    )
    with pytest.raises(Exception):
        lenient.model_transport_retries = 0  # type: ignore[misc]
    assert "model_transport_retries" not in lenient.model_dump(warnings=False)


# Every return (an early end's too) passes the retry count: IR snapshot
# tests/generator/ir_snapshots/early-end.


def test_an_early_return_reports_transport_retries(
    compiled: tuple[ModuleType, str],
) -> None:
    """A GET answered 503 then 200 is retried once; the step then ends the workflow."""
    module, _ = compiled
    state = {"calls": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["calls"] += 1
        if state["calls"] % 2 == 1:
            return httpx.Response(503)
        return httpx.Response(200, json=[{"id": "x"}])

    for outputs, sent in run_both(module, "stop_early", handler):
        assert not isinstance(outputs, Exception), outputs
        assert [r.url.path for r in sent] == ["/things/list", "/things/list"]
        assert (outputs.first, outputs.whole, outputs.model_transport_retries) == (
            "x",
            None,
            1,
        )
