"""``arazzo-codegen upgrade``: rewrite an Arazzo 1.0.x document as 1.1.0.

The document's text is edited in place, scalar by scalar (each edit replaces the
characters of one YAML/JSON scalar), so comments, key order, indentation, quoting and
line breaks outside the edited values stay byte for byte.  After the edits the new
text is parsed again and must hold exactly the data that was meant; otherwise the
edits are redone with quoted scalars, and failing that the upgrade is refused.

What is rewritten (each rewrite keeps the meaning the 1.0 document had here):

- ``arazzo: 1.0.x`` becomes ``1.1.0``.
- JSONPath conditions, whose root changes in 1.1: arazzo-codegen runs a 1.0 query
  over the context wrapped in a one-element array, a 1.1 query over the context
  itself.  ``$[0]...`` / ``$[*]...`` become ``$...``; a whole-query filter
  ``$[?P]`` (P tests the context through ``@``) becomes ``$[?P']`` with that ``@``
  written ``$``; ``$..name`` stays.  The comparison quirk ``$.status == 'x'`` is read
  as the 1.0 compiler reads it (``$[?@.status == 'x']``) first.
- ``{$`` in regex conditions (text in 1.0, substituted in 1.1) becomes ``[{]$``; in a
  JSONPath string literal ``{`` becomes ``\\u007b``.

What needs a human (listed as warnings with file:line:column, never guessed): a filter
whose 1.1 spelling differs when the context has no members (``$[?@.x != 'a']``), other
JSONPath roots, ``{$`` in XPath conditions or inside a regex character class,
``$components.inputs.<name>`` (1.1 reaches inputs only through ``$ref``), and input
names or ids the 1.1 expression grammar cannot name, and ``$sourceDescriptions.x.url``
(or ``.name``, ``.type``) where source ``x`` also has an operation of that id.

The text edits and their checks are here; upgrade_tree reads the YAML node tree,
upgrade_conditions rewrites condition text.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .diagnostics import Diagnostic, JsonPath, Severity, format_json_path
from .upgrade_conditions import _jsonpath_braces, _jsonpath_root, _matches_empty, _regex_braces
from .upgrade_tree import (
    _all_mappings,
    _as_member,
    _criteria,
    _criterion_type,
    _expected,
    _get,
    _ids_of,
    _input_names,
    _render,
    _scalars,
    _seq_items,
)

TARGET_VERSION = "1.1.0"
_VERSION_1_0 = re.compile(r"^1\.0\.\d+(-.+)?$")
_VERSION_1_1 = re.compile(r"^1\.1\.\d+(-.+)?$")
#: 1.1 ABNF: identifier (inputs, outputs) and id-strict (steps, workflows, sources).
_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")
_ID_STRICT = re.compile(r"^[A-Za-z0-9_-]+$")
_DOTTED_INPUT = re.compile(r"\$inputs\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)(#(?:/[^\s{}#/]*)*)?")
_STEP_OUTPUT = re.compile(r"\$steps\.([A-Za-z0-9_-]+)\.outputs")
_SOURCE_REF = re.compile(r"\$sourceDescriptions\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_SOURCE_FIELDS = frozenset({"name", "url", "type", "description"})
_COMPONENT_INPUTS = re.compile(r"\$components\.inputs\.([^\s{}#]+)")
# The 1.0 compiler's reading of ``$.a.b == 'x'`` (generator/analysis/common.py, _JSONPATH_QUIRK).
_JSONPATH_QUIRK = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])+)\s*(==|!=|<=|>=|<|>)\s*(.+)$", re.DOTALL)
_GOESSNER = "draft-goessner-dispatch-jsonpath-00"


@dataclass
class Upgraded:
    """The outcome for one document."""

    display: str
    old: str
    new: str
    version: str = ""
    notes: list[Diagnostic] = field(default_factory=list)  # warnings: for a human
    errors: list[Diagnostic] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # one line per rewrite

    @property
    def changed(self) -> bool:
        return self.new != self.old

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"a/{self.display}",
            tofile=f"b/{self.display}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


@dataclass
class _Edit:
    node: yaml.ScalarNode
    value: str  # the new value of the scalar
    path: JsonPath


class _Upgrader:
    def __init__(self, text: str, display: str, is_json: bool, folder: Path | None = None) -> None:
        self.folder = folder
        self.text = text
        self.display = display
        self.is_json = is_json
        self.edits: list[_Edit] = []
        self.result = Upgraded(display, text, text)

    # -- positions and diagnostics ------------------------------------------------
    def note(self, node: yaml.Node | None, path: JsonPath, message: str, hint: str | None = None) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        self.result.notes.append(Diagnostic(Severity.WARNING, self.display, line, column, path, message, hint))

    def error(self, node: yaml.Node | None, path: JsonPath, message: str, hint: str | None = None) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        self.result.errors.append(Diagnostic(Severity.ERROR, self.display, line, column, path, message, hint))

    # -- the run ------------------------------------------------------------------
    def run(self) -> Upgraded:
        try:
            # JSON may indent with tabs, which YAML refuses; a raw tab in JSON is always
            # whitespace (inside a string it must be escaped), so a space in its place
            # keeps every offset.
            root = yaml.compose(self.text.replace("\t", " ") if self.is_json else self.text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            self.result.errors.append(
                Diagnostic(
                    Severity.ERROR,
                    self.display,
                    line,
                    column,
                    (),
                    f"cannot parse the document: {getattr(exc, 'problem', None) or exc}",
                )
            )
            return self.result
        if not isinstance(root, yaml.MappingNode):
            self.error(root, (), "not an Arazzo document (the root is not a mapping)")
            return self.result
        version_node = _get(root, "arazzo")
        version = version_node.value if isinstance(version_node, yaml.ScalarNode) else None
        if version is None:
            self.error(
                root,
                (),
                "not an Arazzo document: there is no 'arazzo' version field",
                "an Arazzo 1.0 document starts with 'arazzo: 1.0.1'",
            )
            return self.result
        self.result.version = version
        if _VERSION_1_1.match(version):
            return self.result  # already 1.1: upgrading again changes nothing
        if not _VERSION_1_0.match(version):
            self.error(
                version_node,
                ("arazzo",),
                f"cannot upgrade Arazzo {version!r}: only 1.0.x documents are upgraded",
                "the document must say 'arazzo: 1.0.0' or 'arazzo: 1.0.1'",
            )
            return self.result
        assert isinstance(version_node, yaml.ScalarNode)
        self.edits.append(_Edit(version_node, TARGET_VERSION, ("arazzo",)))
        self.result.changes.append(f"arazzo: {version} -> {TARGET_VERSION}")
        for path, criterion in _criteria(root):
            self.criterion(path, criterion)
        self.names(root)
        self.dotted_inputs(root)
        self.components_inputs(root)
        self.embedded_nulls(root)
        self.source_fields(root)
        self.mapping_values(root)
        self.selector_shapes(root)
        self.forward_references(root)
        self.apply(root)
        return self.result

    # -- criteria -----------------------------------------------------------------
    def criterion(self, path: JsonPath, node: yaml.MappingNode) -> None:
        condition = _get(node, "condition")
        if not isinstance(condition, yaml.ScalarNode):
            return
        kind, version = _criterion_type(node)
        where = path + ("condition",)
        text = condition.value
        if kind == "jsonpath":
            self.jsonpath(condition, where, text, version)
        if kind == "regex" and _matches_empty(text):
            self.note(
                condition,
                where,
                f"regex condition {text!r} matches empty text: in Arazzo 1.0 a null context is matched as '' (the criterion holds), in 1.1 a null context fails",
                "check that the context is never null, or make the pattern need a character",
            )
        if kind == "regex" and "{$" in text:
            fixed = _regex_braces(text)
            if fixed is None:
                self.note(
                    condition,
                    where,
                    f"regex condition {text!r} holds '{{$' inside a character class: Arazzo 1.1 substitutes '{{$...}}' in regex conditions, and there is no escape",
                    "move the '{' out of the class as '[{]'",
                )
            else:
                self.edit(
                    condition,
                    where,
                    fixed,
                    f"{format_json_path(where)}: regex '{{$' written '[{{]$' (1.1 would substitute it)",
                )
        elif kind == "xpath" and "{$" in text:
            self.note(
                condition,
                where,
                f"XPath condition {text!r} holds '{{$': Arazzo 1.1 substitutes '{{$...}}' in XPath conditions, and there is no escape",
                "build the text with concat('{', '$...') or drop the brace",
            )

    def jsonpath(self, node: yaml.ScalarNode, where: JsonPath, text: str, version: str | None) -> None:
        query = text.strip()
        quirk = _JSONPATH_QUIRK.match(query)
        if quirk:
            steps, op, literal = quirk.groups()
            query = f"$[?@{steps} {op} {literal.strip()}]"
        if "{" in query:
            braced = _jsonpath_braces(query)
            if braced is None:
                self.note(
                    node,
                    where,
                    f"JSONPath condition {text!r} holds '{{' outside a string: 1.1 substitutes '{{$...}}' in conditions",
                )
                return
            query = braced
        try:
            outcome = _jsonpath_root(query, goessner=version == _GOESSNER)
        except ValueError:
            return  # a malformed query: compiling reports it, in 1.0 and in 1.1 alike
        if outcome is None:
            self.note(
                node,
                where,
                f"JSONPath condition {text!r}: its root changes meaning in Arazzo 1.1 (1.0: the context wrapped in a one-element array; 1.1: the context itself)",
                "rewrite it by hand for the 1.1 root: '$[?@.status == 'ended']' becomes '$[?$.status == 'ended']', '$[0].items' becomes '$.items'",
            )
            return
        fixed, exact = outcome
        if not exact:
            self.note(
                node,
                where,
                f"JSONPath condition {text!r} becomes {fixed!r} for the 1.1 root; the two differ when the context has no members (an empty object or array, or a scalar)",
                "check that the context always has members, or rewrite the condition (e.g. as a simple condition)",
            )
        if fixed != text:
            self.edit(
                node,
                where,
                fixed,
                f"{format_json_path(where)}: JSONPath {text!r} -> {fixed!r} (1.1 root is the context itself)",
            )

    # -- names the 1.1 grammar cannot reach -----------------------------------------
    def names(self, root: yaml.MappingNode) -> None:
        for path, workflow in _seq_items(root, ("workflows",)):
            wid = _get(workflow, "workflowId")
            if isinstance(wid, yaml.ScalarNode) and not _ID_STRICT.match(wid.value):
                self.note(
                    wid,
                    path + ("workflowId",),
                    f"workflowId {wid.value!r} is not an id of the Arazzo 1.1 grammar ([A-Za-z0-9_-]+): '$workflows.{wid.value}...' cannot name it",
                    "rename the workflow (and every reference to it)",
                )
            for spath, step in _seq_items(workflow, ("steps",), path):
                sid = _get(step, "stepId")
                if isinstance(sid, yaml.ScalarNode) and not _ID_STRICT.match(sid.value):
                    self.note(
                        sid,
                        spath + ("stepId",),
                        f"stepId {sid.value!r} is not an id of the Arazzo 1.1 grammar ([A-Za-z0-9_-]+): '$steps.{sid.value}.outputs...' cannot name it",
                        "rename the step (and every reference to it)",
                    )
            props = _get(_get(workflow, "inputs"), "properties")
            if isinstance(props, yaml.MappingNode):
                for key, _ in props.value:
                    if isinstance(key, yaml.ScalarNode) and not _IDENTIFIER.match(key.value):
                        self.note(
                            key,
                            path + ("inputs", "properties", key.value),
                            f"input {key.value!r} is not a name of the Arazzo 1.1 grammar ([A-Za-z0-9._-]+): '$inputs.{key.value}' cannot name it",
                            "rename the input (this changes the keyword argument of the generated function)",
                        )

    def dotted_inputs(self, root: yaml.MappingNode) -> None:
        """``$inputs.user.id`` (member ``id`` of input ``user`` in 1.0, the input named
        ``user.id`` in 1.1) written ``$inputs.user#/id``; braces in a pointer listed."""
        conditions = {id(_get(c, "condition")) for _, c in _criteria(root) if _criterion_type(c)[0] != "simple"}
        for wpath, workflow in _seq_items(root, ("workflows",)):
            declared = _input_names(root, workflow)
            for path, scalar in _scalars(workflow, wpath, skip=conditions | {id(_get(workflow, "inputs"))}):
                value = scalar.value

                fixed = _DOTTED_INPUT.sub(functools.partial(_as_member, declared=declared), value)
                if fixed != value:
                    self.edit(
                        scalar,
                        path,
                        fixed,
                        f"{format_json_path(path)}: {value!r} -> {fixed!r} (in 1.1 a dot is part of an input's name)",
                    )
                pointer = value.split("#", 1)[1] if "#" in value else ""
                if (
                    value.startswith("$")
                    and "{$" not in value
                    and not value.startswith("$sourceDescriptions.")
                    and path[-1] != "operationPath"
                    and any(c in pointer for c in "{}")
                ):
                    self.note(
                        scalar,
                        path,
                        f"{value!r}: in Arazzo 1.1 a JSON pointer may not contain '{{' or '}}', and there is no escape",
                        "read that member with a Selector Object (type: jsonpointer) once upgraded, or rename it",
                    )

    def components_inputs(self, root: yaml.MappingNode) -> None:
        for path, scalar in _scalars(root, ()):
            if path and path[0] == "components" and "inputs" in path[:2]:
                continue
            for match in _COMPONENT_INPUTS.finditer(scalar.value):
                self.note(
                    scalar,
                    path,
                    f"'{match.group(0)}' is not an expression of Arazzo 1.1 (components.inputs are reached only through $ref)",
                    f"use {{$ref: '#/components/inputs/{match.group(1)}'}} where a schema is meant",
                )

    def embedded_nulls(self, root: yaml.MappingNode) -> None:
        """One note, at the first, for the strings that embed an expression in text:
        1.1 spells an embedded null 'null', 1.0 (as compiled here) leaves it out."""
        criteria = {id(c) for _, c in _criteria(root)}
        places: list[tuple[JsonPath, yaml.ScalarNode]] = []
        for path, scalar in _scalars(root, (), skip=criteria):
            value = scalar.value
            if path and path[-1] == "operationPath":
                continue  # a source's url, never null
            if "{$" in value and not (value.startswith("{$") and value.endswith("}") and value.count("{") == 1):
                places.append((path, scalar))
        if places:
            path, first = places[0]
            lines = ", ".join(str(s.start_mark.line + 1) for _, s in places)
            self.note(
                first,
                path,
                f"{len(places)} value{'s embed' if len(places) != 1 else ' embeds'} runtime expressions in text (line{'s' if len(places) != 1 else ''} {lines}): Arazzo 1.1 writes an embedded null as 'null', 1.0 as ''",
                "the text is the same whenever the values are not null; check the ones that can be",
            )

    def source_fields(self, root: yaml.MappingNode) -> None:
        """``$sourceDescriptions.api.url`` where source ``api`` also has an operation (or
        workflow) ``url``: 1.1 reads the operation first, so the meaning may change."""
        if self.folder is None:
            return
        ids: dict[str, set[str]] = {}
        for _, desc in _seq_items(root, ("sourceDescriptions",)):
            name, url = _get(desc, "name"), _get(desc, "url")
            if isinstance(name, yaml.ScalarNode) and isinstance(url, yaml.ScalarNode) and "://" not in url.value:
                ids[name.value] = _ids_of(self.folder / url.value.split("#", 1)[0])
        for path, scalar in _scalars(root, ()):
            for match in _SOURCE_REF.finditer(scalar.value):
                source, ref = match.groups()
                if ref in _SOURCE_FIELDS and ref in ids.get(source, set()):
                    self.note(
                        scalar,
                        path,
                        f"'{match.group(0)}': source {source!r} has an operation or workflow {ref!r} too; Arazzo 1.1 reads that first, not the field {ref!r}",
                        "rename the operationId (or workflowId) if the field is meant",
                    )

    def mapping_values(self, root: yaml.MappingNode) -> None:
        """A parameter value that is a plain mapping: the 1.1 JSON Schema takes no object
        there but a Selector Object (OAI/Arazzo-Specification#559)."""
        for path, node in _all_mappings(root, ()):
            if len(path) >= 3 and path[-1] == "value" and path[-3] == "parameters" and _get(node, "selector") is None:
                self.note(
                    node,
                    path,
                    "a mapping as a parameter value: the Arazzo 1.1 JSON Schema takes no object here but a Selector Object (OAI/Arazzo-Specification#559), so 1.1 tools may refuse it",
                    "pass a JSON text string or a runtime expression, or keep the document at 1.0",
                )

    def selector_shapes(self, root: yaml.MappingNode) -> None:
        """An object of exactly ``context``, ``selector`` and ``type``: sent as written in
        1.0, a Selector Object (evaluated) in 1.1."""
        for path, node in _all_mappings(root, ()):
            keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and not k.value.startswith("x-")}
            if keys == {"context", "selector", "type"} and "criteria" not in path and "successCriteria" not in path:
                self.note(
                    node,
                    path,
                    "an object of context, selector and type: Arazzo 1.0 sends it as written, 1.1 evaluates it as a Selector Object",
                    "keep it if the selector is meant; otherwise give the object another key, or keep the document at 1.0",
                )

    def forward_references(self, root: yaml.MappingNode) -> None:
        """``$steps.X.outputs`` read by a step before X: 1.1 orders steps by such
        references (or refuses them), 1.0 reads X's outputs before X ran."""
        for wpath, workflow in _seq_items(root, ("workflows",)):
            steps = list(_seq_items(workflow, ("steps",), wpath))
            order = {}
            for index, (_, step) in enumerate(steps):
                sid = _get(step, "stepId")
                if isinstance(sid, yaml.ScalarNode):
                    order[sid.value] = index
            for index, (spath, step) in enumerate(steps):
                for path, scalar in _scalars(step, spath):
                    for match in _STEP_OUTPUT.finditer(scalar.value):
                        if order.get(match.group(1), -1) > index:
                            self.note(
                                scalar,
                                path,
                                f"'{match.group(0)}' reads the outputs of a later step: Arazzo 1.1 runs {match.group(1)!r} first (steps are ordered by output references), or refuses the reference",
                                "move the step before this one, or keep the document at 1.0",
                            )

    # -- editing --------------------------------------------------------------------
    def edit(self, node: yaml.ScalarNode, path: JsonPath, value: str, change: str) -> None:
        if node.style in ("|", ">"):
            self.note(node, path, "a block scalar is not rewritten automatically", f"write {value!r}")
            return
        self.edits.append(_Edit(node, value, path))
        self.result.changes.append(change)

    def apply(self, root: yaml.Node) -> None:
        expected = _expected(root, {id(e.node): e.value for e in self.edits})
        for quoted in (False, True):
            new = self.text
            for item in sorted(self.edits, key=lambda e: e.node.start_mark.index, reverse=True):
                rendered = _render(item.node, item.value, json_file=self.is_json, force_quotes=quoted)
                new = new[: item.node.start_mark.index] + rendered + new[item.node.end_mark.index :]
            try:
                again = yaml.safe_load(new) if not self.is_json else json.loads(new)
            except (yaml.YAMLError, ValueError):
                continue
            if again == expected:
                self.result.new = new
                return
        self.error(
            None,
            (),
            "internal: the rewritten document does not hold the upgraded values; nothing was changed",
            "please report this with the document",
        )


# -- entry points -------------------------------------------------------------------


def upgrade_text(text: str, display: str, *, is_json: bool = False, folder: Path | None = None) -> Upgraded:
    """Upgrade the text of one document (nothing is written; with ``folder``, the
    document's own, its local sources are read to check ``$sourceDescriptions`` refs)."""
    return _Upgrader(text, display, is_json, folder).run()


def upgrade_file(path: Path, display: str) -> Upgraded:
    text = path.read_bytes().decode("utf-8")  # line endings kept as they are
    return upgrade_text(text, display, is_json=path.suffix.lower() == ".json", folder=path.parent)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one rename: a temporary file beside it (same
    permissions), flushed to disk, then ``os.replace``; a failure leaves the file as it was."""
    mode = path.stat().st_mode & 0o7777
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".upgrade", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
