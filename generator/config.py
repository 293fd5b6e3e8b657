"""``[tool.arazzo-codegen]`` in pyproject.toml: which spec becomes which package,
and the options.  Command-line options override it.

    [tool.arazzo-codegen]
    out = "generated"          # where packages go (default "generated")
    strict = false             # warnings are errors
    poll-interval = 1.0        # default delay of goto loops that give none
    line-length = 88           # black line length of the generated code
    idempotency-header = "X-Idempotency-Token"  # also marks operations idempotency-keyed
    durable = true             # also emit durable.py (DBOS); or { concurrency = 10, rate = 5 }
    source-map = { "https://example.com/api/" = "vendor/api" }  # URL prefix -> local folder

    [[tool.arazzo-codegen.specs]]
    spec = "specs/vapi/arazzo/vapi-workflow.yml"
    package = "vapi"
    out = "src"                # optional; so are strict, poll-interval, line-length
    # How webhook deliveries reach an AsyncAPI source's channels (per source name);
    # replaces the document's x-arazzo-webhook extension for that source:
    webhooks = { events = { route-header = "X-Event", signature = "hmac-sha256", signature-header = "X-Signature" } }

Relative paths are relative to the directory of pyproject.toml.  Every problem is
a :class:`UsageError` (exit code 2) with a one-line message.

This module is imported on the ``check`` fast path: standard library only.
"""

from __future__ import annotations

import difflib
import keyword
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import UsageError, did_you_mean

SECTION = "arazzo-codegen"
DEFAULT_OUT = "generated"
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_LINE_LENGTH = 88
LINE_LENGTH_RANGE = (40, 300)

_OPTION_KEYS = {
    "out": "a string",
    "strict": "a boolean",
    "poll-interval": "a number",
    "line-length": "an integer",
    "idempotency-header": "a string",
    "durable": "a boolean or a table { concurrency = N, rate = M }",
}
#: Keys of a ``durable = { ... }`` table: the limits of the package's DBOS queue.
DURABLE_KEYS = {
    "concurrency": "a positive integer (workflows of the queue running at once, over all workers)",
    "rate": "a positive number (workflows the queue starts per second)",
}
#: RFC 9110 ``token`` characters: what an HTTP header name may be made of.
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
TOP_KEYS = {
    **_OPTION_KEYS,
    "source-map": "a table of URL prefix = folder",
    "specs": "an array of tables ([[tool.arazzo-codegen.specs]])",
}
SPEC_KEYS = {
    "spec": "a string",
    "package": "a string",
    **_OPTION_KEYS,
    "webhooks": "a table of source name = { route-header, signature, ... }",
}
#: The keys of one ``webhooks`` entry (asyncapi.CONFIG_KEYS maps them to x-arazzo-webhook's).
WEBHOOK_KEYS = {
    "route-header": "the header whose value is the channel address of a delivery",
    "route-payload": "a JSON pointer to the payload member whose value is the channel address",
    "signature": "the signature scheme: hmac-sha256, stripe or standard-webhooks",
    "signature-header": "the header that carries the signature (hmac-sha256, stripe)",
    "encoding": "hex or base64 (hmac-sha256)",
    "prefix": "text before the digest, e.g. 'sha256=' (hmac-sha256)",
    "tolerance": "seconds a signature's timestamp may be off (stripe, standard-webhooks)",
}
SIGNATURE_SCHEMES = ("hmac-sha256", "stripe", "standard-webhooks")


@dataclass(frozen=True)
class Durable:
    """The ``durable`` option: emit durable.py, whose DBOS queue has these limits
    (None: no limit)."""

    concurrency: int | None = None
    rate: float | None = None


@dataclass(frozen=True)
class Job:
    """One spec compiled as one package (defined here, not in the pipeline, so that
    the ``check`` fast path never imports the pipeline)."""

    spec: Path
    package: str
    out: Path
    strict: bool = False
    poll_interval: float = DEFAULT_POLL_INTERVAL
    line_length: int = DEFAULT_LINE_LENGTH
    #: (URL prefix, absolute local folder) pairs, longest prefix first (see SourceMap).
    source_map: tuple[tuple[str, str], ...] = ()
    #: A header parameter name (any case) that, like ``Idempotency-Key``, makes a POST keyed.
    idempotency_header: str | None = None
    #: ``webhooks``: (AsyncAPI source name, its (key, value) pairs sorted), sorted by name.
    webhooks: tuple[tuple[str, tuple[tuple[str, str | int], ...]], ...] = ()
    #: Also emit durable.py (the workflows on DBOS) when set.
    durable: Durable | None = None

    @property
    def package_dir(self) -> Path:
        return self.out / self.package

    def options(self) -> dict[str, object]:
        """What the stamp hashes besides the inputs (a source map or an idempotency header
        only when there is one, so that packages built without them keep their stamps)."""
        options: dict[str, object] = {
            "package": self.package,
            "strict": self.strict,
            "poll_interval": self.poll_interval,
            "line_length": self.line_length,
        }
        if self.source_map:
            options["source_map"] = self.source_map
        if self.idempotency_header is not None:
            options["idempotency_header"] = self.idempotency_header
        if self.webhooks:
            options["webhooks"] = self.webhooks
        if self.durable is not None:
            options["durable"] = (self.durable.concurrency, self.durable.rate)
        return options

    def webhook_tables(self) -> dict[str, dict[str, str | int]]:
        """``webhooks`` as the resolve stage takes it: source name -> its table."""
        return {name: dict(pairs) for name, pairs in self.webhooks}


@dataclass(frozen=True)
class Overrides:
    """Command-line options; ``None`` means "not given": the configuration decides."""

    out: Path | None = None
    strict: bool | None = None
    poll_interval: float | None = None
    line_length: int | None = None
    source_map: tuple[tuple[str, str], ...] = ()  # --source-map PREFIX=DIR, DIR absolute
    idempotency_header: str | None = None
    durable: bool | None = None  # --durable / --no-durable


@dataclass(frozen=True)
class Config:
    pyproject: Path
    defaults: Mapping[str, Any]  # the top-level options, keys as in TOML
    jobs: tuple[Job, ...]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in ``start`` or above it."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_config(pyproject: Path, overrides: Overrides, *, required: bool = True) -> Config | None:
    """The configuration in ``pyproject``; ``None`` when it has no section and
    ``required`` is false; UsageError for anything malformed."""
    where = _show(pyproject)
    if not pyproject.is_file():
        raise UsageError(f"{where}: no such file")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    tool = data.get("tool")
    section = tool.get(SECTION) if isinstance(tool, dict) else None
    if section is None:
        if not required:
            return None
        close = (
            difflib.get_close_matches(SECTION, [k for k in tool if isinstance(k, str)], n=1, cutoff=0.7)
            if isinstance(tool, dict)
            else []
        )
        if close:
            raise UsageError(
                f"{where}: no [tool.{SECTION}] section; found [tool.{close[0]}]: did you mean [tool.{SECTION}]?"
            )
        raise UsageError(
            f"{where}: no [tool.{SECTION}] section; pass spec files on the command line or add the section (see README)"
        )
    if not isinstance(section, dict):
        raise UsageError(f"{where}: tool.{SECTION} must be a table")
    _check_table(section, TOP_KEYS, f"{where}: [tool.{SECTION}]")
    root = pyproject.parent
    specs = section.get("specs", [])
    if not specs:
        if not required:
            return Config(pyproject, section, ())
        raise UsageError(
            f"{where}: [tool.{SECTION}] lists no specs; add [[tool.{SECTION}.specs]] tables with 'spec' and 'package'"
        )
    jobs: list[Job] = []
    seen: dict[Path, str] = {}
    for index, entry in enumerate(specs):
        here = f"{where}: [[tool.{SECTION}.specs]] #{index + 1}"
        if not isinstance(entry, dict):
            raise UsageError(f"{here}: must be a table with 'spec' and 'package'")
        _check_table(entry, SPEC_KEYS, here)
        for required_key in ("spec", "package"):
            if required_key not in entry:
                raise UsageError(f"{here}: missing '{required_key}'")
        spec = root / entry["spec"]
        if not spec.is_file():
            raise UsageError(f"{here}: spec {_show(spec)}: no such file")
        package = entry["package"]
        _check_package(package, f"{here}: package")
        job = _job(spec, package, root, overrides, entry, section)
        key = Path(os.path.abspath(job.package_dir))
        if key in seen:
            raise UsageError(f"{here}: package directory {_show(job.package_dir)} is also the output of {seen[key]}")
        seen[key] = _show(spec)
        jobs.append(job)
    return Config(pyproject, section, tuple(jobs))


def jobs_for_specs(specs: Sequence[str], config: Config | None, overrides: Overrides, package: str | None) -> list[Job]:
    """Jobs for spec files named on the command line.  A spec the configuration
    lists keeps its package and output directory; any other gets a package named
    after the file and the configuration's top-level options."""
    if package is not None and len(specs) > 1:
        raise UsageError("--package names one package; give one SPEC with it")
    configured = {Path(os.path.abspath(job.spec)): job for job in config.jobs} if config else {}
    defaults: Mapping[str, Any] = config.defaults if config else {}
    root = config.pyproject.parent if config else Path(".")
    jobs: list[Job] = []
    for spec in specs:
        path = Path(spec)
        if not path.is_file():
            raise UsageError(f"{spec}: no such file" if not path.exists() else f"{spec}: not a file")
        known = configured.get(Path(os.path.abspath(path)))
        if known is not None and package is None:
            jobs.append(
                Job(
                    path,
                    known.package,
                    known.out,
                    known.strict,
                    known.poll_interval,
                    known.line_length,
                    known.source_map,
                    known.idempotency_header,
                    known.webhooks,
                    known.durable,
                )
            )
            continue
        name = package if package is not None else package_name(path)
        _check_package(
            name, "--package" if package is not None else f"{spec}: the package name derived from the file name"
        )
        jobs.append(_job(path, name, root, overrides, {}, defaults))
    seen: dict[Path, str] = {}
    for job, spec in zip(jobs, specs):
        target = Path(os.path.abspath(job.package_dir))
        if target in seen:
            raise UsageError(
                f"{seen[target]} and {spec} would both be written to {job.package_dir}; give them different --out or --package"
            )
        seen[target] = spec
    return jobs


def package_name(spec: Path) -> str:
    """``petstore-workflow.arazzo.yaml`` -> ``petstore``."""
    from .pycode import snake_case

    stem = spec.name.split(".")[0]
    for suffix in ("-workflows", "_workflows", "-workflow", "_workflow", "-arazzo", "_arazzo"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return snake_case(stem, fallback="workflows")


def load_jobs(pyproject: Path, overrides: Overrides) -> list[Job]:
    """The jobs ``pyproject`` lists (its section is required)."""
    config = read_config(pyproject, overrides)
    assert config is not None
    return list(config.jobs)


def check_overrides(overrides: Overrides) -> None:
    if overrides.line_length is not None:
        _check_line_length(overrides.line_length, "--line-length")
    if overrides.poll_interval is not None:
        _check_poll_interval(overrides.poll_interval, "--poll-interval")
    if overrides.idempotency_header is not None:
        _check_header_name(overrides.idempotency_header, "--idempotency-header")


def _job(
    spec: Path, package: str, root: Path, overrides: Overrides, entry: Mapping[str, Any], section: Mapping[str, Any]
) -> Job:
    out = (
        overrides.out
        if overrides.out is not None
        else root / str(_pick(entry.get("out"), section.get("out"), DEFAULT_OUT))
    )
    return Job(
        spec=spec,
        package=package,
        out=Path(os.path.normpath(out)),
        strict=bool(_pick(overrides.strict, entry.get("strict"), section.get("strict"), False)),
        poll_interval=float(
            _pick(
                overrides.poll_interval, entry.get("poll-interval"), section.get("poll-interval"), DEFAULT_POLL_INTERVAL
            )
        ),
        line_length=int(
            _pick(overrides.line_length, entry.get("line-length"), section.get("line-length"), DEFAULT_LINE_LENGTH)
        ),
        source_map=merge_source_maps(_configured_map(section.get("source-map"), root), overrides.source_map),
        idempotency_header=_pick(
            overrides.idempotency_header, entry.get("idempotency-header"), section.get("idempotency-header")
        ),
        webhooks=tuple(
            (name, tuple(sorted(table.items()))) for name, table in sorted((entry.get("webhooks") or {}).items())
        ),
        durable=_durable(overrides.durable, _pick(entry.get("durable"), section.get("durable"))),
    )


def _durable(override: bool | None, configured: Any) -> Durable | None:
    """The ``durable`` option: ``--no-durable`` wins, then ``--durable`` (keeping the
    configured limits), then the configuration (already checked by _check_durable)."""
    if override is False:
        return None
    if isinstance(configured, dict):
        rate = configured.get("rate")
        return Durable(configured.get("concurrency"), None if rate is None else float(rate))
    if override or configured is True:
        return Durable()
    return None


def parse_source_map_option(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``--source-map PREFIX=DIR`` values (DIR relative to the working directory);
    a later value for the same prefix wins."""
    pairs: dict[str, str] = {}
    for value in values:
        prefix, sep, folder = value.rpartition("=")  # a URL may hold '=', a folder rarely does
        if not sep or not prefix or not folder:
            raise UsageError(
                f"--source-map {value!r}: write PREFIX=DIR, e.g. --source-map https://example.com/api/=vendor/api"
            )
        pairs[prefix] = _check_map_entry(prefix, Path(folder), f"--source-map {value!r}")
    return tuple(pairs.items())


def _configured_map(table: Any, root: Path) -> tuple[tuple[str, str], ...]:
    """``source-map`` of the configuration (already type-checked), folders relative to ``root``."""
    if not table:
        return ()
    where = "[tool.arazzo-codegen] source-map"
    pairs: list[tuple[str, str]] = []
    for prefix, folder in table.items():
        if not isinstance(folder, str) or not folder.strip():
            raise UsageError(f"{where}: the folder of {prefix!r} must be a non-empty string, not {_toml_type(folder)}")
        pairs.append((prefix, _check_map_entry(prefix, root / folder, f"{where}: {prefix!r}")))
    return tuple(pairs)


def merge_source_maps(
    configured: Sequence[tuple[str, str]], given: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """Configuration entries, then command-line ones (same prefix: the command line
    wins), longest prefix first so that the first match is the longest."""
    merged = dict(configured)
    merged.update(given)
    return tuple(sorted(merged.items(), key=lambda item: (-len(item[0]), item[0])))


def _check_map_entry(prefix: str, folder: Path, where: str) -> str:
    # Imported here, only when a source map is given: the loader imports yaml.
    from .load import is_remote

    if not is_remote(prefix):
        raise UsageError(
            f"{where}: the prefix {prefix!r} is not an absolute URL; a source map maps remote URLs (https://...) to local folders (relative URLs already are local)"
        )
    if not folder.is_dir():
        raise UsageError(f"{where}: {_show(folder)}: no such directory")
    return os.path.realpath(folder)


def _pick(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def _check_table(table: Mapping[str, Any], allowed: Mapping[str, str], where: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise UsageError(f"{where}: unknown key '{key}'" + (f"; {hint}" if hint else ""))
        if not _has_type(key, value):
            raise UsageError(f"{where}: '{key}' must be {allowed[key]}, not {_toml_type(value)}")
        if key == "line-length":
            _check_line_length(value, f"{where}: 'line-length'")
        elif key == "poll-interval":
            _check_poll_interval(value, f"{where}: 'poll-interval'")
        elif key == "idempotency-header":
            _check_header_name(value, f"{where}: 'idempotency-header'")
        elif key == "webhooks":
            _check_webhooks(value, f"{where}: webhooks")
        elif key == "durable" and isinstance(value, dict):
            _check_durable(value, f"{where}: 'durable'")
        elif key in ("out", "spec") and not value.strip():
            raise UsageError(f"{where}: '{key}' must not be empty")


def _has_type(key: str, value: Any) -> bool:
    if key == "strict":
        return isinstance(value, bool)
    if key == "poll-interval":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if key == "line-length":
        return isinstance(value, int) and not isinstance(value, bool)
    if key == "specs":
        return isinstance(value, list)
    if key in ("source-map", "webhooks"):
        return isinstance(value, dict)
    if key == "durable":
        return isinstance(value, (bool, dict))
    return isinstance(value, str)


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _check_line_length(value: int, where: str) -> None:
    low, high = LINE_LENGTH_RANGE
    if not low <= value <= high:
        raise UsageError(f"{where} must be between {low} and {high}, not {value}")


def _check_poll_interval(value: float, where: str) -> None:
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{where} must be a finite number of seconds >= 0, not {value}")


def _check_durable(table: Mapping[str, Any], where: str) -> None:
    for key, value in table.items():
        if key not in DURABLE_KEYS:
            hint = did_you_mean(key, DURABLE_KEYS)
            raise UsageError(f"{where}: unknown key '{key}'" + (f"; {hint}" if hint else ""))
        number = isinstance(value, int) if key == "concurrency" else isinstance(value, (int, float))
        if isinstance(value, bool) or not number or not value > 0 or value == float("inf"):
            raise UsageError(f"{where}: '{key}' must be {DURABLE_KEYS[key]}, not {value!r}")


def _check_header_name(value: str, where: str) -> None:
    bad = sorted({c for c in value if c not in _TCHARS})
    if not value or bad:
        found = "it is empty" if not value else "it contains " + ", ".join(repr(c) for c in bad)
        raise UsageError(f"{where} must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), but {found}")


def _check_webhooks(table: Mapping[str, Any], where: str) -> None:
    """``webhooks = { <source> = { route-header = ..., signature = ..., ... } }``."""
    for source, entry in table.items():
        here = f"{where}.{source}"
        if not isinstance(entry, dict):
            raise UsageError(f"{here} must be a table of {', '.join(WEBHOOK_KEYS)}, not {_toml_type(entry)}")
        for key, value in entry.items():
            if key not in WEBHOOK_KEYS:
                hint = did_you_mean(key, WEBHOOK_KEYS)
                raise UsageError(f"{here}: unknown key '{key}'" + (f"; {hint}" if hint else ""))
            wanted_int = key == "tolerance"
            if wanted_int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise UsageError(f"{here}: 'tolerance' must be a whole number of seconds >= 0, not {value!r}")
            if not wanted_int and not isinstance(value, str):
                raise UsageError(f"{here}: '{key}' must be a string, not {_toml_type(value)}")
        if "route-header" in entry and "route-payload" in entry:
            raise UsageError(f"{here}: give one of 'route-header' and 'route-payload', not both")
        if "route-header" in entry:
            _check_header_name(entry["route-header"], f"{here}: 'route-header'")
        if "route-payload" in entry and not entry["route-payload"].startswith("/"):
            raise UsageError(
                f"{here}: 'route-payload' must be a JSON pointer such as '/event', not {entry['route-payload']!r}"
            )
        scheme = entry.get("signature")
        if scheme is None:
            extra = [k for k in ("signature-header", "encoding", "prefix", "tolerance") if k in entry]
            if extra:
                raise UsageError(f"{here}: '{extra[0]}' needs 'signature' (one of {', '.join(SIGNATURE_SCHEMES)})")
            continue
        if scheme not in SIGNATURE_SCHEMES:
            hint = did_you_mean(scheme, SIGNATURE_SCHEMES)
            raise UsageError(
                f"{here}: unknown signature {scheme!r}; use one of {', '.join(SIGNATURE_SCHEMES)}"
                + (f" ({hint})" if hint and hint.startswith("did") else "")
            )
        if scheme == "standard-webhooks":
            if "signature-header" in entry and entry["signature-header"].lower() != "webhook-signature":
                raise UsageError(
                    f"{here}: standard-webhooks signatures are in the webhook-id, webhook-timestamp and webhook-signature headers; remove 'signature-header'"
                )
        elif "signature-header" not in entry:
            raise UsageError(
                f"{here}: {'an' if scheme == 'hmac-sha256' else 'a'} {scheme} signature needs 'signature-header' (the header that carries it)"
            )
        else:
            _check_header_name(entry["signature-header"], f"{here}: 'signature-header'")
        for key, schemes in (
            ("encoding", ("hmac-sha256",)),
            ("prefix", ("hmac-sha256",)),
            ("tolerance", ("stripe", "standard-webhooks")),
        ):
            if key in entry and scheme not in schemes:
                raise UsageError(f"{here}: '{key}' applies to {' and '.join(schemes)} signatures, not {scheme}")
        if "encoding" in entry and entry["encoding"] not in ("hex", "base64"):
            raise UsageError(f"{here}: 'encoding' must be hex or base64, not {entry['encoding']!r}")


def _check_package(name: str, where: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(
            f"{where} {name!r} is not a valid Python package name (letters, digits and '_', not starting with a digit, not a keyword)"
        )


def _show(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive (Windows)
        return str(path)
