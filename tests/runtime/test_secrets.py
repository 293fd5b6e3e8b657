"""No credential ever shows in an error message, a repr or a log record.

Two kinds of tests:

- a scan of the whole fixture suite: the provider scenario tests (tests/providers),
  the fault and cancellation tests and the conformance suite, watched while they run
  by the plugin in tests/secret_scan.py (installed by tests/conftest.py), which records
  every exception passing through generated code and every log record at DEBUG level
  and searches them for every secret the fixtures use.  The verdict runs after every
  other test and runs again, in a subprocess, whatever watched file this session did
  not run completely (so this file alone still scans everything);
- focused tests of the redaction rules of the runtime (``generated.vapi._runtime``,
  the same in every package).
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from generated.vapi import (
    StepFailed,
    WorkflowError,
    _runtime,
    assistant_phone_outbound_call,
)
from tests import secret_scan
from tests.replay import ReplayServer
from tests.secret_scan import exception_texts as _exception_texts
from tests.secret_scan import fixture_secrets

ROOT = Path(__file__).resolve().parents[2]
VAPI_SECRET = "vapi-secret-token-123"


def test_the_fixtures_have_secrets_to_look_for() -> None:
    secrets = fixture_secrets()
    assert VAPI_SECRET in secrets
    assert len(secrets) >= 5  # one or more per provider


@pytest.mark.secret_scan  # runs after every other test of the session
def test_no_secret_in_any_exception_or_log_record_of_the_fixture_suite(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    scanner = secret_scan.install(request.config)  # the one tests/conftest.py installed
    watched = secret_scan.watched_files(ROOT)
    assert watched, "no watched test file found"
    here = scanner.complete_files() & watched
    report = scanner.summary(here)
    rerun = sorted(watched - here)
    if (
        rerun
    ):  # not run, or not completely, by this session: run them under the scanner now
        again = secret_scan.run_scan(tmp_path, rerun)
        # 1: some test failed; it is reported by a run of that test itself
        assert again["status"] in (0, 1), again["output"]
        assert set(again["complete"]) >= set(rerun), again["output"]
        for key in ("tests", "leaks"):
            report[key] = report[key] + again[key]
        for key in ("exceptions", "workflow_errors", "records"):
            report[key] += again[key]
    counts = {key: report[key] for key in ("exceptions", "workflow_errors", "records")}
    counts["rerun"] = len(rerun)
    ran = report["tests"]
    vapi = [t for t in ran if "providers/test_providers.py" in t and "[vapi" in t]
    assert len(vapi) >= 12 and len(ran) >= 60, counts
    assert sum(1 for t in ran if "test_faults.py" in t) >= 35, counts
    assert report["workflow_errors"] >= 50 and report["records"] >= 1000, counts
    assert report["leaks"] == [], json.dumps(report["leaks"][:20], indent=1)


_PLANTED = "planted-secret-4f9a2c"
_LEAKS = f"""\
import logging, pytest
from generated.vapi import WorkflowError, _runtime

@pytest.mark.secret_scan
def test_0_verdict(request: pytest.FixtureRequest) -> None:
    # moved after the other tests: the leaks below are already recorded
    scanner = request.config.pluginmanager.get_plugin("{secret_scan.PLUGIN_NAME}")
    assert len(scanner.leaks) == 2, scanner.leaks

def test_leaks() -> None:
    with pytest.raises(WorkflowError):
        _runtime.require(None, {_PLANTED!r}, "step")
    logging.getLogger("generated.vapi").debug("token is %s", {_PLANTED!r})

def test_clean() -> None:
    _runtime.redact_url("http://x/?api_key=1")
"""


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One small session under the scanner (the plugin this session runs under) over
    planted test files laid out like the watched ones, in a subprocess."""
    root = tmp_path_factory.mktemp("planted")
    clean = "def test_a() -> None:\n    pass\n\ndef test_b() -> None:\n    pass\n"
    _plant(
        root,
        {
            "tests/providers/test_planted.py": _LEAKS,
            # not a watched file: not looked at
            "tests/test_other.py": _LEAKS.replace("== 2", ">= 0"),
            "tests/providers/test_narrowed.py": clean,
            "tests/providers/test_deselected.py": clean,
            "tests/runtime/test_faults.py": clean,
        },
    )
    return secret_scan.run_scan(
        root,
        [
            "tests/providers/test_planted.py",
            "tests/test_other.py",
            "tests/providers/test_narrowed.py::test_a",
            "tests/providers/test_deselected.py",
            "tests/runtime/test_faults.py",
        ],
        cwd=root,
        options=(
            "--rootdir",
            str(root),
            "--deselect",
            "tests/providers/test_deselected.py::test_b",
        ),
        extra_secrets=(_PLANTED,),
    )


def test_the_scanner_finds_a_planted_leak(planted: dict[str, Any]) -> None:
    """The scan above could fail: a secret in an exception or a log record of a watched
    test is reported."""
    assert planted["status"] == 0, planted["output"]
    assert sorted(leak["where"] for leak in planted["leaks"]) == [
        "exception WorkflowError",
        "log record generated.vapi:DEBUG",
    ]
    assert all(
        leak["test"] == "tests/providers/test_planted.py::test_leaks"
        for leak in planted["leaks"]
    )
    assert planted["workflow_errors"] == 1 and planted["records"] >= 1


def test_a_partly_run_watched_file_is_not_complete(planted: dict[str, Any]) -> None:
    """What makes the verdict run a watched file again: deselected tests, tests named
    on the command line; a file run whole is complete."""
    assert planted["status"] == 0, planted["output"]
    assert planted["complete"] == [
        "tests/providers/test_planted.py",
        "tests/runtime/test_faults.py",
    ]
    assert sorted(planted["tests"]) == [
        "tests/providers/test_planted.py::test_0_verdict",
        "tests/providers/test_planted.py::test_clean",
        "tests/providers/test_planted.py::test_leaks",
        "tests/runtime/test_faults.py::test_a",
        "tests/runtime/test_faults.py::test_b",
    ]


# -- the redaction rules ---------------------------------------------------------------


def response(
    status: int,
    body: str | bytes,
    url: str = "https://api.example.com/call",
    content_type: str = "application/json",
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(
        status,
        content=content,
        headers={"Content-Type": content_type},
        request=httpx.Request("GET", url),
    )


def test_an_echoed_secret_is_redacted_in_every_spelling() -> None:
    secret = 'p@ss/wo"rd é+1'
    spellings = [
        secret,  # text/plain echo
        json.dumps({"m": secret}),  # JSON, ASCII escapes
        json.dumps({"m": secret}, ensure_ascii=False),  # JSON, UTF-8
        json.dumps({"m": secret}).replace("/", "\\/"),  # JSON with escaped slashes
        quote(secret, safe=""),  # a path segment
        quote_plus(secret),  # a form or query value
    ]
    body = " ; ".join(spellings)
    error = StepFailed.from_response(
        "step", response(401, body, content_type="text/plain"), secrets=(secret,)
    )
    for text in (str(error), repr(error), error.body):
        assert (
            "p@ss" not in text and "rd \\u00e9" not in text and "rd é" not in text
        ), text
    assert error.body.count("[REDACTED]") == len(spellings)


def test_the_parsed_error_model_does_not_hold_the_secret() -> None:
    """A server that echoes the key in its documented error body: the parsed model shows it redacted."""
    from generated.voiceinfra import _runtime as voiceinfra_runtime, models

    key = "vi_key_0a1b2c3d4e"
    body = json.dumps(
        {"error": {"code": "unauthorized", "message": f"API key {key} is invalid"}}
    )
    error = voiceinfra_runtime.StepFailed.from_response(
        "queueCall",
        response(401, body),
        error_models={"401": "ErrorResponse"},
        secrets=(key,),
    )
    assert isinstance(error.error, models.ErrorResponse)
    assert error.error.error.code == "unauthorized"
    assert error.error.error.message == "API key [REDACTED] is invalid"
    for text in _exception_texts(error):
        assert key not in text


def test_body_is_scrubbed_before_it_is_cut() -> None:
    """A secret straddling the 2 KB cut does not leave its first half in the message."""
    secret = "sk_live_0123456789abcdef"
    body = "x" * (_runtime.MAX_BODY_CHARS - 8) + secret + "y" * 5000
    error = StepFailed.from_response(
        "step", response(500, body, content_type="text/plain"), secrets=(secret,)
    )
    assert secret[:6] not in str(error) and secret[:6] not in error.body
    assert len(error.body) <= _runtime.MAX_BODY_CHARS + 40
    assert error.body.endswith(" more characters)")


def test_urls_lose_userinfo_and_credential_query_values() -> None:
    url = "https://user:hunter22@api.example.com/v1/calls/abc?api_key=k-123456&limit=5&X-Amz-Signature=s1g&sig=zz&q=tok-999999"
    redacted = _runtime.redact_url(url, secrets=("tok-999999",))
    assert (
        redacted
        == "https://api.example.com/v1/calls/abc?api_key=[REDACTED]&limit=5&X-Amz-Signature=[REDACTED]&sig=[REDACTED]&q=[REDACTED]"
    )


def test_a_secret_in_the_path_is_redacted() -> None:
    url = (
        "https://api.example.com/keys/" + _runtime.path_param("abc/def+ghi") + "/usage"
    )
    assert (
        _runtime.redact_url(url, ("abc/def+ghi",))
        == "https://api.example.com/keys/[REDACTED]/usage"
    )


def test_query_keys_are_redacted_in_errors_and_in_httpx_logs(
    replay: Callable[[str], ReplayServer], caplog: pytest.LogCaptureFixture
) -> None:
    """httpx logs each request URL at INFO; the runtime's filter redacts credential query values there."""
    server = replay("faults/query_key")
    key = "qk-7d1e5b9a3c"
    with caplog.at_level(logging.DEBUG), httpx.Client() as http:
        result = _runtime.send(
            http,
            _runtime.Deadline(None),
            lambda s: None,
            "getUsage",
            "GET",
            f"{server.url}/usage",
            params={"api_key": key, "day": "mon"},
        )
        error = StepFailed.from_response(
            "getUsage", result
        )  # no secrets given: the name alone redacts it
    assert error.url == f"{server.url}/usage?api_key=[REDACTED]&day=mon"
    assert key not in str(error) and key not in repr(error)
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("HTTP Request: GET ") and "api_key=[REDACTED]" in m
        for m in messages
    ), messages
    assert not [m for m in messages if key in m]


def test_a_token_httpx_refuses_is_not_quoted_in_the_error() -> None:
    """A token with a line break (read from a file, say) makes h11 quote the header: never shown."""
    token = "vapi-secret-token-123\n"
    with socket.socket() as listener, pytest.raises(StepFailed) as caught:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # connections complete in the backlog; the request never gets out
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        assistant_phone_outbound_call(
            api_token=token,
            name="Ada",
            first_message="Hi",
            system_prompt="Be brief.",
            customer_number="+14155550199",
            servers={"assistantsApi": url, "phoneNumbersApi": url, "callsApi": url},
            sleep=lambda s: None,
        )
    error = caught.value
    assert error.step_id == "createAssistant" and error.status_code is None
    assert error.reason == "the request cannot be built: header 'Authorization' holds a line break or NUL, which a header cannot carry"
    assert error.transport_retries == 0
    for text in _exception_texts(error):
        assert "vapi-secret-token" not in text
    assert error.__context__ is None and error.__cause__ is None


def test_outputs_repr_hides_credential_like_outputs() -> None:
    class Made(_runtime.Outputs):
        call_id: str
        api_key: str | None
        session_token: str

    outputs = Made(call_id="call_1", api_key="ak-2b6f0e9d", session_token="st-4c8a1f")
    assert outputs.api_key == "ak-2b6f0e9d"  # the value is there for the caller
    for text in (repr(outputs), str(outputs)):
        assert "ak-2b6f0e9d" not in text and "st-4c8a1f" not in text
        assert "call_1" in text


def test_workflow_errors_expose_the_retry_count() -> None:
    assert WorkflowError.transport_retries == 0
    deadline = _runtime.Deadline(1.0)
    deadline.transport_retries = 2
    assert deadline.expired("poll").transport_retries == 2
