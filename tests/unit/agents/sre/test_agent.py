"""The SRE agent end to end with a scripted model on the real harness (Kubernetes 1.20 control plane, fake
kubelet, Prometheus): analyzers first, the model's choice, citation checks, the `investigate` JSON contract and
exit codes, and a rollback that is proposed, waits for approval, and is applied only after it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.sre.analyzers import AnalyzerFinding
from agents.sre.cite import Corpus, split_cited
from agents.sre.context import clear_problem, draft, evidence_for, rank, related
from evals.sre.materialize import materialize
from evals.sre.scenario import load_cases
from opsquad.answers import Evidence
from opsquad.config import OpsquadConfig, ToolGrant
from opsquad.findings import K8sLocation, Severity
from opsquad.model.protocol import FakeModel
from opsquad.request import Request
from tests.support.common import REPO_ROOT, answer_json, make_services
from tests.support.slack import dead_kubeconfig
from workflows.dispatch import dispatch, resume

READ = ToolGrant(verbs=["read"], namespaces=["*"])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sre_config(config: OpsquadConfig, **write: Any) -> OpsquadConfig:
    config.agents["sre"].tools = {"kubernetes": READ, "prometheus": ToolGrant()}
    if write:
        config.agents["sre"].tools["kubernetes_write"] = ToolGrant(approval="required", **write)
    config.tools.prometheus.url = f"http://127.0.0.1:{closed_port()}"  # nothing listens: reported not checked
    return config


def final(cause: int, root_cause: str, evidence: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"action": "final", "answer": {
        "cause": cause, "root_cause": root_cause, "evidence": evidence or [],
        "remediation": [{"step": "raise the limit", "command": "kubectl edit deployment cart"}],
        "confidence": 85, "not_checked": []}}


def scenario(name: str, namespace: str) -> Any:
    return load_cases([name])[0].model_copy(update={"namespace": namespace})


# --- without a cluster ---

def _f(problem: str, kind: str = "pod", name: str = "cart-6d9f8b7c4d-x2x9q", severity: Severity = Severity.high,
       analyzer: str = "pods", **kw: Any) -> AnalyzerFinding:
    return AnalyzerFinding(analyzer=analyzer, kind=kind, namespace="shop", name=name, problem=problem,
                           severity=severity, message=kw.pop("message", problem), **kw)


def test_ranking_puts_causes_before_symptoms_and_the_named_workload_first() -> None:
    crash = _f("CrashLoopBackOff")
    oom = _f("OOMKilled", command="kubectl set resources deployment/cart -n shop -c app --limits=memory=<x>")
    unavailable = _f("UnavailableReplicas", kind="deployment", name="cart", analyzer="deployments")
    backoff = _f("BackOff", analyzer="events", severity=Severity.medium)
    assert rank([backoff, unavailable, crash, oom], "why does cart restart?")[0] is oom
    rollout = _f("RecentRollout", kind="deployment", name="cart", analyzer="deployments",
                 command="kubectl rollout undo deployment/cart -n shop --to-revision=1")
    assert rank([crash, rollout], "cart restarts")[0] is rollout
    other = _f("ImagePullBackOff", name="search-7c9f8b7c4d-abcde")
    assert rank([other, oom], "the cart service keeps restarting")[0] is oom  # named in the question
    d = draft([crash, rollout, backoff], "cart restarts")
    assert d.chosen is rollout and "rollout undo" in d.remediation[0].command
    assert draft([], "anything?").chosen is None
    slow = _f("HighLatency", kind="service", name="cart", analyzer="prometheus", severity=Severity.medium,
              message="cart p99 latency is 2.38s (threshold 1s)")
    alert = _f("AlertFiring", kind="alert", name="CartSlow", analyzer="prometheus", severity=Severity.medium,
               evidence=['ALERTS{alertname="CartSlow",service="cart",severity="warning"} = 1'])
    assert related(alert, [alert, slow]) == [slow]  # the alert is about the service its labels name
    assert any("2.38s" in e.claim for e in evidence_for(alert, [alert, slow]))
    assert clear_problem(rank([alert, slow], "cart is slow"), "cart is slow")


def test_root_cause_always_states_the_chosen_finding() -> None:
    from agents.sre.agent import _anchor

    errors = _f("HighErrorRate", kind="service", name="orders", analyzer="prometheus",
                message="20.0% of orders's requests fail with 5xx (threshold 5%)")
    wrong = _anchor("The service 'orders' does not exist in the namespace.", errors)
    assert wrong.endswith("(analyzers: service/shop/orders HighErrorRate: 20.0% of orders's requests fail with 5xx "
                          "(threshold 5%))")
    right = "Orders fail: 20.0% of its requests end in 5xx since the payments gateway answers 503."
    assert _anchor(right, errors) == right


def test_uncited_evidence_is_flagged_not_trusted() -> None:
    corpus = Corpus(["pod/shop/cart container app: resources.limits.memory=64Mi lastState.terminated.reason="
                     "OOMKilled exitCode=137"], findings=2)
    items = [Evidence(claim="the memory limit is 64Mi and the container was OOMKilled", source="pods analyzer"),
             Evidence(claim="memory limit is 512Mi", source="kubectl describe"),
             Evidence(claim="it crashed", source="F2"),
             Evidence(claim="the database is slow", source="experience"),
             Evidence(claim="see the finding", source="F9")]
    kept, flagged = split_cited(items, corpus)
    assert [k.claim for k in kept] == [items[0].claim, "it crashed"]
    assert [f.claim for f, _ in flagged] == ["memory limit is 512Mi", "the database is slow", "see the finding"]
    assert "512mi" in flagged[0][1] and "names no object" in flagged[1][1]


# --- on the real control plane ---

def test_oom_is_found_by_the_analyzers_first_and_uncited_claims_are_flagged(
        config: OpsquadConfig, kube_plane: Any, fake_kubelet: Any, kube_namespace: str, tmp_path: Path) -> None:
    live = materialize(kube_plane, fake_kubelet, scenario("cart-restarts", kube_namespace), tmp_path)
    live.stop()
    seen: list[str] = []

    def answer(messages: list[Any], schema: dict[str, Any]) -> dict[str, Any]:
        seen.append(messages[-1]["content"])
        assert "cause" in json.dumps(schema)  # findings to choose from: the model names one
        return final(1, "The cart containers are OOM-killed: their 64Mi memory limit is too small.", [
            {"claim": "lastState.terminated.reason=OOMKilled with limits.memory=64Mi", "source": "F1"},
            {"claim": "the node has only 512Mi free", "source": "node metrics"}])

    model = FakeModel(script=[answer])
    req = Request(workflow="oncall", question=scenario("cart-restarts", kube_namespace).question,
                  namespace=kube_namespace, options={"kubeconfig": str(kube_plane.kubeconfig)})
    result = dispatch(req, make_services(sre_config(config), model))
    ans = answer_json(result.report.answer)
    assert len(model.requests) == 1  # a clear problem: the model chose and explained, no tool round-trips
    sent = model.requests[0]["messages"]
    assert sent[1]["content"] == req.question and sent[2]["content"] == seen[0]
    assert "F1 [high]" in seen[0] and "OOMKilled" in seen[0] and "resources.limits.memory=64Mi" in seen[0]
    assert "basket cache at 61MiB" in seen[0]  # the previous logs were read before the model was asked
    assert ans["cause"]["problem"] == "OOMKilled" and ans["answered_by"] == "model"
    assert "64Mi" in ans["root_cause"]
    cited = [e for e in ans["evidence"] if e["cited"]]
    uncited = [e for e in ans["evidence"] if not e["cited"]]
    assert any("resources.limits.memory=64Mi" in e["claim"] for e in cited)
    assert [e["claim"] for e in uncited] == ["the node has only 512Mi free"] and ans["uncited_evidence"] == 1
    assert ans["remediation"][0]["command"].startswith("kubectl set resources deployment/cart")
    assert any(t["tool"] == "kubernetes" and t["args"]["action"] == "logs" for t in ans["tool_calls"])
    assert any("prometheus" in n for n in ans["not_checked"])
    oom = [f for f in result.report.findings if f.rule_id == "sre.pods.OOMKilled"]
    assert oom and isinstance(oom[0].location, K8sLocation) and oom[0].location.object_kind == "Pod"
    assert oom[0].location.namespace == kube_namespace and "64Mi" in oom[0].evidence


def test_unreachable_api_server_is_not_checked_and_prometheus_still_read(
        config: OpsquadConfig, tmp_path: Path, prom_stack: Callable[..., Any]) -> None:
    stack = prom_stack(alerting=False)
    stack.exporter.inc_counter("http_requests_total", 10, {"service": "orders", "code": "500"})
    stack.prometheus.wait_for("http_requests_total")
    model = FakeModel(default={"action": "final", "answer": {
        "root_cause": "unknown", "evidence": [], "remediation": [], "confidence": 10, "not_checked": []}})
    req = Request(workflow="oncall", question="is anything wrong?", namespace="shop",
                  options={"kubeconfig": str(dead_kubeconfig(tmp_path)), "prometheus_url": stack.prometheus.url})
    ans = answer_json(dispatch(req, make_services(sre_config(config), model)).report.answer)
    assert "nothing_readable" not in ans and len(model.requests) >= 1
    assert any(n.startswith("kubernetes: ") and "unreachable" in n for n in ans["not_checked"])


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "opsquad.cli.main", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env={**os.environ, **(env or {})}, timeout=120)


def test_investigate_exits_2_in_one_line_when_nothing_is_readable(tmp_path: Path) -> None:
    res = _cli("investigate", "why is checkout down?", "--kubeconfig", str(dead_kubeconfig(tmp_path)),
               env={"PROMETHEUS_URL": f"http://127.0.0.1:{closed_port()}"})
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert lines[0].startswith("opsquad: error: nothing could be read: kubernetes: ")
    assert "prometheus: " in lines[0]
    bad = _cli("investigate", "x", "--format", "sarif")
    assert bad.returncode == 2 and "--format must be one of text, json, markdown" in bad.stderr


def test_investigate_json_contract(config: OpsquadConfig, kube_plane: Any, fake_kubelet: Any, kube_namespace: str,
                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import workflows.services
    from opsquad.cli import main

    materialize(kube_plane, fake_kubelet, scenario("invoicer-config", kube_namespace), tmp_path).stop()
    model = FakeModel(default=final(1, "invoicer cannot start: ConfigMap invoice-settings has no key DATABASE_URL."))
    monkeypatch.setattr(workflows.services, "litellm_factory", lambda _cfg, _progress: lambda _alias: model)
    monkeypatch.setattr(sys, "argv", ["opsquad", "investigate", "why do invoicer pods never start?", "-n",
                                      kube_namespace, "--kubeconfig", str(kube_plane.kubeconfig), "--format", "json",
                                      "--prometheus-url", f"http://127.0.0.1:{closed_port()}"])
    with pytest.raises(SystemExit) as exit_:
        main.run()
    assert exit_.value.code == 0
    out = json.loads(capsys.readouterr().out)  # one JSON object; the answer is under "answer"
    ans = out["answer"]
    assert {"root_cause", "evidence", "remediation", "confidence", "not_checked"} <= set(ans)
    assert "DATABASE_URL" in ans["root_cause"] and 0 <= ans["confidence"] <= 1
    assert all({"claim", "source", "cited"} <= set(e) for e in ans["evidence"])
    assert all("step" in s and "command" in s for s in ans["remediation"])
    assert any("invoice-settings" in s["command"] for s in ans["remediation"])
    assert any(n.startswith("prometheus: ") for n in ans["not_checked"])
    assert any(f["rule_id"] == "sre.pods.CreateContainerConfigError" and f["location"]["kind"] == "kubernetes"
               for f in out["findings"])


def test_rollback_is_proposed_waits_for_approval_then_applied_and_verified(
        config: OpsquadConfig, kube_plane: Any, fake_kubelet: Any, kube_namespace: str, tmp_path: Path) -> None:
    ns = kube_namespace
    case = scenario("search-rollout", ns)
    materialize(kube_plane, fake_kubelet, case, tmp_path).stop()
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/search-api"

    def image() -> str:
        return str(kube_plane.rest("GET", path)["spec"]["template"]["spec"]["containers"][0]["image"])

    cfg = sre_config(config, verbs=["rollback"], namespaces=[ns])
    model = FakeModel(default=final(1, "search-api revision 2 (3.9.0) crash-loops on a config error; roll back."))
    svc = make_services(cfg, model)
    req = Request(workflow="oncall", question=case.question, namespace=ns,
                  options={"kubeconfig": str(kube_plane.kubeconfig)})  # agents.yaml names no cluster
    paused = dispatch(req, svc)
    assert paused.awaiting_approval and paused.report.status == "awaiting_approval"
    action = paused.pending_actions[0]
    assert action["tool"] == "kubernetes_write" and action["params"]["action"] == "rollback"
    assert "search-api:3.9.0" in action["dry_run"] and "search-api:3.8.2" in action["dry_run"]
    step = answer_json(paused.report.answer)["remediation"][0]
    assert "queued for approval" in step["step"] and "rollout undo deployment/search-api" in step["command"]
    assert image().endswith(":3.9.0")  # proposed, not applied

    done = resume(paused.run_id, approved=True, by="alice", services=svc)
    applied = answer_json(done.report.answer)["applied"]
    assert applied and applied[0]["ok"] is True, applied
    assert image().endswith(":3.8.2")
    dep = kube_plane.rest("GET", path)
    assert dep["status"].get("availableReplicas") == 2 and dep["status"].get("updatedReplicas") == 2
    assert len(model.requests) == 1  # resuming did not re-run the investigation


def test_a_failing_model_falls_back_to_the_analyzers_answer(
        config: OpsquadConfig, kube_plane: Any, fake_kubelet: Any, kube_namespace: str, tmp_path: Path) -> None:
    from opsquad.errors import ModelUnavailable

    case = scenario("gateway-image", kube_namespace)
    materialize(kube_plane, fake_kubelet, case, tmp_path).stop()

    def down(_messages: Any, _schema: Any) -> dict[str, Any]:
        raise ModelUnavailable("model 'coder' at http://127.0.0.1:1/v1 is not reachable")

    req = Request(workflow="oncall", question=case.question, namespace=kube_namespace,
                  options={"kubeconfig": str(kube_plane.kubeconfig)})
    ans = answer_json(dispatch(req, make_services(sre_config(config), FakeModel(default=down))).report.answer)
    assert ans["answered_by"] == "analyzers" and ans["cause"]["problem"] == "ImagePullBackOff"
    assert "gateway:2.14.0-rc1" in ans["root_cause"]
    assert any(n.startswith("model: ") and "not reachable" in n for n in ans["not_checked"])
