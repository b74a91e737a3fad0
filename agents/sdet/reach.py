"""Which functions the project's own tests reach: a call graph from the test entry points, not name mentions.

A test rarely names every function it exercises: it calls a view through the test client, or a public
function that calls the changed helper. So a function counts as tested when a test names it, when the tests
request the URL of the route it handles, or when it is called (by name, transitively) from a function that
counts. Names are matched simply (no type inference), which errs towards "tested" for common names; the
finding it feeds is a low-severity prompt to add a test, so a miss costs less than noise.
"""

from __future__ import annotations

import ast
import re
from collections import deque

_WORD = re.compile(r"[A-Za-z_]\w*")
_ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete", "api_route", "websocket"}


def _route_prefix(decorator: ast.expr) -> str | None:
    """The static part of a route decorator's URL (``/users/<int:id>`` → ``/users/``), if it is one."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in _ROUTE_DECORATORS and decorator.args):
        return None
    first = decorator.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("/")):
        return None
    prefix = first.value.split("<", 1)[0]
    return prefix if len(prefix) > 1 else None


def call_graph(sources: dict[str, str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(function name → names it calls, function name → static URL prefixes of the routes it handles)."""
    calls: dict[str, set[str]] = {}
    routes: dict[str, set[str]] = {}
    for text in sources.values():
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            called = calls.setdefault(node.name, set())
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call):
                    func = sub.func
                    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) \
                        else None
                    if name:
                        called.add(name)
            for dec in node.decorator_list:
                prefix = _route_prefix(dec)
                if prefix:
                    routes.setdefault(node.name, set()).add(prefix)
    return calls, routes


def reached_from_tests(sources: dict[str, str], test_text: str) -> set[str]:
    """Simple names of the project's functions the tests reach (see the module docstring)."""
    calls, routes = call_graph(sources)
    mentioned = set(_WORD.findall(test_text))
    seeds = {name for name in calls if name in mentioned}
    seeds |= {name for name, prefixes in routes.items() if any(p in test_text for p in prefixes)}
    reached = set(seeds)
    queue = deque(seeds)
    while queue:
        for callee in calls.get(queue.popleft(), ()):
            if callee in calls and callee not in reached:
                reached.add(callee)
                queue.append(callee)
    return reached
