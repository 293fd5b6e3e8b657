"""Determinism: the same inputs give the same bytes under any PYTHONHASHSEED, from
any working directory, with a relative or an absolute spec path; the output holds
no absolute path and no timestamp.

The CLI runs in subprocesses (a hash seed is fixed when the interpreter starts),
concurrently, over the CallingBox spec, into output directories at the same depth
(the ``sources`` header names the inputs relative to the package directory), with
``--durable``, so that durable.py is covered too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from arazzo_codegen.runtime_files import is_part_file

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "callingbox" / "arazzo" / "callingbox-outbound-call-workflow.yml"
PACKAGE = "callingbox_client"

_TIMESTAMP = re.compile(r"\b(19|20)\d\d-[01]\d-[0-3]\d([T ][0-2]\d:[0-5]\d)?")


def _generate(cwd: Path, spec: str, out: str, seed: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = seed
    env["PYTHONPATH"] = str(ROOT)
    env.pop("ARAZZO_CODEGEN_TRACEBACK", None)
    return subprocess.run(
        [sys.executable, "-m", "arazzo_codegen", "generate", spec, "--out", out, "--package", PACKAGE, "--durable"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_bytes_across_hash_seeds_directories_and_path_styles(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outs = [tmp_path / "run1" / "out", tmp_path / "run2" / "out", tmp_path / "run3" / "out"]
    runs = [
        # From the repository, a relative spec path and an absolute output path.
        (ROOT, os.path.relpath(SPEC, ROOT), str(outs[0]), "0"),
        # From an unrelated directory, absolute paths, another hash seed.
        (elsewhere, str(SPEC), str(outs[1]), "12345"),
        # From the spec's own folder, a bare file name and a relative output path.
        (SPEC.parent, SPEC.name, os.path.relpath(outs[2], SPEC.parent), "random"),
    ]
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        results = list(pool.map(lambda run: _generate(*run), runs))
    for result in results:
        assert result.returncode == 0, result.stderr
    trees = [_tree(out / PACKAGE) for out in outs]
    assert [name for name in sorted(trees[0]) if not name.startswith("_runtime/")] == ["__init__.py", "durable.py", "models.py", "py.typed", "workflows.py"]
    assert {"_runtime/__init__.py", "_runtime/core.py"} <= set(trees[0])
    for name in trees[0]:
        assert trees[1][name] == trees[0][name], f"{name} differs between runs 1 and 2"
        assert trees[2][name] == trees[0][name], f"{name} differs between runs 1 and 3"
    assert trees[0] == trees[1] == trees[2]
    assert list(elsewhere.iterdir()) == [], "the working directory was written to"


def test_output_holds_no_absolute_path_or_timestamp(tmp_path: Path) -> None:
    """A project laid out like this repository (specs/ and the output side by side),
    anywhere on disk: the output names its inputs relative to itself."""
    project = tmp_path / "project"
    for document in (SPEC, *sorted((SPEC.parent.parent / "openapi").iterdir())):
        target = project / document.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(document.read_bytes())
    result = _generate(project, str(SPEC.relative_to(ROOT)), "generated", "0")
    assert result.returncode == 0, result.stderr
    forbidden = {str(ROOT), str(tmp_path), os.path.realpath(tmp_path), str(Path.home())}
    for name, data in _tree(project / "generated" / PACKAGE).items():
        text = data.decode("utf-8")
        for path in forbidden:
            assert path not in text, f"{name} contains the absolute path {path}"
        assert not re.search(r"(?m)(^|[\s'\"(])/(home|tmp|root|usr|var|work|Users)/", text), f"{name} contains an absolute path"
        assert not _TIMESTAMP.search(text), f"{name} contains a timestamp: {_TIMESTAMP.search(text)}"
        if name != "py.typed" and not is_part_file(name):  # the runtime parts: copies, no header
            sources = next(line for line in text.splitlines()[:3] if line.startswith("# sources: "))
            assert sources.split()[2:] == [
                "../../specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml",
                "../../specs/callingbox/openapi/callingbox-calls-openapi.yml",
            ]
