"""JSONPath queries parsed when the workflow is compiled (RFC 9535, and Goessner's draft).

The parser is the ``jsonpath-rfc9535`` library's (a strict RFC 9535 implementation,
tested against the JSONPath Compliance Test Suite); the generator compiles its parse
tree to plain Python (generator/jsonpath_py.py), so no query is parsed at run time.

draft-goessner-dispatch-jsonpath-00 adds two forms to what RFC 9535 says:

* a script index ``[(@.length-N)]``, which is the RFC's negative index ``[-N]``: it
  is written so before the library parses the query (padded with blanks, so every
  column of an error is still the column of the text as written);
* ``.length`` of an array or a string is its length (the compiler's business).

A malformed query raises :class:`~generator.expressions.ExpressionError` with the
0-based offset the library reports and, when the filter spells ``or``, ``and`` or
``not`` in words, a hint with the operators.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

import jsonpath_rfc9535 as jp
from jsonpath_rfc9535 import filter_expressions as fe
from jsonpath_rfc9535 import segments as sg
from jsonpath_rfc9535 import selectors as sel

from .expressions import ExpressionError

__all__ = ["Query", "check", "members", "parse", "singular_path"]

Query = jp.JSONPathQuery

#: One parser for every query: its function extensions are RFC 9535's five.
_ENV: Final = jp.JSONPathEnvironment()
#: Goessner's script index ``[(@.length-N)]`` (N may be left out: the element past the end).
_SCRIPT_INDEX: Final = re.compile(r"\[\s*\(\s*@\.length\s*(?:-\s*([0-9]+)\s*)?\)\s*\]")


def _goessner_text(query: str) -> str:
    """The query with each script index outside a string literal written as an index."""
    out: list[str] = []
    pos = 0
    quote = ""
    index = 0
    while index < len(query):
        c = query[index]
        if quote:
            if c == "\\":
                index += 1
            elif c == quote:
                quote = ""
        elif c in ("'", '"'):
            quote = c
        elif c == "[":
            match = _SCRIPT_INDEX.match(query, index)
            if match is not None:
                offset = match.group(1)
                # (@.length) is one past the end: no element; the old runtime read it as 0
                written = f"[-{int(offset)}" if offset and int(offset) > 0 else "[0"
                out += [query[pos:index], written.ljust(len(match.group(0)) - 1) + "]"]
                pos = index = match.end()
                continue
        index += 1
    out.append(query[pos:])
    return "".join(out)


#: The library's token names, as the query writes them (for its "expected X, found Y").
_TOKENS: Final = {
    "EOF": "the end of the query",
    "COLON": "':'",
    "COMMA": "','",
    "DOT": "'.'",
    "DOUBLE_DOT": "'..'",
    "FILTER": "'?'",
    "LBRACKET": "'['",
    "RBRACKET": "']'",
    "ROOT": "'$'",
    "WILD": "'*'",
    "AND": "'&&'",
    "OR": "'||'",
    "NOT": "'!'",
    "CURRENT": "'@'",
    "LPAREN": "'('",
    "RPAREN": "')'",
    "EQ": "'=='",
    "NE": "'!='",
    "LT": "'<'",
    "LE": "'<='",
    "GT": "'>'",
    "GE": "'>='",
    "INT": "an integer",
    "FLOAT": "a number",
    "PROPERTY": "a member name",
    "SHORTHAND_PROPERTY": "a member name",
    "FUNCTION": "a function",
    "TRUE": "true",
    "FALSE": "false",
    "NULL": "null",
    "SINGLE_QUOTE_STRING": "a string",
    "DOUBLE_QUOTE_STRING": "a string",
}


@lru_cache(maxsize=1024)
def _parse(query: str, goessner: bool) -> Query | tuple[str, int]:
    text = _goessner_text(query) if goessner else query
    try:
        return _ENV.compile(text)
    except jp.JSONPathError as exc:
        token = getattr(exc, "token", None)
        offset = token.index if token is not None else 0
        message = str(exc.args[0]) if exc.args else str(exc)
        message = re.sub(r"'([A-Z_]+)'", lambda m: _TOKENS.get(m.group(1), m.group(0)), message)
        if offset >= len(query) and message in ("unexpected end of query", "unexpected end of expression"):
            offset = max(len(query) - 1, 0)
        return message, max(0, min(offset, len(query)))


def parse(query: str, *, goessner: bool = False) -> Query:
    """The parse tree of a well-formed query; ExpressionError when it is malformed."""
    parsed = _parse(query, goessner)
    if isinstance(parsed, tuple):
        message, offset = parsed
        raise ExpressionError(message, offset, _words_hint(query, offset, goessner))
    return parsed


def check(query: str, *, goessner: bool = False) -> None:
    """Raise ExpressionError when ``query`` is not a well-formed, well-typed JSONPath query."""
    parse(query, goessner=goessner)


#: Words a filter may be written with, as JSONPath spells them.
_WORDS: Final = {"or": "||", "and": "&&", "not": "!"}
_WORD: Final = re.compile(r"(?<![\w.@$'\"])(or|and|not)(?![\w'\"])\s*")
_STRING: Final = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _words_hint(query: str, offset: int, goessner: bool) -> str | None:
    """``$[?@.a == 1 or @.b == 2]`` fails where ``or`` starts: suggest ``||``."""
    if re.match(r"\s*(or|and|not)(?![\w'\"])", query[offset:]) is None:
        return None
    used: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        used.add(match.group(1))
        return _WORDS[match.group(1)] + ("" if match.group(1) == "not" else " ")

    pieces = _STRING.split(query)  # string literals at odd indexes, left as they are
    for index in range(0, len(pieces), 2):
        pieces[index] = _WORD.sub(replace, pieces[index])
    fixed = "".join(pieces)
    if not used:
        return None
    operators = " and ".join(f"{w!r} as {op!r}" for w, op in _WORDS.items() if w in used)
    if isinstance(_parse(fixed, goessner), tuple):
        return f"JSONPath writes {operators}"
    return f"JSONPath writes {operators}: {fixed!r}"


def singular_path(query: Query) -> list[str | int] | None:
    """The member names and indexes of a singular query (``$.a[0]``), or None."""
    path: list[str | int] = []
    for segment in query.segments:
        if isinstance(segment, sg.JSONPathRecursiveDescentSegment) or len(segment.selectors) != 1:
            return None
        selector = segment.selectors[0]
        if isinstance(selector, sel.NameSelector):
            path.append(selector.name)
        elif isinstance(selector, sel.IndexSelector):
            path.append(selector.index)
        else:
            return None
    return path


def members(query: str, *, goessner: bool = False, wrapped: bool = True) -> list[tuple[str | None, ...]]:
    """The members a well-formed query reads by name, each as the path from the
    criterion's context to it: names, and None for an element of an array (an index,
    slice, wildcard or filter).  Paths through a descendant segment (``..``) or a
    multi-selector are not followed; Goessner's ``.length`` is not a member.

    The context is wrapped in a one-element array, so the root's first segment
    (``$[0]``, ``$[*]``, ``$[?...]``) selects the context itself, and ``@`` in its
    filter is the context.  With ``wrapped=False`` (Arazzo 1.1) the root is the context itself."""
    found: list[tuple[str | None, ...]] = []
    # (segments, path of the node they start from, whether that node is the wrapping array)
    pending: list[tuple[Any, tuple[str | None, ...], bool]] = [(parse(query, goessner=goessner).segments, (), wrapped)]
    expressions: list[tuple[Any, tuple[str | None, ...]]] = []
    for _ in range(10_000):  # bounded: a query has fewer parts than characters
        if expressions:
            expr, current = expressions.pop()
            if isinstance(expr, fe.FilterExpression):
                expressions.append((expr.expression, current))
            elif isinstance(expr, fe.RelativeFilterQuery):
                pending.append((expr.query.segments, current, False))
            elif isinstance(expr, fe.RootFilterQuery):
                pending.append((expr.query.segments, (), wrapped))
            elif isinstance(expr, (fe.ComparisonExpression, fe.LogicalExpression)):
                expressions += [(expr.left, current), (expr.right, current)]
            elif isinstance(expr, fe.PrefixExpression):
                expressions.append((expr.right, current))
            elif isinstance(expr, fe.FunctionExtension):
                expressions += [(e, current) for e in expr.args]
            continue
        if not pending:
            break
        segment_list, path, at_wrapper = pending.pop()
        for segment in segment_list:
            if isinstance(segment, sg.JSONPathRecursiveDescentSegment) or len(segment.selectors) != 1:
                break
            selector = segment.selectors[0]
            if isinstance(selector, sel.NameSelector):
                if at_wrapper or (goessner and selector.name == "length"):
                    break
                path += (selector.name,)
                found.append(path)
            elif isinstance(selector, sel.FilterSelector):
                path = path if at_wrapper else path + (None,)
                expressions.append((selector.expression, path))
            elif not at_wrapper:
                path += (None,)
            at_wrapper = False
    return found
