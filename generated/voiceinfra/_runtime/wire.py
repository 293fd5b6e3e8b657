"""What can go on the wire: request values checked before they are sent."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any


def _unsendable(value: Any) -> str | None:
    """Why a scalar parameter value cannot be sent (None: it can); never quotes the value."""
    if isinstance(value, float) and not math.isfinite(value):
        return "is NaN or Infinity, which strict JSON cannot carry"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode (it holds a lone surrogate)"
    if isinstance(value, (dict, list)):
        problem = _json_problem(value, "")
        return None if problem is None else f"holds JSON that cannot be sent: {problem}"
    return None


def text(value: Any) -> str:
    """A value as it appears inside a string: JSON spelling for non-strings."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


#: Deepest nesting of a JSON value sent in a request (deeper: the step fails, not Python's stack).
MAX_JSON_DEPTH = 256


def _request_problem(options: dict[str, Any]) -> str | None:
    """What in ``options`` cannot be sent (None: all of it can); encodes a JSON body to ``content``."""
    problem = None
    if options.get("params"):
        problem = _values_problem(options["params"], "query parameter")
    if problem is None and options.get("data"):
        problem = _values_problem(options["data"], "form field")
    if problem is None and options.get("headers"):
        problem = _headers_problem(options["headers"], "header")
    if problem is None and options.get("cookies"):
        problem = _headers_problem(options["cookies"], "cookie")
    if problem is not None:
        return problem
    content = options.get("content")
    if isinstance(content, str):
        problem = _unsendable(content)
        if problem is not None:
            return f"the body {problem}"
    if "json" in options:
        document = options.pop("json")
        try:
            encoded = json.dumps(  # as httpx would
                document, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode("utf-8")
        except (ValueError, TypeError, RecursionError):
            # NaN, a lone surrogate (UnicodeEncodeError), not JSON, too deep
            return (
                _json_problem(document, "the JSON body")
                or "the JSON body is nested too deeply to encode"
            )
        # shorter, it cannot be nested that deep: no walk
        if len(encoded) > 2 * MAX_JSON_DEPTH:
            problem = _json_problem(document, "the JSON body")
            if problem is not None:
                return problem
        options["content"] = encoded
        headers = dict(options.get("headers") or {})
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        options["headers"] = headers
    return None


#: What a header value cannot hold.
_HEADER_BREAK = re.compile(r"[\r\n\x00]")


def _values_problem(values: Mapping[str, Any], kind: str) -> str | None:
    for name, value in values.items():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            problem = _unsendable(item)
            if problem is not None:
                return f"{kind} {name!r} {problem}"
    return None


def _headers_problem(values: Mapping[str, Any], kind: str) -> str | None:
    for name, value in values.items():
        if isinstance(value, str):
            if not value.isascii():
                return f"{kind} {name!r} holds characters outside ASCII, which a header cannot carry"
            if _HEADER_BREAK.search(value) is not None:
                return f"{kind} {name!r} holds a line break or NUL, which a header cannot carry"
    return None


def _json_problem(value: Any, what: str) -> str | None:
    """Why ``value`` is not strict JSON that can be sent: the first member (as a JSON
    pointer) that is NaN or Infinity, not valid Unicode, not a JSON type, or nested deeper
    than MAX_JSON_DEPTH; None when it is fine.  Iterative: no recursion on hostile depth.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:  # bounded: every node of the value is visited once
        node, path = stack.pop()
        where = (
            f"{what + ' ' if what else ''}member {_pointer_of(path)}"
            if path
            else what or "the value"
        )
        if len(path) > MAX_JSON_DEPTH:
            return f"{what or 'the value'} is nested more than {MAX_JSON_DEPTH} levels deep (at {_pointer_of(path[:8])}/...)"
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str) or _unsendable(key) is not None:
                    return f"{where} has a member name that is not valid Unicode text"
                stack.append((item, path + (key,)))
        elif isinstance(node, (list, tuple)):
            stack.extend(
                (item, path + (str(index),)) for index, item in enumerate(node)
            )
        elif node is not None and not isinstance(node, (str, int, float, bool)):
            return f"{where} is a {type(node).__name__}, not a JSON value"
        else:
            problem = _unsendable(node)
            if problem is not None:
                return f"{where} {problem}"
    return None


def _pointer_of(path: Sequence[str]) -> str:
    """A JSON pointer (RFC 6901), its member names cut to 40 characters each."""
    return "".join(
        "/"
        + (token if len(token) <= 40 else token[:40] + "...")
        .replace("~", "~0")
        .replace("/", "~1")
        for token in path
    )


def cookies(values: Mapping[str, Any]) -> str | None:
    """A Cookie header from name -> value (None values left out); None when empty."""
    pairs = [
        f"{name}={text(value)}" for name, value in values.items() if value is not None
    ]
    return "; ".join(pairs) if pairs else None
