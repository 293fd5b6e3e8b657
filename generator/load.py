"""Stage 1, load: read YAML/JSON documents, remember where every node came from,
and resolve ``$ref`` across files.

Parsing uses libyaml's C loader when it is available (the real vendor OpenAPI
files are around 1 MB each).  Source positions are not recorded while parsing:
that would cost more than the parse itself.  Instead a document re-composes its
node tree the first time a diagnostic asks where a JSON path is, and walks it.

Text becomes data in load_parse (with the limits every document is held to);
here are the documents, the Loader that reads and caches them and follows
``$ref``, and the JSON pointer helpers.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import yaml

from . import v11_identity
from .diagnostics import Diagnostic, JsonPath, Report, Severity, did_you_mean
from .load_parse import (
    _NEVER_CLOSED,
    MAX_DEPTH,
    MAX_VALUES,
    DocumentRejected,
    _DuplicateJsonKey,
    _json_key_position,
    _json_problem,
    _line_column,
    _Loader,
    _long_number_position,
    _mark,
    _TooBig,
    _TooDeep,
    parse_text,
)

MAX_FILE_BYTES = 64 * 1024 * 1024


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
        if not json_path:
            return (1, 1)  # the document itself: no need to compose a large file
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


class Loader:
    """Reads documents once each (cache keyed by real path) and resolves refs."""

    def __init__(self, report: Report, source_map: Sequence[tuple[str, str]] = ()) -> None:
        self.report = report
        self.files: dict[Path, SourceFile | None] = {}
        #: (URL prefix, absolute folder), longest prefix first: remote URLs that are read locally.
        self.source_map = tuple(sorted(source_map, key=lambda item: -len(item[0])))
        #: Absolute ``$self`` URI -> the document that declares it (see v11_identity).
        self.identities: dict[str, Path] = {}
        self.identity_scans: set[tuple[Path, str]] = set()  # (folder, URI) searched already

    def load(self, path: Path, referrer: SourceFile | None = None, at: JsonPath = ()) -> SourceFile | None:
        # The real path, as the operating system opens it: 'vendor/../store.yaml' with
        # 'vendor' a symbolic link is beside the link's target, and one file reached
        # through two paths is one document.
        path = Path(os.path.realpath(path))
        if path in self.files:
            return self.files[path]
        source = self._read(path, referrer, at)
        self.files[path] = source
        if source is not None:
            v11_identity.register(self, source)
        return source

    def _read(self, path: Path, referrer: SourceFile | None, at: JsonPath) -> SourceFile | None:
        display = display_path(path)

        def refuse(line: int, column: int, message: str, hint: str | None) -> None:
            self.report.add(Diagnostic(Severity.ERROR, display, line, column, (), message, hint))

        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                self._fail(
                    referrer,
                    at,
                    display,
                    f"{display} is {size} bytes, more than the {MAX_FILE_BYTES} the generator reads",
                    "split the document with $ref to other files",
                )
                return None
            raw = path.read_bytes()
        except FileNotFoundError:
            self._fail(
                referrer,
                at,
                display,
                f"file not found: {display}",
                "check the path; relative URLs are resolved against the document that names them",
            )
            return None
        except IsADirectoryError:
            self._fail(
                referrer,
                at,
                display,
                f"{display} is a directory, not a document",
                "name the YAML or JSON file inside it",
            )
            return None
        except OSError as exc:
            self._fail(referrer, at, display, f"cannot read {display}: {exc.strerror or exc.__class__.__name__}")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 1].hex()
            line = raw.count(b"\n", 0, exc.start) + 1
            column = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", errors="replace")) + 1
            refuse(
                line,
                column,
                f"not UTF-8 text: byte 0x{bad} at offset {exc.start} ({exc.reason})",
                "save the file as UTF-8; a binary file is not a document",
            )
            return None
        try:
            data = parse_text(text, display, path.suffix.lower())
        except DocumentRejected as exc:
            line, column = _mark(exc.problem_mark)
            refuse(line, column, exc.message, exc.hint)
            return None
        except yaml.MarkedYAMLError as exc:
            line, column = _mark(exc.problem_mark or exc.context_mark)
            if exc.context == "expected a single document in the stream":
                refuse(
                    line,
                    column,
                    "the file holds more than one YAML document",
                    "keep one document per file: remove the '---' and what follows",
                )
                return None
            if (
                exc.context == "while scanning a quoted scalar"
                and exc.context_mark is not None
                and exc.problem in _NEVER_CLOSED
            ):
                # Reported where the string opens: the end of the file says nothing.
                line, column = _mark(exc.context_mark)
                opening = text.splitlines()[line - 1][column - 1 : column] if line <= len(text.splitlines()) else ""
                quote = opening if opening in ("'", '"') else "'"
                inner = "''" if quote == "'" else '\\"'
                refuse(
                    line,
                    column,
                    f"malformed YAML: the string that opens with {quote} here is never closed",
                    f"end it with {quote} (a {quote} inside it is written {inner})",
                )
                return None
            problem = exc.problem or exc.context or "malformed YAML"
            refuse(
                line,
                column,
                f"malformed YAML: {problem}",
                "fix the syntax at this position (indentation, quotes, colons)",
            )
            return None
        except yaml.reader.ReaderError as exc:
            line, column = _line_column(text, exc.position)
            character = exc.character if isinstance(exc.character, int) else ord(exc.character)
            refuse(
                line,
                column,
                f"malformed YAML: the control character U+{character:04X} is not allowed",
                "remove it; inside a double-quoted string write it as an escape",
            )
            return None
        except yaml.YAMLError as exc:
            refuse(1, 1, "malformed YAML: " + " ".join(str(exc).split()), None)
            return None
        except json.JSONDecodeError as exc:
            refuse(exc.lineno, exc.colno, f"malformed JSON: {_json_problem(exc)}", "fix the syntax at this position")
            return None
        except _DuplicateJsonKey as exc:
            refuse(
                *_json_key_position(text, exc.key),
                f"duplicate key {exc.key!r} in an object",
                "a key may appear only once in a JSON object",
            )
            return None
        except (_TooDeep, RecursionError) as exc:
            message = f"the document nests mappings and lists more than {MAX_DEPTH} levels deep"
            hint = "flatten the structure, or name nested schemas as components and use $ref"
            if isinstance(exc, _TooDeep) and exc.path:
                self.report.add(SourceFile(path, display, text, None).diagnostic(exc.path, message, hint))
            else:
                line, column = (exc.line, exc.column) if isinstance(exc, _TooDeep) else (1, 1)
                refuse(line, column, message, hint)
            return None
        except _TooBig as exc:
            if exc.cyclic:
                self.report.add(
                    SourceFile(path, display, text, None).diagnostic(
                        exc.path,
                        "a YAML alias contains itself, so the document is infinitely deep",
                        "JSON data cannot contain itself: write the values out, or use $ref for recursive schemas",
                    )
                )
            else:
                refuse(
                    1,
                    1,
                    f"YAML aliases expand the document to more than {max(MAX_VALUES, len(text))} values (an alias bomb?)",
                    "write the values out instead of nesting anchors in anchors",
                )
            return None
        except ValueError as exc:  # an integer beyond Python's digit limit (PyYAML and json raise it)
            line, column = _long_number_position(text)
            refuse(
                line,
                column,
                f"cannot read a value: {' '.join(str(exc).split(';')[0].split())}",
                "write very long numbers as strings",
            )
            return None
        return SourceFile(path=path, display=display, text=text, data=data)

    def _fail(
        self, referrer: SourceFile | None, at: JsonPath, display: str, message: str, hint: str | None = None
    ) -> None:
        if referrer is not None:
            self.report.add(referrer.diagnostic(at, message, hint))
        else:
            self.report.add(Diagnostic(Severity.ERROR, display, 1, 1, (), message, hint))

    # -- $ref resolution -------------------------------------------------------------

    def load_url(self, referrer: SourceFile, url: str, at: JsonPath, what: str = "reference") -> SourceFile | None:
        """The document a relative URL in ``referrer`` names; a remote URL is
        refused (the generator never fetches anything).  A document with a ``$self``
        is found by that identity first (Arazzo 1.1)."""
        identified = v11_identity.find(self, referrer, url, at, is_remote(url))
        if identified is v11_identity.REPORTED:
            return None
        if identified is not None:
            return self.load(identified, referrer, at)
        if is_remote(url):
            local = self._mapped(referrer, url, at, what)
            if local is None:
                return None
            return self.load(local, referrer, at)
        return self.load(referrer.path.parent / unquote(url), referrer, at)

    def _mapped(self, referrer: SourceFile, url: str, at: JsonPath, what: str) -> Path | None:
        """The local file a remote URL maps to through the source map (the longest
        matching prefix), or None, reported: no prefix matches, the rest of the URL
        leaves the folder, or the file is missing.  Nothing is ever fetched."""
        for prefix, folder in self.source_map:
            if url.startswith(prefix):
                break
        else:
            example = url.split("?", 1)[0].rsplit("/", 1)[0] + "/" if "/" in url.split("://", 1)[-1] else url + "/"
            self.report.add(
                referrer.diagnostic(
                    at,
                    f"{what} {url!r} is a remote URL; the generator reads only local files",
                    v11_identity.remote_hint(referrer)
                    + f"download the document next to the one that names it and use a relative path, or map the URL to a local copy: --source-map {example}=DIR (or source-map in [tool.arazzo-codegen])",
                )
            )
            return None
        rest = unquote(url[len(prefix) :].split("?", 1)[0])
        target = os.path.normpath(os.path.join(folder, rest))
        if "\0" in rest or os.path.isabs(rest) or os.path.commonpath([folder, target]) != folder:
            self.report.add(
                referrer.diagnostic(
                    at,
                    f"{what} {url!r} maps outside the folder of source map prefix {prefix!r}",
                    f"a mapped URL must name a file inside {display_path(Path(folder))}; remove the '..' or absolute part",
                )
            )
            return None
        if not os.path.exists(target):
            self.report.add(
                referrer.diagnostic(
                    at,
                    f"{what} {url!r} maps to {display_path(Path(target))}, which does not exist",
                    f"source map prefix {prefix!r} -> {display_path(Path(folder))}: copy the document there, or fix the map",
                )
            )
            return None
        return Path(target)

    def resolve_ref(
        self, source: SourceFile, ref: str, at: JsonPath, dangling: str | None = None
    ) -> tuple[SourceFile, JsonPath, Any] | None:
        """Follow one ``$ref`` (relative file and/or JSON pointer fragment).  A pointer
        to nothing is an error, or with ``dangling`` (what becomes of the value then)
        a warning: a vendor description's broken reference need not stop a build."""
        target_url, fragment = urldefrag(ref)
        if target_url:
            target = self.load_url(source, target_url, at, "$ref")
            if target is None:
                return None
        else:
            target = source
        pointer = pointer_tokens(unquote(fragment))
        if pointer is None:
            self.report.add(
                source.diagnostic(
                    at, f"$ref {ref!r} has a malformed JSON pointer", "a pointer looks like '#/components/schemas/Pet'"
                )
            )
            return None
        value = lookup(target.data, pointer)
        if value is _MISSING:
            if dangling is None:
                self.report.add(
                    source.diagnostic(
                        at,
                        f"$ref {ref!r} points at nothing in {target.display}",
                        missing_ref_hint(target.data, pointer),
                    )
                )
            else:
                self.report.add(
                    source.diagnostic(
                        at,
                        f"$ref {ref!r} points at nothing in {target.display}: {dangling}",
                        missing_ref_hint(target.data, pointer),
                        severity=Severity.WARNING,
                    )
                )
            return None
        return target, pointer, value

    def deref(
        self, source: SourceFile, value: Any, at: JsonPath, dangling: str | None = None
    ) -> tuple[SourceFile, JsonPath, Any] | None:
        """Follow a chain of ``$ref``s to a node that is not a reference; a chain
        that comes back to where it has been is reported, not followed forever."""
        start = (source, at)
        seen: list[tuple[Path, JsonPath]] = [(source.path, at)]
        refs: list[str] = []
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            refs.append(value["$ref"])
            resolved = self.resolve_ref(source, value["$ref"], at, dangling)
            if resolved is None:
                return None
            source, at, value = resolved
            if (source.path, at) in seen:
                first_file, first_at = start
                self.report.add(
                    first_file.diagnostic(
                        first_at, "cyclic $ref: " + " -> ".join(refs), "a $ref must lead to a value, not back to itself"
                    )
                )
                return None
            seen.append((source.path, at))
        return source, at, value


def missing_ref_hint(data: Any, tokens: JsonPath) -> str:
    """What a ``$ref`` whose pointer reaches nothing should point at: the first token
    that is not there, and the names that are."""
    for depth, token in enumerate(tokens):
        parent = lookup(data, tokens[:depth])
        if isinstance(parent, dict) and str(token) in parent:
            continue
        where = "#" + "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens[:depth])
        if not isinstance(parent, dict):
            return f"{where!r} is not a mapping, so it has no member {str(token)!r}"
        known = did_you_mean(str(token), (str(k) for k in parent))
        return f"nothing is named {str(token)!r} at {where!r}" + (f"; {known}" if known else "")
    return "point the $ref at a schema that exists, e.g. '#/components/schemas/<Name>'"


def is_remote(url: str) -> bool:
    """True for a URL with a scheme (https:, file:, ...) or a network path (//host)."""
    return url.startswith("//") or re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", url) is not None


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


def document_order(data: Any, path: JsonPath) -> tuple[int, ...]:
    """A sort key that puts paths into ``data`` in the order they are written (a
    mapping's keys in the order the loader read them, which is the document's); a part
    that is not there sorts after its siblings."""
    key: list[int] = []
    node = data
    for part in path:
        if isinstance(node, dict):
            keys = [str(k) for k in node]
            index = keys.index(str(part)) if str(part) in keys else len(keys)
            key.append(index)
            node = node[list(node)[index]] if index < len(keys) else None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            key.append(part)
            node = node[part]
        else:
            key.append(len(node) if isinstance(node, list) else 0)
            node = None
    return tuple(key)


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
