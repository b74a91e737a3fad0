"""One audited door: every tool use of an agent, deterministic or model-chosen, is granted and audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.base import AgentRun
from opsquad.config import OpsquadConfig
from opsquad.errors import ToolDenied
from opsquad.model.protocol import FakeModel
from opsquad.request import Request
from tests.support.common import make_services
from workflows.dispatch import dispatch

SHELL_APP = 'import subprocess\n\n\ndef compress(name):\n    subprocess.run(f"gzip {name}", shell=True)\n'


def _tool_events(config: OpsquadConfig, run_id: str) -> list[dict]:
    svc = make_services(config, FakeModel())
    return [e for e in svc.audit.events(run_id) if e["kind"] == "tool"]


def _scan(config: OpsquadConfig, root: Path):
    svc = make_services(config, FakeModel())
    return dispatch(Request(workflow="scan", repo=str(root), options={"no_triage": True}), svc)


def test_an_agent_not_granted_semgrep_cannot_scan(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_APP)
    granted = _scan(config, tmp_path)
    assert any(f.rule_id.endswith("shell") or "shell" in f.rule_id for f in granted.report.findings)
    allowed = [e for e in _tool_events(config, granted.run_id) if e["name"] == "semgrep"]
    assert [(e["status"], e["decision"]) for e in allowed] == [("ok", "allow")]
    assert json.loads(allowed[0]["args"]) == {"action": "scan", "files": 1}

    del config.agents["devsecops"].tools["semgrep"]  # as if agents.yaml did not grant it
    denied = _scan(config, tmp_path)
    assert denied.report.findings == []
    note = denied.report.notes[0]
    assert note.not_checked == ["security scan (semgrep: tool 'semgrep' is not granted to this agent)"]
    events = _tool_events(config, denied.run_id)
    assert [(e["name"], e["status"], e["decision"]) for e in events] == [("semgrep", "denied", "deny")]


def _run(config: OpsquadConfig, agent: str) -> AgentRun:
    svc = make_services(config, FakeModel())
    req = Request(workflow="scan")
    svc.audit.start_run(req.run_id, req.workflow, req.source, {})
    return AgentRun(name=agent, agent_config=config.agents[agent], config=config, model=FakeModel(), request=req,
                    audit=svc.audit)


def test_use_checks_the_grant_before_it_runs_and_audits_failures(config: OpsquadConfig) -> None:
    run = _run(config, "sdet")
    ran: list[str] = []
    with pytest.raises(ToolDenied, match="tool 'semgrep' is not granted"):
        run.use("semgrep", "scan", lambda: ran.append("scan"))
    assert ran == []  # denied before anything ran
    assert run.use("git", "changed_lines", lambda: {"a.py": {1}}, args={"base": "b"}, size=len) == {"a.py": {1}}
    with pytest.raises(ZeroDivisionError):
        run.use("pytest", "run", lambda: 1 / 0)
    events = _tool_events(config, run.request.run_id)
    assert [(e["name"], e["status"], e["decision"], e["result_size"]) for e in events] == [
        ("semgrep", "denied", "deny", 0), ("git", "ok", "allow", 1), ("pytest", "error", "allow", 0)]
    assert "ZeroDivisionError" in events[2]["detail"] and run.tool_calls == 3


def test_a_namespace_outside_the_grant_is_denied_for_deterministic_use_too(config: OpsquadConfig) -> None:
    config.agents["sre"].tools["kubernetes"].namespaces = ["shop"]
    run = _run(config, "sre")
    assert run.use("kubernetes", "list", lambda: [], args={"kind": "pod", "namespace": "shop"}) == []
    with pytest.raises(ToolDenied, match="namespace 'kube-system' is not granted"):
        run.use("kubernetes", "list", lambda: [], args={"kind": "pod", "namespace": "kube-system"})
