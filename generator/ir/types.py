"""Python types of generated code, as a small tree.

A type is built from schemas (``schemas.TypeInferrer``) and from what analysis knows
about a value (a status code is an ``int``, a header ``str | None``), combined
structurally (``union``), compared structurally (``fits``) and printed once
(``render``).  Nothing here reads type text back.

The nodes: ``Named`` (a builtin or an imported name: ``str``, ``AwareDatetime``),
``Lit`` (``Literal[...]``), ``ListOf``, ``DictOf`` (string keys), ``ModelRef`` (a class
in models.py), ``Alias`` (a large ``Literal`` under a name: models.py defines it for its
classes, workflows.py for what it uses, see ``emit_models`` and ``analysis.module``),
``AnyType``, ``NoneType`` and ``Union`` (flat, at least two members, ``None`` last).

``PyType`` wraps a tree with the API the rest of the generator uses: ``text``,
``uses_models``, ``optional``, ``or_none()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeAlias

from ..pycode import py_str

#: A member of a ``Literal``.
Scalar: TypeAlias = str | int | bool

#: The type of a ``format: date-time`` string, in models.py (emit_models passes it to
#: datamodel-code-generator) and in Outputs models alike; inputs and the values of step
#: outputs stay the strings sent on the wire (see ``wire``).
DATETIME_NAME = "AwareDatetime"

#: A ``Literal`` with more members than this is written once in a module, as a named
#: alias, and referred to by name.
ALIAS_THRESHOLD = 30


class Type:
    """A node of the type tree (frozen, compared structurally)."""

    __slots__ = ()


@dataclass(frozen=True)
class Named(Type):
    """A builtin or imported type named as is: ``str``, ``int``, ``AwareDatetime``."""

    name: str


@dataclass(frozen=True, eq=False)
class Lit(Type):
    """``Literal[v1, v2, ...]``: distinct members, in order (``1`` and ``True`` differ)."""

    values: tuple[Scalar, ...]

    @cached_property
    def keys(self) -> tuple[tuple[type, Scalar], ...]:
        return tuple((type(v), v) for v in self.values)

    @cached_property
    def key_set(self) -> frozenset[tuple[type, Scalar]]:
        """The members, order left out: two Literals with the same ``key_set`` are the same type."""
        return frozenset(self.keys)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lit) and self.keys == other.keys

    def __hash__(self) -> int:
        return hash(self.keys)


@dataclass(frozen=True)
class ListOf(Type):
    item: Type


@dataclass(frozen=True)
class DictOf(Type):
    """``dict[str, value]`` (JSON objects have string keys)."""

    value: Type


@dataclass(frozen=True)
class ModelRef(Type):
    """A class of models.py: ``models.<name>``."""

    name: str


@dataclass(frozen=True)
class Alias(Type):
    """``target`` (a Literal) under ``name``, defined once in the module that uses it:
    models.py and workflows.py define their own (importing workflows.py must not import
    models.py, which for a large API takes most of a second)."""

    name: str
    target: Lit


@dataclass(frozen=True)
class AnyType(Type):
    pass


@dataclass(frozen=True)
class NoneType(Type):
    pass


@dataclass(frozen=True)
class Union(Type):
    """``a | b | ...``: flat, no Any, distinct members, ``None`` (if any) last."""

    members: tuple[Type, ...]


ANY_T = AnyType()
NONE_T = NoneType()
STR_T = Named("str")
INT_T = Named("int")
FLOAT_T = Named("float")
BOOL_T = Named("bool")
DATETIME_T = Named(DATETIME_NAME)


def lit(values: Iterable[Scalar]) -> Lit:
    """A Literal of ``values``, repeats dropped (by type and value)."""
    seen: set[tuple[type, Scalar]] = set()
    out: list[Scalar] = []
    for value in values:
        if (type(value), value) not in seen:
            seen.add((type(value), value))
            out.append(value)
    return Lit(tuple(out))


# -- rendering ------------------------------------------------------------------------


def render_scalar(value: Scalar) -> str:
    return py_str(value) if isinstance(value, str) else repr(value)


def render(t: Type) -> str:
    """Python source of the type, as generated code writes it."""
    if isinstance(t, Named):
        return t.name
    if isinstance(t, Lit):
        return "Literal[" + ", ".join(render_scalar(v) for v in t.values) + "]"
    if isinstance(t, ModelRef):
        return f"models.{t.name}"
    if isinstance(t, Alias):
        return t.name
    if isinstance(t, ListOf):
        return f"list[{render(t.item)}]"
    if isinstance(t, DictOf):
        return f"dict[str, {render(t.value)}]"
    if isinstance(t, Union):
        return " | ".join(render(m) for m in t.members)
    if isinstance(t, NoneType):
        return "None"
    return "Any"


# -- structure ------------------------------------------------------------------------


def members(t: Type) -> tuple[Type, ...]:
    """The members of a union; a single member otherwise."""
    return t.members if isinstance(t, Union) else (t,)


def union(types: Iterable[Type], aliases: Iterable[Alias] = ()) -> Type:
    """The union of ``types``: Any absorbs everything; members flattened and distinct;
    every Literal merged into one, written first (its string members dropped where
    ``str`` is a member); ``None`` last.  A merged Literal whose members are exactly an
    alias's (one of ``aliases``, or of the Alias members merged) is that alias."""
    parts: list[Type] = []
    literal: list[Scalar] = []
    known = list(aliases)
    optional = False
    for t in types:
        if isinstance(t, AnyType):
            return ANY_T
        for part in members(t):
            if isinstance(part, NoneType):
                optional = True
            elif isinstance(part, (Lit, Alias)):
                literal += (part.target if isinstance(part, Alias) else part).values
                if isinstance(part, Alias):
                    known.append(part)
            elif part not in parts:
                parts.append(part)
    merged = lit(v for v in literal if not (isinstance(v, str) and STR_T in parts))
    if merged.values:
        parts.insert(0, next((a for a in known if a.target.key_set == merged.key_set), merged))
    if optional:
        parts.append(NONE_T)
    if not parts:
        return NONE_T
    return parts[0] if len(parts) == 1 else Union(tuple(parts))


def non_none(t: Type) -> Type:
    """``t`` without a top-level ``None`` (``None`` itself stays)."""
    if isinstance(t, Union) and NONE_T in t.members:
        rest = tuple(m for m in t.members if m != NONE_T)
        return rest[0] if len(rest) == 1 else Union(rest)
    return t


def is_optional(t: Type) -> bool:
    return isinstance(t, NoneType) or (isinstance(t, Union) and NONE_T in t.members)


def walk(t: Type) -> Iterable[Type]:
    """``t`` and every node below it."""
    stack = [t]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Union):
            stack.extend(reversed(node.members))
        elif isinstance(node, ListOf):
            stack.append(node.item)
        elif isinstance(node, DictOf):
            stack.append(node.value)
        elif isinstance(node, Alias):
            stack.append(node.target)


def uses_models(t: Type) -> bool:
    return any(isinstance(n, ModelRef) for n in walk(t))


def replace_named(t: Type, fn: Callable[[Named], Type]) -> Type:
    """``t`` with every Named node ``n`` replaced by ``fn(n)`` (unions re-normalised)."""
    if isinstance(t, Named):
        return fn(t)
    if isinstance(t, ListOf):
        return ListOf(replace_named(t.item, fn))
    if isinstance(t, DictOf):
        return DictOf(replace_named(t.value, fn))
    if isinstance(t, Union):
        return union(replace_named(m, fn) for m in t.members)
    return t


def wire(t: Type) -> Type:
    """The type of the value as held before an Outputs model parses it: a date-time is its string."""
    return replace_named(t, lambda n: STR_T if n == DATETIME_T else n)


def literal_values(t: Type) -> tuple[Scalar, ...] | None:
    """The members of a Literal (or of a Literal alias); None for any other type."""
    if isinstance(t, Alias):
        return t.target.values
    if isinstance(t, Lit):
        return t.values
    return None


def scalar_of(value: Scalar) -> str:
    """The builtin type name of a Literal member."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "str"
    return "int"


def scalar_kind(t: Type) -> str | None:
    """The one builtin scalar type every value of ``t`` has (``str`` for a Literal of
    strings, ``int`` for ``int``); None when there is none, or several."""
    values = literal_values(t)
    if values is not None:
        kinds = {scalar_of(v) for v in values}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(t, Named) and t.name in ("str", "int", "float", "bool"):
        return t.name
    return None


_WIDENINGS = {(INT_T, FLOAT_T), (BOOL_T, INT_T), (BOOL_T, FLOAT_T)}


def fits(value: Type, target: Type) -> bool:
    """Whether mypy accepts a value of type ``value`` where ``target`` is declared
    (a top-level None is left to the caller: see require_input).  Conservative:
    False when unsure."""
    v, t = non_none(value), non_none(target)
    if v == t or isinstance(v, AnyType) or isinstance(t, AnyType) or (v, t) in _WIDENINGS:
        return True
    given = literal_values(v)
    if given is None:
        return False
    wanted = literal_values(t)
    if wanted is not None:
        return {(type(m), m) for m in given} <= {(type(m), m) for m in wanted}
    return isinstance(t, Named) and all(
        scalar_of(m) == t.name or (t == FLOAT_T and scalar_of(m) == "int") for m in given
    )


# -- the generator's handle on a type -----------------------------------------------


#: Type texts other modules still write (``PyType("str")``); each is a tree here.
_KNOWN_TEXTS: dict[str, Type] = {
    "Any": ANY_T,
    "None": NONE_T,
    "str": STR_T,
    "int": INT_T,
    "float": FLOAT_T,
    "bool": BOOL_T,
    DATETIME_NAME: DATETIME_T,
    "str | None": Union((STR_T, NONE_T)),
    "list[Any]": ListOf(ANY_T),
    "dict[str, Any]": DictOf(ANY_T),
}


@dataclass(frozen=True, init=False)
class PyType:
    """A Python type expression for generated code: a tree, printed as ``text``."""

    tree: Type

    def __init__(self, tree: Type | str, uses_models: bool = False, optional: bool = False) -> None:
        """``tree``, or one of a few plain type texts (``"str"``, ``"list[Any]"``, ...) for
        callers that name a builtin type (the constants below say it without text).
        ``uses_models`` and ``optional`` follow from the tree; given as True, they
        must agree with it."""
        if isinstance(tree, str):
            known = _KNOWN_TEXTS.get(tree)
            if known is None:
                raise ValueError(f"not a known type text: {tree!r}; build the type from generator.ir.types nodes")
            tree = known
        object.__setattr__(self, "tree", tree)
        if (uses_models and not self.uses_models) or (optional and not self.optional):
            raise ValueError(f"{self.text} does not use models / is not optional as its caller says")

    @cached_property
    def text(self) -> str:
        return render(self.tree)

    @property
    def uses_models(self) -> bool:
        return uses_models(self.tree)

    @property
    def optional(self) -> bool:
        return is_optional(self.tree)

    @property
    def uses_datetime(self) -> bool:
        return any(n == DATETIME_T for n in walk(self.tree))

    def or_none(self) -> PyType:
        if self.optional or isinstance(self.tree, AnyType):
            return self
        return PyType(union((self.tree, NONE_T)))

    def bare(self) -> PyType:
        """The type without a top-level None."""
        return PyType(non_none(self.tree))

    def wire(self) -> PyType:
        return PyType(wire(self.tree))

    def fits(self, target: PyType) -> bool:
        return fits(self.tree, target.tree)

    def scalar_kind(self) -> str | None:
        """See ``scalar_kind``; a top-level None left out."""
        return scalar_kind(non_none(self.tree))


ANY = PyType(ANY_T)
STR = PyType(STR_T)
INT = PyType(INT_T)
FLOAT = PyType(FLOAT_T)
BOOL = PyType(BOOL_T)
NONE = PyType(NONE_T)
OPTIONAL_STR = PyType(Union((STR_T, NONE_T)))
LIST_ANY = PyType(ListOf(ANY_T))
DICT_ANY = PyType(DictOf(ANY_T))


def py_union(types: Iterable[PyType], aliases: Iterable[Alias] = ()) -> PyType:
    return PyType(union((t.tree for t in types), aliases))
