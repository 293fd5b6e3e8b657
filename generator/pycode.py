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

# Names a generated function or module already uses; inputs that collide get a trailing "_".
RESERVED_NAMES = frozenset(
    {
        "client", "servers", "poll_interval", "timeout", "sleep", "http", "response", "body",
        "base", "deadline", "step", "models", "httpx", "asyncio", "time", "typing", "re",
        "payload", "attempt", "outputs", "retries", "state", "transitions", "params",
        "headers", "cookies", "request", "url", "logging", "logger", "self", "cls",
        "Any", "Literal", "Callable", "Awaitable", "Mapping", "BaseModel", "Field",
    }
)


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
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF or unicodedata.category(ch) in ("Zl", "Zp", "Cf", "Cc", "Co", "Cn"):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def fstring_text(text: str) -> str:
    """Literal text for inside a double-quoted f-string (braces doubled)."""
    return py_str(text)[1:-1].replace("{", "{{").replace("}", "}}")


def comment_text(text: str, limit: int = 100) -> str:
    """One line of text that is safe inside a ``#`` comment."""
    line = " ".join(text.split())
    line = "".join(ch if ch.isprintable() else "?" for ch in line)
    if len(line) > limit:
        line = line[: limit - 3].rstrip() + "..."
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
