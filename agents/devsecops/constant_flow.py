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

from agents.devsecops.constant_lattice import (
    CLEAN_KINDS,
    UNKNOWN,
    Clean,
    Const,
    Env,
    Map,
    Seq,
    Val,
    all_safe,
    at,
    fork,
    hashable,
    join,
    kinds_of,
    lines_of,
    name_of,
)
from agents.devsecops.constant_scope import (
    import_aliases,
    module_values,
    own_functions,
    stdlib_names,
    typed_route_params,
)
from agents.devsecops.constant_sinks import (
    HTTP_VERBS,
    PAYLOAD,
    Spec,
    call_name,
    passive_args,
    payload,
    stores_or_returns,
)
from agents.devsecops.constant_values import NUMERIC, Evaluator
from agents.devsecops.safeguards import neutralizers_for


@dataclass
class Proof:
    """Why the sink is safe: every value reaching it is constant, or it is on a branch that never runs."""

    reason: str
    lines: list[int] = field(default_factory=list)


class _Stop(Exception):
    """The interpreter reached the sink (or found it dead); carries the proof or None."""

    def __init__(self, proof: Proof | None) -> None:
        self.proof = proof


def prove_constant(source: str, sink_line: int, sink: str | None = None) -> Proof | None:
    """A proof that the statement on ``sink_line`` sees only constants (or clean values: numbers, allow-listed
    values, values escaped for ``sink``, module values) or never runs; None when not provable. ``sink`` is the
    sink class (``safeguards.sink_of``): a trust boundary ("session") is crossed by any request data, so only values
    from the code count there; an XML parser's weakness is its configuration, so constant input proves nothing."""
    if sink == "xml":
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    func = _innermost_function(tree, sink_line)
    if func is None:
        return None
    interp = _Interp(module_values(tree), sink_line, source, sink, stdlib_names(tree))
    interp.aliases, interp.neutralizers = import_aliases(tree), neutralizers_for(sink)
    interp.own_functions = own_functions(tree)
    params = func.args.posonlyargs + func.args.args + func.args.kwonlyargs + [
        a for a in (func.args.vararg, func.args.kwarg) if a is not None]
    try:
        typed = typed_route_params(func)
        interp.block(func.body, {a.arg: typed.get(a.arg, UNKNOWN) for a in params})
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


_NO_RETURN = {"abort", "flask.abort", "sys.exit", "exit", "os._exit"}


class _Interp(Evaluator):
    """Walks one function's statements up to the sink, folding what it can; see ``_stmt`` for what it knows."""

    def __init__(self, module: Env, sink_line: int, source: str = "", sink_class: str | None = None,
                 stdlib: frozenset[str] = frozenset()) -> None:
        super().__init__(module, source)
        self.stdlib = stdlib  # names bound to standard-library modules: their attributes hold no request data
        self.sink = sink_line
        self.sink_class = sink_class
        self.strict = sink_class == "session"  # a trust boundary is crossed by any request data
        self.env_names: set[str] = set()  # local names at the sink: they shadow the module's

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
            self.block(stmt.body if in_body else stmt.orelse, self._refined(stmt.test, in_body, env))
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
        """Evaluate what reaches the sink: the payload arguments of calls on the flagged line (see
        ``payload``), else the statement's value."""
        self.env_names = set(env)
        calls = [n for n in ast.walk(stmt)
                 if isinstance(n, ast.Call) and n.lineno <= self.sink <= (n.end_lineno or n.lineno)]
        numeric = [c for c in calls  # whatever goes in, a number (or a value escaped for this sink) comes out
                   if ast.unparse(c.func) in NUMERIC or self._neutralizes(ast.unparse(c.func))]
        parts = [p for c in calls for p in passive_args(c, self._spec(c))] + [a for c in numeric for a in c.args]
        passive = {id(n) for part in parts for n in ast.walk(part)} | {id(c) for c in numeric}
        exprs: list[ast.expr] = [a for c in calls if id(c) not in passive for a in payload(c, self._spec(c))]
        exprs += [r for c in calls if id(c) not in passive and (r := self._receiver(c)) is not None]
        value = getattr(stmt, "value", None)
        opaque_call = isinstance(value, ast.Call) and ast.unparse(value.func) not in NUMERIC
        direct = stores_or_returns(stmt) and not opaque_call
        if isinstance(value, ast.expr) and (not calls or direct):
            exprs.append(value)  # a session store or a returned body is the sink itself (a call is judged above)
        if not exprs:
            raise _Stop(None)
        vals = [self.expr(e, fork(env)) for e in exprs]
        if not all(all_safe(v, self.strict) for v in vals):
            raise _Stop(None)
        shown = sorted({ast.unparse(n) for e in exprs for n in ast.walk(e) if isinstance(n, ast.Name)})
        lines = sorted(set().union(*(lines_of(v) for v in vals)) | {ln for ln, _, _ in self.folded})
        what = f"`{', '.join(shown)}`" if shown else "the arguments"
        kinds = sorted(set().union(*(kinds_of(v) for v in vals)))
        shape = "a constant" if not kinds else "only " + " or ".join(["constants", *(CLEAN_KINDS[k] for k in kinds)])
        folds = f"; {self._folds()}" if self.folded else ""
        cited = f" (lines {', '.join(map(str, lines))})" if lines else ""
        raise _Stop(Proof(f"{what} at line {self.sink} is {shape} on every path that runs{cited}{folds}", lines))

    def _receiver(self, call: ast.Call) -> ast.expr | None:
        """The object a method sink is called on (``tar.extractall``, ``request.form.get``) unless it is a module
        or the call's payload is one argument (a connection's ``execute``)."""
        func = call.func
        if not isinstance(func, ast.Attribute) or self._spec(call) is not None or self._on_module(func) \
                or isinstance(func.value, ast.Call):  # a chained call is judged as a call of its own
            return None
        return func.value

    def _on_module(self, func: ast.Attribute) -> bool:
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        plain_module = isinstance(func.value, ast.Name) and func.value.id not in self.env_names \
            and isinstance(self.module.get(func.value.id), Clean)
        return plain_module or (isinstance(root, ast.Name) and root.id in self.stdlib)

    def _spec(self, call: ast.Call) -> Spec | None:
        """Which arguments carry the payload; an HTTP verb only on a module (``requests.get``, not
        ``request.form.get``)."""
        name = call_name(call)
        if name in HTTP_VERBS and not (isinstance(call.func, ast.Attribute) and self._on_module(call.func)):
            return None
        return PAYLOAD.get(name)

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
            if isinstance(stmt.value, ast.Call) and ast.unparse(stmt.value.func) in _NO_RETURN:
                return None
        elif isinstance(stmt, ast.Try) and all(isinstance(s, _SIMPLE) for s in stmt.body):
            return self._try(stmt, env)
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
        left = self.block(stmt.body, self._refined(stmt.test, True, env))
        right = self.block(stmt.orelse, self._refined(stmt.test, False, env))
        return _join_envs([e for e in (left, right) if e is not None])

    def _refined(self, test: ast.expr, holds: bool, env: Env) -> Env:
        """A copy of ``env`` for the branch where ``test`` is ``holds``: a name checked against a constant
        allow-list (``if lang not in LANGUAGES: abort(400)``) or by ``isdigit()`` is clean there."""
        out = fork(env)
        containers = [c for n in ast.walk(test) if isinstance(n, ast.Compare) for c in n.comparators]
        if not all(all_safe(self.expr(c, fork(env))) for c in containers):
            return out  # checked against request data: no allow-list
        for name, kind in _facts(test, holds):
            if not all_safe(out.get(name, UNKNOWN)):
                out[name] = Clean(kind, frozenset({test.lineno}))
        return out

    def _try(self, stmt: ast.Try, env: Env) -> Env | None:
        """A ``try`` of simple statements: a handler starts from any state the body passed through."""
        states, cur = [fork(env)], env
        for part in stmt.body:
            nxt = self._stmt(part, cur)
            if nxt is None:
                break
            cur = nxt
            states.append(fork(cur))
        outs = [] if len(states) <= len(stmt.body) else [self.block(stmt.orelse, cur)]
        passed = _join_envs(states) or {}
        for handler in stmt.handlers:
            start = fork(passed)
            if handler.name:
                start[handler.name] = UNKNOWN
            outs.append(self.block(handler.body, start))
        merged = _join_envs([e for e in outs if e is not None])
        if merged is None:
            return None
        return self.block(stmt.finalbody, merged) if stmt.finalbody else merged

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

_SIMPLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Pass)
# Calls whose payload is one argument: the others are bound parameters (SQL), template context (rendered with
# autoescape) or query parameters (HTTP clients encode them); (positional index, keyword names).
def _facts(test: ast.expr, holds: bool) -> list[tuple[str, str]]:
    """(name, clean kind) pairs that are true on the branch where ``test`` is ``holds``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _facts(test.operand, not holds)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) == holds:
        return [f for v in test.values for f in _facts(v, holds)]
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name):
        op = test.ops[0]
        if (isinstance(op, ast.In) and holds) or (isinstance(op, ast.NotIn) and not holds):
            return [(test.left.id, "allow-listed")]
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and holds and not test.args \
            and test.func.attr in ("isdigit", "isdecimal") and isinstance(test.func.value, ast.Name):
        return [(test.func.value.id, "number")]
    return []


def _join_envs(envs: list[Env]) -> Env | None:
    """The environment where paths meet (None when no path continues)."""
    if not envs:
        return None
    out = envs[0]
    for other in envs[1:]:
        out = {k: join(out.get(k, UNKNOWN), other.get(k, UNKNOWN)) for k in out.keys() | other.keys()}
    return out


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
