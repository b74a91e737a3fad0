"""The DevSecOps eval's cases and scoring, without the model (the eval itself prints figures, never asserts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.devsecops.cases import CASES_DIR, Case, cwe_matches, load_cases, pair_count
from evals.devsecops.report import format_table
from evals.devsecops.run import _result, active_in, predictions
from evals.devsecops.scoring import Counts, score
from opsquad.findings import FileLocation, Finding, Severity, Suppression, Triage

HINTS = ("vuln", "unsafe", "insecure", "bad", "good", "safe")
# Real API names that happen to contain a hint word; the cases must use them as they are.
API_NAMES = {"safe_load", "safe_dump", "safeloader", "safestring", "mark_safe", "markupsafe", "safe_join",
             "token_urlsafe", "urlsafe_b64decode", "urlsafe_b64encode"}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def test_every_case_directory_has_a_valid_case_yaml(cases: list[Case]) -> None:
    dirs = sorted(d.name for d in CASES_DIR.iterdir() if d.is_dir())
    assert dirs == sorted(c.id for c in cases), "a case directory lacks case.yaml"
    for c in cases:
        lines = c.path.read_text(encoding="utf-8").splitlines()
        assert 5 <= len(lines) <= 45, f"{c.id}: {len(lines)} lines"
        if c.vulnerable:
            assert c.line is not None
        if c.line is not None:
            assert 1 <= c.line <= len(lines), f"{c.id}: line {c.line} outside {c.file}"
            assert lines[c.line - 1].strip(), f"{c.id}: line {c.line} is blank"
        assert c.file in c.targets()


def test_enough_pairs_and_infrastructure_cases(cases: list[Case]) -> None:
    assert pair_count(cases) >= 60
    infra = [c for c in cases if c.category.startswith(("k8s-", "dockerfile-"))]
    assert len(infra) >= 10
    assert {c.difficulty for c in cases} == {"easy", "medium", "hard"}
    for cat in {c.category for c in cases}:
        labels = {c.vulnerable for c in cases if c.category == cat}
        assert labels == {True, False}, f"{cat} needs both a vulnerable and a safe case"


def test_no_hint_words_in_paths_or_identifiers(cases: list[Case]) -> None:
    problems = []
    for c in cases:
        for rel in [c.id, *c.targets()]:
            if any(h in rel.lower() for h in HINTS):
                problems.append(f"path {c.id}/{rel}")
        for rel in c.targets():
            for word in set(WORD.findall((c.dir / rel).read_text(encoding="utf-8"))):
                w = word.lower()
                if w not in API_NAMES and any(h in w for h in HINTS):
                    problems.append(f"{c.id}/{rel}: {word}")
    assert not problems, problems


def test_scoring_on_a_hand_made_example() -> None:
    rows = [("sqli", True, True), ("sqli", True, False), ("sqli", False, True), ("sqli", False, False),
            ("xss", True, True), ("xss", False, False), ("k8s", False, False), ("k8s", True, False)]
    out = score(rows)
    assert out["sqli"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5,
                           "tpr": 0.5, "fpr": 0.5}
    assert out["xss"]["precision"] == 1.0 and out["xss"]["recall"] == 1.0 and out["xss"]["f1"] == 1.0
    assert out["k8s"]["precision"] is None and out["k8s"]["recall"] == 0.0 and out["k8s"]["f1"] == 0.0
    o = out["overall"]
    assert (o["tp"], o["fp"], o["fn"], o["tn"]) == (2, 1, 2, 3)
    assert o["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert o["recall"] == pytest.approx(0.5)
    assert o["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5), abs=1e-4)
    assert Counts().f1 is None and Counts(tn=3).precision is None


def test_cwe_equivalence_is_small_and_symmetric() -> None:
    assert cwe_matches("CWE-89", ["CWE-20", "CWE-89"])
    assert not cwe_matches("CWE-89", ["CWE-78"])
    assert cwe_matches("CWE-95", ["CWE-94"]) and cwe_matches("CWE-94", ["CWE-95"])
    assert cwe_matches("CWE-798", ["CWE-259"]) and not cwe_matches("CWE-798", ["CWE-321"])
    assert not cwe_matches("CWE-95", [])


def _finding(path: str, cwe: str, severity: Severity, verdict: str | None = None,
             kind: str | None = None) -> Finding:
    return Finding(rule_id=f"r-{cwe}-{severity}-{kind}", title="t", message="m", severity=severity, cwe=[cwe],
                   location=FileLocation(path=path, start_line=3, end_line=3),
                   triage=Triage(verdict=verdict, confidence=0.9, reason="r") if verdict else None,  # type: ignore[arg-type]
                   suppression=Suppression(kind=kind, justification="j") if kind else None)  # type: ignore[arg-type]


def _case(vulnerable: bool, cwe: str = "CWE-89") -> Case:
    return Case(id="py-x", category="sql-injection", language="python", difficulty="easy", cwe=cwe,
                vulnerable=vulnerable, file="app.py", line=3, note="n", dir=Path("/nonexistent"))


def test_predictions_per_view() -> None:
    case = _case(True)
    medium_fp = _finding("app.py", "CWE-89", Severity.medium, "false_positive", "triage")
    high_fp = _finding("app.py", "CWE-89", Severity.high, "false_positive", "triage")
    inline = _finding("app.py", "CWE-89", Severity.high, None, "inline")
    other_file = _finding("lib.py", "CWE-89", Severity.high)
    other_cwe = _finding("app.py", "CWE-78", Severity.high)
    assert predictions(case, [medium_fp]) == {"before": True, "after": False, "after_default": False}
    assert predictions(case, [high_fp]) == {"before": True, "after": False, "after_default": True}
    assert predictions(case, [inline, other_file, other_cwe]) == dict.fromkeys(("before", "after", "after_default"),
                                                                               False)
    assert active_in(_finding("app.py", "CWE-89", Severity.low, "true_positive"), "after")


def test_result_and_table_from_hand_made_rows() -> None:
    cases = [_case(True), _case(False).model_copy(update={"id": "py-y"})]
    per_case = [{"id": "py-x", "category": "sql-injection", "vulnerable": True, "before": True, "after": True,
                 "after_default": True, "findings": []},
                {"id": "py-y", "category": "sql-injection", "vulnerable": False, "before": True, "after": False,
                 "after_default": True, "findings": []}]
    extra = {"wall_s": 1.0, "eval_s": 1.0, "findings": 2, "model_calls": 2, "model_calls_by_kind": {"triage": 2},
             "autofix": {"attempted": 0, "verified": 0, "offered": 0, "reverified": 0, "failures": []},
             "errors": [], "min_confidence": 0.7}
    result = _result(cases, per_case, {"py-x": ["CWE-89"], "py-y": []}, None, True, extra)
    assert result["categories"]["before"]["overall"]["precision"] == 0.5
    assert result["categories"]["after"]["overall"]["precision"] == 1.0
    assert result["categories"]["bandit"]["overall"]["f1"] == 1.0
    table = format_table(result)
    assert "sql-injection" in table and "overall" in table and "n/a (no finding carries a fix_patch" in table
    assert "NOTE: precision" not in table
    tune = result["splits"]["tune"]
    assert tune["before"]["categories"]["sql-injection"]["fpr"] == 1.0 and tune["before"]["youden"] == 0.0
    assert tune["after"]["youden"] == 1.0 and "holdout" not in result["splits"]
    assert "split tune: 2 cases" in table and "Youden" in table


def test_youden_is_the_mean_over_categories_of_tpr_minus_fpr() -> None:
    from evals.devsecops.scoring import score, youden

    cats = score([("a", True, True), ("a", False, False), ("b", True, True), ("b", False, True), ("c", True, True)])
    assert youden(cats) == 0.5  # a: 1 - 0, b: 1 - 1; c has no safe case


def test_cli_runs_without_the_model_and_exits_0(tmp_path: Path) -> None:
    import json
    import shutil
    import subprocess
    import sys

    for name in ("py-sql-customer-lookup", "py-sql-customer-search"):
        shutil.copytree(CASES_DIR / name, tmp_path / name)
    cmd = [sys.executable, "-m", "opsquad.cli.main", "eval", "devsecops", "--no-triage", "--cases", str(tmp_path)]
    res = subprocess.run([*cmd, "--json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["cases"] == 2 and data["model_calls"] == 0 and not data["triage"]
    assert set(data["categories"]["before"]) == {"sql-injection", "overall"}
    bad = subprocess.run(cmd[:-1] + [str(tmp_path / "missing")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no such cases directory" in bad.stderr
