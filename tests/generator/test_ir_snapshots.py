"""IR snapshots: a small Arazzo document -> the IR of each workflow function, dumped
flavour-neutral (generator/ir/dump.py), compared with ir_snapshots/<case>.ir.txt.

The dump shows what analysis decided: per workflow its signature (typed inputs, the
transport argument, the Outputs fields) and one body (statements, awaitable calls as
``sync|async(...)``, conditions as trees); then the webhook receiver factories.  The
printer's two flavours are checked against it below.  ``UPDATE_IR_SNAPSHOTS=1``
rewrites the snapshots; each case's document says in a comment what it shows.

What belongs here and what in an assertion on generated source: a decision of analysis
(which helper a step calls, that a loop or a state machine is built, that a criterion
reuses a bound output, that an action is not taken and why, how a value is typed or
passed, the order of statements) is a snapshot case; how the text is printed (escaping
and injection safety, black formatting, f-string or concatenation, docstrings, comment
wrapping, imports, ``await``) stays an assertion on the source.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arazzo_codegen.config import Job
from arazzo_codegen.ir import dump, printer
from arazzo_codegen.ir import nodes as n
from arazzo_codegen.pipeline import _front
from arazzo_codegen.plan import Block, ModulePlan, Node, WorkflowPlan

HERE = Path(__file__).resolve().parent / "ir_snapshots"
CASES = sorted(p.name.removesuffix(".arazzo.yaml") for p in HERE.glob("*.arazzo.yaml"))


def _plan(case: str, tmp_path: Path) -> ModulePlan:
    job = Job(spec=HERE / f"{case}.arazzo.yaml", package="snap", out=tmp_path)
    result, analyzer = _front(job)
    assert analyzer is not None, [d.render() for d in result.report.items]
    plan = analyzer.run()
    assert not result.report.has_errors, [d.render() for d in result.report.items]
    return plan


def _signature(wf: WorkflowPlan) -> list[str]:
    """The function's inputs (name: type [= default]), its transport argument, and the
    fields of its Outputs class (attribute [alias "name"]: type): what analysis typed."""
    params = [p.name + ": " + p.type_text + ("" if p.default is None else " = " + p.default) for p in wf.inputs]
    if wf.transport_type is not None:
        params.append(f"transport: {wf.transport_type}|{wf.async_transport_type}")
    fields = [f.name + ("" if f.alias == f'"{f.name}"' else f" alias {f.alias}") + ": " + f.type_text for f in wf.outputs]
    return [f"({', '.join(params)}) -> {wf.outputs_class}({', '.join(fields)})"]


def _dump(plan: ModulePlan) -> str:
    lines: list[str] = []
    for wf in plan.workflows:
        lines += [f"== {wf.function_name} / {wf.async_function_name}", *_signature(wf), *dump.dump(wf.body), ""]
    for receiver in plan.receivers:  # webhook receiver factories: printed text, no IR
        lines += [f"== receiver {receiver.function_name}({', '.join(receiver.params)})", *_lines(receiver.body), ""]
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES)
def test_ir_snapshot(case: str, tmp_path: Path) -> None:
    got = _dump(_plan(case, tmp_path))
    snapshot = HERE / f"{case}.ir.txt"
    if os.environ.get("UPDATE_IR_SNAPSHOTS"):
        snapshot.write_text(got, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with UPDATE_IR_SNAPSHOTS=1 and review it"
    assert got == snapshot.read_text(encoding="utf-8")


def _lines(nodes: tuple[Node, ...], indent: str = "") -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Block):
            out.append(indent + node.header)
            out += _lines(node.body, indent + "    ")
        else:
            out.append(indent + node.text)
    return out


@pytest.mark.parametrize("case", CASES)
def test_both_flavours_print_one_body(case: str, tmp_path: Path) -> None:
    """The sync function and its async twin are the same body printed twice: line by
    line, they differ only in ``await`` + the async helper's name and ``async with``."""
    for wf in _plan(case, tmp_path).workflows:
        assert wf.sync_body == printer.statements(wf.body, printer.SYNC)
        assert wf.async_body == printer.statements(wf.body, printer.ASYNC)
        sync, asynchronous = _lines(wf.sync_body), _lines(wf.async_body)
        assert len(sync) == len(asynchronous)
        for plain, awaited in zip(sync, asynchronous):
            if plain != awaited:
                assert "await " in awaited or "async with " in awaited, (plain, awaited)


def test_printer_negates_and_parenthesizes() -> None:
    """Negation and parentheses are the printer's: a flipped comparison, ``not`` of a
    call, ``not (...)`` of an operation, an ``or`` inside an ``and`` in parentheses."""
    status = n.dotted("_response.status_code")
    flavour = printer.SYNC
    assert printer.expr(n.Not(n.Compare(status, "==", n.Const(200))), flavour) == "_response.status_code != 200"
    assert printer.expr(n.Not(n.runtime("eq", n.Name("a"), n.Const("x"))), flavour) == 'not _runtime.eq(a, "x")'
    # an ordering is not flipped: not (a < b) differs from a >= b for NaN or unordered operands
    assert printer.expr(n.Not(n.Compare(n.Name("a"), "<", n.Const(3))), flavour) == "not a < 3"
    assert printer.expr(printer.negate(n.Compare(n.Name("a"), ">=", n.Const(3))), flavour) == "not a >= 3"
    either = n.BoolOp("or", (n.Name("a"), n.Name("b")))
    assert printer.expr(n.Not(either), flavour) == "not (a or b)"
    assert printer.expr(n.BoolOp("and", (either, n.Name("c"))), flavour) == "(a or b) and c"
    awaited = n.call("_runtime.send", n.Name("x"), async_func="_runtime.asend")
    assert printer.expr(awaited, printer.SYNC) == "_runtime.send(x)"
    assert printer.expr(awaited, printer.ASYNC) == "await _runtime.asend(x)"
    assert printer.expr(n.Lambda((), awaited), printer.ASYNC) == "lambda: _runtime.asend(x)"


def test_urls_print_as_f_strings_where_their_values_fit() -> None:
    """A URL is a Concat: an f-string when every value fits inside one (Python 3.11:
    no backslash or double quote inside the braces), else joined with ``+``."""
    base = n.Subscript(n.Name("_base"), n.Const("jobs"))
    plain = n.runtime("path_param", n.Name("job_id"), n.Const("poll"), n.Const("jobId"))
    url = n.Concat((base, "/jobs/", plain))
    assert printer.expr(url) == "f\"{_base['jobs']}/jobs/{_runtime.path_param(job_id, 'poll', 'jobId')}\""
    quoted = n.runtime("path_param", n.Const("it's"), n.Const("poll"), n.Const("jobId"))
    assert printer.expr(n.Concat((base, "/jobs/", quoted))) == (
        '_base["jobs"] + "/jobs/" + _runtime.path_param("it\'s", "poll", "jobId")'
    )


def test_and_inside_or_and_not_inside_not_are_parenthesized() -> None:
    """Parentheses Python does not need but a reader does (ruff's RUF021)."""
    both = n.BoolOp("and", (n.Name("a"), n.Name("b")))
    assert printer.expr(n.BoolOp("or", (both, n.Name("c")))) == "(a and b) or c"
    assert printer.expr(n.Not(n.Not(n.call("f")))) == "not (not f())"
    assert printer.expr(n.Concat((n.Name("a"), "\\", n.Const('"'))), printer.SYNC, n.ATOM) == '(a + "\\\\" + "\\"")'


def test_comprehensions_starred_and_repr_print_and_bind_their_names() -> None:
    """A compiled JSONPath query is a comprehension over the runtime's helpers: its
    targets are its own names, so the names it reads are those of its context only."""
    clause = n.Comprehension(("_p", "_k"), n.runtime("jp_slots", n.Name("doc")), (n.call("ok", n.Name("_p")),))
    query = n.ListComp(n.Tuple((n.Name("_p"), n.Name("_k"))), (clause,))
    assert printer.expr(query) == "[(_p, _k) for _p, _k in _runtime.jp_slots(doc) if ok(_p)]"
    assert n.names_read(query) == {"doc", "_runtime", "ok"}
    either = n.List((n.Starred(n.Name("a")), n.Starred(n.BinOp(n.Name("b"), "+", n.Name("c")))))
    assert printer.expr(either) == "[*a, *b + c]"
    assert n.names_read(either) == {"a", "b", "c"}
    shown = n.FString(("id == ", n.Repr(n.Name("key"))))
    assert printer.expr(shown) == 'f"id == {key!r}"'
    assert printer.expr(n.Repr(n.Name("key"))) == "repr(key)"
    assert n.names_read(shown) == {"key"}
    assert printer.expr(n.Lambda(("_r",), query)) == "lambda _r: " + printer.expr(query)


def test_json_like_constants_are_built_as_nodes() -> None:
    """Defaults, input checks and literal payloads: what ``py_literal`` would write."""
    from arazzo_codegen.pycode import py_literal

    value = {"a": [1, 2.5, None, True], "b": {"c": "x\"y"}, 3: float("inf"), "d": ()}
    assert printer.expr(n.literal(value)) == py_literal(value)
    assert n.names_read(n.literal(value)) == set()
