"""Run the DevSecOps eval: every case through opsquad's own dispatch, scored before and after model triage.

    opsquad eval devsecops [--no-triage] [--cases DIR] [--config FILE] [--json]
    .venv/bin/python -m evals.devsecops.run [--no-triage] [--json]

Triage runs once: "before" is read from the same findings by ignoring the model's suppressions, so the model
judges each finding once. The after-triage run sets ``triage_may_suppress: all`` so that the figures measure
the model's verdicts themselves; the figure under the default policy (high findings are never suppressed by
the model alone) is derived from the same verdicts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evals.devsecops.cases import EQUIVALENT_CWES, Case, cwe_matches, load_cases
from evals.devsecops.checks import FixToCheck, run_bandit, verify_fixes
from evals.devsecops.report import format_table
from evals.devsecops.scoring import score, youden
from opsquad.audit import AuditLog
from opsquad.config import load_config
from opsquad.errors import OpsquadError
from opsquad.findings import FileLocation, Finding, Severity
from opsquad.request import Request
from tools.registry import TOOLS

AGENT = "devsecops"
VIEWS = ("before", "after", "after_default")

__all__ = ["format_table", "run_eval"]


@contextlib.contextmanager
def _state_dir(path: str) -> Iterator[None]:
    """Run state (audit, checkpoints, triage cache, servers we start) in a throw-away directory."""
    old = os.environ.get("OPSQUAD_STATE_DIR")
    os.environ["OPSQUAD_STATE_DIR"] = path
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OPSQUAD_STATE_DIR", None)
        else:
            os.environ["OPSQUAD_STATE_DIR"] = old


def active_in(f: Finding, view: str) -> bool:
    """Is the finding reported in this view? Suppressions other than the model's always count."""
    s = f.suppression
    if s is None:
        return True
    if s.kind != "triage":
        return False
    if view == "before":
        return True
    # Default policy: the model alone never suppresses a high or critical finding.
    return view == "after_default" and f.severity.at_least(Severity.high)


def predictions(case: Case, findings: list[Finding]) -> dict[str, bool]:
    mine = [f for f in findings if isinstance(f.location, FileLocation) and f.location.path == case.file]
    return {v: any(active_in(f, v) and cwe_matches(case.cwe, f.cwe) for f in mine) for v in VIEWS}


def _summary(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {"rule": f.rule_id, "cwe": f.cwe, "severity": f.severity.value,
            "path": loc.path if isinstance(loc, FileLocation) else None,
            "line": loc.start_line if isinstance(loc, FileLocation) else None,
            "verdict": f.triage.verdict if f.triage else None,
            "confidence": f.triage.confidence if f.triage else None,
            "suppressed": f.suppression.kind if f.suppression else None, "fix": bool(f.fix_patch)}


def _stop_servers_we_started(config: Any) -> None:
    """Servers started during the run are recorded in the throw-away state dir: stop exactly those, by PID."""
    from opsquad.model import runtime

    for alias in config.models:
        if runtime.read_record(config, alias) is not None:
            runtime.stop(config, alias)


def run_eval(cases_dir: Path | None = None, triage: bool = True, config_path: Path | None = None,
             progress: Callable[[str], None] = lambda _m: None, split: str | None = None) -> dict[str, Any]:
    from tools.semgrep import resolve_rules
    from workflows.dispatch import dispatch
    from workflows.services import Services, litellm_factory

    cases = [c for c in load_cases(cases_dir) if split is None or c.split == split]
    if not cases:
        raise OpsquadError(f"no {split} cases in {cases_dir or 'evals/devsecops/cases'}")
    config = load_config(config_path, known_tools=TOOLS)
    if AGENT not in config.agents:
        raise OpsquadError(f"the config has no '{AGENT}' agent to evaluate")
    if triage:
        config.agents[AGENT].triage_may_suppress = "all"
    started = time.monotonic()
    per_case: list[dict[str, Any]] = []
    fixes: list[FixToCheck] = []
    calls: dict[str, int] = {}
    fix_stats = {"attempted": 0, "verified": 0}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="opsquad-eval-") as state, _state_dir(state):
        audit = AuditLog(Path(state) / "audit.sqlite")
        services = Services(config=config, audit=audit, make_model=litellm_factory(config, progress),
                            progress=progress)
        lock = threading.Lock()
        done = [0]

        def one(case: Case) -> None:
            req = Request(workflow="scan", repo=str(case.dir), paths=case.targets(),
                          options={"no_triage": not triage})
            try:
                report = dispatch(req, services).report
            except OpsquadError as exc:
                with lock:
                    errors.append(f"{case.id}: {exc.line}")
                    records[case.id] = {"id": case.id, "error": exc.line, **{v: False for v in VIEWS}}
                return
            pred = predictions(case, report.findings)
            with lock:
                for ev in audit.events(req.run_id):
                    if ev["kind"] == "model":
                        calls[ev["name"]] = calls.get(ev["name"], 0) + 1
                for note in report.notes:
                    fix_stats["attempted"] += int(note.stats.get("fixes_attempted", 0))
                    fix_stats["verified"] += int(note.stats.get("fixes_verified", 0))
                    errors.extend(f"{case.id}: {x}" for x in note.not_checked if "--no-triage" not in x)
                for f in report.findings:
                    if f.fix_patch and isinstance(f.location, FileLocation):
                        same = sum(1 for g in report.findings if g.rule_id == f.rule_id
                                   and isinstance(g.location, FileLocation) and g.location.path == f.location.path)
                        fixes.append(FixToCheck(case, f.rule_id, f.location.path, f.fix_patch, same))
                records[case.id] = {"id": case.id, "category": case.category, "vulnerable": case.vulnerable,
                                    **pred, "findings": [_summary(f) for f in report.findings]}
                done[0] += 1
                progress(f"[{done[0]}/{len(cases)}] {case.id}: {len(report.findings)} finding(s)")

        # Cases run two at a time (the model server's parallel slots); results are kept in case order.
        records: dict[str, dict[str, Any]] = {}
        try:
            with ThreadPoolExecutor(max_workers=2 if triage else 1) as pool:
                list(pool.map(one, cases))
            per_case.extend(records[c.id] for c in cases if c.id in records)
        finally:
            _stop_servers_we_started(config)
            audit.close()
    eval_s = time.monotonic() - started
    progress("bandit: scanning the Python cases")
    bandit_cwes, bandit_error = run_bandit(cases)
    rules = resolve_rules(config.tools.semgrep.rules, config.base_dir)
    fix_failures = verify_fixes(fixes, rules, config.tools.semgrep.timeout_s)
    return _result(cases, per_case, bandit_cwes, bandit_error, triage, {
        "wall_s": round(time.monotonic() - started, 1), "eval_s": round(eval_s, 1),
        "findings": sum(len(c.get("findings", [])) for c in per_case),
        "model_calls": sum(calls.values()), "model_calls_by_kind": calls,
        "autofix": {**fix_stats, "offered": len(fixes), "reverified": len(fixes) - len(fix_failures),
                    "failures": fix_failures},
        "errors": errors, "min_confidence": config.agents[AGENT].min_confidence,
    })


def _result(cases: list[Case], per_case: list[dict[str, Any]], bandit_cwes: dict[str, list[str]],
            bandit_error: str | None, triage: bool, extra: dict[str, Any]) -> dict[str, Any]:
    by_id = {c.id: c for c in cases}
    for row in per_case:
        c = by_id[row["id"]]
        row["bandit"] = cwe_matches(c.cwe, bandit_cwes[c.id]) if c.id in bandit_cwes else None
    views = VIEWS if triage else ("before",)
    out: dict[str, Any] = {
        "cases": len(cases), "vulnerable": sum(c.vulnerable for c in cases), "triage": triage,
        "triage_may_suppress": "all" if triage else None, "equivalent_cwes": {
            k: sorted(v) for k, v in EQUIVALENT_CWES.items()},
        "categories": {}, "bandit_error": bandit_error, **extra,
    }
    for view in (*views, "bandit"):
        rows = [(by_id[r["id"]], r[view]) for r in per_case if r.get(view) is not None]
        out["categories"][view] = score((c.category, c.vulnerable, p) for c, p in rows)
        out.setdefault("difficulty", {})[view] = score((c.difficulty, c.vulnerable, p) for c, p in rows)
        out.setdefault("python", {})[view] = score(
            ("python", c.vulnerable, p) for c, p in rows if c.language == "python")["overall"]
    out["splits"] = _splits(cases, per_case, (*views, "bandit"))
    out["per_case"] = per_case
    return out


def _splits(cases: list[Case], per_case: list[dict[str, Any]], views: tuple[str, ...]) -> dict[str, Any]:
    """Per split (tune, holdout): per-category TPR/FPR/P/R and the Youden-style score, for each view."""
    by_id = {c.id: c for c in cases}
    out: dict[str, Any] = {}
    for split in ("tune", "holdout"):
        mine = [r for r in per_case if by_id[r["id"]].split == split]
        if not mine:
            continue
        out[split] = {"cases": len(mine), "vulnerable": sum(1 for r in mine if by_id[r["id"]].vulnerable)}
        for view in views:
            rows = [(by_id[r["id"]], r[view]) for r in mine if r.get(view) is not None]
            if rows:
                cats = score((c.category, c.vulnerable, p) for c, p in rows)
                out[split][view] = {"categories": cats, "youden": youden(cats)}
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--no-triage", action="store_true")
    ap.add_argument("--cases", type=Path)
    ap.add_argument("--config", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run_eval(args.cases, not args.no_triage, args.config, lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
