"""Observability: OpenTelemetry spans (when importable) and the ``on_event`` hook.

Spans are captured with the SDK's InMemorySpanExporter: a run span, a span per
step, a client span per request (HTTP semantic conventions), retries and sleeps
as span events, and no secret in any name, attribute or event.  ``on_event`` is
checked with OpenTelemetry present and, in a child process, with it blocked.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import generated.agentphone as agentphone
import generated.vapi as vapi
from tests.providers.tables.agentphone import PROVIDER as ap
from tests.providers.tables.vapi import PROVIDER as vp
from tests.replay import ReplayServer, SleepRecorder

ROOT = Path(__file__).resolve().parents[2]
Replay = Callable[[str], ReplayServer]
VAPI_WORKFLOW = "assistant-phone-outbound-call"

_EXPORTER = InMemorySpanExporter()


@pytest.fixture()
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def run_vapi(is_async: bool, server: ReplayServer, sleep: SleepRecorder, **options: Any) -> Any:
    kwargs = {**vp.inputs, "servers": vp.servers_for(server), **options}
    if is_async:
        return asyncio.run(vapi.assistant_phone_outbound_call_async(**kwargs, sleep=sleep.asleep))
    return vapi.assistant_phone_outbound_call(**kwargs, sleep=sleep)


def run_agentphone(is_async: bool, server: ReplayServer, sleep: SleepRecorder, **options: Any) -> Any:
    kwargs = {**ap.inputs, "servers": ap.servers_for(server), **options}
    if is_async:
        return asyncio.run(agentphone.agentphone_outbound_call_async(**kwargs, sleep=sleep.asleep))
    return agentphone.agentphone_outbound_call(**kwargs, sleep=sleep)


TWINS = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


def everything(spans: list[ReadableSpan]) -> str:
    """Every name, attribute, event and status text of ``spans``, as one string."""
    parts = []
    for span in spans:
        parts.append(span.name)
        parts.append(json.dumps(dict(span.attributes or {}), default=str))
        parts.append(str(span.status.description))
        for event in span.events:
            parts.append(event.name + json.dumps(dict(event.attributes or {}), default=str))
    return "\n".join(parts)


def tree(spans: list[ReadableSpan]) -> tuple[ReadableSpan, list[tuple[ReadableSpan, list[ReadableSpan]]]]:
    """The one root span, and its children (in start order) each with their children."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        by_parent.setdefault(parent, []).append(span)
    for children in by_parent.values():
        children.sort(key=lambda s: s.start_time or 0)
    roots = by_parent[None]
    assert len(roots) == 1, [s.name for s in roots]
    root = roots[0]
    assert root.context is not None
    steps = by_parent.get(root.context.span_id, [])
    return root, [(step, by_parent.get(step.context.span_id, []) if step.context else []) for step in steps]


@TWINS
def test_vapi_run_is_a_span_tree_with_http_attributes(replay: Replay, spans: InMemorySpanExporter, is_async: bool) -> None:
    server = replay("vapi/happy_path")
    run_vapi(is_async, server, SleepRecorder(), poll_interval=2.5)
    finished = list(spans.get_finished_spans())
    root, steps = tree(finished)
    assert root.name == f"workflow {VAPI_WORKFLOW}"
    assert root.attributes is not None and root.attributes["arazzo.workflow.id"] == VAPI_WORKFLOW
    assert root.status.status_code is not StatusCode.ERROR
    assert [s.name for s, _ in steps] == ["step createAssistant", "step provisionNumber", "step createCall", "step pollCall"]
    requests = [r for _, rs in steps for r in rs]
    assert len(finished) == 1 + 4 + 7
    assert [len(rs) for _, rs in steps] == [1, 1, 1, 4]
    for step, children in steps:
        assert step.attributes is not None and step.attributes["arazzo.workflow.id"] == VAPI_WORKFLOW
        for request in children:
            assert request.attributes is not None
            assert request.attributes["arazzo.step.id"] == step.attributes["arazzo.step.id"]
    port = int(server.url.rsplit(":", 1)[1])
    paths = ["/assistant", "/phone-number", "/call", "/call/call_1", "/call/call_1", "/call/call_1", "/call/call_1"]
    for request, path, method, status in zip(requests, paths, ["POST"] * 3 + ["GET"] * 4, [201, 201, 201, 200, 200, 200, 200]):
        assert request.kind is SpanKind.CLIENT
        assert request.name == method
        attributes = dict(request.attributes or {})
        assert attributes["http.request.method"] == method
        assert attributes["url.full"] == server.url + path
        assert attributes["server.address"] == "127.0.0.1" and attributes["server.port"] == port
        assert attributes["http.response.status_code"] == status
    # The three waits between polls are events of the pollCall step span.
    poll_step = steps[3][0]
    assert [(e.name, dict(e.attributes or {})) for e in poll_step.events] == [("sleep", {"arazzo.step.id": "pollCall", "arazzo.delay_s": 2.5})] * 3
    assert vp.secret not in everything(finished)


@TWINS
def test_failed_step_marks_its_spans_as_errors_without_the_body(replay: Replay, spans: InMemorySpanExporter, is_async: bool) -> None:
    server = replay("vapi/create_call_400")
    with pytest.raises(vapi.StepFailed):
        run_vapi(is_async, server, SleepRecorder())
    finished = list(spans.get_finished_spans())
    root, steps = tree(finished)
    assert root.status.status_code is StatusCode.ERROR
    assert root.attributes is not None and root.attributes["error.type"] == "StepFailed"
    step, requests = steps[-1]
    assert step.name == "step createCall" and step.status.status_code is StatusCode.ERROR
    assert [dict(r.attributes or {})["http.response.status_code"] for r in requests] == [400]
    assert requests[0].status.status_code is StatusCode.ERROR
    assert vp.secret not in everything(finished)


@TWINS
def test_transport_retries_are_events_of_the_request_span(replay: Replay, spans: InMemorySpanExporter, is_async: bool) -> None:
    server = replay("faults/poll_503_then_200")
    sleep = SleepRecorder()
    run_vapi(is_async, server, sleep)
    _, steps = tree(list(spans.get_finished_spans()))
    step, requests = steps[-1]
    assert step.name == "step pollCall"
    assert len(requests) == 1  # one request span: two retries, then the 200
    request = requests[0]
    assert dict(request.attributes or {})["http.response.status_code"] == 200
    assert dict(request.attributes or {})["http.request.resend_count"] == 2
    events = [(e.name, dict(e.attributes or {})) for e in request.events]
    assert [(name, a["http.request.resend_count"]) for name, a in events] == [("retry", 1), ("retry", 2)]
    assert [a["arazzo.delay_s"] for _, a in events] == sleep.calls
    assert step.events == ()  # a retry is not a wait between steps


@TWINS
def test_agentphone_spans_carry_no_secret(replay: Replay, spans: InMemorySpanExporter, is_async: bool) -> None:
    server = replay("agentphone/happy_path")
    run_agentphone(is_async, server, SleepRecorder())
    finished = list(spans.get_finished_spans())
    root, steps = tree(finished)
    assert root.attributes is not None and root.attributes["arazzo.workflow.id"] == "agentphone-outbound-call"
    assert [s.name for s, _ in steps] == ["step createCall", "step pollCall", "step getTranscript"]
    assert [dict(r.attributes or {})["http.response.status_code"] for _, rs in steps for r in rs] == [200, 200, 200]
    assert ap.secret not in everything(finished)


@TWINS
def test_on_event_reports_the_same_run(replay: Replay, spans: InMemorySpanExporter, is_async: bool) -> None:
    server = replay("vapi/happy_path")
    events: list[Any] = []
    run_vapi(is_async, server, SleepRecorder(), poll_interval=0.5, on_event=events.append)
    kinds = [e.kind for e in events]
    assert kinds[0] == "workflow.start" and kinds[-1] == "workflow.end"
    assert kinds.count("step.start") == kinds.count("step.end") == 4
    assert kinds.count("request.start") == kinds.count("request.end") == 7
    assert kinds.count("sleep") == 3
    assert all(e.workflow_id == VAPI_WORKFLOW for e in events)
    ends = [e for e in events if e.kind == "request.end"]
    assert [e.attributes["http.response.status_code"] for e in ends] == [201, 201, 201, 200, 200, 200, 200]
    assert [e.step_id for e in ends] == ["createAssistant", "provisionNumber", "createCall"] + ["pollCall"] * 4
    with pytest.raises(AttributeError):
        events[0].kind = "changed"  # frozen
    assert vp.secret not in repr(events)
    assert len(spans.get_finished_spans()) == 12  # the spans are there too


CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    sys.modules["opentelemetry"] = None  # not importable
    sys.path.insert(0, {root!r})
    import generated.agentphone as agentphone
    import generated.vapi as vapi
    from generated.vapi import _runtime
    out = {{}}
    async def nosleep(seconds):
        pass
    def record(label, call, **kw):
        events = []
        try:
            call(on_event=events.append, **kw)
        except Exception as exc:
            out[label + ".error"] = type(exc).__name__
        out[label] = [[e.kind, e.workflow_id, e.step_id, dict(e.attributes)] for e in events]
    vapi_kw = dict(api_token={vsecret!r}, name="Ada Outreach", first_message="Hello, this is Ada.",
                   system_prompt="You are a polite assistant.", customer_number="+14155550199",
                   servers={{"assistantsApi": {vurl!r}, "phoneNumbersApi": {vurl!r}, "callsApi": {vurl!r}}}, poll_interval=0)
    record("vapi.sync", vapi.assistant_phone_outbound_call, sleep=lambda s: None, **vapi_kw)
    vapi_kw["servers"] = {{key: {vurl2!r} for key in vapi_kw["servers"]}}  # a cassette is consumed once
    record("vapi.async", lambda **kw: asyncio.run(vapi.assistant_phone_outbound_call_async(**kw)), sleep=nosleep, **vapi_kw)
    ap_kw = dict(api_key={asecret!r}, agent_id="agt_7f3c2a", to_number="+14155550199", servers={{"agentphoneCallsApi": {aurl!r}}})
    record("agentphone.sync", agentphone.agentphone_outbound_call, sleep=lambda s: None, **ap_kw)
    out["otel_loaded"] = any(name.startswith("opentelemetry.") for name in sys.modules)
    d = _runtime.Deadline(None)
    out["unobserved"] = d.watch() is None
    print(json.dumps(out))
    """
)


def test_on_event_without_opentelemetry(replay: Replay) -> None:
    vapi_server = replay("vapi/happy_path")
    vapi_again = replay("vapi/happy_path")
    ap_server = replay("agentphone/happy_path")
    code = CHILD.format(root=str(ROOT), vsecret=vp.secret, vurl=vapi_server.url, vurl2=vapi_again.url, asecret=ap.secret, aurl=ap_server.url)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["otel_loaded"] is False and out["unobserved"] is True
    for name in ("vapi.sync", "vapi.async"):
        assert f"{name}.error" not in out, out
        events = out[name]
        kinds = [e[0] for e in events]
        assert kinds[:3] == ["workflow.start", "step.start", "request.start"], kinds
        assert kinds[-1] == "workflow.end" and events[-1][3]["arazzo.outcome"] == "ok"
        starts = [e[3] for e in events if e[0] == "request.start"]
        assert [s["http.request.method"] for s in starts] == ["POST"] * 3 + ["GET"] * 4
        assert starts[0]["url.full"] == (vapi_server.url if name == "vapi.sync" else vapi_again.url) + "/assistant"
        assert [e[3]["http.response.status_code"] for e in events if e[0] == "request.end"] == [201] * 3 + [200] * 4
        assert [e[2] for e in events if e[0] == "step.start"] == ["createAssistant", "provisionNumber", "createCall", "pollCall"]
    ap_kinds = [e[0] for e in out["agentphone.sync"]]
    assert ap_kinds.count("request.end") == 3 and "agentphone.sync.error" not in out
    assert vp.secret not in proc.stdout and ap.secret not in proc.stdout
