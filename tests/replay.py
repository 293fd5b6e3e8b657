"""Replay recorded HTTP exchanges ("cassettes") from a real local HTTP server.

A cassette is a YAML file describing an ordered list of interactions.  Each
interaction pairs an *expected request* with the *response* to send back::

    description: Happy path, call ends on the third poll.
    interactions:
      - request:
          method: POST
          path: /assistant
          headers: {Authorization: Bearer test-token}
          json: {name: Ada}
        response:
          status: 201
          json: {id: asst_1}
        repeat: 1

:class:`ReplayServer` serves a cassette on ``127.0.0.1`` (OS-chosen port) and
verifies every request it receives against the next unconsumed interaction.
A request that does not match is answered with HTTP ``599`` and a JSON body
``{"replay_error": "<what differed>"}``; the mismatch is recorded in
:attr:`ReplayServer.errors` and the interaction is *not* consumed.

Matching rules (request side)
-----------------------------
``method``
    Compared exactly (the loader requires an upper-case token).
``path``
    Compared against the *raw* request path, exactly as sent on the wire and
    **without** percent-decoding, so ``/a%2Fb``, ``/a/b`` and ``/a%2fb`` are
    three different paths.  This is what lets cassettes verify a client's
    percent-encoding.  The query string is not part of ``path``.
``query``
    If present, the request's query string is parsed (``parse_qs`` with blank
    values kept, i.e. percent-decoded and ``+`` read as a space) and must equal
    it exactly: same keys, same values in the same order.  A value is a string
    or a list of strings (repeated key).  If absent, the request must carry no
    query string at all (not even a bare ``?``).
``headers``
    Each listed header must be present with exactly this value (names are
    case-insensitive; repeated request headers are joined with ``", "``).
    Unlisted headers are ignored.
``absent_headers``
    Each listed header must not be present.
``json``
    The body must be valid JSON equal to this value (object key order ignored;
    ``true`` is not ``1``; ``1`` equals ``1.0``) and the request Content-Type
    must be ``application/json`` or ``*/*+json``.
``form``
    The body must be ``application/x-www-form-urlencoded`` (Content-Type
    checked) and its parsed fields must equal this mapping exactly.
``body``
    The body, decoded as UTF-8, must equal this string exactly.
``cookies``
    If present, the cookies of the ``Cookie`` header must equal this mapping
    exactly.  If absent, cookies are not checked.

At most one of ``json``/``form``/``body`` may be given.  If none is given,
the request must have an empty body.

Response side
-------------
``status`` (required unless ``fault``), ``headers`` (value a string, or a list
of strings to send the header several times), ``json`` (sent with
``Content-Type: application/json`` unless ``headers`` sets a Content-Type) or
``body`` (raw text, UTF-8), ``delay`` (seconds to wait before answering,
0..30), ``fault``: ``reset`` closes the TCP connection with an RST
(``SO_LINGER`` 0) without answering, ``stall`` waits ``delay`` seconds and then
closes the connection without answering.

``repeat`` (default 1) makes one interaction match that many consecutive
requests.

Unknown keys anywhere in a cassette are errors; :class:`CassetteError` names
the file and the offending field.
"""

from __future__ import annotations

import email.utils
import enum
import json as jsonlib
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, TypeAlias, Union, cast

import yaml  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "MISSING",
    "MAX_DELAY_SECONDS",
    "REPLAY_ERROR_STATUS",
    "Cassette",
    "CassetteError",
    "Interaction",
    "InteractionRequest",
    "InteractionResponse",
    "JSONValue",
    "RecordedRequest",
    "ReplayManager",
    "ReplayServer",
    "SleepRecorder",
]

JSONValue: TypeAlias = Union[
    None, bool, int, float, str, list["JSONValue"], dict[str, "JSONValue"]
]

#: Status sent back when a request does not match the cassette.
REPLAY_ERROR_STATUS = 599
#: Largest ``delay`` the loader accepts, in seconds.
MAX_DELAY_SECONDS = 30.0
#: Bounded wait used when stopping the server.
_STOP_TIMEOUT_SECONDS = 5.0
#: Idle keep-alive connections are dropped after this many seconds.
_CONNECTION_TIMEOUT_SECONDS = 60.0
#: Largest request body the server will read.
_MAX_BODY_BYTES = 64 * 1024 * 1024
#: Longest excerpt of a value quoted in a mismatch message.
_EXCERPT_CHARS = 300


class _Missing(enum.Enum):
    """Sentinel type: the cassette did not give this field."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Literal[_Missing.MISSING] = _Missing.MISSING
Fault = Literal["reset", "stall"]


class CassetteError(ValueError):
    """A cassette file is malformed.  The message names the file and field."""


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """A request as received by the replay server."""

    method: str
    #: Raw request path as sent (no percent-decoding), without the query.
    path: str
    #: Parsed query string (percent-decoded), blank values kept.
    query: dict[str, list[str]]
    #: Header names lower-cased; repeated headers joined with ", ".
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.body)


@dataclass(frozen=True)
class InteractionRequest:
    """What the next request must look like."""

    method: str
    path: str
    query: dict[str, list[str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    absent_headers: tuple[str, ...] = ()
    json: JSONValue | Literal[_Missing.MISSING] = MISSING
    form: dict[str, list[str]] | None = None
    body: str | None = None
    cookies: dict[str, str] | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class InteractionResponse:
    """What to answer (or which fault to inject)."""

    status: int | None = None
    #: (name, value) pairs in cassette order; a name may repeat.
    headers: tuple[tuple[str, str], ...] = ()
    json: JSONValue | Literal[_Missing.MISSING] = MISSING
    body: str | None = None
    delay: float = 0.0
    fault: Fault | None = None


@dataclass(frozen=True)
class Interaction:
    request: InteractionRequest
    response: InteractionResponse
    repeat: int = 1


@dataclass
class Cassette:
    """A parsed, validated cassette."""

    description: str
    interactions: list[Interaction]
    #: Where the cassette came from (file path, or a label for in-memory data).
    source: str = "<memory>"

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        """Read and validate a cassette file; raise :class:`CassetteError`."""
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CassetteError(f"{source}: cannot read cassette: {exc}") from exc
        return cls.loads(text, source=source)

    @classmethod
    def loads(cls, text: str, source: str = "<memory>") -> Cassette:
        """Parse and validate cassette YAML text."""
        try:
            data = yaml.load(text, Loader=_StrictLoader)
        except CassetteError as exc:
            raise CassetteError(f"{source}: {exc}") from None
        except yaml.YAMLError as exc:
            raise CassetteError(f"{source}: invalid YAML: {exc}") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: object, source: str = "<memory>") -> Cassette:
        """Validate already-parsed cassette data."""
        return _CassetteParser(source).parse(data)


# ---------------------------------------------------------------------------
# YAML loading and validation
# ---------------------------------------------------------------------------


def _construct_mapping_no_duplicates(loader: Any, node: Any) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in result
        except TypeError:
            raise CassetteError(
                f"line {key_node.start_mark.line + 1}: unhashable mapping key"
            ) from None
        if duplicate:
            raise CassetteError(
                f"line {key_node.start_mark.line + 1}: duplicate key {key!r}"
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


# A SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the
# last one).  Built with type() so that it also works without PyYAML stubs.
_StrictLoader: Any = type("_StrictLoader", (yaml.SafeLoader,), {})
_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates
)

_TOP_KEYS = frozenset({"description", "interactions"})
_INTERACTION_KEYS = frozenset({"request", "response", "repeat"})
_REQUEST_KEYS = frozenset(
    {
        "method",
        "path",
        "query",
        "headers",
        "absent_headers",
        "json",
        "form",
        "body",
        "cookies",
    }
)
_RESPONSE_KEYS = frozenset({"status", "headers", "json", "body", "delay", "fault"})
_FAULTS: tuple[Fault, ...] = ("reset", "stall")
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" "abcdefghijklmnopqrstuvwxyz"
)
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return type(value).__name__


class _CassetteParser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> CassetteError:
        return CassetteError(f"{self.source}: {where}: {problem}")

    # -- generic helpers -------------------------------------------------

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {_type_name(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(
                    where,
                    f"mapping key {key!r} must be a string, got {_type_name(key)}",
                )
        return cast(dict[str, Any], value)

    def check_keys(
        self, value: dict[str, Any], allowed: frozenset[str], where: str
    ) -> None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                f"{where}.{unknown[0]}" if where else unknown[0],
                f"unknown key (allowed: {', '.join(sorted(allowed))})",
            )

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(
                where,
                f"expected a string, got {_type_name(value)} {value!r}"
                " (quote it in YAML)",
            )
        return value

    def string_map(self, value: object, where: str) -> dict[str, str]:
        raw = self.mapping(value, where)
        return {k: self.string(v, f"{where}.{k}") for k, v in raw.items()}

    def multi_map(self, value: object, where: str) -> dict[str, list[str]]:
        """Mapping of str -> str | non-empty list[str]."""
        raw = self.mapping(value, where)
        result: dict[str, list[str]] = {}
        for key, item in raw.items():
            if isinstance(item, list):
                if not item:
                    raise self.fail(f"{where}.{key}", "empty list")
                result[key] = [
                    self.string(v, f"{where}.{key}[{i}]") for i, v in enumerate(item)
                ]
            else:
                result[key] = [self.string(item, f"{where}.{key}")]
        return result

    def header_name(self, name: str, where: str) -> str:
        if not name or not set(name) <= _TOKEN_CHARS:
            raise self.fail(where, f"invalid header name {name!r}")
        return name

    def header_value(self, value: str, where: str) -> str:
        if "\r" in value or "\n" in value:
            raise self.fail(where, "header value must not contain line breaks")
        return value

    def json_value(self, value: object, where: str) -> JSONValue:
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise self.fail(where, "NaN/Infinity is not a JSON value")
            return value
        if isinstance(value, list):
            return [self.json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            obj = self.mapping(value, where)
            return {k: self.json_value(v, f"{where}.{k}") for k, v in obj.items()}
        raise self.fail(
            where,
            f"{_type_name(value)} {value!r} is not a JSON value (quote it in YAML)",
        )

    # -- structure -------------------------------------------------------

    def parse(self, data: object) -> Cassette:
        top = self.mapping(data, "<top level>")
        self.check_keys(top, _TOP_KEYS, "")
        description = ""
        if "description" in top:
            description = self.string(top["description"], "description")
        if "interactions" not in top:
            raise self.fail("interactions", "missing required key")
        raw_list = top["interactions"]
        if not isinstance(raw_list, list):
            raise self.fail(
                "interactions", f"expected a list, got {_type_name(raw_list)}"
            )
        interactions = [
            self.interaction(item, f"interactions[{i}]")
            for i, item in enumerate(raw_list)
        ]
        return Cassette(
            description=description, interactions=interactions, source=self.source
        )

    def interaction(self, value: object, where: str) -> Interaction:
        raw = self.mapping(value, where)
        self.check_keys(raw, _INTERACTION_KEYS, where)
        for key in ("request", "response"):
            if key not in raw:
                raise self.fail(f"{where}.{key}", "missing required key")
        repeat = 1
        if "repeat" in raw:
            rep = raw["repeat"]
            if isinstance(rep, bool) or not isinstance(rep, int) or rep < 1:
                raise self.fail(
                    f"{where}.repeat", f"expected an integer >= 1, got {rep!r}"
                )
            repeat = rep
        return Interaction(
            request=self.request(raw["request"], f"{where}.request"),
            response=self.response(raw["response"], f"{where}.response"),
            repeat=repeat,
        )

    def request(self, value: object, where: str) -> InteractionRequest:
        raw = self.mapping(value, where)
        self.check_keys(raw, _REQUEST_KEYS, where)
        for key in ("method", "path"):
            if key not in raw:
                raise self.fail(f"{where}.{key}", "missing required key")
        method = self.string(raw["method"], f"{where}.method")
        if (
            not method
            or not method.isascii()
            or not method.isalpha()
            or not method.isupper()
        ):
            raise self.fail(
                f"{where}.method", f"expected an upper-case HTTP method, got {method!r}"
            )
        path = self.string(raw["path"], f"{where}.path")
        if not path.startswith("/"):
            raise self.fail(f"{where}.path", f"must start with '/', got {path!r}")
        if "?" in path or "#" in path:
            raise self.fail(
                f"{where}.path",
                "must not contain '?' or '#' (use 'query' for the query)",
            )
        if any(c.isspace() for c in path) or not path.isascii():
            raise self.fail(
                f"{where}.path",
                "must be the raw path as sent: ASCII, no spaces (percent-encode them)",
            )

        query = None
        if "query" in raw:
            query = self.multi_map(raw["query"], f"{where}.query")

        headers: dict[str, str] = {}
        seen: dict[str, str] = {}
        if "headers" in raw:
            for name, val in self.string_map(
                raw["headers"], f"{where}.headers"
            ).items():
                hwhere = f"{where}.headers.{name}"
                self.header_name(name, hwhere)
                lower = name.lower()
                if lower in seen:
                    raise self.fail(
                        hwhere, f"duplicate header (also given as {seen[lower]!r})"
                    )
                seen[lower] = name
                headers[lower] = self.header_value(val, hwhere)

        absent: list[str] = []
        if "absent_headers" in raw:
            lst = raw["absent_headers"]
            awhere = f"{where}.absent_headers"
            if not isinstance(lst, list):
                raise self.fail(awhere, f"expected a list, got {_type_name(lst)}")
            for i, item in enumerate(lst):
                name = self.header_name(
                    self.string(item, f"{awhere}[{i}]"), f"{awhere}[{i}]"
                )
                if name.lower() in headers:
                    raise self.fail(
                        f"{awhere}[{i}]", f"header {name!r} is also listed in 'headers'"
                    )
                absent.append(name.lower())

        bodies = [k for k in ("json", "form", "body") if k in raw]
        if len(bodies) > 1:
            raise self.fail(
                f"{where}.{bodies[1]}",
                f"at most one of json/form/body may be given (also got {bodies[0]!r})",
            )
        json_value: JSONValue | Literal[_Missing.MISSING] = MISSING
        if "json" in raw:
            json_value = self.json_value(raw["json"], f"{where}.json")
        form = None
        if "form" in raw:
            form = self.multi_map(raw["form"], f"{where}.form")
        body = None
        if "body" in raw:
            body = self.string(raw["body"], f"{where}.body")
        cookies = None
        if "cookies" in raw:
            cookies = self.string_map(raw["cookies"], f"{where}.cookies")

        return InteractionRequest(
            method=method,
            path=path,
            query=query,
            headers=headers,
            absent_headers=tuple(absent),
            json=json_value,
            form=form,
            body=body,
            cookies=cookies,
        )

    def response(self, value: object, where: str) -> InteractionResponse:
        raw = self.mapping(value, where)
        self.check_keys(raw, _RESPONSE_KEYS, where)

        delay = 0.0
        if "delay" in raw:
            d = raw["delay"]
            if isinstance(d, bool) or not isinstance(d, (int, float)):
                raise self.fail(
                    f"{where}.delay", f"expected a number of seconds, got {d!r}"
                )
            if not 0 <= d <= MAX_DELAY_SECONDS:
                raise self.fail(
                    f"{where}.delay",
                    f"must be between 0 and {MAX_DELAY_SECONDS:g} seconds, got {d!r}",
                )
            delay = float(d)

        fault: Fault | None = None
        if "fault" in raw:
            f = raw["fault"]
            if f not in _FAULTS:
                raise self.fail(
                    f"{where}.fault", f"expected one of {', '.join(_FAULTS)}, got {f!r}"
                )
            fault = cast(Fault, f)
            extra = [k for k in ("status", "headers", "json", "body") if k in raw]
            if extra:
                raise self.fail(
                    f"{where}.{extra[0]}",
                    f"not allowed together with fault {fault!r} (no response is sent)",
                )
            return InteractionResponse(delay=delay, fault=fault)

        if "status" not in raw:
            raise self.fail(f"{where}.status", "missing required key (or give 'fault')")
        status = raw["status"]
        if (
            isinstance(status, bool)
            or not isinstance(status, int)
            or not 200 <= status <= 599
        ):
            raise self.fail(
                f"{where}.status", f"expected an integer 200..599, got {status!r}"
            )

        headers: list[tuple[str, str]] = []
        if "headers" in raw:
            hmap = self.multi_map(raw["headers"], f"{where}.headers")
            seen: dict[str, str] = {}
            for name, values in hmap.items():
                hwhere = f"{where}.headers.{name}"
                self.header_name(name, hwhere)
                lower = name.lower()
                if lower in _FRAMING_HEADERS:
                    raise self.fail(hwhere, "set by the replay server; do not give it")
                if lower in seen:
                    raise self.fail(
                        hwhere, f"duplicate header (also given as {seen[lower]!r})"
                    )
                seen[lower] = name
                for val in values:
                    headers.append((name, self.header_value(val, hwhere)))

        if "json" in raw and "body" in raw:
            raise self.fail(f"{where}.body", "at most one of json/body may be given")
        json_value: JSONValue | Literal[_Missing.MISSING] = MISSING
        if "json" in raw:
            json_value = self.json_value(raw["json"], f"{where}.json")
        body = None
        if "body" in raw:
            body = self.string(raw["body"], f"{where}.body")
        if status in (204, 304) and ("json" in raw or body):
            raise self.fail(where, f"a {status} response cannot have a body")

        return InteractionResponse(
            status=status,
            headers=tuple(headers),
            json=json_value,
            body=body,
            delay=delay,
            fault=None,
        )


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


def _excerpt(value: object) -> str:
    text = repr(value)
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS] + "...(truncated)"
    return text


def _json_diff(expected: JSONValue, actual: Any, where: str = "$") -> str | None:
    """First difference between two JSON values, or None when equal."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if type(expected) is type(actual) and expected == actual:
            return None
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if expected == actual:
            return None
    elif isinstance(expected, dict) and isinstance(actual, dict):
        missing = sorted(set(expected) - set(actual))
        if missing:
            return f"at {where}: missing key {missing[0]!r}"
        extra = sorted(set(actual) - set(expected))
        if extra:
            return f"at {where}: unexpected key {extra[0]!r}"
        for key, value in expected.items():
            diff = _json_diff(value, actual[key], f"{where}.{key}")
            if diff:
                return diff
        return None
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return (
                f"at {where}: expected a list of {len(expected)} items,"
                f" got {len(actual)}: {_excerpt(actual)}"
            )
        for i, (e, a) in enumerate(zip(expected, actual)):
            diff = _json_diff(e, a, f"{where}[{i}]")
            if diff:
                return diff
        return None
    elif type(expected) is type(actual) and expected == actual:
        return None
    return f"at {where}: expected {_excerpt(expected)}, got {_excerpt(actual)}"


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _parse_cookies(header: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        cookies[name.strip()] = value.strip()
    return cookies


def _reject_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _match(
    expected: InteractionRequest, raw_query: str | None, request: RecordedRequest
) -> list[str]:
    """Return the list of differences (empty when the request matches)."""
    diffs: list[str] = []
    if request.method != expected.method:
        diffs.append(f"method: expected {expected.method}, got {request.method}")
    if request.path != expected.path:
        diffs.append(
            f"path (raw, not percent-decoded): expected {expected.path!r},"
            f" got {request.path!r}"
        )

    if expected.query is None:
        if raw_query is not None:
            diffs.append(f"query: expected no query string, got {raw_query!r}")
    elif request.query != expected.query:
        diffs.append(f"query: expected {expected.query!r}, got {request.query!r}")

    for name, value in expected.headers.items():
        if name not in request.headers:
            diffs.append(f"header {name!r}: missing (expected {value!r})")
        elif request.headers[name] != value:
            diffs.append(
                f"header {name!r}: expected {value!r}, got {request.headers[name]!r}"
            )
    for name in expected.absent_headers:
        if name in request.headers:
            diffs.append(
                f"header {name!r}: must be absent, got {request.headers[name]!r}"
            )

    if expected.cookies is not None:
        got_cookies = _parse_cookies(request.headers.get("cookie", ""))
        if got_cookies != expected.cookies:
            diffs.append(f"cookies: expected {expected.cookies!r}, got {got_cookies!r}")

    body = request.body
    if expected.json is not MISSING:
        media = _media_type(request.headers)
        if media != "application/json" and not media.endswith("+json"):
            diffs.append(f"json body: Content-Type is {media!r}, expected a JSON type")
        try:
            actual = jsonlib.loads(
                body.decode("utf-8"), parse_constant=_reject_json_constant
            )
        except ValueError as exc:
            diffs.append(f"json body: not valid JSON ({exc}): {_excerpt(body)}")
        else:
            diff = _json_diff(expected.json, actual)
            if diff:
                diffs.append(f"json body: {diff}")
    elif expected.form is not None:
        media = _media_type(request.headers)
        if media != "application/x-www-form-urlencoded":
            diffs.append(
                f"form body: Content-Type is {media!r},"
                " expected 'application/x-www-form-urlencoded'"
            )
        try:
            form = urllib.parse.parse_qs(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
            )
        except (UnicodeDecodeError, ValueError) as exc:
            diffs.append(f"form body: cannot parse ({exc}): {_excerpt(body)}")
        else:
            if form != expected.form:
                diffs.append(f"form body: expected {expected.form!r}, got {form!r}")
    elif expected.body is not None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            diffs.append(f"body: not UTF-8: {_excerpt(body)}")
        else:
            if text != expected.body:
                diffs.append(
                    f"body: expected {_excerpt(expected.body)}, got {_excerpt(text)}"
                )
    elif body:
        diffs.append(
            f"body: the cassette expects no body, got {len(body)} bytes: {_excerpt(body)}"
        )
    return diffs


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # Many pooled async connections may arrive at once; a small backlog makes
    # the kernel drop SYNs, and the client then waits ~1 s to retransmit.
    request_queue_size = 128

    def __init__(self, replay: ReplayServer) -> None:
        self.replay = replay
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.replay._handle_internal_error()


class _BadRequest(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arazzo-replay"
    sys_version = ""
    timeout = _CONNECTION_TIMEOUT_SECONDS

    @property
    def replay(self) -> ReplayServer:
        return cast(_HTTPServer, self.server).replay

    def setup(self) -> None:
        super().setup()
        # Answer at once: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.replay._register_connection(self.connection):
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.replay._unregister_connection(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        self.replay._record_error(
            f"malformed or unsupported request {self.requestline!r}: {code}"
            f" {message or HTTPStatus(code).phrase}"
        )
        super().send_error(code, message, explain)

    # Every method goes through the same dispatcher.
    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self.send_error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        target = self.path
        path, sep, query_string = target.partition("?")
        raw_query = query_string if sep else None
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            lower = name.lower()
            if lower in headers:
                joiner = "; " if lower == "cookie" else ", "
                headers[lower] = headers[lower] + joiner + value
            else:
                headers[lower] = value
        request = RecordedRequest(
            method=self.command,
            path=path,
            query=urllib.parse.parse_qs(query_string, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        outcome = self.replay._handle_request(request, raw_query, target)
        if isinstance(outcome, str):
            payload = jsonlib.dumps({"replay_error": outcome}).encode("utf-8")
            self._send(
                REPLAY_ERROR_STATUS, [("Content-Type", "application/json")], payload
            )
            return
        self._respond(outcome)

    do_GET = _dispatch
    do_HEAD = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_OPTIONS = _dispatch
    do_TRACE = _dispatch
    do_CONNECT = _dispatch
    do_QUERY = _dispatch

    def _read_body(self) -> bytes:
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _BadRequest(f"unsupported Transfer-Encoding {encoding!r}")
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise _BadRequest(f"invalid Content-Length {length_header!r}") from None
        if length < 0 or length > _MAX_BODY_BYTES:
            raise _BadRequest(f"unacceptable Content-Length {length}")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequest("connection closed before the whole body was received")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            if not line.endswith(b"\n"):
                raise _BadRequest("truncated chunk header")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadRequest(f"invalid chunk size {size_text!r}") from None
            if size == 0:
                break
            total += size
            if total > _MAX_BODY_BYTES:
                raise _BadRequest("request body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(3).strip():
                raise _BadRequest("malformed chunk")
            chunks.append(chunk)
        while True:  # trailers
            line = self.rfile.readline(65537)
            if not line or not line.strip():
                break
        return b"".join(chunks)

    def _respond(self, response: InteractionResponse) -> None:
        if response.delay and not self.replay._sleep(response.delay):
            self._abort()  # server stopping
            return
        if response.fault == "reset":
            self._abort()
            return
        if response.fault == "stall":
            self.close_connection = True
            return
        assert response.status is not None
        headers = list(response.headers)
        names = {name.lower() for name, _ in headers}
        if response.json is not MISSING:
            body = jsonlib.dumps(response.json).encode("utf-8")
            if "content-type" not in names:
                headers.append(("Content-Type", "application/json"))
        elif response.body is not None:
            body = response.body.encode("utf-8")
        else:
            body = b""
        self._send(response.status, headers, body)

    def _send(
        self, status: int, headers: Iterable[tuple[str, str]], body: bytes
    ) -> None:
        headers = list(headers)
        names = {name.lower() for name, _ in headers}
        self.send_response_only(status)
        if "server" not in names:
            self.send_header("Server", self.server_version)
        if "date" not in names:
            self.send_header("Date", email.utils.formatdate(usegmt=True))
        for name, value in headers:
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304) and body:
            self.wfile.write(body)

    def _abort(self) -> None:
        """Close the connection with a TCP RST, sending nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        except OSError:
            pass
        # The buffered reader holds a reference to the socket; release it so
        # that close() really closes the descriptor (and sends the RST).
        self.rfile.close()
        self.connection.close()


class ReplayServer:
    """Serve one cassette on 127.0.0.1 and verify every request.

    Use as a context manager::

        with ReplayServer(Cassette.load(path)) as server:
            httpx.get(server.url + "/items")
        server.assert_done()
    """

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        #: Every request received, in arrival order (matched or not).
        self.requests: list[RecordedRequest] = []
        #: Recorded mismatches and other problems, in order.
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._index = 0  # next unconsumed interaction
        self._used = 0  # how many times interactions[_index] matched so far
        self._check_unconsumed = True
        self._stop_event = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_idle = threading.Condition(self._lock)
        self._connection_count = 0
        self._started = False

    # -- lifecycle -------------------------------------------------------

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        if self._started:
            raise RuntimeError("a ReplayServer can only be started once")
        self._started = True
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ReplayServer:{self.url}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close open connections and join threads (bounded)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or self._stop_event.is_set():
            return
        with self._lock:
            self._stop_event.set()  # wakes delays and stalls
        deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
        httpd.shutdown()
        if thread is not None:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self._record_error("replay server thread did not stop in time")
        httpd.server_close()
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            while self._connections:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.errors.append(
                        f"{len(self._connections)} replay connection(s) did not close in time"
                    )
                    break
                self._connections_idle.wait(remaining)

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT`` (available once started)."""
        if self._httpd is None:
            raise RuntimeError(
                "ReplayServer is not started (use 'with ReplayServer(...)')"
            )
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def connection_count(self) -> int:
        """How many TCP connections were accepted so far."""
        with self._lock:
            return self._connection_count

    # -- assertions ------------------------------------------------------

    def expect_unconsumed(self) -> None:
        """Do not report unconsumed interactions in :meth:`assert_done`."""
        self._check_unconsumed = False

    def unconsumed(self) -> list[str]:
        """Descriptions of interactions not (fully) consumed."""
        with self._lock:
            index, used = self._index, self._used
        items = self.cassette.interactions
        lines: list[str] = []
        for i in range(index, len(items)):
            matched = used if i == index else 0
            lines.append(
                f"interactions[{i}] {items[i].request.describe()}"
                f" (matched {matched} of {items[i].repeat} time(s))"
            )
        return lines

    def assert_done(self) -> None:
        """Fail if there were mismatches or unconsumed interactions."""
        with self._lock:
            errors = list(self.errors)
        unconsumed = self.unconsumed() if self._check_unconsumed else []
        if not errors and not unconsumed:
            return
        parts = [f"replay of {self.cassette.source} is not clean:"]
        if errors:
            parts.append(f"  {len(errors)} error(s):")
            parts.extend(f"    - {e}" for e in errors)
        if unconsumed:
            parts.append(f"  {len(unconsumed)} unconsumed interaction(s):")
            parts.extend(f"    - {u}" for u in unconsumed)
        raise AssertionError("\n".join(parts))

    # -- called from handler threads --------------------------------------

    def _register_connection(self, conn: socket.socket) -> bool:
        with self._lock:
            if self._stop_event.is_set():
                return False
            self._connections.add(conn)
            self._connection_count += 1
            return True

    def _unregister_connection(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._connections_idle.notify_all()

    def _sleep(self, seconds: float) -> bool:
        """Wait; return False if the server is stopping meanwhile."""
        return not self._stop_event.wait(seconds)

    def _record_error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def _handle_internal_error(self) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # the client went away or idled out; not a replay problem
        if self._stop_event.is_set() and isinstance(error, OSError):
            return  # connection torn down by stop()
        self._record_error(f"internal replay server error:\n{traceback.format_exc()}")

    def _handle_request(
        self, request: RecordedRequest, raw_query: str | None, target: str
    ) -> InteractionResponse | str:
        """Match under the lock; return the response, or an error message."""
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            items = self.cassette.interactions
            if self._index >= len(items):
                message = (
                    f"request #{number} {request.method} {target}: unexpected,"
                    f" all {len(items)} interaction(s) of {self.cassette.source}"
                    " were already consumed"
                )
                self.errors.append(message)
                return message
            interaction = items[self._index]
            diffs = _match(interaction.request, raw_query, request)
            if diffs:
                message = (
                    f"request #{number} {request.method} {target} does not match"
                    f" interactions[{self._index}] ({interaction.request.describe()})"
                    f" of {self.cassette.source}: " + "; ".join(diffs)
                )
                self.errors.append(message)
                return message
            self._used += 1
            if self._used >= interaction.repeat:
                self._index += 1
                self._used = 0
            return interaction.response


class ReplayManager:
    """Opens cassettes by name and checks every server when closed.

    ``manager("vapi/happy_path")`` loads ``<cassettes_dir>/vapi/happy_path.yaml``,
    starts a :class:`ReplayServer` and returns it.  :meth:`close` stops every
    server it started, then calls :meth:`ReplayServer.assert_done` on each and
    raises one AssertionError gathering all failures.
    """

    def __init__(self, cassettes_dir: str | Path) -> None:
        self.cassettes_dir = Path(cassettes_dir)
        self.servers: list[ReplayServer] = []

    def path_for(self, name: str) -> Path:
        relative = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
        base = self.cassettes_dir.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            raise ValueError(f"cassette name {name!r} escapes {base}")
        return path

    def __call__(self, name: str) -> ReplayServer:
        server = ReplayServer(Cassette.load(self.path_for(name)))
        server.start()
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        failures: list[str] = []
        for server in self.servers:
            try:
                server.assert_done()
            except AssertionError as exc:
                failures.append(str(exc))
        self.servers.clear()
        if failures:
            raise AssertionError("\n".join(failures))


class SleepRecorder:
    """An injectable ``sleep`` for generated workflows: records each delay and returns
    at once, so tests see what would have been waited without waiting (sync and async).
    """

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.calls.append(seconds)
