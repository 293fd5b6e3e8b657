"""``arazzo-codegen generate --hook`` (the entry of the regenerate pre-commit hook)
stops the commit whenever it wrote anything, and says what to ``git add``.

pre-commit itself fails a hook only when it changes a file git tracks, so a
package the hook creates (untracked) used to let the commit land without the
client.  Here: the flag in-process (exit codes, messages, paths with spaces,
``--force`` rewriting the same bytes is no change, plain ``generate`` still exits
0), then real commits in a real git repository with the hook installed by real
pre-commit from this checkout, and the hook command's wall time on an unchanged
repository.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arazzo_codegen.cli import main
from tests.cli.test_precommit import GIT_IDENTITY, git, hook_repository

ROOT = Path(__file__).resolve().parents[2]
SPEC = "specs/callingbox/arazzo/callingbox-outbound-call-workflow.yml"
SUMMARY = "Place an outbound call, then follow it to its end."
TYPO = ("billedDurationSeconds: $response.body#/billed_duration_seconds", "billedDurationSeconds: $response.body#/billed_duration_secs")
STEP_TIMEOUT = 900  # seconds for one commit (the first builds the hook's virtualenv from PyPI)


def project(root: Path, out: str) -> None:
    shutil.copytree(ROOT / "specs" / "callingbox", root / "specs" / "callingbox")
    (root / "pyproject.toml").write_text(
        f'[tool.arazzo-codegen]\nout = "{out}"\n\n[[tool.arazzo-codegen.specs]]\nspec = "{SPEC}"\npackage = "callingbox_client"\n',
        encoding="utf-8",
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_hook_flag_fails_whenever_it_wrote_and_names_what_to_add(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, "src/my clients")  # a space: the git add line must quote it
    monkeypatch.chdir(tmp_path)
    add = "    git add 'src/my clients/callingbox_client'\n"

    # A new package.
    code, out, err = run(["generate", "--hook"], capsys)
    assert (code, out) == (1, "")
    assert err == (
        "callingbox_client: wrote src/my clients/callingbox_client (created)\n"
        "arazzo-codegen: wrote 1 package; stage it and commit again:\n" + add
    )
    # Nothing to do: silent, exit 0.
    assert run(["generate", "--hook"], capsys) == (0, "", "")
    # A changed spec.
    edit(tmp_path / SPEC, SUMMARY, "Place an outbound call (hook).")
    code, out, err = run(["generate", "--hook"], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("callingbox_client: wrote src/my clients/callingbox_client (updated)\n") and err.endswith(add)
    # A hand edit undone.
    workflows = tmp_path / "src" / "my clients" / "callingbox_client" / "workflows.py"
    workflows.write_text(workflows.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    code, _, err = run(["generate", "--hook"], capsys)
    assert code == 1 and "(hand edits undone)" in err and err.endswith(add)
    # A deleted file restored.
    (workflows.parent / "models.py").unlink()
    code, _, err = run(["generate", "--hook", "--quiet"], capsys)  # --quiet keeps the reason to fail
    assert code == 1 and err.endswith(add)
    # --force rewrites the same bytes: nothing to add.
    assert run(["generate", "--hook", "--force"], capsys) == (0, "", "")

    # Plain generate still exits 0 after writing.
    edit(tmp_path / SPEC, "Place an outbound call (hook).", "Place an outbound call (plain).")
    assert run(["generate", "--quiet"], capsys) == (0, "", "")
    edit(tmp_path / SPEC, "Place an outbound call (plain).", SUMMARY)
    assert run(["generate"], capsys)[0] == 0


def test_hook_flag_lists_every_written_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for provider in ("callingbox", "voiceinfra"):
        shutil.copytree(ROOT / "specs" / provider, tmp_path / "specs" / provider)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arazzo-codegen]\nout = "gen"\n\n'
        f'[[tool.arazzo-codegen.specs]]\nspec = "{SPEC}"\npackage = "cb"\n\n'
        '[[tool.arazzo-codegen.specs]]\nspec = "specs/voiceinfra/arazzo/voiceinfra-outbound-call-workflow.yml"\npackage = "vi"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["generate", "--hook"], capsys)
    assert code == 1
    assert err.endswith("arazzo-codegen: wrote 2 packages; stage them and commit again:\n    git add gen/cb gen/vi\n")
    shutil.rmtree(tmp_path / "gen" / "vi")
    code, _, err = run(["generate", "--hook"], capsys)
    assert (code, err) == (1, "vi: wrote gen/vi (created)\narazzo-codegen: wrote 1 package; stage it and commit again:\n    git add gen/vi\n")


def _commit(user: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    argv = ["git", "commit", "--no-gpg-sign", "-m", message]
    try:
        return subprocess.run(argv, cwd=user, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"git commit did not finish in {STEP_TIMEOUT} s: {exc.stdout!r} {exc.stderr!r}")


def _commits(user: Path, env: dict[str, str]) -> int:
    done = subprocess.run(["git", "rev-list", "--count", "--all"], cwd=user, env=env, capture_output=True, text=True, timeout=60)
    return int(done.stdout.strip() or 0) if done.returncode == 0 else 0


def test_real_commits_are_stopped_until_the_written_package_is_added(tmp_path: Path) -> None:
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PRE_COMMIT", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    hook_repo = hook_repository(tmp_path, env)
    rev = git("rev-parse", "HEAD", cwd=hook_repo, env=env).strip()

    user = tmp_path / "user-repo"
    project(user, "src")
    edit(user / SPEC, *TYPO)  # one warning, kept with the package
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: arazzo-codegen\n",
        encoding="utf-8",
    )
    git("init", "-q", cwd=user, env=env)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=user, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    package = user / "src" / "callingbox_client"

    # 1. The first commit adds the spec: the hook creates the (untracked) package and stops it.
    git("add", "-A", cwd=user, env=env)
    done = _commit(user, env, "add the callingbox spec")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert _commits(user, env) == 0, output
    assert "arazzo-codegen (regenerate clients)" in output and "Failed" in output, output
    assert "callingbox_client: wrote src/callingbox_client (created)" in output, output
    assert "git add src/callingbox_client" in output, output
    assert (package / "workflows.py").is_file() and (package / "warnings.txt").is_file()
    assert git("status", "--porcelain", "--", "src", cwd=user, env=env).startswith("?? src/"), output

    # 2. After the git add it names, the commit passes, and shows the package's warning.
    git("add", "src/callingbox_client", cwd=user, env=env)
    done = _commit(user, env, "add the callingbox spec")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert _commits(user, env) == 1
    assert "callingbox_client: up to date, 1 warning (-v to list)" in output, output
    tracked = git("ls-files", "src", cwd=user, env=env).split()
    assert "src/callingbox_client/workflows.py" in tracked and "src/callingbox_client/warnings.txt" in tracked

    # 3. A commit that changes the spec is stopped; the package is updated.
    edit(user / SPEC, SUMMARY, "Place an outbound call; follow it until it ends.")
    git("add", SPEC, cwd=user, env=env)
    done = _commit(user, env, "edit the summary")
    output = done.stdout + done.stderr
    assert done.returncode != 0 and _commits(user, env) == 1, output
    assert "callingbox_client: wrote src/callingbox_client (updated)" in output and "git add src/callingbox_client" in output, output
    assert '"""Place an outbound call; follow it until it ends.' in (package / "workflows.py").read_text(encoding="utf-8")
    git("add", "src/callingbox_client", cwd=user, env=env)
    done = _commit(user, env, "edit the summary")
    assert done.returncode == 0 and _commits(user, env) == 2, done.stdout + done.stderr
    assert git("status", "--porcelain", cwd=user, env=env) == ""

    # 4. On the unchanged repository, the hook's own command (in the environment
    #    pre-commit built) decides from stamps: median of 5 runs under 0.5 s.
    installed = sorted((tmp_path / "pre-commit-home").glob("repo*/py_env-*/bin/arazzo-codegen"))
    assert len(installed) == 1, installed
    times = []
    for attempt in range(6):
        started = time.perf_counter()
        done = subprocess.run([str(installed[0]), "generate", "--hook"], cwd=user, env=env, capture_output=True, text=True, timeout=60)
        elapsed = time.perf_counter() - started
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "callingbox_client: up to date, 1 warning (-v to list)\n")
        if attempt:  # the first run warms the file cache
            times.append(elapsed)
    assert statistics.median(times) < 0.5, times
