"""The text cache's size bound (generator/cache.py): least recently used entries go first,
down to the low watermark, once per process, only when a process writes; it survives
entries disappearing underneath and never touches files that are not entries."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from arazzo_codegen import cache as cache_module
from arazzo_codegen.cache import BLOCK, LOW_WATERMARK, TOUCH_AFTER, TextCache

MB = 1024 * 1024
BODY = 100_000  # characters of each entry's text: 100,065 bytes in 25 blocks (102,400)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache directory as ARAZZO_CODEGEN_CACHE_DIR, bound 0.5 MB (five entries)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_DIR", str(directory))
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_MAX_MB", "0.5")
    monkeypatch.delenv("ARAZZO_CODEGEN_NO_CACHE", raising=False)
    return directory


def entry_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def total_size(root: Path) -> int:
    """As the cache counts: whole 4 KiB blocks."""
    return sum(-(-p.stat().st_size // BLOCK) * BLOCK for p in entry_files(root))


def fill(
    cache: TextCache, names: list[str], age: Callable[[int], float]
) -> dict[str, str]:
    """Write one entry per name (bypassing the trim), the i-th last modified age(i) seconds ago."""
    keys = {}
    now = time.time()
    for i, name in enumerate(names):
        key = cache.key("black", "salt", name)
        path = cache._path(key)
        assert path is not None
        unbounded = TextCache(cache.root)  # no bound: writes without trimming
        unbounded.put(key, name * (BODY // len(name)))
        os.utime(path, (now - age(i), now - age(i)))
        keys[name] = key
    return keys


def test_the_bound_comes_from_the_environment(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TextCache.default().root == root
    assert TextCache.default().max_bytes == MB // 2
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_MAX_MB", "0")
    assert TextCache.default().max_bytes is None  # 0: no bound
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_MAX_MB", "lots")
    assert TextCache.default().max_bytes == 200 * MB  # not a number: the default
    monkeypatch.delenv("ARAZZO_CODEGEN_CACHE_MAX_MB")
    assert TextCache.default().max_bytes == 200 * MB


def test_least_recently_used_entries_go_first_down_to_the_low_watermark(
    root: Path,
) -> None:
    cache = TextCache.default()
    names = ["a", "b", "c", "d", "e"]
    # a is the oldest ... e the newest, all older than TOUCH_AFTER
    keys = fill(cache, names, lambda i: TOUCH_AFTER * (10 - i))
    assert len(entry_files(root)) == 5 and total_size(root) <= MB // 2
    # a hit on b makes it the most recently used
    assert cache.get(keys["b"]) == "b" * BODY
    cache.put(
        cache.key("black", "salt", "f"), "f" * BODY
    )  # sixth entry: over the bound
    left = {
        name
        for name, key in keys.items()
        if (path := cache._path(key)) and path.exists()
    }
    # 6 entries of 102,400 bytes over 524,288: down to <= 419,430, so four are left:
    # the oldest two not used since (a, c) are gone; b (hit), d, e and f stay
    assert left == {"b", "d", "e"}
    assert cache.get(cache.key("black", "salt", "f")) == "f" * BODY
    assert total_size(root) <= MB // 2 * LOW_WATERMARK
    assert len(entry_files(root)) == 4


def test_a_recent_hit_does_not_rewrite_the_entry_time(root: Path) -> None:
    cache = TextCache.default()
    keys = fill(cache, ["a"], lambda i: 60.0)
    path = cache._path(keys["a"])
    assert path is not None
    before = path.stat().st_mtime
    assert cache.get(keys["a"]) == "a" * BODY
    assert path.stat().st_mtime == before


def test_under_the_bound_nothing_is_removed(root: Path) -> None:
    cache = TextCache.default()
    fill(cache, ["a", "b", "c"], lambda i: TOUCH_AFTER * (10 - i))
    cache.put(cache.key("black", "salt", "d"), "d" * BODY)
    assert len(entry_files(root)) == 4


def test_a_process_trims_once_and_only_when_it_writes(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = TextCache.default()
    keys = fill(cache, ["a", "b", "c", "d", "e", "f", "g"], lambda i: 100.0 - i)
    scans: list[Path] = []
    real_scan = cache_module._scan

    def spy(directory: Path) -> list[tuple[float, str, int, bool]]:
        scans.append(directory)
        return real_scan(directory)

    monkeypatch.setattr(cache_module, "_scan", spy)
    for key in keys.values():  # reading never scans
        assert cache.get(key) is not None
    assert scans == [] and len(entry_files(root)) == 7
    cache.put(cache.key("black", "salt", "h"), "h" * BODY)  # first write: trims
    assert scans == [root] and len(entry_files(root)) == 4
    for name in ["i", "j", "k"]:  # later writes, by any TextCache on this root: no scan
        TextCache.default().put(cache.key("black", "salt", name), name * BODY)
    assert scans == [root] and len(entry_files(root)) == 7
    # another process (here: a fresh state) writing again trims again
    monkeypatch.setattr(cache_module, "_trimmed", set())
    cache.put(cache.key("black", "salt", "l"), "l" * BODY)
    assert scans == [root, root] and len(entry_files(root)) == 4


def test_entries_removed_by_another_process_meanwhile_are_skipped(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = TextCache.default()
    keys = fill(cache, ["a", "b", "c", "d", "e", "f"], lambda i: 100.0 - i)
    real_unlink = os.unlink
    raced: list[str] = []

    def unlink_after_another_process(path: str) -> None:
        if not raced:  # the first removal: another process got there first
            raced.append(path)
            real_unlink(path)
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", unlink_after_another_process)
    cache.put(cache.key("black", "salt", "g"), "g" * BODY)
    path_a = cache._path(keys["a"])
    assert raced == [str(path_a)]
    assert len(entry_files(root)) == 4
    assert total_size(root) <= MB // 2 * LOW_WATERMARK
    # and a reader whose entry vanished sees a miss
    assert cache.get(keys["a"]) is None


def test_only_entries_and_stale_temporary_files_are_removed(root: Path) -> None:
    cache = TextCache.default()
    fill(cache, ["a", "b", "c", "d", "e", "f"], lambda i: TOUCH_AFTER * (10 - i))
    old = time.time() - 10 * TOUCH_AFTER
    others = [
        root / "notes.txt",  # not in a shard directory
        root / "black" / "zz" / ("0" * 64),  # not a hex shard
        root / "black" / "ab" / "not-a-digest",
        root / "black" / "ab" / ("cd" + "0" * 62),  # digest not in its own shard
        root / "black" / "ab" / ".tmp-fresh",  # a writer may still be at it
    ]
    stale = root / "black" / "ab" / ".tmp-stale"
    for path in [*others, stale]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * BODY)
        if path.name != ".tmp-fresh":
            os.utime(path, (old, old))
    cache.put(cache.key("black", "salt", "g"), "g" * BODY)
    assert all(path.exists() for path in others)
    assert not stale.exists()
    entries = [p for p in entry_files(root) if p not in others]
    assert len(entries) == 4


def test_no_bound_no_trim(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_MAX_MB", "0")
    cache = TextCache.default()
    fill(cache, ["a", "b", "c", "d", "e", "f"], lambda i: 100.0 - i)
    cache.put(cache.key("black", "salt", "g"), "g" * BODY)
    assert len(entry_files(root)) == 7


def test_black_output_goes_through_the_bounded_cache(root: Path) -> None:
    from arazzo_codegen.formatting import format_source

    assert format_source("x  =  1\n") == "x = 1\n"
    assert len(entry_files(root)) == 1
    assert entry_files(root)[0].relative_to(root).parts[0] == "black"
