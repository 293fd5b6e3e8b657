"""Request bodies encoded here: multipart/form-data, and JSON-pointer payload
replacements."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .errors import WorkflowError
from .wire import text


class Encoded(NamedTuple):
    """A request body encoded here rather than by httpx (``fields``: what was encoded)."""

    content: bytes
    content_type: str
    fields: Mapping[str, Any]


def multipart(fields: Mapping[str, Any]) -> Encoded:
    """multipart/form-data (RFC 7578); the boundary is derived from the content, so the
    same payload always encodes to the same bytes.  Lists repeat a field, objects are
    sent as JSON parts, bytes as binary parts and None values are left out."""
    parts: list[tuple[str, bytes, str | None]] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bytes):
                parts.append((name, item, "application/octet-stream"))
            elif isinstance(item, dict):
                parts.append((name, json.dumps(item).encode(), "application/json"))
            else:
                parts.append((name, text(item).encode(), None))
    boundary = (
        "arazzo-"
        + hashlib.sha256(
            b"\0".join(name.encode() + b"=" + data for name, data, _ in parts)
        ).hexdigest()[:32]
    )
    chunks: list[bytes] = []
    for name, data, content_type in parts:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name.replace(chr(34), "%22")}"\r\n'
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return Encoded(
        b"".join(chunks), f"multipart/form-data; boundary={boundary}", fields
    )


def replace_pointer(document: Any, replacements: Sequence[tuple[str, Any]]) -> Any:
    """A copy of the payload with each JSON-pointer target set (RFC 6901; a final
    '-' appends to an array).  A JSON text payload is parsed and written back."""
    as_text = isinstance(document, str)
    result = json.loads(document) if as_text else copy.deepcopy(document)
    for path, value in replacements:
        if path == "":
            result = value
            continue
        tokens = [
            raw.replace("~1", "/").replace("~0", "~") for raw in path[1:].split("/")
        ]
        node = result
        for token in tokens[:-1]:
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise WorkflowError(
                    f"payload replacement target {path!r}: {token!r} does not exist in the payload"
                )
        last = tokens[-1]
        if isinstance(node, dict):
            node[last] = value
        elif isinstance(node, list) and last == "-":
            node.append(value)
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = value
        else:
            raise WorkflowError(
                f"payload replacement target {path!r} does not exist in the payload"
            )
    return json.dumps(result) if as_text else result
