"""Stage 1, load: read YAML/JSON documents, remember where every node came from,
and resolve ``$ref`` across files.

Parsing uses libyaml's C loader when it is available (the real vendor OpenAPI
files are around 1 MB each).  Source positions are not recorded while parsing:
that would cost more than the parse itself.  Instead a document re-composes its
node tree the first time a diagnostic asks where a JSON path is, and walks it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import yaml

from .diagnostics import Diagnostic, JsonPath, Report, Severity

try:  # pragma: no branch - depends on how PyYAML was built
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 64 * 1024 * 1024


class _DatesAsStrings(_Loader):  # type: ignore[misc,valid-type]
    """YAML timestamps stay strings: an OpenAPI ``example: 2024-01-01`` is text."""


_DatesAsStrings.add_constructor(
    "tag:yaml.org,2002:timestamp", _DatesAsStrings.construct_yaml_str
)


@dataclass
class SourceFile:
    """One parsed document and the means to find its nodes in the text."""

    path: Path
    display: str
    text: str
    data: Any
    _nodes: yaml.Node | None = field(default=None, repr=False)
    _composed: bool = field(default=False, repr=False)

    def position(self, json_path: JsonPath) -> tuple[int, int]:
        """1-based (line, column) of the node at ``json_path``, or of its
        nearest ancestor that exists."""
        node = self._root_node()
        if node is None:
            return (1, 1)
        best = node.start_mark
        key_mark = None
        for part in json_path:
            child, key_mark = _child(node, part)
            if child is None:
                break
            node = child
            best = node.start_mark
        # For a scalar, point at the value; for a mapping key that exists, at the key.
        if key_mark is not None and not isinstance(node, yaml.ScalarNode):
            best = key_mark
        return (best.line + 1, best.column + 1)

    def diagnostic(
        self,
        json_path: JsonPath,
        message: str,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        line, column = self.position(json_path)
        return Diagnostic(severity, self.display, line, column, json_path, message, hint)

    def _root_node(self) -> yaml.Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._nodes = yaml.compose(self.text, Loader=_Loader)
            except yaml.YAMLError:
                self._nodes = None
        return self._nodes


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Mark | None]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value, key.start_mark
        return None, None
    if isinstance(node, yaml.SequenceNode):
        index = part if isinstance(part, int) else int(part) if part.isdigit() else -1
        if 0 <= index < len(node.value):
            return node.value[index], None
    return None, None


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


def parse_text(text: str, display: str, suffix: str) -> Any:
    """Parse YAML or JSON; raises yaml.YAMLError / json.JSONDecodeError."""
    if suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_DatesAsStrings)


class Loader:
    """Reads documents once each (cache keyed by absolute path) and resolves refs."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.files: dict[Path, SourceFile | None] = {}

    def load(self, path: Path, referrer: SourceFile | None = None, at: JsonPath = ()) -> SourceFile | None:
        path = Path(os.path.abspath(path))
        if path in self.files:
            return self.files[path]
        source = self._read(path, referrer, at)
        self.files[path] = source
        return source

    def _read(self, path: Path, referrer: SourceFile | None, at: JsonPath) -> SourceFile | None:
        display = display_path(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                self._fail(referrer, at, display, f"file is {size} bytes, more than the {MAX_FILE_BYTES} the generator reads")
                return None
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._fail(referrer, at, display, f"file not found: {display}", "check the path; relative URLs are resolved against the document that names them")
            return None
        except IsADirectoryError:
            self._fail(referrer, at, display, f"{display} is a directory, not a document")
            return None
        except UnicodeDecodeError as exc:
            self._fail(referrer, at, display, f"{display} is not UTF-8 text ({exc.reason} at byte {exc.start})")
            return None
        except OSError as exc:
            self._fail(referrer, at, display, f"cannot read {display}: {exc.strerror}")
            return None
        try:
            data = parse_text(text, display, path.suffix.lower())
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = exc.problem or exc.context or "malformed YAML"
            self.report.add(Diagnostic(Severity.ERROR, display, line, column, (), f"malformed YAML: {problem}", "fix the syntax at this position (indentation, quotes, colons)"))
            return None
        except yaml.YAMLError as exc:
            self.report.add(Diagnostic(Severity.ERROR, display, 1, 1, (), f"malformed YAML: {exc}", None))
            return None
        except json.JSONDecodeError as exc:
            self.report.add(Diagnostic(Severity.ERROR, display, exc.lineno, exc.colno, (), f"malformed JSON: {exc.msg}", "fix the syntax at this position"))
            return None
        except RecursionError:
            self.report.add(Diagnostic(Severity.ERROR, display, 1, 1, (), "document is nested too deeply to parse", "flatten the structure or use $ref"))
            return None
        return SourceFile(path=path, display=display, text=text, data=data)

    def _fail(self, referrer: SourceFile | None, at: JsonPath, display: str, message: str, hint: str | None = None) -> None:
        if referrer is not None:
            self.report.add(referrer.diagnostic(at, message, hint))
        else:
            self.report.add(Diagnostic(Severity.ERROR, display, 1, 1, (), message, hint))

    # -- $ref resolution -------------------------------------------------------------

    def resolve_ref(self, source: SourceFile, ref: str, at: JsonPath) -> tuple[SourceFile, JsonPath, Any] | None:
        """Follow one ``$ref`` (relative file and/or JSON pointer fragment)."""
        target_url, fragment = urldefrag(ref)
        if target_url:
            if "://" in target_url:
                self.report.add(source.diagnostic(at, f"remote reference {ref!r} is not fetched", "download the document next to the spec and refer to it by a relative path"))
                return None
            target = self.load(source.path.parent / unquote(target_url), source, at)
            if target is None:
                return None
        else:
            target = source
        pointer = pointer_tokens(unquote(fragment))
        if pointer is None:
            self.report.add(source.diagnostic(at, f"reference {ref!r} has a malformed JSON pointer", "a pointer looks like '#/components/schemas/Pet'"))
            return None
        value = lookup(target.data, pointer)
        if value is _MISSING:
            self.report.add(source.diagnostic(at, f"reference {ref!r} points at nothing in {target.display}", None))
            return None
        return target, pointer, value

    def deref(self, source: SourceFile, value: Any, at: JsonPath, limit: int = 64) -> tuple[SourceFile, JsonPath, Any] | None:
        """Follow a chain of ``$ref``s to a node that is not a reference."""
        seen = 0
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            seen += 1
            if seen > limit:
                self.report.add(source.diagnostic(at, "cyclic $ref chain", "a $ref must eventually reach a value"))
                return None
            resolved = self.resolve_ref(source, value["$ref"], at)
            if resolved is None:
                return None
            source, at, value = resolved
        return source, at, value


class _Missing:
    pass


_MISSING: Any = _Missing()


def pointer_tokens(fragment: str) -> JsonPath | None:
    """'/components/schemas/A~1B' -> ('components', 'schemas', 'A/B'); '' -> ()."""
    if fragment == "":
        return ()
    if not fragment.startswith("/"):
        return None
    tokens: list[str | int] = []
    for raw in fragment[1:].split("/"):
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


def lookup(data: Any, path: JsonPath) -> Any:
    """The node at ``path`` (list indices may be given as digit strings)."""
    node = data
    for part in path:
        if isinstance(node, dict):
            key = str(part)
            if key not in node:
                return _MISSING
            node = node[key]
        elif isinstance(node, list):
            try:
                index = int(part)
            except ValueError:
                return _MISSING
            if not 0 <= index < len(node):
                return _MISSING
            node = node[index]
        else:
            return _MISSING
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


def walk(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """Every (path, node) in a document, depth first (iterative: no recursion limit)."""
    stack: list[tuple[JsonPath, Any]] = [(path, data)]
    while stack:
        here, node = stack.pop()
        yield here, node
        if isinstance(node, dict):
            stack.extend((here + (k,), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((here + (i,), v) for i, v in reversed(list(enumerate(node))))
