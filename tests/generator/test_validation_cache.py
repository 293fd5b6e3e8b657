"""openapi-spec-validator's findings are cached by the document's text: a second run
over the same text reuses them (the validator is not run), with the current file name;
another text, or a damaged entry, is validated again."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_codegen import validate_spec
from arazzo_codegen.cache import TextCache
from arazzo_codegen.diagnostics import Report, Severity
from arazzo_codegen.load import Loader, SourceFile

INVALID = """\
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    get:
      responses:
        '200': {description: ok}
        'bad': {description: not a status}
"""


def _load(path: Path, text: str) -> SourceFile:
    path.write_text(text)
    source = Loader(Report()).load(path)
    assert source is not None
    return source


def test_findings_are_cached_by_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = TextCache(tmp_path / "cache")
    first = validate_spec.spec_validator_findings(_load(tmp_path / "a.yaml", INVALID), cache)
    assert first and all(d.severity is Severity.WARNING and d.message.startswith("OpenAPI validation:") for d in first)

    def no_validator(source: SourceFile, report: Report) -> None:
        raise AssertionError("the validator ran although the findings are cached")

    monkeypatch.setattr(validate_spec, "run_spec_validator", no_validator)
    again = validate_spec.spec_validator_findings(_load(tmp_path / "b.yaml", INVALID), cache)
    # same findings, now reported against the file that holds the text
    assert [(d.line, d.column, d.json_path, d.message, d.hint) for d in again] == [(d.line, d.column, d.json_path, d.message, d.hint) for d in first]
    assert all(d.file.endswith("b.yaml") for d in again)

    with pytest.raises(AssertionError, match="the validator ran"):
        validate_spec.spec_validator_findings(_load(tmp_path / "c.yaml", INVALID + "# another text\n"), cache)


def test_a_damaged_entry_is_validated_again(tmp_path: Path) -> None:
    cache = TextCache(tmp_path / "cache")
    source = _load(tmp_path / "a.yaml", INVALID)
    first = validate_spec.spec_validator_findings(source, cache)
    entries = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:-5])  # truncated: its checksum no longer matches
    assert validate_spec.spec_validator_findings(source, cache) == first


def test_deep_validation_reuses_cached_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARAZZO_CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = _load(tmp_path / "a.yaml", INVALID)
    cold = Report()
    validate_spec.DeepValidation([source]).join(cold)
    monkeypatch.setattr(validate_spec, "run_spec_validator", lambda source, report: (_ for _ in ()).throw(AssertionError("ran")))
    deep = validate_spec.DeepValidation([source])
    assert deep.documents == []  # nothing left to validate
    warm = Report()
    deep.join(warm)
    assert warm.items == cold.items and warm.items
