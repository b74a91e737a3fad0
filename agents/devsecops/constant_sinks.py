"""Which parts of a flagged statement reach the sink, for the constant-flow interpreter (see ``constant_flow``).

A call's payload is usually all its arguments, but for some sinks it is one: the others are bound parameters
(SQL), template context (rendered with autoescape) or query parameters (HTTP clients encode them). A store into
an object or a ``return`` is itself the sink (a session write, a response body).
"""

from __future__ import annotations

import ast

Spec = tuple[tuple[int, ...], tuple[str, ...]]  # (positional indexes, keyword names) of the payload

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "stream", "request")
PAYLOAD: dict[str, Spec] = {
    **dict.fromkeys(("execute", "executemany", "read_sql", "read_sql_query", "text"), ((0,), ("sql", "statement"))),
    **dict.fromkeys(("render_template_string", "from_string", "Template"), ((0,), ("source",))),
    **dict.fromkeys(HTTP_VERBS, ((0,), ("url",))),
    "request": ((1,), ("url",)),
    "urlopen": ((0,), ("url",)),
    "search": ((0, 1), ("search_base", "search_filter")),                      # ldap3
    **dict.fromkeys(("search_s", "search_st", "search_ext_s"), ((0, 2), ("base", "filterstr"))),  # python-ldap
    "xpath": ((0,), ("_path",)),  # the query, not the document it runs on
}


def call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def payload(call: ast.Call, spec: Spec | None) -> list[ast.expr]:
    if spec is None:
        return [*call.args, *(k.value for k in call.keywords)]
    indexes, names = spec
    return [*(a for i, a in enumerate(call.args) if i in indexes), *(k.value for k in call.keywords if k.arg in names)]


def passive_args(call: ast.Call, spec: Spec | None) -> list[ast.expr]:
    """The arguments of a payload-specific call that are not its payload (calls inside them are not sinks)."""
    chosen = {id(e) for e in payload(call, spec)}
    return [a for a in [*call.args, *(k.value for k in call.keywords)] if id(a) not in chosen] if spec else []


def stores_or_returns(stmt: ast.stmt) -> bool:
    """``session["role"] = ...``, ``resp.body = ...``, ``return ...``: the value itself reaches the sink."""
    if isinstance(stmt, ast.Return):
        return True
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] \
        if isinstance(stmt, ast.AnnAssign | ast.AugAssign) else []
    return any(isinstance(t, ast.Subscript | ast.Attribute) for t in targets)
