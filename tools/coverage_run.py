"""Line and branch coverage of a suite, measured with coverage.py in the sandbox.

The per-test sets recorded by the guard plugin decide which candidate adds coverage; this module gives the
totals a user reads in the report (before: the project's own suite; after: with the kept tests), the
same way ``coverage run --branch`` would print them.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from tools.pytest_sandbox import GUARD_MODULE, Sandbox


@dataclass
class CoverageFigures:
    statements: int = 0
    covered_lines: int = 0
    branches: int = 0
    covered_branches: int = 0
    error: str = ""

    @property
    def line_pct(self) -> float:
        return 100.0 * self.covered_lines / self.statements if self.statements else 0.0

    @property
    def branch_pct(self) -> float:
        return 100.0 * self.covered_branches / self.branches if self.branches else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"line_pct": round(self.line_pct, 1), "branch_pct": round(self.branch_pct, 1),
                "statements": self.statements, "covered_lines": self.covered_lines, "branches": self.branches,
                "covered_branches": self.covered_branches}


def measure(sandbox: Sandbox, targets: list[str], source: str, modules: list[str] | None = None,
            timeout_s: float = 300) -> CoverageFigures:
    """Coverage of ``source`` (directories or module names) when pytest runs ``targets``.

    With no tests the figures are zero of the statements and branches that importing ``modules`` reveals. The
    run is one ``coverage`` use through the sandbox's audited door.
    """
    return sandbox.use("coverage", lambda: _measure(sandbox, targets, source, modules, timeout_s),
                       {"targets": targets[:5], "files": len(targets), "source": source})


def _measure(sandbox: Sandbox, targets: list[str], source: str, modules: list[str] | None,
             timeout_s: float) -> CoverageFigures:
    data = sandbox.tmp / "coverage.data"
    report = sandbox.tmp / "coverage.json"
    for stale in (data, report):
        stale.unlink(missing_ok=True)
    env = sandbox.env()
    base = [sandbox.python, "-m", "coverage"]
    if targets:
        cmd = [*base, "run", "--branch", f"--source={source}", f"--data-file={data}", "-m", "pytest", "-q",
               "-p", GUARD_MODULE, "-p", "no:cacheprovider", "-p", "no:randomly", *targets]
    else:  # nothing to run: import the modules to learn their size, then count nothing as covered
        imports = "; ".join(f"import {m}" for m in modules or []) or "pass"
        cmd = [*base, "run", "--branch", f"--source={source}", f"--data-file={data}", "-c", imports]
    try:
        subprocess.run(cmd, cwd=sandbox.root, env=env, capture_output=True, text=True, timeout=timeout_s)
        out = subprocess.run([*base, "json", f"--data-file={data}", "-o", str(report), "--ignore-errors"],
                             cwd=sandbox.root, env=env, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return CoverageFigures(error=f"coverage run exceeded {timeout_s:.0f} s")
    if not report.exists():
        return CoverageFigures(error=(out.stdout + out.stderr).strip().splitlines()[-1:][0] if out.stderr or out.stdout
                               else "coverage wrote no report")
    totals = json.loads(report.read_text(encoding="utf-8")).get("totals", {})
    ran = bool(targets)
    return CoverageFigures(statements=int(totals.get("num_statements", 0)),
                           covered_lines=int(totals.get("covered_lines", 0)) if ran else 0,
                           branches=int(totals.get("num_branches", 0)),
                           covered_branches=int(totals.get("covered_branches", 0)) if ran else 0)
