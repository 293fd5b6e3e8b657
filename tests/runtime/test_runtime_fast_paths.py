"""The sync runtime's fast paths (bench: client CPU per run) give the answers of the
general code they skip.  Runs on the committed generated/vapi/_runtime/."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from generated.vapi import _runtime as R
from generated.vapi._runtime import core, observe


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"id": "a"}, "/id"),
        ({"id": None}, "/id"),
        ({}, "/id"),
        ({"a~b": 1, "a/b": 2}, "/a~0b"),
        ({"a/b": 2}, "/a~1b"),
        ({"a": {"b": 3}}, "/a/b"),
        ({"": 4}, "/"),
        (["x", "y"], "/1"),
        ("text", "/id"),
        ({"id": "a"}, ""),
    ],
)
def test_pointer_fast_path_agrees_with_the_walk(document: Any, path: str) -> None:
    def walk(node: Any) -> Any:  # RFC 6901, as written out in the general branch
        if path == "":
            return node
        for raw in path[1:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict):
                if token not in node:
                    return None
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node

    assert R.pointer(document, path) == walk(document)


@pytest.mark.parametrize("value", ["call-1", "a_b.c~d", "Ab09", "", ".", "..", "a b", "a/b", "caf\u00e9", "100%", "x?y#z"])
def test_path_params_left_unquoted_only_where_quoting_changes_nothing(value: str) -> None:
    expected = quote(value, safe="")
    expected = expected.replace(".", "%2E") if expected in (".", "..") else expected
    assert R.path_param(value, "s", "id") == expected


def test_string_inputs_skip_the_walk_but_other_values_are_still_rejected() -> None:
    R.check_inputs(("name", "name", "x", {"type": ["string"]}))
    with pytest.raises(R.InvalidInput, match="expected a string, got int"):
        R.check_inputs(("name", "name", 5, {"type": ["string"]}))
    with pytest.raises(R.InvalidInput, match="shorter than"):
        R.check_inputs(("name", "name", "", {"type": ["string"], "minLength": 1}))


def test_log_secrets_follow_each_runs_tuple() -> None:
    first, second = ("token-one-123456",), ("token-two-654321",)
    core._hide_in_logs(first)
    assert core._LOG_SECRETS.get() == first
    core._hide_in_logs(first)  # the same tuple again: nothing to recompute
    assert core._LOG_SECRETS.get() == first
    core._hide_in_logs(second)
    assert core._LOG_SECRETS.get() == second


def test_no_span_is_started_without_a_tracer_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    trace = pytest.importorskip("opentelemetry.trace")
    tracing = observe._tracing()
    assert tracing is not None
    started: list[str] = []
    monkeypatch.setattr(tracing[1], "start_span", lambda name, **kw: started.append(name))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())
    assert observe._observer("wf", None) is None and started == []
    events: list[Any] = []
    observer = observe._observer("wf", events.append)  # an on_event hook still gets its events
    assert observer is not None and started == []
