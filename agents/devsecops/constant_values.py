"""How the constant-flow interpreter (see ``constant_flow``) evaluates expressions over its values
(``constant_lattice``). Folding uses Python's own operators on the constants, so ``(7 * 18) + num > 200`` means
what Python says it means; a fold that raises, or that grows past a small size, is unknown rather than a proof.
Only constants fold: a clean value never decides a branch.
"""

from __future__ import annotations

import ast
import copy
import operator
import posixpath
from typing import Any

from agents.devsecops.constant_lattice import (
    UNKNOWN,
    Clean,
    Const,
    Env,
    Map,
    Seq,
    Val,
    _Unknown,
    all_const,
    at,
    clean_of,
    frozen,
    hashable,
    join,
    name_of,
    placed_safely,
    template_safe,
)

_BIN: dict[type, Any] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                         ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
                         ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor}
_CMP: dict[type, Any] = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
                         ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
                         ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}
_STR_METHODS = {"replace", "split", "rsplit", "join", "upper", "lower", "strip", "lstrip", "rstrip", "format",
                "title", "capitalize", "removeprefix", "removesuffix", "startswith", "endswith", "zfill"}
NUMERIC = {"int", "float", "bool", "len", "abs", "round", "uuid.UUID", "UUID"}
_PURE = {"str": str, "int": int, "len": len, "os.path.join": posixpath.join, "posixpath.join": posixpath.join}
_MAX_LEN = 10_000  # folded strings and lists stay small: a huge result is "unknown", not a slow proof




class Evaluator:
    """Evaluates expressions against an environment; list and dict methods on a tracked name mutate it."""

    def __init__(self, module: Env, source: str = "") -> None:
        self.module = module  # never mutated: a lookup copies the containers
        self.stdlib: frozenset[str] = frozenset()  # names bound to standard-library modules
        self.aliases: dict[str, str] = {}  # local name -> what it was imported as (``quote`` -> ``shlex.quote``)
        self.neutralizers: frozenset[str] = frozenset()  # functions whose result is safe for this sink
        self.own_functions: frozenset[str] = frozenset()  # defined in this module or imported relatively
        self.sink_class: str | None = None  # "shell", "html", ... (``safeguards.SINK_OF_CWE``)
        self.source = source
        self.folded: list[tuple[int, str, bool]] = []  # (line, condition, its constant value)

    def expr(self, node: ast.expr, env: Env) -> Val:  # noqa: C901 - one case per expression kind
        if isinstance(node, ast.Constant):
            return Const(node.value)
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else copy.deepcopy(self.module.get(node.id, UNKNOWN))
        if isinstance(node, ast.Attribute):
            return self._attribute(node, env)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, env)
        if isinstance(node, ast.BinOp):
            return self._binop(node.op, self.expr(node.left, env), self.expr(node.right, env))
        if isinstance(node, ast.UnaryOp):
            val = self.expr(node.operand, env)
            ops = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
            return _apply(ops.get(type(node.op)), val) if isinstance(val, Const) else UNKNOWN
        if isinstance(node, ast.BoolOp):
            return self._boolop(node, env)
        if isinstance(node, ast.Compare):
            return self._compare(node, env)
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test, env)
            if isinstance(test, Const):
                self.folded.append((node.lineno, self.text(node.test), bool(test.value)))
                return self.expr(node.body if test.value else node.orelse, env)
            return join(self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, ast.List | ast.Tuple):
            return Seq([self.expr(e, env) for e in node.elts], frozenset({node.lineno}))
        if isinstance(node, ast.Set):
            items = [self.expr(e, env) for e in node.elts]
            consts = [v.value for v in items if isinstance(v, Const) and hashable(v.value)]
            return Const(frozenset(consts), frozenset({node.lineno})) if len(consts) == len(items) else UNKNOWN
        if isinstance(node, ast.Dict):
            return self._dict(node, env)
        if isinstance(node, ast.Subscript):
            return self._subscript(self.expr(node.value, env), self.expr(node.slice, env), node.lineno)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        return UNKNOWN

    def _attribute(self, node: ast.Attribute, env: Env) -> Val:
        """``config.BASE_DN``, ``ldap3.SUBTREE``: an upper-case attribute of a module-level name is a constant
        of the code by convention, and so is anything of a standard-library module (``os.sep``); any other
        attribute (``request.path``) is unknown."""
        owner = node.value
        while isinstance(owner, ast.Attribute):
            owner = owner.value
        if isinstance(owner, ast.Name) and owner.id not in env and isinstance(self.module.get(owner.id), Clean) \
                and (node.attr.isupper() or owner.id in self.stdlib):
            return Clean("module value", frozenset({node.lineno}))
        return UNKNOWN

    def text(self, node: ast.expr) -> str:
        """The code of ``node`` as written (for a reason that cites it), else as ``ast`` prints it."""
        return (ast.get_source_segment(self.source, node) if self.source else None) or ast.unparse(node)

    def _fstring(self, node: ast.JoinedStr, env: Env) -> Val:
        parts: list[str] = []
        lines: set[int] = set()
        for part in node.values:
            val = self.expr(part.value, env) if isinstance(part, ast.FormattedValue) else self.expr(part, env)
            if not isinstance(val, Const) or (isinstance(part, ast.FormattedValue) and part.format_spec):
                vals = [self.expr(p.value, env) if isinstance(p, ast.FormattedValue) else self.expr(p, env)
                        for p in node.values]
                return clean_of(*vals) if placed_safely(vals, self.sink_class) else UNKNOWN
            parts.append(str(val.value))
            lines |= val.lines
        return Const("".join(parts), frozenset(lines))

    def _binop(self, op: ast.operator, a: Val, b: Val) -> Val:
        if isinstance(a, Const) and isinstance(b, Const):
            return _apply(lambda x, y: _BIN[type(op)](x, y) if type(op) in _BIN else None, a, b)
        if isinstance(op, ast.Add) and isinstance(a, Seq) and isinstance(b, Seq):
            return Seq(a.items + b.items, a.lines | b.lines)
        if isinstance(op, ast.Mod):  # "cat '%s'" % quoted: where the value lands is not tracked
            return clean_of(a, b) if template_safe(a, [b], self.sink_class) else UNKNOWN
        return clean_of(a, b) if placed_safely([a, b], self.sink_class) else UNKNOWN

    def _boolop(self, node: ast.BoolOp, env: Env) -> Val:
        result: Val = UNKNOWN
        for value in node.values:
            result = self.expr(value, env)
            if not isinstance(result, Const):
                return UNKNOWN
            if isinstance(node.op, ast.And) != bool(result.value):
                return result
        return result

    def _compare(self, node: ast.Compare, env: Env) -> Val:
        left = self.expr(node.left, env)
        lines: set[int] = set()
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.expr(right_node, env)
            if isinstance(right, Seq) and all_const(right):
                right = Const(tuple(v.value for v in right.items if isinstance(v, Const)), right.lines)
            if not (isinstance(left, Const) and isinstance(right, Const)):
                return UNKNOWN
            res = _apply(_CMP[type(op)], left, right)
            if not isinstance(res, Const) or not res.value:
                return res
            lines |= left.lines | right.lines
            left = right
        return Const(True, frozenset(lines))

    def _dict(self, node: ast.Dict, env: Env) -> Val:
        items: dict[object, Val] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            key = self.expr(k, env) if k is not None else UNKNOWN
            if not isinstance(key, Const) or not hashable(key.value):
                return UNKNOWN
            items[key.value] = self.expr(v, env)
        return Map(items, frozenset({node.lineno}))

    def _subscript(self, box: Val, key: Val, line: int) -> Val:
        if not isinstance(key, Const):  # an unknown key picks one of the box's values: safe if they all are
            if isinstance(box, Clean) and box.kind == "module value":
                return Clean("one of constants", box.lines | {line})
            inside = list(box.items.values()) if isinstance(box, Map) else box.items if isinstance(box, Seq) else []
            return clean_of(*inside) if inside else UNKNOWN
        if isinstance(box, Map) and hashable(key.value):
            return box.items.get(key.value, UNKNOWN)
        if isinstance(box, Seq) and isinstance(key.value, int) and -len(box.items) <= key.value < len(box.items):
            return box.items[key.value]
        if isinstance(box, Const) and isinstance(box.value, str | tuple) and isinstance(key.value, int | slice):
            return _apply(operator.getitem, box, key)
        return UNKNOWN

    def _call(self, node: ast.Call, env: Env) -> Val:
        func = node.func
        args = [self.expr(a, env) for a in node.args]
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return UNKNOWN
        if isinstance(func, ast.Attribute):
            owner_name = name_of(func.value)
            owner = self.expr(func.value, env)
            if isinstance(owner, Seq | Map) and owner_name is not None:
                return self._mutate(owner, owner_name, func.attr, args, env, node.lineno)
            if isinstance(owner, Const) and isinstance(owner.value, str) and func.attr in _STR_METHODS:
                if func.attr == "join" and len(args) == 1 and isinstance(args[0], Seq) and all_const(args[0]):
                    args = [Const([v.value for v in args[0].items if isinstance(v, Const)], frozen(args[0]))]
                folded = _apply(getattr(str, func.attr), owner, *args)
                if not isinstance(folded, _Unknown):
                    return folded
                return clean_of(owner, *args) if template_safe(owner, args, self.sink_class) else UNKNOWN
            if isinstance(owner, Clean) and func.attr in _STR_METHODS:
                return clean_of(owner, *args)
        called = ast.unparse(func)
        if self._neutralizes(called) and args:
            return Clean("neutralized", frozenset({node.lineno}))
        if called in NUMERIC and args:  # whatever went in, a number (or a UUID) comes out
            folded = _apply(_PURE[called], *args) if called in _PURE else UNKNOWN
            return folded if isinstance(folded, Const) else Clean("number", frozenset({node.lineno}))
        pure = _PURE.get(called)
        if pure is not None:
            folded = _apply(pure, *args)
            return folded if isinstance(folded, Const | Seq) else clean_of(*args) if args else UNKNOWN
        for arg in node.args:  # an unknown function may mutate a container it is given
            if (name := name_of(arg)) is not None and isinstance(env.get(name), Seq | Map):
                env[name] = UNKNOWN
        return UNKNOWN

    def _neutralizes(self, called: str) -> bool:
        """A library function that makes the value safe for this sink; the project's own function of the same
        name (defined here or imported relatively) is not that function."""
        head, _, rest = called.partition(".")
        if not rest and head in self.own_functions:
            return False
        qualified = self.aliases.get(head, head) + (f".{rest}" if rest else "")
        return qualified in self.neutralizers or qualified.rsplit(".", 1)[-1] in self.neutralizers

    def _mutate(self, box: Seq | Map, name: str, method: str, args: list[Val], env: Env, line: int) -> Val:
        """List and dict methods on a tracked container; anything else makes it unknown."""
        if isinstance(box, Seq):
            items = box.items
            if method == "append" and len(args) == 1:
                items.append(at(args[0], line))
                return Const(None)
            if method == "pop" and len(items) and (not args or isinstance(args[0], Const)):
                index = args[0].value if args and isinstance(args[0], Const) else -1
                if isinstance(index, int) and -len(items) <= index < len(items):
                    return items.pop(index)
            if method == "insert" and len(args) == 2 and isinstance(args[0], Const) and isinstance(args[0].value, int):
                items.insert(args[0].value, at(args[1], line))
                return Const(None)
            if method == "extend" and len(args) == 1 and isinstance(args[0], Seq):
                items.extend(args[0].items)
                return Const(None)
            if method == "reverse" and not args:
                items.reverse()
                return Const(None)
        elif method == "get" and args and isinstance(args[0], Const) and hashable(args[0].value):
            default = args[1] if len(args) > 1 else Const(None)
            return box.items.get(args[0].value, default)
        elif method == "get" and args:
            return clean_of(*box.items.values(), args[1] if len(args) > 1 else Const(None))
        elif method in ("keys", "values", "items", "copy"):
            return UNKNOWN
        env[name] = UNKNOWN
        return UNKNOWN


def _apply(fn: Any, *vals: Val) -> Val:
    if fn is None or not all(isinstance(v, Const) for v in vals):
        return UNKNOWN
    consts = [v for v in vals if isinstance(v, Const)]
    try:
        out = fn(*(c.value for c in consts))
    except Exception:  # noqa: BLE001 - a fold that fails (1/0, a bad format) is simply not a constant
        return UNKNOWN
    if out is None or (hasattr(out, "__len__") and len(out) > _MAX_LEN):
        return UNKNOWN
    if isinstance(out, list):
        return Seq([Const(x) for x in out], frozen(*consts))
    return Const(out, frozen(*consts))


