"""Constant and dead-branch reasoning: prove in code that a flagged sink only ever sees constants, or never runs.

Much code that a pattern rule flags is safe for reasons a small model does not follow: the request value is
overwritten by a constant on the branch that actually runs (``if (7 * 18) + num > 200:``), a ``switch``-like
chain is keyed by a constant, or the value goes into a list or dict and a *different*, constant element comes
out (``values.pop(0)``, ``m["keyA"]``). This module interprets the flagged function with Python's ``ast``:
constants and module constants fold, only branches that can run are followed, simple list and dict flows are
tracked, and anything it does not understand is unknown. A proof comes back with the lines it rests on, so
the verdict is decided without a model call and the reason cites them; no proof means "ask the model".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from agents.devsecops.constant_values import (
    UNKNOWN,
    Const,
    Env,
    Evaluator,
    Map,
    Seq,
    Val,
    all_const,
    at,
    fork,
    hashable,
    join,
    lines_of,
    name_of,
)


@dataclass
class Proof:
    """Why the sink is safe: every value reaching it is constant, or it is on a branch that never runs."""

    reason: str
    lines: list[int] = field(default_factory=list)


class _Stop(Exception):
    """The interpreter reached the sink (or found it dead); carries the proof or None."""

    def __init__(self, proof: Proof | None) -> None:
        self.proof = proof


def prove_constant(source: str, sink_line: int) -> Proof | None:
    """A proof that the statement on ``sink_line`` sees only constants or never runs; None when not provable."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    func = _innermost_function(tree, sink_line)
    if func is None:
        return None
    interp = _Interp(_module_constants(tree), sink_line, source)
    params = func.args.posonlyargs + func.args.args + func.args.kwonlyargs + [
        a for a in (func.args.vararg, func.args.kwarg) if a is not None]
    try:
        interp.block(func.body, {a.arg: UNKNOWN for a in params})
    except _Stop as stop:
        return stop.proof
    except (RecursionError, MemoryError):
        return None
    return None


def _innermost_function(tree: ast.AST, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.lineno <= line <= (node.end_lineno or node.lineno) and (best is None or node.lineno >= best.lineno):
            best = node
    return best


def _module_constants(tree: ast.Module) -> dict[str, Val]:
    """Top-level names assigned exactly once, to something that folds to a constant."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    out: dict[str, Val] = {}
    interp = _Interp({}, -1)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if counts.get(name) == 1:
                val = interp.expr(stmt.value, dict(out))
                if isinstance(val, Const):
                    out[name] = Const(val.value, frozenset({stmt.lineno}))
    return out


class _Interp(Evaluator):
    """Walks one function's statements up to the sink, folding what it can; see ``_stmt`` for what it knows."""

    def __init__(self, module: Env, sink_line: int, source: str = "") -> None:
        super().__init__(module, source)
        self.sink = sink_line

    # --- statements -------------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], env: Env) -> Env | None:
        """Run statements; None when every path through them ends (return, raise, break, continue)."""
        for stmt in stmts:
            if stmt.lineno <= self.sink <= (stmt.end_lineno or stmt.lineno):
                self._enter(stmt, env)
            result = self._stmt(stmt, env)
            if result is None:
                return None
            env = result
        return env

    def _enter(self, stmt: ast.stmt, env: Env) -> None:
        """The statement holding the sink: decide it, or walk into the compound statement that holds it."""
        if isinstance(stmt, ast.If):
            test = self.expr(stmt.test, env)
            in_body = any(s.lineno <= self.sink <= (s.end_lineno or s.lineno) for s in stmt.body)
            if stmt.lineno == self.sink:
                self._decide(stmt, env)
            if isinstance(test, Const):
                self.folded.append((stmt.lineno, self.text(stmt.test), bool(test.value)))
                if bool(test.value) != in_body:
                    raise _Stop(Proof(f"line {self.sink} never runs: {self._folds()}",
                                      sorted({ln for ln, _, _ in self.folded})))
            self.block(stmt.body if in_body else stmt.orelse, fork(env))
            raise _Stop(None)
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            loop_env = {**env, **{n: UNKNOWN for n in _assigned_in(stmt)}}
            self.block(stmt.body + stmt.orelse, loop_env)
            raise _Stop(None)
        if isinstance(stmt, ast.With | ast.AsyncWith):
            if stmt.lineno == self.sink:
                self._decide(stmt, env)
            self.block(stmt.body, {**env, **{n: UNKNOWN for n in _targets(stmt)}})
            raise _Stop(None)
        if isinstance(stmt, ast.Try):
            risky = {**env, **{n: UNKNOWN for n in _assigned_in(stmt)}}
            for part in (stmt.body, *[h.body for h in stmt.handlers], stmt.orelse, stmt.finalbody):
                if any(s.lineno <= self.sink <= (s.end_lineno or s.lineno) for s in part):
                    self.block(part, fork(env) if part is stmt.body else risky)
            raise _Stop(None)
        self._decide(stmt, env)

    def _decide(self, stmt: ast.stmt, env: Env) -> None:
        """Evaluate what reaches the sink: the arguments of calls on the flagged line, else the statement's value."""
        calls = [n for n in ast.walk(stmt)
                 if isinstance(n, ast.Call) and n.lineno <= self.sink <= (n.end_lineno or n.lineno)]
        exprs: list[ast.expr] = [a for c in calls for a in (*c.args, *(k.value for k in c.keywords))]
        if not calls:
            value = getattr(stmt, "value", None)
            exprs = [value] if isinstance(value, ast.expr) else []
        if not exprs:
            raise _Stop(None)
        vals = [self.expr(e, fork(env)) for e in exprs]
        if not all(all_const(v) for v in vals):
            raise _Stop(None)
        shown = sorted({ast.unparse(n) for e in exprs for n in ast.walk(e) if isinstance(n, ast.Name)})
        lines = sorted(set().union(*(lines_of(v) for v in vals)) | {ln for ln, _, _ in self.folded})
        what = f"`{', '.join(shown)}`" if shown else "the arguments"
        folds = f"; {self._folds()}" if self.folded else ""
        cited = f" (lines {', '.join(map(str, lines))})" if lines else ""
        raise _Stop(Proof(f"{what} at line {self.sink} is a constant on every path that runs{cited}{folds}", lines))

    def _folds(self) -> str:
        return "; ".join(f"line {ln}: `{text}` is always {val}" for ln, text, val in self.folded[-3:])

    def _stmt(self, stmt: ast.stmt, env: Env) -> Env | None:  # noqa: C901 - one case per statement kind
        if isinstance(stmt, ast.Return | ast.Raise | ast.Break | ast.Continue):
            return None
        if isinstance(stmt, ast.Assign):
            val = self.expr(stmt.value, env)
            for target in stmt.targets:
                self._store(target, val, env, stmt.lineno)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._store(stmt.target, self.expr(stmt.value, env), env, stmt.lineno)
        elif isinstance(stmt, ast.AugAssign):
            name = name_of(stmt.target)
            cur = env.get(name, self.module.get(name, UNKNOWN)) if name else UNKNOWN
            val = self._binop(stmt.op, cur, self.expr(stmt.value, env))
            self._store(stmt.target, val, env, stmt.lineno)
        elif isinstance(stmt, ast.Expr):
            self.expr(stmt.value, env)
        elif isinstance(stmt, ast.If):
            return self._if(stmt, env)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            return self.block(stmt.body, {**env, **{n: UNKNOWN for n in _targets(stmt)}})
        elif isinstance(stmt, ast.Pass | ast.Global | ast.Nonlocal | ast.Assert | ast.Import | ast.ImportFrom):
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                env.update({(a.asname or a.name).split(".")[0]: UNKNOWN for a in stmt.names})
        else:  # loops, try, match, nested defs: whatever they assign is unknown afterwards
            env.update({n: UNKNOWN for n in _assigned_in(stmt)})
        return env

    def _if(self, stmt: ast.If, env: Env) -> Env | None:
        test = self.expr(stmt.test, env)
        if isinstance(test, Const):
            self.folded.append((stmt.lineno, self.text(stmt.test), bool(test.value)))
            return self.block(stmt.body if test.value else stmt.orelse, env)
        left, right = self.block(stmt.body, fork(env)), self.block(stmt.orelse, fork(env))
        if left is None or right is None:
            return right if left is None else left
        return {k: join(left.get(k, UNKNOWN), right.get(k, UNKNOWN)) for k in left.keys() | right.keys()}

    def _store(self, target: ast.expr, val: Val, env: Env, line: int) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = at(val, line)
        elif isinstance(target, ast.Tuple | ast.List):
            items = val.items if isinstance(val, Seq) and len(val.items) == len(target.elts) else None
            for i, elt in enumerate(target.elts):
                self._store(elt, items[i] if items else UNKNOWN, env, line)
        elif isinstance(target, ast.Subscript) and (name := name_of(target.value)):
            box, key = env.get(name, UNKNOWN), self.expr(target.slice, env)
            if not isinstance(key, Const) or not _set_item(box, key.value, at(val, line)):
                env[name] = UNKNOWN
        elif (name := name_of(target)) is not None:
            env[name] = UNKNOWN

def _set_item(box: Val, key: object, val: Val) -> bool:
    """``box[key] = val`` on a tracked dict or list; False when the container or the key is not tracked."""
    if isinstance(box, Map) and hashable(key):
        box.items[key] = val
        return True
    if isinstance(box, Seq) and isinstance(key, int) and -len(box.items) <= key < len(box.items):
        box.items[key] = val
        return True
    return False


def _targets(stmt: ast.With | ast.AsyncWith) -> set[str]:
    return {n.id for item in stmt.items if item.optional_vars is not None
            for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)}


def _assigned_in(stmt: ast.stmt) -> set[str]:
    """Every name a compound statement may bind or mutate (targets, loop variables, containers called on)."""
    out = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)}
    out |= {n.func.value.id for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)}
    out |= {n.value.id for n in ast.walk(stmt) if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name)}
    return out
