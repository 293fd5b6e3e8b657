"""Source maps: ``--source-map PREFIX=DIR`` and ``source-map`` in
``[tool.arazzo-codegen]`` read remote URLs (source descriptions, and ``$ref``s
inside the sources) from local folders; nothing is fetched.

The project each test builds: ``api/pets.arazzo.yaml`` names its OpenAPI by a
``https://pets.example.com/specs/v1/openapi.yaml`` URL; the local copy is
``vendor/pets/v1/openapi.yaml``, whose Pet schema is a ``$ref`` to another remote
URL (``https://schemas.example.com/common/pet.yaml``), copied in
``vendor/schemas/pet.yaml``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from arazzo_codegen.cli import main
from arazzo_codegen.config import Job, merge_source_maps

SOURCE_URL = "https://pets.example.com/specs/v1/openapi.yaml"

ARAZZO = f"""arazzo: 1.0.1
info:
  title: Pet name
  version: 1.0.0
sourceDescriptions:
  - name: pets
    url: {SOURCE_URL}
    type: openapi
workflows:
  - workflowId: getPetName
    inputs:
      type: object
      required: [petId]
      properties:
        petId:
          type: string
    steps:
      - stepId: fetchPet
        operationId: getPet
        parameters:
          - name: petId
            in: path
            value: $inputs.petId
        successCriteria:
          - condition: $statusCode == 200
        outputs:
          name: $response.body#/name
    outputs:
      name: $steps.fetchPet.outputs.name
"""
#: Where the url value starts in ARAZZO (line 7, after "    url: ").
URL_AT = "api/pets.arazzo.yaml:7:10"

OPENAPI = """openapi: 3.1.0
info:
  title: Pets
  version: 1.0.0
servers:
  - url: https://pets.example.com
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: The pet
          content:
            application/json:
              schema:
                $ref: "https://schemas.example.com/common/pet.yaml#/Pet"
"""

PET = """Pet:
  type: object
  required: [name]
  properties:
    name:
      type: string
"""

PETS_MAP = "https://pets.example.com/specs/=vendor/pets"
SCHEMAS_MAP = "https://schemas.example.com/=vendor/schemas"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "pets.arazzo.yaml").write_text(ARAZZO, encoding="utf-8")
    (tmp_path / "vendor" / "pets" / "v1").mkdir(parents=True)
    (tmp_path / "vendor" / "pets" / "v1" / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (tmp_path / "vendor" / "schemas" / "common").mkdir(parents=True)
    (tmp_path / "vendor" / "schemas" / "common" / "pet.yaml").write_text(PET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def generate(capsys: pytest.CaptureFixture[str], *maps: str, extra: tuple[str, ...] = ()) -> tuple[int, str]:
    argv = ["generate", "api/pets.arazzo.yaml", "--out", "gen", "--package", "pets", *extra]
    for value in maps:
        argv += ["--source-map", value]
    code, _, err = run(argv, capsys)
    return code, err


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": error: " in line]


def imports(project: Path) -> str:
    """Import the generated package in a fresh interpreter; its workflow's outputs class."""
    done = subprocess.run(
        [sys.executable, "-c", "import pets; print(pets.get_pet_name.__name__, pets.GetPetNameOutputs.model_fields['name'].annotation)"],
        cwd=project / "gen",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(project / "gen")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_command_line_maps_the_source_and_a_ref_inside_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = generate(capsys, PETS_MAP, SCHEMAS_MAP)
    assert code == 0, err
    # The header names the local copies the URLs mapped to, the $ref's target included.
    header = (project / "gen" / "pets" / "workflows.py").read_text(encoding="utf-8").splitlines()[1]
    assert "../../vendor/pets/v1/openapi.yaml" in header and "../../vendor/schemas/common/pet.yaml" in header
    # The Pet schema behind the mapped $ref typed the output: str (required), not Any.
    assert imports(project) == "get_pet_name <class 'str'>"


def test_validate_and_list_take_source_maps_too(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["validate", "api/pets.arazzo.yaml", "--source-map", PETS_MAP, "--source-map", SCHEMAS_MAP], capsys)
    assert code == 0, err
    code, out, err = run(["list", "api/pets.arazzo.yaml", "--source-map", PETS_MAP, "--source-map", SCHEMAS_MAP], capsys)
    assert code == 0, err
    assert "name: str" in out


def test_a_ref_to_an_unmapped_url_is_still_refused_inside_a_mapped_source(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = generate(capsys, PETS_MAP)
    assert code == 1
    (line,) = errors(err)
    assert line.startswith("vendor/pets/v1/openapi.yaml:22:15: error: "), line  # the schema that holds the $ref
    assert "'https://schemas.example.com/common/pet.yaml' is a remote URL" in line
    assert "--source-map https://schemas.example.com/common/=DIR" in err  # the hint's example is built from the URL
    assert not (project / "gen").exists()


def test_configuration_form_is_relative_to_pyproject(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.arazzo-codegen]\nout = "gen"\nsource-map = { "https://pets.example.com/specs/" = "vendor/pets", "https://schemas.example.com/" = "vendor/schemas" }\n'
        '[[tool.arazzo-codegen.specs]]\nspec = "api/pets.arazzo.yaml"\npackage = "pets"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(project / "api")  # folders are relative to pyproject.toml, not to the working directory
    code, _, err = run(["generate"], capsys)
    assert code == 0, err
    assert imports(project) == "get_pet_name <class 'str'>"


def test_command_line_entry_overrides_the_configured_one_with_the_same_prefix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty").mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.arazzo-codegen]\nsource-map = { "https://pets.example.com/specs/" = "empty", "https://schemas.example.com/" = "vendor/schemas" }\n',
        encoding="utf-8",
    )
    code, err = generate(capsys)  # the configured map alone points at an empty folder
    assert code == 1
    assert "maps to empty/v1/openapi.yaml, which does not exist" in err
    code, err = generate(capsys, PETS_MAP)  # same prefix on the command line: it wins; the other entry stays
    assert code == 0, err


def test_longest_prefix_wins_whatever_the_order(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "wrong" / "specs" / "v1").mkdir(parents=True)
    (project / "wrong" / "specs" / "v1" / "openapi.yaml").write_text("openapi: 3.1.0\ninfo: {title: W, version: '1'}\npaths: {}\n", encoding="utf-8")
    short = "https://pets.example.com/=wrong"
    code, err = generate(capsys, short, PETS_MAP, SCHEMAS_MAP)
    assert code == 0, err
    code, err = generate(capsys, PETS_MAP, short, SCHEMAS_MAP, extra=("--force",))
    assert code == 0, err
    code, err = generate(capsys, short, SCHEMAS_MAP)  # only the short prefix: the wrong copy, which lacks getPet
    assert code == 1
    assert "unknown operationId 'getPet'" in err
    merged = merge_source_maps([("https://a/", "/x")], [("https://a/b/", "/y"), ("https://a/", "/z")])
    assert merged == (("https://a/b/", "/y"), ("https://a/", "/z"))


def test_mapped_file_that_does_not_exist_names_url_and_path_at_the_url(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "vendor" / "pets" / "v1" / "openapi.yaml").unlink()
    code, err = generate(capsys, PETS_MAP, SCHEMAS_MAP)
    assert code == 1
    (line,) = errors(err)
    assert line == (
        f"{URL_AT}: error: $.sourceDescriptions[0].url: source description 'pets': '{SOURCE_URL}' maps to vendor/pets/v1/openapi.yaml, which does not exist"
    )
    assert "hint: source map prefix 'https://pets.example.com/specs/' -> vendor/pets: copy the document there, or fix the map" in err


@pytest.mark.parametrize("rest", ["../../secret.yaml", "%2e%2e/%2E%2E/secret.yaml", "v1/../../../secret.yaml", "%2Ftmp/secret.yaml"])
def test_a_url_that_would_leave_the_folder_is_refused(project: Path, capsys: pytest.CaptureFixture[str], rest: str) -> None:
    (project / "secret.yaml").write_text(OPENAPI, encoding="utf-8")  # a valid document: reading it would compile
    url = "https://pets.example.com/specs/" + rest
    (project / "api" / "pets.arazzo.yaml").write_text(ARAZZO.replace(SOURCE_URL, url), encoding="utf-8")
    code, err = generate(capsys, PETS_MAP, SCHEMAS_MAP)
    assert code == 1
    (line,) = errors(err)
    assert line == f"{URL_AT}: error: $.sourceDescriptions[0].url: source description 'pets': {url!r} maps outside the folder of source map prefix 'https://pets.example.com/specs/'"
    assert "a mapped URL must name a file inside vendor/pets" in err


def test_unmapped_remote_source_hint_gives_a_concrete_source_map(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = generate(capsys, SCHEMAS_MAP)
    assert code == 1
    (line,) = errors(err)
    assert line == f"{URL_AT}: error: $.sourceDescriptions[0].url: source description 'pets': '{SOURCE_URL}' is a remote URL; the generator reads only local files"
    assert "--source-map https://pets.example.com/specs/v1/=DIR (or source-map in [tool.arazzo-codegen])" in err


def test_the_map_is_part_of_the_stamp(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = generate(capsys, PETS_MAP, SCHEMAS_MAP)
    assert code == 0, err
    code, _, err = run(["check", "api/pets.arazzo.yaml", "--out", "gen", "--package", "pets", "--source-map", PETS_MAP, "--source-map", SCHEMAS_MAP], capsys)
    assert code == 0, err
    # One more entry, that maps nothing this spec names, still makes the package stale.
    (project / "unused").mkdir()
    more = ("--source-map", "https://unused.example/=unused")
    code, _, err = run(["check", "api/pets.arazzo.yaml", "--out", "gen", "--package", "pets", "--source-map", PETS_MAP, "--source-map", SCHEMAS_MAP, *more], capsys)
    assert code == 1
    assert "is stale" in err
    code, err = generate(capsys, PETS_MAP, SCHEMAS_MAP, "https://unused.example/=unused", extra=("-v",))
    assert code == 0 and "building (stale)" in err, err
    # Without a map, a job's options are what they were before source maps existed: old stamps stay valid.
    assert "source_map" not in Job(spec=Path("a.yaml"), package="p", out=Path("gen")).options()


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("https://pets.example.com/specs/", "write PREFIX=DIR"),
        ("vendor/=vendor/pets", "is not an absolute URL"),
        ("https://pets.example.com/specs/=nowhere", "nowhere: no such directory"),
    ],
)
def test_bad_source_map_options_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str], value: str, needle: str) -> None:
    code, out, err = run(["validate", "api/pets.arazzo.yaml", "--source-map", value], capsys)
    assert code == 2 and out == ""
    assert err.startswith("arazzo-codegen: --source-map") and needle in err and len(err.splitlines()) == 1, err


def test_bad_configured_source_map_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.arazzo-codegen]\nsource-map = { "https://pets.example.com/" = 3 }\n', encoding="utf-8")
    code, _, err = run(["validate", "api/pets.arazzo.yaml"], capsys)
    assert code == 2
    assert "source-map: the folder of 'https://pets.example.com/' must be a non-empty string, not an integer" in err
    (project / "pyproject.toml").write_text('[tool.arazzo-codegen]\nsource-map = "vendor"\n', encoding="utf-8")
    code, _, err = run(["validate", "api/pets.arazzo.yaml"], capsys)
    assert code == 2
    assert "'source-map' must be a table of URL prefix = folder, not a string" in err
