"""arazzo_codegen.inputs: an inputs schema compiled to the checks the runtime runs."""

from __future__ import annotations

import re

from arazzo_codegen.inputs import compile_schema, ecma_pattern


def compiled(schema: object) -> tuple[dict[str, object], list[str]]:
    warnings: list[str] = []
    return compile_schema(schema, warnings.append), warnings


def test_openapi_3_0_boolean_exclusive_bounds_and_nullable() -> None:
    checks, _ = compiled({"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 9, "nullable": True})
    assert checks == {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 9}


def test_unchecked_keywords_are_left_out() -> None:
    checks, _ = compiled({"type": "string", "description": "x", "format": "password", "allOf": [{"minLength": 3}], "minLength": -1})
    assert checks == {"type": ["string"]}
    assert compiled({"$ref": "#/components/schemas/X"})[0] == {}


def test_a_pattern_python_cannot_run_warns_and_is_not_checked() -> None:
    checks, warnings = compiled({"type": "string", "pattern": "(?<=a+)b"})  # variable-width lookbehind
    assert "pattern" not in checks and "regex" not in checks
    assert len(warnings) == 1 and "is not an ECMA-262 regular expression Python can run" in warnings[0]
    assert compiled({"type": "string", "pattern": "^(?<name>a)\\k<name>$"})[0]["regex"] == "(?a)^(?P<name>a)(?P=name)\\Z"


def test_ecma_dollar_is_the_end_of_the_text() -> None:
    assert re.search(ecma_pattern("^a$"), "a\n", re.ASCII) is None
    assert re.search(ecma_pattern("^a[$]\\$$"), "a$$", re.ASCII) is not None
    assert re.search(ecma_pattern("^\\d$"), "٣", re.ASCII) is None
