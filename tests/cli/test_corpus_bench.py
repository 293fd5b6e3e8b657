"""bench/corpus.py classifies each document of a corpus against its EXPECT.tsv.

A five-document corpus written here (the real one in ../shared is never read by
tests) has one row of each outcome: a compile hit, a compile miss, a diagnose
hit about its source, a diagnose row whose note wants a source diagnostic but
whose only error is the version (a miss), and a disputed compile row.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OPENAPI = """openapi: 3.1.0
info: {title: Users, version: 1.0.0}
servers: [{url: https://users.example.com}]
paths:
  /users:
    get:
      operationId: getUsers
      responses:
        "200": {description: ok}
"""


def arazzo(version: str, url: str, operation: str = "getUsers") -> str:
    return (
        f"arazzo: {version}\ninfo: {{title: T, version: 1.0.0}}\nsourceDescriptions:\n  - name: users\n    url: {url}\n    type: openapi\n"
        f"workflows:\n  - workflowId: listThem\n    steps:\n      - stepId: list\n        operationId: {operation}\n"
    )


@pytest.fixture
def corpus_module() -> object:
    spec = importlib.util.spec_from_file_location("corpus_bench", ROOT / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_outcomes_totals_and_summary(tmp_path: Path, corpus_module: object, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "repo" / "mirror").mkdir(parents=True)
    (corpus / "repo" / "mirror" / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    docs = {
        "good.arazzo.yaml": arazzo("1.0.1", "https://mirror.example/openapi.yaml"),  # compiles through the source map
        "typo.arazzo.yaml": arazzo("1.0.1", "./mirror/openapi.yaml", operation="getUser"),
        "placeholder.arazzo.yaml": arazzo("1.1.0", "https://placeholder.example/openapi.yaml"),
        "versioned.arazzo.yaml": arazzo("1.1.0", "./mirror/openapi.yaml", operation="getUser"),  # a defect not at a source
        "disputed.arazzo.yaml": arazzo("1.0.1", "./absent.yaml"),
    }
    for name, text in docs.items():
        (corpus / "repo" / name).write_text(text, encoding="utf-8")
    about = "valid 1.1.0 structure: the one diagnostic must be about the source, never about the version"
    (corpus / "EXPECT.tsv").write_text(
        "file\tarazzo\texpect\tnote\n"
        "repo/good.arazzo.yaml\t1.0.1\tcompile\t\n"
        "repo/typo.arazzo.yaml\t1.0.1\tcompile\t\n"
        f"repo/placeholder.arazzo.yaml\t1.1.0\tdiagnose\t{about}\n"
        f"repo/versioned.arazzo.yaml\t1.1.0\tdiagnose\t{about}\n"
        "repo/disputed.arazzo.yaml\t1.0.1\tcompile\t\n",
        encoding="utf-8",
    )
    maps = tmp_path / "maps.toml"
    maps.write_text('[source-map]\n"https://mirror.example/" = "repo/mirror/"\n', encoding="utf-8")
    disputes = tmp_path / "disputes.tsv"
    disputes.write_text("# comment\nrepo/disputed.arazzo.yaml\tits source was never committed\n", encoding="utf-8")
    results = tmp_path / "out" / "corpus.md"
    code = corpus_module.main([str(corpus), "--source-maps", str(maps), "--disputes", str(disputes), "--results", str(results), "--timeout", "120"])  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert code == 0
    assert "compile 1/3, diagnose 1/2, crash 0" in out
    assert "miss: repo/typo.arazzo.yaml: expected compile, got refused: repo/typo.arazzo.yaml:11:22: error: $.workflows[0].steps[0].operationId: unknown operationId 'getUser'" in out
    assert "miss: repo/versioned.arazzo.yaml: expected diagnose, got refused: not about the source: " in out and "unknown operationId 'getUser'" in out
    assert "disputed: repo/disputed.arazzo.yaml: expected compile, got refused" in out
    assert "placeholder.arazzo.yaml: expected" not in out and "good.arazzo.yaml: expected" not in out
    summary = results.read_text(encoding="utf-8")
    assert "| repo | 1/3 | 1/2 | 0 |" in summary
    assert "- `repo/disputed.arazzo.yaml` (EXPECT compile; we refuse it): its source was never committed" in summary


def test_absent_corpus_is_said_and_exits_0(tmp_path: Path, corpus_module: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert corpus_module.main([str(tmp_path / "nowhere")]) == 0  # type: ignore[attr-defined]
    assert "no corpus at" in capsys.readouterr().out
