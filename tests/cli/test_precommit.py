"""The pre-commit hooks of this repository, used the way another repository uses
them: ``pre-commit try-repo`` in a temporary git repository that holds a spec
(specs/callingbox), a ``[tool.arazzo-codegen]`` configuration and a STALE
generated package.  The check hook fails with a diff, the regenerate hook
rewrites the package, then the check hook passes.

``try-repo`` installs the hook repository into a fresh virtualenv in a temporary
store (``pip install .`` of the repository: its dependencies come from PyPI), from
the repository's HEAD commit, plus (through a shadow commit) changes to tracked
files; untracked files are left out.  So the hook repository is this checkout
itself when its working tree is clean (a fresh clone in CI), and otherwise a
snapshot of the working tree (tracked and untracked, not ignored, files) committed
in a temporary repository, so that what is tested is what is on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arazzo_codegen.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"
SUMMARY = "Place an outbound call, then follow it to its end."
STEP_TIMEOUT = 900  # seconds for one pre-commit run (it builds a virtualenv from PyPI)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "arazzo-codegen tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "arazzo-codegen tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
}


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def hook_repository(tmp: Path, env: dict[str, str]) -> Path:
    """This checkout when it is clean, else a committed snapshot of its working tree."""
    if not (ROOT / ".git").exists():
        pytest.fail(f"{ROOT} is not a git checkout: try-repo needs one")
    if git("status", "--porcelain", "--untracked-files=all", cwd=ROOT, env=env) == "":
        return ROOT
    snapshot = tmp / "hook-repo"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT, env=env)
    for name in sorted({n for n in listed.split("\0") if n}):
        source = ROOT / name
        if source.is_file():  # deleted but still in the index: skip
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "-q", cwd=snapshot, env=env)
    git("add", "-A", cwd=snapshot, env=env)
    git("commit", "-q", "--no-gpg-sign", "-m", "snapshot of the working tree", cwd=snapshot, env=env)
    return snapshot


def pre_commit(hook_repo: Path, hook: str | None, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), *([hook] if hook else []), "--all-files", "--color", "never", "--verbose"]
    try:
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"pre-commit did not finish in {STEP_TIMEOUT} s: {exc.stdout!r} {exc.stderr!r}")


def test_hook_manifest_is_valid() -> None:
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(ROOT / ".pre-commit-config.yaml")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hook_files_pattern_matches_specs_and_config_only() -> None:
    import re

    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"arazzo-codegen", "arazzo-codegen-check"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        pattern = re.compile(hook["files"])
        for name in [
            "openapi.yaml",
            "api/petstore.yml",
            "specs/x/arazzo/flow.arazzo.yaml",
            "deep/er/spec.json",
            "pyproject.toml",
            "sub/pyproject.toml",
            "generated/vapi/models.py",
            "generated/vapi/py.typed",
            "generated/vapi/warnings.txt",
        ]:
            assert pattern.search(name), (hook["id"], name)
        for name in ["README.md", "docs/yaml.txt", "image.png", "Makefile", "setup.cfg", "notyaml"]:
            assert not pattern.search(name), (hook["id"], name)


def test_try_repo_check_fails_on_stale_package_then_regenerate_fixes_it(tmp_path: Path) -> None:
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    # The hooks must run the generator pre-commit installed, not this checkout's.
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PRE_COMMIT", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    hook_repo = hook_repository(tmp_path, env)

    # A user's repository: configuration, a spec, and the package generated from it.
    user = tmp_path / "user-repo"
    shutil.copytree(ROOT / "specs" / "callingbox", user / "specs" / "callingbox")
    (user / "pyproject.toml").write_text(
        f'[project]\nname = "user-project"\nversion = "0"\n\n[tool.arazzo-codegen]\nout = "src"\n\n[[tool.arazzo-codegen.specs]]\nspec = "{SPEC}"\npackage = "callingbox_client"\n',
        encoding="utf-8",
    )
    before = Path.cwd()
    os.chdir(user)
    try:
        assert main(["generate", "--quiet"]) == 0
    finally:
        os.chdir(before)
    # ... then the spec is edited and the package is not regenerated: it is stale.
    spec = user / SPEC
    spec.write_text(spec.read_text(encoding="utf-8").replace(SUMMARY, "Place an outbound call; follow it until it ends."), encoding="utf-8")
    git("init", "-q", cwd=user, env=env)
    git("add", "-A", cwd=user, env=env)
    git("commit", "-q", "--no-gpg-sign", "-m", "stale client", cwd=user, env=env)
    workflows = user / "src" / "callingbox_client" / "workflows.py"
    stale = workflows.read_text(encoding="utf-8")

    # 1. The check hook fails and shows the diff; it writes nothing.
    done = pre_commit(hook_repo, "arazzo-codegen-check", user, env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "arazzo-codegen check (clients are current)" in output and "Failed" in output, output
    assert "--- src/callingbox_client/workflows.py (on disk)" in output, output
    assert '+    """Place an outbound call; follow it until it ends.' in output, output
    assert "is stale" in output, output
    assert workflows.read_text(encoding="utf-8") == stale

    # 2. The regenerate hook rewrites the package (pre-commit fails a hook that
    #    modifies files, so the user sees and stages them); 3. the check hook,
    #    run after it in the same pre-commit run (hooks run in id order), passes.
    done = pre_commit(hook_repo, None, user, env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    lines = output.splitlines()
    regenerate = next(i for i, line in enumerate(lines) if line.startswith("arazzo-codegen (regenerate clients)"))
    check = next(i for i, line in enumerate(lines) if line.startswith("arazzo-codegen check (clients are current)"))
    assert regenerate < check, output
    assert lines[regenerate].endswith("Failed"), output
    assert "files were modified by this hook" in output, output
    assert lines[check].endswith("Passed"), output
    assert '"""Place an outbound call; follow it until it ends.' in workflows.read_text(encoding="utf-8")
    changed = git("status", "--porcelain", cwd=user, env=env).splitlines()
    assert changed and all(line[3:].startswith("src/callingbox_client/") for line in changed), changed

    # 4. On its own, the check hook now passes.
    git("add", "-A", cwd=user, env=env)
    done = pre_commit(hook_repo, "arazzo-codegen-check", user, env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert any(line.startswith("arazzo-codegen check (clients are current)") and line.endswith("Passed") for line in output.splitlines()), output
