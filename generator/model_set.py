"""The classes models.py defines: their names, the schemas they come from, and the
named Literal aliases defined once there (``ir.types.Alias``).

Filled by ``schemas.collect_models`` (the resolve stage), completed by ``emit_models``
(which classes datamodel-code-generator really defines), read by type inference and
analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .diagnostics import JsonPath
from .ir.types import ALIAS_THRESHOLD, Alias, Lit, Scalar, lit
from .pycode import pascal_case

if TYPE_CHECKING:
    from .asyncapi_model import AsyncChannel, AsyncMessage, AsyncSource
    from .resolve import Operation, SchemaLoc

COMPONENT_PREFIX = ("components", "schemas")


def class_name(text: str) -> str:
    """A model class name: PascalCase, never a name models.py itself imports."""
    name = pascal_case(text)
    if name in _RESERVED_CLASS_NAMES:
        name += "Model"
    return name


_RESERVED_CLASS_NAMES = {
    "BaseModel",
    "Field",
    "RootModel",
    "Any",
    "Literal",
    "Annotated",
    "Enum",
    "ConfigDict",
    "AnyUrl",
    "AwareDatetime",
    "Optional",
    "Union",
    "List",
    "Dict",
    "None",
    "True",
    "False",
    "Model",  # the base class every generated model derives from (emit_models.py)
    "TypeAlias",  # models.py imports these two for its aliases and root models (emit_models.py)
    "TypeVar",
}


@dataclass
class ModelSet:
    """The schemas that become classes in models.py."""

    schemas: dict[str, Any] = field(default_factory=dict)  # class name -> JSON schema (refs rewritten)
    names: dict[tuple[str, JsonPath], str] = field(default_factory=dict)  # (file, path) -> class name
    roots: dict[tuple[str, JsonPath, str], str] = field(
        default_factory=dict
    )  # (file, operation path, status) -> class name
    webhooks: list[str] = field(default_factory=list)
    #: the schemas that are classes in models.py (``predict_classes``; None until collected)
    defined: set[str] | None = None
    #: (AsyncAPI source key, channel key, message key) -> the class of the message's payload
    #: (the source key is its name; qualified in a linked document, as AsyncSource.key)
    message_models: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: the same for the message's headers schema
    header_models: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: (AsyncAPI source key, channel key) -> the root model whose value is one of the channel's
    #: payload classes (``<Channel>Message``, a union), for a channel carrying several
    message_unions: dict[tuple[str, str], str] = field(default_factory=dict)
    #: alias name -> the Literal it names: every enum of more than ``ALIAS_THRESHOLD``
    #: members in these schemas, defined once in models.py (see ``name_large_enums``)
    aliases: dict[str, Alias] = field(default_factory=dict)

    def alias_for(self, literal: Lit) -> Alias | None:
        """The alias models.py defines for exactly these members, if any."""
        return next((a for a in self.aliases.values() if a.target.key_set == literal.key_set), None)

    def name_of(self, loc: SchemaLoc) -> str | None:
        return self.names.get((str(loc.file.path), loc.path))

    def message_model(
        self,
        source: AsyncSource,
        channel: AsyncChannel,
        message: AsyncMessage,
        part: Literal["payload", "headers"] = "payload",
    ) -> str | None:
        """The model class of a message's payload (or headers), if models.py has one (a
        payload that is not an object, a string say, has no class once emitted)."""
        table = self.message_models if part == "payload" else self.header_models
        return self._if_defined(table.get((source.key, channel.key, message.key)))

    def message_union(self, source: AsyncSource, channel: AsyncChannel) -> str | None:
        """The union root model of a channel with several payload classes, if models.py has one."""
        return self._if_defined(self.message_unions.get((source.key, channel.key)))

    def _if_defined(self, name: str | None) -> str | None:
        if name is not None and self.defined is not None and name not in self.defined:
            return None
        return name

    def name_of_root(self, op: Operation, status: str) -> str | None:
        """The model class of an operation's response schema, if models.py has one."""
        name = self.roots.get((str(op.source.file.path), op.json_path, status))
        if name is not None and self.defined is not None and name not in self.defined:
            return None
        return name


def is_component(path: JsonPath) -> bool:
    return len(path) == 3 and path[:2] == COMPONENT_PREFIX


def name_large_enums(models: ModelSet) -> None:
    """Name every enum of scalars with more than ``ALIAS_THRESHOLD`` members in the model
    schemas (a list of languages or of call end reasons), so that models.py defines
    it once and both its classes and the Outputs of workflows refer to it by name.

    The name is the enum's title (a short one: a name, not a sentence), else a class's and the property path's (``Call``
    ``endedReason``: ``CallEndedReason``); where the same members appear in several
    places, the shortest such name (then the first in alphabetical order)."""
    found: dict[frozenset[tuple[type, Scalar]], tuple[Lit, list[str]]] = {}
    for owner in sorted(models.schemas):
        stack: list[tuple[Any, str]] = [(models.schemas[owner], owner)]
        while stack:
            node, where = stack.pop()
            if isinstance(node, list):
                stack.extend((child, where) for child in reversed(node))
                continue
            if not isinstance(node, dict):
                continue
            enum = node.get("enum")
            if isinstance(enum, list) and all(isinstance(v, (str, int, bool)) or v is None for v in enum):
                literal = lit(v for v in enum if v is not None)
                if len(literal.values) > ALIAS_THRESHOLD:
                    title = node.get("title")
                    named = class_name(title) if isinstance(title, str) and 0 < len(title.split()) <= 4 else None
                    found.setdefault(literal.key_set, (literal, []))[1].append(named or class_name(where))
            children: list[tuple[Any, str]] = []
            for key, child in node.items():
                if key == "properties" and isinstance(child, dict):
                    children += [(schema, where + pascal_case(str(name))) for name, schema in child.items()]
                elif key == "items":
                    children.append((child, where + "Item"))
                elif key == "additionalProperties":
                    children.append((child, where + "Value"))
                elif key in ("oneOf", "anyOf", "allOf", "not"):
                    children.append((child, where))
            stack.extend(reversed(children))
    for literal, names in sorted(found.values(), key=lambda entry: min((len(n), n) for n in entry[1])):
        name = _free_alias_name(models, min(names, key=lambda n: (len(n), n)))
        models.aliases[name] = Alias(name, literal)


#: CamelCase names workflows.py imports (analysis.common.MODULE_NAMES, and the runtime's
#: errors): an alias of the same name would shadow them.
_WORKFLOWS_NAMES = frozenset(
    {"SERVERS", "Awaitable", "Callable", "Mapping", "TypeAlias", "InvalidInput", "StepFailed", "StepTimedOut"}
    | {"WorkflowError", "WorkflowTimeout", "Message", "Transport", "AsyncTransport"}
)


def _free_alias_name(models: ModelSet, base: str) -> str:
    """``base``, else ``<base>Values``, ``<base>Values2``, ...: never a class's name, nor
    a name workflows.py imports (it defines the aliases it uses too)."""
    name, counter = base, 1
    while name in models.schemas or name in models.aliases or name in _WORKFLOWS_NAMES:
        name = f"{base}Values" + (str(counter) if counter > 1 else "")
        counter += 1
    return name


def predict_classes(models: ModelSet) -> set[str]:
    """The schemas datamodel-code-generator makes classes of, known before it runs (so
    analysis does not wait for models.py): every object schema (``type: object``,
    ``properties`` or ``allOf``), and every other schema (a list, a union, an enum, a
    constrained string) that no other schema references.  A referenced one is a root
    model that ``collapse_root_models`` folds into the fields that use it: no class.
    ``emit_models`` checks the rendered module against this."""
    referenced: set[str] = set()
    for name, schema in models.schemas.items():
        referenced |= _component_refs(schema) - {name}
    return {name for name, schema in models.schemas.items() if _object_like(schema) or name not in referenced}


def _object_like(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return (
        kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema or "allOf" in schema
    )


_PREFIX = "#/components/schemas/"
#: Keywords whose value is data, not schemas (as schemas._DATA_KEYWORDS).
_DATA = frozenset({"example", "examples", "default", "enum", "const"})


def _component_refs(schema: Any) -> set[str]:
    """The class names a (rewritten) schema references."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_PREFIX):
                found.add(ref[len(_PREFIX) :])
            stack.extend(v for k, v in node.items() if not (isinstance(k, str) and (k.startswith("x-") or k in _DATA)))
        elif isinstance(node, list):
            stack.extend(node)
    return found
