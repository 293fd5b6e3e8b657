"""Each problem is reported exactly once: every bad-input case, counted as the
diagnostics are added to the run's report (before Report.add drops repeats).

The analysis builds one body per workflow (the printer prints the sync function and
its async twin from it) and analyses each value once, so nothing it reports comes
twice; this test would see a repeat that de-duplication hides.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
from pathlib import Path

import pytest

from arazzo_codegen import cli
from arazzo_codegen.diagnostics import Diagnostic, Report

BAD = Path(__file__).resolve().parent.parent / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir() and (p / "arazzo.yaml").exists())
#: Repeats from the load stage (a remote $ref met on several paths), not from analysis.
LOAD_STAGE = {"openapi-ref-remote"}


def _added(case: str, monkeypatch: pytest.MonkeyPatch) -> dict[int, list[Diagnostic]]:
    added: dict[int, list[Diagnostic]] = collections.defaultdict(list)
    original = Report.add

    def add(self: Report, diagnostic: Diagnostic) -> None:
        added[id(self)].append(diagnostic)
        original(self, diagnostic)

    monkeypatch.setattr(Report, "add", add)
    cwd = os.getcwd()
    os.chdir(BAD / case)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with contextlib.suppress(SystemExit):
                cli.main(["validate", "arazzo.yaml"])
    finally:
        os.chdir(cwd)
    return added


@pytest.mark.parametrize("case", [c for c in CASES if c not in LOAD_STAGE])
def test_each_diagnostic_is_added_once(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for diagnostics in _added(case, monkeypatch).values():
        counts = collections.Counter(diagnostics)
        assert [d.render() for d, count in counts.items() if count > 1] == []


def test_the_issues_two_cases_report_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two cases issue 17 names: each reported 2-3 times before."""
    for case, text in (
        ("path-parameter-not-in-path", "does not appear in the path"),
        ("expression-does-not-parse", "malformed runtime expression"),
    ):
        found = [d for ds in _added(case, monkeypatch).values() for d in ds if text in d.message]
        assert len(found) == 1, [d.render() for d in found]
