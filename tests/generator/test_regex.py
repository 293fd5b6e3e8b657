"""arazzo_codegen.regex: ECMA-262 patterns run by Python's re with ECMA-262's answers.

Each row: pattern, subject, whether ECMA-262 (no flags) finds a match: the answer
`new RegExp(pattern).test(subject)` gives in a JavaScript engine.  Every row marked
'py differs' is one where plain ``re.search`` answers the other way."""

from __future__ import annotations

import re

import pytest

from arazzo_codegen.regex import RegexError, ecma_pattern

CASES = [
    # pattern, subject, ECMA-262 answer, plain Python re differs
    ("^completed$", "completed\n", False, True),
    ("^completed$", "completed", True, False),
    ("^\\d+$", "\u0663\u0664", False, True),  # Arabic-Indic digits
    ("^\\w+$", "\u00e9t\u00e9", False, True),
    ("^\\s$", "\u00a0", True, False),
    ("^\\s$", "\ufeff", True, True),  # BOM is ECMA white space, not Python's
    ("^\\S$", "\ufeff", False, True),
    ("^[\\s]$", "\ufeff", True, True),
    ("^a.b$", "a\rb", False, True),
    ("^a.b$", "a\u2028b", False, True),
    ("^a.b$", "a-b", True, False),
    ("^(?<word>ab)\\k<word>$", "abab", True, None),  # Python: syntax error
    ("^(?<word>ab)\\k<word>$", "abba", False, None),
    ("(?<=\\$)\\d+", "cost $42", True, False),
    ("(?<!x)y", "xy", False, False),
    ("^[^]$", "\n", True, None),
    ("[]", "anything", False, None),
    ("^\\cJ$", "\n", True, None),
    ("^\\bended\\b", "ended", True, False),
    ("ended$", "ended\n\n", False, False),
    ("^[$]$", "$", True, False),
]


@pytest.mark.parametrize(("pattern", "subject", "ecma", "differs"), CASES)
def test_ecma_262_answers(pattern: str, subject: str, ecma: bool, differs: bool | None) -> None:
    assert (re.search(ecma_pattern(pattern), subject) is not None) is ecma
    if differs is None:
        with pytest.raises((re.error, FutureWarning)):
            assert (re.search(pattern, subject) is not None) is not ecma
    elif differs:
        assert (re.search(pattern, subject) is not None) is not ecma


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(?P<x>a)", "not ECMA-262 syntax"),
        ("(?i)done", "not ECMA-262 syntax"),
        ("(?#note)a", "not ECMA-262 syntax"),
        ("(?>a)", "not ECMA-262 syntax"),
        ("done\\Z", "not an ECMA-262 escape"),
        ("\\Adone", "not an ECMA-262 escape"),
        ("a*+", "possessive"),
        ("[\\S]", "\\S inside a character class"),
        ("(?<=a+)b", "look-behind requires fixed-width pattern"),
        ("(ab", "missing )"),
        ("[ab", "not closed"),
    ],
)
def test_untranslatable_patterns_are_refused(pattern: str, why: str) -> None:
    with pytest.raises(RegexError, match=re.escape(why)):
        ecma_pattern(pattern)
