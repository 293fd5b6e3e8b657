"""black, applied to generated modules, with a content-addressed cache.

black is the largest single cost of generation (it parses and prints every
module twice: its second pass makes the output stable).  Two things keep it
down:

- black formats top-level statements independently, so a large module is split
  at top-level class and function boundaries (only where the Python parser
  agrees a statement starts there, never inside a string) and the pieces of all
  the package's modules are formatted together on every core, longest first; the
  joined result is byte-identical to formatting each whole file.
- Each piece's formatted text (and the whole module's) is cached on disk, keyed
  by a hash of the text, black's version, the mode and this module's code, so a
  piece is formatted once per machine: a re-run, ``check``, another provider
  with the same runtime module, or a spec edit that changes a few models formats
  only what changed.

The cache (``cache.TextCache``: where it lives, how to turn it off, its size
bound) also holds datamodel-code-generator's output (see emit_models).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from .cache import TextCache, module_digest, package_version

PARALLEL_THRESHOLD_LINES = 3000  # fewer lines in all: formatted in this process
SPLIT_MIN_LINES = 400  # a module this long is cut into top-level pieces
_TOP_LEVEL = re.compile(r"\n\n\n(?=(?:class |def |async def |@))")


def format_source(source: str, line_length: int = 88) -> str:
    """The black-formatted text of one module."""
    return format_sources({"module": source}, line_length)["module"]


def format_sources(sources: Mapping[str, str], line_length: int = 88) -> dict[str, str]:
    """The black-formatted text of several modules (name -> text).  The pieces of all
    of them that the cache does not hold are formatted in one parallel pass, so a
    small module is formatted beside a large one's pieces, not after them."""
    cache = TextCache.default()
    salt = _black_salt(line_length)
    done: dict[str, str] = {}
    pending: dict[str, tuple[list[str], list[str], list[str | None]]] = {}  # name -> chunks, keys, results
    for name, source in sources.items():
        hit = cache.get(cache.key("black", salt, source))
        if hit is not None:
            done[name] = hit
            continue
        chunks = split_top_level(source) if source.count("\n") >= SPLIT_MIN_LINES else [source]
        keys = [cache.key("black", salt, chunk) for chunk in chunks]
        pending[name] = (chunks, keys, [cache.get(key) for key in keys])
    missing = [(name, i) for name, (_, _, results) in pending.items() for i, text in enumerate(results) if text is None]
    if missing:
        missing.sort(key=lambda m: -len(pending[m[0]][0][m[1]]))  # longest first: the workers finish together
        formatted = _format_many([pending[name][0][i] for name, i in missing], line_length)
        for (name, i), text in zip(missing, formatted):
            pending[name][2][i] = text
            cache.put(pending[name][1][i], text)
    for name, (_, _, results) in pending.items():
        parts = [text for text in results if text is not None]
        joined = parts[0] if len(parts) == 1 else "\n\n\n".join(part.rstrip("\n") for part in parts) + "\n"
        if len(parts) > 1:
            cache.put(cache.key("black", salt, sources[name]), joined)
        done[name] = joined
    return {name: done[name] for name in sources}


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
    return f"black {package_version('black')} line-length {line_length} py311 {module_digest(__file__)}"
