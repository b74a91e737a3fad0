"""The LangGraph orchestrator with a scripted model: fan-out, merge, approval pause/resume, audit, policy."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
import yaml
from pydantic import BaseModel, ConfigDict

from opsquad.config import parse_config
from opsquad.model.protocol import FakeModel
from opsquad.request import Request
from tests.support.common import REPO_ROOT, make_services
from tools.base import ToolContext, ToolResult
from workflows.dispatch import dispatch, resume


class ScaleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verb: str = "scale"
    namespace: str
    name: str
    replicas: int


class FakeScaleTool:
    """A write tool that records what it was asked to do (and whether it was a dry run)."""

    name: ClassVar[str] = "fake_scale"
    description: ClassVar[str] = "Scale a deployment."
    Params: ClassVar[type[BaseModel]] = ScaleParams
    writes: ClassVar[bool] = True
    calls: ClassVar[list[tuple[dict, bool]]] = []

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        dry = bool(ctx.extra.get("dry_run"))
        FakeScaleTool.calls.append((params.model_dump(), dry))
        return ToolResult.ok({"dry_run": dry, "diff": "spec.replicas: 1 -> 3"})


@pytest.fixture
def sre_config(monkeypatch: pytest.MonkeyPatch):
    from tools.registry import TOOLS

    monkeypatch.setitem(TOOLS, "fake_scale", FakeScaleTool)  # type: ignore[arg-type]
    FakeScaleTool.calls.clear()
    data = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
    data["agents"]["sre"]["tools"] = {
        "prometheus": {},
        "fake_scale": {"verbs": ["scale"], "namespaces": ["shop"], "approval": "required"},
    }
    return parse_config(data)


def _final(root_cause: str = "checkout is under-provisioned") -> dict:
    return {"action": "final", "answer": {
        "root_cause": root_cause, "evidence": [{"claim": "p99 latency 2.1s", "source": "prometheus: p99"}],
        "remediation": [{"step": "scale checkout to 3",
                         "command": "kubectl -n shop scale deploy/checkout --replicas=3"}],
        "confidence": 70, "not_checked": []}}


def test_write_action_pauses_for_approval_then_applies(sre_config) -> None:
    model = FakeModel(script=[
        {"action": "fake_scale", "args": {"verb": "scale", "namespace": "shop", "name": "checkout", "replicas": 3}},
        _final(),
    ])
    svc = make_services(sre_config, model)
    result = dispatch(Request(workflow="oncall", question="why is checkout slow?"), svc)
    assert result.awaiting_approval
    assert result.report.status == "awaiting_approval"
    assert [dry for _, dry in FakeScaleTool.calls] == [True]  # only the dry run so far
    assert result.pending_actions[0]["tool"] == "fake_scale"
    assert "spec.replicas" in result.pending_actions[0]["dry_run"]
    # the model saw 'approval_required', not a success
    assert "approval_required" in model.requests[1]["messages"][-1]["content"]

    done = resume(result.run_id, approved=True, by="alice", services=svc)
    assert not done.awaiting_approval
    assert [dry for _, dry in FakeScaleTool.calls] == [True, False]
    assert done.report.answer and done.report.answer.approved_by == "alice"
    assert done.report.answer.applied and done.report.answer.applied[0].ok is True
    assert len(model.requests) == 2  # resuming did not re-run the agent
    kinds = [e["kind"] for e in svc.audit.events(result.run_id)]
    assert "approval" in kinds and "apply" in kinds


def test_rejected_action_is_never_applied(sre_config) -> None:
    model = FakeModel(script=[
        {"action": "fake_scale", "args": {"verb": "scale", "namespace": "shop", "name": "checkout", "replicas": 3}},
        _final(),
    ])
    svc = make_services(sre_config, model)
    result = dispatch(Request(workflow="oncall", question="why?"), svc)
    done = resume(result.run_id, approved=False, by="bob", services=svc)
    assert done.report.status == "rejected"
    assert [dry for _, dry in FakeScaleTool.calls] == [True]


def test_denied_namespace_goes_back_to_the_model(sre_config) -> None:
    model = FakeModel(script=[
        {"action": "fake_scale", "args": {"verb": "scale", "namespace": "kube-system", "name": "dns", "replicas": 0}},
        _final(),
    ])
    svc = make_services(sre_config, model)
    result = dispatch(Request(workflow="oncall", question="why?"), svc)
    assert not result.awaiting_approval
    assert FakeScaleTool.calls == []
    assert "status=denied" in model.requests[1]["messages"][-1]["content"]
    tool_events = [e for e in svc.audit.events(result.run_id) if e["kind"] == "tool" and e["name"] == "fake_scale"]
    assert tool_events[0]["status"] == "denied" and tool_events[0]["decision"] == "deny"


def test_final_step_forces_an_answer(sre_config) -> None:
    sre_config.agents["sre"].max_steps = 2
    model = FakeModel(script=[{"action": "prometheus", "args": {"query": "up", "kind": "instant", "minutes": 5}},
                              _final("no data")])
    svc = make_services(sre_config, model)
    sre_config.tools.prometheus.url = "http://127.0.0.1:9"  # nothing listens: a typed error, not a crash
    result = dispatch(Request(workflow="oncall", question="is it up?"), svc)
    last_schema = model.requests[-1]["schema"]
    assert "oneOf" not in str(last_schema) and "final" in str(last_schema)
    assert result.report.answer and "prometheus (tool error)" in result.report.answer.not_checked


def test_repeated_call_is_not_rerun_and_forces_an_answer(sre_config) -> None:
    call = {"action": "prometheus", "args": {"query": "up", "kind": "instant", "minutes": 5}}
    model = FakeModel(script=[call, call, _final("prometheus is down")])
    svc = make_services(sre_config, model)
    result = dispatch(Request(workflow="oncall", question="is it up?",
                              options={"prometheus_url": "http://127.0.0.1:9"}), svc)
    tool_events = [e for e in svc.audit.events(result.run_id)  # the model's calls, not the analyzers' queries
                   if e["kind"] == "tool" and json.loads(e["args"]).get("query") == "up"]
    assert len(tool_events) == 1
    assert "127.0.0.1:9 " in tool_events[0]["detail"]  # the request's URL, not the configured one
    assert "oneOf" not in str(model.requests[-1]["schema"])
    assert result.report.answer and result.report.answer.root_cause == "prometheus is down"
