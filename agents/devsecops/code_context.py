"""Compact code context for a finding: the enclosing function, found without the running interpreter's parser.

Scanned code may use syntax newer than the Python running opsquad (3.12 f-strings, 3.14 template strings),
or be JavaScript, YAML or a Dockerfile. So the enclosing block is found from indentation (Python) or brace
matching (C-like languages), which works on any file Semgrep could scan, parseable or not. Long blocks are
cut around the flagged lines so prompts stay short.
"""

from __future__ import annotations

import re
from pathlib import Path

from opsquad.findings import FileLocation

_PY_DEF = re.compile(r"^\s*(async\s+def|def|class)\s+\w+")
_BRACE_FN = re.compile(r"\bfunction\b|=>\s*\{?\s*$|^\s*(async\s+)?[\w$]+\s*\([^;]*\)\s*\{\s*$|\bfunc\b")
_CONTROL = re.compile(r"^\s*(\}\s*)?(if|else|for|while|switch|catch|try|do)\b")
BRACE_EXT = {".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".java", ".go", ".c", ".cc", ".cpp", ".cs", ".php",
             ".rs", ".kt", ".swift", ".scala"}


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def python_block(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """1-based (first, last) of the innermost def/class around lines start..end, by indentation."""
    flagged_indent = min((indent(lines[n - 1]) for n in range(start, end + 1) if lines[n - 1].strip()), default=0)
    first = None
    for n in range(start, 0, -1):
        text = lines[n - 1]
        if _PY_DEF.match(text) and indent(text) < flagged_indent or (n == start and _PY_DEF.match(text)):
            first = n
            break
    if first is None:
        return start, end
    while first > 1 and lines[first - 2].lstrip().startswith("@"):  # keep decorators (route, auth)
        first -= 1
    head_indent = indent(lines[first - 1])
    last = end
    for n in range(end + 1, len(lines) + 1):
        text = lines[n - 1]
        if text.strip() and indent(text) <= head_indent and not text.lstrip().startswith((")", "]", "}")):
            break
        if text.strip():
            last = n
    return first, last


def brace_block(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """1-based (first, last) of the nearest enclosing function in a brace language."""
    depth, first = 0, None
    for n in range(start - 1, 0, -1):
        text = lines[n - 1]
        depth += text.count("}") - text.count("{")
        if depth < 0:  # this line opens a block that contains the finding
            if _BRACE_FN.search(text) and not _CONTROL.match(text):
                first = n
                break
            depth = 0
    if first is None:
        return start, end
    balance, last = 0, end
    for n in range(first, len(lines) + 1):
        balance += lines[n - 1].count("{") - lines[n - 1].count("}")
        last = n
        if n >= end and balance <= 0:
            break
    return first, last


def enclosing_block(path: str, lines: list[str], start: int, end: int) -> tuple[int, int]:
    suffix = Path(path).suffix.lower()
    start, end = max(1, min(start, len(lines))), max(1, min(end, len(lines)))
    if suffix in (".py", ".pyi"):
        return python_block(lines, start, end)
    if suffix in BRACE_EXT:
        return brace_block(lines, start, end)
    return start, end


_PY_TOP = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=[^=]|^(?:from\s+\S+\s+)?import\s+(.+)$")
_WORD = re.compile(r"[A-Za-z_]\w*")


_STRING_LITERAL = re.compile(r"(['\"])(?:\\.|(?!\1).)*\1")


def bracket_depth(text: str) -> int:
    """Opened minus closed brackets on a line, outside string literals."""
    code = _STRING_LITERAL.sub("", text)
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def statement_end(lines: list[str], start: int, end: int, limit: int) -> int | None:
    """Last line (1-based) of the statement that starts on `start` and reaches at least `end`, following open
    brackets over at most `limit` more lines; None when the brackets do not close within them."""
    depth = 0
    for k in range(start, min(len(lines), start + limit) + 1):
        depth += bracket_depth(lines[k - 1])
        if k >= end and depth <= 0:
            return k
    return None


def module_lines(path: str, lines: list[str], first: int, last: int, cap: int = 10) -> list[int]:
    """1-based numbers of module-level assignments and imports the block refers to.

    An allow-list, a sandboxed environment or a constant defined at the top of the file decides many findings;
    without it the model sees only a name. Python only; a multi-line assignment is kept up to 4 lines.
    """
    if Path(path).suffix.lower() not in (".py", ".pyi"):
        return []
    used = set(_WORD.findall("\n".join(lines[first - 1:last])))
    out: list[int] = []
    for n, text in enumerate(lines[:first - 1], start=1):
        m = _PY_TOP.match(text)
        if not m:
            continue
        names = {m.group(1)} if m.group(1) else {w.split(" as ")[-1].strip() for w in m.group(2).split(",")}
        if not names & used:
            continue
        last = min(statement_end(lines, n, n, 3) or n + 3, first - 1)
        out += range(n, last + 1)
        if len(out) >= cap:
            break
    return out[:cap]


def snippet(root: Path, loc: FileLocation, max_lines: int = 40, radius: int = 4) -> str:
    """Numbered lines of the enclosing block (or ±radius), '>' marking the flagged ones, at most max_lines."""
    try:
        lines = (root / loc.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    if not lines:
        return ""
    first, last = enclosing_block(loc.path, lines, loc.start_line, loc.end_line)
    if first == loc.start_line and last == loc.end_line:
        first, last = max(1, first - radius), min(len(lines), last + radius)
    shown = list(range(first, last + 1))
    if len(shown) > max_lines:  # keep the signature line and a window around the finding
        lo = max(first + 1, loc.start_line - max_lines // 2)
        hi = min(last, lo + max_lines - 2)
        shown = [first, *range(lo, hi + 1)]
    context = [n for n in module_lines(loc.path, lines, first, last) if n < shown[0]]
    shown = sorted(set(context) | set(shown))
    out, prev = [], None
    for n in shown:
        if prev is not None and n != prev + 1:
            out.append("     …")
        mark = ">" if loc.start_line <= n <= loc.end_line else " "
        out.append(f"{n:>4}{mark} {lines[n - 1]}")
        prev = n
    return "\n".join(out)


def normalized_code(root: Path, loc: FileLocation) -> str:
    """The flagged lines with whitespace collapsed: the cache key of a verdict survives reformatting."""
    try:
        lines = (root / loc.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    first, last = enclosing_block(loc.path, lines, loc.start_line, loc.end_line)
    return "\n".join(" ".join(ln.split()) for ln in lines[first - 1:last] if ln.strip())
