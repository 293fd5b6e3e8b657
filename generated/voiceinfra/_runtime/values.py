"""Values: the helpers generated expressions and requests call (path parameters,
JSON bodies, JSON pointers, comparisons, Authorization header values)."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from .errors import StepFailed, WorkflowError, _criteria_reason
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


def json_form(value: Any) -> Any:
    """A parsed output value (a datetime, a model) as JSON has it: what a step output holds."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _json_form_adapter()(value, mode="json")


@functools.lru_cache(maxsize=1)
def _json_form_adapter() -> Callable[..., Any]:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(Any)
    return adapter.dump_python


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
        return document.get(
            path[1:]
        )  # one member name, no escapes: the loop below would do the same
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


def require_input(value: Any, name: str, workflow: str) -> Any:
    """An input another workflow requires, passed on from an optional one of the caller."""
    if value is None:
        raise WorkflowError(
            f"workflow {workflow!r} needs input {name!r}, which was not given"
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


def _ordered(left: Any, right: Any) -> tuple[Any, Any] | None:
    if isinstance(left, str) and isinstance(right, (int, float)):
        left = _number(left)
    if isinstance(right, str) and isinstance(left, (int, float)):
        right = _number(right)
    if (
        isinstance(left, (int, float))
        and isinstance(right, (int, float))
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    return None


def lt(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] < pair[1]


def le(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] <= pair[1]


def gt(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] > pair[1]


def ge(left: Any, right: Any) -> bool:
    pair = _ordered(left, right)
    return pair is not None and pair[0] >= pair[1]


def truthy(value: Any) -> bool:
    return value is not None and value is not False


def index(value: Any, key: int | str) -> Any:
    """``value[key]`` for criteria: None instead of an exception."""
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if -len(value) <= key < len(value) else None
    if isinstance(value, dict) and isinstance(key, str):
        return value.get(key)
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


# -- request parts -------------------------------------------------------------------


def bearer(token: str | None) -> str | None:
    """An ``Authorization: Bearer`` value, or None without a token."""
    return None if token is None else f"Bearer {token}"


def basic_auth(username: str | None, password: str | None) -> str | None:
    """An ``Authorization: Basic`` value (RFC 7617), or None without credentials."""
    if username is None or password is None:
        return None
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode(
        "ascii"
    )


def first_of(*values: Any) -> Any:
    """The first value that is not None (one header, several ways to authenticate)."""
    return next((value for value in values if value is not None), None)


def criteria_failed(
    step_id: str,
    workflow_id: str,
    *,
    reason: str | None = None,
    criterion: str | None = None,
    retries: int = 0,
    retry_limit: int | None = None,
) -> StepFailed:
    """The error of a step that calls a workflow whose outputs failed the success criteria."""
    return StepFailed(
        step_id,
        method="CALL",
        url=f"workflow {workflow_id}",
        status_code=None,
        reason=_criteria_reason(reason, criterion),
        criterion=criterion,
        retries=retries,
        retry_limit=retry_limit,
    )
