"""A scripted, hostile HTTP server on 127.0.0.1 for the runtime's safety tests.

The replay server (tests/replay.py) speaks well-formed HTTP; a hostile server does
not: it drips bytes, streams without end, sends gzip bombs, endless ``102
Processing``, odd reason phrases and redirects to other origins.  Here each test
gives a *script*: a function called once per accepted connection with a
:class:`Conn`, which reads the request and writes raw bytes.  Every script must be
bounded (a number of bytes, of repetitions, or a time), and every socket write is
guarded: when the client hangs up, the script ends quietly.

    def script(conn: Conn) -> None:
        request = conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n{}")

    with HostileServer(script) as server:
        ... server.url ...; server.requests  # the RecordedRequests, in order
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

#: Longest a script may run on one connection before the server gives up on it.
SCRIPT_SECONDS = 30.0
#: Most bytes a request (head and body) may have; the runtime's requests are small.
MAX_REQUEST_BYTES = 1 << 20


class ClientGone(Exception):
    """The client closed the connection (or the script ran out of time)."""


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Conn:
    sock: socket.socket
    server: HostileServer
    started: float = field(default_factory=time.monotonic)
    _buffer: bytes = b""

    def _check_time(self) -> None:
        if time.monotonic() - self.started > SCRIPT_SECONDS or self.server.stopping.is_set():
            raise ClientGone("script time is up")

    def _recv(self) -> bytes:
        self._check_time()
        self.sock.settimeout(1.0)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise ClientGone(str(exc)) from None
        if not chunk:
            raise ClientGone("closed")
        return chunk

    def read_request(self) -> Request:
        """Read one request (head and Content-Length body) and record it."""
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._recv()
            if len(self._buffer) > MAX_REQUEST_BYTES:
                raise ClientGone("request too large")
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length > MAX_REQUEST_BYTES:
            raise ClientGone("request body too large")
        while len(rest) < length:
            rest += self._recv()
        body, self._buffer = rest[:length], rest[length:]
        request = Request(method, target, headers, body)
        with self.server.lock:
            self.server.requests.append(request)
        return request

    def send(self, data: bytes) -> None:
        self._check_time()
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise ClientGone(str(exc)) from None

    def drip(self, data: bytes, every: float, *, limit_seconds: float) -> None:
        """Send ``data`` one byte at a time, ``every`` seconds apart, for at most ``limit_seconds``."""
        end = time.monotonic() + limit_seconds
        for byte in data:
            if time.monotonic() > end:
                return
            self.send(bytes([byte]))
            time.sleep(every)

    def respond(self, status: int, body: bytes = b"", *, reason: str = "OK", headers: dict[str, str] | None = None) -> None:
        """A well-formed response with a Content-Length."""
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


Script = Callable[[Conn], None]


class HostileServer:
    """Runs ``script`` for each connection to ``127.0.0.1:<port>``, in a thread each."""

    def __init__(self, script: Script, *, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        #: A server-side TLS context: each connection is wrapped in it before the script runs.
        self.tls = tls
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"{'https' if tls is not None else 'http'}://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)

    def __enter__(self) -> HostileServer:
        self._acceptor.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.stopping.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=SCRIPT_SECONDS + 5)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), name="hostile-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock.settimeout(5.0)  # bounded handshake; a client refusing the certificate ends it
                try:
                    sock = self.tls.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    return
            self.script(Conn(sock, self))
        except ClientGone:
            pass
        except BaseException as exc:  # a broken script fails the test that reads .errors
            with self.lock:
                self.errors.append(exc)
        finally:
            try:
                sock.close()
            except OSError:
                pass


def chunked(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``Transfer-Encoding: chunked`` framing of ``chunks`` (the caller bounds them)."""
    for chunk in chunks:
        if chunk:
            yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    yield b"0\r\n\r\n"
