"""Each OpenAPI document checked with openapi-spec-validator (part of stage 2, validate).

Its findings are cached by content (a vendor file takes up to a third of a second), and
large documents are validated in a forked process while the rest of the pipeline runs.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from .cache import TextCache, module_digest, package_version
from .diagnostics import Diagnostic, JsonPath, Report, Severity
from .load import SourceFile

#: openapi-spec-validator takes tens of seconds on documents of 10 MB; larger ones
#: are validated only under --strict (the generator checks what it uses anyway).
MAX_VALIDATED_CHARS = 4_000_000


def _spec_validator_class(version: str) -> Any:
    """openapi-spec-validator's validator class for an OpenAPI version, or None: 3.0 and
    3.1, and 3.2 where the installed release has it (0.9.0, the pinned one, does)."""
    import openapi_spec_validator

    name = {"3.0": "OpenAPIV30SpecValidator", "3.1": "OpenAPIV31SpecValidator", "3.2": "OpenAPIV32SpecValidator"}.get(
        ".".join(version.split(".")[:2])
    )
    return getattr(openapi_spec_validator, name, None) if name else None


def validate_openapi(source: SourceFile, report: Report, deferred: list[SourceFile] | None = None) -> None:
    """openapi-spec-validator findings become warnings (errors under --strict).

    Real vendor descriptions often fail strict validation; generation goes on
    where the workflow does not depend on the broken part.  The quick shape checks
    run now; with ``deferred``, the slow openapi-spec-validator pass is queued there
    for :class:`DeepValidation` instead of running inline.
    """
    data = source.data
    if isinstance(data, dict) and "swagger" in data and "openapi" not in data:
        report.add(
            source.diagnostic(
                ("swagger",),
                f"Swagger {data['swagger']} documents are not read, only OpenAPI 3.0 and 3.1",
                "convert it to OpenAPI 3 (e.g. 'npx swagger2openapi swagger.yaml -o openapi.yaml', or the Swagger Editor's Edit > Convert to OpenAPI 3) and point the source description at the result",
            )
        )
        return
    if not isinstance(data, dict) or not isinstance(data.get("openapi"), str):
        report.add(
            source.diagnostic(
                (),
                "not an OpenAPI 3.x document: the 'openapi' version field is missing",
                "sourceDescriptions of type openapi must point at OpenAPI 3.0 or 3.1 documents",
            )
        )
        return
    version = data["openapi"]
    if not version.startswith(("3.0", "3.1")) and _spec_validator_class(version) is None:  # 3.2: imports the validator
        checked = "3.0, 3.1 and 3.2" if _spec_validator_class("3.2.0") is not None else "3.0 and 3.1"
        report.add(
            source.diagnostic(
                ("openapi",),
                f"OpenAPI {version} is not validated (openapi-spec-validator {package_version('openapi-spec-validator')} checks {checked})",
                "the generator still reads the operations it needs",
                severity=Severity.WARNING,
            )
        )
        return
    if len(source.text) > MAX_VALIDATED_CHARS and not report.strict:
        report.add(
            source.diagnostic(
                (),
                f"{len(source.text) // 1_000_000} MB is more than openapi-spec-validator is run on ({MAX_VALIDATED_CHARS // 1_000_000} MB): the document is not validated as a whole",
                "the generator still checks what the workflow uses; --strict validates it all (slowly)",
                severity=Severity.WARNING,
            )
        )
        return
    if deferred is not None:
        deferred.append(source)
        return
    report.extend(spec_validator_findings(source))


# -- openapi-spec-validator's findings, cached by the document's text --------------------


def _findings_key(cache: TextCache, source: SourceFile) -> str:
    """The findings depend on the text, the validator's version and how this module
    words them (its own source is part of the key)."""
    salt = f"openapi-spec-validator {package_version('openapi-spec-validator')} {module_digest(__file__)}"
    return cache.key("openapivalidation", salt, source.text)


def _cached_findings(cache: TextCache, source: SourceFile) -> list[Diagnostic] | None:
    text = cache.get(_findings_key(cache, source))
    if text is None:
        return None
    try:
        rows = json.loads(text)
        return [
            Diagnostic(Severity(sev), source.display, int(line), int(col), tuple(path), str(msg), hint)
            for sev, line, col, path, msg, hint in rows
        ]
    except (ValueError, TypeError):
        return None  # an entry of another shape: recompute


def _store_findings(cache: TextCache, source: SourceFile, findings: list[Diagnostic]) -> None:
    rows = [[d.severity.value, d.line, d.column, list(d.json_path), d.message, d.hint] for d in findings]
    cache.put(_findings_key(cache, source), json.dumps(rows, ensure_ascii=False))


def spec_validator_findings(source: SourceFile, cache: TextCache | None = None) -> list[Diagnostic]:
    """openapi-spec-validator's findings on one document (from the cache when the same
    text was validated before)."""
    cache = cache or TextCache.default()
    found = _cached_findings(cache, source)
    if found is None:
        report = Report()
        run_spec_validator(source, report)
        found = report.items
        _store_findings(cache, source, found)
    return found


def run_spec_validator(source: SourceFile, report: Report) -> None:
    """openapi-spec-validator over one OpenAPI 3.0, 3.1 or 3.2 document, as warnings."""

    data = source.data
    version = str(data["openapi"])
    validator_cls = _spec_validator_class(
        "3.0" if version.startswith("3.0") else "3.2" if version.startswith("3.2") else "3.1"
    )
    try:
        errors = list(validator_cls(data).iter_errors())
    except RecursionError:
        report.add(
            source.diagnostic(
                (),
                "openapi-spec-validator could not check this document: it recursed without end (a cyclic $ref?)",
                "the generator checks the parts the workflow uses itself",
                severity=Severity.WARNING,
            )
        )
        return
    except Exception as exc:  # noqa: BLE001 - the validator's own failures on odd input (unresolvable $refs, ...)
        detail = " ".join(str(exc).split()).split(" within {")[0]  # not the whole document
        detail = f" ({detail[:117]}...)" if len(detail) > 120 else f" ({detail})" if detail else ""
        report.add(
            source.diagnostic(
                (),
                f"openapi-spec-validator could not check this document: {exc.__class__.__name__}{detail}",
                "the generator checks the parts the workflow uses itself",
                severity=Severity.WARNING,
            )
        )
        return
    for error in errors:
        path: JsonPath = tuple(getattr(error, "absolute_path", ()) or ())
        message = str(getattr(error, "message", error)).splitlines()[0]
        if len(message) > 200:
            message = message[:197] + "..."
        report.add(
            source.diagnostic(
                path,
                f"OpenAPI validation: {message}",
                "the vendor description is not strictly valid; generation continues unless --strict",
                severity=Severity.WARNING,
            )
        )


# -- the slow pass, beside the rest of the pipeline --------------------------------------

#: Documents a forked worker validates (set before the fork, so the child has them already parsed).
_FORKED_DOCUMENTS: list[SourceFile] = []
PARALLEL_VALIDATION_MIN_CHARS = 200_000


def _validate_forked(index: int) -> list[Diagnostic]:
    report = Report()
    run_spec_validator(_FORKED_DOCUMENTS[index], report)
    return report.items


class DeepValidation:
    """openapi-spec-validator over the queued documents.

    On a machine with more than one core and documents large enough to matter, a
    forked worker validates them while the main process builds the models; ``join``
    adds the findings to the report (the report sorts them, so the order they arrive
    in does not matter).  Elsewhere, or if the worker fails, ``join`` validates inline.
    """

    def __init__(self, documents: list[SourceFile]) -> None:
        self.cache = TextCache.default()
        self.known: list[list[Diagnostic]] = []  # findings of documents validated before
        self.documents: list[SourceFile] = []  # the others, validated now
        for document in documents:
            found = _cached_findings(self.cache, document)
            if found is None:
                self.documents.append(document)
            else:
                self.known.append(found)
        documents = self.documents
        self._futures: list[Future[list[Diagnostic]]] = []
        self._pool: ProcessPoolExecutor | None = None
        size = sum(len(d.text) for d in documents)
        if size < PARALLEL_VALIDATION_MIN_CHARS or (os.cpu_count() or 1) < 2 or "fork" not in get_all_start_methods():
            return
        global _FORKED_DOCUMENTS
        _FORKED_DOCUMENTS = documents
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"))
        self._futures = [self._pool.submit(_validate_forked, i) for i in range(len(documents))]

    def join(self, report: Report) -> None:
        for found in self.known:
            report.extend(found)
        pool, self._pool = self._pool, None
        if pool is None:
            for document in self.documents:
                report.extend(spec_validator_findings(document, self.cache))
            return
        try:
            for document, future in zip(self.documents, self._futures):
                try:
                    diagnostics = future.result()
                except BrokenProcessPool:
                    diagnostics = spec_validator_findings(document, self.cache)
                else:
                    _store_findings(self.cache, document, diagnostics)
                report.extend(diagnostics)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
