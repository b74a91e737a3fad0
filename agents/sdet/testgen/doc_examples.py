"""Deterministic seeds: the examples in a function's docstring, turned into a pytest test.

The cheapest correct test is the one the author already wrote as ``>>> f(x)`` / ``result`` in the docstring.
Turning those into plain assertions costs no model time, and they go through the same filter as model
candidates (5/5 runs, coverage gain), so a stale example is repaired by the oracle or discarded, never kept
failing. Only examples whose expected output is a Python literal or a raised exception are used.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import textwrap

from agents.sdet.testgen.targets import Target


def _docstring(target: Target) -> str:
    try:
        tree = ast.parse(textwrap.dedent(target.source))
    except SyntaxError:
        return ""
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    return (ast.get_docstring(fn) or "") if fn is not None else ""


def _exception_name(want: str) -> str | None:
    last = want.strip().splitlines()[-1] if want.strip() else ""
    name = last.split(":", 1)[0].strip()
    if name.split(".")[-1].isidentifier():
        return name
    return None


def doc_example_test(target: Target, known_names: set[str]) -> tuple[str, str] | None:
    """(test name, code) built from the docstring's examples, or None when there are none usable."""
    text = _docstring(target)
    if ">>>" not in text:
        return None
    try:
        examples = doctest.DocTestParser().get_examples(text)
    except ValueError:
        return None
    body: list[str] = []
    asserted = False
    for ex in examples:
        src = ex.source.strip()
        try:
            ast.parse(src)
        except SyntaxError:
            continue
        want = ex.want.strip()
        if ex.exc_msg is not None:
            exc = _exception_name(ex.want) or ""
            short = exc.split(".")[-1]
            if not (short in known_names or isinstance(getattr(builtins, short, None), type)):
                continue
            body += ["with pytest.raises(" + short + "):", *("    " + ln for ln in src.splitlines())]
            asserted = True
        elif not want:
            body += src.splitlines()
        else:
            try:
                ast.literal_eval(want)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if "\n" in src:
                continue
            body.append(f"assert {src} == {want}")
            asserted = True
    if not asserted:
        return None
    name = "test_" + target.qualname.replace(".", "_").lower() + "_docstring_examples"
    code = f"def {name}():\n" + "\n".join("    " + ln for ln in body) + "\n"
    try:
        ast.parse(code)
    except SyntaxError:
        return None
    return name, code
