"""A real PostgreSQL server for the durable-workflow tests, started on 127.0.0.1.

``postgres_server`` (session scope) finds the server binaries of the Debian
``postgresql`` package (/usr/lib/postgresql/<version>/bin), installs the package
with apt-get when they are missing (``make test`` needs no manual step), runs
``initdb`` in a fresh temporary directory and starts ``postgres`` on a free
loopback port with its unix socket in that directory.  PostgreSQL refuses to
run as root, so under root the cluster belongs to, and the server runs as, the
``postgres`` system user the package creates (created here if it is missing).
Every wait is bounded; any failure fails the test with the server's log, it is
never a skip.  ``postgres_url`` (function scope) is a URL to a database of its
own (not yet created: DBOS creates its system database when it launches).

Use from a test module with ``from tests.durable.postgres import postgres_server, postgres_url``.
The same :class:`PostgresServer` context manager serves bench/durable.py.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

#: What the fixture measured (seconds), for reports: install (0 when already there), initdb, start.
TIMINGS: dict[str, float] = {}

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_NEEDED = ("initdb", "postgres")
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
#: Settings that make a throw-away test cluster fast: nothing here must survive a power cut.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresError(RuntimeError):
    """The server could not be installed, initialised or started."""


def _version_key(path: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in path.parent.name.split("."))
    except ValueError:
        return (0,)


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres, or None."""
    found = [Path(p) for p in sorted(Path("/").glob(_BIN_GLOB.lstrip("/")))]
    found = [p for p in found if all((p / name).is_file() for name in _NEEDED)]
    return max(found, key=_version_key) if found else None


def _apt(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args],
        env={**os.environ, **_APT_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def install() -> Path:
    """The server binaries, installing the Debian ``postgresql`` package when they are missing."""
    found = find_bin_dir()
    if found is not None:
        return found
    if shutil.which("apt-get") is None:
        raise PostgresError("PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin) and apt-get is not available to install them")
    if os.geteuid() != 0:
        raise PostgresError("PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin); installing them needs root: apt-get install postgresql")
    command = ("install", "-y", "--no-install-recommends", "postgresql")
    result = _apt(*command, timeout=600)
    if result.returncode != 0:  # the package lists may be stale or absent: refresh them once
        update = _apt("update", timeout=600)
        if update.returncode != 0:
            raise PostgresError(f"apt-get update failed ({update.returncode}):\n{update.stdout[-2000:]}{update.stderr[-2000:]}")
        result = _apt(*command, timeout=600)
    found = find_bin_dir()
    if result.returncode != 0 or found is None:
        raise PostgresError(
            f"apt-get install postgresql failed ({result.returncode}) or left no server binaries in {_BIN_GLOB}:\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return found


def _server_user() -> pwd.struct_passwd | None:
    """The user the cluster runs as: None (ourselves) unless we are root, then ``postgres``."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "postgres"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return pwd.getpwnam("postgres")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    """A PostgreSQL startup handshake succeeds (SSLRequest answered with 'N' or 'S')."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
            return sock.recv(1) in (b"N", b"S")
    except OSError:
        return False


class PostgresServer:
    """initdb + postgres on 127.0.0.1:<free port>, as a context manager.

    ``url`` is ``postgresql://postgres@127.0.0.1:<port>/postgres`` (trust
    authentication on loopback only); ``database_url(name)`` names another
    database on the same server.  ``fast=True`` turns fsync and synchronous
    commit off (a throw-away cluster); ``settings`` adds ``-c`` options.
    """

    def __init__(self, *, fast: bool = True, settings: dict[str, str] | None = None, start_timeout: float = 60.0) -> None:
        self.fast = fast
        self.settings = {"max_connections": "300", **(FAST_SETTINGS if fast else {}), **(settings or {})}
        self.start_timeout = start_timeout
        self.port = 0
        self.root: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}
        self.bin_version = ""

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    @property
    def log(self) -> str:
        if self.root is None or not (self.root / "server.log").exists():
            return ""
        return (self.root / "server.log").read_text(errors="replace")[-4000:]

    def _as_user(self) -> dict[str, Any]:
        user = _server_user()
        return {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def start(self) -> Self:
        began = time.perf_counter()
        bin_dir = install()
        self.timings["install"] = time.perf_counter() - began
        self.bin_version = bin_dir.parent.name
        # Not under pytest's tmp_path: for root that is a 0700 directory the postgres user cannot enter.
        self.root = Path(tempfile.mkdtemp(prefix="arazzo-pg-"))
        as_user = self._as_user()
        if as_user:
            os.chown(self.root, as_user["user"], as_user["group"])
        data = self.root / "data"
        began = time.perf_counter()
        init = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            check=False,
            **as_user,
        )
        if init.returncode != 0:
            raise PostgresError(f"initdb failed ({init.returncode}):\n{init.stdout[-2000:]}{init.stderr[-2000:]}")
        self.timings["initdb"] = time.perf_counter() - began
        began = time.perf_counter()
        for attempt in itertools.count(1):  # a free port can be taken between our probe and the bind
            self.port = free_port()
            options = [item for key, value in self.settings.items() for item in ("-c", f"{key}={value}")]
            with open(self.root / "server.log", "ab") as log:
                if as_user:
                    os.chown(self.root / "server.log", as_user["user"], as_user["group"])
                self.proc = subprocess.Popen(
                    [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root), *options],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.root,
                    start_new_session=True,
                    **as_user,
                )
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline and self.proc.poll() is None and not _accepts(self.port):
                time.sleep(0.05)
            if self.proc.poll() is None and _accepts(self.port):
                break
            log_text = self.log
            self.stop(remove=False)
            if attempt >= 3 or "could not bind" not in log_text:
                raise PostgresError(f"postgres did not accept connections on 127.0.0.1:{self.port} within {self.start_timeout:.0f}s:\n{log_text}")
        self.timings["start"] = time.perf_counter() - began
        return self

    def stop(self, *, remove: bool = True) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # fast shutdown: roll back open transactions, close connections
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
        if remove and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


_shared: list[PostgresServer] = []  # the one server of this pytest session
_users = [0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session (see the module docstring).

    Each test module that imports this fixture gets a fixture definition of its own; they share one
    server, which the last of them stops at the end of the session.
    """
    if not _shared:
        server = PostgresServer()
        try:
            server.start()
        except PostgresError as error:
            server.stop()
            pytest.fail(f"PostgreSQL for the durable tests: {error}", pytrace=False)
        TIMINGS.update(server.timings)
        _shared.append(server)
    _users[0] += 1
    try:
        yield _shared[0]
    finally:
        _users[0] -= 1
        if _users[0] == 0:
            _shared.pop().stop()


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A URL to a database of this test's own on the session server (DBOS creates it at launch)."""
    return postgres_server.database_url(f"durable_{os.getpid()}_{next(_databases)}")
