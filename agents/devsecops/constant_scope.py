"""What the module around a flagged function tells the constant-flow interpreter (see ``constant_flow``): which
top-level names are constants or values fixed at import, which names are standard-library modules, and which
route parameters a converter makes numbers."""

from __future__ import annotations

import ast
import re
import sys

from agents.devsecops.constant_lattice import Clean, Const, Val, all_const
from agents.devsecops.constant_values import Evaluator

_MUTATORS = {"append", "extend", "insert", "update", "setdefault", "add", "pop", "popitem", "remove", "discard",
             "clear", "sort", "reverse", "__setitem__"}
_ROUTE_TYPED = re.compile(r"<(?:int|float|uuid):(\w+)>")


def module_values(tree: ast.Module) -> dict[str, Val]:
    """Top-level names bound exactly once and never changed anywhere in the file: constants fold; other values
    (an object built at import, an imported module, an upper-case imported name) are clean module values."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    changed = changed_names(tree)
    out: dict[str, Val] = {}
    interp = Evaluator({})
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if counts.get(name) == 1 and name not in changed:
                val = interp.expr(stmt.value, dict(out))
                lines = frozenset({stmt.lineno})
                out[name] = Const(val.value, lines) if isinstance(val, Const) else \
                    val if all_const(val) else Clean("module value", lines)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                name = (alias.asname or alias.name).split(".")[0]
                if (isinstance(stmt, ast.Import) or name.isupper()) and name not in changed and not counts.get(name):
                    out[name] = Clean("module value", frozenset({stmt.lineno}))
    return out


def changed_names(tree: ast.AST) -> set[str]:
    """Names whose value may change after import: item or attribute stores, augmented assignments, ``global``
    declarations and calls of mutating methods on them."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            out |= {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, ast.Global):
            out |= set(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS \
                and isinstance(node.func.value, ast.Name):
            out.add(node.func.value.id)
    return out


def typed_route_params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Val]:
    """Parameters a route converter makes numbers (``@app.get("/items/<int:item_id>")``)."""
    out: dict[str, Val] = {}
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call) and deco.args and isinstance(deco.args[0], ast.Constant) \
                and isinstance(deco.args[0].value, str):
            for name in _ROUTE_TYPED.findall(deco.args[0].value):
                out[name] = Clean("number", frozenset({deco.lineno}))
    return out


def stdlib_names(tree: ast.Module) -> frozenset[str]:
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            out |= {(a.asname or a.name).split(".")[0] for a in stmt.names
                    if a.name.split(".")[0] in sys.stdlib_module_names}
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module.split(".")[0] in sys.stdlib_module_names:
            out |= {a.asname or a.name for a in stmt.names if a.name.islower()}
    return frozenset(out)


def import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as: ``from shlex import quote as q`` gives ``q -> shlex.quote``."""
    out: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            out |= {(a.asname or a.name.split(".")[0]): (a.name if a.asname else a.name.split(".")[0])
                    for a in stmt.names}
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            out |= {(a.asname or a.name): f"{stmt.module}.{a.name}" for a in stmt.names}
    return out


def own_functions(tree: ast.Module) -> frozenset[str]:
    """Names of the functions this module defines or imports from its own package (``from .util import f``)."""
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level:
            names |= {a.asname or a.name for a in stmt.names}
    return frozenset(names)
