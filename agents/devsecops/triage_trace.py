"""Trace how a flagged value is built inside its function, and find the safeguards on the way — in code.

A 1.5B model cannot reliably follow data flow or copy the line a claim rests on, but it can judge a short list
of candidates. This module does the mechanical part with plain text analysis (no interpreter parser, so code
in newer Python syntax still works): assignments, `with ... as` and `for` targets, method calls that feed a
traced object (`tmp.write(upload.read())`), `if`/`assert` guards that mention a traced name, the function's
parameters, and the module-level definitions it refers to. Lines that look like a safeguard (escape/quote
calls, allow-list checks or lookups in a constant table, sandboxes, number conversions, user verification)
become numbered candidates; lines that read request data become untrusted sources.

A safeguard can only make a finding safe when it *covers* every untrusted source: the names a source line
assigns (or the parameters it brings in) must pass through some safeguard line. That keeps a `float()` on one
input from excusing an unchecked other input on the same sink.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from agents.devsecops.code_context import indent, statement_end

UNTRUSTED = re.compile(r"request|\binput\(|argv|\benviron\b|getenv|\.args\b|\.form\b|\bparams\b|query_params|"
                       r"\bbody\b|recv|urlopen|upload|\.files\b|headers|cookies|sys\.stdin|\bevent\[|\breq\.", re.I)
SAFEGUARDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("escapes or quotes the value", re.compile(r"\b\w*(quote|escape|sanitiz|bleach|secure_filename)\w*\(", re.I)),
    ("checks the value against a fixed allow-list", re.compile(r"\bnot\s+in\s+[A-Z_][A-Z0-9_]{2,}|"
                                                               r"\bin\s+[A-Z_][A-Z0-9_]{2,}|\bin\s*[({\[]['\"]")),
    ("looks the value up in a fixed table (only the table's values come out)",
     re.compile(r"(?<![.\w])_?[A-Z][A-Z0-9_]{2,}(\.get\(|\[)")),
    ("uses a sandboxed environment", re.compile(r"sandbox", re.I)),
    ("keeps the path inside a base directory", re.compile(r"commonpath\(|is_relative_to\(|\.startswith\(\s*("
                                                           r"[A-Z_][A-Z0-9_]{2,}|(base|root|upload)\w*)\b")),
    ("accepts only a relative or known-host URL", re.compile(r"url_has_allowed_host_and_scheme|is_safe_url|"
                                                              r"\.netloc\b|startswith\(\s*['\"]/['\"].*['\"]//")),
    ("converts the value to a number or generates it", re.compile(r"\bint\(|\bfloat\(|\buuid\d?\(|\.hex\b|"
                                                                   r"isdigit\(|isdecimal\(")),
    ("verifies the user before using the value", re.compile(r"check_password|verify\w*\(|authenticate\(|"
                                                             r"is_authenticated")),
)
SAFE_PARAM_TYPES = re.compile(r"^\s*(int|float|bool|UUID|uuid\.UUID|date|datetime|Decimal)\b")
_DEF = re.compile(r"\s*(async\s+)?def\s+\w+\s*\(")
_GUARD = re.compile(r"\s*(if|elif|assert|while)\b")
_IMPORT = re.compile(r"\s*(from\s+\S+\s+)?import\s")
_NAME = re.compile(r"[A-Za-z_]\w*")
_FSTART = re.compile(r"\b[fF][rR]?(['\"])")
_STRING = re.compile(r"(['\"])(?:\\.|(?!\1).)*\1")
_KEYWORDS = {"if", "else", "elif", "for", "in", "not", "and", "or", "return", "with", "as", "def", "None", "True",
             "False", "is", "lambda", "await", "async", "from", "import", "self", "cls", "assert", "while"}


@dataclass
class Flow:
    """What code found: traced lines, candidate safeguards (line, label), parameters, untrusted source lines."""

    lines: list[int] = field(default_factory=list)
    safeguards: list[tuple[int, str]] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    uncovered: list[int] = field(default_factory=list)
    sink: int = 0
    closed: bool = False  # inside a function that takes no parameters and reads no request data anywhere

    @property
    def untrusted(self) -> bool:
        return bool(self.params or self.sources)


def _strip_fstrings(text: str) -> str:
    """Replace each f-string by its {expressions}; quotes inside braces (PEP 701) do not end the string."""
    out, i = [], 0
    while i < len(text):
        m = _FSTART.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i:m.start()] + " ")
        quote, j, depth = m.group(1), m.end(), 0
        expr: list[str] = []
        while j < len(text):
            c = text[j]
            if depth == 0 and c == quote:
                break
            if c == "{":
                depth += 1
                if depth == 1:
                    j += 1
                    continue
            elif c == "}" and depth:
                depth -= 1
                if depth == 0:
                    expr.append(" ")
            if depth:
                expr.append(c)
            j += 1
        out.append(" " + "".join(expr) + " ")
        i = j + 1
    return "".join(out)


def names(text: str) -> set[str]:
    """Identifiers in code: f-strings contribute only their {expressions}, other string literals nothing."""
    code = _STRING.sub(" ", _strip_fstrings(text))
    return {n for n in _NAME.findall(code) if n not in _KEYWORDS}


def _assigned(text: str) -> set[str]:
    """Names a line binds: `a = ...`, `a, b = ...`, `a: T = ...`, `with ... as a`, `for a in ...`."""
    out: set[str] = set()
    m = re.match(r"\s*([\w\s,.\[\]\"']+?)\s*(?::[^=]+)?=(?!=)", text)
    if m and not _GUARD.match(text):
        out |= {n for n in _NAME.findall(m.group(1)) if n not in _KEYWORDS and "." not in m.group(1)}
    out |= set(re.findall(r"\bas\s+(\w+)", text))
    fm = re.match(r"\s*(?:async\s+)?for\s+([\w\s,]+?)\s+in\b", text)
    if fm:
        out |= set(_NAME.findall(fm.group(1)))
    return out


def _feeds(text: str, name: str) -> bool:
    """`name.write(x)`, `name.update(...)`: a statement that puts data into a traced object."""
    return bool(re.match(rf"\s*(await\s+)?{re.escape(name)}\.\w+\(.+\)\s*$", text))


def _def_line(lines: list[str], first: int, start: int) -> int | None:
    for k in range(first, min(start, first + 12) + 1):
        if _DEF.match(lines[k - 1]):
            return k
    return None


def _signature(lines: list[str], def_at: int) -> tuple[str, int]:
    """The whole `def ...(...)` header joined into one line, and the line number where it ends."""
    end = statement_end(lines, def_at, def_at, 20) or min(len(lines), def_at + 20)
    return " ".join(_STRING.sub('""', lines[k - 1]).strip() for k in range(def_at, end + 1)), end


def _params(header: str) -> set[str]:
    """Parameter names; a parameter typed as a number, bool, UUID or date cannot carry an injection."""
    sig = header.split("(", 1)[1].rsplit(")", 1)[0] if "(" in header else ""
    out = set()
    for part in re.split(r",(?![^\[(]*[\])])", sig):
        name, _, rest = part.partition(":")
        name = name.split("=")[0].strip().lstrip("*")
        if not name.isidentifier() or name in ("self", "cls"):
            continue
        if SAFE_PARAM_TYPES.match(rest.split("=")[0]):
            continue
        out.add(name)
    return out


def flagged_range(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """Extend the flagged lines over a statement's continuation lines (open brackets)."""
    return start, statement_end(lines, start, end, 15) or end


Fits = Callable[[str, str], bool]


def trace(lines: list[str], block: tuple[int, int], flagged: tuple[int, int], module: list[int],
          fits: Fits | None = None) -> Flow:
    """Lines (1-based) that build the flagged value inside its block, plus the module lines it refers to;
    ``fits(label, line)`` says whether a candidate safeguard neutralizes this finding's sink at all."""
    first, _last = block
    start, end = flagged_range(lines, *flagged)
    flow = Flow(sink=start)
    def_at = _def_line(lines, first, start)
    params: set[str] = set()
    if def_at is not None:
        header, first = _signature(lines, def_at)
        params = _params(header)
        takes = re.sub(r"\b(self|cls)\b\s*,?", "", header.split("(", 1)[1].rsplit(")", 1)[0]).strip()
        flow.closed = not takes and not any(UNTRUSTED.search(t) for t in lines[def_at - 1:block[1]])
    seen: set[int] = set(range(start, end + 1))
    work = [(n, start) for k in range(start, end + 1) for n in sorted(names(lines[k - 1]), reverse=True)]
    done: set[tuple[str, int]] = set()
    while work and len(seen) < 18:
        name, before = work.pop()
        if (name, before) in done:
            continue
        done.add((name, before))
        for k in range(before - 1, first, -1):
            text = lines[k - 1]
            if _feeds(text, name) and k not in seen:
                seen.add(k)
                work.extend((n, k) for n in sorted(names(text) - {name}, reverse=True))
            if name in _assigned(text):
                if k not in seen:
                    seen.add(k)
                    rhs = text.split("=", 1)[-1] if "=" in text else text
                    work.extend((n, k) for n in sorted(names(rhs) - {name}, reverse=True))
                if indent(text) <= indent(lines[before - 1]):
                    break  # an assignment nested deeper may not run: the earlier definition still reaches
        else:
            if name in params and name not in flow.params:
                flow.params.append(name)
    traced = set().union(*(names(lines[j - 1]) for j in seen))
    for k in range(first + 1, start):  # guards on the way: `if x not in ALLOWED: abort()`, `if not check(...)`
        if _GUARD.match(lines[k - 1]) and names(lines[k - 1]) & traced:
            seen.add(k)
    used = set().union(*(names(lines[j - 1]) for j in seen))
    flow.lines = sorted(seen | {k for k in module if _assigned(lines[k - 1]) & used or _IMPORT.match(lines[k - 1])
                                and names(lines[k - 1]) & used})
    for k in flow.lines:
        text = lines[k - 1]
        if _IMPORT.match(text):
            continue
        if UNTRUSTED.search(text):
            flow.sources.append(k)
        for label, pat in SAFEGUARDS:
            if pat.search(text) and len(flow.safeguards) < 6 and (fits is None or fits(label, text)):
                flow.safeguards.append((k, label))
                break
    flow.uncovered = _uncovered(lines, flow, def_at)
    return flow


def _uncovered(lines: list[str], flow: Flow, def_at: int | None) -> list[int]:
    """Untrusted source lines (and the def line, for parameters) whose data still reaches the sink: taint flows
    forward through the traced lines, per value, not per source line (one JSON body feeds several values); the
    result of a safeguard line is clean, a check (``if x not in ALLOWED:``) validates the names it checks, and a
    line that rebinds a name from clean data clears it."""
    guard_lines = {k for k, _ in flow.safeguards}
    sink_lines = [j for j in flow.lines if j >= flow.sink] or [flow.sink]
    sink_names = set().union(*(names(lines[j - 1]) for j in sink_lines))
    sandboxes = {k for k, label in flow.safeguards if "sandbox" in label and _assigned(lines[k - 1]) & sink_names}
    if sandboxes or guard_lines & set(sink_lines):  # the sink runs in a sandbox, or applies the safeguard itself
        return []
    starts = [(k, _assigned(lines[k - 1]) or names(lines[k - 1])) for k in flow.sources]
    if def_at is not None and flow.params:
        starts.append((def_at, set(flow.params)))
    sink_indent = indent(lines[flow.sink - 1])
    out = []
    for k, bound in starts:
        if k in guard_lines:
            continue
        tainted = set(bound)
        for j in flow.lines:
            if j <= k or j >= flow.sink:
                continue
            text = lines[j - 1]
            binds, used = _assigned(text), names(text) & tainted
            runs_always = indent(text) <= sink_indent  # nested deeper: a branch that may not run
            if j in guard_lines:
                tainted -= (binds or used) if runs_always else set()
            elif used:
                tainted |= binds or names(text)
            elif runs_always:
                tainted -= binds
        if k in sink_lines or tainted & sink_names:
            out.append(k)
    return sorted(out)
