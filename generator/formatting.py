"""black, applied to generated modules.

black formats top-level statements independently, so a large module is split at
top-level class and function boundaries and the pieces are formatted on every
core; the joined result is byte-identical to formatting the whole file (the
tests check that against black itself).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

PARALLEL_THRESHOLD_LINES = 3000
_TOP_LEVEL = re.compile(r"\n\n\n(?=(?:class |def |async def |@))")


def format_source(source: str, line_length: int = 88) -> str:
    """The black-formatted text of one module."""
    if source.count("\n") < PARALLEL_THRESHOLD_LINES or (os.cpu_count() or 1) < 2:
        return _format(source, line_length)
    chunks = _TOP_LEVEL.split(source)
    workers = min(os.cpu_count() or 1, 4)
    size = max(1, len(chunks) // (workers * 4))
    groups = ["\n\n\n".join(chunks[i : i + size]) for i in range(0, len(chunks), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        formatted = list(pool.map(_format, groups, [line_length] * len(groups)))
    return "\n\n\n".join(part.rstrip("\n") for part in formatted) + "\n"


def _format(source: str, line_length: int) -> str:
    import black

    mode = black.Mode(line_length=line_length, target_versions={black.TargetVersion.PY311})
    return black.format_str(source, mode=mode)
