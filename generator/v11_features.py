"""What ``list`` and ``validate`` show of an Arazzo 1.1 document's step-level
features: step ``timeout`` (milliseconds) and step ``dependsOn``.

Read from the document itself (after the pipeline accepted it), so the lines stay
the same whichever stage compiles these features; a 1.0 document shows nothing here
and its output is what it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StepFeatures:
    step_id: str
    timeout: int | None
    depends_on: tuple[str, ...]

    def describe(self) -> str:
        parts = []
        if self.timeout is not None:
            parts.append(f"timeout {self.timeout} ms")
        if self.depends_on:
            parts.append("dependsOn " + ", ".join(self.depends_on))
        return f"{self.step_id}: {'; '.join(parts)}"


def read_document(path: Path) -> Any:
    """The parsed document, or None when it cannot be read (the pipeline has said why)."""
    from .load_parse import parse_text

    try:
        return parse_text(path.read_text(encoding="utf-8"), path.name, path.suffix.lower())
    except Exception:  # noqa: BLE001 - already reported by the pipeline
        return None


def is_1_1(data: Any) -> bool:
    version = data.get("arazzo") if isinstance(data, dict) else None
    return isinstance(version, str) and version.startswith("1.1.")


def step_features(data: Any) -> dict[str, list[StepFeatures]]:
    """workflowId -> its steps that have a timeout or a dependsOn, in document order."""
    found: dict[str, list[StepFeatures]] = {}
    if not is_1_1(data):
        return found
    for workflow in data.get("workflows") or []:
        if not isinstance(workflow, dict) or not isinstance(workflow.get("workflowId"), str):
            continue
        rows = []
        for step in workflow.get("steps") or []:
            if not isinstance(step, dict):
                continue
            timeout = step.get("timeout")
            timeout = timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else None
            depends = tuple(str(item) for item in step.get("dependsOn") or [] if isinstance(item, str))
            if timeout is not None or depends:
                rows.append(StepFeatures(str(step.get("stepId")), timeout, depends))
        if rows:
            found[workflow["workflowId"]] = rows
    return found


def summary(data: Any) -> str:
    """``'; Arazzo 1.1: 2 step timeouts, 1 step with dependsOn'`` ('' for a 1.0 document
    or one with neither)."""
    if not is_1_1(data):
        return ""
    rows = [row for rows in step_features(data).values() for row in rows]
    timeouts = sum(row.timeout is not None for row in rows)
    depends = sum(bool(row.depends_on) for row in rows)
    parts = []
    if timeouts:
        parts.append(f"{timeouts} step timeout{'s' if timeouts != 1 else ''}")
    if depends:
        parts.append(f"{depends} step{'s' if depends != 1 else ''} with dependsOn")
    return f"; Arazzo 1.1: {', '.join(parts)}" if parts else ""
