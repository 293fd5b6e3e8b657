"""The command line: ``arazzo-codegen generate | check | validate | list | upgrade``.

Exit codes: 0 success; 1 errors in the specs (or stale output for ``check``);
2 usage errors (bad options, missing or malformed configuration, a bad path, an
unwritable output directory); 3 an internal error of the generator (reported in
one line, never a traceback).

Start-up imports only this module and the light ``config``, ``write`` and
``diagnostics`` modules (standard library only).  The pipeline, and with it
datamodel-code-generator, black, jinja2, jsonschema and openapi-spec-validator,
is imported only when a package has to be built: ``check`` and ``generate`` with
unchanged inputs decide from the stamps in the generated files alone.
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
    from .config import Job, Overrides
    from .pipeline import Result

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_DESCRIPTION = "Compile Arazzo workflows (and the OpenAPI descriptions they use) into typed Python client packages."
_EPILOG = """\
With no SPEC, the specs listed in [tool.arazzo-codegen] of the nearest pyproject.toml
are used; options given on the command line override the configuration.
Exit codes: 0 ok, 1 spec errors or stale output, 2 usage error, 3 internal error.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="arazzo-codegen",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"arazzo-codegen {__version__}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(
        name: str, help_text: str, description: str, *, output: bool = True, codegen: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=description,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument(
            "specs",
            nargs="*",
            metavar="SPEC",
            help="Arazzo documents to compile (default: the specs listed in [tool.arazzo-codegen] of pyproject.toml)",
        )
        p.add_argument(
            "--config",
            type=Path,
            metavar="PYPROJECT",
            help="the pyproject.toml to read (default: the nearest one in or above the working directory)",
        )
        if output:
            p.add_argument(
                "--out",
                type=Path,
                metavar="DIR",
                help="directory that receives one package per spec (overrides 'out' of the configuration; default: generated)",
            )
        p.add_argument(
            "--package",
            metavar="NAME",
            help="package name for a single SPEC (default: the configured one, or derived from the file name)",
        )
        p.add_argument(
            "--source-map",
            action="append",
            default=[],
            metavar="PREFIX=DIR",
            help="read remote URLs that start with PREFIX from DIR plus the rest of the URL (repeatable; the longest prefix wins; overrides source-map entries of the configuration with the same prefix); nothing is ever fetched",
        )
        p.add_argument(
            "--strict",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="treat warnings (OpenAPI validation findings, spec quirks) as errors; --no-strict overrides strict = true",
        )
        if codegen:
            p.add_argument(
                "--poll-interval",
                type=float,
                metavar="SECONDS",
                help="default delay between polls of a goto loop that gives none (default: 1.0)",
            )
            p.add_argument(
                "--line-length",
                type=int,
                metavar="N",
                help="black line length of the generated code, 40 to 300 (default: 88)",
            )
            p.add_argument(
                "--idempotency-header",
                metavar="NAME",
                help="a header parameter name (any case) that, like Idempotency-Key, marks an operation as taking an idempotency key (overrides 'idempotency-header')",
            )
            p.add_argument(
                "--durable",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="also emit durable.py: every workflow as a DBOS workflow, with a queue (overrides 'durable'; --no-durable turns it off; needs the 'dbos' package at run time)",
            )
        noise = p.add_mutually_exclusive_group()
        noise.add_argument("-q", "--quiet", action="store_true", help="print errors only")
        noise.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="also print timings, every file written, every package found current and the warnings it keeps",
        )
        return p

    gen = add(
        "generate",
        "generate the client packages (or, with --check, verify them)",
        "Generate one package per spec. A package whose stamp is current (same inputs, generator and options, no hand edit) is left alone unless --force.",
    )
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a unified diff on stdout if a package is stale, missing or hand-edited (same as 'check')",
    )
    gen.add_argument("--force", action="store_true", help="rebuild every package even when its stamp is current")
    gen.add_argument(
        "--hook",
        action="store_true",
        help="for pre-commit: no progress lines; exit 1 when a package was written (created, changed or restored), naming the paths to 'git add'",
    )
    chk = add(
        "check",
        "exit 1 with a diff if a generated package is stale, missing or hand-edited",
        "Verify that the generated packages match their specs; write nothing. Packages whose stamps are current are decided without running the generator.",
    )
    chk.add_argument(
        "--force", action="store_true", help="build and compare every package even when its stamp is current (slow)"
    )
    add(
        "validate",
        "report the diagnostics of specs; write nothing",
        "Load, validate, resolve and analyze the specs and print every diagnostic; nothing is written.",
        output=False,
        codegen=False,
    )
    add(
        "list",
        "list the workflows of specs with their inputs and outputs",
        "Print, per spec, each workflow's function, its inputs (with types and defaults) and its outputs.",
        output=True,
        codegen=False,
    )
    upgrade = sub.add_parser(
        "upgrade",
        help="rewrite Arazzo 1.0.x documents as 1.1.0 (prints a diff; --write to save)",
        description=(
            "Rewrite each Arazzo 1.0.x SPEC as an Arazzo 1.1.0 document with the same behaviour: the version field, "
            "and the conditions whose meaning changes in 1.1. Comments, key order and layout are kept. Prints the "
            "change as a unified diff on stdout, and lists what needs a human (file:line:column) on stderr. "
            "Without --write nothing is written; a 1.1 document is left as it is."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upgrade.add_argument("specs", nargs="+", metavar="SPEC", help="Arazzo 1.0.x documents (YAML or JSON)")
    upgrade.add_argument(
        "--write",
        action="store_true",
        help="replace each SPEC by its upgraded text (atomically: a temporary file, then a rename)",
    )
    upgrade.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="treat what needs a human as errors: exit 1 and write nothing for that SPEC",
    )
    upgrade_noise = upgrade.add_mutually_exclusive_group()
    upgrade_noise.add_argument("-q", "--quiet", action="store_true", help="print errors only (and the diff)")
    upgrade_noise.add_argument("-v", "--verbose", action="store_true", help="also list every rewrite")
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
        print(
            f"arazzo-codegen: internal error: {exc.__class__.__name__}: {exc}. Please report this with the spec that caused it.",
            file=sys.stderr,
        )
        if os.environ.get("ARAZZO_CODEGEN_TRACEBACK"):
            raise
        return EXIT_INTERNAL


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "upgrade":
        return _upgrade(args)
    jobs = _jobs(args)
    if args.command == "check" or (args.command == "generate" and args.check):
        return _check(jobs, args)
    if args.command == "generate":
        return _generate(jobs, args)
    if args.command == "validate":
        return _validate(jobs, args)
    return _list(jobs, args)


def _overrides(args: argparse.Namespace) -> Overrides:
    from .config import Overrides, check_overrides, parse_source_map_option

    overrides = Overrides(
        out=getattr(args, "out", None),
        strict=args.strict,
        poll_interval=getattr(args, "poll_interval", None),
        line_length=getattr(args, "line_length", None),
        source_map=parse_source_map_option(args.source_map),
        idempotency_header=getattr(args, "idempotency_header", None),
        durable=getattr(args, "durable", None),
    )
    check_overrides(overrides)
    return overrides


def _jobs(args: argparse.Namespace) -> list[Job]:
    from .config import find_pyproject, jobs_for_specs, read_config

    overrides = _overrides(args)
    if args.config is not None and not args.config.is_file():
        raise UsageError(f"--config {args.config}: no such file")
    pyproject = args.config or find_pyproject(Path.cwd())
    if args.specs:
        # The configuration (if any) still gives options, and the package of a spec it lists.
        config = read_config(pyproject, overrides, required=args.config is not None) if pyproject else None
        return jobs_for_specs(args.specs, config, overrides, args.package)
    if args.package:
        raise UsageError("--package needs a SPEC")
    if pyproject is None:
        raise UsageError(
            "no SPEC given and no pyproject.toml found; pass spec files or add [tool.arazzo-codegen] to pyproject.toml"
        )
    config = read_config(pyproject, overrides)
    assert config is not None
    return list(config.jobs)


def _build(job: Job) -> Result:
    from .pipeline import build

    return build(job)


def _print_report(result: Result, args: argparse.Namespace) -> None:
    from .diagnostics import Severity

    for diagnostic in result.report.sorted():
        if args.quiet and diagnostic.severity is Severity.WARNING:
            continue
        print(diagnostic.render(), file=sys.stderr)


def _count(result: Result) -> str:
    from .diagnostics import Severity

    errors = sum(d.severity is Severity.ERROR for d in result.report.items)
    return f"{errors} error{'s' if errors != 1 else ''}"


def _show(path: Path) -> str:
    relative = os.path.relpath(path)
    return Path(relative).as_posix() if not relative.startswith("..") else path.as_posix()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _kept_warnings(job: Job, args: argparse.Namespace) -> str:
    """For a package found current: ', N warnings (-v to list)' when it keeps
    warnings (with --verbose, ', N warnings:' and the list below it), else ''."""
    from .write import read_warnings

    if args.quiet:
        return ""
    warnings = read_warnings(job.package_dir)
    if not warnings:
        return ""
    if args.verbose:
        return f", {_plural(len(warnings), 'warning')}:\n" + "\n".join(warnings)
    return f", {_plural(len(warnings), 'warning')} (-v to list)"


def _generate(jobs: list[Job], args: argparse.Namespace) -> int:
    from .write import ensure_writable, package_matches, package_status, write_package

    status = EXIT_OK
    total = len(jobs)
    progress = not args.quiet and (total > 1 or args.verbose) and not (args.hook and not args.verbose)
    written: list[str] = []
    for index, job in enumerate(jobs, 1):
        started = time.perf_counter()
        where = _show(job.package_dir)
        prefix = f"[{index}/{total}] {job.package}" if total > 1 else job.package
        state = "forced" if args.force else package_status(job.package_dir, job.spec, job.options())
        if state == "current":
            kept = _kept_warnings(job, args)
            if progress:
                print(f"{prefix}: up to date ({where}){kept}", file=sys.stderr)
            elif kept:
                print(f"{job.package}: up to date{kept}", file=sys.stderr)
            continue
        try:
            ensure_writable(job.package_dir)
        except OSError as exc:
            raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from None
        if args.verbose:
            print(f"{prefix}: building ({state}) from {_show(job.spec)}", file=sys.stderr)
        result = _build(job)
        _print_report(result, args)
        if result.report.has_errors or not result.files:
            print(f"{prefix}: not generated: {_count(result)}; {where} left as it was", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        changed = state != "forced" or not package_matches(job.package_dir, result.files)
        try:
            write_package(job.package_dir, result.files)
        except OSError as exc:
            raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from None
        if changed:
            written.append(where)
        if args.verbose:
            for name in sorted(result.files):
                print(f"  wrote {where}/{name} ({len(result.files[name].encode())} bytes)", file=sys.stderr)
        if progress:
            print(
                f"{prefix}: generated {len(result.files)} files in {where} ({time.perf_counter() - started:.1f} s)",
                file=sys.stderr,
            )
        elif args.hook and changed:
            print(f"{job.package}: wrote {where} ({_WROTE[state]})", file=sys.stderr)
    if args.hook and written:
        import shlex

        print(
            f"arazzo-codegen: wrote {_plural(len(written), 'package')}; stage {'it' if len(written) == 1 else 'them'} and commit again:\n    git add {shlex.join(written)}",
            file=sys.stderr,
        )
        status = EXIT_ERRORS
    return status


_WROTE = {
    "missing": "created",
    "incomplete": "its missing files restored",
    "edited": "hand edits undone",
    "stale": "updated",
    "forced": "rebuilt",
}


_WHY = {
    "missing": "is missing",
    "incomplete": "is incomplete (files are missing)",
    "edited": "was edited by hand",
    "stale": "is stale (its spec, the OpenAPI files it uses, the options or the generator changed)",
    "forced": "differs from what the generator produces",
}


def _check(jobs: list[Job], args: argparse.Namespace) -> int:
    from .write import diff_package, package_status

    status = EXIT_OK
    for job in jobs:
        started = time.perf_counter()
        where = _show(job.package_dir)
        state = "forced" if args.force else package_status(job.package_dir, job.spec, job.options())
        if state == "current":
            kept = _kept_warnings(job, args)
            if args.verbose:
                print(
                    f"{job.package}: current ({where}, decided from stamps in {time.perf_counter() - started:.3f} s){kept}",
                    file=sys.stderr,
                )
            elif kept:
                print(f"{job.package}: up to date{kept}", file=sys.stderr)
            continue
        if state == "missing":  # one line, not a diff that adds every file
            print(f"{job.package}: {where} {_WHY[state]}; run 'arazzo-codegen generate'", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        if args.verbose:
            print(f"{job.package}: {state}; building to compare", file=sys.stderr)
        result = _build(job)
        _print_report(result, args)
        if result.report.has_errors or not result.files:
            print(f"{job.package}: cannot check {where}: {_count(result)}", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        if state == "forced" and package_status(job.package_dir, job.spec, job.options()) == "missing":
            print(f"{job.package}: {where} {_WHY['missing']}; run 'arazzo-codegen generate'", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        diff = diff_package(job.package_dir, result.files)
        if diff:
            print(f"{job.package}: {where} {_WHY[state]}; run 'arazzo-codegen generate'", file=sys.stderr)
            sys.stdout.write(diff)
            sys.stdout.flush()
            status = EXIT_ERRORS
        elif args.verbose:
            print(
                f"{job.package}: current ({where}, compared in {time.perf_counter() - started:.1f} s)", file=sys.stderr
            )
    return status


def _validate(jobs: list[Job], args: argparse.Namespace) -> int:
    from .diagnostics import Severity
    from .pipeline import validate_only

    status = EXIT_OK
    for job in jobs:
        result = validate_only(job)
        _print_report(result, args)
        if result.report.has_errors:
            status = EXIT_ERRORS
            print(f"{_show(job.spec)}: invalid ({_count(result)})", file=sys.stderr)
        elif not args.quiet:
            from .v11_features import read_document, summary

            warnings = sum(d.severity is Severity.WARNING for d in result.report.items)
            features = summary(read_document(job.spec))
            print(
                f"{_show(job.spec)}: valid ({warnings} warning{'s' if warnings != 1 else ''}{features})",
                file=sys.stderr,
            )
    return status


def _list(jobs: list[Job], args: argparse.Namespace) -> int:
    from .pipeline import _front

    status = EXIT_OK
    for job in jobs:
        result, analyzer = _front(job)
        plan = analyzer.run() if analyzer is not None and not result.report.has_errors else None
        if plan is None or result.report.has_errors:
            _print_report(result, args)
            print(f"{_show(job.spec)}: cannot list: {_count(result)}", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        from .v11_features import read_document, step_features

        steps_1_1 = step_features(read_document(job.spec))
        print(f"{_show(job.spec)} -> package {job.package} ({_show(job.package_dir)})")
        for wf in plan.workflows:
            print(f"  {wf.workflow_id}: {wf.function_name}() / {wf.async_function_name}() -> {wf.outputs_class}")
            summary = wf.docstring.strip().splitlines()[0].strip() if wf.docstring.strip() else ""
            if summary:
                print(f"    {summary}")
            print("    inputs:" if wf.inputs else "    inputs: none")
            for param in wf.inputs:
                shown = param.mutable_default if param.mutable_default is not None else param.default
                default = "" if shown is None else f" = {shown}"
                notes = [param.original] if param.original != param.name else []
                if param.secret:
                    notes.append("secret")
                print(
                    f"      {param.name}: {_type(param.type_text, args)}{default}"
                    + (f"  ({', '.join(notes)})" if notes else "")
                )
            print("    outputs:" if wf.outputs else "    outputs: none")
            for out in wf.outputs:
                alias = _unquote(out.alias)
                note = f"  ({alias})" if alias != out.name else ""
                print(f"      {out.name}: {_type(out.type_text, args)}{note}")
            if wf.workflow_id in steps_1_1:
                print("    steps (Arazzo 1.1):")
                for row in steps_1_1[wf.workflow_id]:
                    print(f"      {row.describe()}")
    return status


def _upgrade(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .diagnostics import Severity
    from .upgrade import upgrade_file, write_atomically

    paths = [Path(spec) for spec in args.specs]
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    status = EXIT_OK
    for path in paths:
        shown = _show(path)
        outcome = upgrade_file(path, shown)
        notes = outcome.notes
        if args.strict:
            notes = [
                replace(n, severity=Severity.ERROR, message=n.message + " (an error under --strict)") for n in notes
            ]
        problems = sorted(outcome.errors + notes, key=lambda d: d.sort_key())
        for diagnostic in problems:
            if not (args.quiet and diagnostic.severity is Severity.WARNING):
                print(diagnostic.render(), file=sys.stderr)
        if outcome.errors or (args.strict and notes):
            count = len(outcome.errors) + (len(notes) if args.strict else 0)
            print(f"{shown}: not upgraded: {_plural(count, 'error')}; left as it was", file=sys.stderr)
            status = EXIT_ERRORS
            continue
        if not outcome.changed:
            if not args.quiet:
                print(f"{shown}: already Arazzo {outcome.version}; nothing to do", file=sys.stderr)
            continue
        sys.stdout.write(outcome.diff())
        sys.stdout.flush()
        if args.verbose:
            for change in outcome.changes:
                print(f"  {change}", file=sys.stderr)
        human = f", {_plural(len(notes), 'place')} for a human to check" if notes else ""
        if args.write:
            try:
                write_atomically(path, outcome.new)
            except OSError as exc:
                raise UsageError(f"cannot write {shown}: {exc.strerror or exc}") from None
            if not args.quiet:
                print(
                    f"{shown}: upgraded to Arazzo 1.1.0 ({_plural(len(outcome.changes), 'change')}{human}); written",
                    file=sys.stderr,
                )
        elif not args.quiet:
            print(
                f"{shown}: would upgrade to Arazzo 1.1.0 ({_plural(len(outcome.changes), 'change')}{human}); run with --write to save",
                file=sys.stderr,
            )
    return status


def _type(text: str, args: argparse.Namespace) -> str:
    """A type for ``list``: long ones (a Literal of 300 enum values) cut unless --verbose."""
    limit = 120
    return text if args.verbose or len(text) <= limit else f"{text[: limit - 5]} ...]"


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        import ast

        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return value if isinstance(value, str) else text
    return text
