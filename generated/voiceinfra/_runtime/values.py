"""Values: the helpers generated expressions and requests call (path parameters,
JSON bodies, JSON pointers, values a request needs, equality and regex criteria)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from .errors import StepFailed, WorkflowError
from .wire import _unsendable, text


def path_param(value: Any, step_id: str = "", name: str = "") -> str:
    """A path parameter value, percent-encoded (simple style: arrays comma-separated).
    A value of '.' or '..' is sent as %2E / %2E%2E: as it is, it would be a dot
    segment, which URL normalization removes (RFC 3986 5.2.4) to reach another path.
    A value that cannot be sent (NaN or Infinity, text that is not valid Unicode):
    WorkflowError naming the step and the parameter, never the value."""
    if (
        isinstance(value, str)
        and _UNRESERVED.fullmatch(value)
        and value not in (".", "..")
    ):
        return value  # letters, digits and -._~ only: quoting changes nothing
    items = value if isinstance(value, list) else [value]
    problem = next((p for p in map(_unsendable, items) if p is not None), None)
    if problem is not None:
        raise WorkflowError(
            f"step {step_id!r}: the request cannot be built: path parameter {name!r} {problem}"
        )
    encoded = (
        quote(value, safe="")
        if isinstance(value, str)
        else ",".join(quote(text(item), safe="") for item in items)
    )
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


#: Path parameter text that percent-encoding leaves as it is (RFC 3986 unreserved).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


def need(value: Any, step_id: str, method: str, path: str, reason: str) -> Any:
    """A value the request of ``step_id`` cannot go without (a path parameter, a required
    parameter or body member), from an earlier step's output: StepFailed, before any
    request is sent, when it is None (the response lacked it, or held null)."""
    if value is None:
        raise StepFailed(
            step_id, method=method, url=path, status_code=None, reason=reason
        )
    return value


def omit_none(payload: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The payload without the listed members whose value is None (optional inputs left out)."""
    return {
        key: value
        for key, value in payload.items()
        if not (key in keys and value is None)
    }


def json_body(
    step_id: str,
    response: httpx.Response,
    *,
    secrets: Sequence[object] = (),
    expect: str | None = None,
) -> Any:
    """The response body as JSON; StepFailed if it is not JSON, or if ``expect``
    ("object" or "array", the documented top-level type) names another JSON type."""
    problem: str | None = None
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        problem = f"the response body is not JSON ({response.headers.get('content-type', 'no content type')})"
    except RecursionError:
        problem = "the response body is JSON nested too deeply to read"
    if problem is not None:  # raised here, not in the except: nothing chained
        raise StepFailed.from_response(
            step_id, response, reason=problem, secrets=secrets
        )
    found = json_type(body)
    if expect is not None and found != expect:
        raise StepFailed.from_response(
            step_id,
            response,
            reason=f"the response body is a JSON {found}, not the documented {expect}",
            secrets=secrets,
        )
    return body


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value: object, array, string, number, boolean or null."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def maybe_json(response: httpx.Response) -> Any:
    """The response body as JSON, or None when it is empty or not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def pointer(document: Any, path: str) -> Any:
    """RFC 6901 JSON pointer lookup; None when the location does not exist."""
    if type(document) is dict and path.rfind("/") == 0 and "~" not in path:
        # one member name, no escapes: the loop below would do the same
        return document.get(path[1:])
    if path == "":
        return document
    node = document
    for raw in path[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~") if "~" in raw else raw
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list) and token.isdigit():
            index = int(token)
            if index >= len(node):
                return None
            node = node[index]
        else:
            return None
    return node


def require(value: Any, what: str, step_id: str) -> Any:
    """A value a request needs; WorkflowError if an earlier step did not produce it."""
    if value is None:
        raise WorkflowError(
            f"step {step_id!r} needs {what}, which has no value (its step did not run or the response lacked it)"
        )
    return value


def _loose(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    return value


def eq(left: Any, right: Any) -> bool:
    """Criterion equality: strings compare case-insensitively; numbers by value."""
    if isinstance(left, bool) or isinstance(right, bool):
        return (
            left is right
            if isinstance(left, bool) and isinstance(right, bool)
            else False
        )
    if isinstance(left, (int, float)) and isinstance(right, str):
        return _number(right) == left
    if isinstance(right, (int, float)) and isinstance(left, str):
        return _number(left) == right
    return bool(_loose(left) == _loose(right))


def ne(left: Any, right: Any) -> bool:
    return not eq(left, right)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def matches(pattern: str, value: Any) -> bool:
    """Regex criterion: the pattern found anywhere in the value's text.  ``pattern`` is
    the ECMA-262 condition as the generator translated it for Python's re (arazzo_codegen.regex).
    """
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        compiled = _REGEX_CACHE[pattern] = re.compile(pattern)
    return compiled.search(text(value)) is not None
