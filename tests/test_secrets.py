"""No credential ever shows in an error message, a repr or a log record.

Two kinds of tests:

- a scan of the whole fixture suite: the provider scenario tests (tests/providers),
  the fault and cancellation tests run again in a subprocess under a pytest plugin
  (:class:`SecretScanner`) that records every exception passing through generated
  code (raised there, or propagating or caught there) and every log record at DEBUG
  level, from every logger (the runtime's, httpx's, httpcore's).  Each exception's
  str and repr, the repr of each of its attributes (``StepFailed.error``, the parsed
  error model, included) and its whole ``__cause__``/``__context__`` chain, and each
  record's message, arguments and traceback, are searched for every secret the
  fixtures use (taken from the credential headers and query keys of every cassette);
- focused tests of the redaction rules of the runtime (``generated.vapi._runtime``,
  the same in every package).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from generated.vapi import (
    StepFailed,
    WorkflowError,
    _runtime,
    assistant_phone_outbound_call,
)
from tests.replay import ReplayServer

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "tests" / "cassettes"
VAPI_SECRET = "vapi-secret-token-123"
_CREDENTIAL_NAME = re.compile(
    r"authorization|api[-_]?key|token|secret|password|credential|signature|session",
    re.I,
)
_SCHEME = re.compile(r"^(bearer|basic|token|apikey)\s+", re.I)
_REPORT_ENV = "ARAZZO_SECRET_SCAN_REPORT"
_EXTRA_ENV = "ARAZZO_SECRET_SCAN_EXTRA"


# -- the fixtures' secrets -------------------------------------------------------------


def fixture_secrets() -> set[str]:
    """Every credential the cassettes expect on the wire (headers, query, cookies)."""
    found: set[str] = set()
    for path in sorted(CASSETTES.rglob("*.yaml")):
        if "_replay_selftest" in path.parts:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for interaction in data.get("interactions") or []:
            request = interaction.get("request") or {}
            for field in ("headers", "query", "cookies"):
                for name, value in (request.get(field) or {}).items():
                    if _CREDENTIAL_NAME.search(name):
                        for item in value if isinstance(value, list) else [value]:
                            found |= _credential_values(str(item))
    return found


def _credential_values(value: str) -> set[str]:
    """The secret parts of a header value: the token after the scheme, and its ``:`` halves."""
    scheme = _SCHEME.match(value)
    token = value[scheme.end() :] if scheme else value
    if scheme and scheme.group(1).lower() == "basic":
        try:
            token = base64.b64decode(token, validate=True).decode()
        except ValueError:
            pass
    parts = {token, *token.split(":")}
    return {part for part in parts if len(part) >= 6}


# -- the scanner plugin (runs in a subprocess) -------------------------------------------


def _exception_texts(error: BaseException) -> Iterator[str]:
    """str and repr of the exception, of its attributes, and of everything chained to it."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        for value in getattr(current, "__dict__", {}).values():
            if not isinstance(value, types.TracebackType):
                yield repr(value)
        pending += [
            chained
            for chained in (current.__cause__, current.__context__)
            if chained is not None
        ]


def _record_texts(record: logging.LogRecord) -> Iterator[str]:
    try:
        yield record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: scan the parts
        yield str(record.msg)
    yield repr(record.args)
    if record.exc_info and record.exc_info[1] is not None:
        yield from _exception_texts(record.exc_info[1])
        yield logging.Formatter().formatException(record.exc_info)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class SecretScanner:
    """pytest plugin: during each test's call phase, trace generated frames for exceptions
    and collect every log record; then search them for the secrets."""

    LOGGERS = ("generated", "httpx", "httpcore")

    def __init__(self, secrets: set[str]) -> None:
        self.secrets = sorted(secrets)
        self.tests: list[str] = []
        self.outcomes: dict[str, str] = {}
        self.exceptions = 0
        self.workflow_errors = 0
        self.records = 0
        self.leaks: list[dict[str, str]] = []
        self._seen: list[BaseException] = []

    def _tracer(self) -> Callable[[types.FrameType, str, Any], Any]:
        """A trace function that follows only frames of generated code (kept cheap: it sees every call)."""
        seen = self._seen
        generated = str(ROOT / "generated")
        suffixes = (f"{os.sep}_runtime.py", f"{os.sep}workflows.py")

        def local(frame: types.FrameType, event: str, arg: Any) -> Any:
            if event == "exception":
                seen.append(arg[1])
            return local

        def trace(frame: types.FrameType, event: str, arg: Any) -> Any:
            name = frame.f_code.co_filename
            return (
                local if name.startswith(generated) or name.endswith(suffixes) else None
            )

        return trace

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        handler = _Collect()
        root = logging.getLogger()
        root.addHandler(handler)
        levels = {name: logging.getLogger(name).level for name in self.LOGGERS}
        for name in self.LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        self._seen.clear()
        previous = sys.gettrace()
        sys.settrace(
            self._tracer()
        )  # this thread only: the replay server's threads run no generated code
        try:
            yield
        finally:
            sys.settrace(previous)
            root.removeHandler(handler)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
        self.tests.append(item.nodeid)
        unique = list({id(e): e for e in self._seen}.values())
        self.exceptions += len(unique)
        self.workflow_errors += sum(
            1
            for e in unique
            if type(e).__module__.startswith("generated.")
            or isinstance(e, WorkflowError)
        )
        self.records += len(handler.records)
        for error in unique:
            self._check(
                item.nodeid,
                f"exception {type(error).__name__}",
                _exception_texts(error),
            )
        for record in handler.records:
            self._check(
                item.nodeid,
                f"log record {record.name}:{record.levelname}",
                _record_texts(record),
            )
        self._seen.clear()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[report.nodeid] = report.outcome

    def _check(self, test: str, where: str, texts: Iterator[str]) -> None:
        """Record the first secret found in one exception or record (its text shown masked)."""
        for text in texts:
            for secret in self.secrets:
                if secret in text:
                    excerpt = text.replace(secret, "<SECRET>")[:300]
                    self.leaks.append(
                        {
                            "test": test,
                            "where": where,
                            "secret": secret[:3] + "...",
                            "text": excerpt,
                        }
                    )
                    return


def scan_main() -> None:
    """Entry point of the subprocess: ``pytest.main`` under the scanner, report as JSON."""
    secrets = fixture_secrets() | {
        s for s in os.environ.get(_EXTRA_ENV, "").split(",") if s
    }
    scanner = SecretScanner(secrets)
    status = pytest.main(
        ["-q", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=[scanner]
    )
    report = {
        "status": int(status),
        "secrets": len(scanner.secrets),
        "tests": scanner.tests,
        "outcomes": scanner.outcomes,
        "exceptions": scanner.exceptions,
        "workflow_errors": scanner.workflow_errors,
        "records": scanner.records,
        "leaks": scanner.leaks,
    }
    Path(os.environ[_REPORT_ENV]).write_text(json.dumps(report, indent=1))


def run_scan(
    tmp_path: Path, targets: list[str], extra_secrets: tuple[str, ...] = ()
) -> dict[str, Any]:
    report_path = tmp_path / "scan.json"
    env = {
        **os.environ,
        _REPORT_ENV: str(report_path),
        _EXTRA_ENV: ",".join(extra_secrets),
        "PYTHONPATH": str(ROOT),
    }
    code = "from tests.test_secrets import scan_main; scan_main()"
    completed = subprocess.run(
        [sys.executable, "-c", code, *targets],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert report_path.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    report: dict[str, Any] = json.loads(report_path.read_text())
    report["output"] = completed.stdout[-2000:]
    return report


def test_the_fixtures_have_secrets_to_look_for() -> None:
    secrets = fixture_secrets()
    assert VAPI_SECRET in secrets
    assert len(secrets) >= 5  # one or more per provider


def test_no_secret_in_any_exception_or_log_record_of_the_fixture_suite(
    tmp_path: Path,
) -> None:
    targets = ["tests/providers", "tests/test_faults.py", "tests/test_cancellation.py"]
    if any((ROOT / "tests" / "conformance").glob("**/test_*.py")):
        targets.append("tests/conformance")
    report = run_scan(tmp_path, targets)
    assert report["status"] in (0, 1), report[
        "output"
    ]  # 1: some test failed; it is reported by the main run
    ran = report["tests"]
    vapi = [t for t in ran if "test_vapi.py" in t]
    assert len(vapi) >= 12 and len(ran) >= 60, report["output"]
    assert sum(1 for t in ran if "test_faults.py" in t) >= 35
    assert report["workflow_errors"] >= 50 and report["records"] >= 1000, {
        k: report[k] for k in ("exceptions", "workflow_errors", "records")
    }
    assert report["leaks"] == [], json.dumps(report["leaks"][:20], indent=1)


def test_the_scanner_finds_a_planted_leak(tmp_path: Path) -> None:
    """The scan above could fail: a secret in an exception or a log record is reported."""
    planted = "planted-secret-4f9a2c"
    test_file = tmp_path / "test_planted.py"
    test_file.write_text(
        "import logging, pytest\n"
        "from generated.vapi import WorkflowError, _runtime\n"
        "def test_leaks() -> None:\n"
        "    with pytest.raises(WorkflowError):\n"
        f"        _runtime.require(None, {planted!r}, 'step')\n"
        f"    logging.getLogger('generated.vapi').debug('token is %s', {planted!r})\n"
        "def test_clean() -> None:\n"
        "    _runtime.redact_url('http://x/?api_key=1')\n"
    )
    report = run_scan(
        tmp_path, [str(test_file), "--rootdir", str(tmp_path)], extra_secrets=(planted,)
    )
    assert report["status"] == 0, report["output"]
    assert sorted(leak["where"] for leak in report["leaks"]) == [
        "exception WorkflowError",
        "log record generated.vapi:DEBUG",
    ]
    assert all(leak["test"].endswith("test_leaks") for leak in report["leaks"])


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
    assert error.reason == "the request failed (LocalProtocolError)"
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
