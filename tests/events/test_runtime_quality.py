"""The "events" runtime part is held to the generated packages' standard: black-formatted
(as rendered), clean under ruff's default rules, mypy --strict clean, stdlib-only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.events.runtime import render_runtime, write_runtime_package
from tests.golden.test_generated_quality import RUFF

ROOT = Path(__file__).resolve().parents[2]
#: The "events" part and the parts shipped with it (messages and protocols, the hub and the
#: in-memory broker, the verifiers, the webhook receiver), and the send steps' part; the
#: broker adapters are apart.
PARTS = [
    ROOT / "generator" / "runtime" / f"{name}.py"
    for name in ("events", "events_base", "events_hub", "events_verify", "events_webhook", "events_send")
]


@pytest.mark.parametrize("part", PARTS, ids=[p.stem for p in PARTS])
def test_the_events_part_is_plain_python_with_only_stdlib_imports(part: Path) -> None:
    source = part.read_text(encoding="utf-8")
    assert "{{" not in source and "{%" not in source
    tree = ast.parse(source)
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }  # not the other parts
    # the stdlib, and pydantic (BaseModel payloads), which every package needs anyway: no broker client
    assert imported <= set(sys.stdlib_module_names) | {"pydantic"}, imported - set(sys.stdlib_module_names)


#: Typed uses of the runtime, checked by mypy --strict with it: the broker and the receiver
#: are Transports and AsyncTransports, the verifiers Verifiers, the routes Routes.
USES = """
from __future__ import annotations

from . import _runtime


def uses() -> None:
    sync: list[_runtime.Transport] = [_runtime.InMemoryBroker(), _runtime.WebhookReceiver(verifier=None, route=_runtime.route_to("c"))]
    both: list[_runtime.AsyncTransport] = [_runtime.InMemoryBroker(), _runtime.WebhookReceiver(verifier=None, route=_runtime.route_by_header("X-Event"))]
    verifiers: list[_runtime.Verifier] = [
        _runtime.HmacSha256Verifier("s", header="X-Sig"),
        _runtime.StripeVerifier("s", header="X-Sig"),
        _runtime.StandardWebhooksVerifier("whsec_c2VjcmV0"),
    ]
    route: _runtime.Route = _runtime.route_by_payload("/event")
    subscription: _runtime.Subscription = sync[0].subscribe("c")
    asubscription: _runtime.AsyncSubscription = _runtime.InMemoryBroker()._hub.subscribe("c")
    print(both, verifiers, route, subscription, asubscription)
"""


def test_the_rendered_runtime_is_black_ruff_and_mypy_strict_clean(tmp_path: Path) -> None:
    package = write_runtime_package(tmp_path, "evquality", ("events", "events_send", "events_webhook"))
    (package / "uses.py").write_text(USES.lstrip(), encoding="utf-8")
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "evquality/_runtime"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert black.returncode == 0, black.stderr
    ruff = subprocess.run([*RUFF, "evquality/_runtime"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "evquality"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_the_part_renders_only_when_asked() -> None:
    assert "class WebhookReceiver" in render_runtime(("events", "events_webhook"))
    assert "class WebhookReceiver" not in render_runtime(("events",))
    # the send steps' helpers come with a send step only (the generator asks for them)
    assert "def send_message" in render_runtime(("events", "events_send"))
    assert "def send_message" not in render_runtime(("events",))
