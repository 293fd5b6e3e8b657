"""Diagnostics: every problem the generator finds, with where it is and what to do.

A stage never raises on bad input: it records a Diagnostic and carries on where
it can, so one run reports every problem together.  The CLI prints them as
``file:line:column: error: json.path: message`` followed by an indented hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

JsonPath = tuple[str | int, ...]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    file: str
    line: int
    column: int
    json_path: JsonPath
    message: str
    hint: str | None = None

    def render(self) -> str:
        """``file:line:column: severity: $.json.path: message``, then an indented
        hint line: always one or two lines, whatever characters the spec holds."""
        where = f"{_one_line(self.file)}:{self.line}:{self.column}"
        text = f"{where}: {self.severity.value}: {format_json_path(self.json_path)}: {_one_line(self.message)}"
        if self.hint:
            text += f"\n    hint: {_one_line(self.hint)}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.message)


#: A longer JSON path shows its first and last parts around a count of the rest.
MAX_SHOWN_PATH = 24


def format_json_path(path: JsonPath) -> str:
    """``('workflows', 0, 'steps', 2, 'operationId')`` -> ``$.workflows[0].steps[2].operationId``.

    Keys that are not plain words are quoted with every character that could
    break the line escaped; a very deep path keeps its ends and counts the middle."""
    if len(path) > MAX_SHOWN_PATH:
        half = MAX_SHOWN_PATH // 2
        return (
            format_json_path(path[:half]) + f"...({len(path) - 2 * half} more)..." + format_json_path(path[-half:])[1:]
        )
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and part.isascii() and part.replace("_", "a").replace("-", "a").isalnum():
            out += f".{part}"
        else:
            out += "[" + _quoted(part) + "]"
    return out


def _one_line(text: str) -> str:
    """Text with line breaks and other unprintable characters escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _quoted(text: str) -> str:
    """A single-quoted key, with backslashes, quotes and unprintable characters escaped."""
    out = []
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "'" + "".join(out) + "'"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or listing the few there are."""
    options = sorted(set(candidates))
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not options:
        return None
    if len(options) <= 8:
        return "known: " + ", ".join(options)
    return None


@dataclass
class Report:
    """Collects the diagnostics of one run."""

    items: list[Diagnostic] = field(default_factory=list)
    strict: bool = False

    def add(self, diagnostic: Diagnostic) -> None:
        if self.strict and diagnostic.severity is Severity.WARNING:
            diagnostic = Diagnostic(
                Severity.ERROR,
                diagnostic.file,
                diagnostic.line,
                diagnostic.column,
                diagnostic.json_path,
                diagnostic.message + " (an error under --strict)",
                diagnostic.hint,
            )
        if diagnostic not in self.items:
            self.items.append(diagnostic)

    def extend(self, diagnostics: Sequence[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)


class GenerationFailed(Exception):
    """Raised by the pipeline when a stage left errors in the report."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{sum(d.severity is Severity.ERROR for d in report.items)} error(s)")
        self.report = report


class UsageError(Exception):
    """A problem with how the generator was invoked (exit code 2)."""
