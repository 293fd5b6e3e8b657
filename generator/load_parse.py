"""Text to data for stage 1, load (see load): YAML through libyaml's C loader where
present, JSON with its exact error positions, and the limits every document is held
to (nesting depth, values after alias expansion) so a hostile file is refused with a
diagnostic, never a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import yaml

from .diagnostics import JsonPath

try:  # pragma: no branch - depends on how PyYAML was built
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

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
