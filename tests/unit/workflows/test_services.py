"""Model fallbacks: an unavailable primary falls through to the configured fallback alias."""

from __future__ import annotations

from opsquad.config import OpsquadConfig
from opsquad.errors import ModelUnavailable
from opsquad.model.protocol import FakeModel, Message
from opsquad.model.structured import ask
from tests.support.common import make_services


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
