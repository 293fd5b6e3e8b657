"""black, applied to generated modules, with a content-addressed cache.

black is the largest single cost of generation (it parses and prints every
module twice: its second pass makes the output stable).  Two things keep it
down:

- black formats top-level statements independently, so a large module is split
  at top-level class and function boundaries (only where the Python parser
  agrees a statement starts there, never inside a string) and the pieces are
  formatted on every core; the joined result is byte-identical to formatting the
  whole file.
- Each piece's formatted text (and the whole module's) is cached on disk, keyed
  by a hash of the text, black's version, the mode and this module's code, so a
  piece is formatted once per machine: a re-run, ``check``, another provider
  with the same runtime module, or a spec edit that changes a few models formats
  only what changed.

The cache (``TextCache``) also holds datamodel-code-generator's output (see
emit_models).  It lives in ``$ARAZZO_CODEGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/arazzo-codegen``, else ``~/.cache/arazzo-codegen``; set
``ARAZZO_CODEGEN_NO_CACHE=1`` to turn it off.  Every entry carries a hash of its
text and a damaged entry is ignored, so the cache can change how long
generation takes, never what it writes.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

PARALLEL_THRESHOLD_LINES = 3000
_TOP_LEVEL = re.compile(r"\n\n\n(?=(?:class |def |async def |@))")
_CACHE_SCHEME = "arazzo-codegen text cache 1"


def format_source(source: str, line_length: int = 88) -> str:
    """The black-formatted text of one module."""
    cache = TextCache.default()
    salt = _black_salt(line_length)
    whole = cache.key("black", salt, source)
    hit = cache.get(whole)
    if hit is not None:
        return hit
    chunks = split_top_level(source) if source.count("\n") >= PARALLEL_THRESHOLD_LINES else [source]
    keys = [cache.key("black", salt, chunk) for chunk in chunks]
    results: list[str | None] = [cache.get(key) for key in keys]
    missing = [i for i, text in enumerate(results) if text is None]
    if missing:
        formatted = _format_many([chunks[i] for i in missing], line_length)
        for i, text in zip(missing, formatted):
            results[i] = text
            cache.put(keys[i], text)
    done = [text for text in results if text is not None]
    if len(done) == 1:
        return done[0]
    joined = "\n\n\n".join(part.rstrip("\n") for part in done) + "\n"
    cache.put(whole, joined)
    return joined


def split_top_level(source: str) -> list[str]:
    """``source`` cut before each top-level class/def/decorator that follows two
    blank lines; the pieces joined with ``"\\n\\n\\n"`` give ``source`` back.
    A module the parser rejects stays whole (black reports the error)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [source]
    starts = set()
    for node in tree.body:
        decorators = getattr(node, "decorator_list", None)
        starts.add(decorators[0].lineno if decorators else node.lineno)
    chunks: list[str] = []
    begin = 0
    line = 1
    scanned = 0
    for match in _TOP_LEVEL.finditer(source):
        line += source.count("\n", scanned, match.end())
        scanned = match.end()
        if line in starts:
            chunks.append(source[begin : match.start()])
            begin = match.end()
    chunks.append(source[begin:])
    return chunks


def _format_many(chunks: Sequence[str], line_length: int) -> list[str]:
    lines = sum(chunk.count("\n") for chunk in chunks)
    workers = min(os.cpu_count() or 1, 4)
    if len(chunks) < 2 or lines < PARALLEL_THRESHOLD_LINES or workers < 2:
        return [_format(chunk, line_length) for chunk in chunks]
    batch = max(1, len(chunks) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        return list(pool.map(_format, chunks, [line_length] * len(chunks), chunksize=batch))


def _format(source: str, line_length: int) -> str:
    import black

    mode = black.Mode(line_length=line_length, target_versions={black.TargetVersion.PY311})
    return black.format_str(source, mode=mode)


def _black_salt(line_length: int) -> str:
    return f"black {package_version('black')} line-length {line_length} py311 {_own_hash()}"


@lru_cache(maxsize=1)
def _own_hash() -> str:
    """A hash of this module: editing how black is called invalidates its entries."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


@lru_cache(maxsize=None)
def package_version(distribution: str) -> str:
    """An installed distribution's version, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


class TextCache:
    """Derived texts on disk, addressed by a hash of everything they derive from."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    @staticmethod
    def default() -> TextCache:
        if os.environ.get("ARAZZO_CODEGEN_NO_CACHE"):
            return TextCache(None)
        explicit = os.environ.get("ARAZZO_CODEGEN_CACHE_DIR")
        if explicit:
            return TextCache(Path(explicit))
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return TextCache(Path(base) / "arazzo-codegen")

    def key(self, kind: str, salt: str, text: str) -> str:
        digest = hashlib.sha256(f"{_CACHE_SCHEME}\0{kind}\0{salt}\0".encode())
        digest.update(text.encode("utf-8", "surrogatepass"))
        return f"{kind}-{digest.hexdigest()}"

    def _path(self, key: str) -> Path | None:
        if self.root is None:
            return None
        kind, _, digest = key.partition("-")
        return self.root / kind / digest[:2] / digest

    def get(self, key: str) -> str | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        check, newline, body = data.partition(b"\n")
        if not newline or hashlib.sha256(body).hexdigest().encode() != check:
            return None
        try:
            return body.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None

    def put(self, key: str, text: str) -> None:
        path = self._path(key)
        if path is None:
            return
        body = text.encode("utf-8", "surrogatepass")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:  # read-only or full disk: the cache is only an optimisation
            if os.environ.get("ARAZZO_CODEGEN_CACHE_DEBUG"):
                print(f"arazzo-codegen: cache write failed: {exc}", file=sys.stderr)
