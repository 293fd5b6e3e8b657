"""Arazzo 1.1 (and OpenAPI 3.2) document identities: ``$self``.

A document's ``$self`` is its URI.  Every document the loader reads registers an
absolute ``$self``; a source URL is then matched against those identities before it
is read as a location (Arazzo 1.1, Identity-Based Referencing):

* an absolute URL (``https://...``) names the local document whose ``$self`` it is:
  one already read, or one found next to the referring document (its folder is
  searched, at most ``MAX_CANDIDATES`` files); failing that, the source map, and
  then the usual "remote URL" diagnostic: nothing is ever fetched;
* a relative URL in a document with an absolute ``$self`` resolves against that
  ``$self`` (RFC 3986) and is matched the same way; when no identity and no source
  map prefix covers the result, the file next to the document is read (matching by
  retrieval location, which the specification allows).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urldefrag, urljoin

from .diagnostics import JsonPath

if TYPE_CHECKING:
    from .load import Loader, SourceFile

#: find() said what is wrong (a diagnostic is in the report): load nothing.
REPORTED: Final = Path("\0reported")
#: How many files of a folder are looked at for a ``$self`` (sorted by name).
MAX_CANDIDATES: Final = 200
_SUFFIXES: Final = (".yaml", ".yml", ".json")


def self_uri(data: Any) -> str | None:
    """The ``$self`` a document declares (a string without a fragment), or None."""
    if isinstance(data, dict) and isinstance(data.get("$self"), str) and "#" not in data["$self"]:
        return str(data["$self"])
    return None


def _absolute(uri: str) -> bool:
    head = uri.split("/", 1)[0]
    return head.endswith(":") and head[:-1].replace("+", "").replace("-", "").replace(".", "").isalnum()


def register(loader: Loader, source: SourceFile) -> None:
    """Remember the document under its absolute ``$self`` (the first one read wins)."""
    uri = self_uri(source.data)
    if uri is not None and _absolute(uri):
        loader.identities.setdefault(uri, source.path)


def find(loader: Loader, referrer: SourceFile, url: str, at: JsonPath, remote: bool) -> Path | None:
    """The local document a source URL names by identity (or, for a relative URL in a
    document with an absolute ``$self``, through the source map); None: read it as
    before (a relative path, or a remote URL through the source map); REPORTED: a
    diagnostic says why nothing is read."""
    base = self_uri(referrer.data)
    if remote:
        target = urldefrag(url)[0]
    elif base is not None and _absolute(base):
        target = urldefrag(urljoin(base, url))[0]
    else:
        return None
    if target in loader.identities:
        return loader.identities[target]
    if (referrer.path.parent, target) not in loader.identity_scans:
        loader.identity_scans.add((referrer.path.parent, target))
        _scan(loader, referrer.path.parent, target)
    if target in loader.identities:
        return loader.identities[target]
    if not remote and any(target.startswith(prefix) for prefix, _ in loader.source_map):
        return loader._mapped(referrer, target, at, f"{url!r} (by $self {base!r})") or REPORTED
    if not remote and not os.path.exists(referrer.path.parent / unquote(urldefrag(url)[0])):
        example = target.rsplit("/", 1)[0] + "/"
        message = f"source {url!r} resolves against $self to {target!r}, which no local document declares as its $self, and no file is at {url!r} beside this document"
        loader.report.add(
            referrer.diagnostic(
                at,
                message,
                f"put the document there or give it $self: {target}, or map the URL to a local copy: --source-map {example}=DIR",
            )
        )
        return REPORTED
    return None


def _scan(loader: Loader, folder: Path, target: str) -> None:
    """Read the documents of ``folder`` whose text mentions ``$self`` and ``target``."""
    try:
        names = sorted(os.listdir(folder))[: MAX_CANDIDATES * 4]
    except OSError:
        return
    candidates = [folder / n for n in names if n.lower().endswith(_SUFFIXES)][:MAX_CANDIDATES]
    for path in candidates:
        real = Path(os.path.realpath(path))
        if real in loader.files:
            continue  # read already: registered if it has a $self
        try:
            if not path.is_file() or path.stat().st_size > 2_000_000:
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "$self" in text and target in text:
            loader.load(path)
            if target in loader.identities:
                return


def remote_hint(referrer: SourceFile) -> str:
    """The start of the hint for a remote URL nothing local declares: in an Arazzo 1.1
    document, identities are the first way."""
    if is_1_1(referrer.data):
        return "put the document whose $self is this URL next to this one (it is found by that identity), or "
    return ""


def is_1_1(data: Any) -> bool:
    """Whether a document says ``arazzo: 1.1.x``."""
    return isinstance(data, dict) and str(data.get("arazzo", "")).startswith("1.1")


def anchored(data: Any, name: str) -> tuple[Any, JsonPath] | None:
    """The schema that declares ``$anchor: name`` (a plain-name fragment ``#name``,
    Arazzo 1.1 Resolving URI Fragments), with its JSON path; None when none does.
    The first in document order wins; the walk is bounded."""
    stack: list[tuple[Any, JsonPath]] = [(data, ())]
    for _ in range(200_000):
        if not stack:
            return None
        node, path = stack.pop()
        if isinstance(node, dict):
            if node.get("$anchor") == name:
                return node, path
            stack.extend(reversed([(v, path + (str(k),)) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(v, path + (i,)) for i, v in enumerate(node)]))
    return None
