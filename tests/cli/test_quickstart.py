"""README "Quick start in your own repo", run as written.

The fenced blocks that follow a ``<!-- quickstart: NAME -->`` marker in README.md are
the quick start: files (NAME is the path to write the block to) and the commands
(``shell``, run by bash).  This writes the files into a scratch git repository, runs
the commands there with the installed ``arazzo-codegen`` and ``python`` first on PATH,
against a local replay server (tests/replay.py) that stands in for the README's
``http://127.0.0.1:8000``, and checks that it prints what the README says.  So the
README's quick start cannot drift from what works.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from tests.replay import Cassette, ReplayServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin: arazzo-codegen and python
TIMEOUT = 300  # seconds for one subprocess
README_URL = "http://127.0.0.1:8000"  # the local server run.py names
PET = {"name": "Rex"}  # what the server answers to GET /pets/42

MARKER = re.compile(r"^<!-- quickstart: (?P<name>[^>]+?) -->\n+```[a-z]*\n(?P<body>.*?)^```$", re.M | re.S)


def quickstart_blocks() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for match in MARKER.finditer(README.read_text(encoding="utf-8")):
        assert match["name"] not in blocks, f"two quickstart blocks named {match['name']!r}"
        blocks[match["name"]] = match["body"]
    return blocks


FILES = ("api/openapi.yaml", "api/pets.arazzo.yaml", "pyproject.toml", "run.py", ".pre-commit-config.yaml")


def scratch_repository(tmp_path: Path, blocks: dict[str, str], server_url: str) -> Path:
    repo = tmp_path / "my-repo"
    repo.mkdir()
    run(["git", "init", "-q"], cwd=repo)
    for name in FILES:
        text = blocks[name]
        if name == "run.py":
            assert text.count(README_URL) == 1, text
            text = text.replace(README_URL, server_url)
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return repo


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done


def test_readme_has_the_quick_start_blocks() -> None:
    blocks = quickstart_blocks()
    assert set(blocks) == {*FILES, "shell", "install"}
    openapi = yaml.safe_load(blocks["api/openapi.yaml"])
    arazzo = yaml.safe_load(blocks["api/pets.arazzo.yaml"])
    # minimal: one GET operation, one workflow with one step and one output
    operations = [(path, method) for path, item in openapi["paths"].items() for method in item]
    assert operations == [("/pets/{petId}", "get")]
    (workflow,) = arazzo["workflows"]
    assert len(workflow["steps"]) == 1 and list(workflow["outputs"]) == ["name"]


def test_quick_start_generates_imports_and_runs(tmp_path: Path) -> None:
    blocks = quickstart_blocks()
    assert (BIN / "arazzo-codegen").is_file()
    cassette = Cassette.from_dict(
        {
            "description": "README quick start: GET /pets/42",
            "interactions": [{"request": {"method": "GET", "path": "/pets/42"}, "response": {"status": 200, "json": PET}}],
        }
    )
    with ReplayServer(cassette) as server:
        repo = scratch_repository(tmp_path, blocks, server.url)
        done = run(["bash", "-euo", "pipefail", "-c", blocks["shell"]], cwd=repo, env=environment())
    server.assert_done()
    assert done.stdout.splitlines()[-1:] == [PET["name"]], (done.stdout, done.stderr)
    assert "warning" not in done.stderr.lower(), done.stderr  # the minimal pair compiles cleanly
    claimed = re.search(r"# prints: (\S+)", blocks["shell"])
    assert claimed is not None and claimed[1] == PET["name"]
    for name in ("__init__.py", "workflows.py", "models.py", "_runtime/__init__.py", "_runtime/core.py", "py.typed"):
        assert (repo / "src" / "clients" / "pets" / name).is_file(), name
    assert not (repo / "src" / "clients" / "__init__.py").exists()  # nothing but the package


def test_import_rules_for_out(tmp_path: Path) -> None:
    """README step 4: `pets` with out on sys.path, `clients.pets` with its parent,
    `myapp.clients.pets` with out inside a package, and an __init__.py added to out
    is left alone."""
    blocks = quickstart_blocks()
    repo = scratch_repository(tmp_path, blocks, README_URL)
    env = environment()
    run(["arazzo-codegen", "generate"], cwd=repo, env=env)

    def imports(module: str, path: str) -> str:
        code = f"import {module} as m; print(m.get_pet_name.__module__)"
        return run(["python", "-c", code], cwd=repo, env={**env, "PYTHONPATH": path}).stdout.strip()

    assert imports("pets", "src/clients") == "pets.workflows"
    assert imports("clients.pets", "src") == "clients.pets.workflows"
    (repo / "src" / "myapp").mkdir()
    (repo / "src" / "myapp" / "__init__.py").write_text("")
    run(["arazzo-codegen", "generate", "--out", "src/myapp/clients"], cwd=repo, env=env)
    assert imports("myapp.clients.pets", "src") == "myapp.clients.pets.workflows"
    (repo / "src" / "clients" / "__init__.py").write_text("# mine\n")
    run(["arazzo-codegen", "generate"], cwd=repo, env=env)
    run(["arazzo-codegen", "check"], cwd=repo, env=env)
    assert (repo / "src" / "clients" / "__init__.py").read_text() == "# mine\n"


def test_readme_hook_config_names_a_rev_that_exists(tmp_path: Path) -> None:
    """Every `rev:` in README is a placeholder the text explains (`<commit sha>`) or a
    tag or commit of this repository; the quick start's config is valid and names
    hooks this repository defines."""
    readme = README.read_text(encoding="utf-8")
    revs = re.findall(r"^\s*rev:\s*(.+?)\s*$", readme, re.M)
    assert revs, "README shows no pre-commit rev"
    for rev in revs:
        if re.fullmatch(r"<[^<>]+>", rev):
            assert f"`{rev}` is a full commit id" in readme, rev  # the placeholder is explained
            continue
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert found.returncode == 0, f"rev: {rev} is no tag or commit of this repository"
    blocks = quickstart_blocks()
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(blocks[".pre-commit-config.yaml"], encoding="utf-8")
    run([sys.executable, "-m", "pre_commit", "validate-config", str(config)], cwd=tmp_path)
    defined = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    (repo,) = yaml.safe_load(blocks[".pre-commit-config.yaml"])["repos"]
    assert {hook["id"] for hook in repo["hooks"]} <= defined


def test_readme_install_names_the_wheel_build_makes() -> None:
    install = quickstart_blocks()["install"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"dist/arazzo_codegen-{version}-py3-none-any.whl" in install
    assert re.search(r'pip install "arazzo-codegen @ git\+[^"@]+@<commit sha>"', install), install

