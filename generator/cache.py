"""The on-disk text cache: derived texts (black's output, datamodel-code-generator's)
addressed by a hash of everything they derive from, with a size bound.

Where it lives: ``$ARAZZO_CODEGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/arazzo-codegen``,
else ``~/.cache/arazzo-codegen``; ``ARAZZO_CODEGEN_NO_CACHE=1`` turns it off.  Every
entry carries a hash of its text and a damaged entry is ignored, so the cache can change
how long generation takes, never what it writes.

The bound: ``ARAZZO_CODEGEN_CACHE_MAX_MB`` (default 200; 0 for no bound).  The first
time a process writes an entry, it adds up the sizes of the entries (each rounded up to
whole 4 KiB blocks, close to what ``du`` reports); above the bound, it removes the least
recently used ones (oldest modification time: a hit refreshes an entry's time when it is
more than an hour old) until they fill at most 80% of it.  So a process that only reads
never scans the directory, one that writes scans it once (what it writes afterwards is
counted by the next process that writes).  Other processes may read, write and trim the
same directory at the same time: an entry that disappears underneath is skipped (a
reader sees a miss and recomputes).
Only files laid out as entries (``<kind>/<2 hex>/<64 hex>``) and stale temporary files
are ever removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import tempfile
import threading
import time
from functools import cache
from pathlib import Path

_CACHE_SCHEME = "arazzo-codegen text cache 1"
DEFAULT_MAX_MB = 200.0
LOW_WATERMARK = 0.8  # a trim goes down to this fraction of the bound
TOUCH_AFTER = 3600.0  # seconds: a hit on an entry older than this refreshes its time
BLOCK = 4096  # entry sizes are counted in whole blocks, as a file system stores them
_TEMP_PREFIX = ".tmp-"
_SHARD = re.compile(r"[0-9a-f]{2}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


@cache
def package_version(distribution: str) -> str:
    """An installed distribution's version, without importing it (part of cache salts)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


@cache
def module_digest(path: str) -> str:
    """A short hash of one of the generator's own modules (``__file__``): salting a
    cache key with it means that editing the module invalidates what it cached."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


_trim_lock = threading.Lock()
_trimmed: set[Path] = set()  # cache roots this process has trimmed (or decided not to)


def _debug(message: str) -> None:
    if os.environ.get("ARAZZO_CODEGEN_CACHE_DEBUG"):
        print(f"arazzo-codegen: {message}", file=sys.stderr)


def max_bytes_from_env() -> int | None:
    """The bound in bytes from ``ARAZZO_CODEGEN_CACHE_MAX_MB`` (None: no bound)."""
    raw = os.environ.get("ARAZZO_CODEGEN_CACHE_MAX_MB", "").strip()
    megabytes = DEFAULT_MAX_MB
    if raw:
        try:
            megabytes = float(raw)
        except ValueError:
            _debug(f"ignoring ARAZZO_CODEGEN_CACHE_MAX_MB={raw!r} (not a number)")
    if not megabytes > 0:  # 0, a negative number or nan
        return None
    return int(megabytes * 1024 * 1024)


class TextCache:
    """Derived texts on disk, addressed by a hash of everything they derive from."""

    def __init__(self, root: Path | None, max_bytes: int | None = None) -> None:
        self.root = root
        self.max_bytes = max_bytes

    @staticmethod
    def default() -> TextCache:
        if os.environ.get("ARAZZO_CODEGEN_NO_CACHE"):
            return TextCache(None)
        max_bytes = max_bytes_from_env()
        explicit = os.environ.get("ARAZZO_CODEGEN_CACHE_DIR")
        if explicit:
            return TextCache(Path(explicit), max_bytes)
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return TextCache(Path(base) / "arazzo-codegen", max_bytes)

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
            with open(path, "rb") as handle:
                data = handle.read()
                modified = os.fstat(handle.fileno()).st_mtime
        except OSError:
            return None
        check, newline, body = data.partition(b"\n")
        if not newline or hashlib.sha256(body).hexdigest().encode() != check:
            return None
        try:
            text = body.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
        if time.time() - modified > TOUCH_AFTER:
            # recently used: trimmed last; gone or read-only: nothing to do
            with contextlib.suppress(OSError):
                os.utime(path)
        return text

    def put(self, key: str, text: str) -> None:
        path = self._path(key)
        if path is None:
            return
        body = text.encode("utf-8", "surrogatepass")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:  # read-only or full disk: the cache is only an optimisation
            _debug(f"cache write failed: {exc}")
            return
        self._trim_once()

    def _trim_once(self) -> None:
        """Trim this cache's directory, the first time this process writes to it."""
        if self.root is None or self.max_bytes is None:
            return
        with _trim_lock:
            if self.root in _trimmed:
                return
            _trimmed.add(self.root)
        try:
            self.trim()
        except OSError as exc:  # an unreadable directory: the cache is only an optimisation
            _debug(f"cache trim failed: {exc}")

    def trim(self) -> None:
        """Above ``max_bytes``, remove the least recently used entries down to
        ``LOW_WATERMARK`` of it; remove temporary files a writer left behind."""
        if self.root is None or self.max_bytes is None:
            return
        entries: list[tuple[float, str, int]] = []  # modified, path, size
        total = 0
        stale = time.time() - TOUCH_AFTER
        for modified, path, size, temporary in _scan(self.root):
            if temporary:
                if modified < stale:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                continue
            entries.append((modified, path, size))
            total += size
        if total <= self.max_bytes:
            return
        target = self.max_bytes * LOW_WATERMARK
        entries.sort()
        for _, path, size in entries:
            if total <= target:
                break
            try:
                os.unlink(path)
            except FileNotFoundError:  # another process trimmed it first
                pass
            except OSError as exc:
                _debug(f"cache trim could not remove {path}: {exc}")
                continue
            total -= size
        _debug(f"cache trimmed to {total} bytes ({self.root})")


def _scan(root: Path) -> list[tuple[float, str, int, bool]]:
    """(modified, path, size in whole blocks, is a temporary file) of every file laid
    out as an entry."""
    found: list[tuple[float, str, int, bool]] = []
    for kind in _dirs(str(root)):
        for shard in _dirs(kind.path):
            if not _SHARD.fullmatch(shard.name):
                continue
            try:
                with os.scandir(shard.path) as listing:
                    files = list(listing)
            except OSError:  # removed meanwhile
                continue
            for entry in files:
                temporary = entry.name.startswith(_TEMP_PREFIX)
                if not temporary and not (_DIGEST.fullmatch(entry.name) and entry.name[:2] == shard.name):
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    stat = entry.stat(follow_symlinks=False)
                except OSError:  # removed meanwhile
                    continue
                size = -(-stat.st_size // BLOCK) * BLOCK
                found.append((stat.st_mtime, entry.path, size, temporary))
    return found


def _dirs(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return [e for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
