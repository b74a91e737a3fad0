"""The values of the constant-flow interpreter (see ``constant_flow``) and how they combine.

A value is a constant (with the lines it was set on), a list or dict of values, a *clean* value (not known, but
unable to carry a payload: a number, a member of a constant allow-list, a value escaped for this sink, one of
several constants, a module-level value fixed at import), or unknown. Where paths meet, two different safe
values make a clean one; anything joined with an unknown is unknown.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass
class Const:
    value: object
    lines: frozenset[int] = frozenset()


@dataclass
class Seq:
    items: list[Val]
    lines: frozenset[int] = frozenset()


@dataclass
class Map:
    items: dict[object, Val]
    lines: frozenset[int] = frozenset()


@dataclass
class Clean:
    """Not known, but unable to carry a payload; ``kind`` says why (one of ``CLEAN_KINDS``)."""

    kind: str
    lines: frozenset[int] = frozenset()


# Why a value is clean; the first two hold request data in a harmless shape, the last two none at all.
CLEAN_KINDS = {"number": "a number", "allow-listed": "a member of a constant allow-list",
               "neutralized": "escaped for this sink by a library function",
               "one of constants": "one of several constants", "module value": "a module-level value set at import"}
FROM_CODE = frozenset({"one of constants", "module value"})

Val = Const | Seq | Map | Clean | _Unknown


def all_safe(val: Val, strict: bool = False) -> bool:
    """Constant or clean throughout; ``strict`` (a trust boundary) accepts no request data in any shape."""
    if isinstance(val, Clean):
        return val.kind in FROM_CODE or not strict
    if isinstance(val, Seq):
        return all(all_safe(v, strict) for v in val.items)
    if isinstance(val, Map):
        return all(all_safe(v, strict) for v in val.items.values())
    return isinstance(val, Const)


def kinds_of(val: Val) -> set[str]:
    """The clean kinds inside a safe value (empty when it is all constants)."""
    if isinstance(val, Clean):
        return {val.kind}
    if isinstance(val, Seq):
        return set().union(*(kinds_of(v) for v in val.items))
    if isinstance(val, Map):
        return set().union(*(kinds_of(v) for v in val.items.values()))
    return set()


def clean_of(*vals: Val) -> Val:
    """A clean value built from safe parts (a concatenation, a format, a join); unknown if any part is not."""
    if not all(all_safe(v) for v in vals):
        return UNKNOWN
    kinds = set().union(*(kinds_of(v) for v in vals))
    request_kinds = sorted(kinds - FROM_CODE)
    kind = request_kinds[0] if request_kinds else (min(kinds) if kinds else "one of constants")
    return Clean(kind, frozen(*vals))


def all_const(val: Val) -> bool:
    if isinstance(val, Const):
        return True
    if isinstance(val, Seq):
        return all(all_const(v) for v in val.items)
    if isinstance(val, Map):
        return all(all_const(v) for v in val.items.values())
    return False


def lines_of(val: Val) -> set[int]:
    if isinstance(val, Seq):
        return set(val.lines).union(*(lines_of(v) for v in val.items))
    if isinstance(val, Map):
        return set(val.lines).union(*(lines_of(v) for v in val.items.values()))
    return set(val.lines) if isinstance(val, Const | Clean) else set()


def join(a: Val, b: Val) -> Val:
    """The value after two paths meet: constant only if both paths agree."""
    if isinstance(a, Const) and isinstance(b, Const) and type(a.value) is type(b.value) and a.value == b.value:
        return Const(a.value, a.lines | b.lines)
    if isinstance(a, Seq) and isinstance(b, Seq) and len(a.items) == len(b.items):
        return Seq([join(x, y) for x, y in zip(a.items, b.items, strict=True)], a.lines | b.lines)
    if isinstance(a, Map) and isinstance(b, Map) and a.items.keys() == b.items.keys():
        return Map({k: join(a.items[k], b.items[k]) for k in a.items}, a.lines | b.lines)
    return clean_of(a, b)  # two different safe values: still safe, no longer constant


Env = dict[str, Val]


# Text before an escaped value that makes the escaping useless: inside quotes a shell quote reopens the shell; in
# HTML an unquoted attribute or a script is not protected by entity escaping. Other sinks' escapers (LDAP filter
# escaping, ``secure_filename``) hold wherever the value lands.
_UNSAFE_BEFORE = {"shell": re.compile(r"""['"`]\s*$"""),
                  "html": re.compile(r"""['"`=]\s*$|<script\b(?![\s\S]*</script)""", re.I)}
_UNSAFE_IN_TEMPLATE = {"shell": re.compile(r"""['"`]"""), "html": re.compile(r"""['"`=]|<script""", re.I)}


def placed_safely(parts: list[Val], sink: str | None) -> bool:
    """Whether every escaped value in a concatenation lands where its escaping holds for ``sink``; the literal
    text before it decides."""
    unsafe = _UNSAFE_BEFORE.get(sink or "")
    before = ""
    for part in parts:
        if unsafe and isinstance(part, Clean) and part.kind == "neutralized" and unsafe.search(before):
            return False
        before += str(part.value) if isinstance(part, Const) else "\x00"
    return True


def template_safe(template: Val, args: list[Val], sink: str | None) -> bool:
    """A ``%`` or ``format`` template filled with an escaped value: where it lands is not tracked, so the template
    may hold nothing that would undo the escaping anywhere."""
    unsafe = _UNSAFE_IN_TEMPLATE.get(sink or "")
    escaped = any(isinstance(a, Clean) and a.kind == "neutralized" for a in args) or \
        any(isinstance(a, Seq) and not template_safe(template, a.items, sink) for a in args)
    return not escaped or unsafe is None or (isinstance(template, Const) and not unsafe.search(str(template.value)))


def fork(env: Env) -> Env:
    """A copy for one branch: containers are copied too, so a branch's ``append`` stays in that branch."""
    return copy.deepcopy(env)


def frozen(*vals: Val) -> frozenset[int]:
    return frozenset().union(*(lines_of(v) for v in vals))


def at(val: Val, line: int) -> Val:
    if isinstance(val, Const):
        return Const(val.value, val.lines | {line})
    return val


def hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def name_of(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None
