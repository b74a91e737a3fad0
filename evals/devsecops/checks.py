"""The two side checks of the eval: Bandit on the Python cases, and re-verifying the autofix patches."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from evals.devsecops.cases import Case, normalize_cwe
from tools.semgrep import run_semgrep
from tools.semgrep_findings import to_findings


def bandit_binary() -> Path | None:
    beside = Path(sys.executable).parent / "bandit"
    if beside.is_file():
        return beside
    found = shutil.which("bandit")
    return Path(found) if found else None


def run_bandit(cases: list[Case], timeout_s: float = 600) -> tuple[dict[str, list[str]], str | None]:
    """CWEs Bandit reports per Python case (``issue_cwe.id``), or ({}, why not) when it cannot run."""
    py = [c for c in cases if c.language == "python"]
    binary = bandit_binary()
    if binary is None:
        return {}, "bandit is not installed (.venv/bin/pip install bandit)"
    if not py:
        return {}, None
    by_file = {str(c.path.resolve()): c.id for c in py}
    try:
        proc = subprocess.run([str(binary), "-f", "json", "-q", *by_file], capture_output=True, text=True,
                              timeout=timeout_s)
        out = json.loads(proc.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return {}, f"bandit failed: {exc}"
    found: dict[str, list[str]] = {c.id: [] for c in py}
    for issue in out.get("results", []):
        case_id = by_file.get(str(Path(issue.get("filename", "")).resolve()))
        cwe = normalize_cwe((issue.get("issue_cwe") or {}).get("id", ""))
        if case_id is not None and cwe and cwe not in found[case_id]:
            found[case_id].append(cwe)
    return found, None


@dataclass
class FixToCheck:
    case: Case
    rule_id: str
    path: str
    patch: str
    before: int  # how many findings of this rule the case file had before the fix


def verify_fixes(fixes: list[FixToCheck], rules: list[Path], timeout_s: float) -> list[str]:
    """Apply each patch to a copy of its case and rescan them all in one Semgrep run.

    A fix verifies when ``git apply`` takes it cleanly and the rescan reports fewer findings of its rule in
    that file. Returns one line per fix that does not verify (empty when all do).
    """
    failures: list[str] = []
    if not fixes:
        return failures
    with tempfile.TemporaryDirectory(prefix="opsquad-eval-fix-") as tmp:
        applied: list[tuple[int, FixToCheck]] = []
        for i, fix in enumerate(fixes):
            work = Path(tmp) / str(i)
            shutil.copytree(fix.case.dir, work)
            proc = subprocess.run(["git", "apply", "--whitespace=nowarn", "-"], cwd=work, input=fix.patch,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                failures.append(f"{fix.case.id}: patch does not apply: {proc.stderr.strip()[:120]}")
                continue
            applied.append((i, fix))
        if not applied:
            return failures
        scan = run_semgrep([Path(tmp) / str(i) / f.path for i, f in applied], rules, Path(tmp), timeout_s, 1)
        after: dict[tuple[str, str], int] = {}
        for f in to_findings(scan, Path(tmp)):
            loc = f.location
            if loc is not None and loc.kind == "file":
                key = (loc.path, f.rule_id)
                after[key] = after.get(key, 0) + 1
        for i, fix in applied:
            left = after.get((f"{i}/{fix.path}", fix.rule_id), 0)
            if left >= fix.before:
                failures.append(f"{fix.case.id}: rescan still reports {fix.rule_id}")
    return failures
