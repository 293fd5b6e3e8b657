"""The type tree (generator/ir/types.py): union, rendering, wire types, PyType's API."""

from __future__ import annotations

import pytest
from arazzo_codegen.ir.types import (
    ANY,
    ANY_T,
    BOOL_T,
    DATETIME_T,
    INT_T,
    NONE_T,
    STR_T,
    Alias,
    DictOf,
    ListOf,
    Lit,
    ModelRef,
    PyType,
    Type,
    Union,
    lit,
    render,
    scalar_kind,
    union,
)


@pytest.mark.parametrize(
    ("types", "text"),
    [
        ([STR_T, INT_T], "str | int"),
        ([STR_T, NONE_T], "str | None"),
        ([NONE_T, STR_T], "str | None"),  # None goes last
        ([NONE_T], "None"),
        ([STR_T, ANY_T, INT_T], "Any"),
        ([STR_T, STR_T], "str"),
        ([Lit(("a",)), INT_T, Lit(("b", "a"))], 'Literal["a", "b"] | int'),  # Literals merge, first
        ([STR_T, Lit(("a",))], "str"),  # str absorbs string members
        ([STR_T, Lit(("a", 1))], "Literal[1] | str"),
        ([Lit((1,)), Lit((True,))], "Literal[1, True]"),
        ([Union((STR_T, NONE_T)), INT_T], "str | int | None"),
        ([ListOf(Union((STR_T, NONE_T))), ModelRef("Pet")], "list[str | None] | models.Pet"),
        ([DictOf(ANY_T)], "dict[str, Any]"),
    ],
)
def test_union_renders(types: list[Type], text: str) -> None:
    assert render(union(types)) == text


def test_literal_strings_are_escaped() -> None:
    assert render(Lit(('say "hi"', "a\\b"))) == 'Literal["say \\"hi\\"", "a\\\\b"]'


def test_lit_drops_repeats_by_type_and_value() -> None:
    assert lit(["a", "a", 1, True, 1]).values == ("a", 1, True)


def test_alias_renders_by_name_and_merges_back() -> None:
    region = Alias("Region", Lit(("eu", "us")))
    assert render(region) == "Region"  # each module that uses it defines it
    assert union([Lit(("us",)), Lit(("eu",))], [region]) == region  # the same members: the alias
    assert render(union([region, Lit(("fr",))])) == 'Literal["eu", "us", "fr"]'
    assert render(union([region, NONE_T])) == "Region | None"
    assert not PyType(region).uses_models  # workflows.py defines its own: models.py is not imported


def test_pytype_api() -> None:
    t = PyType(ModelRef("Pet"))
    assert t.text == "models.Pet" and t.uses_models and not t.optional
    assert t.or_none().text == "models.Pet | None" and t.or_none().optional
    assert t.or_none().or_none() == t.or_none()
    assert ANY.or_none() is ANY
    assert PyType(NONE_T).optional
    assert t.or_none().bare() == t
    assert PyType("str | None", optional=True) == PyType(STR_T).or_none()
    with pytest.raises(ValueError):
        PyType("Literal['a']")  # type text is never parsed
    with pytest.raises(ValueError):
        PyType("str", optional=True)  # the tree says otherwise


def test_wire_types_hold_date_times_as_strings() -> None:
    t = PyType(union([ListOf(DATETIME_T), NONE_T]))
    assert t.uses_datetime
    assert t.wire().text == "list[str] | None"
    assert PyType(union([DATETIME_T, STR_T])).wire().text == "str"


@pytest.mark.parametrize(
    ("t", "kind"),
    [(STR_T, "str"), (Lit(("a", "b")), "str"), (Lit((1, True)), None), (BOOL_T, "bool"), (ModelRef("X"), None)],
)
def test_scalar_kind(t: Type, kind: str | None) -> None:
    assert scalar_kind(t) == kind
