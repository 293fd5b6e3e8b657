"""Generating specs/ must reproduce the committed generated/ byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_codegen.config import Overrides, load_jobs
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import package_listing

ROOT = Path(__file__).resolve().parents[2]
JOBS = load_jobs(ROOT / "pyproject.toml", Overrides())


@pytest.mark.parametrize("job", JOBS, ids=[job.package for job in JOBS])
def test_generated_package_is_current(job: Job) -> None:
    result = build(job)
    assert not result.report.has_errors, [d.render() for d in result.report.items]
    on_disk = sorted(package_listing(job.package_dir) or ())  # its files and those of _runtime/
    assert on_disk == sorted(result.files)
    for name, text in result.files.items():
        assert (job.package_dir / name).read_text(encoding="utf-8") == text, f"{job.package}/{name} is stale: run 'make generate'"


def test_every_spec_folder_is_configured() -> None:
    configured = {job.spec.resolve().parent.parent.name for job in JOBS}
    assert configured == {p.name for p in (ROOT / "specs").iterdir() if p.is_dir()}
