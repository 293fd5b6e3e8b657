"""The broker adapter parts (events_amqp, events_mqtt, events_ws) are held to the generated packages'
standard: the runtime rendered with them is black-formatted, clean under ruff's default
rules and mypy --strict clean, with none of aio-pika, aiomqtt and websockets imported at its top."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.events.runtime import render_runtime, write_runtime_package
from tests.golden.test_generated_quality import RUFF

ROOT = Path(__file__).resolve().parents[2]
ALL_PARTS = ("events", "events_amqp", "events_mqtt", "events_ws")


@pytest.mark.parametrize("part", ["events_amqp", "events_mqtt", "events_ws"])
def test_the_adapter_part_is_plain_python_importing_only_the_stdlib_and_other_parts(part: str) -> None:
    source = (ROOT / "generator" / "runtime" / f"{part}.py").read_text(encoding="utf-8")
    assert "{{" not in source and "{%" not in source
    tree = ast.parse(source)
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }
    assert imported <= set(sys.stdlib_module_names), imported - set(
        sys.stdlib_module_names
    )  # the broker clients: importlib, on first use


def test_the_runtime_with_both_adapters_is_black_ruff_and_mypy_strict_clean(tmp_path: Path) -> None:
    write_runtime_package(tmp_path, "adapters", ALL_PARTS)
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "adapters"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert black.returncode == 0, black.stderr
    ruff = subprocess.run([*RUFF, "adapters"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "adapters"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert not [p for p in (tmp_path / "adapters" / "_runtime").glob("*.py") if "noqa" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize(
    ("part", "name"),
    [
        ("events_amqp", "class AmqpTransport"),
        ("events_mqtt", "class MqttTransport"),
        ("events_ws", "class WebSocketTransport"),
    ],
)
def test_each_adapter_renders_only_when_asked(part: str, name: str) -> None:
    assert name in render_runtime(("events", part))
    assert name not in render_runtime(("events",))
