"""Credentials kept out of error messages, reprs and log records: URL redaction,
body scrubbing, the documented error model of a failed step, the log filters; and the
logger of the package this runtime belongs to."""

from __future__ import annotations

import contextvars
import importlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

__all__ = ["MAX_BODY_CHARS", "_SECRET_WORDS", "logger", "redact_url"]


#: The generated package this module belongs to (it is ``<package>._runtime.redact``).
_PACKAGE = __name__.rsplit(".", 2)[0]


logger = logging.getLogger(_PACKAGE)


#: Most characters of a response body kept in an error message.
MAX_BODY_CHARS = 2048


_SECRET_WORDS = re.compile(
    r"token|key|secret|passw|pwd|auth|credential|signature|^sig$|session", re.IGNORECASE
)


#: Shorter secret values are not searched for in bodies (they would match everywhere).
_MIN_SECRET_CHARS = 4


_REDACTED = "[REDACTED]"


def redact_url(url: str, secrets: Sequence[object] = ()) -> str:
    """The URL without credentials: no userinfo, and a query value redacted when its
    name looks like a credential (``api_key``, ``token``, ...) or it holds a secret."""
    parts = urlsplit(url)
    pairs = []
    for pair in parts.query.split("&") if parts.query else ():
        name, sep, value = pair.partition("=")
        if sep and (
            _SECRET_WORDS.search(unquote_plus(name))
            or _scrub(unquote(value), secrets) != unquote(value)
        ):
            value = _REDACTED
        pairs.append(f"{name}{sep}{value}")
    netloc = parts.netloc.rpartition("@")[2]
    return _scrub(
        urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment)),
        secrets,
    )


def _scrub(text: str, secrets: Sequence[object]) -> str:
    """``text`` with each secret replaced, as written, percent-encoded, JSON-escaped or
    as Python shows it inside bytes (``b'...'``, as httpcore logs headers)."""
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= _MIN_SECRET_CHARS:
            escaped = json.dumps(secret)[1:-1]
            spellings = (
                secret,
                quote(secret, safe=""),
                quote_plus(secret),
                escaped,
                escaped.replace("/", "\\/"),
                json.dumps(secret, ensure_ascii=False)[1:-1],
                repr(secret.encode("utf-8", "surrogatepass"))[2:-1],
            )
            for spelling in dict.fromkeys(spellings):
                text = text.replace(spelling, _REDACTED)
    return text


def _decoded(response: httpx.Response) -> str:
    try:
        return response.content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        return response.content.decode("utf-8", errors="replace")


def _excerpt(text: str) -> str:
    """The body for a message: whitespace collapsed, at most MAX_BODY_CHARS characters,
    built from a bounded prefix of ``text`` (a huge body costs no more than a small one).
    """
    prefix = text[: MAX_BODY_CHARS * 4]
    head = " ".join(prefix.split())
    more = len(text) - len(prefix)
    if len(head) > MAX_BODY_CHARS or more > 0:
        more += len(head) - min(len(head), MAX_BODY_CHARS)
        head = head[:MAX_BODY_CHARS] + f"... ({more} more characters)"
    return head


def _scrub_escaped(text: str, secrets: Sequence[object]) -> str:
    """``text`` (already scrubbed), with JSON escapes decoded when that shows a secret
    the plain spellings missed (a server may write any character as ``\\uXXXX``)."""
    if not _usable(secrets) or "\\" not in text:
        return text
    decoded = _JSON_ESCAPE.sub(_unescape, text)
    scrubbed = _scrub(decoded, secrets)
    return text if scrubbed == decoded else scrubbed


_JSON_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))",
    re.DOTALL,
)


_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(match: re.Match[str]) -> str:
    high, low, code, char = match.groups()
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if code is not None:
        return chr(int(code, 16))
    return _SIMPLE_ESCAPES.get(char, char)


def _usable(secrets: Sequence[object]) -> tuple[str, ...]:
    """The secrets that :func:`_scrub` searches for."""
    return tuple(
        secret
        for secret in secrets
        if isinstance(secret, str) and len(secret) >= _MIN_SECRET_CHARS
    )


#: Bounds of the walk that scrubs an error model: deeper or larger models are dropped.
_SCRUB_DEPTH = 64


_SCRUB_NODES = 100_000


class _TooLarge(Exception):
    pass


def _scrub_model(model: BaseModel, secrets: Sequence[object]) -> BaseModel | None:
    """``model`` with every string in it scrubbed (fields, nested models, lists, dict keys
    and values, and the extra fields pydantic kept), in place; None when it is too deep
    or too large to walk."""
    if not _usable(secrets):
        return model
    try:
        _scrub_value(model, secrets, 0, [_SCRUB_NODES])
    except _TooLarge:
        return None
    return model


def _scrub_value(
    value: Any, secrets: Sequence[object], depth: int, budget: list[int]
) -> Any:
    budget[0] -= 1
    if depth > _SCRUB_DEPTH or budget[0] < 0:
        raise _TooLarge
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, BaseModel):
        fields = value.__dict__
        for name, item in list(fields.items()):
            fields[name] = _scrub_value(item, secrets, depth + 1, budget)
        extra = value.__pydantic_extra__
        if extra:
            for name, item in list(extra.items()):
                extra[name] = _scrub_value(item, secrets, depth + 1, budget)
        return value
    if isinstance(value, dict):
        return {
            _scrub_value(key, secrets, depth + 1, budget): _scrub_value(
                item, secrets, depth + 1, budget
            )
            for key, item in value.items()
        }
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(
            _scrub_value(item, secrets, depth + 1, budget) for item in value
        )
    # a URL, a date, a UUID, bytes, an enum, ...: kept unless it shows a secret
    shown = str(value)
    return (
        _REDACTED
        if _scrub(shown, secrets) != shown
        or _scrub(repr(value), secrets) != repr(value)
        else value
    )


def _error_model(
    text: str,
    status_code: int,
    error_models: Mapping[str, str],
    secrets: Sequence[object] = (),
) -> BaseModel | None:
    """The documented error model parsed from the raw body, if it fits, then scrubbed
    (after parsing: a JSON string may spell a secret with any escapes)."""
    status = str(status_code)
    name = (
        error_models.get(status)
        or error_models.get(f"{status[0]}XX")
        or error_models.get("default")
    )
    if name is None:
        return None
    models = importlib.import_module(f"{_PACKAGE}.models")
    cls: type[BaseModel] = getattr(models, name)
    try:
        model = cls.model_validate_json(text)
    except (ValidationError, ValueError):
        return None
    return _scrub_model(model, secrets)


class _RedactHttpxUrls(logging.Filter):
    """httpx logs every request as ``HTTP Request: GET <url> ...`` at INFO: redact its URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, httpx.URL) for arg in record.args
        ):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")


if not any(
    type(f).__name__ == _RedactHttpxUrls.__name__ for f in _httpx_logger.filters
):
    _httpx_logger.addFilter(_RedactHttpxUrls())


#: The secrets of the run whose request is in flight in this thread or task, as
#: :func:`send` and :func:`asend` set them: what :class:`_RedactRunSecrets` hides.
_LOG_SECRETS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    f"{__name__}._LOG_SECRETS", default=()
)


#: The ``secrets`` sequence that _LOG_SECRETS was last computed from (by identity).
_LOG_SECRETS_FROM: contextvars.ContextVar[Sequence[object] | None] = (
    contextvars.ContextVar(f"{__name__}._LOG_SECRETS_FROM", default=None)
)


#: The loggers a request writes to (httpx, httpcore and its children, h2 and hpack);
#: a filter on a logger sees only the records logged to that very logger.
_REQUEST_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "h11",
    "h2",
    "h2.connection",
    "hpack",
    "hpack.hpack",
    "hpack.table",
)


def _hide_in_logs(secrets: Sequence[object]) -> None:
    """Make the log records of this thread's or task's requests hide ``secrets`` (a
    context variable: concurrent runs, in other threads or tasks, keep their own)."""
    if secrets is _LOG_SECRETS_FROM.get():
        return  # the run's own tuple, already in place (every request of a run passes it)
    usable = _usable(secrets)
    if usable != _LOG_SECRETS.get():
        _LOG_SECRETS.set(usable)
    _LOG_SECRETS_FROM.set(secrets)


class _RedactRunSecrets(logging.Filter):
    """Hides the current run's secrets in the message and the arguments of a record
    (a header, a reason phrase or a Location echoing a token, as httpcore logs them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _LOG_SECRETS.get()
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # cannot be formatted: its parts
            message = f"{record.msg} {record.args!r}"
        shown = repr(record.args) if record.args else ""
        if _scrub(message, secrets) != message or _scrub(shown, secrets) != shown:
            record.msg = _scrub(message, secrets)
            record.args = ()
        return True


def _install_log_filters() -> None:
    """One _RedactRunSecrets of this module on each request logger and its existing
    children (each generated package has its own context variable, so its own filter).
    """
    names = set(_REQUEST_LOGGERS)
    names.update(
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.split(".")[0] in {"httpx", "httpcore", "h11", "h2", "hpack"}
    )
    for name in sorted(names):
        target = logging.getLogger(name)
        for old in [
            f
            for f in target.filters
            if type(f).__name__ == _RedactRunSecrets.__name__
            and type(f).__module__ == __name__
        ]:
            target.removeFilter(old)  # a reloaded module replaces its own filter
        target.addFilter(_RedactRunSecrets())


_install_log_filters()
