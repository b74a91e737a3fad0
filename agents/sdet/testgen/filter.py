"""The execution half of the filter: a candidate is kept only if it imports, passes 5 runs out of 5, and adds
line or branch coverage that the suite so far (the project's tests plus the tests kept before it) lacks.

Candidates of one batch run in one pytest process, each in its own file (a broken import in one does not
take the others down), repeated by the guard plugin, with each test's own coverage recorded on its first run.
Failing candidates get the deterministic oracle repair first (see ``oracle.py``); what still fails goes back
to the model with its error for a bounded number of rounds, or is discarded with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from agents.sdet.testgen import oracle
from agents.sdet.testgen.candidates import Candidate, file_text, static_check
from tools.pytest_sandbox import PytestRun, Sandbox

Lines = set[tuple[str, int]]
Arcs = set[tuple[str, int, int]]


@dataclass
class CoverageState:
    """Lines and arcs some kept (or existing) test already executes."""

    lines: Lines = field(default_factory=set)
    arcs: Arcs = field(default_factory=set)

    def gain(self, lines: Lines, arcs: Arcs) -> tuple[int, int]:
        return len(lines - self.lines), len({a for a in arcs if a[1] > 0 and a[2] > 0} - self.arcs)

    def add(self, lines: Lines, arcs: Arcs) -> None:
        self.lines |= lines
        self.arcs |= {a for a in arcs if a[1] > 0 and a[2] > 0}

    def uncovered(self, path: Path, start: int, end: int, executable: set[int]) -> set[int]:
        have = {n for f, n in self.lines if f == str(path)}
        return {n for n in range(start, end + 1) if n in executable and n not in have}


def short_error(message: str) -> str:
    """The most telling line of a pytest failure: the E-line with the exception, else the last line."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    errors = [ln[1:].strip() for ln in lines if ln.startswith("E ")]
    for ln in errors:
        if re.match(r"^\w+(Error|Exception|Exit|Interrupt)\b|^assert |^Failed:", ln):
            return ln[:200]
    return (errors[0] if errors else (lines[-1] if lines else "failed"))[:200]


@dataclass
class BatchOutcome:
    passing: list[Candidate] = field(default_factory=list)
    failing: list[tuple[Candidate, str]] = field(default_factory=list)  # (candidate, full error text)
    tests_s: float = 0.0


class CandidateRunner:
    """Runs candidates in the sandbox; ``head`` maps a module to its import header."""

    def __init__(self, sandbox: Sandbox, source: str, repeat: int = 5) -> None:
        self.sandbox = sandbox
        self.source = source
        self.repeat = repeat
        self.coverage: dict[int, tuple[Lines, Arcs]] = {}
        self.cand_dir = sandbox.gen_dir / "candidates"
        self.cand_dir.mkdir(parents=True, exist_ok=True)

    def _file(self, cand: Candidate) -> Path:
        return self.cand_dir / f"test_opsquad_c{cand.id}.py"

    def run(self, batch: list[tuple[Candidate, str]]) -> BatchOutcome:
        """Static checks, then 5 repeated runs with per-test coverage; sorts candidates into pass / fail."""
        out = BatchOutcome()
        runnable: list[Candidate] = []
        for cand, head in batch:
            reason = static_check(cand, head)
            if reason:
                cand.discard(reason)
                continue
            cand.stage = "parsed"
            cand.parsed = True
            self._file(cand).write_text(file_text(head, cand), encoding="utf-8")
            runnable.append(cand)
        if not runnable:
            return out
        files = [self._file(c) for c in runnable]
        run = self.sandbox.pytest([str(f.relative_to(self.sandbox.root)) for f in files], repeat=self.repeat,
                                  repeat_files=[f.name for f in files], coverage_source=Path(self.source),
                                  timeout_s=30 + 10 * len(files) * self.repeat)
        out.tests_s += run.duration_s
        for cand, file in zip(runnable, files, strict=True):
            self._sort(cand, file, run, out)
        return out

    def _sort(self, cand: Candidate, file: Path, run: PytestRun, out: BatchOutcome) -> None:
        rel = str(file.relative_to(self.sandbox.root))
        nodeid = f"{rel}::{cand.name}"
        if rel in run.collect_errors:
            out.failing.append((cand, run.collect_errors[rel]))
            return
        outcome = run.outcome(nodeid)
        if outcome is None:
            why = "timed out" if run.timed_out else "did not run"
            out.failing.append((cand, f"{why}: {run.output_tail[-600:]}"))
            return
        if outcome.passed == self.repeat and outcome.failed == 0:
            cand.stage = "passing"
            cand.passed = True
            self.coverage[cand.id] = run.coverage.get(nodeid, (set(), set()))
            out.passing.append(cand)
        elif outcome.passed > 0:
            cand.discard(f"flaky: passed {outcome.passed} of {outcome.runs} runs")
        else:
            out.failing.append((cand, outcome.message))

    def oracle_repair(self, failing: list[tuple[Candidate, str, str]], modules: set[str]) -> list[Candidate]:
        """Rewrite failing candidates to assert observed behaviour; returns the rewritten ones (not yet run)."""
        repaired: list[Candidate] = []
        todo: list[tuple[Candidate, str, Path, int]] = []
        for cand, head, _err in failing:
            obs = self.sandbox.tmp / f"obs-{cand.id}.jsonl"
            obs.unlink(missing_ok=True)
            inst = oracle.instrument(cand.code, obs)
            if inst is None:
                continue
            text, count = inst
            path = self.cand_dir / f"test_opsquad_obs{cand.id}.py"
            extra = "\n".join(cand.imports)
            path.write_text(f"{head}\n{extra}\n\n{text}", encoding="utf-8")
            todo.append((cand, head, obs, count))
        if not todo:
            return repaired
        targets = [str((self.cand_dir / f"test_opsquad_obs{c.id}.py").relative_to(self.sandbox.root))
                   for c, *_ in todo]
        run = self.sandbox.pytest(targets, timeout_s=30 + 10 * len(targets))
        self.last_oracle_s = run.duration_s
        for cand, _head, obs, count in todo:
            (self.cand_dir / f"test_opsquad_obs{cand.id}.py").unlink(missing_ok=True)
            result = oracle.rewrite(cand.code, obs, count, modules)
            if result is None:
                continue
            code, imports = result
            cand.code = code
            cand.imports = sorted(set(cand.imports) | set(imports))
            cand.origin = "oracle-repaired"
            cand.repairs += 1
            repaired.append(cand)
        return repaired

    last_oracle_s: float = 0.0

    def drop(self, cand: Candidate) -> None:
        self._file(cand).unlink(missing_ok=True)
