"""Model fallbacks and restarts: an unavailable primary falls through to the configured fallback alias; a served
model that stops answering is restarted once and the restart is in the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.base import AgentRun
from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig
from opsquad.errors import ModelUnavailable
from opsquad.model.protocol import Completion, FakeModel, Message
from opsquad.model.structured import ask
from opsquad.request import Request
from tests.support.common import make_services
from workflows.services import litellm_factory


def test_fallback_model_is_used_when_primary_is_down(config: OpsquadConfig) -> None:
    def down(_m: list[Message], _s: dict) -> dict:
        raise ModelUnavailable("primary is down")

    primary = FakeModel(default=down, name="coder")
    fallback = FakeModel(default={"ok": True}, name="fast")
    svc = make_services(config, primary)
    svc.make_model = lambda alias: {"coder": primary, "fast": fallback}[alias]
    model = svc.model("coder")
    assert ask(model, [{"role": "user", "content": "hi"}], dict) == {"ok": True}
    assert len(primary.requests) == 1 and len(fallback.requests) == 1
    assert svc.model("coder") is model  # built once per run


def test_a_restarted_model_server_is_an_audit_event(config: OpsquadConfig, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The served model stops answering mid-run: it is restarted once, the call is retried, and the run's audit
    trail says so (a restart nobody can see later is a mystery slowdown)."""
    import opsquad.model.litellm_model as litellm_model
    import opsquad.model.runtime as runtime

    calls = {"n": 0, "served": 0}

    class FlakyInner:
        def __init__(self, alias: str, _cfg: object) -> None:
            self.name = alias

        def complete_json(self, *_a: object, **_k: object) -> Completion:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ModelUnavailable("connection refused")
            return Completion(text='{"ok": true}', model="coder")

    def served(*_a: object, **_k: object) -> None:
        calls["served"] += 1

    monkeypatch.setattr(litellm_model, "LiteLLMModel", FlakyInner)
    monkeypatch.setattr(runtime, "ensure_served", served)
    audit = AuditLog(tmp_path / "audit.sqlite")
    run = AgentRun(name="devsecops", config=config, agent_config=config.agents["devsecops"],
                   request=Request(workflow="scan", run_id="r1"), audit=audit,
                   model=litellm_factory(config, lambda _m: None)("coder"))
    assert run.ask([{"role": "user", "content": "hi"}], dict) == {"ok": True}
    assert calls == {"n": 2, "served": 2}  # first use, then the restart
    kinds = [(e["kind"], e["status"]) for e in audit.events("r1")]
    assert ("model_restart", "restarted") in kinds and ("model", "ok") in kinds
