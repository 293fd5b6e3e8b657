"""The real-world corpus benchmark: ``make corpus``.

    .venv/bin/python bench/corpus.py [CORPUS] [--jobs 2] [--timeout 180] [--only TEXT]

CORPUS (default ``../shared/corpus`` beside the project root) holds Arazzo documents
that other people wrote and ``CORPUS/EXPECT.tsv`` (columns file, arazzo, expect,
note) says what a careful compiler does with each: ``compile`` (it compiles and
its package imports) or ``diagnose`` (it is refused with a clean diagnostic).

Each document is compiled by the CLI in a child process (``generate`` into a
temporary directory, with the source maps of ``bench/corpus_source_map.toml``),
then its package is imported in another child process.  The outcome:

- ``compile`` expected: a hit when generate exits 0 and the import works;
- ``diagnose`` expected: a hit when generate exits 1 with a ``file:line:col:
  error:`` line and no traceback; where the note says the diagnostic must be
  about the source, every error must also be at a source description (its
  ``$.sourceDescriptions`` entry, or inside the source's own file) and none about
  the version;
- a crash: exit 3, a traceback, a time-out, or a package that does not import.

``bench/corpus_disputes.tsv`` lists rows where we do otherwise on purpose (mostly
``compile`` rows that we refuse), with the reason: they are reported apart, and
the totals stay measured against EXPECT.tsv as written.  Prints the misses and the totals, and writes a Markdown
summary to bench/results/corpus.md.  Not part of the test suite; nothing is
fetched (the source maps point remote URLs at the corpus's own files).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SOURCE_MAP_FILE = HERE / "corpus_source_map.toml"
DISPUTES_FILE = HERE / "corpus_disputes.tsv"
RESULTS = HERE / "results" / "corpus.md"
PYTHON = Path(sys.executable)  # the venv's interpreter under `make corpus`

_ERROR_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): error: (?P<path>\$.*?): (?P<message>.*)$")
_ABOUT_SOURCE = "must be about the source"


@dataclass
class Row:
    file: str
    arazzo: str
    expect: str
    note: str


@dataclass
class Outcome:
    row: Row
    got: str  # compiled | refused | crash
    hit: bool
    detail: str  # the first error line, or what went wrong
    seconds: float
    errors: list[str] = field(default_factory=list)


def read_expect(folder: Path) -> list[Row]:
    with (folder / "EXPECT.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Row(r["file"], r["arazzo"], r["expect"], r.get("note") or "") for r in reader]


def read_disputes(path: Path) -> dict[str, str]:
    disputes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        file, _, reason = line.partition("\t")
        disputes[file.strip()] = reason.strip()
    return disputes


def source_map_args(folder: Path, path: Path) -> list[str]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))["source-map"]
    args: list[str] = []
    for prefix, sub in table.items():
        local = folder / sub
        if local.is_dir():
            args += ["--source-map", f"{prefix}={local}"]
    return args


def run_one(index: int, row: Row, folder: Path, maps: list[str], timeout: float, scratch: Path) -> Outcome:
    package = f"corpus_{index:03d}"
    out = scratch / package
    started = time.perf_counter()
    command = [
        str(PYTHON),
        "-m",
        "arazzo_codegen",
        "generate",
        row.file,
        "--out",
        str(out),
        "--package",
        package,
        "--no-strict",
        *maps,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARAZZO_CODEGEN_TRACEBACK")}
    try:
        done = subprocess.run(
            command, cwd=folder, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return Outcome(row, "crash", False, f"generate timed out after {timeout:.0f} s", time.perf_counter() - started)
    seconds = time.perf_counter() - started
    errors = [line for line in done.stderr.splitlines() if _ERROR_LINE.match(line)]
    if done.returncode == 3 or "Traceback (most recent call last)" in done.stderr + done.stdout:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return Outcome(row, "crash", False, f"exit {done.returncode}: {last}", seconds, errors)
    if done.returncode == 0:
        try:
            imported = subprocess.run(
                [str(PYTHON), "-c", f"import {package}"],
                cwd=out,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome(row, "crash", False, "import timed out", seconds)
        if imported.returncode != 0:
            last = (imported.stderr.strip().splitlines() or ["(no output)"])[-1]
            return Outcome(row, "crash", False, f"compiled, but the import fails: {last}", seconds)
        return Outcome(row, "compiled", row.expect == "compile", "", seconds)
    if done.returncode != 1 or not errors:
        first = (done.stderr.strip().splitlines() or ["(no output)"])[0]
        return Outcome(
            row, "refused", False, f"exit {done.returncode} without a file:line:col error: {first}", seconds, errors
        )
    hit = row.expect == "diagnose"
    detail = errors[0]
    if hit and _ABOUT_SOURCE in row.note:
        off = [e for e in errors if not _about_source(e, row.file)]
        if off:
            hit = False
            detail = f"not about the source: {off[0]}"
    return Outcome(row, "refused", hit, detail, seconds, errors)


def _about_source(line: str, document: str) -> bool:
    """Is an error line about the document's source descriptions (in a source's own
    file, or at ``$.sourceDescriptions``)?  One whose message names a version never
    is: such a row must be refused for its sources, not by a version check."""
    match = _ERROR_LINE.match(line)
    assert match is not None
    if "version" in match["message"].lower():
        return False
    if os.path.normpath(match["file"]) != os.path.normpath(document):
        return True  # inside the source's own file
    return match["path"].startswith("$.sourceDescriptions")


def _did(outcome: Outcome) -> str:
    return {"compiled": "we compile it", "refused": "we refuse it", "crash": "we crash"}[outcome.got]


def repository(row: Row) -> str:
    return row.file.split("/", 1)[0]


def summarize(outcomes: list[Outcome], disputes: dict[str, str], wall: float, command: str) -> str:
    by_repo: dict[str, Counter[str]] = {}
    for o in outcomes:
        counts = by_repo.setdefault(repository(o.row), Counter())
        counts[f"{o.row.expect}-total"] += 1
        counts[f"{o.row.expect}-hit"] += o.hit
        counts["crash"] += o.got == "crash"
    total = Counter[str]()
    for counts in by_repo.values():
        total.update(counts)
    lines = [
        (
            f"Corpus: {len(outcomes)} documents; `{command}`; {wall:.0f} s wall with 2 workers"
            f" (median {statistics.median(o.seconds for o in outcomes):.1f} s, slowest {max(o.seconds for o in outcomes):.1f} s per document)."
        ),
        "",
        "| repository | compile | diagnose | crash |",
        "|---|---:|---:|---:|",
    ]
    for repo in sorted(by_repo):
        c = by_repo[repo]
        lines.append(
            f"| {repo} | {c['compile-hit']}/{c['compile-total']} | {c['diagnose-hit']}/{c['diagnose-total']} | {c['crash']} |"
        )
    lines.append(
        f"| **all** | **{total['compile-hit']}/{total['compile-total']}** | **{total['diagnose-hit']}/{total['diagnose-total']}** | **{total['crash']}** |"
    )
    disputed = [o for o in outcomes if o.row.file in disputes and not o.hit]
    if disputed:
        lines += [
            "",
            f"Disputed ({len(disputed)}): EXPECT.tsv says one thing, we do another on purpose (bench/corpus_disputes.tsv):",
            "",
        ]
        lines += [f"- `{o.row.file}` (EXPECT {o.row.expect}; {_did(o)}): {disputes[o.row.file]}" for o in disputed]
    misses = [o for o in outcomes if not o.hit and o.row.file not in disputes]
    if misses:
        lines += ["", f"Other misses ({len(misses)}):", ""]
        lines += [f"- `{o.row.file}` (expect {o.row.expect}, got {o.got}): {o.detail}" for o in misses]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        default=ROOT.parent / "shared" / "corpus",
        help="the corpus folder (default: ../shared/corpus)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="documents compiled at once (default 2)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per child process (default 180)")
    parser.add_argument("--only", metavar="TEXT", help="only the documents whose path contains TEXT")
    parser.add_argument(
        "--source-maps",
        type=Path,
        default=SOURCE_MAP_FILE,
        metavar="TOML",
        help="URL prefix -> corpus subfolder (default: bench/corpus_source_map.toml)",
    )
    parser.add_argument(
        "--disputes",
        type=Path,
        default=DISPUTES_FILE,
        metavar="TSV",
        help="rows we do otherwise on purpose (default: bench/corpus_disputes.tsv)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        metavar="MD",
        help="where the Markdown summary goes (default: bench/results/corpus.md)",
    )
    args = parser.parse_args(argv)
    folder: Path = args.corpus.resolve()
    if not (folder / "EXPECT.tsv").is_file():
        print(f"corpus: no corpus at {folder} (no EXPECT.tsv); nothing to do")
        return 0
    rows = read_expect(folder)
    if args.only:
        rows = [r for r in rows if args.only in r.file]
    disputes = read_disputes(args.disputes)
    maps = source_map_args(folder, args.source_maps)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="arazzo-corpus-") as scratch,
        ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool,
    ):
        futures = [
            pool.submit(run_one, i, row, folder, maps, args.timeout, Path(scratch)) for i, row in enumerate(rows)
        ]
        outcomes = []
        for number, future in enumerate(futures, 1):
            outcome = future.result()
            outcomes.append(outcome)
            mark = "ok  " if outcome.hit else ("DISP" if outcome.row.file in disputes else "MISS")
            print(
                f"[{number}/{len(rows)}] {mark} {outcome.row.file}: {outcome.got} ({outcome.seconds:.1f} s)", flush=True
            )
    wall = time.perf_counter() - started
    print()
    for o in outcomes:
        if not o.hit:
            tag = "disputed" if o.row.file in disputes else "miss"
            print(f"{tag}: {o.row.file}: expected {o.row.expect}, got {o.got}: {o.detail}")
    compile_rows = [o for o in outcomes if o.row.expect == "compile"]
    diagnose_rows = [o for o in outcomes if o.row.expect == "diagnose"]
    crashes = sum(o.got == "crash" for o in outcomes)
    print(
        f"\ncompile {sum(o.hit for o in compile_rows)}/{len(compile_rows)}, diagnose {sum(o.hit for o in diagnose_rows)}/{len(diagnose_rows)}, crash {crashes}"
    )
    disputed = [o for o in outcomes if o.row.file in disputes and not o.hit]
    print(
        f"disputed: {len(disputed)} of the {sum(not o.hit for o in outcomes)} misses"
        f" ({sum(o.row.expect == 'compile' for o in disputed)} compile, {sum(o.row.expect == 'diagnose' for o in disputed)} diagnose rows; bench/corpus_disputes.tsv)"
    )
    print(f"time: {wall:.0f} s wall, {len(rows)} documents, {args.jobs} workers")
    command = "make corpus" if not args.only else f"bench/corpus.py --only {args.only}"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(summarize(outcomes, disputes, wall, command), encoding="utf-8")
    print(f"summary: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
