"""Inline suppressions: ``nosemgrep`` and ``opsquad: ignore[RULE] reason`` comments.

Semgrep runs with ``--disable-nosem`` so suppressed results still come back; we mark them suppressed here,
with the comment's reason, instead of letting them vanish. A reviewer can see what a change silenced.
"""

from __future__ import annotations

import re
from pathlib import Path

from opsquad.findings import FileLocation, Finding, Suppression

_NOSEMGREP = re.compile(r"nosemgrep(?::\s*([\w.,\- ]+))?", re.IGNORECASE)
_OPSQUAD = re.compile(r"opsquad:\s*ignore(?:\[([\w.,\- ]+)\])?\s*(.*)", re.IGNORECASE)


def _matches(rules: str | None, rule_id: str) -> bool:
    if not rules:
        return True
    wanted = {r.strip() for r in rules.split(",") if r.strip()}
    return any(rule_id == w or rule_id.endswith("." + w) or rule_id.endswith(w) for w in wanted)


def inline_reason(lines: list[str], loc: FileLocation, rule_id: str) -> str | None:
    """The suppression text if the flagged lines (or the line above them) carry one for this rule."""
    candidates = [loc.start_line - 1, *range(loc.start_line, loc.end_line + 1)]
    for n in candidates:
        if not 1 <= n <= len(lines):
            continue
        text = lines[n - 1]
        m = _OPSQUAD.search(text)
        if m and _matches(m.group(1), rule_id):
            reason = m.group(2).strip().rstrip("*/-> ").strip()
            return f"opsquad: ignore: {reason}" if reason else "opsquad: ignore (no reason given)"
        m2 = _NOSEMGREP.search(text)
        if m2 and _matches(m2.group(1), rule_id):
            return "nosemgrep comment"
    return None


def apply_inline(root: Path, findings: list[Finding]) -> list[Finding]:
    cache: dict[str, list[str]] = {}
    out = []
    for f in findings:
        loc = f.location
        if isinstance(loc, FileLocation) and f.suppression is None:
            if loc.path not in cache:
                try:
                    cache[loc.path] = (root / loc.path).read_text(encoding="utf-8", errors="replace").splitlines()
                except OSError:
                    cache[loc.path] = []
            reason = inline_reason(cache[loc.path], loc, f.rule_id)
            if reason:
                f = f.model_copy(update={"suppression": Suppression(kind="inline", justification=reason)})
        out.append(f)
    return out
