"""DevSecOps agent: deterministic detection with Semgrep first, then the local model judges each finding.

The model never finds problems; it says whether a finding Semgrep reported is a true or a false positive,
with a confidence and one sentence of reason, from a compact context (the enclosing function, the taint
trace, the rule's intent). A finding judged false positive is never dropped: it stays in the report,
suppressed with the model's reason, and high or critical findings are only annotated unless configured
otherwise. For true positives the model may propose a fix, offered only when the rescan verifies it.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.base import AgentOutput, AgentRun, load_prompt
from agents.devsecops import autofix, triage_facts
from agents.devsecops.code_context import normalized_code, snippet
from agents.devsecops.constant_flow import prove_constant
from agents.devsecops.inline_suppress import apply_inline
from agents.devsecops.safeguards import sink_of
from agents.devsecops.triage_cache import TriageCache, cache_key
from opsquad.conventions import Conventions, FileKind, cap_test_severity, file_head
from opsquad.errors import ModelOutputError, ModelUnavailable, ToolDenied
from opsquad.findings import AgentNote, FileLocation, Finding, Severity, Suppression, Triage
from opsquad.redact import redact
from tools import git
from tools.semgrep import SemgrepRun, resolve_rules, run_semgrep
from tools.semgrep_findings import rules_marked, to_findings
from tools.semgrep_skips import FileBudget, not_checked_lines, unlisted_errors


class TriageAnswer(BaseModel):
    """Reason first: a small model that must explain before it decides judges markedly better."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=300, description="Where the flagged value comes from; can an attacker use it?")
    verdict: Literal["true_positive", "false_positive"]
    confidence: Literal["low", "medium", "high"]


PROMPT = Path(__file__).with_name("prompt.md")
CONFIDENCE = {"low": 0.4, "medium": 0.7, "high": 0.9}


class DevSecOpsAgent:
    role = "devsecops"

    def run(self, run: AgentRun) -> AgentOutput:
        req = run.request
        not_checked: list[str] = []
        stats: dict[str, float | int | str] = {}
        with tempfile.TemporaryDirectory(prefix="opsquad-scan-") as tmp:
            try:
                root, files, changed = self._materialize(run, Path(tmp))
                conventions = Conventions(run.config.conventions, self._gitattributes(run, root))
                files, skipped = _reviewable(conventions, root, files, changed is not None)
                run.progress(f"devsecops: scanning {len(files)} path(s) with Semgrep")
                rules = resolve_rules(run.config.tools.semgrep.rules, run.config.base_dir)
                scan = self._scan(run, root, files, rules)
            except ToolDenied as exc:
                return AgentOutput(note=AgentNote(agent=run.name, summary="Nothing was scanned.",
                                                  not_checked=[f"security scan ({exc.line})"]))
            findings = to_findings(scan, root)
            if changed is not None:
                findings = [f for f in findings if _on_changed_line(f, changed)]
            findings, unreviewed = _by_convention(conventions, findings, root, skipped,
                                                  rules_marked(scan, "in-tests", "keep"))
            not_checked += unreviewed
            findings = apply_inline(root, findings)
            stats.update(files_scanned=len(files), semgrep_s=round(scan.elapsed_s, 2))
            if req.options.get("no_triage"):
                not_checked.append("model triage (disabled with --no-triage)")
            elif any(not f.suppressed for f in findings):
                findings, errors = self._triage(run, root, findings, stats)
                if errors:
                    not_checked.append(f"model triage of {len(errors)} finding(s): {errors[0]}")
                if run.agent_config.autofix and not req.options.get("no_fix"):
                    findings = self._autofix(run, root, rules, findings, stats)
        not_checked += not_checked_lines(scan.skipped, scan.errors, scan.cwd, root)
        if engine_errors := unlisted_errors(scan.errors):
            first = engine_errors[0]
            text = " ".join(str(first.get("message", first)).split())
            not_checked.append(f"{len(engine_errors)} Semgrep error(s), first: {text[:160]}")
        active = sum(1 for f in findings if not f.suppressed)
        stats.update(findings=len(findings), active=active)
        summary = (f"Semgrep scanned {len(files)} path(s): {len(findings)} finding(s), {active} active, "
                   f"{len(findings) - active} suppressed.")
        return AgentOutput(findings=findings, note=AgentNote(agent=run.name, summary=summary,
                                                             not_checked=not_checked, stats=stats))

    @staticmethod
    def _materialize(run: AgentRun, tmp: Path) -> tuple[Path, list[str], dict[str, set[int]] | None]:
        """(root to scan, paths under it, changed lines or None): the changed files of base..head checked out
        into ``tmp`` through the ``git`` grant, else the requested paths of the working tree."""
        req = run.request
        if not (req.repo and req.base and req.head):
            return Path(req.repo or ".").resolve(), req.paths or ["."], None
        repo, base, head = git.repo_root(Path(req.repo)), req.base, req.head
        changed_files = run.use("git", "changed_files", lambda: git.changed_files(repo, base, head),
                                args={"base": base, "head": head}, size=len)
        files = [f for f in changed_files if not req.paths or f in req.paths]
        root = run.use("git", "checkout_tree", lambda: git.checkout_tree(repo, head, tmp, files),
                       args={"ref": head, "files": len(files)}) if files else tmp
        changed = None if req.all_lines else run.use(
            "git", "changed_lines", lambda: git.changed_lines(repo, base, head), args={"base": base, "head": head},
            size=len)
        return root, files, changed

    @staticmethod
    def _gitattributes(run: AgentRun, root: Path) -> str:
        """The head's ``.gitattributes`` (linguist-generated/-vendored marks), through the git grant in a review."""
        req = run.request
        if req.repo and req.base and req.head:
            repo, head = git.repo_root(Path(req.repo)), req.head
            return run.use("git", "read_at", lambda: git.gitattributes(repo, head),
                           args={"ref": head, "path": ".gitattributes"}) or ""
        try:
            return (root / ".gitattributes").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    @staticmethod
    def _scan(run: AgentRun, root: Path, files: list[str], rules: list[Path]) -> SemgrepRun:
        sg = run.config.tools.semgrep
        budget = FileBudget(sg.large_file_bytes, sg.max_file_bytes, sg.file_budget_s)
        return run.use("semgrep", "scan", lambda: run_semgrep([root / f for f in files], rules, root, sg.timeout_s,
                                                             sg.jobs, sg.engine, budget),
                       args={"files": len(files)}, size=lambda scan: len(scan.results),
                       status=lambda scan: "error" if scan.errors else "ok")

    def _triage(self, run: AgentRun, root: Path, findings: list[Finding],
                stats: dict[str, float | int | str]) -> tuple[list[Finding], list[str]]:
        """Judge each finding in parallel (the server batches); a finding the model could not judge stays as is."""
        system = load_prompt(run, PROMPT)
        min_conf = float(run.request.options.get("min_confidence", run.agent_config.min_confidence))
        cap_all = run.agent_config.triage_may_suppress == "all"
        cache = TriageCache(run.config.state_dir / "triage-cache.sqlite")
        errors: list[str] = []

        def judge(f: Finding) -> Finding:
            loc = f.location
            if f.suppressed or not isinstance(loc, FileLocation):
                return f
            fam = triage_facts.family_for(f.cwe, loc.path)
            proven = _proven_in_code(root, loc, f.cwe) if fam is triage_facts.FLOW else None
            if proven is not None:  # no model call: code shows the sink sees only constants, or never runs
                return f.model_copy(update={"triage": proven, "suppression": Suppression(
                    kind="triage", justification=proven.reason)})
            key = cache_key(run.model.name, f"{f.rule_id}#{fam.name if fam else 'verdict'}-v5",
                            normalized_code(root, loc))
            triage = cache.get(key)
            if triage is None:
                try:
                    triage = _ask_triage(run, system, root, f, loc, fam)
                except (ModelOutputError, ModelUnavailable) as exc:
                    errors.append(exc.line)
                    return f
                cache.put(key, triage)
            update: dict[str, object] = {"triage": triage}
            # The model may demote noise, but never hides a high or critical finding without a human.
            may_suppress = cap_all or not f.severity.at_least(Severity.high)
            if triage.verdict == "false_positive" and triage.confidence >= min_conf and may_suppress:
                update["suppression"] = Suppression(kind="triage", justification=f"model triage: {triage.reason}")
            return f.model_copy(update=update)

        run.progress(f"devsecops: triaging {len(findings)} finding(s) with the model")
        try:
            with ThreadPoolExecutor(max_workers=max(1, _parallel_slots(run))) as pool:
                judged = list(pool.map(judge, findings))
        finally:
            stats["triage_cache_hits"] = cache.hits
            cache.close()
        return judged, errors

    def _autofix(self, run: AgentRun, root: Path, rules: list[Path], findings: list[Finding],
                 stats: dict[str, float | int | str]) -> list[Finding]:
        """Propose and verify fixes for the findings the model judged true positives."""
        targets = [f for f in findings if f.triage and f.triage.verdict == "true_positive" and not f.suppressed
                   and isinstance(f.location, FileLocation)]
        if not targets:
            return findings
        run.progress(f"devsecops: proposing fixes for {len(targets)} finding(s)")

        def attempt(f: Finding) -> tuple[str, autofix.FixOutcome]:
            loc = f.location
            assert isinstance(loc, FileLocation)
            lines = (root / loc.path).read_text(encoding="utf-8", errors="replace").splitlines()
            try:
                ans = run.ask([{"role": "system", "content": autofix.FIX_SYSTEM},
                               {"role": "user", "content": autofix.fix_prompt(f, loc, lines, snippet(root, loc))}],
                              autofix.FixAnswer, schema_name="fix", max_tokens=300)
            except (ModelOutputError, ModelUnavailable) as exc:
                return f.fingerprint, autofix.FixOutcome(None, exc.line)
            if any("[REDACTED" in line for line in ans.replacement):  # the model saw a masked secret
                return f.fingerprint, autofix.FixOutcome(None, "the fix would write a redaction mask into the code")
            patch, new_lines = autofix.make_patch(loc.path, lines, loc, ans.replacement)
            if not patch:
                return f.fingerprint, autofix.FixOutcome(None, "the proposed fix changes nothing")
            if redact(patch) != patch:  # its context lines hold a secret: it could only be shown masked
                return f.fingerprint, autofix.FixOutcome(None, "the fix's context holds a secret")
            why = run.use("semgrep", "verify_fix", lambda: autofix.verify(
                root, f, new_lines, rules, run.config.tools.semgrep.timeout_s), args={"path": loc.path})
            return f.fingerprint, autofix.FixOutcome(None if why else patch, why or "verified by rescan")

        with ThreadPoolExecutor(max_workers=max(1, _parallel_slots(run))) as pool:
            outcomes = dict(pool.map(attempt, targets))
        stats["fixes_attempted"] = len(outcomes)
        stats["fixes_verified"] = sum(1 for o in outcomes.values() if o.patch)
        out = []
        for f in findings:
            o = outcomes.get(f.fingerprint)
            if o is not None:
                rem = f.remediation if o.patch else f"{f.remediation} (No fix offered: {o.reason}.)".strip()
                f = f.model_copy(update={"fix_patch": o.patch, "remediation": rem})
            out.append(f)
        return out


def _ask_triage(run: AgentRun, system: str, root: Path, f: Finding, loc: FileLocation,
                fam: triage_facts.Family | None) -> Triage:
    """Facts questions where a family fits (verdict derived in code), else the plain verdict question."""
    shown = snippet(root, loc)
    if fam is not None:
        lines = (root / loc.path).read_text(encoding="utf-8", errors="replace").splitlines()
        brief, schema, decide = triage_facts.prepare(fam, loc.path, lines, loc.start_line, loc.end_line, f.cwe, root)
        task = triage_facts.task_text(fam, f.rule_id, f.cwe, f.title, f.message, loc.path, shown, brief)
        ans = run.ask([{"role": "system", "content": fam.system}, {"role": "user", "content": task}], schema,
                      schema_name=f"triage_{fam.name}", max_tokens=fam.max_tokens)
        return triage_facts.kept_if_contradicted(decide(ans))
    trace = f"\nTaint trace: {f.evidence.split('taint: ', 1)[1]}" if "taint: " in f.evidence else ""
    task = triage_facts.task_text(None, f.rule_id, f.cwe, f.title, f.message, loc.path, shown, "") + trace
    plain = run.ask([{"role": "system", "content": system}, {"role": "user", "content": task}],
                    TriageAnswer, schema_name="triage", max_tokens=160)
    return triage_facts.kept_if_contradicted(
        Triage(verdict=plain.verdict, confidence=CONFIDENCE[plain.confidence], reason=plain.reason))


def _proven_in_code(root: Path, loc: FileLocation, cwes: list[str]) -> Triage | None:
    """A false-positive verdict proven by constant and dead-branch reasoning; it may suppress any severity,
    because it rests on the cited lines, not on the model's word."""
    try:
        source = (root / loc.path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    try:
        proof = prove_constant(source, loc.start_line, sink=sink_of(cwes))
    except Exception:  # noqa: BLE001 - a prover bug costs this finding its proof (the model judges it), never the run
        return None
    if proof is None:
        return None
    return Triage(verdict="false_positive", confidence=1.0, reason=f"decided in code: {proof.reason}")


_UNREVIEWED = (FileKind.generated, FileKind.vendored)


def _reviewable(conventions: Conventions, root: Path, files: list[str],
                listed: bool) -> tuple[list[str], dict[str, FileKind]]:
    """The files worth a line-by-line review, and the generated or vendored ones left out. Only a review's list
    of changed files is sorted here; a directory scan is sorted by its findings (``_by_convention``)."""
    if not listed:
        return files, {}
    read = file_head(root)
    kinds = {f: conventions.kind(f, read) for f in files}
    return [f for f in files if kinds[f] not in _UNREVIEWED], {f: k for f, k in kinds.items() if k in _UNREVIEWED}


def _by_convention(conventions: Conventions, findings: list[Finding], root: Path,
                   skipped: dict[str, FileKind], keep_in_tests: set[str]) -> tuple[list[Finding], list[str]]:
    """Drop findings in generated or vendored files, cap severity in test code, and say what was not reviewed."""
    read = file_head(root)
    kinds: dict[str, FileKind] = {}
    kept: list[Finding] = []
    for f in findings:
        path = f.location.path if isinstance(f.location, FileLocation) else None
        if path is not None and path not in kinds:
            kinds[path] = conventions.kind(path, read)
        kind = kinds[path] if path is not None else FileKind.source
        if kind in _UNREVIEWED:
            skipped[path or ""] = kind
        else:
            kept.append(f)
    kept = cap_test_severity(kept, conventions, keep_in_tests)
    lines = []
    for kind in _UNREVIEWED:
        paths = sorted(p for p, k in skipped.items() if k is kind)
        if paths:
            more = f" (+{len(paths) - 3} more)" if len(paths) > 3 else ""
            lines.append(f"{kind.value}: {len(paths)} file(s) not reviewed line by line: "
                         f"{', '.join(paths[:3])}{more}")
    return kept, lines


def _parallel_slots(run: AgentRun) -> int:
    model_cfg = run.config.models.get(run.agent_config.model)
    return model_cfg.serve.parallel if model_cfg and model_cfg.serve else 2


def _on_changed_line(f: Finding, changed: dict[str, set[int]]) -> bool:
    loc = f.location
    if not isinstance(loc, FileLocation):
        return True
    lines = changed.get(loc.path, set())
    return any(n in lines for n in range(loc.start_line, loc.end_line + 1))
