"""Nothing half-written: a run interrupted while it writes (Ctrl-C, a full disk,
SIGKILL) leaves the previous output byte-identical, and (except after SIGKILL,
which allows no clean-up) no temporary directory behind.

Each test first generates a package from a small spec ("previous output"), then
changes the spec so that the next run would write different bytes, and interrupts
that run at a chosen point of writing.  In-process runs patch the write stage
(``generator.write``'s ``open`` and ``os.replace`` on the output directory);
subprocess runs are interrupted with real signals once a hook in the child says
that it is in the middle of writing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_codegen import cli
from arazzo_codegen import write as write_stage

ROOT = Path(__file__).resolve().parents[2]
PETSTORE = Path(__file__).resolve().parents[1] / "bad" / "_shared" / "petstore.yaml"
PACKAGE = "pets"
TEMP_PREFIX = ".arazzo-codegen-tmp-"

SPEC = """arazzo: 1.0.1
info:
  title: {title}
  version: 1.0.0
sourceDescriptions:
  - name: petstore
    url: petstore.yaml
    type: openapi
workflows:
  - workflowId: adopt-pet
    inputs:
      type: object
      required: [petName]
      properties:
        petName:
          type: string
    steps:
      - stepId: create
        operationId: createPet
        requestBody:
          contentType: application/json
          payload:
            name: $inputs.petName
        successCriteria:
          - condition: $statusCode == 201
        outputs:
          petId: $response.body#/id
    outputs:
      petId: $steps.create.outputs.petId
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): (b"<dir>" if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def _run(argv: list[str], cwd: Path) -> tuple[int, str]:
    err = io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(argv)
    finally:
        os.chdir(previous)
    return code, err.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A spec, its previous output in out/pets, and the spec changed since."""
    (tmp_path / "petstore.yaml").write_bytes(PETSTORE.read_bytes())
    (tmp_path / "arazzo.yaml").write_text(SPEC.format(title="Before"), encoding="utf-8")
    code, stderr = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], tmp_path)
    assert code == 0, stderr
    assert sorted(p.name for p in (tmp_path / "out" / PACKAGE).iterdir()) == ["__init__.py", "_runtime", "models.py", "py.typed", "workflows.py"]
    (tmp_path / "arazzo.yaml").write_text(SPEC.format(title="After"), encoding="utf-8")
    yield tmp_path


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(TEMP_PREFIX))


class Interrupt(Exception):
    pass


def _patch_writes(monkeypatch: pytest.MonkeyPatch, out: Path, *, fail_open_at: int | None = None, fail_replace_at: int | None = None, error: Callable[[], BaseException]) -> dict[str, int]:
    """Make the n-th file opened for writing, or the n-th os.replace touching ``out``, raise ``error()``."""
    counts = {"open": 0, "replace": 0}
    real_open = open
    real_replace = os.replace

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode or "x" in mode or "a" in mode:
            counts["open"] += 1
            if counts["open"] == fail_open_at:
                handle = real_open(file, mode, *args, **kwargs)
                handle.write("# half a file")
                handle.close()
                raise error()
        return real_open(file, mode, *args, **kwargs)

    def fake_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(out) in os.path.abspath(src) or str(out) in os.path.abspath(dst):
            counts["replace"] += 1
            if counts["replace"] == fail_replace_at:
                raise error()
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(write_stage, "open", fake_open, raising=False)
    monkeypatch.setattr(os, "replace", fake_replace)
    return counts


def test_previous_run_really_differs(project: Path) -> None:
    """Guard for the tests below: the changed spec does change the output."""
    before = _snapshot(project / "out")
    code, stderr = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], project)
    assert code == 0, stderr
    assert _snapshot(project / "out") != before
    assert _leftovers(project / "out") == []


@pytest.mark.parametrize("at", [1, 3, 5])
def test_ctrl_c_while_writing_a_file(project: Path, monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    out = project / "out"
    before = _snapshot(out)
    counts = _patch_writes(monkeypatch, out, fail_open_at=at, error=KeyboardInterrupt)
    code, stderr = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], project)
    assert counts["open"] == at, "the interruption point was never reached"
    assert code == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "arazzo-codegen: interrupted; existing output left as it was"
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def test_ctrl_c_while_moving_the_old_output_away(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = project / "out"
    before = _snapshot(out)
    counts = _patch_writes(monkeypatch, out, fail_replace_at=1, error=KeyboardInterrupt)
    code, stderr = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], project)
    assert counts["replace"] >= 1, "the interruption point was never reached"
    assert code == 130
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def test_ctrl_c_between_moving_the_old_output_away_and_the_new_in(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = project / "out"
    before = _snapshot(out)
    counts = _patch_writes(monkeypatch, out, fail_replace_at=2, error=KeyboardInterrupt)
    code, _ = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], project)
    assert counts["replace"] >= 2, "the interruption point was never reached"
    assert code == 130
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def test_disk_full_while_writing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = project / "out"
    before = _snapshot(out)
    _patch_writes(monkeypatch, out, fail_open_at=2, error=lambda: OSError(errno.ENOSPC, "No space left on device"))
    code, stderr = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], project)
    assert code == 2
    assert "Traceback" not in stderr
    assert "No space left on device" in stderr
    assert _snapshot(out) == before
    assert _leftovers(out) == []


# -- real signals -------------------------------------------------------------------------

CHILD = """
import os, signal, sys, time
# Ctrl-C as in a terminal: a shell that starts the suite in the background (no job
# control) has SIGINT ignored, children inherit that, and Python then never raises
# KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)
from arazzo_codegen import cli, write
marker = sys.argv[1]
real_open = open
count = 0
def slow_open(file, mode="r", *args, **kwargs):
    global count
    handle = real_open(file, mode, *args, **kwargs)
    if "w" in mode:
        count += 1
        if count == 3:
            handle.write("# half a file")
            handle.flush()
            with real_open(marker, "w") as m:
                m.write(str(file))
            time.sleep(60)
    return handle
write.open = slow_open
sys.exit(cli.main(sys.argv[2:]))
"""


def _start_child(project: Path) -> tuple[subprocess.Popen[str], Path]:
    marker = project / "writing.marker"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker), "generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the child never reached the middle of writing: {err}")
        time.sleep(0.05)
    # The staging directory exists and holds a half-written file right now.
    assert any(p.name.startswith(TEMP_PREFIX) for p in (project / "out").iterdir())
    marker.unlink()
    return proc, marker


def test_sigint_mid_write_leaves_previous_output_and_no_temp_dirs(project: Path) -> None:
    out = project / "out"
    before = _snapshot(out)
    proc, _ = _start_child(project)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def test_sigkill_mid_write_leaves_previous_output(project: Path) -> None:
    out = project / "out"
    before = {k: v for k, v in _snapshot(out).items() if not k.startswith(TEMP_PREFIX)}
    proc, _ = _start_child(project)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    after = {k: v for k, v in _snapshot(out).items() if not k.startswith(TEMP_PREFIX)}
    assert after == before
    # What SIGKILL left is a hidden directory beside the package, never inside it.
    assert all(name.startswith(TEMP_PREFIX) for name in (p.name for p in out.iterdir()) if name != PACKAGE)


def test_next_run_removes_what_a_killed_run_left(project: Path) -> None:
    out = project / "out"
    proc, _ = _start_child(project)
    proc.kill()
    proc.communicate(timeout=60)
    code, stderr = _run(["generate", "arazzo.yaml", "--out", "out", "--package", PACKAGE], project)
    assert code == 0, stderr
    assert _leftovers(out) == []
