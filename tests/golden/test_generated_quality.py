"""The generated packages are the product: mypy --strict clean, black-formatted and
clean under ruff's default rules."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.name for p in (ROOT / "generated").iterdir() if (p / "__init__.py").is_file())


def test_there_is_a_package_per_provider() -> None:
    assert PACKAGES == ["agentphone", "callingbox", "nixflex", "nixflex_events", "vapi", "voiceinfra", "voiceinfra_events"]


def test_mypy_strict_passes_on_generated_code() -> None:
    args = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    for package in PACKAGES:
        args += ["-p", f"generated.{package}"]
    completed = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_generated_code_is_black_formatted() -> None:
    # At the line length the generator formats with ([tool.arazzo-codegen]), not the 120 of
    # the generator's own [tool.black]; the files are named, so its extend-exclude of
    # generated/ does not leave black with nothing to check.
    line_length = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["arazzo-codegen"]["line-length"]
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "generated").rglob("*.py"))
    assert len(files) >= len(PACKAGES) * 4
    completed = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "--line-length", str(line_length), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr


#: ruff with its default rules and no configuration file (--isolated); only a bare ``_``
#: counts as a throwaway name, so the generated ``_``-prefixed locals are checked too.
RUFF = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--output-format", "concise", "--config", "lint.dummy-variable-rgx = '^_$'"]


def test_generated_code_is_clean_under_ruffs_default_rules() -> None:
    # No unused import or variable, no other finding of ruff's defaults, and nothing
    # silenced: no noqa comment in any generated file (there is no configuration either).
    completed = subprocess.run([*RUFF, "generated"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not [p for p in (ROOT / "generated").rglob("*.py") if "noqa" in p.read_text(encoding="utf-8")]


def test_generator_itself_passes_mypy_strict() -> None:
    completed = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_importing_a_package_does_not_import_dbos() -> None:
    # Only durable.py imports dbos: the plain package needs httpx and pydantic alone.
    code = "import sys, generated.vapi, generated.vapi.workflows; print('dbos' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.stdout.strip() == "False", completed.stderr


def test_durable_module_of_a_keyed_doc_is_clean(tmp_path: Path) -> None:
    # generated/vapi/durable.py is checked above with the rest; this is one whose
    # workflow takes an idempotency key, a secret input and an optional integer input.
    from arazzo_codegen.config import Durable
    from arazzo_codegen.pipeline import Job, build
    from arazzo_codegen.write import write_package

    spec = ROOT / "tests" / "durable" / "specs" / "orders.arazzo.yaml"
    job = Job(spec=spec, package="orders", out=tmp_path, durable=Durable(concurrency=3, rate=0.5))
    result = build(job)
    assert "durable.py" in result.files, [d.render() for d in result.report.items]
    write_package(job.package_dir, result.files)
    text = (job.package_dir / "durable.py").read_text(encoding="utf-8")
    assert "idempotency_key=_idempotency_key()" in text and "_RATE_LIMIT: tuple[int, float] | None = (1, 2.0)" in text
    for command in (
        [sys.executable, "-m", "black", "--check", "--quiet", "orders"],
        [*RUFF, "orders"],
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "orders.durable"],
    ):
        completed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "noqa" not in text


def test_importing_a_package_does_not_import_its_models() -> None:
    code = "import sys, generated.vapi; print('generated.vapi.models' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.stdout.strip() == "False", completed.stderr
