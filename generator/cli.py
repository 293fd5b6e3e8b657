"""The command line: ``arazzo-codegen generate | check | validate | list``.

Exit codes: 0 success; 1 errors in the specs (or stale output for ``check``);
2 usage errors (bad options, missing configuration, unwritable output);
3 an internal error of the generator (reported in one line, never a traceback).

Only this module and the light ``config``/``write`` modules are imported at start-up,
so that ``check`` with unchanged inputs never loads datamodel-code-generator or black.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .diagnostics import UsageError

if TYPE_CHECKING:
    from .pipeline import Job, Result

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="arazzo-codegen", description="Compile Arazzo workflows (and the OpenAPI descriptions they use) into typed Python clients.")
    parser.add_argument("--version", action="version", version=f"arazzo-codegen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("specs", nargs="*", metavar="SPEC", help="Arazzo documents to compile; with none, the specs listed in [tool.arazzo-codegen] of pyproject.toml")
        p.add_argument("--config", type=Path, metavar="PYPROJECT", help="the pyproject.toml to read (default: the nearest one above the working directory)")
        p.add_argument("--out", type=Path, metavar="DIR", help="directory that receives one package per spec (default: 'generated', or the configuration's 'out')")
        p.add_argument("--package", metavar="NAME", help="package name for a single SPEC (default: derived from the file name)")
        p.add_argument("--strict", action="store_true", default=None, help="treat warnings as errors (OpenAPI validation findings, spec quirks)")
        p.add_argument("--poll-interval", type=float, metavar="SECONDS", help="default delay between polls of a goto loop that gives none (default 1.0)")
        p.add_argument("--line-length", type=int, metavar="N", help="black line length for generated code (default 88)")
        p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
        p.add_argument("-v", "--verbose", action="store_true", help="print timings and every file written")

    gen = sub.add_parser("generate", help="generate (or, with --check, verify) the client packages", description="Generate one package per spec. Packages whose stamp is current are skipped unless --force.")
    common(gen)
    gen.add_argument("--check", action="store_true", help="do not write; exit 1 with a diff if any package is stale, missing or hand-edited")
    gen.add_argument("--force", action="store_true", help="rebuild every package even when its stamp is current")
    chk = sub.add_parser("check", help="exit 1 with a diff if generated packages are stale, missing or hand-edited", description="Verify that the generated packages match their specs without writing anything.")
    common(chk)
    val = sub.add_parser("validate", help="report diagnostics for specs; write nothing", description="Load, validate, resolve and analyze the specs; print every diagnostic.")
    common(val)
    lst = sub.add_parser("list", help="list the workflows of specs with their inputs and outputs", description="Print each workflow's function name, inputs and outputs.")
    common(lst)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"arazzo-codegen: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("arazzo-codegen: interrupted; existing output left as it was", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in the generator: one line, never a traceback
        print(f"arazzo-codegen: internal error: {exc.__class__.__name__}: {exc}. Please report this with the spec that caused it.", file=sys.stderr)
        if os.environ.get("ARAZZO_CODEGEN_TRACEBACK"):
            raise
        return EXIT_INTERNAL


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    jobs = _jobs(args)
    if args.command == "check" or (args.command == "generate" and args.check):
        return _check(jobs, args)
    if args.command == "generate":
        return _generate(jobs, args)
    if args.command == "validate":
        return _validate(jobs, args)
    return _list(jobs, args)


def _jobs(args: argparse.Namespace) -> list[Job]:
    from .config import Overrides, find_pyproject, load_jobs
    from .pipeline import Job

    overrides = Overrides(out=args.out, strict=args.strict, poll_interval=args.poll_interval, line_length=args.line_length)
    if args.line_length is not None and not 40 <= args.line_length <= 300:
        raise UsageError("--line-length must be between 40 and 300")
    if args.poll_interval is not None and args.poll_interval < 0:
        raise UsageError("--poll-interval must not be negative")
    if args.specs:
        if args.package and len(args.specs) > 1:
            raise UsageError("--package names one package; give one SPEC with it")
        jobs = []
        for spec in args.specs:
            path = Path(spec)
            if not path.is_file():
                raise UsageError(f"{spec}: no such file")
            package = args.package or _package_name(path)
            if not package.isidentifier():
                raise UsageError(f"--package {package!r} is not a valid Python identifier")
            jobs.append(
                Job(
                    spec=path,
                    package=package,
                    out=args.out or Path("generated"),
                    strict=bool(args.strict),
                    poll_interval=1.0 if args.poll_interval is None else args.poll_interval,
                    line_length=args.line_length or 88,
                )
            )
        return jobs
    if args.package:
        raise UsageError("--package needs a SPEC")
    pyproject = args.config or find_pyproject(Path.cwd())
    if pyproject is None:
        raise UsageError("no SPEC given and no pyproject.toml found; pass spec files or add [tool.arazzo-codegen] to pyproject.toml")
    if not Path(pyproject).is_file():
        raise UsageError(f"{pyproject}: no such file")
    return load_jobs(Path(pyproject), overrides)


def _package_name(spec: Path) -> str:
    from .pycode import snake_case

    stem = spec.name.split(".")[0]
    for suffix in ("-workflow", "_workflow", "-arazzo", "_arazzo"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return snake_case(stem, fallback="workflows")


def _print_report(result: Result, args: argparse.Namespace) -> None:
    from .diagnostics import Severity

    for diagnostic in result.report.sorted():
        if args.quiet and diagnostic.severity is Severity.WARNING:
            continue
        print(diagnostic.render(), file=sys.stderr)


def _generate(jobs: list[Job], args: argparse.Namespace) -> int:
    from .pipeline import build
    from .write import write_package

    status = EXIT_OK
    many = len(jobs) > 1
    for job in jobs:
        started = time.perf_counter()
        if not args.force and _is_current(job):
            if not args.quiet and (many or args.verbose):
                print(f"{job.package}: up to date ({job.package_dir})", file=sys.stderr)
            continue
        result = build(job)
        _print_report(result, args)
        if result.report.has_errors or not result.files:
            print(f"{job.package}: not generated: {_count(result)}; {job.package_dir} left as it was", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        try:
            write_package(job.package_dir, result.files)
        except OSError as exc:
            raise UsageError(f"cannot write {job.package_dir}: {exc.strerror or exc}") from None
        if not args.quiet and (many or args.verbose):
            elapsed = time.perf_counter() - started
            print(f"{job.package}: generated {len(result.files)} files in {job.package_dir} ({elapsed:.1f} s)", file=sys.stderr)
    return status


def _count(result: Result) -> str:
    from .diagnostics import Severity

    errors = sum(d.severity is Severity.ERROR for d in result.report.items)
    return f"{errors} error{'s' if errors != 1 else ''}"


def _is_current(job: Job) -> bool:
    """True when every generated file carries the stamp the inputs give now and is unedited."""
    from .write import compute_stamp, read_state

    expected = ("__init__.py", "_runtime.py", "models.py", "py.typed", "workflows.py")
    if not job.package_dir.is_dir():
        return False
    present = sorted(p.name for p in job.package_dir.iterdir() if p.is_file())
    if present != sorted(expected):
        return False
    states = [read_state(job.package_dir / name) for name in expected]
    if any(s is None or not s.intact for s in states):
        return False
    stamped = {s.stamp for s in states if s is not None and s.stamp is not None}
    sources = next((s.sources for s in states if s is not None and s.sources), ())
    if len(stamped) != 1 or not sources:
        return False
    inputs = [Path(os.path.normpath(job.package_dir / source)) for source in sources]
    if any(not p.is_file() for p in inputs) or Path(os.path.abspath(job.spec)) not in inputs:
        return False
    return compute_stamp(inputs, job.package_dir, job.options()).value in stamped


def _check(jobs: list[Job], args: argparse.Namespace) -> int:
    from .write import diff_package

    status = EXIT_OK
    for job in jobs:
        if _is_current(job):
            if args.verbose:
                print(f"{job.package}: current", file=sys.stderr)
            continue
        from .pipeline import build

        result = build(job)
        _print_report(result, args)
        if result.report.has_errors:
            print(f"{job.package}: cannot check: {_count(result)}", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        diff = diff_package(job.package_dir, result.files)
        if diff:
            print(f"{job.package}: {job.package_dir} is stale, missing or hand-edited; run 'arazzo-codegen generate'", file=sys.stderr)
            sys.stdout.write(diff)
            status = EXIT_ERRORS
    return status


def _validate(jobs: list[Job], args: argparse.Namespace) -> int:
    from .pipeline import validate_only

    status = EXIT_OK
    for job in jobs:
        result = validate_only(job)
        _print_report(result, args)
        if result.report.has_errors:
            status = EXIT_ERRORS
        elif not args.quiet:
            print(f"{job.spec}: valid ({len(result.report.items)} warning(s))", file=sys.stderr)
    return status


def _list(jobs: list[Job], args: argparse.Namespace) -> int:
    from .pipeline import _front

    status = EXIT_OK
    for job in jobs:
        result, analyzer = _front(job)
        if analyzer is None:
            _print_report(result, args)
            status = EXIT_ERRORS
            continue
        plan = analyzer.run()
        if result.report.has_errors:
            _print_report(result, args)
        print(f"{job.spec} -> package {job.package}")
        for wf in plan.workflows:
            print(f"  {wf.function_name}()  [workflow {wf.workflow_id}]")
            for param in wf.inputs:
                default = "" if param.default is None else f" = {param.default}"
                print(f"    input  {param.name}: {param.type_text}{default}")
            for out in wf.outputs:
                print(f"    output {out.name}: {out.type_text}")
        if result.report.has_errors:
            status = EXIT_ERRORS
    return status
