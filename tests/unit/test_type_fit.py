"""Which values the generated call of another workflow passes plainly (mypy accepts
them) and which it casts with a warning."""

from __future__ import annotations

import pytest

from arazzo_codegen.analyze import _fits
from arazzo_codegen.schemas import PyType


@pytest.mark.parametrize(
    ("value", "target", "fits"),
    [
        ("str", "str", True),
        ("Any", "Literal['a']", True),
        ("str", "Any", True),
        ("int", "float", True),
        ("bool", "int", True),
        ("float", "int", False),
        ("str", "int", False),
        ("str", "Literal['eu', 'us']", False),
        ("Literal['eu']", "Literal['eu', 'us']", True),
        ("Literal['eu', 'fr']", "Literal['eu', 'us']", False),
        ("Literal['eu', 'us']", "str", True),
        ("Literal[1, 2]", "int", True),
        ("Literal[1, 2]", "float", True),
        ("Literal[1, 'a']", "str", False),
        ("Literal[True]", "bool", True),
        ("str | None", "str", True),  # None is checked apart (require_input)
        ("models.Pet", "models.Pet", True),
        ("models.Pet", "models.Dog", False),
        ("list[str]", "list[Any]", False),  # conservative: unsure means cast
    ],
)
def test_fits(value: str, target: str, fits: bool) -> None:
    assert _fits(PyType(value), PyType(target)) is fits
