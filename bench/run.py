"""The arazzo-codegen performance benchmark: one entry point, ``make bench``.

    .venv/bin/python bench/run.py [--quick] [--sections 1,2,3,4,5] [--repeats 5] [--baseline-tree DIR] ...

Measures, each against a baseline run in the same invocation, and prints a
Markdown table of medians and ratios (also written to bench/results/latest.md,
with the raw numbers in latest.json and the profile in profile-*.txt):

1. Generation of specs/vapi (cold process; empty and warm cache), its models
   and their import time, against ``datamodel-codegen`` over the Vapi calls file
   alone.
2. Run-time overhead per workflow execution (client CPU and wall) of the
   generated sync and async functions against the same workflow hand-written
   with httpx (bench/handwritten.py) and run by arazzo-runner, on a loopback
   mock of Vapi (bench/mock_vapi.py) in its own process; and process start to
   first request.
3. Concurrency: 1,000 async workflows at once from one process.
4. Generation at scale: Vapi's whole OpenAPI with synthetic Arazzo documents of
   1, 10 and 100 workflows (bench/synth.py), against ``datamodel-codegen`` over
   the same OpenAPI.
5. A pyinstrument profile of the generation stages.

Not part of the test suite.  Traffic goes to 127.0.0.1 only.  Every child
process has a time limit.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
BIN = Path(PY).parent
CODEGEN = BIN / "arazzo-codegen"
DMCG = BIN / "datamodel-codegen"
VAPI_SPEC = ROOT / "specs" / "vapi" / "arazzo" / "vapi-ai-assistant-phone-outbound-call-workflow.yml"
VAPI_OPENAPI_DIR = ROOT / "specs" / "vapi" / "openapi"
CALLS_OPENAPI = VAPI_OPENAPI_DIR / "vapi-calls-api-openapi.yml"
FULL_OPENAPI = ROOT.parent / "shared" / "reference" / "vapi" / "full" / "api-openapi.json"
RESULTS = HERE / "results"
POLLS = 4
REQUESTS_PER_EXECUTION = 3 + POLLS
ENV_CACHE = "ARAZZO_CODEGEN_CACHE_DIR"
ENV_NO_CACHE = "ARAZZO_CODEGEN_NO_CACHE"


class BenchError(Exception):
    pass


# -- processes -----------------------------------------------------------------------


@dataclass
class Proc:
    cmd: list[str]
    code: int
    wall: float
    cpu: float  # user + system of the process and every child it waited for
    maxrss_mb: float  # largest resident set of the process or of any waited-for child
    out: str
    err: str

    def check(self, what: str) -> Proc:
        if self.code != 0:
            tail = "\n".join((self.err or self.out).strip().splitlines()[-15:])
            raise BenchError(f"{what} failed (exit {self.code}): {' '.join(self.cmd)}\n{tail}")
        return self


def run_proc(
    cmd: Sequence[object], *, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 600.0
) -> Proc:
    """Run a command in a fresh process; wall, CPU and peak RSS from wait4."""
    args = [str(c) for c in cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text_out = out.read().decode("utf-8", "replace")
        text_err = err.read().decode("utf-8", "replace")
    if timed_out.is_set():
        text_err += f"\n(killed after the {timeout:g} s time limit)"
    return Proc(
        args, proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, text_out, text_err
    )


def child_env(**extra: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key in (ENV_CACHE, ENV_NO_CACHE, "PYTHONPATH"):
        env.pop(key, None)
    for key, value in extra.items():
        if value is not None:
            env[key] = value
    return env


def json_out(proc: Proc) -> dict[str, Any]:
    lines = [line for line in proc.out.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"no JSON from {' '.join(proc.cmd)}:\n{proc.err[-2000:]}")
    return dict(json.loads(lines[-1]))


class Mock:
    """bench/mock_vapi.py in its own process."""

    def __init__(self, polls: int = POLLS) -> None:
        self.proc = subprocess.Popen(
            [PY, str(HERE / "mock_vapi.py"), "--polls", str(polls), "--max-seconds", "1800"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise BenchError(f"mock server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/__stats", timeout=30) as response:
            return dict(json.loads(response.read()))

    def served(self) -> tuple[int, int]:
        stats = self.stats()
        return sum(stats["by_route"].values()), int(stats["unauthorized"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- numbers and tables --------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def secs(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def msecs(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def mb(value: float) -> str:
    return f"{value:.0f} MB"


def ratio(value: float, base: float) -> str:
    if not base or math.isnan(value) or math.isnan(base):
        return "n/a"
    return f"{value / base:.2f}x"


def count(value: int) -> str:
    return f"{value:,}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


_CLASS = re.compile(r"^class (\w+)\b", re.MULTILINE)
_NUMBERED = re.compile(r"(.*?[A-Za-z_])(\d+)")
_STATUS_SUFFIX = re.compile(r".*Response[1-5]\d\d")  # FooResponse201: a status code, not a collision


def module_stats(path: Path) -> dict[str, int]:
    text = path.read_text(encoding="utf-8")
    classes = _CLASS.findall(text)
    return {
        "lines": text.count("\n"),
        "bytes": len(text.encode()),
        "classes": len(classes),
        "numbered": numbered_names(classes),
    }


def numbered_names(classes: Sequence[str]) -> int:
    """Names that are another name plus a number (``Provider149`` beside ``Provider``
    or ``Provider12``): the collision names datamodel-codegen makes up."""
    names = set(classes)
    candidates = {
        name: match.group(1)
        for name in names
        if (match := _NUMBERED.fullmatch(name)) and not _STATUS_SUFFIX.fullmatch(name)
    }
    stems: dict[str, int] = {}
    for stem in candidates.values():
        stems[stem] = stems.get(stem, 0) + 1
    return sum(1 for stem in candidates.values() if stem in names or stems[stem] >= 2)


def package_stats(package_dir: Path) -> dict[str, int]:
    lines = size = 0
    for path in sorted(package_dir.glob("*.py")):
        text = path.read_bytes()
        lines += text.count(b"\n")
        size += len(text)
    return {"lines": lines, "bytes": size}


def snapshot(package_dir: Path) -> dict[str, bytes]:
    """Each file's text without its stamp header (the stamp hashes the generator's own
    code, which may change under a long run in a shared checkout)."""
    return {p.name: body(p.read_bytes()) for p in sorted(package_dir.iterdir()) if p.is_file()}


def generator_code_hash() -> str:
    """A hash of the generator's code and templates, read now (not cached): in a shared
    checkout they can change while the benchmark runs."""
    import hashlib

    digest = hashlib.sha256()
    files = (
        sorted((ROOT / "generator").rglob("*.py"))
        + sorted((ROOT / "generator").rglob("*.json"))
        + sorted((ROOT / "templates").rglob("*.jinja"))
    )
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def compare_outputs(first: dict[str, bytes], again: dict[str, bytes], code_before: str, what: str) -> str:
    """'' when equal; a note when the generator's code changed in between; else BenchError."""
    if again == first:
        return ""
    if generator_code_hash() != code_before:
        return f"{what}: not compared (the generator's code or templates changed while the benchmark ran)"
    for name in sorted(set(first) | set(again)):
        old, new = first.get(name, b"").splitlines(), again.get(name, b"").splitlines()
        if old != new:
            line = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
            raise BenchError(
                f"{what}: {name} differs from line {line + 4}: {old[line:line + 1]!r} vs {new[line:line + 1]!r}"
            )
    raise BenchError(f"{what}: the files differ")


def body(text: bytes) -> bytes:
    """A generated file without its three-line stamp header."""
    if text.startswith(b"# Generated by arazzo-codegen"):
        return text.split(b"\n", 3)[3] if text.count(b"\n") >= 3 else b""
    return text


_IMPORT = "import sys, time\nsys.path.insert(0, {path!r})\nt = time.perf_counter()\nimport {module}\nprint(time.perf_counter() - t)\n"


def import_times(module: str, path: Path, repeats: int, env: dict[str, str] | None = None) -> list[float]:
    """In-process import time of ``module``, each in a fresh interpreter, after one
    untimed import that writes the bytecode cache."""
    code = _IMPORT.format(path=str(path), module=module)
    run_proc([PY, "-c", code], cwd=path, env=env, timeout=300).check(f"import {module}")
    times = []
    for _ in range(repeats):
        proc = run_proc([PY, "-c", code], cwd=path, env=env, timeout=300).check(f"import {module}")
        times.append(float(proc.out.strip().splitlines()[-1]))
    return times


# -- the run -------------------------------------------------------------------------


@dataclass
class Target:
    what: str
    measured: str
    met: bool | None  # None: not measured
    note: str = ""


@dataclass
class Context:
    args: argparse.Namespace
    tmp: Path
    started: float = field(default_factory=time.perf_counter)
    raw: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f} s] {message}", file=sys.stderr, flush=True)


def generate(
    ctx: Context, spec: Path, out: Path, package: str, cache: Path | None, what: str, codegen: Path = CODEGEN
) -> Proc:
    env = child_env(**{ENV_CACHE: str(cache)}) if cache is not None else child_env(**{ENV_NO_CACHE: "1"})
    return run_proc(
        [codegen, "generate", "--force", "-q", spec, "--out", out, "--package", package],
        env=env,
        timeout=ctx.args.timeout,
    ).check(what)


@dataclass(frozen=True)
class BaselineTree:
    """Another checkout of arazzo-codegen with its own venv (``make .venv/.installed`` there), whose
    generation section 1 times interleaved with this tree's: before/after figures from one run."""

    root: Path
    codegen: Path
    label: str


def baseline_tree(path: str | None) -> BaselineTree | None:
    if not path:
        return None
    root = Path(path).resolve()
    codegen = root / ".venv" / "bin" / "arazzo-codegen"
    if not codegen.is_file() or not (root / VAPI_SPEC.relative_to(ROOT)).is_file():
        raise BenchError(
            f"--baseline-tree {path}: needs specs/vapi and .venv/bin/arazzo-codegen (run `make .venv/.installed` there)"
        )
    head = run_proc(["git", "-C", root, "rev-parse", "--short", "HEAD"], env=child_env(), timeout=30)
    label = head.out.strip() if head.code == 0 else root.name
    return BaselineTree(root, codegen, label)


def section_generation(ctx: Context) -> None:
    a = ctx.args
    work = ctx.tmp / "gen-vapi"
    out = work / "out"
    dm_out = work / "dmcg_calls.py"
    code_before = generator_code_hash()
    empty: list[Proc] = []
    dm: list[Proc] = []
    first: dict[str, bytes] = {}
    baseline = baseline_tree(a.baseline_tree)
    before: list[Proc] = []
    # Interleaved, so that other load on the machine falls on both alike.
    for i in range(max(a.repeats, a.dm_repeats)):
        if i < a.repeats:
            ctx.say(f"1. generating specs/vapi with an empty cache ({i + 1}/{a.repeats})")
            empty.append(
                generate(ctx, VAPI_SPEC, out, "vapi", work / f"cache-{i}", "arazzo-codegen generate (specs/vapi)")
            )
            if i == 0:
                first = snapshot(out / "vapi")
            if baseline is not None:
                ctx.say(f"1. the same with the baseline tree {baseline.label} ({i + 1}/{a.repeats})")
                before.append(
                    generate(
                        ctx,
                        baseline.root / VAPI_SPEC.relative_to(ROOT),
                        work / "out-baseline",
                        "vapi",
                        work / f"cache-baseline-{i}",
                        "baseline arazzo-codegen generate (specs/vapi)",
                        codegen=baseline.codegen,
                    )
                )
        if i < a.dm_repeats:
            ctx.say(f"1. datamodel-codegen over the calls file ({i + 1}/{a.dm_repeats})")
            dm.append(
                run_proc(
                    [DMCG, "--input", CALLS_OPENAPI, "--input-file-type", "openapi", "--output", dm_out],
                    env=child_env(),
                    timeout=a.timeout,
                ).check("datamodel-codegen (calls file)")
            )
    ctx.say(f"1. generating specs/vapi {a.warm_repeats}x with a warm cache")
    warm = []
    compared = ""
    for _ in range(a.warm_repeats):
        warm.append(
            generate(ctx, VAPI_SPEC, out, "vapi", work / "cache-0", "arazzo-codegen generate (specs/vapi, warm cache)")
        )
        compared = compared or compare_outputs(
            first, snapshot(out / "vapi"), code_before, "warm-cache output vs empty-cache output"
        )
    committed = ROOT / "generated" / "vapi"
    # generated/vapi also holds the opt-in durable.py (pyproject's [tool.arazzo-codegen]), and warnings.txt names
    # the sources relative to the output directory: compare the code generated here
    code = {name: text for name, text in first.items() if name.endswith(".py")}
    same_as_committed = committed.is_dir() and code == {
        name: text for name, text in snapshot(committed).items() if name in code
    }
    ours = module_stats(out / "vapi" / "models.py")

    theirs = module_stats(dm_out)

    ctx.say("1. import times")
    imp_pkg = import_times("generated.vapi", ROOT, a.repeats)
    imp_models = import_times("generated.vapi.models", ROOT, a.repeats)
    imp_floor = import_times("httpx, pydantic.main", ROOT, a.repeats)
    imp_dm = import_times("dmcg_calls", work, a.repeats)

    e_wall, w_wall, d_wall = med([p.wall for p in empty]), med([p.wall for p in warm]), med([p.wall for p in dm])
    rows = [
        [
            f"generation, cold process, **empty cache** (wall, median of {a.repeats})",
            secs(e_wall),
            f"{secs(d_wall)} (median of {a.dm_repeats})",
            ratio(e_wall, d_wall),
        ],
        *(
            [
                [
                    f"the same, baseline tree {baseline.label} (its own venv; wall, median of {a.repeats}; ratio: this tree / baseline)",
                    secs(med([p.wall for p in before])),
                    "",
                    ratio(e_wall, med([p.wall for p in before])),
                ]
            ]
            if baseline is not None
            else []
        ),
        [
            f"generation, cold process, warm cache (wall, median of {a.warm_repeats})",
            secs(w_wall),
            "",
            ratio(w_wall, d_wall),
        ],
        [
            "CPU of that, all processes (empty / warm cache)",
            f"{secs(med([p.cpu for p in empty]))} / {secs(med([p.cpu for p in warm]))}",
            secs(med([p.cpu for p in dm])),
            ratio(med([p.cpu for p in empty]), med([p.cpu for p in dm])),
        ],
        [
            "peak RSS (empty / warm cache)",
            f"{mb(max(p.maxrss_mb for p in empty))} / {mb(max(p.maxrss_mb for p in warm))}",
            mb(max(p.maxrss_mb for p in dm)),
            ratio(max(p.maxrss_mb for p in empty), max(p.maxrss_mb for p in dm)),
        ],
        ["models module: lines", count(ours["lines"]), count(theirs["lines"]), ratio(ours["lines"], theirs["lines"])],
        [
            "models module: classes",
            count(ours["classes"]),
            count(theirs["classes"]),
            ratio(ours["classes"], theirs["classes"]),
        ],
        ["numbered collision names (`Provider149`)", count(ours["numbered"]), count(theirs["numbered"]), ""],
        [f"import `generated.vapi` (cold process, median of {a.repeats})", secs(med(imp_pkg)), "", ""],
        [
            f"import the models module (median of {a.repeats})",
            secs(med(imp_models)),
            secs(med(imp_dm)),
            ratio(med(imp_models), med(imp_dm)),
        ],
        [
            f"floor: `import httpx, pydantic.main` (what any httpx + pydantic client imports; median of {a.repeats})",
            secs(med(imp_floor)),
            "",
            "",
        ],
    ]
    text = [
        "## 1. Generation: specs/vapi",
        "",
        (
            "arazzo-codegen: `arazzo-codegen generate --force specs/vapi/arazzo/... --out TMP --package vapi`, all three OpenAPI sources, schemas reachable from the 4 operations, deduplicated. "
            "Baseline: `datamodel-codegen --input specs/vapi/openapi/vapi-calls-api-openapi.yml --input-file-type openapi --output TMP` (its defaults: pydantic v2, black + isort), the calls file alone. "
            "Empty cache = a new `ARAZZO_CODEGEN_CACHE_DIR` per run (the first run on a machine); warm cache = the cache the first run filled. "
            "Import times are measured inside a fresh interpreter, after one untimed import that writes the bytecode cache."
        ),
        "",
        table(["", "arazzo-codegen (specs/vapi)", "datamodel-codegen (calls file alone)", "ratio"], rows),
        "",
        (
            f"Output checks: warm-cache output byte-identical to empty-cache output (below the stamp header): {compared or 'yes'}. "
            f"Same as the committed generated/vapi (ignoring the stamp header): {'yes' if same_as_committed else '**no** (generated/ is not current with the generator in this checkout)'}."
        ),
    ]
    ctx.sections.append("\n".join(text))
    ctx.raw["generation"] = {
        "empty": [p.wall for p in empty],
        "warm": [p.wall for p in warm],
        "dmcg": [p.wall for p in dm],
        "baseline": [p.wall for p in before],
        "baseline_tree": baseline.label if baseline is not None else None,
        "ours": ours,
        "theirs": theirs,
        "import_package": imp_pkg,
        "import_models": imp_models,
        "import_floor": imp_floor,
        "import_dmcg": imp_dm,
        "same_as_committed": same_as_committed,
    }
    e_cpu, d_cpu = med([p.cpu for p in empty]), med([p.cpu for p in dm])
    ctx.targets.append(
        Target(
            "specs/vapi generation (3 sources, empty cache) faster than naive datamodel-codegen over the calls file alone",
            f"wall {secs(e_wall)} vs {secs(d_wall)}; CPU {secs(e_cpu)} vs {secs(d_cpu)}; warm cache {secs(w_wall)}",
            e_wall < d_wall,
            (
                ""
                if e_wall < d_wall
                else "a first run pays datamodel-codegen, black (two passes over ~22k lines) and openapi-spec-validator on 2.6 MB of YAML; see section 5"
            ),
        )
    )
    ctx.targets.append(Target("import of `generated.vapi` < 0.3 s", secs(med(imp_pkg)), med(imp_pkg) < 0.3))
    ctx.targets.append(Target("models: no numbered collision names", count(ours["numbered"]), ours["numbered"] == 0))


def _runner_document(ctx: Context) -> Path:
    """A copy of the Vapi workflow whose loop arazzo-runner can run: the jsonpath
    criteria ``$.status == 'ended'`` rewritten as ``$steps.pollCall.outputs.callStatus == 'ended'``."""
    import yaml

    base = ctx.tmp / "runner-doc"
    (base / "arazzo").mkdir(parents=True, exist_ok=True)
    shutil.copytree(VAPI_OPENAPI_DIR, base / "openapi", dirs_exist_ok=True)
    doc = yaml.safe_load(VAPI_SPEC.read_text(encoding="utf-8"))
    rewritten = 0
    for workflow in doc["workflows"]:
        for step in workflow["steps"]:
            for action in step.get("onSuccess", []) or []:
                for criterion in action.get("criteria", []) or []:
                    condition = str(criterion.get("condition", ""))
                    match = re.fullmatch(r"\$\.status\s*(==|!=)\s*'ended'", condition.strip())
                    if match and criterion.get("type") == "jsonpath":
                        action["criteria"] = [
                            {"condition": f"$steps.pollCall.outputs.callStatus {match.group(1)} 'ended'"}
                        ]
                        rewritten += 1
                        break
    if rewritten != 2:
        raise BenchError(f"expected to rewrite 2 loop criteria for arazzo-runner, rewrote {rewritten}")
    target = base / "arazzo" / VAPI_SPEC.name
    target.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return target


def _sniffio_dir(ctx: Context) -> Path | None:
    """sniffio in a private directory, for the 'with sniffio' async rows (None if pip cannot get it)."""
    try:
        import sniffio  # noqa: F401

        return None  # already importable: every async row has it
    except ImportError:
        pass
    target = ctx.tmp / "sniffio"
    proc = run_proc(
        [PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", target, "sniffio"],
        env=child_env(),
        timeout=180,
    )
    return target if proc.code == 0 and (target / "sniffio").is_dir() else None


def section_runtime(ctx: Context) -> None:
    a = ctx.args
    doc = _runner_document(ctx)
    sniffio_dir = None if a.no_sniffio_variant else _sniffio_dir(ctx)
    try:
        import sniffio  # noqa: F401

        sniffio_installed = True
    except ImportError:
        sniffio_installed = False
    # Groups of variants that take turns inside one process (paired measurements);
    # each group runs in --rounds fresh processes.  Every group has the floor in it.
    groups: list[tuple[str, list[str], str | None]] = [
        (
            "core",
            ["handwritten-sync", "generated-sync", "handwritten-async", "generated-async", "generated-async-transport"],
            None,
        ),
        # runs without client=: a client (and a connection) per execution, on the runtime's
        # asyncio backend and, as before it, on httpx's default backend
        ("own", ["handwritten-sync", "handwritten-sync-own", "generated-async-own", "generated-async-own-anyio"], None),
        ("runner", ["arazzo-runner", "handwritten-sync"], None),
    ]
    if sniffio_dir is not None:
        groups.append(("sniffio", ["handwritten-sync", "handwritten-async", "generated-async"], str(sniffio_dir)))
    per_round = max(1, a.executions // a.rounds)
    # samples[group][variant] = {"cpu": [...], "wall": [...], "round_cpu": [per-round medians]}
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        g: {v: {"cpu": [], "wall": [], "round_cpu": []} for v in vs} for g, vs, _ in groups
    }
    setup: dict[str, list[float]] = {"cpu": [], "wall": []}
    first: dict[str, dict[str, list[float]]] = {"generated": {"wall": [], "cpu": []}, "runner": {"wall": [], "cpu": []}}
    with Mock() as mock:
        for round_ in range(a.rounds):
            for group, variants, pythonpath in groups:
                ctx.say(
                    f"2. run-time round {round_ + 1}/{a.rounds}: {', '.join(variants)} x{per_round}{' (sniffio on PYTHONPATH)' if pythonpath else ''}"
                )
                before, _ = mock.served()
                t0 = time.monotonic()
                proc = run_proc(
                    [
                        PY,
                        HERE / "runtime_client.py",
                        ",".join(variants),
                        "--base",
                        mock.base,
                        "--n",
                        per_round,
                        "--warmup",
                        a.warmup,
                        "--runner-doc",
                        doc,
                    ],
                    env=child_env(PYTHONPATH=pythonpath),
                    timeout=a.timeout,
                ).check(f"run-time client ({group})")
                result = json_out(proc)
                after, unauthorized = mock.served()
                expected = REQUESTS_PER_EXECUTION * (per_round + a.warmup) * len(variants)
                if after - before != expected or unauthorized:
                    raise BenchError(
                        f"{group}: the mock served {after - before} requests ({unauthorized} unauthorized), expected {expected}"
                    )
                for variant in variants:
                    got = result["samples"][variant]
                    samples[group][variant]["cpu"] += got["cpu"]
                    samples[group][variant]["wall"] += got["wall"]
                    samples[group][variant]["round_cpu"].append(med(got["cpu"]))
                if group == "runner":
                    setup["cpu"].append(result["setup_cpu"])
                    setup["wall"].append(result["setup_wall"])
        for kind, key, repeats in (
            ("generated", "generated", a.repeats),
            ("arazzo-runner", "runner", a.runner_repeats),
        ):
            ctx.say(f"2. process start to first request: {kind} ({repeats}x)")
            for _ in range(repeats):
                t0 = time.monotonic()
                result = json_out(
                    run_proc(
                        [PY, HERE / "first_request.py", kind, mock.base, doc], env=child_env(), timeout=a.timeout
                    ).check(f"first request ({kind})")
                )
                first[key]["wall"].append(result["first_request_monotonic"] - t0)
                first[key]["cpu"].append(result["cpu_to_first_request"])

    def cpu(group: str, variant: str) -> float:
        return med(samples[group][variant]["cpu"])

    def wall(group: str, variant: str) -> float:
        return med(samples[group][variant]["wall"])

    def paired(group: str, variant: str, base: str) -> tuple[float, str]:
        """variant / base within the same processes, and its range over the rounds."""
        per_round = [x / y for x, y in zip(samples[group][variant]["round_cpu"], samples[group][base]["round_cpu"])]
        value = med(per_round)
        spread = f" ({min(per_round):.2f}-{max(per_round):.2f})" if len(per_round) > 1 else ""
        return value, f"{value:.2f}x{spread}"

    rows = []
    table_rows = [
        ("core", "handwritten-sync", "hand-written httpx, sync (**floor**)", None),
        ("core", "generated-sync", "generated `assistant_phone_outbound_call`", "handwritten-sync"),
        ("core", "handwritten-async", "hand-written httpx, async", None),
        (
            "core",
            "generated-async",
            "generated `assistant_phone_outbound_call_async`, the benchmark's plain `httpx.AsyncClient`",
            "handwritten-async",
        ),
        (
            "core",
            "generated-async-transport",
            "generated async, a shared `httpx.AsyncClient(transport=_runtime.asyncio_transport())` (**target row**)",
            "handwritten-async",
        ),
        ("own", "handwritten-sync-own", "hand-written httpx, sync, a client per execution (one TLS context)", None),
        (
            "own",
            "generated-async-own",
            "generated async, no `client=` (a client per run, on the asyncio backend)",
            None,
        ),
        (
            "own",
            "generated-async-own-anyio",
            "generated async, no `client=`, on httpx's default backend (as before)",
            None,
        ),
        ("runner", "arazzo-runner", "arazzo-runner 0.9.6 (criterion rewritten, logging quiet)", None),
        ("sniffio", "handwritten-async", "hand-written httpx, async, sniffio importable", None),
        ("sniffio", "generated-async", "generated async, sniffio importable", "handwritten-async"),
    ]
    for group, variant, label, twin in table_rows:
        if group not in samples:
            continue
        _, vs_floor = paired(group, variant, "handwritten-sync")
        vs_twin = paired(group, variant, twin)[1] if twin else ""
        rows.append(
            [
                label,
                msecs(cpu(group, variant)),
                "1.00x" if variant == "handwritten-sync" else vs_floor,
                vs_twin,
                msecs(wall(group, variant)),
                ratio(wall(group, variant), wall(group, "handwritten-sync")),
            ]
        )
    n_total = per_round * a.rounds
    g_first, r_first = med(first["generated"]["wall"]), med(first["runner"]["wall"])
    text = [
        "## 2. Run-time overhead per workflow execution",
        "",
        (
            f"The Vapi outbound-call workflow against bench/mock_vapi.py (its own process, asyncio, 127.0.0.1): the call ends on poll {POLLS}, so {REQUESTS_PER_EXECUTION} requests per execution; "
            f"sleep is a no-op and poll_interval 0; one shared client per variant, except the rows with a client per execution (no `client=`: the generated function builds and closes its own, so each execution also opens a TCP connection). {n_total} timed executions per row, each timed on its own, after {a.warmup} untimed; medians. "
            f"The variants of a group take turns execution by execution inside one client process ({a.rounds} rounds, each a fresh process), so ratios are paired: "
            "each ratio is the median over the rounds of (variant median / floor median in the same process), with its range over the rounds in parentheses. "
            "Client CPU = `time.process_time()` in the client process. Every execution's outputs are checked, and the mock's request count."
        ),
        (
            "arazzo-runner runs a copy of the workflow whose two jsonpath criteria (`$.status == 'ended'`) are rewritten to `$steps.pollCall.outputs.callStatus == 'ended'` / `!=`: "
            "with the published document it stops after one poll. Its logging is quiet (`logging.disable`); the four callbacks and the execution state it adds on every `execute_workflow` are cleared between runs (untimed)."
        ),
        f"sniffio is {'installed' if sniffio_installed else '**not installed** in this environment (httpx 0.28 / anyio 4.16 no longer pull it in), so httpcore would retry `import sniffio` (a sys.path scan) on every async lock: the first async run of the generated runtime records it as not importable (in `sys.modules`), which also speeds up the hand-written async rows that run after it in the same process'}"
        + ("; the `sniffio importable` rows put it on PYTHONPATH." if sniffio_dir is not None else "."),
        "",
        table(
            [
                "implementation",
                "client CPU / execution",
                "x floor (CPU)",
                "x hand-written twin (CPU)",
                "wall / execution",
                "x floor (wall)",
            ],
            rows,
        ),
        "",
        table(
            [
                "process start -> first request",
                "generated (`import generated.vapi`)",
                "arazzo-runner (import + load documents)",
                "ratio",
            ],
            [
                [
                    f"wall (median of {len(first['generated']['wall'])} / {len(first['runner']['wall'])} cold starts)",
                    secs(g_first),
                    secs(r_first),
                    ratio(g_first, r_first),
                ],
                [
                    "CPU",
                    secs(med(first["generated"]["cpu"])),
                    secs(med(first["runner"]["cpu"])),
                    ratio(med(first["generated"]["cpu"]), med(first["runner"]["cpu"])),
                ],
                [
                    f"arazzo-runner set-up alone (`import` + `ArazzoRunner.from_arazzo_path`, median of {len(setup['wall'])})",
                    "",
                    f"{secs(med(setup['wall']))} wall, {secs(med(setup['cpu']))} CPU",
                    "",
                ],
            ],
        ),
    ]
    ctx.sections.append("\n".join(text))
    ctx.raw["runtime"] = {
        "samples": {g: {v: {k: x for k, x in d.items()} for v, d in vs.items()} for g, vs in samples.items()},
        "first": first,
        "runner_setup": setup,
        "sniffio_installed": sniffio_installed,
    }
    sync_ratio, sync_text = paired("core", "generated-sync", "handwritten-sync")
    async_ratio, async_text = paired("core", "generated-async-transport", "handwritten-sync")
    _twin_ratio, twin_text = paired("core", "generated-async-transport", "handwritten-async")
    plain_text = paired("core", "generated-async", "handwritten-sync")[1]
    own_text = paired("own", "generated-async-own", "handwritten-sync")[1]
    own_sync_text = paired("own", "handwritten-sync-own", "handwritten-sync")[1]
    ctx.targets.append(
        Target(
            "generated sync client CPU within 1.05x of hand-written",
            f"{sync_text} ({msecs(cpu('core', 'generated-sync'))} vs {msecs(cpu('core', 'handwritten-sync'))})",
            sync_ratio <= 1.05,
            "" if sync_ratio <= 1.05 else "per-request work in the generated _runtime, not in httpx: see the report",
        )
    )
    note = ""
    if async_ratio > 1.5:
        note = (
            f"httpx's async stack itself costs {paired('core', 'handwritten-async', 'handwritten-sync')[1]} its sync stack (hand-written async vs hand-written sync); "
            f"against hand-written async the generated async function is {twin_text}"
        )
        if "sniffio" in samples:
            note += (
                f"; with sniffio importable: generated async {paired('sniffio', 'generated-async', 'handwritten-sync')[1]} of the sync floor, "
                f"hand-written async {paired('sniffio', 'handwritten-async', 'handwritten-sync')[1]}"
            )
    note = (note + "; " if note else "") + (
        f"on the benchmark's plain AsyncClient {plain_text}; without client= (a client and a connection per run) {own_text}, "
        f"where hand-written sync with a client per execution is {own_sync_text}"
    )
    ctx.targets.append(
        Target(
            "generated async client CPU within 1.5x of hand-written sync (shared client on `asyncio_transport()`)",
            f"{async_text} of hand-written sync; {twin_text} of hand-written async",
            async_ratio <= 1.5,
            note,
        )
    )
    ctx.targets.append(
        Target(
            "process start to first request < 0.3 s (vs arazzo-runner's load)",
            f"{secs(g_first)} vs {secs(r_first)}",
            g_first < 0.3,
        )
    )


def section_concurrency(ctx: Context) -> None:
    a = ctx.args
    rows = []
    raw = {}
    with Mock() as mock:
        for mode, label in (
            ("handwritten-async", "hand-written httpx, async (baseline)"),
            ("generated-async", "generated `assistant_phone_outbound_call_async`"),
            ("generated-async-own-clients", "generated async, no `client=`: a client per run"),
        ):
            ctx.say(f"3. {a.concurrency} {mode} workflows at once")
            before, _ = mock.served()
            proc = run_proc(
                [PY, HERE / "concurrency.py", mode, "--base", mock.base, "--n", a.concurrency],
                env=child_env(),
                timeout=a.timeout,
            ).check(f"concurrency {mode}")
            result = json_out(proc)
            after, unauthorized = mock.served()
            expected = REQUESTS_PER_EXECUTION * (a.concurrency + 1)
            raw[mode] = result
            ok = (
                result["ok"] == a.concurrency
                and not result["errors"]
                and after - before == expected
                and not unauthorized
            )
            rows.append(
                [
                    label,
                    f"{result['ok']:,} / {a.concurrency:,}"
                    + ("" if ok else f" **errors: {result['errors']}; mock served {after - before} of {expected}**"),
                    secs(result["wall"]),
                    secs(result["cpu"]),
                    msecs(result["cpu"] / a.concurrency),
                    mb(result["maxrss_kb"] / 1024),
                    mb((result["maxrss_kb"] - result["rss_before_kb"]) / 1024),
                ]
            )
            if not ok:
                ctx.targets.append(
                    Target(
                        f"{mode}: every one of {a.concurrency} concurrent runs finishes with the right outputs",
                        f"{result['ok']} ok",
                        False,
                        str(result["errors"])[:200],
                    )
                )
    gen, hw = raw["generated-async"], raw["handwritten-async"]
    text = [
        f"## 3. Concurrency: {a.concurrency:,} workflows at once",
        "",
        (
            f"`asyncio.gather` of {a.concurrency:,} runs in one process on one shared `httpx.AsyncClient` (max_connections={a.concurrency:,}; the last row: each run its own client, sharing only the runtime's TLS context) against the loopback mock "
            f"({a.concurrency * REQUESTS_PER_EXECUTION:,} requests); sleep a no-op, poll_interval 0. Every run is checked (its own assistant, number and call; status ended). "
            "Peak RSS is `ru_maxrss` of the client process; 'RSS growth' is that minus the RSS just before the gather."
        ),
        "",
        table(
            [
                "implementation",
                "finished right",
                "total wall",
                "client CPU",
                "CPU per workflow",
                "peak RSS",
                "RSS growth",
            ],
            rows,
        ),
        "",
        f"Ratios generated / hand-written: wall {ratio(gen['wall'], hw['wall'])}, CPU {ratio(gen['cpu'], hw['cpu'])}, peak RSS {ratio(gen['maxrss_kb'], hw['maxrss_kb'])}.",
    ]
    ctx.sections.append("\n".join(text))
    ctx.raw["concurrency"] = raw
    ctx.targets.append(
        Target(
            f"{a.concurrency:,} concurrent async runs all finish with the right outputs",
            f"{gen['ok']:,} / {a.concurrency:,}",
            gen["ok"] == a.concurrency and not gen["errors"],
        )
    )
    own = raw["generated-async-own-clients"]
    ctx.targets.append(
        Target(
            f"{a.concurrency:,} concurrent async runs with a client each: peak RSS < 150 MB",
            f"{mb(own['maxrss_kb'] / 1024)} (shared client: {mb(gen['maxrss_kb'] / 1024)})",
            own["maxrss_kb"] / 1024 < 150,
        )
    )


def section_scale(ctx: Context) -> None:
    a = ctx.args
    full = Path(a.full_openapi)
    if not full.is_file():
        ctx.sections.append(
            f"## 4. Generation at scale\n\nSkipped: the full Vapi OpenAPI was not found at `{full}` (it is read from ../shared/reference/vapi/full/; pass --full-openapi PATH)."
        )
        ctx.targets.append(Target("scale: 100 workflows in < 30 s", "skipped (no full OpenAPI)", None))
        return
    sys.path.insert(0, str(HERE))
    import synth

    work = ctx.tmp / "scale"
    docs = synth.write_documents(full, work / "arazzo", a.scale_sizes)
    document = json.loads(full.read_text(encoding="utf-8"))
    n_ops = len(synth.operations(document))
    n_schemas = len((document.get("components") or {}).get("schemas") or {})
    rows = []
    raw: dict[str, Any] = {}
    walls: dict[int, float] = {}
    failures = []
    for n, doc in docs.items():
        arazzo = json.loads(doc.read_text(encoding="utf-8"))
        touched, total, steps = synth.coverage(document, arazzo)
        package = f"synthetic_{n}"
        out = work / "out"
        ctx.say(f"4. generating {n} synthetic workflow(s) ({steps} steps) with an empty cache")
        env_cache = work / f"cache-{n}"
        code_before = generator_code_hash()
        proc = run_proc(
            [CODEGEN, "generate", "--force", "-q", doc, "--out", out, "--package", package],
            env=child_env(**{ENV_CACHE: str(env_cache)}),
            timeout=a.timeout,
        )
        if proc.code != 0:
            failures.append(
                f"{n} workflows: exit {proc.code}:\n```\n"
                + "\n".join((proc.err or proc.out).strip().splitlines()[-20:])
                + "\n```"
            )
            rows.append(
                [
                    f"{n}",
                    str(steps),
                    f"{touched}/{total}",
                    f"**failed (exit {proc.code})**",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        walls[n] = proc.wall
        largest = n == max(a.scale_sizes)
        warm_wall = float("nan")
        if largest:  # the warm-cache re-run and the models import only for the largest document (time budget)
            first = snapshot(out / package)
            ctx.say(f"4. generating {n} synthetic workflow(s) with a warm cache")
            warm_wall = (
                run_proc(
                    [CODEGEN, "generate", "--force", "-q", doc, "--out", out, "--package", package],
                    env=child_env(**{ENV_CACHE: str(env_cache)}),
                    timeout=a.timeout,
                )
                .check("warm generation")
                .wall
            )
            note = compare_outputs(
                first, snapshot(out / package), code_before, f"{n} workflows: warm-cache output vs empty-cache output"
            )
            if note:
                failures.append(note)
        stats = package_stats(out / package)
        models = module_stats(out / package / "models.py")
        ctx.say(f"4. import times of the {n}-workflow package")
        imp = import_times(package, out, a.import_repeats)
        imp_models = import_times(f"{package}.models", out, a.import_repeats) if largest else []
        raw[str(n)] = {
            "steps": steps,
            "wall": proc.wall,
            "cpu": proc.cpu,
            "maxrss_mb": proc.maxrss_mb,
            "warm_wall": warm_wall,
            "package": stats,
            "models": models,
            "import": imp,
            "import_models": imp_models,
        }
        rows.append(
            [
                f"{n}",
                str(steps),
                f"{touched}/{total}",
                secs(proc.wall),
                secs(proc.cpu),
                mb(proc.maxrss_mb),
                secs(warm_wall) if largest else "",
                count(stats["lines"]),
                f"{stats['bytes'] / 1e6:.1f} MB",
                f"{count(models['classes'])} ({models['numbered']})",
                secs(med(imp)),
                secs(med(imp_models)) if imp_models else "(same models)",
            ]
        )
    ctx.say("4. datamodel-codegen over the full OpenAPI")
    dm_out = work / "dmcg_full.py"
    dm = run_proc(
        [DMCG, "--input", full, "--input-file-type", "openapi", "--output", dm_out], env=child_env(), timeout=a.timeout
    )
    if dm.code == 0:
        dstats = module_stats(dm_out)
        dimp = import_times("dmcg_full", work, a.import_repeats)
        rows.append(
            [
                "datamodel-codegen, same OpenAPI alone",
                "",
                "",
                secs(dm.wall),
                secs(dm.cpu),
                mb(dm.maxrss_mb),
                "",
                count(dstats["lines"]),
                f"{dstats['bytes'] / 1e6:.1f} MB",
                f"{count(dstats['classes'])} ({dstats['numbered']})",
                "",
                secs(med(dimp)),
            ]
        )
        raw["datamodel-codegen"] = {
            "wall": dm.wall,
            "cpu": dm.cpu,
            "maxrss_mb": dm.maxrss_mb,
            "stats": dstats,
            "import": dimp,
        }
    else:
        rows.append(
            [
                "datamodel-codegen, same OpenAPI alone",
                "",
                "",
                f"**failed (exit {dm.code})**",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    growth = []
    sizes = sorted(walls)
    for small, large in itertools.pairwise(sizes):
        growth.append(f"{small} -> {large} workflows ({large / small:g}x): wall {walls[large] / walls[small]:.2f}x")
    text = [
        "## 4. Generation at scale: the whole Vapi OpenAPI",
        "",
        (
            f"`{full.name}` ({n_ops} operations, {n_schemas} schemas; read from {full.parent}) with synthetic Arazzo documents (bench/synth.py) whose workflows together touch every operation: "
            "each step has its operationId, path parameters (an earlier step's `id` or an input), required query parameters, a requestBody payload where the operation takes one, "
            "successCriteria on the documented 2xx status and `$response.body` JSON-pointer outputs. One cold process per row with an empty cache; for the largest document also a re-run on the warm cache it filled. "
            f"Import times: fresh interpreter, median of {a.import_repeats}, bytecode cached. Classes: in models.py (numbered collision names in parentheses)."
        ),
        "",
        table(
            [
                "workflows",
                "steps",
                "operations",
                "wall (empty cache)",
                "CPU",
                "peak RSS",
                "wall (warm cache)",
                "output lines",
                "output size",
                "classes (numbered)",
                "import package",
                "import models",
            ],
            rows,
        ),
        "",
        "Growth: "
        + ("; ".join(growth) if growth else "n/a")
        + ". Steps per workflow shrink as workflows grow (137 / 140 / 300 steps), so most of the cost is the fixed part: the OpenAPI and its models.",
    ]
    if dm.code == 0 and walls:
        text.append(
            f"Against datamodel-codegen over the same OpenAPI: {', '.join(f'{n} workflows {ratio(w, dm.wall)}' for n, w in sorted(walls.items()))} (wall, empty cache)."
        )
    if failures:
        text += ["", "Generator failures and notes:", *failures]
    ctx.sections.append("\n".join(text))
    ctx.raw["scale"] = raw
    largest = max(a.scale_sizes)
    if largest in walls:
        ctx.targets.append(
            Target(
                f"scale: {largest} workflows in < 30 s (empty cache)",
                secs(walls[largest]),
                walls[largest] < 30.0,
                (
                    ""
                    if walls[largest] < 30
                    else "fixed costs of a first run over a 3.3 MB OpenAPI (validation of it, datamodel-codegen, black); the warm-cache figure is the re-run cost"
                ),
            )
        )
        ctx.targets.append(
            Target(
                f"scale: import of the {largest}-workflow package < 0.5 s",
                secs(med(raw[str(largest)]["import"])),
                med(raw[str(largest)]["import"]) < 0.5,
            )
        )
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        linear = walls[hi] / walls[lo] <= hi / lo
        ctx.targets.append(
            Target(
                "scale: time grows no faster than linearly in workflows",
                f"{walls[hi] / walls[lo]:.2f}x for {hi / lo:g}x workflows",
                linear,
            )
        )
    elif failures:
        ctx.targets.append(Target("scale: generation succeeds", "failed", False, "see section 4"))


def section_profile(ctx: Context) -> None:
    ctx.say("5. profiling one generation of specs/vapi (cache off)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    text_path = RESULTS / "profile-vapi.txt"
    proc = run_proc(
        [PY, HERE / "profile_stages.py", text_path, VAPI_SPEC, "--out", ctx.tmp / "profile-out", "--package", "vapi"],
        env=child_env(**{ENV_NO_CACHE: "1"}),
        timeout=ctx.args.timeout,
    ).check("profile")
    result = json_out(proc)
    rows = []
    build = result.get("build") or result["total"]
    for stage in result["stages"]:
        inside = "; ".join(f"{c['call']} {c['seconds']:.2f} s" for c in stage["inside"])
        rows.append([f"`{stage['stage']}`", secs(stage["seconds"]), f"{stage['seconds'] / build:.0%}", inside])
    text = [
        "## 5. Profile: where a first generation of specs/vapi spends its time",
        "",
        (
            f"pyinstrument over one cold `arazzo-codegen generate --force` of specs/vapi with the cache off (`ARAZZO_CODEGEN_NO_CACHE=1`): {secs(result['total'])} in all, "
            f"{secs(build)} in `pipeline.build`. Wall time of the main process; black's worker processes show as the wait in `format_source`. Full profile: bench/results/profile-vapi.txt."
        ),
        "",
        table(["stage (child of pipeline.build)", "wall", "share", "heaviest calls inside"], rows),
    ]
    ctx.sections.append("\n".join(text))
    ctx.raw["profile"] = result


SECTIONS: dict[str, Callable[[Context], None]] = {
    "1": section_generation,
    "2": section_runtime,
    "3": section_concurrency,
    "4": section_scale,
    "5": section_profile,
}


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for dist in (
        "httpx",
        "httpcore",
        "anyio",
        "pydantic",
        "black",
        "datamodel-code-generator",
        "openapi-spec-validator",
        "arazzo-runner",
    ):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def _git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=30
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "generator", "templates", "generated"],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        return f"{head}{' + uncommitted changes to generator/templates/generated' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="arazzo-codegen performance benchmark (see the module docstring).")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and executions, 200 concurrent runs, 1 and 10 workflows: a smoke run, not figures to quote",
    )
    parser.add_argument(
        "--sections", default="1,2,3,4,5", help="comma-separated sections to run (default all: 1,2,3,4,5)"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="cold-process repeats for generation and import medians (default 5)"
    )
    parser.add_argument("--warm-repeats", type=int, default=3, help="warm-cache generation repeats (default 3)")
    parser.add_argument(
        "--dm-repeats", type=int, default=3, help="datamodel-codegen repeats over the calls file (default 3)"
    )
    parser.add_argument(
        "--runner-repeats",
        type=int,
        default=3,
        help="arazzo-runner cold starts for the first-request figure (default 3)",
    )
    parser.add_argument(
        "--import-repeats", type=int, default=3, help="import-time repeats for the scale packages (default 3)"
    )
    parser.add_argument("--executions", type=int, default=200, help="timed executions per implementation (default 200)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="split the executions into this many rounds, each in a fresh process (default 4)",
    )
    parser.add_argument("--warmup", type=int, default=10, help="untimed executions first (default 10)")
    parser.add_argument("--concurrency", type=int, default=1000, help="workflows at once in section 3 (default 1000)")
    parser.add_argument("--scale-sizes", default="1,10,100", help="synthetic workflow counts (default 1,10,100)")
    parser.add_argument(
        "--full-openapi", default=str(FULL_OPENAPI), help=f"Vapi's whole OpenAPI (default {FULL_OPENAPI})"
    )
    parser.add_argument(
        "--no-sniffio-variant", action="store_true", help="do not add the 'with sniffio importable' async rows"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="time limit of each child process in seconds (default 600)"
    )
    parser.add_argument(
        "--baseline-tree",
        help="another checkout with its own .venv: section 1 also times its generation of specs/vapi, interleaved",
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.warm_repeats, args.dm_repeats, args.import_repeats, args.runner_repeats = 2, 1, 1, 1, 1
        args.executions, args.warmup, args.concurrency, args.rounds = 50, 5, 200, 2
        args.scale_sizes = "1,10"
    args.scale_sizes = [int(s) for s in str(args.scale_sizes).split(",") if s.strip()]
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)}")
    tmp = Path(tempfile.mkdtemp(prefix="arazzo-bench-"))
    ctx = Context(args, tmp)
    load_before = os.getloadavg()
    errors = []
    try:
        for key in wanted:
            started = time.perf_counter()
            try:
                SECTIONS[key](ctx)
            except BenchError as exc:
                errors.append(f"section {key}: {exc}")
                ctx.sections.append(f"## Section {key} failed\n\n```\n{exc}\n```")
                ctx.say(f"section {key} FAILED: {str(exc).splitlines()[0]}")
            ctx.timings[key] = time.perf_counter() - started
    finally:
        if not args.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - ctx.started
    load_after = os.getloadavg()
    header = [
        "# arazzo-codegen performance benchmark",
        "",
        (
            f"Command: `make bench` (= `.venv/bin/python bench/run.py{' ' + ' '.join(sys.argv[1:]) if argv is None and sys.argv[1:] else ''}`). "
            f"Ran {time.strftime('%Y-%m-%d %H:%M %Z')} in {total / 60:.1f} min ({', '.join(f'section {k} {v:.0f} s' for k, v in ctx.timings.items())})."
        ),
        (
            f"Machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} at start and {load_after[0]:.2f} at the end (other work on the machine shows up in wall times). "
            f"{_versions()}. Checkout: {_git_state()}."
        ),
    ]
    if args.quick:
        header.append("**--quick run: smoke-test figures, not for quoting.**")
    verdict = {True: "met", False: "**not met**", None: "not measured"}
    summary = [
        "## Targets",
        "",
        table(["target", "measured", "", "note"], [[t.what, t.measured, verdict[t.met], t.note] for t in ctx.targets]),
    ]
    report = "\n\n".join(["\n".join(header), "\n".join(summary), *ctx.sections]) + "\n"
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(report, encoding="utf-8")
    (RESULTS / "latest.json").write_text(
        json.dumps({"raw": ctx.raw, "timings": ctx.timings, "total": total, "errors": errors}, indent=1, default=str)
        + "\n",
        encoding="utf-8",
    )
    print(f"(written to {RESULTS / 'latest.md'})", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
