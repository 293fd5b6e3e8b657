"""The secret scanner: a pytest plugin that watches the fixture suites while they run.

tests/conftest.py installs it in every session (``-p tests.secret_scan`` does the same
where that conftest is not loaded).  During the call phase of each *watched* test (the
provider scenario tests, tests/providers; the fault and cancellation tests; the
conformance suite, tests/conformance) it records every exception passing through
generated code (raised there, or propagating or caught there) and every log record at
DEBUG level, from every logger (the runtime's, httpx's, httpcore's).  Each exception's
str and repr, the repr of each of its attributes (``StepFailed.error``, the parsed error
model, included) and its whole ``__cause__``/``__context__`` chain, and each record's
message, arguments and traceback, are searched for every secret the fixtures use (taken
from the credential headers, query keys and cookies of every cassette).  Other tests are
not touched.

The verdict is ``tests/runtime/test_secrets.py::test_no_secret_in_any_exception_or_log_record_of_the_fixture_suite``
(marked ``secret_scan``, which this plugin moves after every other test).  It uses what
the scanner saw in its own session for each watched file the session ran completely, and
runs the others again in a subprocess under the same plugin (:func:`run_scan`): so
``pytest tests/runtime/test_secrets.py`` alone, or with ``-k``, ``--deselect``, ``file::test``
arguments, ``--lf``, or split across xdist workers, still scans the whole fixture suite.

With ``ARAZZO_SECRET_SCAN_REPORT=<path>`` set, the scanner writes what it saw there as
JSON at the end of the session (``ARAZZO_SECRET_SCAN_EXTRA`` adds comma-separated
secrets to look for): that is how the subprocess reports back.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASSETTE_DIRS = (ROOT / "tests" / "cassettes", ROOT / "tests" / "conformance")
PLUGIN_NAME = "arazzo-secret-scanner"
MARKER = "secret_scan"
REPORT_ENV = "ARAZZO_SECRET_SCAN_REPORT"
EXTRA_ENV = "ARAZZO_SECRET_SCAN_EXTRA"
# Watched test files, relative to the session's rootdir: every test_*.py under these
# directories, and these files.
WATCHED_DIRS = ("tests/providers", "tests/conformance")
WATCHED_FILES = ("tests/runtime/test_faults.py", "tests/runtime/test_cancellation.py")

_CREDENTIAL_NAME = re.compile(
    r"authorization|api[-_]?key|token|secret|password|credential|signature|session",
    re.I,
)
_SCHEME = re.compile(r"^(bearer|basic|token|apikey)\s+", re.I)


# -- what is watched ----------------------------------------------------------------------


def is_watched(relpath: str) -> bool:
    """Whether a test file (posix path relative to the rootdir) is one the scanner watches."""
    return relpath in WATCHED_FILES or any(
        relpath.startswith(folder + "/") for folder in WATCHED_DIRS
    )


def watched_files(root: Path = ROOT) -> set[str]:
    """The watched test files on disk under ``root`` (posix paths relative to it)."""
    found = {name for name in WATCHED_FILES if (root / name).is_file()}
    for folder in WATCHED_DIRS:
        found |= {
            path.relative_to(root).as_posix()
            for path in (root / folder).rglob("test_*.py")
        }
    return found


# -- the fixtures' secrets ----------------------------------------------------------------


def fixture_secrets() -> set[str]:
    """Every credential the cassettes expect on the wire (headers, query, cookies)."""
    import yaml  # type: ignore[import-untyped, unused-ignore]

    found: set[str] = set()
    for folder in CASSETTE_DIRS:
        for path in sorted(folder.rglob("*.yaml")):
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


# -- the texts searched -------------------------------------------------------------------


def exception_texts(error: BaseException) -> Iterator[str]:
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


def record_texts(record: logging.LogRecord) -> Iterator[str]:
    try:
        yield record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: scan the parts
        yield str(record.msg)
    yield repr(record.args)
    if record.exc_info and record.exc_info[1] is not None:
        yield from exception_texts(record.exc_info[1])
        yield logging.Formatter().formatException(record.exc_info)


def _is_workflow_error(error: BaseException) -> bool:
    """An exception of a generated package: its module is generated.*, or it is a WorkflowError."""
    return type(error).__module__.startswith("generated.") or any(
        cls.__name__ == "WorkflowError" for cls in type(error).__mro__
    )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# -- the plugin ---------------------------------------------------------------------------


class SecretScanner:
    """pytest plugin: trace generated frames for exceptions and collect every log record
    during each watched test's call phase, search them for the secrets; and keep track of
    which watched files the session ran completely."""

    LOGGERS = ("generated", "httpx", "httpcore")

    def __init__(self, rootpath: Path, extra_secrets: Iterable[str] = ()) -> None:
        self.rootpath = rootpath.resolve()
        self._relfiles: dict[str, str | None] = {}
        self._extra = set(extra_secrets)
        self._secrets: list[str] | None = None
        # per watched file: the node ids collected, deselected, and reported
        self.collected: dict[str, set[str]] = {}
        self.deselected: set[str] = set()  # files
        self.narrowed: set[str] = set()  # files named with ``::`` on the command line
        # node ids with a setup, call or teardown report
        self.reported: set[str] = set()
        self.files: dict[str, str] = {}  # node id -> watched file
        self.outcomes: dict[str, str] = {}
        # per test whose call phase was observed: its file, exceptions, workflow errors, records
        self.observed: dict[str, tuple[str, int, int, int]] = {}
        self.leaks: list[dict[str, str]] = []
        self._seen: list[BaseException] = []

    @property
    def secrets(self) -> list[str]:
        if self._secrets is None:
            self._secrets = sorted(fixture_secrets() | self._extra)
        return self._secrets

    def _relfile(self, path: Path | str) -> str | None:
        key = str(path)
        if key not in self._relfiles:
            try:
                relfile = Path(path).resolve().relative_to(self.rootpath).as_posix()
            except ValueError:
                relfile = None
            self._relfiles[key] = relfile
        return self._relfiles[key]

    def _watched(self, item: pytest.Item) -> str | None:
        relfile = self._relfile(item.path)
        return relfile if relfile is not None and is_watched(relfile) else None

    # collection: what this session will run

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Move the verdict (tests marked ``secret_scan``) after every other test."""
        last = [item for item in items if item.get_closest_marker(MARKER) is not None]
        if last:
            items[:] = [item for item in items if item not in last] + last

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            relfile = self._watched(item)
            if relfile is not None:
                self.collected.setdefault(relfile, set()).add(item.nodeid)
                self.files[item.nodeid] = relfile
                self.deselected.add(relfile)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            relfile = self._watched(item)
            if relfile is not None:
                self.collected.setdefault(relfile, set()).add(item.nodeid)
                self.files[item.nodeid] = relfile
        invocation = session.config.invocation_params.dir
        for arg in session.config.args:
            if "::" in arg:
                relfile = self._relfile(invocation / arg.split("::", 1)[0])
                if relfile is not None:
                    self.narrowed.add(relfile)

    # running: observe each watched test

    def _tracer(self) -> Callable[[types.FrameType, str, Any], Any]:
        """A trace function that follows only frames of generated code (kept cheap: it sees every call)."""
        seen = self._seen
        generated = str(ROOT / "generated")
        suffixes = (f"{os.sep}workflows.py",)
        runtime = f"{os.sep}_runtime{os.sep}"  # the runtime parts: <package>/_runtime/<part>.py

        def local(frame: types.FrameType, event: str, arg: Any) -> Any:
            # StopIteration is the iteration protocol (an awaited body chunk), never raised to anyone
            if event == "exception" and not isinstance(arg[1], (StopIteration, StopAsyncIteration)):
                seen.append(arg[1])
            return local

        def trace(frame: types.FrameType, event: str, arg: Any) -> Any:
            name = frame.f_code.co_filename
            if name.startswith(generated) or name.endswith(suffixes) or runtime in name:
                frame.f_trace_lines = False  # exception events only
                return local
            return None

        return trace

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        relfile = self._watched(item)
        if relfile is None:
            yield
            return
        secrets = self.secrets  # read the cassettes before tracing starts
        handler = _Collect()
        root = logging.getLogger()
        root.addHandler(handler)
        levels = {name: logging.getLogger(name).level for name in self.LOGGERS}
        for name in self.LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        self._seen.clear()
        previous = sys.gettrace()
        # this thread only: the replay server's threads run no generated code
        sys.settrace(self._tracer())
        try:
            yield
        finally:
            sys.settrace(previous)
            root.removeHandler(handler)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
        unique = list({id(e): e for e in self._seen}.values())
        self._seen.clear()
        self.observed[item.nodeid] = (
            relfile,
            len(unique),
            sum(1 for e in unique if _is_workflow_error(e)),
            len(handler.records),
        )
        for error in unique:
            self._check(
                secrets,
                item.nodeid,
                f"exception {type(error).__name__}",
                exception_texts(error),
            )
        for record in handler.records:
            self._check(
                secrets,
                item.nodeid,
                f"log record {record.name}:{record.levelname}",
                record_texts(record),
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.files:
            return
        self.reported.add(report.nodeid)
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[report.nodeid] = report.outcome

    def _check(
        self, secrets: list[str], test: str, where: str, texts: Iterator[str]
    ) -> None:
        """Record the first secret found in one exception or record (its text shown masked)."""
        for text in texts:
            for secret in secrets:
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

    # the verdict

    def complete_files(self) -> set[str]:
        """Watched files whose every test this session collected and ran (none deselected,
        not narrowed to some tests on the command line, none left unreported)."""
        return {
            relfile
            for relfile, nodeids in self.collected.items()
            if relfile not in self.deselected
            and relfile not in self.narrowed
            and nodeids <= self.reported
        }

    def summary(self, files: set[str] | None = None) -> dict[str, Any]:
        """What was seen in ``files`` (default: the complete ones); leaks from anywhere."""
        files = self.complete_files() if files is None else files
        observed = {t: s for t, s in self.observed.items() if s[0] in files}
        return {
            "secrets": len(self.secrets),
            "complete": sorted(self.complete_files()),
            "tests": sorted(observed),
            "outcomes": {
                t: o for t, o in self.outcomes.items() if self.files[t] in files
            },
            "exceptions": sum(s[1] for s in observed.values()),
            "workflow_errors": sum(s[2] for s in observed.values()),
            "records": sum(s[3] for s in observed.values()),
            "leaks": list(self.leaks),
        }

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        path = os.environ.get(REPORT_ENV)
        if path:
            report = {"status": int(exitstatus), **self.summary()}
            Path(path).write_text(json.dumps(report, indent=1), encoding="utf-8")


def install(config: pytest.Config) -> SecretScanner:
    """Register the scanner for this session (once) and its marker; returns it."""
    scanner = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if scanner is None:
        config.addinivalue_line(
            "markers",
            f"{MARKER}: the secret scanner's verdict; runs after every other test",
        )
        extra = [s for s in os.environ.get(EXTRA_ENV, "").split(",") if s]
        scanner = SecretScanner(config.rootpath, extra)
        config.pluginmanager.register(scanner, PLUGIN_NAME)
    assert isinstance(scanner, SecretScanner)
    return scanner


def pytest_configure(config: pytest.Config) -> None:
    """For ``-p tests.secret_scan`` (tests/conftest.py calls :func:`install` itself)."""
    install(config)


# -- the subprocess -----------------------------------------------------------------------


def run_scan(
    report_dir: Path,
    targets: list[str],
    *,
    cwd: Path = ROOT,
    options: tuple[str, ...] = (),
    extra_secrets: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Run pytest on ``targets`` in a subprocess under the scanner; return its report
    (plus ``output``, the end of pytest's output).  ``extra_secrets`` replaces those
    of ``ARAZZO_SECRET_SCAN_EXTRA``, which the subprocess inherits otherwise."""
    report_path = report_dir / "secret-scan.json"
    report_path.unlink(missing_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")
    }
    if extra_secrets is not None:
        env[EXTRA_ENV] = ",".join(extra_secrets)
    env.update(
        {
            REPORT_ENV: str(report_path),
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
            ),
        }
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.secret_scan",
            *options,
            *targets,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = completed.stdout[-3000:] + completed.stderr[-3000:]
    assert report_path.exists(), output
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    report["output"] = output
    return report
