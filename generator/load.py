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
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import yaml

from . import v11_identity
from .diagnostics import Diagnostic, JsonPath, Report, Severity, did_you_mean

try:  # pragma: no branch - depends on how PyYAML was built
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 64 * 1024 * 1024
#: Deepest nesting of mappings and sequences a document may have.  Real
#: documents stay far below it; deeper values could not become Python literals
#: (the parser allows 200 nested brackets) and much of the pipeline recurses.
MAX_DEPTH = 100
#: libyaml's composer recurses in C and crashes the interpreter somewhere past
#: 20,000 levels: deeper YAML is refused before it is composed.  The figure is
#: the nesting limit of the libyaml that newer PyYAML wheels bundle (6.0.4 and
#: later refuse level 1,001 with "exceeded maximum nesting depth"), so the
#: diagnostic is ours, at the same place, whichever allowed PyYAML is installed.
PARSE_DEPTH = 1_000
#: The problem libyaml's scanner reports when its own nesting limit fires.
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
#: Values a document may hold once YAML aliases are expanded: more than the
#: characters of its text is only possible through aliases that repeat
#: themselves (the "billion laughs"), so the budget is the larger of this and
#: the length of the text.
MAX_VALUES = 1_000_000


class DocumentRejected(yaml.constructor.ConstructorError):
    """A document the loader refuses to build (duplicate keys, YAML tags that are
    not plain data), with the message and hint its diagnostic shows."""

    def __init__(self, node: yaml.Node, message: str, hint: str) -> None:
        super().__init__(None, None, message, node.start_mark)
        self.message = message
        self.hint = hint


class _DatesAsStrings(_Loader):  # type: ignore[misc,valid-type]
    """The safe loader with JSON semantics: YAML timestamps stay strings (an
    OpenAPI ``example: 2024-01-01`` is text), a key may appear only once in a
    mapping, keys are the text they are written as (``200:`` is the key "200"),
    and tags with no JSON equivalent are refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise DocumentRejected(
                    key_node, "a mapping key must be a plain string, not a list or mapping", "write the key as text"
                )
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            first = seen.get(key_node.value)
            if first is not None:
                raise DocumentRejected(
                    key_node,
                    f"duplicate key {key_node.value!r} in a mapping",
                    f"a key may appear only once; the first {key_node.value!r} is at line {first.start_mark.line + 1}",
                )
            seen[key_node.value] = key_node
        self.flatten_mapping(node)  # merge keys (<<) first, then the node's own keys override them
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise DocumentRejected(
                    key_node, "a mapping key must be a plain string, not a list or mapping", "write the key as text"
                )
            key = self.construct_object(key_node, deep=deep)
            # JSON has only string keys: 200 -> "200", on -> "on", ~ -> "~" (as written).
            mapping[key if isinstance(key, str) else key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping

    def _refuse_tag(self, node: yaml.Node) -> Any:
        tag = str(node.tag)
        shown = "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag
        raise DocumentRejected(
            node, f"the YAML tag {shown!r} is not allowed", "documents are plain JSON data: remove the tag"
        )


for _tag in ("binary", "set", "omap", "pairs"):
    _DatesAsStrings.add_constructor(f"tag:yaml.org,2002:{_tag}", _DatesAsStrings._refuse_tag)
_DatesAsStrings.add_constructor(None, _DatesAsStrings._refuse_tag)
_DatesAsStrings.add_constructor("tag:yaml.org,2002:timestamp", _DatesAsStrings.construct_yaml_str)


class _TooDeep(Exception):
    def __init__(self, line: int, column: int, path: JsonPath = ()) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column
        self.path = path


class _TooBig(Exception):
    def __init__(self, cyclic: bool, path: JsonPath = ()) -> None:
        super().__init__(cyclic)
        self.cyclic = cyclic
        self.path = path


def _check_yaml_depth(text: str) -> None:
    """Raise _TooDeep before libyaml's recursive composer sees a document deeper
    than PARSE_DEPTH (_check_shape enforces MAX_DEPTH on the loaded data).

    Nesting needs either a bracket or a column of indentation (or a ``- ``) per
    level, so most documents are shown safe by counting; only the others are
    parsed event by event (libyaml's parser keeps its own stack)."""
    bound = text.count("[") + text.count("{") + 2 * max((len(line) for line in text.splitlines()), default=0) + 2
    if bound <= PARSE_DEPTH:
        return
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > PARSE_DEPTH:
                raise _TooDeep(*_mark(event.start_mark))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _load_yaml(text: str) -> Any:
    """The YAML document as data; libyaml's own nesting limit (where the
    installed PyYAML has one) becomes _TooDeep like ours."""
    try:
        _check_yaml_depth(text)
        return yaml.load(text, Loader=_DatesAsStrings)
    except yaml.MarkedYAMLError as exc:
        if exc.problem != _LIBYAML_TOO_DEEP:
            raise
        line, column = _mark(exc.problem_mark or exc.context_mark)
    raise _TooDeep(line, column)


def _check_shape(data: Any, budget: int) -> None:
    """Raise _TooBig when the data (aliases expanded) holds more than ``budget``
    values or contains itself, _TooDeep when it nests deeper than MAX_DEPTH."""
    count = 0
    on_path: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(data, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        count += 1
        if count > budget:
            raise _TooBig(cyclic=False)
        if isinstance(node, (dict, list)):
            if id(node) in on_path:
                raise _TooBig(cyclic=True, path=_path_to(data, lambda n, d, p: id(n) in p))
            if depth > MAX_DEPTH:
                raise _TooDeep(1, 1, _path_to(data, lambda n, d, p: d > MAX_DEPTH))
            on_path.add(id(node))
            stack.append((node, depth, True))
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1, False) for child in children)


def _path_to(data: Any, found: Callable[[Any, int, set[int]], bool]) -> JsonPath:
    """The JSON path of the first container (depth first) for which ``found(node,
    depth, ids of its ancestors)`` holds; only called once a problem is known."""
    on_path: set[int] = set()
    stack: list[tuple[Any, int, JsonPath, bool]] = [(data, 1, (), False)]
    while stack:
        node, depth, path, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if not isinstance(node, (dict, list)):
            continue
        if found(node, depth, on_path):
            return path
        on_path.add(id(node))
        stack.append((node, depth, path, True))
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        stack.extend((child, depth + 1, path + (key,), False) for key, child in reversed(items))
    return ()


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateJsonKey(key)
        out[key] = value
    return out


class _DuplicateJsonKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


#: libyaml's problems for a quoted string that runs to the end of the document.
_NEVER_CLOSED = (
    "found unexpected end of stream",
    "found unexpected document separator",
    "found unexpected document indicator",
)


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _json_problem(exc: json.JSONDecodeError) -> str:
    before = exc.doc[: exc.pos].rstrip()
    if before.endswith(",") and exc.doc[exc.pos : exc.pos + 1] in ("}", "]"):
        return "trailing comma before the closing bracket (JSON allows none)"
    return exc.msg


def _json_key_position(text: str, key: str) -> tuple[int, int]:
    """Where the second occurrence of a key is written (best effort: 1:1 if not found)."""
    written = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    found = [m.start() for m in written.finditer(text)]
    return _line_column(text, found[1]) if len(found) > 1 else (1, 1)


def _long_number_position(text: str) -> tuple[int, int]:
    match = re.search(r"\d{4300}", text)
    return _line_column(text, match.start()) if match else (1, 1)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


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


def parse_text(text: str, display: str, suffix: str) -> Any:
    """Parse YAML or JSON with JSON semantics (see _DatesAsStrings); raises
    yaml.YAMLError, json.JSONDecodeError, _DuplicateJsonKey, _TooDeep, _TooBig,
    RecursionError or ValueError (an integer of more than 4300 digits)."""
    if suffix == ".json":
        data = json.loads(text, object_pairs_hook=_json_object)
    else:
        data = _load_yaml(text)
    _check_shape(data, max(MAX_VALUES, len(text)))
    return data


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
            self.report.add(
                Diagnostic(
                    Severity.ERROR,
                    display,
                    line,
                    column,
                    (),
                    f"not UTF-8 text: byte 0x{bad} at offset {exc.start} ({exc.reason})",
                    "save the file as UTF-8; a binary file is not a document",
                )
            )
            return None
        try:
            data = parse_text(text, display, path.suffix.lower())
        except DocumentRejected as exc:
            line, column = _mark(exc.problem_mark)
            self.report.add(Diagnostic(Severity.ERROR, display, line, column, (), exc.message, exc.hint))
            return None
        except yaml.MarkedYAMLError as exc:
            line, column = _mark(exc.problem_mark or exc.context_mark)
            if exc.context == "expected a single document in the stream":
                self.report.add(
                    Diagnostic(
                        Severity.ERROR,
                        display,
                        line,
                        column,
                        (),
                        "the file holds more than one YAML document",
                        "keep one document per file: remove the '---' and what follows",
                    )
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
                self.report.add(
                    Diagnostic(
                        Severity.ERROR,
                        display,
                        line,
                        column,
                        (),
                        f"malformed YAML: the string that opens with {quote} here is never closed",
                        f"end it with {quote} (a {quote} inside it is written {inner})",
                    )
                )
                return None
            problem = exc.problem or exc.context or "malformed YAML"
            self.report.add(
                Diagnostic(
                    Severity.ERROR,
                    display,
                    line,
                    column,
                    (),
                    f"malformed YAML: {problem}",
                    "fix the syntax at this position (indentation, quotes, colons)",
                )
            )
            return None
        except yaml.reader.ReaderError as exc:
            line, column = _line_column(text, exc.position)
            character = exc.character if isinstance(exc.character, int) else ord(exc.character)
            self.report.add(
                Diagnostic(
                    Severity.ERROR,
                    display,
                    line,
                    column,
                    (),
                    f"malformed YAML: the control character U+{character:04X} is not allowed",
                    "remove it; inside a double-quoted string write it as an escape",
                )
            )
            return None
        except yaml.YAMLError as exc:
            self.report.add(
                Diagnostic(Severity.ERROR, display, 1, 1, (), "malformed YAML: " + " ".join(str(exc).split()), None)
            )
            return None
        except json.JSONDecodeError as exc:
            self.report.add(
                Diagnostic(
                    Severity.ERROR,
                    display,
                    exc.lineno,
                    exc.colno,
                    (),
                    f"malformed JSON: {_json_problem(exc)}",
                    "fix the syntax at this position",
                )
            )
            return None
        except _DuplicateJsonKey as exc:
            self.report.add(
                Diagnostic(
                    Severity.ERROR,
                    display,
                    *_json_key_position(text, exc.key),
                    (),
                    f"duplicate key {exc.key!r} in an object",
                    "a key may appear only once in a JSON object",
                )
            )
            return None
        except (_TooDeep, RecursionError) as exc:
            message = f"the document nests mappings and lists more than {MAX_DEPTH} levels deep"
            hint = "flatten the structure, or name nested schemas as components and use $ref"
            if isinstance(exc, _TooDeep) and exc.path:
                self.report.add(SourceFile(path, display, text, None).diagnostic(exc.path, message, hint))
            else:
                line, column = (exc.line, exc.column) if isinstance(exc, _TooDeep) else (1, 1)
                self.report.add(Diagnostic(Severity.ERROR, display, line, column, (), message, hint))
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
                self.report.add(
                    Diagnostic(
                        Severity.ERROR,
                        display,
                        1,
                        1,
                        (),
                        f"YAML aliases expand the document to more than {max(MAX_VALUES, len(text))} values (an alias bomb?)",
                        "write the values out instead of nesting anchors in anchors",
                    )
                )
            return None
        except ValueError as exc:  # an integer beyond Python's digit limit (PyYAML and json raise it)
            line, column = _long_number_position(text)
            self.report.add(
                Diagnostic(
                    Severity.ERROR,
                    display,
                    line,
                    column,
                    (),
                    f"cannot read a value: {' '.join(str(exc).split(';')[0].split())}",
                    "write very long numbers as strings",
                )
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
