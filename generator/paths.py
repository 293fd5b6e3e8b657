"""Where the generator's shipped files are (light: no third-party imports)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def templates_dir() -> Path:
    """The templates shipped with the package (or, in a source checkout, the repo's)."""
    try:
        shipped = resources.files("generator.templates")
        if shipped.joinpath("workflows.py.jinja").is_file():
            return Path(str(shipped))
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "templates"
