"""Run the SRE eval: every scenario materialized in one shared real control plane, investigated through the real
orchestrator, scored against its expected facts, with the naive events-dump baseline beside it.

    opsquad eval sre [--case NAME ...] [--no-model] [--json]
    .venv/bin/python -m evals.sre.run [--no-model] [NAME ...]

One ControlPlane and one FakeKubelet (``auto_events=False``: ``materialize`` emits the kubelet's events) serve
all scenarios, each in its own namespace; a scenario with metrics gets its own Prometheus, stopped after its
investigation. The investigation is ``workflows.dispatch`` with the SRE agent granted read-only Kubernetes and
Prometheus, on the default local model (``coder``) served by opsquad itself; ``--no-model`` passes
``options.no_model`` so the agent answers from its analyzers alone (deterministic, no model server needed).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.sre.harness import ControlPlane, FakeKubelet, ensure_binaries
from evals.sre.materialize import materialize
from evals.sre.report import format_table
from evals.sre.scenario import Scenario, load_cases
from evals.sre.scoring import score, score_baseline
from opsquad.answers import SreAnswer
from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig, ToolGrant, load_config
from opsquad.errors import OpsquadError
from opsquad.model.protocol import Completion, Message
from opsquad.request import Request
from tools.registry import TOOLS

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENT = "sre"

__all__ = ["format_table", "run_eval"]


class NoModel:
    """The model of a ``--no-model`` run: the agent must never ask it."""

    name = "no-model"

    def complete_json(self, messages: list[Message], schema: dict[str, Any], schema_name: str,
                      max_tokens: int | None = None) -> Completion:
        raise OpsquadError("--no-model run asked the model")


def eval_config(config_path: Path | None) -> OpsquadConfig:
    """agents.yaml with the SRE agent granted read-only Kubernetes (all namespaces) and Prometheus, and no default
    Prometheus URL: a scenario without metrics has none (its investigation reports Prometheus as not checked)."""
    config = load_config(config_path or REPO_ROOT / "agents.yaml", known_tools=TOOLS)
    agent = config.agents[AGENT]
    agent.tools = {"kubernetes": ToolGrant(verbs=["read"], namespaces=["*"]), "prometheus": ToolGrant()}
    config.tools.prometheus.url = ""
    return config


def _investigate(s: Scenario, plane: ControlPlane, kubelet: FakeKubelet, services: Any, workdir: Path,
                 use_model: bool) -> dict[str, Any]:
    from workflows.dispatch import dispatch

    live = materialize(plane, kubelet, s, workdir)
    try:
        options: dict[str, Any] = {"kubeconfig": str(plane.kubeconfig)}
        if live.prometheus_url:
            options["prometheus_url"] = live.prometheus_url
        if not use_model:
            options["no_model"] = True
        started = time.monotonic()
        result = dispatch(Request(workflow="oncall", question=s.question, namespace=s.namespace, options=options),
                          services)
        seconds = time.monotonic() - started
    finally:
        live.stop()
    answer = result.report.answer
    if not isinstance(answer, SreAnswer):
        raise OpsquadError(f"scenario {s.name}: the oncall workflow gave no investigation answer")
    events = plane.rest("GET", f"/api/v1/namespaces/{s.namespace}/events")["items"]
    got, base = score(s, answer), score_baseline(s, events)
    return {"name": s.name, "tag": s.tag, "class": s.incident_class, "passed": got.passed,
            "missing": got.missing_facts + [f"remediation: {r}" for r in got.missing_remediation],
            "seconds": round(seconds, 1), "tool_calls": len(answer.tool_calls),
            "root_cause": answer.root_cause[:300], "confidence": answer.confidence,
            "answered_by": answer.answered_by, "cause": answer.cause.model_dump() if answer.cause else None,
            "baseline_passed": base.passed, "baseline_missing": base.missing_facts}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)

    def rate(key: str) -> float:
        return round(sum(1 for r in rows if r[key]) / n, 3) if n else 0.0
    return {"cases": n, "passed": sum(1 for r in rows if r["passed"]), "pass_rate": rate("passed"),
            "median_seconds": round(statistics.median(r["seconds"] for r in rows), 1) if rows else 0.0,
            "median_tool_calls": statistics.median(r["tool_calls"] for r in rows) if rows else 0,
            "baseline_passed": sum(1 for r in rows if r["baseline_passed"]), "baseline_pass_rate": rate(
                "baseline_passed"), "by_tag": {t: f"{sum(1 for r in rows if r['tag'] == t and r['passed'])}/"
                                                 f"{sum(1 for r in rows if r['tag'] == t)}"
                                              for t in ("easy", "medium", "hard")}}


def run_eval(names: list[str] | None = None, use_model: bool = True, config_path: Path | None = None,
             progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    from workflows.services import Services, litellm_factory

    cases = load_cases(names)
    config = eval_config(config_path)
    ensure_binaries()
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="opsquad-eval-sre-") as tmp:
        work = Path(tmp)
        make_model = litellm_factory(config, progress) if use_model else (lambda _alias: NoModel())
        services = Services(config=config, audit=AuditLog(work / "audit.sqlite"), make_model=make_model,
                            progress=progress)
        progress("starting the Kubernetes control plane")
        with ControlPlane(work / "plane") as plane, FakeKubelet(plane, auto_events=False) as kubelet:
            for i, s in enumerate(cases, 1):
                progress(f"[{i}/{len(cases)}] {s.name}")
                rows.append(_investigate(s, plane, kubelet, services, work, use_model))
                progress(f"[{i}/{len(cases)}] {s.name}: {'pass' if rows[-1]['passed'] else 'FAIL'} "
                         f"({rows[-1]['seconds']} s)")
    return {"model": config.agents[AGENT].model if use_model else None, "cases": rows, "summary": summarize(rows),
            "wall_seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str]) -> int:
    use_model = "--no-model" not in argv
    names = [a for a in argv if not a.startswith("--")] or None
    result = run_eval(names, use_model, progress=lambda m: print(m, file=sys.stderr))
    print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
