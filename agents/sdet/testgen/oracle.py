"""Deterministic repair of a failing candidate: keep the model's calls, take the expected values from execution.

A small model usually writes the right call with the wrong expected value (it guesses what ``slugify`` returns
instead of computing it). Like Pynguin's regression oracles, the failing test is run once with every
assertion turned into an observation: the value of the asserted expression (when its ``repr`` is a plain
literal) or the exception it raises. The test is then rewritten to assert exactly that. The rewritten test
goes through the whole filter again (5/5 runs, coverage), and the report marks it ``oracle-repaired``.
A value that is not a literal (an object, a float NaN) cannot be asserted this way, and the test is dropped.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

_OBSERVER = '''
def _opsquad_observe(key, thunk):
    import ast as _ast, json as _json
    try:
        value = thunk()
    except BaseException as exc:  # noqa: B036 - we record whatever it raises
        rec = ["raises", type(exc).__module__, type(exc).__qualname__]
    else:
        try:
            text = repr(value)
            ok = _ast.literal_eval(text) == value and type(_ast.literal_eval(text)) is type(value)
        except Exception:
            ok = False
        rec = ["value", text] if ok else ["opaque", type(value).__name__]
    with open(__OBS_PATH__, "a", encoding="utf-8") as fh:
        fh.write(_json.dumps([key, rec]) + "\\n")
'''


def _raises_body(stmt: ast.With) -> ast.expr | None:
    if len(stmt.items) != 1 or len(stmt.body) != 1 or not isinstance(stmt.body[0], ast.Expr):
        return None
    call = stmt.items[0].context_expr
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "raises":
        return stmt.body[0].value
    return None


def _observed_expr(stmt: ast.stmt) -> ast.expr | None:
    """The expression whose value an assertion statement is about, if it has the shape we can rewrite."""
    if isinstance(stmt, ast.Assert):
        test = stmt.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is):
            return test.left
        if isinstance(test, ast.Call):
            return test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call):
            return test.operand
        return None
    if isinstance(stmt, ast.With):
        return _raises_body(stmt)
    return None


def _find_test(tree: ast.Module) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")), None)


def instrument(code: str, obs_path: Path) -> tuple[str, int] | None:
    """The test with each rewritable assertion replaced by an observation, and how many there are."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    fn = _find_test(tree)
    if fn is None:
        return None
    count = 0
    new_body: list[ast.stmt] = []
    for stmt in fn.body:
        expr = _observed_expr(stmt)
        if expr is None:
            new_body.append(stmt)
            continue
        call = ast.Expr(ast.Call(func=ast.Name("_opsquad_observe", ast.Load()),
                                 args=[ast.Constant(count), ast.Lambda(args=ast.arguments(
                                     posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                                     body=expr)], keywords=[]))
        new_body.append(call)
        count += 1
    if count == 0:
        return None
    fn.body = new_body
    ast.fix_missing_locations(tree)
    observer = _OBSERVER.replace("__OBS_PATH__", repr(str(obs_path)))
    return observer + "\n" + ast.unparse(tree) + "\n", count


# Exceptions that say the test itself is wrong (a misspelt name, a wrong call), not how the code behaves:
# turning them into ``pytest.raises`` would keep a test that asserts its own bug.
TEST_BUGS = {"NameError", "AttributeError", "ImportError", "ModuleNotFoundError", "SyntaxError", "TypeError",
             "UnboundLocalError", "RecursionError", "AssertionError", "NotImplementedError", "TimeoutError"}


def _expected(rec: list[Any], target_modules: set[str]) -> tuple[str, Any] | None:
    kind = rec[0]
    if kind == "value":
        return "value", ast.literal_eval(rec[1])
    if kind == "raises":
        module, qual = rec[1], rec[2]
        if module == "builtins":
            return None if qual in TEST_BUGS else ("raises", qual)
        if module in target_modules or any(module.startswith(m + ".") for m in target_modules):
            return "raises", f"{module}.{qual}"
    return None


def rewrite(code: str, obs_path: Path, count: int, target_modules: set[str]) -> tuple[str, list[str]] | None:
    """The test asserting what was observed, plus extra imports it needs; None if any assertion can't be kept."""
    if not obs_path.exists():
        return None
    seen: dict[int, list[Any]] = {}
    for line in obs_path.read_text(encoding="utf-8").splitlines():
        key, rec = json.loads(line)
        seen.setdefault(int(key), rec)
    if len(seen) != count:
        return None
    tree = ast.parse(code)
    fn = _find_test(tree)
    assert fn is not None
    imports: list[str] = []
    body: list[ast.stmt] = []
    index = 0
    for stmt in fn.body:
        expr = _observed_expr(stmt)
        if expr is None:
            body.append(stmt)
            continue
        exp = _expected(seen[index], target_modules)
        index += 1
        if exp is None:
            return None
        kind, value = exp
        if kind == "raises":
            exc = ast.parse(value, mode="eval").body
            if "." in value:
                imports.append(f"import {value.rsplit('.', 1)[0]}")
            raises = ast.Call(func=ast.Attribute(ast.Name("pytest", ast.Load()), "raises", ast.Load()),
                              args=[exc], keywords=[])
            body.append(ast.With(items=[ast.withitem(context_expr=raises)], body=[ast.Expr(expr)]))
        elif value is None or isinstance(value, bool):
            body.append(ast.Assert(test=ast.Compare(left=expr, ops=[ast.Is()], comparators=[ast.Constant(value)])))
        else:
            literal = ast.parse(repr(value), mode="eval").body
            body.append(ast.Assert(test=ast.Compare(left=expr, ops=[ast.Eq()], comparators=[literal])))
    fn.body = body
    ast.fix_missing_locations(tree)
    return ast.unparse(fn), imports
