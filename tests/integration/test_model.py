"""Integration with the real local model (Qwen2.5-Coder-1.5B through llama.cpp and litellm).

Few and short on purpose: 2-thread generation is slow and collapses when the CPU is shared. The server is
started once for the module by opsquad itself and stopped by PID afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from opsquad.config import OpsquadConfig, load_config
from opsquad.model import runtime
from opsquad.model.litellm_model import LiteLLMModel
from opsquad.model.structured import ModelCall, ask
from tests.support.common import REPO_ROOT

pytestmark = pytest.mark.model
SARIF_SCHEMA = json.loads((REPO_ROOT / "tests" / "support" / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsquadConfig]:
    state = tmp_path_factory.mktemp("model-state")
    os.environ.pop("OPSQUAD_STATE_DIR", None)  # the autouse per-test value; monkeypatch restores it
    cfg = load_config(REPO_ROOT / "agents.yaml")
    cfg.storage.state_dir = str(state)
    already = runtime.is_healthy(cfg.models["coder"])
    runtime.ensure_served(cfg, "coder")
    cfg.storage.state_dir = str(state)  # pin it: the per-test OPSQUAD_STATE_DIR must not move the records
    yield cfg
    if not already:
        assert runtime.stop(cfg, "coder")
        assert not runtime.is_healthy(cfg.models["coder"])


class Triage(BaseModel):
    verdict: Literal["true_positive", "false_positive"]
    confidence: int = Field(ge=0, le=100)
    reason: str = Field(max_length=200)


def test_schema_constrained_round_trip(served: OpsquadConfig) -> None:
    model = LiteLLMModel("coder", served.models["coder"])
    calls: list[ModelCall] = []
    out = ask(model, [
        {"role": "system", "content": "You triage static-analysis findings. Answer in JSON."},
        {"role": "user", "content": "Rule: command injection (shell=True).\nCode:\n"
                                    "subprocess.run('ls -l /var/log', shell=True)\nThe command is a constant."},
    ], Triage, record=calls.append, max_tokens=120)
    assert isinstance(out, Triage)
    assert calls and calls[-1].ok and calls[-1].prompt_tokens > 20 and calls[-1].completion_tokens > 3


def test_model_status_reports_verified_and_served(served: OpsquadConfig) -> None:
    res = subprocess.run([sys.executable, "-m", "opsquad.cli.main", "model", "status", "coder", "--json"],
                         capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 0, res.stderr
    st = json.loads(res.stdout)[0]
    assert st["healthy"] is True
    if st["pid"]:  # started by opsquad in this state dir
        assert st["verified"] is True
        assert st["sha256"] == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def test_review_of_bundled_example_writes_valid_sarif(served: OpsquadConfig, tmp_path: Path) -> None:
    from opsquad.demo import create_example_repo

    repo = tmp_path / "example"
    base, head = create_example_repo(repo)
    out = tmp_path / "r.sarif"
    res = subprocess.run([sys.executable, "-m", "opsquad.cli.main", "review", "--repo", str(repo), "--base", base,
                          "--head", head, "--format", "sarif", "--output", str(out)],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=900)
    assert res.returncode in (0, 1), res.stderr
    assert "Traceback" not in res.stderr
    sarif = json.loads(out.read_text())
    errors = list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(sarif))
    assert not errors, errors[0].message
    results = sarif["runs"][0]["results"]
    rule_ids = {r["ruleId"] for r in results}
    assert any("sql" in r for r in rule_ids), rule_ids
    assert all(r["partialFingerprints"] for r in results)
    triaged = [r for r in results if "triage" in r.get("properties", {})]
    assert triaged, "the model triaged nothing"
    for r in triaged:
        assert r["properties"]["triage"]["verdict"] in ("true_positive", "false_positive")
    assert "tok_live_9f8e7d6c5b4a39281706" not in out.read_text()


def test_a_dead_model_server_is_restarted(served: OpsquadConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from workflows.services import litellm_factory

    monkeypatch.delenv("OPSQUAD_STATE_DIR", raising=False)
    rec = runtime.read_record(served, "coder")
    if rec is None:
        pytest.skip("the model server was not started by this test session")
    model = litellm_factory(served, lambda _m: None)("coder")
    ask(model, [{"role": "user", "content": "Say yes."}], Triage, max_tokens=60)  # warm: marks it ready
    os.kill(rec.pid, signal.SIGKILL)
    out = ask(model, [{"role": "user", "content": "Say yes."}], Triage, max_tokens=60)
    assert isinstance(out, Triage)
    new = runtime.read_record(served, "coder")
    assert new is not None and new.pid != rec.pid and runtime.pid_alive(new.pid)


def test_testgen_with_the_real_model_keeps_only_passing_tests(served: OpsquadConfig, tmp_path: Path) -> None:
    """The 1.5B model writes tests for a small module; whatever is kept passes 5 of 5 in the project."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[project]\nname = "shapes"\nversion = "0"\n')
    (proj / "shapes.py").write_text(
        "def area(w, h):\n    if w < 0 or h < 0:\n        raise ValueError('negative side')\n    return w * h\n\n\n"
        "def label(n):\n    if n == 0:\n        return 'none'\n    if n == 1:\n        return 'one'\n"
        "    return 'many'\n")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "opsquad.cli.main", "testgen", str(proj), "--module", "shapes",
                          "--out", str(out), "--budget", "120", "--format", "json"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    answer = json.loads(res.stdout)["answer"]
    funnel = answer["funnel"]
    assert funnel["generated"] >= 1 and funnel["parsed"] >= 1, answer
    assert funnel["generated"] >= funnel["parsed"] >= funnel["passing"] >= funnel["kept"]
    assert sorted(p.name for p in proj.iterdir()) == ["pyproject.toml", "shapes.py"], "no --write: untouched"
    kept = list(out.glob("test_*_opsquad.py"))
    assert len(kept) == (1 if funnel["kept"] else 0)
    for test_file in kept:
        (proj / "tests").mkdir(exist_ok=True)
        (proj / "tests" / test_file.name).write_text(test_file.read_text())
        for _ in range(5):
            run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                                 cwd=proj, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(proj)})
            assert run.returncode == 0, run.stdout[-1500:]
