"""The distribution as a user gets it: ``python -m build`` makes an sdist and a wheel
(the wheel built from the sdist, so the sdist is complete) without a single warning;
both carry LICENSE; the wheel holds every module, template and data file under
``arazzo_codegen/``; the sdist carries none of the test suite (README, "Quick start in
your own repo"); and the installed wheel works from a directory that has its own
``generator/`` package, which the old import name ``generator`` was shadowed by.

The build is offline (``--no-isolation``: the venv has the build backend), from a
copy of the working tree as a clean clone has it (tracked and untracked files, not
ignored ones), so it neither needs the network nor writes build/ into the checkout.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300  # seconds for one subprocess

OPENAPI = """\
openapi: 3.1.0
info: {title: Echo, version: 1.0.0}
servers:
  - url: https://echo.example.com
paths:
  /echo:
    get:
      operationId: echo
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  said: {type: string}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: Echo, version: 1.0.0}
sourceDescriptions:
  - {name: echo, url: ./openapi.yaml, type: openapi}
workflows:
  - workflowId: sayIt
    steps:
      - stepId: ask
        operationId: echo
        successCriteria:
          - condition: $statusCode == 200
        outputs:
          said: $response.body#/said
    outputs:
      said: $steps.ask.outputs.said
"""


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done


def source_files() -> list[str]:
    """The files a clean clone of this checkout has (relative paths)."""
    if (ROOT / ".git").exists():
        listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
        return sorted(n for n in set(listed.split("\0")) if n and (ROOT / n).is_file())
    skip = {".git", ".venv", ".venv-latest", ".venv-lock", "build", "dist", "__pycache__", ".mypy_cache", ".pytest_cache", ".hypothesis"}
    return sorted(
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts) and not any(part.endswith(".egg-info") for part in p.parts)
    )


def package_files() -> dict[str, str]:
    """Wheel path -> source path of every file the wheel must hold."""
    wanted: dict[str, str] = {}
    for folder, prefix in (("generator", "arazzo_codegen"), ("templates", "arazzo_codegen/templates")):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                rel = path.relative_to(ROOT / folder).as_posix()
                wanted[f"{prefix}/{rel}"] = f"{folder}/{rel}"
    return wanted


class Built:
    def __init__(self, output: str, sdist: Path, wheel: Path) -> None:
        self.output = output
        self.sdist = sdist
        self.wheel = wheel


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("packaging")
    tree = tmp / "tree"
    for name in source_files():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    env = dict(os.environ)
    # With this set, distutils prints "warning: byte-compiling is disabled" whatever
    # the project's configuration; users building a wheel do not usually have it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"), str(tree)],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    (sdist,) = (tmp / "dist").glob("*.tar.gz")
    (wheel,) = (tmp / "dist").glob("*.whl")
    yield Built(output, sdist, wheel)


def test_build_prints_no_warning(built: Built) -> None:
    warnings = [line for line in built.output.splitlines() if "warn" in line.lower() or "deprecat" in line.lower()]
    assert warnings == [], "\n".join(warnings)


def test_wheel_holds_the_package_and_license(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        metadata = email.parser.Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        license_text = wheel.read(f"{dist_info}/licenses/LICENSE")
        contents = {name: wheel.read(name) for name in names if name.startswith("arazzo_codegen/")}
    assert license_text == (ROOT / "LICENSE").read_bytes()
    assert b"Apache License" in license_text and b"Version 2.0, January 2004" in license_text
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    wanted = package_files()
    assert sorted(contents) == sorted(wanted)  # nothing missing, nothing extra
    for wheel_name, source in wanted.items():
        assert contents[wheel_name] == (ROOT / source).read_bytes(), wheel_name
    assert "arazzo_codegen/data/arazzo-1.0.schema.json" in contents
    # the runtime parts are modules of the package, and nothing of them is left as a template
    assert "arazzo_codegen/runtime/core.py" in contents and "arazzo_codegen/runtime/wire.py" in contents
    assert not [n for n in contents if n.startswith("arazzo_codegen/templates/runtime/") and n != "arazzo_codegen/templates/runtime/durable.py.jinja"]
    assert not [n for n in names if n.split("/")[0] in {"generator", "templates", "tests"}]


def test_sdist_has_license_and_no_tests(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = [m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name and m.isfile()]
    assert "LICENSE" in names
    for source in package_files().values():
        assert source in names
    # None of the test suite (decided in README, "Quick start in your own repo"):
    # not the top-level tests/test_*.py files setuptools adds by default, not fixtures.
    assert [n for n in names if n.startswith("tests/") or Path(n).name.startswith("test_") or Path(n).name == "conftest.py"] == []


def test_installed_wheel_is_not_shadowed_by_a_users_generator_folder(built: Built, tmp_path: Path) -> None:
    site = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(site), str(built.wheel)], cwd=tmp_path)
    user = tmp_path / "user"
    (user / "generator").mkdir(parents=True)
    (user / "generator" / "__init__.py").write_text('raise SystemExit("the user\'s own generator package was imported")\n')
    (user / "generator" / "__main__.py").write_text('raise SystemExit("the user\'s own generator package was run")\n')
    (user / "api").mkdir()
    (user / "api" / "openapi.yaml").write_text(OPENAPI)
    (user / "api" / "echo.arazzo.yaml").write_text(ARAZZO)
    (user / "pyproject.toml").write_text('[tool.arazzo-codegen]\nout = "clients"\n\n[[tool.arazzo-codegen.specs]]\nspec = "api/echo.arazzo.yaml"\npackage = "echo"\n')
    env = {**os.environ, "PYTHONPATH": str(site)}

    where = run([sys.executable, "-c", "import arazzo_codegen; print(arazzo_codegen.__file__)"], cwd=user, env=env).stdout.strip()
    assert Path(where).is_relative_to(site), where  # the wheel's copy, not the editable checkout
    version = run([sys.executable, "-m", "arazzo_codegen", "--version"], cwd=user, env=env)
    assert version.stdout.strip() == "arazzo-codegen 0.1.0"

    run([sys.executable, "-m", "arazzo_codegen", "generate"], cwd=user, env=env)
    for name in ("__init__.py", "workflows.py", "models.py", "_runtime/__init__.py", "_runtime/core.py", "py.typed"):
        assert (user / "clients" / "echo" / name).is_file(), name
    # ... the runtime copied from the installed wheel's own modules, byte for byte
    for part in ("core", "values", "wire", "observe", "aionet"):
        assert (user / "clients" / "echo" / "_runtime" / f"{part}.py").read_bytes() == (ROOT / "generator" / "runtime" / f"{part}.py").read_bytes(), part
    # The console script the wheel installs works there too (check: up to date).
    script = site / "bin" / "arazzo-codegen"
    checked = run([str(script), "check"], cwd=user, env=env)
    assert "user's own generator" not in checked.stdout + checked.stderr
    imported = run([sys.executable, "-c", "from clients.echo import say_it; print(say_it.__name__)"], cwd=user, env=env)
    assert imported.stdout.strip() == "say_it"
