"""DevSecOps agent: deterministic detection with Semgrep first, then the local model judges each finding.

The model never finds problems; it only says whether a finding Semgrep reported is a true or a false
positive, with a confidence and one sentence of reason. A finding judged false positive is never dropped:
it stays in the report, suppressed with the model's reason, so a human can disagree.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.base import AgentOutput, AgentRun, load_prompt
from opsquad.errors import ModelOutputError, ModelUnavailable
from opsquad.findings import AgentNote, FileLocation, Finding, Severity, Suppression, Triage
from tools import git
from tools.semgrep import resolve_rules, run_semgrep, to_findings


class TriageAnswer(BaseModel):
    """Reason first: a small model that must explain before it decides judges markedly better."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=300, description="Where the flagged value comes from; can an attacker use it?")
    verdict: Literal["true_positive", "false_positive"]
    confidence: Literal["low", "medium", "high"]


CONFIDENCE = {"low": 0.4, "medium": 0.7, "high": 0.9}


def snippet(root: Path, loc: FileLocation, radius: int = 6) -> str:
    try:
        lines = (root / loc.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    lo, hi = max(1, loc.start_line - radius), min(len(lines), loc.end_line + radius)
    return "\n".join(f"{n:>4}{'>' if loc.start_line <= n <= loc.end_line else ' '} {lines[n - 1]}"
                     for n in range(lo, hi + 1))


class DevSecOpsAgent:
    role = "devsecops"

    def run(self, run: AgentRun) -> AgentOutput:
        req = run.request
        not_checked: list[str] = []
        with tempfile.TemporaryDirectory(prefix="opsquad-scan-") as tmp:
            if req.repo and req.base and req.head:
                repo = git.repo_root(Path(req.repo))
                files = [f for f in git.changed_files(repo, req.base, req.head) if not req.paths or f in req.paths]
                root = git.checkout_tree(repo, req.head, Path(tmp))
                changed = None if req.all_lines else git.changed_lines(repo, req.base, req.head)
            else:
                root = Path(req.repo or ".").resolve()
                files = req.paths or ["."]
                changed = None
            run.progress(f"devsecops: scanning {len(files)} path(s) with Semgrep")
            rules = resolve_rules(run.config.tools.semgrep.rules, run.config.base_dir)
            scan = run_semgrep([root / f for f in files], rules, root, run.config.tools.semgrep.timeout_s,
                               run.config.tools.semgrep.jobs)
            run.audit.event(req.run_id, "tool", agent=run.name, name="semgrep", args={"files": len(files)},
                            result_size=len(scan.results), status="ok" if not scan.errors else "error",
                            latency_ms=int(scan.elapsed_s * 1000))
            findings = to_findings(scan, root)
            if changed is not None:
                findings = [f for f in findings if _on_changed_line(f, changed)]
            if req.options.get("no_triage"):
                not_checked.append("model triage (disabled with --no-triage)")
            elif findings:
                findings, errors = self._triage(run, root, findings)
                if errors:
                    not_checked.append(f"model triage of {len(errors)} finding(s): {errors[0]}")
        stats: dict[str, float | int | str] = {"files_scanned": len(files), "findings": len(findings),
                                               "semgrep_s": round(scan.elapsed_s, 2)}
        summary = f"Semgrep scanned {len(files)} file(s); {len(findings)} finding(s)."
        if scan.errors:
            first = scan.errors[0]
            text = str(first.get("message", first)) if isinstance(first, dict) else str(first)
            not_checked.append(f"{len(scan.errors)} Semgrep error(s), first: {text[:160]}")
        return AgentOutput(findings=findings, note=AgentNote(agent=run.name, summary=summary,
                                                             not_checked=not_checked, stats=stats))

    def _triage(self, run: AgentRun, root: Path, findings: list[Finding]) -> tuple[list[Finding], list[str]]:
        """Judge each finding in parallel (the server batches); a finding the model could not judge stays as is."""
        system = load_prompt(run, "devsecops.md")
        min_conf = float(run.request.options.get("min_confidence", run.cfg.min_confidence))
        cap_all = run.cfg.triage_may_suppress == "all"
        errors: list[str] = []

        def judge(f: Finding) -> Finding | None:
            loc = f.location
            code = snippet(root, loc) if isinstance(loc, FileLocation) else f.evidence
            cwe = ", ".join(f.cwe) or "n/a"
            task = (f"Rule: {f.rule_id} ({cwe}) - {f.title}\nRule message: {f.message}\n"
                    f"File: {loc.path if isinstance(loc, FileLocation) else '?'}\nCode (> marks the flagged lines):\n"
                    f"{code}\n{('Trace: ' + f.evidence) if '→' in f.evidence else ''}")
            try:
                ans = run.ask([{"role": "system", "content": system}, {"role": "user", "content": task}],
                              TriageAnswer, schema_name="triage", max_tokens=160)
            except (ModelOutputError, ModelUnavailable) as exc:
                errors.append(exc.line)
                return None
            triage = Triage(verdict=ans.verdict, confidence=CONFIDENCE[ans.confidence], reason=ans.reason)
            update: dict[str, object] = {"triage": triage}
            # The model may demote noise, but never hides a high or critical finding without a human.
            may_suppress = cap_all or not f.severity.at_least(Severity.high)
            if ans.verdict == "false_positive" and triage.confidence >= min_conf and may_suppress:
                update["suppression"] = Suppression(kind="triage", justification=f"model triage: {ans.reason}")
            return f.model_copy(update=update)

        workers = max(1, _parallel_slots(run))
        run.progress(f"devsecops: triaging {len(findings)} finding(s) with the model")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            judged = list(pool.map(judge, findings))
        return [j if j is not None else f for j, f in zip(judged, findings, strict=True)], errors


def _parallel_slots(run: AgentRun) -> int:
    model_cfg = run.config.models.get(run.cfg.model)
    return model_cfg.serve.parallel if model_cfg and model_cfg.serve else 2


def _on_changed_line(f: Finding, changed: dict[str, set[int]]) -> bool:
    loc = f.location
    if not isinstance(loc, FileLocation):
        return True
    lines = changed.get(loc.path, set())
    return any(n in lines for n in range(loc.start_line, loc.end_line + 1))
