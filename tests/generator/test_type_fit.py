"""Which values the generated call of another workflow passes plainly (mypy accepts
them) and which it casts with a warning: ``fits`` over the type tree."""

from __future__ import annotations

import pytest
from arazzo_codegen.ir.types import (
    ANY_T,
    BOOL_T,
    FLOAT_T,
    INT_T,
    NONE_T,
    STR_T,
    Alias,
    ListOf,
    Lit,
    ModelRef,
    Type,
    Union,
    fits,
)

EU_US = Lit(("eu", "us"))


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (STR_T, STR_T, True),
        (ANY_T, Lit(("a",)), True),
        (STR_T, ANY_T, True),
        (INT_T, FLOAT_T, True),
        (BOOL_T, INT_T, True),
        (FLOAT_T, INT_T, False),
        (STR_T, INT_T, False),
        (STR_T, EU_US, False),
        (Lit(("eu",)), EU_US, True),
        (Lit(("eu", "fr")), EU_US, False),
        (EU_US, STR_T, True),
        (Lit((1, 2)), INT_T, True),
        (Lit((1, 2)), FLOAT_T, True),
        (Lit((1, "a")), STR_T, False),
        (Lit((True,)), BOOL_T, True),
        (Lit((True,)), Lit((1,)), False),  # True and 1 are different members
        (Union((STR_T, NONE_T)), STR_T, True),  # None is checked apart (require_input)
        (ModelRef("Pet"), ModelRef("Pet"), True),
        (ModelRef("Pet"), ModelRef("Dog"), False),
        (ListOf(STR_T), ListOf(ANY_T), False),  # conservative: unsure means cast
        (Lit(("eu",)), Alias("Region", EU_US), True),  # an alias is its Literal
        (Alias("Region", EU_US), STR_T, True),
    ],
)
def test_fits(value: Type, target: Type, expected: bool) -> None:
    assert fits(value, target) is expected
