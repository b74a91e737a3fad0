"""Verified autofix: a patch is offered only when the engine's re-check says it works.

The model proposes replacement lines for the flagged region. The patch must apply cleanly, the file must
still parse (Semgrep reports no new parse error; for Python whose original parsed here, ``ast`` agrees),
the rescan must no longer report the finding, and no new finding may appear. Anything else: no fix is
offered, and the reason is recorded.
"""

from __future__ import annotations

import ast
import difflib
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from opsquad.findings import FileLocation, Finding
from tools.semgrep import run_semgrep
from tools.semgrep_findings import to_findings

FIX_SYSTEM = ("You fix one security finding with the smallest change. Return the lines that replace the flagged "
              "lines (same indentation, same behaviour for valid input). Keep the rest of the file as it is. "
              "If a safe fix needs a new import, you may not add it: prefer a fix that needs none.")


class FixAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    explanation: str = Field(max_length=200)
    replacement: list[str] = Field(max_length=12, description="Lines that replace the flagged lines.")


@dataclass
class FixOutcome:
    patch: str | None
    reason: str


def fix_prompt(f: Finding, loc: FileLocation, lines: list[str], context: str) -> str:
    flagged = "\n".join(lines[loc.start_line - 1:loc.end_line])
    return (f"Finding: {f.title} ({', '.join(f.cwe) or f.rule_id})\n{f.message}\nRemediation hint: {f.remediation}\n"
            f"Context:\n{context}\nFlagged lines {loc.start_line}-{loc.end_line}:\n{flagged}")


def reindent(original_first: str, replacement: list[str]) -> list[str]:
    """Small models often drop the indentation: shift the replacement to the flagged line's indentation."""
    want = len(original_first) - len(original_first.lstrip())
    present = [len(r) - len(r.lstrip()) for r in replacement if r.strip()]
    have = min(present, default=want)
    if have >= want:
        return replacement
    pad = original_first[:want - have]
    return [pad + r if r.strip() else r for r in replacement]


def make_patch(path: str, lines: list[str], loc: FileLocation, replacement: list[str]) -> tuple[str, list[str]]:
    replacement = reindent(lines[loc.start_line - 1], replacement)
    new = lines[:loc.start_line - 1] + replacement + lines[loc.end_line:]
    diff = difflib.unified_diff([ln + "\n" for ln in lines], [ln + "\n" for ln in new],
                                fromfile=f"a/{path}", tofile=f"b/{path}", n=2)
    return "".join(diff), new


def _undefined_names(path: str, text: str) -> set[str]:
    """Names pyflakes reports as undefined: a fix must not use what the file never imports or defines."""
    from pyflakes.api import check
    from pyflakes.reporter import Reporter

    class Collect(Reporter):
        def __init__(self) -> None:
            self.names: set[str] = set()

        def flake(self, message: object) -> None:
            if type(message).__name__ == "UndefinedName":
                self.names.add(str(getattr(message, "message_args", ("?",))[0]))

        def syntaxError(self, *_a: object) -> None:  # noqa: N802 - pyflakes' API
            self.names.add("<syntax error>")

        def unexpectedError(self, *_a: object) -> None:  # noqa: N802 - pyflakes' API
            pass

    rep = Collect()
    check(text, path, rep)
    return rep.names


def _parses(path: str, text: str) -> bool:
    try:
        ast.parse(text, filename=path)
    except (SyntaxError, ValueError):
        return False
    return True


def verify(root: Path, f: Finding, new_lines: list[str], rules: list[Path], timeout_s: float) -> str | None:
    """None when the patched file is verified; otherwise why not."""
    loc = f.location
    assert isinstance(loc, FileLocation)
    original = (root / loc.path).read_text(encoding="utf-8", errors="replace")
    patched = "\n".join(new_lines) + ("\n" if original.endswith("\n") else "")
    if loc.path.endswith(".py") and _parses(loc.path, original):
        if not _parses(loc.path, patched):
            return "the patched file no longer parses"
        new_names = _undefined_names(loc.path, patched) - _undefined_names(loc.path, original)
        if new_names:
            return f"the fix uses undefined name(s): {', '.join(sorted(new_names))}"
    with tempfile.TemporaryDirectory(prefix="opsquad-fix-") as tmp:
        target = Path(tmp) / loc.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(patched, encoding="utf-8")
        orig_copy = Path(tmp) / "__orig__" / loc.path
        orig_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / loc.path, orig_copy)
        run = run_semgrep([target, orig_copy], rules, Path(tmp), timeout_s, 1)
        if any("arse" in str(e) and loc.path in str(e) and "__orig__" not in str(e) for e in run.errors):
            return "Semgrep cannot parse the patched file"
        found = to_findings(run, Path(tmp))
    after = Counter(x.rule_id for x in found if isinstance(x.location, FileLocation) and x.location.path == loc.path)
    prior = Counter(x.rule_id for x in found if isinstance(x.location, FileLocation)
                    and x.location.path == f"__orig__/{loc.path}")
    if after[f.rule_id] >= prior[f.rule_id]:
        return "the rescan still reports the finding"
    new_rules = [r for r in after if after[r] > prior[r]]
    if new_rules:
        return f"the fix introduces a new finding ({new_rules[0]})"
    return None
