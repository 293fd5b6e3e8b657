"""format_sources formats several modules in one pass (pieces of all of them side by
side) and gives exactly what black gives each module whole."""

from __future__ import annotations

from pathlib import Path

import black
import pytest

from arazzo_codegen import formatting


def _module(n: int) -> str:
    parts = ["import os\nx  =  [1,2,\n 3]\n"]
    for i in range(n):
        parts.append(f"\n\n\ndef f{i}( a,b ):\n    return {{'a':a,'b':b, 'i':{i}}}\n")
        parts.append(f"\n\n\nclass C{i}( object ):\n    y=[ 'long value number {i}' ,'another long value that makes the line wrap', 'and more text' ]\n")
    return "".join(parts)


def test_format_sources_matches_black_module_by_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(formatting, "PARALLEL_THRESHOLD_LINES", 100)  # use the worker pool
    sources = {"big.py": _module(200), "small.py": "y=( 1, )\n", "mid.py": _module(30)}
    assert sources["big.py"].count("\n") >= formatting.SPLIT_MIN_LINES
    mode = black.Mode(line_length=88, target_versions={black.TargetVersion.PY311})
    expected = {name: black.format_str(text, mode=mode) for name, text in sources.items()}
    assert formatting.format_sources(sources) == expected
    assert list(formatting.format_sources(sources)) == list(sources)  # the order given, from the cache

    def no_black(chunks: object, line_length: int) -> list[str]:
        raise AssertionError("black ran although everything is cached")

    monkeypatch.setattr(formatting, "_format_many", no_black)
    assert formatting.format_sources(sources) == expected
