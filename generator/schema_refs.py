"""Following a chain of ``$ref``s in a schema to the schema it leads to: one walker for
type inference (schema_types, which may load the document a reference names) and the
compile-time request checks (request_schema, which reads only documents already loaded).

The walker never reports: the schema collector has reported broken references already.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote, urldefrag

from .diagnostics import JsonPath
from .load import SourceFile, is_missing, lookup, pointer_tokens
from .resolve_model import SchemaLoc

#: The most references followed in a row; a longer chain (a cycle, in practice) is unknown.
MAX_REF_HOPS = 32

#: The document a reference's URL names: (the referring document, the URL, the JSON path
#: of the referring node) -> the document, or None when it cannot be had.
OpenFile = Callable[[SourceFile, str, JsonPath], SourceFile | None]


def follow_refs(loc: SchemaLoc, open_file: OpenFile) -> SchemaLoc | None:
    """The schema a chain of ``$ref`` starting at ``loc`` leads to (``loc``'s own node when
    it is no reference), or None (unknown): a document ``open_file`` cannot give, a
    fragment that is no JSON pointer or points at nothing, or more than MAX_REF_HOPS
    references in a row."""
    value, file, path = loc.value, loc.file, loc.path
    hops = 0
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        hops += 1
        if hops > MAX_REF_HOPS:
            return None
        url, fragment = urldefrag(value["$ref"])
        if url:
            opened = open_file(file, url, path)
            if opened is None:
                return None
            file = opened
        tokens = pointer_tokens(unquote(fragment))
        if tokens is None:
            return None
        value = lookup(file.data, tokens)
        if is_missing(value):
            return None
        path = tokens
    return SchemaLoc(file, path, value)
