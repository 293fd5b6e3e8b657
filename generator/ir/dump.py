"""A readable dump of the IR, flavour-neutral (for snapshot tests and debugging).

Statements print one per line, nested blocks indented; an awaitable call prints as
``<sync>|<async>(...)``, a ``with`` item as ``<sync>|<async> as name`` (or
``<sync>|<async>(...) as name``), a negation as
``not(...)``.  Nothing is parenthesized by precedence:
the tree's shape shows it (``and(...)``, ``cmp(a == b)``).
"""

from __future__ import annotations

from . import nodes as n


def expr(node: n.Expr) -> str:
    if isinstance(node, n.Name):
        return node.id
    if isinstance(node, n.Attr):
        return f"{expr(node.value)}.{node.attr}"
    if isinstance(node, n.Const):
        return repr(node.value)
    if isinstance(node, n.Call):
        func = expr(node.func) + (f"|{expr(node.async_func)}" if node.async_func is not None else "")
        args = [expr(a) for a in node.args] + [f"{k}={expr(v)}" for k, v in node.kwargs]
        return f"{func}({', '.join(args)})"
    if isinstance(node, n.Compare):
        return f"cmp({expr(node.left)} {node.op} {expr(node.right)})"
    if isinstance(node, n.BoolOp):
        return f"{node.op}({', '.join(expr(v) for v in node.values)})"
    if isinstance(node, n.Not):
        return f"not({expr(node.operand)})"
    if isinstance(node, n.BinOp):
        return f"({expr(node.left)} {node.op} {expr(node.right)})"
    if isinstance(node, n.IfExp):
        return f"ifexp({expr(node.test)} ? {expr(node.body)} : {expr(node.orelse)})"
    if isinstance(node, n.FString):
        return "f[" + ", ".join(repr(p) if isinstance(p, str) else expr(p) for p in node.parts) + "]"
    if isinstance(node, n.Concat):
        return "concat[" + ", ".join(repr(p) if isinstance(p, str) else expr(p) for p in node.parts) + "]"
    if isinstance(node, n.Subscript):
        return f"{expr(node.value)}[{expr(node.index)}]"
    if isinstance(node, n.Lambda):
        return f"lambda({', '.join(node.params)}: {expr(node.body)})"
    if isinstance(node, n.Dict):
        return "{" + ", ".join(f"{expr(k)}: {expr(v)}" for k, v in node.items) + "}"
    if isinstance(node, n.List):
        return "[" + ", ".join(expr(i) for i in node.items) + "]"
    if isinstance(node, n.Starred):
        return f"*{expr(node.value)}"
    if isinstance(node, n.ListComp):
        clauses = "".join(
            f" for {', '.join(c.targets)} in {expr(c.iter)}" + "".join(f" if {expr(cond)}" for cond in c.conds)
            for c in node.generators
        )
        return f"[{expr(node.elt)}{clauses}]"
    if isinstance(node, n.Repr):
        return f"repr({expr(node.value)})"
    return "tuple(" + ", ".join(expr(i) for i in node.items) + ")"


def _head(stmt: n.Stmt) -> str:
    if isinstance(stmt, n.Assign):
        annotation = f": {stmt.annotation}" if stmt.annotation else ""
        comment = f"  # {stmt.comment}" if stmt.comment else ""
        return f"{stmt.target}{annotation} = {expr(stmt.value)}{comment}"
    if isinstance(stmt, n.AugAssign):
        return f"{stmt.target} {stmt.op} {expr(stmt.value)}"
    if isinstance(stmt, n.ExprStmt):
        return expr(stmt.value)
    if isinstance(stmt, n.If):
        return f"if {expr(stmt.test)}:" + (f"  # {stmt.comment}" if stmt.comment else "")
    if isinstance(stmt, n.While):
        return f"while {expr(stmt.test)}:"
    if isinstance(stmt, n.For):
        return f"for {stmt.target} in {expr(stmt.iter)}:"
    if isinstance(stmt, n.Match):
        return f"match {expr(stmt.subject)}:"
    if isinstance(stmt, n.With):
        items = [_with_item(i) + (f" as {i.target}" if i.target else "") for i in stmt.items]
        return f"with {', '.join(items)}:"
    if isinstance(stmt, n.Return):
        return "return" + ("" if stmt.value is None else f" {expr(stmt.value)}")
    if isinstance(stmt, n.Raise):
        return f"raise {expr(stmt.exc)}"
    if isinstance(stmt, n.Comment):
        return f"# {stmt.text}"
    if isinstance(stmt, n.Blank):
        return ""
    return type(stmt).__name__.lower()  # break, continue, pass


def _with_item(item: n.WithItem) -> str:
    """``<sync>|<async>``; two calls with the same arguments as ``<sync>|<async>(args)``."""
    sync, other = item.context, item.async_context
    if (
        isinstance(sync, n.Call)
        and isinstance(other, n.Call)
        and (sync.args, sync.kwargs) == (other.args, other.kwargs)
    ):
        return expr(n.Call(sync.func, sync.args, sync.kwargs, other.func))
    return f"{expr(sync)}|{expr(other)}"


def dump(body: tuple[n.Stmt, ...] | list[n.Stmt], indent: str = "") -> list[str]:
    """The statements as indented lines."""
    lines: list[str] = []
    for stmt in body:
        head = _head(stmt)
        lines.append(indent + head if head else "")
        inner = indent + "    "
        if isinstance(stmt, n.If):
            lines += dump(stmt.body, inner)
            for test, block in stmt.elifs:
                lines.append(f"{indent}elif {expr(test)}:")
                lines += dump(block, inner)
            if stmt.orelse:
                lines.append(f"{indent}else:")
                lines += dump(stmt.orelse, inner)
        elif isinstance(stmt, n.Match):
            for case in stmt.cases:
                lines.append(f"{inner}case {'_' if case.pattern is None else expr(case.pattern)}:")
                lines += dump(case.body, inner + "    ")
        elif isinstance(stmt, n.For):
            lines += dump(stmt.body, inner)
            if stmt.orelse:
                lines.append(f"{indent}else:")
                lines += dump(stmt.orelse, inner)
        elif isinstance(stmt, n.While | n.With):
            lines += dump(stmt.body, inner)
    return lines
