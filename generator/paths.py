"""Where the generator's shipped files are (light: no third-party imports)."""

from __future__ import annotations

from pathlib import Path


def templates_dir() -> Path:
    """The templates: ``generator/templates`` in an installed wheel, ``templates/`` in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    if (installed / "workflows.py.jinja").is_file():
        return installed
    return here.parent / "templates"
