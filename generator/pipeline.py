"""The pipeline: load -> validate -> normalize -> resolve -> analyze -> emit, for one Arazzo
document compiled as one package.  Writing is the caller's (cli) decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .analysis.common import Options
from .analysis.module import Analyzer
from .config import Job
from .diagnostics import Report, Severity
from .emit_code import emit_package
from .emit_models import render_models
from .load import Loader
from .model.normalize import normalize
from .resolve import resolve
from .schemas import TypeInferrer, collect_models
from .validate import validate_arazzo
from .validate_spec import DeepValidation
from .write import Stamp, compute_stamp, package_files


@dataclass
class Result:
    job: Job
    report: Report
    files: dict[str, str] = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)
    stamp: Stamp | None = None


def validate_only(job: Job) -> Result:
    """Every stage up to and including analysis; no code is emitted."""
    result, analyzer = _front(job)
    if analyzer is not None:
        deep = DeepValidation(analyzer.resolved.unvalidated)
        try:
            analyzer.run()
        finally:
            deep.join(result.report)
    return result


def _front(job: Job) -> tuple[Result, Analyzer | None]:
    report = Report(strict=job.strict)
    result = Result(job, report)
    loader = Loader(report, job.source_map)
    arazzo = loader.load(job.spec)
    if arazzo is None or not validate_arazzo(arazzo, report, loader):
        return result, None
    model = normalize(arazzo.data)  # the typed model: components resolved, workflow-level items merged
    resolved = resolve(arazzo, loader, report, job.webhook_tables())
    resolved.model = model
    for linked in resolved.documents[1:]:  # linked Arazzo documents, validated while resolving
        linked.model = normalize(linked.arazzo.data)
    models = collect_models(resolved, report)
    inferrer = TypeInferrer(loader, models)
    header: tuple[str, ...] = ()
    analyzer = Analyzer(
        resolved,
        models,
        inferrer,
        report,
        Options(poll_interval=job.poll_interval, idempotency_header=job.idempotency_header),
        job.package,
        header,
    )
    result.inputs = sorted(p for p, f in loader.files.items() if f is not None)
    return result, analyzer


def build(job: Job) -> Result:
    """Run the whole pipeline; ``result.files`` is empty when the report has errors."""
    result, analyzer = _front(job)
    if analyzer is None:
        return result
    # openapi-spec-validator (slow, and only warnings unless --strict) runs beside the rest.
    deep = DeepValidation(analyzer.resolved.unvalidated)
    try:
        if result.report.has_errors:
            analyzer.run()  # the analysis's own problems too, reported with the rest (as validate does)
            return result
        plan = analyzer.run()  # needs no models.py: which schemas are classes is known (model_set.predict_classes)
        models_source = render_models(analyzer.models, result.report, job.spec.name)
    finally:
        deep.join(result.report)
    if result.report.has_errors:
        return result
    bodies = emit_package(plan, models_source, job.line_length, job.durable, job.idempotency_header)
    stamp = compute_stamp(result.inputs, job.package_dir, job.options())
    result.stamp = stamp
    warnings = [d for d in result.report.items if d.severity is Severity.WARNING]
    result.files = package_files(bodies, stamp, warnings, job.package_dir)
    return result
