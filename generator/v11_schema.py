"""Arazzo 1.1 schema findings about Selector Objects, targetSelectorType and parameter
values, said in the words of the 1.1 text (and one override of the schema).

The vendored 1.1 schema stays byte-identical; its findings at these places are
rewritten here:

* an object with a ``selector`` that is not exactly a Selector Object (the draft name
  ``expression`` for ``context``, a missing or unknown ``type``, an extra field): the
  defect, at the field, instead of "expected string, found object";
* ``targetSelectorType`` (or a selector ``type``) that names no selector type;
* a parameter without ``value`` (the schema says "missing 'reference'");
* **override** (Appendix B 5, OAI/Arazzo-Specification#559): a plain mapping as a
  parameter value.  The 1.1 text allows any constant; the schema, since selectors
  came, allows no other object.  Accepted as written, with a warning that other 1.1
  tools may refuse it.
"""

from __future__ import annotations

from typing import Any, Final

from .diagnostics import JsonPath, Severity

_TYPES: Final = ("jsonpath", "xpath", "jsonpointer")
_KEYS: Final = ("context", "selector", "type")
Finding = tuple[JsonPath, str, str | None, Severity]


def _lookup(data: Any, path: JsonPath) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _selector_place(path: JsonPath) -> bool:
    """Where the 1.1 schema takes a Selector Object: outputs, parameter values and
    replacement values."""
    return (len(path) >= 2 and path[-2] == "outputs") or (len(path) >= 3 and path[-3] in ("parameters", "replacements") and path[-1] == "value")


def _type_problem(kind: Any) -> str | None:
    if isinstance(kind, str):
        return None if kind in _TYPES else f"names no selector type: {kind!r}"
    if isinstance(kind, dict):
        return None  # an Expression Type Object: the schema's own findings say what is wrong with it
    return f"must be jsonpath, xpath or jsonpointer, not {type(kind).__name__}"


def rewrite(data: Any, path: JsonPath, messages: list[str]) -> list[Finding] | None:
    """What to report instead of the schema's findings at ``path`` (None: report them)."""
    value = _lookup(data, path)
    if isinstance(value, dict) and "selector" in value and _selector_place(path):
        return _broken_selector(value, path) or None
    if len(path) >= 3 and path[-1] == "targetSelectorType" and path[-3] == "replacements":
        problem = _type_problem(value)
        if problem:
            return [(path, f"targetSelectorType {problem}", "use jsonpath, xpath or jsonpointer, or an Expression Type Object, e.g. {type: jsonpath, version: rfc9535}", Severity.ERROR)]
    if len(path) >= 2 and path[-2] == "parameters" and isinstance(value, dict) and "name" in value and "value" not in value and "reference" not in value:
        return [(path, f"parameter {value['name']!r} has no value", "add value: a constant, a runtime expression or a Selector Object ({context, selector, type})", Severity.ERROR)]
    if len(path) >= 3 and path[-3] == "parameters" and path[-1] == "value" and isinstance(value, dict) and all("found object" in m for m in messages):
        return [(path, "a mapping as a parameter value: the Arazzo 1.1 text allows any constant, but its JSON Schema takes no object but a Selector Object (OAI/Arazzo-Specification#559); it is sent as written", "other Arazzo 1.1 tools may refuse it: a JSON text string or a runtime expression is valid for both", Severity.WARNING)]
    return None


def _broken_selector(value: dict[Any, Any], path: JsonPath) -> list[Finding]:
    found: list[Finding] = []
    if "expression" in value:
        found.append((path + ("expression",), "a Selector Object names its runtime expression 'context' ('expression' was the draft's name)", "rename expression to context", Severity.ERROR))
    missing = [k for k in _KEYS if k not in value and not (k == "context" and "expression" in value)]
    if missing:
        listed = " and ".join(missing)
        found.append((path, f"a Selector Object needs context, selector and type: {listed} {'is' if len(missing) == 1 else 'are'} missing", "e.g. {context: $response.body, selector: $.data.id, type: jsonpath}", Severity.ERROR))
    extra = [str(k) for k in value if k not in _KEYS and k != "expression" and not str(k).startswith("x-")]
    if extra:
        found.append((path + (extra[0],), f"a Selector Object has only context, selector and type (and x- extensions), not {', '.join(map(repr, extra))}", "remove it, or write it as an x- extension", Severity.ERROR))
    problem = _type_problem(value.get("type")) if "type" in value else None
    if problem:
        found.append((path + ("type",), f"the selector type {problem}", "use jsonpath, xpath or jsonpointer, or an Expression Type Object, e.g. {type: xpath, version: xpath-30}", Severity.ERROR))
    return found
