"""Conformance: parameters in path (percent-encoded), query, header and cookie,
reusable and workflow-level parameters; request bodies of every content type and
payload replacements by JSON pointer and by XPath."""

from __future__ import annotations

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run
from tests.replay import RecordedRequest


@pytest.fixture
def requests(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("requests")
    assert not compiled.errors, compiled.errors
    return compiled


PARAMETER_INPUTS = {"item_id": "a b/c?", "query": "x&y=z", "session": "s3cr3t", "tags": ["red", "blue"]}


def test_parameters_path_query_header_cookie(requests: Compiled, serve: Servers, mode: str) -> None:
    # The cassette checks the raw path /items/a%20b%2Fc%3F, the decoded query (repeated
    # tags), the headers (X-Number: 5 sent as text) and the Cookie header's pairs.
    server = serve("requests", "parameters")
    run(requests, "parameters", mode, servers={"api": server.url}, **PARAMETER_INPUTS)
    assert server.requests[0].path == "/items/a%20b%2Fc%3F"


def test_parameters_reusable_with_overriding_value(requests: Compiled, serve: Servers, mode: str) -> None:
    server = serve("requests", "parameters")
    run(requests, "parameters", mode, servers={"api": server.url}, **PARAMETER_INPUTS)
    assert server.requests[0].query["page"] == ["3"]  # reference + value: 3
    assert server.requests[1].query == {"page": ["1"]}  # reference, component value


def test_parameters_workflow_level_apply_to_every_step_and_steps_override(requests: Compiled, serve: Servers, mode: str) -> None:
    server = serve("requests", "parameters")
    run(requests, "parameters", mode, servers={"api": server.url}, **PARAMETER_INPUTS)
    assert server.requests[0].headers["x-trace"] == "step-trace"  # x-trace overrides X-Trace
    assert server.requests[1].headers["x-trace"] == "workflow-trace"


def bodies(requests: Compiled, serve: Servers, mode: str) -> list[RecordedRequest]:
    # The cassette checks every body: JSON object, JSON from one expression, JSON text,
    # form object, form text, multipart, text/plain, XML (method, path, Content-Type, body).
    server = serve("requests", "bodies")
    run(requests, "bodies", mode, servers={"api": server.url}, name="Ada", id=7)
    assert [r.path for r in server.requests] == ["/json"] * 3 + ["/form"] * 2 + ["/multipart", "/text", "/xml"]
    return server.requests


def test_request_body_json(requests: Compiled, serve: Servers, mode: str) -> None:
    sent = bodies(requests, serve, mode)
    assert sent[1].json() == {"petId": 1, "quantity": 2}  # payload: $inputs.order (type kept)
    assert sent[2].text() == '{"name": "Ada", "n": 1}'  # a JSON text template, sent as written
    assert all(r.headers["content-type"] == "application/json" for r in sent[:3])


def test_request_body_form_urlencoded(requests: Compiled, serve: Servers, mode: str) -> None:
    sent = bodies(requests, serve, mode)
    assert sent[3].text() == "name=Ada&id=7&note=a%26b%3Dc"
    assert sent[4].text() == "name=Ada&id=7"
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in sent[3:5])


def test_request_body_multipart(requests: Compiled, serve: Servers, mode: str) -> None:
    sent = bodies(requests, serve, mode)
    assert sent[5].headers["content-type"].startswith("multipart/form-data; boundary=arazzo-")
    assert b'name="meta"\r\nContent-Type: application/json\r\n\r\n{"id": 7}' in sent[5].body


def test_request_body_raw_text_and_xml(requests: Compiled, serve: Servers, mode: str) -> None:
    sent = bodies(requests, serve, mode)
    assert (sent[6].headers["content-type"], sent[6].text()) == ("text/plain", "hello Ada")
    assert sent[7].headers["content-type"] == "application/xml"


def test_payload_replacements_by_json_pointer(requests: Compiled, serve: Servers, mode: str) -> None:
    server = serve("requests", "bodies")
    outputs = run(requests, "bodies", mode, servers={"api": server.url}, name="Ada", id=7)
    assert server.requests[0].json() == {"pet": {"id": 7, "name": "Ada"}, "tags": ["a", "b"]}  # /pet/id and /tags/-
    assert outputs.sent_id == 7  # $request.body#/pet/id sees the replaced payload


def test_payload_replacements_by_xpath(requests: Compiled, serve: Servers, mode: str) -> None:
    server = serve("requests", "bodies")
    run(requests, "bodies", mode, servers={"api": server.url}, name="Ada", id=7)
    assert server.requests[-1].text() == '<order id="7"><petId>7</petId><status>placed</status></order>'


def test_multipart_body_is_deterministic(requests: Compiled) -> None:
    import importlib

    runtime = importlib.import_module(requests.package + "._runtime")
    first = runtime.multipart({"name": "Ada", "file": b"\x00\x01", "tags": ["a", "b"], "skip": None})
    again = runtime.multipart({"name": "Ada", "file": b"\x00\x01", "tags": ["a", "b"], "skip": None})
    assert first.content == again.content
    assert first.content.count(b"Content-Disposition") == 4  # name, file, tags twice; None left out
    assert b"Content-Type: application/octet-stream\r\n\r\n\x00\x01" in first.content
