"""Profile one cold generation with pyinstrument (started by bench/run.py).

    python bench/profile_stages.py OUT_TEXT SPEC --out DIR --package NAME

Runs ``arazzo-codegen generate --force`` in this process under pyinstrument,
writes the full text profile to OUT_TEXT and prints JSON on stdout: the total,
and the time of each pipeline stage (the children of ``pipeline.build`` and the
CLI's other top-level work) with the two heaviest calls inside each.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _find(frame: Any, function: str, file_suffix: str) -> Any:
    stack = [frame]
    while stack:
        node = stack.pop()
        if node.function == function and (node.file_path or "").endswith(file_suffix):
            return node
        stack.extend(node.children)
    return None


def _label(frame: Any) -> str:
    path = Path(frame.file_path or "?")
    return f"{path.parent.name}/{path.name}:{frame.function}"


def _heaviest(frame: Any, depth: int = 6) -> list[dict[str, Any]]:
    """The two largest calls under ``frame``, looking through thin wrappers."""
    node = frame
    for _ in range(depth):
        kids = sorted(node.children, key=lambda f: f.time, reverse=True)
        if not kids:
            return []
        if len(kids) == 1 or kids[0].time > 0.9 * node.time:
            node = kids[0]
            continue
        return [{"call": _label(k), "seconds": round(k.time, 3)} for k in kids[:2]]
    return [{"call": _label(node), "seconds": round(node.time, 3)}]


def main() -> None:
    from arazzo_codegen.cli import main as cli_main
    from pyinstrument import Profiler

    out_text = Path(sys.argv[1])
    argv = ["generate", "--force", "-q", *sys.argv[2:]]
    profiler = Profiler(interval=0.002)
    profiler.start()
    code = cli_main(argv)
    profiler.stop()
    session = profiler.last_session
    assert session is not None
    out_text.write_text(profiler.output_text(unicode=False, color=False, show_all=False), encoding="utf-8")
    root = session.root_frame()
    build = _find(root, "build", "pipeline.py")
    stages = []
    if build is not None:
        for child in sorted(build.children, key=lambda f: f.time, reverse=True):
            if child.time < 0.01:
                continue
            stages.append({"stage": _label(child), "seconds": round(child.time, 3), "inside": _heaviest(child)})
    json.dump(
        {
            "exit": code,
            "total": round(root.time, 3) if root is not None else None,
            "build": round(build.time, 3) if build is not None else None,
            "stages": stages,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
