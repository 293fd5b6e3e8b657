"""The runtime is real Python: ``arazzo_codegen.runtime.<part>`` modules, imported and
unit-tested here directly, and copied byte for byte into each generated package as
``_runtime/<part>.py`` (only the parts the package uses, and the parts those import),
beside a rendered ``_runtime/__init__.py`` that re-exports every part's exports."""

from __future__ import annotations

import ast
import importlib
import logging
from pathlib import Path

import pytest
from arazzo_codegen import runtime_files
from arazzo_codegen.runtime import errors, redact, transport, values, wire

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "generator" / "runtime"
PARTS = sorted(p.stem for p in RUNTIME.glob("*.py") if p.name != "__init__.py")
GENERATED = sorted(p for p in (ROOT / "generated").iterdir() if (p / "__init__.py").is_file())


def test_the_parts_are_the_runtime_files_of_the_generator() -> None:
    assert runtime_files.runtime_dir() == RUNTIME
    assert set(runtime_files.ALWAYS) <= set(PARTS)
    assert {"jsonpath", "xpath", "events", "events_mqtt", "v11"} <= set(PARTS)
    assert all(runtime_files.known_part(part) for part in PARTS)
    assert not runtime_files.known_part("__init__") and not runtime_files.known_part("../write")


@pytest.mark.parametrize("part", PARTS)
def test_each_part_imports_on_its_own_and_exports_what_it_defines(part: str) -> None:
    module = importlib.import_module(f"arazzo_codegen.runtime.{part}")
    exported = runtime_files.part_exports(part)
    assert list(exported) == list(
        getattr(module, "__all__", exported)
    )  # an __all__, where a part has one, is what it exports
    assert all(hasattr(module, name) for name in exported)
    # every public name the part defines is exported (imports of other parts are not its own)
    tree = ast.parse((RUNTIME / f"{part}.py").read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    defined |= {
        t.id
        for n in tree.body
        if isinstance(n, (ast.Assign, ast.AnnAssign))
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
        if isinstance(t, ast.Name)
    }
    assert {name for name in defined if not name.startswith("_")} <= set(exported), part
    imported = {
        alias.asname or alias.name
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for alias in n.names
    }
    assert not imported & set(exported), part  # what a part imports is re-exported by the part defining it, not here


def test_no_name_is_exported_by_two_parts() -> None:
    owners: dict[str, str] = {}
    for part in PARTS:
        for name in runtime_files.part_exports(part):
            assert name not in owners, f"{name} is exported by {owners.get(name)} and {part}"
            owners[name] = part


def test_a_part_brings_the_parts_it_imports() -> None:
    assert runtime_files.parts_needed(()) == tuple(sorted(runtime_files.ALWAYS))
    assert {"select", "payload"} <= set(
        runtime_files.parts_needed(("select",))
    )  # (compiled targets add jsonpath themselves)
    assert "events_hub" in runtime_files.parts_needed(("events_mqtt",))
    # the webhook receiver brings its verifiers; the event steps do not import it (analysis adds it)
    assert {"events_verify", "events_hub", "events_base"} <= set(runtime_files.parts_needed(("events_webhook",)))
    assert "events_webhook" not in runtime_files.parts_needed(("events",))
    assert "xpath" in runtime_files.parts_needed(("v11_xpath",))
    for part in PARTS:  # closed: what a part imports is always shipped with it
        needed = runtime_files.parts_needed((part,))
        assert all(set(runtime_files.part_imports(p)) <= set(needed) for p in needed)


def test_a_name_the_code_uses_from_a_part_it_does_not_carry_is_found() -> None:
    code = (
        "from ._runtime import StepFailed, send_message\n"
        "_body = _runtime.pointer(_body, '/id')\n"
        "_payload = _runtime.multipart(fields)\n"
        "_keys = _runtime.IdempotencyKeys(None, 'w')  # not _runtime.xpath, a comment\n"
        "'''A description may mention _runtime.replace_pointer: it is text, not a call.'''\n"
    )
    assert runtime_files.unshipped_names([code], ()) == ("IdempotencyKeys", "multipart", "send_message")
    assert runtime_files.unshipped_names([code], ("payload", "idempotency", "events", "events_send")) == ()


@pytest.mark.parametrize("package", GENERATED, ids=lambda p: p.name)
def test_generated_runtime_parts_are_byte_for_byte_copies(package: Path) -> None:
    directory = package / "_runtime"
    init = (directory / "__init__.py").read_text(encoding="utf-8")
    shipped = sorted(p.stem for p in directory.glob("*.py") if p.name != "__init__.py")
    assert shipped == list(runtime_files.shipped_parts(init))  # every copy is needed, every import has its copy
    assert set(runtime_files.ALWAYS) <= set(shipped)
    for part in shipped:
        assert (directory / f"{part}.py").read_bytes() == (
            RUNTIME / f"{part}.py"
        ).read_bytes(), f"{package.name}/_runtime/{part}.py"


@pytest.mark.parametrize("package", GENERATED, ids=lambda p: p.name)
def test_the_generated_init_re_exports_every_part_and_nothing_else(package: Path) -> None:
    module = importlib.import_module(f"generated.{package.name}._runtime")
    parts = runtime_files.shipped_parts((package / "_runtime" / "__init__.py").read_text(encoding="utf-8"))
    expected = sorted((part, name) for part in parts for name in runtime_files.part_exports(part))
    tree = ast.parse((package / "_runtime" / "__init__.py").read_text(encoding="utf-8"))
    docstring, *imports = tree.body
    assert isinstance(docstring, ast.Expr) and all(isinstance(node, ast.ImportFrom) for node in imports)
    # each name imported from the part defining it, under its own name: explicitly re-exported for mypy --strict
    imported = [
        (node.module, alias.name, alias.asname)
        for node in imports
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert all(asname == name for _, name, asname in imported)
    assert sorted((str(part), name) for part, name, _ in imported) == expected
    for part in parts:
        submodule = importlib.import_module(f"generated.{package.name}._runtime.{part}")
        assert all(getattr(module, name) is getattr(submodule, name) for name in runtime_files.part_exports(part))


def test_the_logger_and_the_error_models_belong_to_the_package() -> None:
    # <package>._runtime.redact has the logger of <package> (as the one-module runtime did)
    vapi_redact = importlib.import_module("generated.vapi._runtime.redact")
    assert vapi_redact.logger.name == "generated.vapi" and vapi_redact._PACKAGE == "generated.vapi"
    assert redact.logger.name == "arazzo_codegen" and isinstance(redact.logger, logging.Logger)


# -- the helpers themselves, called directly ------------------------------------------


def test_text_spells_values_as_json() -> None:
    assert [wire.text(v) for v in ("a", None, True, 3, 2.5, {"a": [1]})] == ["a", "", "true", "3", "2.5", '{"a":[1]}']


def test_pointer_and_path_param() -> None:
    assert values.pointer({"a": [{"b~/": 1}]}, "/a/0/b~0~1") == 1
    assert values.pointer({"a": 1}, "/missing") is None
    assert values.path_param("a/b c") == "a%2Fb%20c" and values.path_param("..") == "%2E%2E"
    with pytest.raises(errors.WorkflowError, match="path parameter 'id'"):
        values.path_param(float("nan"), "s", "id")


def test_request_options_refuse_what_cannot_be_sent_without_quoting_it() -> None:
    options = transport.request_options(
        "s", "POST", "http://127.0.0.1:1/x", None, {"X-A": "1"}, None, {"json": {"v": [1, None]}}
    )
    assert options["content"] == b'{"v":[1,null]}' and options["headers"]["Content-Type"] == "application/json"
    with pytest.raises(errors.StepFailed) as caught:
        transport.request_options(
            "s", "POST", "http://127.0.0.1:1/x", None, {"X-Token": "tok-12345\r\nX-Evil: 1"}, None, {}
        )
    assert "header 'X-Token' holds a line break" in str(caught.value) and "tok-12345" not in str(caught.value)


def test_redact_url_hides_secrets() -> None:
    assert redact.redact_url("http://h/p?api_key=abc123&x=1") == "http://h/p?api_key=[REDACTED]&x=1"
    assert "tok-999999" not in redact.redact_url("http://h/tok-999999/x", ("tok-999999",))


def test_the_parts_are_held_to_the_generated_code_standard() -> None:
    """What is copied into packages is formatted and linted as generated code is (black at
    its default 88 columns, ruff's default rules, no noqa), whichever parts a package uses;
    mypy --strict checks them with the generator (pyproject [tool.mypy] files)."""
    import subprocess
    import sys

    from tests.golden.test_generated_quality import RUFF

    files = [
        str(p) for p in sorted(RUNTIME.glob("*.py"))
    ]  # named: the project's black and ruff configurations exclude the directory
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "--line-length", "88", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert black.returncode == 0, black.stderr
    ruff = subprocess.run([*RUFF, *files], capture_output=True, text=True, timeout=300)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    assert not [p.name for p in RUNTIME.glob("*.py") if "noqa" in p.read_text(encoding="utf-8")]
