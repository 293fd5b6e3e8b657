"""Real message servers on 127.0.0.1 for the broker adapter tests.

- :func:`mosquitto`: the Eclipse Mosquitto MQTT broker, found on PATH (or in
  /usr/sbin) and, when missing, installed from the Debian registry with apt-get (the
  test set-up needs no manual step; a failed install fails the tests, it never skips
  them).  One process serves three listeners, all bound to 127.0.0.1 on free ports:
  anonymous, username/password, and TLS (a throwaway CA made with trustme).  No
  persistence: every run starts empty.
- :func:`ws_relay`: a small WebSocket pub/sub relay built on websockets: a frame
  received on a path is forwarded, unchanged (text stays text), to every other
  connection open on the same path.

Import the fixtures into a test module (``from tests.events.brokers import mosquitto``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

HOST = "127.0.0.1"
#: How long a started server may take to accept connections before the fixture gives up.
START_TIMEOUT = 15.0
#: How long apt-get may wait for another apt-get to release its lock.
APT_LOCK_TIMEOUT = 300


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that were free on 127.0.0.1 a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a connection to it is refused)."""
    return free_ports(1)[0]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


# -- mosquitto ------------------------------------------------------------------------


def _find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT}", *args]
    try:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return subprocess.CompletedProcess(command, 1, "", str(error))


def installed(find: Any, package: str, what: str) -> str:
    """What ``find()`` finds, after installing Debian's ``package`` when it finds nothing."""
    found: str | None = find()
    if found:
        return found
    install = ("install", "-y", "--no-install-recommends", package)
    result = _apt_get(*install)
    if result.returncode != 0:  # an empty or stale package list: refresh it once, then retry
        update = _apt_get("update")
        result = _apt_get(*install) if update.returncode == 0 else update
    found = find()
    if result.returncode != 0 or found is None:
        output = (result.stdout + result.stderr).strip()[-2000:]
        pytest.fail(
            f"these tests need {what}, which is not installed, and "
            f"`apt-get install -y --no-install-recommends {package}` failed (exit {result.returncode}; "
            f"it needs root and the Debian registry):\n{output}",
            pytrace=False,
        )
    return found


def mosquitto_binary() -> str:
    """The mosquitto executable; installed from the Debian registry when missing."""
    return installed(_find_mosquitto, "mosquitto", "the mosquitto MQTT broker")


@dataclasses.dataclass
class Mosquitto:
    """A running mosquitto: where its listeners are, and how to reach the TLS one."""

    host: str
    port: int  # anonymous
    auth_port: int  # username/password only
    tls_port: int  # TLS, anonymous, certificate for "localhost" and 127.0.0.1
    username: str
    password: str
    ca_file: Path  # the CA that signed the TLS listener's certificate
    log_file: Path
    binary: str
    #: Seconds from starting the process until all three listeners accepted a connection.
    started_in: float
    #: Seconds the install took (0.0 when mosquitto was already there).
    installed_in: float

    def client_tls_context(self) -> ssl.SSLContext:
        """A client-side context that trusts the TLS listener's CA."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return context

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def _password_file(directory: Path, binary: str, username: str, password: str) -> Path:
    path = directory / "passwords"
    path.write_text("")
    tool = shutil.which("mosquitto_passwd") or str(Path(binary).with_name("mosquitto_passwd"))
    if not os.access(tool, os.X_OK):
        tool = shutil.which("mosquitto_passwd", path="/usr/bin:/usr/sbin") or tool
    result = subprocess.run([tool, "-b", str(path), username, password], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"mosquitto_passwd failed: {result.stdout}{result.stderr}", pytrace=False)
    return path


def start_mosquitto(directory: Path) -> tuple[subprocess.Popen[bytes], Mosquitto]:
    """Start mosquitto with its config in ``directory``; wait (bounded) until it serves."""
    began = time.monotonic()
    had = _find_mosquitto() is not None
    binary = mosquitto_binary()
    installed_in = 0.0 if had else time.monotonic() - began
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", HOST)
    ca_file = directory / "ca.pem"
    cert_file = directory / "server.pem"
    key_file = directory / "server.key"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    username, password = "arazzo", "s3cret-mqtt-pass"
    passwords = _password_file(directory, binary, username, password)
    log_file = directory / "mosquitto.log"
    last_error = ""
    for _attempt in range(3):  # a port taken between choosing and binding: choose again
        port, auth_port, tls_port = free_ports(3)
        config = directory / "mosquitto.conf"
        config.write_text(
            "\n".join(
                [
                    "per_listener_settings true",
                    "persistence false",
                    "log_dest stderr",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "log_type information",
                    # as root, stay root: the files in the (root-only) temporary folder stay readable
                    "user root",
                    f"listener {port} {HOST}",
                    "allow_anonymous true",
                    f"listener {auth_port} {HOST}",
                    "allow_anonymous false",
                    f"password_file {passwords}",
                    f"listener {tls_port} {HOST}",
                    "allow_anonymous true",
                    f"cafile {ca_file}",
                    f"certfile {cert_file}",
                    f"keyfile {key_file}",
                    "",
                ]
            )
        )
        started = time.monotonic()
        log = log_file.open("wb")
        process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        ready = False
        while time.monotonic() - started < START_TIMEOUT and process.poll() is None:
            if all(_accepts(p) for p in (port, auth_port, tls_port)):
                ready = True
                break
            time.sleep(0.05)
        if ready:
            broker = Mosquitto(
                host=HOST,
                port=port,
                auth_port=auth_port,
                tls_port=tls_port,
                username=username,
                password=password,
                ca_file=ca_file,
                log_file=log_file,
                binary=binary,
                started_in=time.monotonic() - started,
                installed_in=installed_in,
            )
            return process, broker
        stop(process)
        last_error = log_file.read_text(errors="replace")[-2000:]
    pytest.fail(f"mosquitto did not accept connections within {START_TIMEOUT} s:\n{last_error}", pytrace=False)


def stop(process: subprocess.Popen[Any]) -> None:
    """Stop a server process started here: SIGTERM, then SIGKILL after 5 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """A mosquitto broker on 127.0.0.1 for the whole session (use a fresh topic per test)."""
    process, broker = start_mosquitto(tmp_path_factory.mktemp("mosquitto"))
    try:
        yield broker
    finally:
        stop(process)


# -- a WebSocket relay ----------------------------------------------------------------


@dataclasses.dataclass
class Handshake:
    path: str
    headers: dict[str, str]


class WsRelay:
    """A WebSocket pub/sub relay on 127.0.0.1, served from a thread of its own.

    A frame received on a path goes to every *other* connection open on that path.
    A handshake on a path under ``/forbidden`` is refused with 403.  With an
    ``ssl_context`` it serves wss://.  :attr:`handshakes`
    records each accepted handshake's path and request headers.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.handshakes: list[Handshake] = []
        self.port = 0
        self._peers: dict[str, set[Any]] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ws-relay", daemon=True)

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl_context is not None else 'ws'}://{HOST}:{self.port}"

    def start(self) -> WsRelay:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error is not None:
            raise RuntimeError(f"the WebSocket relay did not start: {self._error!r}")
        return self

    def close(self) -> None:
        if self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set_result, None)
        self._thread.join(10)

    def kick(self, path: str, code: int = 1011, reason: str = "relay going away") -> None:
        """Close every connection on ``path`` from the server side, with ``code``."""

        async def close_all() -> None:
            for peer in list(self._peers.get(path, ())):
                await peer.close(code, reason)

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(START_TIMEOUT)

    def peers(self, path: str) -> int:
        """How many connections are open on ``path`` now."""
        return len(self._peers.get(path, ()))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # noqa: BLE001 - reported to start()
            self._error = error
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        from websockets.asyncio.server import serve
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        def refuse(connection: Any, request: Any) -> Any:
            if request.path.startswith("/forbidden"):
                return Response(403, "Forbidden", Headers([("Content-Length", "9")]), b"forbidden")
            return None

        self._stopped = self._loop.create_future()
        async with serve(self._handle, HOST, 0, process_request=refuse, ssl=self.ssl_context) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stopped

    async def _handle(self, connection: Any) -> None:
        from websockets.asyncio.server import broadcast

        path = connection.request.path
        self.handshakes.append(Handshake(path, {k.lower(): v for k, v in connection.request.headers.raw_items()}))
        peers = self._peers.setdefault(path, set())
        peers.add(connection)
        try:
            async for frame in connection:
                broadcast([peer for peer in peers if peer is not connection], frame)
        except Exception:  # noqa: BLE001 - a peer that went away
            pass
        finally:
            peers.discard(connection)


@pytest.fixture(scope="session")
def ws_relay() -> Iterator[WsRelay]:
    """A WebSocket relay on 127.0.0.1 for the whole session (use a fresh path per test)."""
    relay = WsRelay().start()
    try:
        yield relay
    finally:
        relay.close()


# -- RabbitMQ -------------------------------------------------------------------------


def _find_rabbitmq() -> str | None:
    for candidate in ("/usr/lib/rabbitmq/bin/rabbitmq-server",):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclasses.dataclass
class RabbitMQ:
    """A running RabbitMQ node of this test session (user guest, loopback only)."""

    host: str
    port: int
    node: str
    log_dir: Path
    #: Seconds from starting the node until it accepted AMQP connections.
    started_in: float
    #: Seconds the install took (0.0 when rabbitmq-server was already there).
    installed_in: float
    #: The environment the node runs in (its cookie, epmd port, ...), for rabbitmqctl.
    env: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)

    def ctl(self, *args: str) -> str:
        """Run ``rabbitmqctl -n NODE ARGS...`` against this node; its output."""
        tool = str(Path(_find_rabbitmq() or "/usr/lib/rabbitmq/bin/rabbitmq-server").with_name("rabbitmqctl"))
        result = subprocess.run(
            [tool, "-n", self.node, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.port}/"

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


#: How long a RabbitMQ node may take to boot (it takes some 8 s here).
RABBITMQ_START_TIMEOUT = 90.0


def start_rabbitmq(directory: Path) -> tuple[list[subprocess.Popen[bytes]], RabbitMQ]:
    """Start a private RabbitMQ node (and its own epmd) on 127.0.0.1 with its state in
    ``directory``; wait (bounded) until it accepts AMQP connections."""
    began = time.monotonic()
    had = _find_rabbitmq() is not None
    server = installed(_find_rabbitmq, "rabbitmq-server", "the RabbitMQ broker")
    installed_in = 0.0 if had else time.monotonic() - began
    epmd_binary = shutil.which("epmd") or "/usr/bin/epmd"
    port, dist_port, epmd_port = free_ports(3)
    node = f"arazzo{port}@localhost"
    (directory / "enabled_plugins").write_text("[].\n")
    (directory / "rabbitmq.conf").write_text(f"listeners.tcp.default = {HOST}:{port}\nloopback_users.guest = true\n")
    log_dir = directory / "log"
    log_dir.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        HOME=str(directory),  # the Erlang cookie
        RABBITMQ_NODENAME=node,
        RABBITMQ_NODE_IP_ADDRESS=HOST,
        RABBITMQ_NODE_PORT=str(port),
        RABBITMQ_DIST_PORT=str(dist_port),
        ERL_EPMD_ADDRESS=HOST,
        ERL_EPMD_PORT=str(epmd_port),
        RABBITMQ_MNESIA_BASE=str(directory / "mnesia"),
        RABBITMQ_LOG_BASE=str(log_dir),
        RABBITMQ_CONFIG_FILE=str(directory / "rabbitmq"),
        RABBITMQ_ENABLED_PLUGINS_FILE=str(directory / "enabled_plugins"),
        RABBITMQ_PID_FILE=str(directory / "rabbitmq.pid"),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
    )
    out = (directory / "server.out").open("wb")
    # our own epmd (not a daemon), so that stopping the node leaves nothing behind
    epmd = subprocess.Popen(
        [epmd_binary, "-port", str(epmd_port), "-address", HOST], env=env, stdout=out, stderr=subprocess.STDOUT
    )
    started = time.monotonic()
    process = subprocess.Popen([server], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    processes = [process, epmd]
    while time.monotonic() - started < RABBITMQ_START_TIMEOUT and process.poll() is None:
        if _accepts(port):
            return processes, RabbitMQ(HOST, port, node, log_dir, time.monotonic() - started, installed_in, env)
        time.sleep(0.1)
    output = (directory / "server.out").read_text(errors="replace")[-3000:]
    stop_all(processes)
    pytest.fail(f"RabbitMQ did not accept connections within {RABBITMQ_START_TIMEOUT:g} s:\n{output}", pytrace=False)


def stop_all(processes: list[subprocess.Popen[Any]]) -> None:
    """Stop the RabbitMQ node (its whole process group: the script and the Erlang VM), then its epmd."""
    import signal

    node, *others = processes
    if node.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGTERM)
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGKILL)
            node.wait(timeout=10)
    for process in others:
        stop(process)


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMQ]:
    """A RabbitMQ node on 127.0.0.1 for the whole session (use a fresh routing key per test)."""
    processes, broker = start_rabbitmq(tmp_path_factory.mktemp("rabbitmq"))
    try:
        yield broker
    finally:
        stop_all(processes)
