"""Stage 5b, emit code: render the plan through the jinja2 templates and format
everything with black.  Templates only print the plan; nothing is decided here.
The runtime parts (``_runtime/<part>.py``) are copied as they are, not formatted.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from .config import Durable
from .formatting import format_sources
from .paths import templates_dir
from .plan import ModulePlan
from .runtime_files import RUNTIME_INIT, runtime_files, runtime_parts, unshipped_names


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_template(name: str, **context: object) -> str:
    return _environment().get_template(name).render(**context)


def _runtime_init(plan: ModulePlan) -> str:
    parts = runtime_parts(plan.runtime_parts)
    return render_template("_runtime_init.py.jinja", parts=parts)


def emit_package(
    plan: ModulePlan,
    models_source: str,
    line_length: int,
    durable: Durable | None = None,
    idempotency_header: str | None = None,
) -> dict[str, str]:
    """File name (relative to the package directory) -> source, for every file of the
    generated package (durable.py too with the ``durable`` option)."""
    files = {
        "__init__.py": render_template("__init__.py.jinja", plan=plan),
        "workflows.py": render_template("workflows.py.jinja", plan=plan),
        RUNTIME_INIT: _runtime_init(plan),
        "models.py": models_source,
    }
    if durable is not None:
        from .durable import durable_plan

        files["durable.py"] = render_template("durable.py.jinja", d=durable_plan(plan, durable, idempotency_header))
    # (models.py, from datamodel-code-generator, takes nothing from the runtime)
    rendered = (text for name, text in files.items() if name.endswith(".py") and name != "models.py")
    missing = unshipped_names(rendered, plan.runtime_parts)
    if missing:  # a generator bug: the package would fail with AttributeError when it runs
        raise AssertionError(
            f"the generated code calls _runtime.{missing[0]}, which no runtime part it carries defines"
        )
    formatted = format_sources(dict(sorted(files.items())), line_length)
    formatted["py.typed"] = ""
    formatted.update(runtime_files(plan.runtime_parts))
    return dict(sorted(formatted.items()))
