"""Safe Python source fragments: identifiers from arbitrary names, literals from
arbitrary values.  Nothing from a spec reaches generated code except through
these functions (or json-escaped model schemas handed to datamodel-code-generator).
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata
from typing import Any

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")

# Names an input cannot take: the function's options, and the modules and names the
# module imports (an input that collides gets a trailing "_", with a warning).  The
# generated functions' own locals all start with "_", which no input name does.
RESERVED_NAMES = frozenset(
    {
        "client",
        "servers",
        "poll_interval",
        "timeout",
        "max_response_bytes",
        "sleep",
        "on_event",
        "transport",
        "models",
        "httpx",
        "asyncio",
        "time",
        "typing",
        "re",
        "logging",
        "logger",
        "cast",
        "self",
        "cls",
        "Any",
        "Literal",
        "Callable",
        "Awaitable",
        "Mapping",
        "BaseModel",
        "Field",
    }
)


# Attributes of pydantic.BaseModel (v2, deprecated v1 names included): a model field
# with one of these names shadows it (pydantic warns, mypy --strict fails).  Any name
# starting with "model_" is pydantic's too.
MODEL_ATTRIBUTES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
    }
)


def model_field_name(text: str, taken: NameAllocator) -> str:
    """A snake_case attribute for a model field that shadows nothing of pydantic's
    and stays out of its protected ``model_`` namespace (``model_dump_json`` ->
    ``field_model_dump_json``, ``json`` -> ``json_``)."""
    wanted = snake_case(text, fallback="field")
    if wanted.startswith("model_"):
        wanted = "field_" + wanted
    elif wanted in MODEL_ATTRIBUTES:
        wanted += "_"
    return taken.claim(wanted)


def _ascii_words(text: str) -> list[str]:
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _WORD.findall(normalized)


def snake_case(text: str, *, fallback: str = "value") -> str:
    """A valid, non-keyword lower_snake identifier for any text."""
    words = [w.lower() for w in _ascii_words(text)]
    name = "_".join(words) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal_case(text: str, *, fallback: str = "Model") -> str:
    words = _ascii_words(text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or fallback
    if name[0].isdigit():
        name = fallback + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def constant_case(text: str) -> str:
    return snake_case(text).upper().rstrip("_")


class NameAllocator:
    """Hands out unique identifiers within one scope."""

    def __init__(self, taken: set[str] | frozenset[str] = frozenset()) -> None:
        self.taken: set[str] = set(taken)

    def claim(self, wanted: str) -> str:
        name = wanted
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name


def py_literal(value: Any) -> str:
    """Python source for a JSON-like value (str, int, float, bool, None, list, dict)."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f'float("{value}")'
        return repr(value)
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_str(str(k))}: {py_literal(v)}" for k, v in value.items()) + "}"
    return py_str(str(value))


def py_str(text: str) -> str:
    """A double-quoted Python string literal; every character escaped as needed."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif (
            code < 0x20
            or code == 0x7F
            or 0xD800 <= code <= 0xDFFF
            or unicodedata.category(ch) in ("Zl", "Zp", "Cf", "Cc", "Co", "Cn")
        ):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def fstring_text(text: str) -> str:
    """Literal text for inside a double-quoted f-string (braces doubled)."""
    return py_str(text)[1:-1].replace("{", "{{").replace("}", "}}")


# Comment directives that tools obey (black's "fmt: off", mypy's "type: ignore",
# flake8's "noqa", ...): text from a spec must not switch them on, wherever a
# wrapped comment line happens to start.
_DIRECTIVE = re.compile(
    r"\b(fmt)(\s*:\s*)(off|on|skip)\b|\b(type)(\s*:\s*)(ignore)\b|(noqa)|\b(isort|pylint|mypy|pyright|ruff|flake8|pragma)(\s*:)",
    re.IGNORECASE,
)


def _defuse(match: re.Match[str]) -> str:
    """``noqa`` -> ``n·oqa``, ``fmt: off`` -> ``f·mt: off``: still readable, no longer a directive."""
    return match.group(0)[0] + "\u00b7" + match.group(0)[1:]


def comment_text(text: str, limit: int = 100) -> str:
    """One line of text that is safe inside a ``#`` comment (and cannot act as a
    tool directive such as ``fmt: off`` or ``type: ignore``)."""
    line = " ".join(text.split())
    line = _DIRECTIVE.sub(_defuse, "".join(ch if ch.isprintable() else "?" for ch in line))
    if len(line) > limit:
        # A cut can expose one directive at its end: leave room for one more mark.
        line = _DIRECTIVE.sub(_defuse, line[: limit - 4].rstrip() + "...")
    return line


def docstring_text(text: str) -> str:
    """Text safe inside a triple-double-quoted docstring (no closing quotes, no escapes)."""
    cleaned = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    cleaned = cleaned.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [line.rstrip() for line in cleaned.strip().splitlines()]
    result = "\n".join(lines)
    if result.endswith('"'):
        result += " "
    return result
