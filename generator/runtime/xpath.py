"""XPath over XML bodies, evaluated by elementpath.

Criteria of type ``xpath`` (versions xpath-10, xpath-20, xpath-30 and xpath-31) and
the XPath targets of payload replacements are evaluated by elementpath
(https://pypi.org/project/elementpath/), imported the first time an XPath runs: a
package whose workflows use XPath needs it installed (``pip install elementpath``),
its other workflows run without it.  The generator parsed every expression with the
same parser of the same version when the workflow was compiled.

XML is parsed by xml.etree.ElementTree (expat, which fetches no external entity), and
a document type declaration is refused outright, so no entity is ever expanded.
Names resolve with the namespaces the document declares (the first declaration of a
prefix wins); from XPath 2.0 on, the document's default namespace is the default
element namespace, so ``/feed/entry`` finds the elements of ``<feed xmlns="...">``.
"""

from __future__ import annotations

import importlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import WorkflowError
from .redact import logger

_XP_PARSERS: dict[str, tuple[str, str]] = {
    "xpath-10": ("elementpath", "XPath1Parser"),
    "xpath-20": ("elementpath", "XPath2Parser"),
    "xpath-30": ("elementpath.xpath30", "XPath30Parser"),
    "xpath-31": ("elementpath.xpath31", "XPath31Parser"),
}
_XP_CACHE_SIZE = 256
_XPATH_CACHE: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}


class XPathError(ValueError):
    """An XPath expression that cannot be evaluated on this document."""


def _xp_import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            "the XPath of this workflow is evaluated by elementpath, which is not"
            f" installed: pip install elementpath (importing {module})"
        ) from None


def _xp_failures() -> tuple[type[BaseException], ...]:
    return (
        _xp_import("elementpath").ElementPathError,
        RecursionError,
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
    )


def xpath_parse(
    expression: str,
    version: str = "xpath-31",
    namespaces: Mapping[str, str] | None = None,
) -> Any:
    """elementpath's parsed expression, cached per version and namespaces.

    XPathError if it does not parse."""
    scope = dict(namespaces or {})
    key = (expression, version, tuple(sorted(scope.items())))
    token = _XPATH_CACHE.get(key)
    if token is None:
        module, name = _XP_PARSERS[version]
        parser = getattr(_xp_import(module), name)
        try:
            token = parser(namespaces=scope).parse(expression)
        except _xp_failures() as exc:
            raise XPathError(str(exc)) from None
        if len(_XPATH_CACHE) >= _XP_CACHE_SIZE:
            _XPATH_CACHE.clear()
        _XPATH_CACHE[key] = token
    return token


class _XPBuilder(ET.TreeBuilder):
    """The element tree, and the namespaces declared in it; a DTD is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.namespaces: dict[str, str] = {}

    def start_ns(self, prefix: str, uri: str) -> None:
        self.namespaces.setdefault(prefix, uri)

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise ValueError("a document type declaration is refused in XML")


def xml_parse(text_value: str | bytes) -> tuple[ET.Element, dict[str, str]]:
    """The root element of XML text and the namespaces it declares.

    ValueError if it is not XML, or has a document type declaration."""
    builder = _XPBuilder()
    parser = ET.XMLParser(target=builder)
    try:
        parser.feed(text_value)
        root = parser.close()
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    return root, builder.namespaces


def _xp_evaluate(
    tree: ET.ElementTree, namespaces: dict[str, str], expression: str, version: str
) -> tuple[Any, list[Any]]:
    token = xpath_parse(expression, version, namespaces)
    try:
        result = token.evaluate(
            _xp_import("elementpath").XPathContext(tree, namespaces=namespaces)
        )
    except _xp_failures() as exc:
        raise XPathError(str(exc)) from None
    return token, (
        result if isinstance(result, list) else [] if result is None else [result]
    )


def _xp_run(value: Any, expression: str, version: str) -> tuple[Any, list[Any]] | None:
    if not isinstance(value, (str, bytes)) or not value:
        return None
    try:
        root, namespaces = xml_parse(value)
    except ValueError:
        return None
    return _xp_evaluate(ET.ElementTree(root), namespaces, expression, version)


def xpath(value: Any, expression: str, version: str = "xpath-31") -> list[Any]:
    """The items ``expression`` selects in the XML text ``value`` (its document node is
    the context item): elementpath's nodes and atomic values; [] when it is not XML.
    A dynamic error (a type error, a failed cast, ...) raises XPathError."""
    run = _xp_run(value, expression, version)
    return [] if run is None else run[1]


def xpath_test(value: Any, expression: str, version: str = "xpath-31") -> bool:
    """An xpath criterion: the effective boolean value of the expression.

    A context that is not XML makes it false; so does a dynamic error (the response's
    values do not fit the expression, or it uses a prefix the document does not
    declare), which is logged."""
    try:
        run = _xp_run(value, expression, version)
        return False if run is None else bool(run[0].boolean_value(run[1]))
    except _xp_failures() as exc:
        logger.warning("xpath criterion %r could not be evaluated: %s", expression, exc)
        return False


def xpath_string(value: Any, expression: str, version: str = "xpath-31") -> str:
    """The items of the result as text, joined with spaces (nodes by string value)."""
    run = _xp_run(value, expression, version)
    if run is None:
        return ""
    token, items = run
    return " ".join(str(token.string_value(item)) for item in items)


def xml_replace(text_value: str, replacements: Sequence[tuple[str, Any]]) -> str:
    """The XML text with each XPath target's text (element) or value (attribute) set.
    A payload that is not XML, or a target that selects nothing to set, raises
    WorkflowError (before any request is sent)."""
    try:
        return _xml_replace(text_value, replacements)
    except ValueError as exc:
        raise WorkflowError(f"payload replacement: {exc}") from None


def _xml_replace(text_value: str, replacements: Sequence[tuple[str, Any]]) -> str:
    root, namespaces = xml_parse(text_value)
    elementpath = _xp_import("elementpath")
    for target, value in replacements:
        _, result = _xp_evaluate(ET.ElementTree(root), namespaces, target, "xpath-31")
        nodes = [item for item in result if isinstance(item, elementpath.XPathNode)]
        if not nodes:
            raise ValueError(
                f"replacement target {target!r} selects nothing in the payload"
            )
        elements = [
            node.elem
            for node in nodes
            if isinstance(node, elementpath.ElementNode)
            and isinstance(node.elem, ET.Element)
        ]
        attributes = [
            (node.parent.elem, node.name)
            for node in nodes
            if isinstance(node, elementpath.AttributeNode)
            and isinstance(node.parent, elementpath.ElementNode)
        ]
        if len(elements) + len(attributes) != len(nodes):
            raise ValueError(
                f"replacement target {target!r} must select elements or attributes"
            )
        new = _xp_text_of(value)
        for element in elements:
            for child in list(element):
                element.remove(child)
            element.text = new
        for owner, name in attributes:
            owner.set(name, new)
    declaration = ""
    stripped = text_value.lstrip()
    if stripped.startswith("<?xml"):
        declaration = stripped[: stripped.index("?>") + 2] + "\n"
    return declaration + ET.tostring(root, encoding="unicode")


def _xp_text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
