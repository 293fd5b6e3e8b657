"""``[tool.arazzo-codegen]`` in pyproject.toml: which spec becomes which package,
and the options.  Command-line options override it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import UsageError, did_you_mean
from .pipeline import Job

TOP_KEYS = {"out": str, "strict": bool, "poll-interval": (int, float), "line-length": int, "specs": list}
SPEC_KEYS = {"spec": str, "package": str, "out": str, "strict": bool, "poll-interval": (int, float), "line-length": int}


@dataclass(frozen=True)
class Overrides:
    out: Path | None = None
    strict: bool | None = None
    poll_interval: float | None = None
    line_length: int | None = None


def find_pyproject(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_jobs(pyproject: Path, overrides: Overrides) -> list[Job]:
    """The jobs the configuration lists; UsageError for anything malformed."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{pyproject}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{pyproject}: cannot read: {exc.strerror}") from None
    section = data.get("tool", {}).get("arazzo-codegen")
    if section is None:
        raise UsageError(f"{pyproject}: no [tool.arazzo-codegen] section; pass spec files on the command line or add the section (see README)")
    root = pyproject.parent
    _check_keys(section, TOP_KEYS, f"{pyproject}: [tool.arazzo-codegen]")
    specs = section.get("specs", [])
    if not specs:
        raise UsageError(f"{pyproject}: [tool.arazzo-codegen] lists no specs; add [[tool.arazzo-codegen.specs]] tables with 'spec' and 'package'")
    jobs: list[Job] = []
    packages: set[tuple[Path, str]] = set()
    for index, entry in enumerate(specs):
        where = f"{pyproject}: [[tool.arazzo-codegen.specs]] #{index + 1}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: must be a table")
        _check_keys(entry, SPEC_KEYS, where)
        for required in ("spec", "package"):
            if required not in entry:
                raise UsageError(f"{where}: missing '{required}'")
        package = entry["package"]
        if not package.isidentifier():
            raise UsageError(f"{where}: package {package!r} is not a valid Python identifier")
        out = overrides.out or root / entry.get("out", section.get("out", "generated"))
        if (out, package) in packages:
            raise UsageError(f"{where}: package {package!r} is listed twice for {out}")
        packages.add((out, package))
        jobs.append(
            Job(
                spec=root / entry["spec"],
                package=package,
                out=out,
                strict=_pick(overrides.strict, entry.get("strict"), section.get("strict"), False),
                poll_interval=float(_pick(overrides.poll_interval, entry.get("poll-interval"), section.get("poll-interval"), 1.0)),
                line_length=int(_pick(overrides.line_length, entry.get("line-length"), section.get("line-length"), 88)),
            )
        )
    return jobs


def _pick(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def _check_keys(table: dict[str, Any], allowed: dict[str, Any], where: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise UsageError(f"{where}: unknown key {key!r}" + (f"; {hint}" if hint else ""))
        expected = allowed[key]
        if isinstance(value, bool) and expected in ((int, float), int):
            raise UsageError(f"{where}: {key!r} must be a number")
        if not isinstance(value, expected):
            raise UsageError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
