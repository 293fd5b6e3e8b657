"""ECMA-262 regular expressions (the dialect Arazzo names for regex criteria, and
JSON Schema for ``pattern``) translated to patterns Python's ``re`` runs the same way.

The translation is done once, at generation time; the generated code compiles the
result as it is.  Differences handled (ECMA-262 without flags):

* ``$`` is the end of the text only (Python's ``$`` also matches before a final
  newline): written ``\\Z``;
* ``\\d``, ``\\w``, ``\\b`` are ASCII: the pattern starts with ``(?a)``;
* ``\\s`` / ``\\S`` are the ECMA-262 white space and line terminators (Unicode):
  written as that explicit class;
* ``.`` matches anything but a line terminator (``\\n``, ``\\r``, U+2028, U+2029);
* named groups ``(?<name>...)`` and ``\\k<name>`` become ``(?P<name>...)`` and ``(?P=name)``;
* ``[^]`` (any character) and ``[]`` (nothing), ``\\cX`` control escapes.

Constructs ECMA-262 does not have, or Python cannot run the same way, are refused
with :class:`RegexError`: Python-only syntax (``(?P...)``, inline flags, ``(?#...)``,
atomic groups, conditionals, ``\\A``, ``\\Z``, possessive quantifiers), ``\\S`` inside
a class, and whatever Python's ``re`` itself rejects (a variable-width lookbehind).
"""

from __future__ import annotations

import re

#: ECMA-262 WhiteSpace and LineTerminator code points (what ``\s`` matches).
_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_DOT = "[^\\n\\r\\u2028\\u2029]"
_NAME = re.compile(r"<([A-Za-z_$][A-Za-z0-9_$]*)>")


class RegexError(ValueError):
    """A pattern that cannot be run as ECMA-262 defines it; ``str()`` says why."""


def ecma_pattern(pattern: str) -> str:
    """``pattern`` (ECMA-262) as a Python ``re`` pattern with the same matches.

    Raises RegexError for a construct that cannot be translated, or a pattern that
    Python's ``re`` cannot compile once translated."""
    out: list[str] = ["(?a)"]
    index, in_class, class_start = 0, False, 0
    n = len(pattern)
    while index < n:
        ch = pattern[index]
        if ch == "\\":
            if index + 1 >= n:
                raise RegexError("the pattern ends with a lone backslash")
            nxt = pattern[index + 1]
            if nxt == "s":
                out.append(_SPACE if in_class else f"[{_SPACE}]")
            elif nxt == "S":
                if in_class:
                    raise RegexError("\\S inside a character class has no Python equivalent here")
                out.append(f"[^{_SPACE}]")
            elif nxt in "AZz" or nxt == "G":
                raise RegexError(
                    f"\\{nxt} is not an ECMA-262 escape (in Python it is an anchor); write ^ or $ for the start or end of the text"
                )
            elif nxt == "c" and index + 2 < n and pattern[index + 2].isascii() and pattern[index + 2].isalpha():
                out.append(f"\\x{ord(pattern[index + 2]) % 32:02x}")
                index += 3
                continue
            elif nxt == "k" and not in_class:
                name = _NAME.match(pattern, index + 2)
                if name is None:
                    raise RegexError("\\k must be followed by a group name in angle brackets")
                out.append(f"(?P={name.group(1)})")
                index = name.end()
                continue
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if ch == "]" and index > class_start:
                in_class = False
            elif ch == "[":
                ch = "\\["  # literal in ECMA-262; Python warns of a future set operation
            out.append(ch)
            index += 1
            continue
        if ch == "[":
            if pattern.startswith("[^]", index):
                out.append("[\\s\\S]")
                index += 3
                continue
            if pattern.startswith("[]", index):
                out.append("(?!)")
                index += 2
                continue
            in_class = True
            class_start = index + (2 if pattern.startswith("[^", index) else 1)
            out.append(pattern[index:class_start])
            index = class_start
            continue
        if ch == "$":
            out.append("\\Z")
        elif ch == ".":
            out.append(_DOT)
        elif ch == "(" and pattern.startswith("(?", index):
            rest = pattern[index + 2 : index + 4]
            if rest[:1] in (":", "=", "!") or rest in ("<=", "<!"):
                out.append("(?" + (rest if rest[:1] == "<" else rest[:1]))
                index += 2 + (2 if rest[:1] == "<" else 1)
                continue
            name = _NAME.match(pattern, index + 2)
            if name is None:
                raise RegexError(
                    f"'(?{pattern[index + 2:index + 3]}' is not ECMA-262 syntax (ECMA-262 groups: (?:...), (?=...), (?!...), (?<=...), (?<!...), (?<name>...))"
                )
            out.append(f"(?P<{name.group(1)}>")
            index = name.end()
            continue
        elif ch in "*+?}" and index + 1 < n and pattern[index + 1] == "+":
            raise RegexError(f"'{ch}+' (a possessive quantifier) is not ECMA-262 syntax")
        else:
            out.append(ch)
        index += 1
    if in_class:
        raise RegexError("a character class is not closed (add ])")
    translated = "".join(out)
    try:
        re.compile(translated)
    except re.error as exc:
        raise RegexError(exc.msg) from None  # its position is in the translation: left out
    return translated
