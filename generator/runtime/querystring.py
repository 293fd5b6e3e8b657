"""OpenAPI 3.2 ``in: querystring`` parameters (Arazzo 1.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from .wire import text


def query_string(value: Any) -> str:
    """``?`` and the whole query string one ``in: querystring`` parameter gives ("" for
    an empty one).  Text goes as written, with only the characters a URL query cannot
    hold percent-encoded (RFC 3986: a space, quotes, braces, non-ASCII, ...; a '%' not
    starting an escape); a mapping is form-encoded; another value is sent as its JSON
    text (as :func:`text`)."""
    if isinstance(value, Mapping):
        raw = "&".join(
            f"{quote_plus(text(k))}={quote_plus(text(v))}" for k, v in value.items()
        )
    else:
        raw = value if isinstance(value, str) else text(value)
    raw = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", raw)
    encoded = quote(raw, safe="!$&'()*+,;=:@/?%")
    return "?" + encoded if encoded else ""
