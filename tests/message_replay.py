"""Message cassettes: recorded HTTP exchanges plus the webhooks that arrive around them.

A message cassette is an HTTP cassette (:mod:`tests.replay`: ``description`` and
``interactions``, served and verified by a replay server on 127.0.0.1) with two more
sections: the **deliveries** a provider makes to the workflow's webhook receiver, each
timed relative to the HTTP exchanges and signed by this module's own signer (never the
generated runtime's), and the **sends** a workflow is expected to publish::

    description: The call.completed webhook beats the create response.
    interactions:                       # exactly as in tests/replay.py
      - request: {method: POST, path: /calls/outbound, json: {...}}
        response: {status: 200, json: {call_id: vcall_1, status: queued}}
    signing:                            # how the provider signs its webhooks
      scheme: hmac-sha256               # hmac-sha256 | stripe
      header: X-VoiceInfra-Signature
      encoding: hex                     # hmac-sha256: hex | base64
      prefix: ''                        # hmac-sha256: text before the digest
    deliveries:
      - name: early
        at: before response 0           # see "Timing" below
        delay_ms: 0
        headers: {X-VoiceInfra-Event: call.completed}
        json: {call_id: vcall_1, ...}   # or body: '<raw text>'
        signature: valid                # see "Signatures" below
        expect: 200                     # the receiver's status for this POST
    sends:                              # what the workflow publishes, in order
      - channel: orders.placed
        json: {order_id: 42}
        headers: {x-request-id: r1}     # each listed header must be there (names case-insensitive)

Timing (``at``)
---------------
``before workflow``
    Before the workflow function is called (:meth:`MessageReplay.begin`).
``before response N``
    When the request matching ``interactions[N]`` has arrived, before its response
    is written: the replay server holds the response until these deliveries have
    been answered. This is the webhook that beats the create response.
``after response N``
    Once the response of ``interactions[N]`` has been written, from a thread of its own.
``while waiting``
    As soon as a receive step waits (the ``waiting`` predicate given to
    :class:`MessageReplay` holds; polled from a thread started by ``begin()``):
    a message that does not match is then refused at delivery (202), where one
    that comes before the step waits is kept for it (200).
``after workflow``
    After the workflow function returned or raised (:meth:`MessageReplay.finish`):
    a late delivery.

Deliveries with the same ``at`` run one after the other in cassette order, each
``delay_ms`` after the previous one of its group was answered (the first: after
the moment itself). An ``at`` that never comes (the workflow never sent request N)
leaves its deliveries undelivered, which :meth:`MessageReplay.assert_done` reports.

A delivery is one HTTP POST to the receiver's ``.url`` over a real socket on
127.0.0.1 (:func:`http_target`), or the same headers and body handed to
``receiver.deliver`` (:func:`deliver_target`) or to its ASGI app
(:func:`asgi_target`), the ways a web framework feeds the receiver.

Body and headers
----------------
``json`` is serialized by this module (``json.dumps``; ``pretty: true`` indents it,
to check that signatures are verified over the raw bytes, not a re-serialization);
``body`` is sent as written (UTF-8). ``content_type`` (default ``application/json``)
becomes the Content-Type header; ``headers`` are added as given. ``copy_of: <name>``
sends exactly the bytes and headers of an earlier delivery again, its signature
included: a duplicate, as a provider's retry sends it.

Signatures (``signature``)
--------------------------
``valid`` (default)
    Signed with the test's secret: hmac-sha256 puts ``prefix + digest`` in the
    header (the HMAC-SHA256 of the raw body); stripe puts ``t=<now>,v1=<hex>``,
    the HMAC-SHA256 of ``"<t>.<raw body>"``.
``wrong-secret``
    Signed the same way with another secret.
``tampered``
    A valid signature of other bytes (the body with a trailing newline).
``stale``
    stripe only: a valid signature whose timestamp is an hour old.
``missing``
    No signature header.
``{header: '<literal value>'}``
    That exact header value.

Unknown keys anywhere are errors: :class:`~tests.replay.CassetteError` names the
file and the field.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json as jsonlib
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml  # type: ignore[import-untyped, unused-ignore]

from tests.replay import (
    Cassette,
    CassetteError,
    InteractionResponse,
    JSONValue,
    RecordedRequest,
    ReplayServer,
    _Handler,
    _json_diff,
    _StrictLoader,
)

__all__ = [
    "Delivery",
    "DeliveryResult",
    "ExpectedSend",
    "MessageCassette",
    "MessageReplay",
    "MessageReplayManager",
    "Signing",
    "Target",
    "asgi_target",
    "deliver_target",
    "http_target",
    "sign",
]

#: A way to hand one webhook to the receiver: (headers, body) -> (status, response text).
Target = Callable[[Mapping[str, str], bytes], tuple[int, str]]
SignatureKind = Literal["valid", "wrong-secret", "tampered", "stale", "missing"]
_SIGNATURE_KINDS: tuple[SignatureKind, ...] = (
    "valid",
    "wrong-secret",
    "tampered",
    "stale",
    "missing",
)
#: The secret ``wrong-secret`` signs with.
WRONG_SECRET = "not-the-webhook-secret"
#: How old a ``stale`` timestamp is, in seconds.
STALE_SECONDS = 3600
#: Longest ``delay_ms`` the loader accepts.
MAX_DELAY_MS = 30_000
#: Bounded waits: one delivery, and the background deliveries when finishing.
_DELIVERY_TIMEOUT_SECONDS = 10.0
_JOIN_TIMEOUT_SECONDS = 30.0

_AT = re.compile(
    r"^(?:(before|after) response (\d+)|(before|after) workflow|while waiting)$"
)
_TOP_KEYS = frozenset({"description", "interactions", "signing", "deliveries", "sends"})
_SIGNING_KEYS = frozenset({"scheme", "header", "encoding", "prefix"})
_DELIVERY_KEYS = frozenset(
    {
        "name",
        "at",
        "delay_ms",
        "headers",
        "json",
        "body",
        "pretty",
        "content_type",
        "signature",
        "copy_of",
        "expect",
    }
)
_SEND_KEYS = frozenset({"channel", "json", "body", "headers"})


# ---------------------------------------------------------------------------
# The independent signer
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Signing:
    """How the provider signs its webhooks (the cassette's ``signing`` section)."""

    scheme: Literal["hmac-sha256", "stripe"]
    header: str
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""


def sign(signing: Signing, secret: str, body: bytes, *, timestamp: int) -> str:
    """The signature header value a provider sends with ``body``.

    Written from the providers' documentation with hashlib/hmac only, so that it
    checks the generated verifiers instead of agreeing with them by construction.
    """
    key = secret.encode("utf-8")
    if signing.scheme == "hmac-sha256":
        digest = hmac.new(key, body, hashlib.sha256).digest()
        text = (
            digest.hex()
            if signing.encoding == "hex"
            else base64.b64encode(digest).decode("ascii")
        )
        return signing.prefix + text
    signed = str(timestamp).encode("ascii") + b"." + body
    return f"t={timestamp},v1={hmac.new(key, signed, hashlib.sha256).hexdigest()}"


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    name: str
    #: "before workflow" | "after workflow" | ("before"|"after", interaction index)
    at: str | tuple[Literal["before", "after"], int]
    delay_ms: int
    headers: tuple[tuple[str, str], ...]
    body: bytes | None  # None for a copy_of delivery
    content_type: str
    signature: SignatureKind | str  # a kind, or a literal header value
    copy_of: str | None
    expect: int

    def describe(self) -> str:
        at = (
            self.at
            if isinstance(self.at, str)
            else f"{self.at[0]} response {self.at[1]}"
        )
        return f"delivery {self.name!r} ({at})"


@dataclass(frozen=True)
class ExpectedSend:
    channel: str
    payload: JSONValue
    is_json: bool
    headers: dict[str, str]


@dataclass(frozen=True)
class DeliveryResult:
    """What the receiver answered to one delivery."""

    name: str
    status: int | None  # None: the delivery itself failed (see error)
    text: str
    headers: dict[str, str]
    body: bytes
    started: float  # time.monotonic() when it was sent
    finished: float
    error: str | None = None


@dataclass
class MessageCassette:
    """A parsed, validated message cassette."""

    http: Cassette
    signing: Signing | None
    deliveries: list[Delivery]
    sends: list[ExpectedSend]
    source: str = "<memory>"

    @property
    def description(self) -> str:
        return self.http.description

    @classmethod
    def load(cls, path: str | Path) -> MessageCassette:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CassetteError(f"{source}: cannot read cassette: {exc}") from exc
        return cls.loads(text, source=source)

    @classmethod
    def loads(cls, text: str, source: str = "<memory>") -> MessageCassette:
        try:
            data = yaml.load(text, Loader=_StrictLoader)
        except CassetteError as exc:
            raise CassetteError(f"{source}: {exc}") from None
        except yaml.YAMLError as exc:
            raise CassetteError(f"{source}: invalid YAML: {exc}") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: object, source: str = "<memory>") -> MessageCassette:
        return _Parser(source).parse(data)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> CassetteError:
        return CassetteError(f"{self.source}: {where}: {problem}")

    def mapping(
        self, value: object, where: str, allowed: frozenset[str]
    ) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.fail(where, "expected a mapping with string keys")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                f"{where}.{unknown[0]}",
                f"unknown key (allowed: {', '.join(sorted(allowed))})",
            )
        return value

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(
                where, f"expected a string, got {value!r} (quote it in YAML)"
            )
        return value

    def string_map(self, value: object, where: str) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping of strings")
        return {
            self.string(k, where): self.string(v, f"{where}.{k}")
            for k, v in value.items()
        }

    def parse(self, data: object) -> MessageCassette:
        top = self.mapping(data, "<top level>", _TOP_KEYS)
        http = Cassette.from_dict(
            {k: v for k, v in top.items() if k in ("description", "interactions")},
            source=self.source,
        )
        signing = None
        if "signing" in top:
            signing = self.signing(top["signing"], "signing")
        raw_deliveries = top.get("deliveries", [])
        if not isinstance(raw_deliveries, list):
            raise self.fail("deliveries", "expected a list")
        deliveries: list[Delivery] = []
        for i, item in enumerate(raw_deliveries):
            delivery = self.delivery(item, f"deliveries[{i}]", deliveries, signing)
            if isinstance(delivery.at, tuple) and delivery.at[1] >= len(
                http.interactions
            ):
                raise self.fail(
                    f"deliveries[{i}].at",
                    f"there is no interactions[{delivery.at[1]}]",
                )
            deliveries.append(delivery)
        raw_sends = top.get("sends", [])
        if not isinstance(raw_sends, list):
            raise self.fail("sends", "expected a list")
        sends = [self.send(item, f"sends[{i}]") for i, item in enumerate(raw_sends)]
        return MessageCassette(
            http=http,
            signing=signing,
            deliveries=deliveries,
            sends=sends,
            source=self.source,
        )

    def signing(self, value: object, where: str) -> Signing:
        raw = self.mapping(value, where, _SIGNING_KEYS)
        scheme = raw.get("scheme")
        if scheme not in ("hmac-sha256", "stripe"):
            raise self.fail(
                f"{where}.scheme", f"expected hmac-sha256 or stripe, got {scheme!r}"
            )
        if "header" not in raw:
            raise self.fail(f"{where}.header", "missing required key")
        encoding = raw.get("encoding", "hex")
        if encoding not in ("hex", "base64"):
            raise self.fail(
                f"{where}.encoding", f"expected hex or base64, got {encoding!r}"
            )
        if scheme == "stripe" and ("encoding" in raw or "prefix" in raw):
            raise self.fail(where, "encoding and prefix apply to hmac-sha256 only")
        return Signing(
            scheme=scheme,
            header=self.string(raw["header"], f"{where}.header"),
            encoding=encoding,
            prefix=self.string(raw.get("prefix", ""), f"{where}.prefix"),
        )

    def delivery(
        self,
        value: object,
        where: str,
        earlier: Sequence[Delivery],
        signing: Signing | None,
    ) -> Delivery:
        raw = self.mapping(value, where, _DELIVERY_KEYS)
        for key in ("name", "at", "expect"):
            if key not in raw:
                raise self.fail(f"{where}.{key}", "missing required key")
        name = self.string(raw["name"], f"{where}.name")
        if any(d.name == name for d in earlier):
            raise self.fail(f"{where}.name", f"duplicate delivery name {name!r}")
        at_text = self.string(raw["at"], f"{where}.at")
        match = _AT.match(at_text)
        if match is None:
            raise self.fail(
                f"{where}.at",
                "expected 'before|after response N', 'before|after workflow'"
                f" or 'while waiting', got {at_text!r}",
            )
        at: str | tuple[Literal["before", "after"], int]
        if match.group(1):
            at = (
                "before" if match.group(1) == "before" else "after",
                int(match.group(2)),
            )
        elif match.group(3):
            at = f"{match.group(3)} workflow"
        else:
            at = "while waiting"
        delay = raw.get("delay_ms", 0)
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int)
            or not 0 <= delay <= MAX_DELAY_MS
        ):
            raise self.fail(
                f"{where}.delay_ms",
                f"expected an integer 0..{MAX_DELAY_MS}, got {delay!r}",
            )
        expect = raw["expect"]
        if (
            isinstance(expect, bool)
            or not isinstance(expect, int)
            or not 100 <= expect <= 599
        ):
            raise self.fail(
                f"{where}.expect", f"expected an HTTP status, got {expect!r}"
            )

        copy_of = None
        if "copy_of" in raw:
            copy_of = self.string(raw["copy_of"], f"{where}.copy_of")
            if not any(d.name == copy_of for d in earlier):
                raise self.fail(
                    f"{where}.copy_of", f"no earlier delivery named {copy_of!r}"
                )
            extra = sorted(
                set(raw)
                & {"headers", "json", "body", "pretty", "content_type", "signature"}
            )
            if extra:
                raise self.fail(
                    f"{where}.{extra[0]}",
                    "not allowed with copy_of (the copy is exact)",
                )
            return Delivery(
                name=name,
                at=at,
                delay_ms=delay,
                headers=(),
                body=None,
                content_type="",
                signature="valid",
                copy_of=copy_of,
                expect=expect,
            )

        bodies = [k for k in ("json", "body") if k in raw]
        if len(bodies) != 1:
            raise self.fail(where, "give exactly one of json/body (or copy_of)")
        if "json" in raw:
            indent = 2 if raw.get("pretty", False) is True else None
            body = jsonlib.dumps(raw["json"], indent=indent, ensure_ascii=False).encode(
                "utf-8"
            )
        else:
            if "pretty" in raw:
                raise self.fail(f"{where}.pretty", "applies to json only")
            body = self.string(raw["body"], f"{where}.body").encode("utf-8")
        headers = self.string_map(raw.get("headers", {}), f"{where}.headers")
        content_type = self.string(
            raw.get("content_type", "application/json"), f"{where}.content_type"
        )

        signature: SignatureKind | str = "valid"
        if "signature" in raw:
            sig = raw["signature"]
            if isinstance(sig, dict):
                literal = self.mapping(sig, f"{where}.signature", frozenset({"header"}))
                signature = "=" + self.string(
                    literal.get("header"), f"{where}.signature.header"
                )
            elif sig in _SIGNATURE_KINDS:
                signature = sig
            else:
                raise self.fail(
                    f"{where}.signature",
                    f"expected one of {', '.join(_SIGNATURE_KINDS)} or {{header: ...}}, got {sig!r}",
                )
        if signature != "missing" and signing is None:
            raise self.fail(
                f"{where}.signature", "the cassette has no 'signing' section"
            )
        if signature == "stale" and signing is not None and signing.scheme != "stripe":
            raise self.fail(
                f"{where}.signature", "'stale' needs a timestamped scheme (stripe)"
            )
        return Delivery(
            name=name,
            at=at,
            delay_ms=delay,
            headers=tuple(headers.items()),
            body=body,
            content_type=content_type,
            signature=signature,
            copy_of=None,
            expect=expect,
        )

    def send(self, value: object, where: str) -> ExpectedSend:
        raw = self.mapping(value, where, _SEND_KEYS)
        if "channel" not in raw:
            raise self.fail(f"{where}.channel", "missing required key")
        if ("json" in raw) == ("body" in raw):
            raise self.fail(where, "give exactly one of json/body")
        headers = self.string_map(raw.get("headers", {}), f"{where}.headers")
        return ExpectedSend(
            channel=self.string(raw["channel"], f"{where}.channel"),
            payload=(
                raw["json"]
                if "json" in raw
                else self.string(raw["body"], f"{where}.body")
            ),
            is_json="json" in raw,
            headers={k.lower(): v for k, v in headers.items()},
        )


# ---------------------------------------------------------------------------
# Targets: the ways a webhook reaches the receiver
# ---------------------------------------------------------------------------


def http_target(url: str) -> Target:
    """POST over a real socket to ``url`` (the receiver's ``.url`` on 127.0.0.1)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"deliveries go to 127.0.0.1 only, not {url!r}")

    def post(headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        with httpx.Client(timeout=_DELIVERY_TIMEOUT_SECONDS, trust_env=False) as client:
            response = client.post(url, content=body, headers=dict(headers))
        return response.status_code, response.text

    return post


def deliver_target(
    deliver: Callable[[Mapping[str, str], bytes], tuple[int, str]],
) -> Target:
    """Hand the headers and body to ``receiver.deliver``, as a FastAPI or Django route does."""

    def call(headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        # A web framework gives the headers as it parsed them: names in any case.
        return deliver(dict(headers), body)

    return call


def asgi_target(app: Any, path: str = "/") -> Target:
    """Run the POST through an ASGI 3 app (the receiver's ``.asgi``), as a server would."""

    async def post(headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", trust_env=False
        ) as client:
            response = await client.post(path, content=body, headers=dict(headers))
        return response.status_code, response.text

    def call(headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        return asyncio.run(post(headers, body))

    return call


# ---------------------------------------------------------------------------
# The replay
# ---------------------------------------------------------------------------

_handler_state = threading.local()


class _MessageHandler(_Handler):
    def _respond(self, response: InteractionResponse) -> None:
        index = getattr(_handler_state, "matched", None)
        _handler_state.matched = None
        super()._respond(response)
        if index is not None:
            replay = self.replay
            assert isinstance(replay, _MessageReplayServer)
            replay.owner._moment(("after", index))


class _MessageReplayServer(ReplayServer):
    """A ReplayServer that tells its MessageReplay when an interaction is answered."""

    def __init__(self, cassette: Cassette, owner: MessageReplay) -> None:
        super().__init__(cassette)
        self.owner = owner

    def start(self) -> None:
        super().start()
        assert self._httpd is not None
        # Nobody knows the port yet, so no request can have used the plain handler.
        self._httpd.RequestHandlerClass = _MessageHandler

    def _handle_request(
        self, request: RecordedRequest, raw_query: str | None, target: str
    ) -> InteractionResponse | str:
        with self._lock:
            index, used = self._index, self._used
        outcome = super()._handle_request(request, raw_query, target)
        first_match = isinstance(outcome, InteractionResponse) and used == 0
        _handler_state.matched = index if first_match else None
        if first_match:
            self.owner._moment(("before", index))  # held until these are answered
        return outcome


class MessageReplay:
    """Serve a message cassette: its HTTP side on 127.0.0.1, its deliveries to ``target``.

    ::

        with MessageReplay(cassette, secret=SECRET, target=http_target(receiver.url)) as replay:
            replay.begin()
            outputs = workflow(..., servers={"api": replay.url}, transport=receiver)
            replay.finish()
        replay.assert_done()
    """

    def __init__(
        self,
        cassette: MessageCassette,
        *,
        secret: str,
        target: Target,
        waiting: Callable[[], bool] | None = None,
    ) -> None:
        self.cassette = cassette
        self.secret = secret
        self.target = target
        self.waiting = waiting
        self.server = _MessageReplayServer(cassette.http, self)
        #: Results by delivery name, in the order they were answered.
        self.results: dict[str, DeliveryResult] = {}
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._sent: dict[str, tuple[dict[str, str], bytes]] = {}
        self._threads: list[threading.Thread] = []
        self._finished = False

    # -- lifecycle -------------------------------------------------------

    def __enter__(self) -> MessageReplay:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The replay server's base URL (the provider's API)."""
        return self.server.url

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.server.requests

    def begin(self) -> None:
        """Run the ``before workflow`` deliveries (call right before the workflow), and
        start watching for the moment a step waits."""
        self._moment("before workflow")
        group = self._group("while waiting")
        if group:
            if self.waiting is None:
                raise ValueError(
                    f"{self.cassette.source} has 'while waiting' deliveries:"
                    " give MessageReplay a waiting= predicate"
                )
            thread = threading.Thread(
                target=self._when_waiting,
                args=(group,),
                name="deliveries while waiting",
                daemon=True,
            )
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _when_waiting(self, group: list[Delivery]) -> None:
        assert self.waiting is not None
        deadline = time.monotonic() + _DELIVERY_TIMEOUT_SECONDS
        while not self.waiting():  # bounded: gives up after _DELIVERY_TIMEOUT_SECONDS
            if time.monotonic() > deadline or self._finished:
                self._error(
                    "no receive step waited: the 'while waiting' deliveries were not sent"
                )
                return
            time.sleep(0.002)
        self._run_group(group)

    def finish(self) -> None:
        """Wait for the background deliveries, then run the ``after workflow`` ones."""
        if self._finished:
            return
        self._finished = True
        self._join()
        self._moment("after workflow")

    def stop(self) -> None:
        self._join()
        self.server.stop()

    def _join(self) -> None:
        deadline = time.monotonic() + _JOIN_TIMEOUT_SECONDS
        for thread in list(self._threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self._error(f"{thread.name} did not finish in time")

    # -- deliveries ------------------------------------------------------

    def _group(self, at: str | tuple[str, int]) -> list[Delivery]:
        return [d for d in self.cassette.deliveries if d.at == at]

    def _moment(self, at: str | tuple[str, int]) -> None:
        group = self._group(at)
        if not group:
            return
        if isinstance(at, tuple) and at[0] == "after":
            thread = threading.Thread(
                target=self._run_group,
                args=(group,),
                name=f"deliveries after response {at[1]}",
                daemon=True,
            )
            with self._lock:
                self._threads.append(thread)
            thread.start()
        else:
            self._run_group(group)

    def _run_group(self, group: list[Delivery]) -> None:
        for delivery in group:
            if delivery.delay_ms:
                time.sleep(delivery.delay_ms / 1000)
            self._deliver(delivery)

    def _prepare(self, delivery: Delivery) -> tuple[dict[str, str], bytes]:
        if delivery.copy_of is not None:
            with self._lock:
                original = self._sent.get(delivery.copy_of)
            if original is None:
                raise RuntimeError(
                    f"{delivery.copy_of!r} was not delivered before its copy"
                )
            return dict(original[0]), original[1]
        assert delivery.body is not None
        body = delivery.body
        headers = {"Content-Type": delivery.content_type, **dict(delivery.headers)}
        signing = self.cassette.signing
        kind = delivery.signature
        if kind.startswith("="):
            assert signing is not None
            headers[signing.header] = kind[1:]
        elif kind != "missing":
            assert signing is not None
            now = int(time.time())
            secret = WRONG_SECRET if kind == "wrong-secret" else self.secret
            signed_body = body + b"\n" if kind == "tampered" else body
            timestamp = now - STALE_SECONDS if kind == "stale" else now
            headers[signing.header] = sign(
                signing, secret, signed_body, timestamp=timestamp
            )
        return headers, body

    def _deliver(self, delivery: Delivery) -> None:
        started = time.monotonic()
        headers: dict[str, str] = {}
        body = b""
        try:
            headers, body = self._prepare(delivery)
            with self._lock:
                self._sent[delivery.name] = (headers, body)
            status, text = self.target(headers, body)
        except Exception as exc:  # recorded; assert_done reports it
            result = DeliveryResult(
                delivery.name,
                None,
                "",
                headers,
                body,
                started,
                time.monotonic(),
                error=f"{type(exc).__name__}: {exc}",
            )
        else:
            result = DeliveryResult(
                delivery.name, status, text, headers, body, started, time.monotonic()
            )
        with self._lock:
            self.results[delivery.name] = result

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    # -- checks ----------------------------------------------------------

    def status_of(self, name: str) -> int | None:
        result = self.results.get(name)
        return None if result is None else result.status

    def problems(self) -> list[str]:
        """Every way this replay differs from its cassette (HTTP side included)."""
        problems = list(self.errors)
        try:
            self.server.assert_done()
        except AssertionError as exc:
            problems.append(str(exc))
        for delivery in self.cassette.deliveries:
            result = self.results.get(delivery.name)
            if result is None:
                problems.append(f"{delivery.describe()} was never delivered")
            elif result.error is not None:
                problems.append(f"{delivery.describe()} failed: {result.error}")
            elif result.status != delivery.expect:
                problems.append(
                    f"{delivery.describe()}: the receiver answered {result.status}"
                    f" {result.text[:200]!r}, the cassette expects {delivery.expect}"
                )
        return problems

    def check_sends(self, sent: Sequence[Any]) -> list[str]:
        """Compare messages a workflow sent (``.channel``, ``.payload``, ``.headers``) with ``sends``."""
        problems: list[str] = []
        expected = self.cassette.sends
        if len(sent) != len(expected):
            problems.append(
                f"expected {len(expected)} send(s), the workflow sent {len(sent)}"
            )
        for i, (want, got) in enumerate(zip(expected, sent)):
            if got.channel != want.channel:
                problems.append(
                    f"sends[{i}]: channel {got.channel!r}, expected {want.channel!r}"
                )
            if want.is_json:
                diff = _json_diff(want.payload, got.payload)
                if diff:
                    problems.append(f"sends[{i}]: payload {diff}")
            elif got.payload != want.payload:
                problems.append(
                    f"sends[{i}]: payload {got.payload!r}, expected {want.payload!r}"
                )
            got_headers = {k.lower(): v for k, v in dict(got.headers).items()}
            for name, value in want.headers.items():
                if got_headers.get(name) != value:
                    problems.append(
                        f"sends[{i}]: header {name!r} is {got_headers.get(name)!r}, expected {value!r}"
                    )
        return problems

    def assert_done(self, sent: Sequence[Any] | None = None) -> None:
        problems = self.problems()
        if sent is not None or self.cassette.sends:
            problems += self.check_sends(sent or [])
        if problems:
            raise AssertionError(
                f"message replay of {self.cassette.source} is not clean:\n"
                + "\n".join(f"  - {p}" for p in problems)
            )


class MessageReplayManager:
    """Opens message cassettes by name (relative to a folder) and checks each at close."""

    def __init__(self, cassettes_dir: str | Path) -> None:
        self.cassettes_dir = Path(cassettes_dir)
        self.replays: list[MessageReplay] = []

    def path_for(self, name: str) -> Path:
        relative = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
        base = self.cassettes_dir.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            raise ValueError(f"cassette name {name!r} escapes {base}")
        return path

    def __call__(
        self,
        name: str,
        *,
        secret: str,
        target: Target,
        waiting: Callable[[], bool] | None = None,
    ) -> MessageReplay:
        replay = MessageReplay(
            MessageCassette.load(self.path_for(name)),
            secret=secret,
            target=target,
            waiting=waiting,
        )
        replay.server.start()
        self.replays.append(replay)
        return replay

    def close(self) -> None:
        failures: list[str] = []
        for replay in self.replays:
            replay.finish()
            replay.stop()
            try:
                replay.assert_done()
            except AssertionError as exc:
                failures.append(str(exc))
        self.replays.clear()
        if failures:
            raise AssertionError("\n".join(failures))


# -- what the provider test files share -----------------------------------------------------


def step_waits(receiver: Any, channel: str) -> Callable[[], bool]:
    """True once a receive step waits on the receiver's subscription of ``channel``
    (its correlation is then applied at delivery)."""
    return lambda: bool(receiver.waiting(channel) > 0)


def workflow_runners(
    function: Callable[..., Any],
    async_function: Callable[..., Any],
    server: str,
    inputs: Mapping[str, Any],
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The sync and async runner of one generated workflow over a message replay: the
    replay's loopback URL as the ``server`` source's base URL, ``transport`` as given,
    ``inputs`` overridden by the runner's keyword options."""

    def run_sync(replay: MessageReplay, transport: Any, **options: Any) -> Any:
        replay.begin()
        try:
            return function(**{**inputs, **options}, servers={server: replay.url}, transport=transport)
        finally:
            replay.finish()

    def run_async(replay: MessageReplay, transport: Any, **options: Any) -> Any:
        replay.begin()
        try:
            return asyncio.run(async_function(**{**inputs, **options}, servers={server: replay.url}, transport=transport))
        finally:
            replay.finish()

    return run_sync, run_async
