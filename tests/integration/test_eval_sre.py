"""The SRE eval: scenario files load and are well-formed, scoring reads only cited evidence, and the whole
suite runs deterministically in ``--no-model`` mode on the real control plane (every scenario must pass:
the analyzers alone find each incident's cause)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evals.sre.run import format_table, run_eval
from evals.sre.scenario import CASES_DIR, load_cases
from evals.sre.scoring import baseline_answer, score
from opsquad.answers import Evidence, SreAnswer, Step
from tests.support.common import REPO_ROOT

CLASSES = ["OOMKilled", "ConfigMap", "ImagePullBackOff", "rollout", "readiness", "insufficient cpu", "node selector",
           "selector matches no pods", "PVC", "5xx", "p99", "predict_linear", "quota"]


def test_scenarios_cover_the_incident_classes_with_unhinted_names() -> None:
    cases = load_cases()
    assert len(cases) >= 10
    assert {c.tag for c in cases} == {"easy", "medium", "hard"}
    joined = " ".join(c.incident_class for c in cases).lower()
    assert all(k.lower() in joined for k in CLASSES), [k for k in CLASSES if k.lower() not in joined]
    for c in cases:
        names = [str(o.get("metadata", {}).get("name", "")) for o in c.objects]
        assert not any(w in n for n in names for w in ("oom", "crash", "broken", "bad", "fail")), (c.name, names)
        assert c.expect.facts and c.question.endswith("?")


def test_bad_scenario_file_names_its_path(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "scenario.yaml").write_text(yaml.safe_dump({"tag": "easy", "class": "c", "namespace": "n",
                                                                   "question": "q?", "expect": {"facts": []}}))
    with pytest.raises(ValueError, match=r"x/scenario.yaml: expect.facts"):
        load_cases(cases_dir=tmp_path)
    with pytest.raises(ValueError, match="no such SRE eval case: nope"):
        load_cases(["nope"])


def test_scoring_ignores_uncited_evidence_and_checks_remediation() -> None:
    case = load_cases(["cart-restarts"], CASES_DIR)[0]
    answer = SreAnswer(root_cause="cart is OOMKilled", remediation=[Step(step="raise the memory limit")],
                       evidence=[Evidence(claim="limit 64Mi", source="made up", cited=False)], confidence=0.5)
    assert score(case, answer).missing_facts == ["64Mi"]
    answer.evidence[0].cited = True
    assert score(case, answer).passed
    assert score(case, answer.model_copy(update={"remediation": []})).missing_remediation == ["memory"]
    events = [{"type": "Warning", "reason": "BackOff", "involvedObject": {"kind": "Pod", "name": "cart-1"},
               "message": "Back-off restarting failed container"},
              {"type": "Normal", "reason": "Pulled", "message": "OOMKilled 64Mi"}]
    assert baseline_answer(events).root_cause == "BackOff pod/cart-1: Back-off restarting failed container"


def test_no_model_eval_passes_every_scenario_deterministically() -> None:
    result = run_eval(use_model=False)
    rows = {r["name"]: r for r in result["cases"]}
    assert len(rows) == len(load_cases())
    failed = {n: r["missing"] for n, r in rows.items() if not r["passed"]}
    assert not failed, failed
    assert all(r["answered_by"] == "analyzers" for r in rows.values())
    assert rows["search-rollout"]["cause"]["problem"] == "RecentRollout"
    assert rows["cart-restarts"]["cause"]["problem"] == "OOMKilled"
    s = result["summary"]
    assert s["pass_rate"] == 1.0 and s["baseline_passed"] < s["passed"]
    table = format_table(result)
    assert "analyzers only (--no-model)" in table and "baseline" in table and "median time" in table


def test_eval_sre_cli_is_wired() -> None:
    res = subprocess.run([sys.executable, "-m", "opsquad.cli.main", "eval", "sre", "--case", "nope", "--no-model"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert res.returncode == 2 and res.stderr.strip().splitlines() == [
        f"opsquad: error: no such SRE eval case: nope (see {CASES_DIR})"]
