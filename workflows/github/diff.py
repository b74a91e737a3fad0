"""Which lines of a pull request take an inline comment, and a verified fix as a GitHub suggestion.

GitHub rejects a review comment on a line outside the diff (422), and a comment on an untouched line is noise
the author did not ask for, so comments go on *added* lines only, read from the ``patch`` of each file that
``GET /pulls/{n}/files`` returns (the same ``base...head`` diff the review scanned). A ``suggestion`` block
replaces the commented lines with its content when the author clicks "Commit suggestion", so it is offered
only when the finding's ``fix_patch`` (a verified autofix) is one contiguous change whose replaced lines are
all added lines of this pull request; otherwise the fix is shown as a plain diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opsquad.findings import FileLocation, Finding

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def added_lines(patch: str) -> set[int]:
    """New-side numbers of the ``+`` lines of one file's patch (GitHub's per-file patch has no headers)."""
    lines: set[int] = set()
    new_no = 0
    in_hunk = False
    for line in patch.splitlines():
        m = _HUNK.match(line)
        if m:
            new_no, in_hunk = int(m[3]), True
        elif not in_hunk or line.startswith("\\"):
            continue
        elif line.startswith("+"):
            lines.add(new_no)
            new_no += 1
        elif line.startswith(" ") or line == "":
            new_no += 1
    return lines


def commentable(files: list[dict[str, Any]]) -> dict[str, set[int]]:
    """filename -> added line numbers, from the ``/pulls/{n}/files`` listing (no patch: binary or too big)."""
    out: dict[str, set[int]] = {}
    for f in files:
        name, patch = f.get("filename"), f.get("patch")
        if isinstance(name, str) and f.get("status") != "removed":
            out[name] = added_lines(patch) if isinstance(patch, str) else set()
    return out


@dataclass(frozen=True)
class Suggestion:
    """Replace lines ``start..end`` (head side, inclusive) with ``text`` (no trailing newline)."""

    start: int
    end: int
    text: str


def _hunks(patch: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(file paths named by ``+++`` headers, [(old start, body lines)]) of a unified diff."""
    paths: list[str] = []
    hunks: list[tuple[int, list[str]]] = []
    for line in patch.splitlines():
        if line.startswith("+++ "):
            name = line[4:].split("\t")[0].strip()
            paths.append(name[2:] if name.startswith("b/") else name)
            continue
        if line.startswith("--- "):
            continue
        m = _HUNK.match(line)
        if m:
            hunks.append((int(m[1]), []))
        elif hunks and not line.startswith("\\"):
            hunks[-1][1].append(line if line else " ")
    return paths, hunks


def suggestion(fix_patch: str, path: str) -> Suggestion | None:
    """The one contiguous change of ``fix_patch`` on ``path`` as a suggestion; ``None`` if it is not that."""
    paths, hunks = _hunks(fix_patch)
    if paths != [path] or len(hunks) != 1:
        return None
    old_start, body = hunks[0]
    numbered: list[tuple[str, str, int]] = []  # (tag, text, old line number or next old line for '+')
    old_no = old_start
    for line in body:
        tag, text = line[:1], line[1:]
        if tag not in " +-":
            return None
        numbered.append((tag, text, old_no))
        if tag != "+":
            old_no += 1
    changed = [i for i, (tag, _t, _n) in enumerate(numbered) if tag != " "]
    if not changed:
        return None
    first, last = changed[0], changed[-1]
    if not any(tag == "-" for tag, _t, _n in numbered[first:last + 1]):
        # A pure insertion replaces nothing: widen it by the context line before (or after) it.
        if first > 0:
            first -= 1
        elif last + 1 < len(numbered):
            last += 1
        else:
            return None
    window = numbered[first:last + 1]
    olds = [n for tag, _t, n in window if tag != "+"]
    new_text = [t for tag, t, _n in window if tag != "-"]
    return Suggestion(start=min(olds), end=max(olds), text="\n".join(new_text))


@dataclass(frozen=True)
class Placement:
    """Where an inline comment goes: ``line`` (and ``start_line`` for a range) on the head side."""

    path: str
    line: int
    start_line: int | None = None
    suggestion: Suggestion | None = None

    def api_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT"}
        if self.start_line is not None and self.start_line < self.line:
            out.update(start_line=self.start_line, start_side="RIGHT")
        return out


def place(finding: Finding, added: dict[str, set[int]], fix_patch: str | None = None) -> Placement | None:
    """Where ``finding`` can be commented on this pull request, with a suggestion when ``fix_patch`` fits.

    ``fix_patch`` is passed separately (not read from the finding) so the caller can hand in the redacted
    copy, or none at all when redaction changed it.
    """
    loc = finding.location
    if not isinstance(loc, FileLocation):
        return None
    lines = added.get(loc.path, set())
    span = range(loc.start_line, max(loc.start_line, loc.end_line) + 1)
    if fix_patch:
        sug = suggestion(fix_patch, loc.path)
        if sug is not None and all(n in lines for n in range(sug.start, sug.end + 1)):
            return Placement(loc.path, sug.end, sug.start if sug.start < sug.end else None, sug)
    on_added = [n for n in span if n in lines]
    if not on_added:
        return None
    if len(on_added) == len(span) and len(span) > 1:
        return Placement(loc.path, span[-1], span[0])
    return Placement(loc.path, on_added[0])
