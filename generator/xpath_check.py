"""XPath criteria, selectors and replacement targets, checked at generation time.

Generated packages evaluate XPath with elementpath (the runtime part ``xpath``), so the
generator parses every expression with elementpath's parser of the criterion's version
(XPath1Parser, XPath2Parser, XPath30Parser, XPath31Parser): a construct of a later
version, a syntax error, an unknown function or a wrong number of arguments is a
compile-time error at the expression's file:line:column, never a run-time surprise.

Beyond the grammar, three checks that elementpath leaves to evaluation time:

* functions that read outside the response (``doc()``, ``unparsed-text()``,
  ``collection()``, ``environment-variable()``, ``json-doc()``, ...) are refused, so a
  criterion can only look at the value it is given;
* a variable that no ``for`` / ``let`` / ``some`` / ``every`` / inline function of the
  expression binds is an error (elementpath would raise XPST0008 on each evaluation);
* namespace prefixes are resolved by the document at run time (the namespaces it
  declares), so here each prefix the expression uses is bound to a placeholder URI.
"""

from __future__ import annotations

import re
from typing import Any, Final

from elementpath import ElementPathError, XPath1Parser, XPath2Parser
from elementpath.xpath30 import XPath30Parser
from elementpath.xpath31 import XPath31Parser

__all__ = ["VERSIONS", "XPathProblem", "check", "is_location_path", "parse"]

VERSIONS: Final = ("xpath-10", "xpath-20", "xpath-30", "xpath-31")
_PARSERS: Final[dict[str, Any]] = {
    "xpath-10": XPath1Parser,
    "xpath-20": XPath2Parser,
    "xpath-30": XPath30Parser,
    "xpath-31": XPath31Parser,
}
_NAMES: Final = {"xpath-10": "XPath 1.0", "xpath-20": "XPath 2.0", "xpath-30": "XPath 3.0", "xpath-31": "XPath 3.1"}
#: Functions that read files, URLs, the environment or other documents.
REFUSED_FUNCTIONS: Final = frozenset(
    {
        "available-environment-variables",
        "collection",
        "doc",
        "doc-available",
        "environment-variable",
        "function-lookup",
        "json-doc",
        "load-xquery-module",
        "parse-xml",
        "parse-xml-fragment",
        "transform",
        "unparsed-text",
        "unparsed-text-available",
        "unparsed-text-lines",
        "uri-collection",
    }
)
_BINDERS: Final = ("for", "let", "some", "every")
_POSITION = re.compile(r" at line (\d+), column (\d+): ")
_UNDECLARED = re.compile(r"prefix '([^']+)' is not declared")
_MOST_PREFIXES = 32


class XPathProblem(Exception):
    """An expression refused for a version: ``message`` and the 0-based ``offset``."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _offset(expression: str, line: int, column: int) -> int:
    lines = expression.split("\n")
    before = sum(len(text) + 1 for text in lines[: max(line - 1, 0)])
    return min(before + max(column - 1, 0), len(expression))


def _problem(expression: str, exc: ElementPathError) -> XPathProblem:
    """elementpath's message without its position prefix, and the position as an offset."""
    text = str(exc)
    found = _POSITION.search(text)
    if found is None:
        return XPathProblem(text, 0)
    if text.startswith("'(end)'"):  # elementpath points at the last character; the problem is after it
        return XPathProblem(text[found.end() :], len(expression))
    return XPathProblem(text[found.end() :], _offset(expression, int(found.group(1)), int(found.group(2))))


def _parse(expression: str, version: str) -> Any:
    namespaces: dict[str, str] = {}
    for _ in range(_MOST_PREFIXES):
        try:
            return _PARSERS[version](namespaces=namespaces).parse(expression)
        except ElementPathError as exc:
            undeclared = _UNDECLARED.search(str(exc))
            if undeclared is None or undeclared.group(1) in namespaces:
                raise
            namespaces[undeclared.group(1)] = (
                f"urn:arazzo-codegen:prefix:{undeclared.group(1)}"  # the document binds it
            )
    return _PARSERS[version](namespaces=namespaces).parse(expression)


def parse(expression: str, version: str = "xpath-31") -> Any:
    """elementpath's token tree of ``expression`` in ``version``; XPathProblem if refused."""
    if version not in _PARSERS:
        raise XPathProblem(f"unknown XPath version {version!r} (use xpath-10, xpath-20, xpath-30 or xpath-31)", 0)
    if not expression.strip():
        raise XPathProblem("empty XPath expression", 0)
    try:
        token = _parse(expression, version)
    except RecursionError:
        raise XPathProblem("the expression nests too deeply to be parsed", 0) from None
    except ElementPathError as exc:
        problem = _problem(expression, exc)
        later = next((v for v in VERSIONS[VERSIONS.index(version) + 1 :] if _parses(expression, v)), None)
        if later is not None:
            since = "use xpath-31" if later == "xpath-31" else f"use {later} or later"
            problem.message = f"{_NAMES[version]} does not have this construct: {problem.message} ({since})"
        raise problem from None
    _check_tree(token, expression)
    return token


def _parses(expression: str, version: str) -> bool:
    try:
        _parse(expression, version)
    except (ElementPathError, RecursionError):
        return False
    return True


def _check_tree(token: Any, expression: str) -> None:
    bound: set[str] = set()
    used: list[str] = []
    for node in token.iter():
        if node.label == "function" and node.symbol in REFUSED_FUNCTIONS:
            raise XPathProblem(
                f"the function {node.symbol}() reads outside the value the criterion tests: it is refused",
                _at(expression, node),
            )
        if node.symbol == "#" and len(node) and node[0].value in REFUSED_FUNCTIONS:
            raise XPathProblem(
                f"the function {node[0].value}() reads outside the value the criterion tests: it is refused",
                _at(expression, node),
            )
        children = list(node)
        if node.symbol in _BINDERS and node.label == "expression":
            bound.update(child.value for child in children[:-1:2] if child.symbol == "$")
        elif node.symbol == "function" and node.label == "inline function":
            bound.update(child.value for child in children if child.symbol == "$")
        elif node.symbol == "$":
            used.append(node.value)
    for name in used:
        if name not in bound:
            raise XPathProblem(
                f"the variable ${name} is not bound here (by for, let, some or every)",
                max(expression.find("$" + name), 0),
            )


def _at(expression: str, node: Any) -> int:
    line, column = node.position if isinstance(getattr(node, "position", None), tuple) else (1, 1)
    return _offset(expression, line, column)


def check(expression: str, version: str = "xpath-31") -> None:
    """Raise XPathProblem when ``expression`` is not an expression of ``version``."""
    parse(expression, version)


_PATH_STARTS: Final = frozenset(
    {"/", "//", "(name)", "*", "@", ":", "[", "..", ".", "text", "node", "element", "attribute"}
)


def is_location_path(expression: str, version: str = "xpath-31") -> bool:
    """True when ``expression`` selects nodes by a path (what a replacement target must do)."""
    token = parse(expression, version)
    return bool(token.symbol in _PATH_STARTS or token.label == "axis")
