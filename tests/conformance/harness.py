"""Compile a conformance feature's Arazzo document in-process, import the package,
and run its workflows against cassettes served on 127.0.0.1.

Layout of one feature: ``tests/conformance/<feature>/arazzo.yaml`` plus its
OpenAPI sources, and ``tests/conformance/<feature>/cassettes/<scenario>.yaml``.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from arazzo_codegen.diagnostics import Diagnostic, Severity
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package
from tests.replay import ReplayManager, ReplayServer, SleepRecorder

CONFORMANCE_DIR = Path(__file__).resolve().parent


@dataclass
class Compiled:
    """One feature compiled: the imported package (None on errors) and the diagnostics."""

    feature: str
    package: str
    module: ModuleType | None
    diagnostics: list[Diagnostic]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [d.render() for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[str]:
        return [d.render() for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def source(self) -> str:
        """The generated workflows module, as text."""
        return self.files["workflows.py"]

    @property
    def runtime(self) -> str:
        """The generated runtime (every file of ``_runtime/``), as one text."""
        return "\n".join(text for name, text in sorted(self.files.items()) if name.startswith("_runtime/"))

    def fn(self, name: str) -> Callable[..., Any]:
        assert self.module is not None, "\n".join(self.errors)
        function: Callable[..., Any] = getattr(self.module, name)
        return function


class Compiler:
    """Compiles each feature once per test session into ``out`` (on sys.path)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.cache: dict[tuple[str, str], Compiled] = {}

    def __call__(self, feature: str, spec: str = "arazzo.yaml") -> Compiled:
        key = (feature, spec)
        if key not in self.cache:
            stem = spec.rsplit(".", 1)[0]
            package = "conformance_" + "_".join(part for part in (feature, stem) if part != "arazzo").replace("-", "_").replace("/", "_")
            job = Job(spec=CONFORMANCE_DIR / feature / spec, package=package, out=self.out)
            result = build(job)
            module = None
            if result.files:
                write_package(job.package_dir, result.files)
                importlib.invalidate_caches()
                module = importlib.import_module(package)
            self.cache[key] = Compiled(feature, package, module, list(result.report.items), dict(result.files))
        return self.cache[key]


def run(compiled: Compiled, function: str, mode: str, sleep: SleepRecorder | None = None, **kwargs: Any) -> Any:
    """Call the workflow function (``mode`` "sync") or its async twin ("async")."""
    recorder = sleep or SleepRecorder()
    if mode == "sync":
        return compiled.fn(function)(sleep=recorder, **kwargs)
    coroutine = compiled.fn(function + "_async")(sleep=recorder.asleep, **kwargs)
    return asyncio.run(coroutine)


class Servers:
    """Starts replay servers for cassettes under tests/conformance (``feature/name``)."""

    def __init__(self) -> None:
        self.manager = ReplayManager(CONFORMANCE_DIR)

    def __call__(self, feature: str, scenario: str) -> ReplayServer:
        return self.manager(f"{feature}/cassettes/{scenario}")

    def close(self) -> None:
        self.manager.close()


def add_to_path(directory: Path) -> None:
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
