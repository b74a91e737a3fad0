"""The run-scoped services every graph node receives as LangGraph context (never checkpointed).

Models are created lazily: an agent that never asks the model (a scan with no findings) never starts a
model server. Fallback aliases from agents.yaml are tried in order when a model is unavailable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig
from opsquad.errors import ModelUnavailable
from opsquad.model.protocol import ChatModel, Completion, Message

ModelFactory = Callable[[str], ChatModel]


def litellm_factory(config: OpsquadConfig, progress: Callable[[str], None]) -> ModelFactory:
    from opsquad.model.litellm_model import LiteLLMModel
    from opsquad.model.runtime import ensure_served

    lock = threading.Lock()
    ready: set[str] = set()

    class ServedModel:
        """Starts (or finds) the server on first use, then delegates to litellm."""

        def __init__(self, alias: str) -> None:
            self.name = alias
            self.inner = LiteLLMModel(alias, config.models[alias])

        def complete_json(self, messages: list[Message], schema: dict[str, Any], schema_name: str,
                          max_tokens: int | None = None) -> Completion:
            with lock:
                if self.name not in ready:
                    ensure_served(config, self.name, progress)
                    ready.add(self.name)
            try:
                return self.inner.complete_json(messages, schema, schema_name, max_tokens)
            except ModelUnavailable:
                if config.models[self.name].serve is None:
                    raise
                why = f"model '{self.name}' stopped answering; restarted it"
                with lock:  # the server may have died: restart it (once) and retry this request
                    progress(why)
                    ensure_served(config, self.name, progress)
                return replace(self.inner.complete_json(messages, schema, schema_name, max_tokens), restarted=why)

    return ServedModel


@dataclass
class FallbackModel:
    """Try the primary alias, then each fallback, when a model is unavailable."""

    chain: list[ChatModel]
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.chain[0].name

    def complete_json(self, messages: list[Message], schema: dict[str, Any], schema_name: str,
                      max_tokens: int | None = None) -> Completion:
        last: ModelUnavailable | None = None
        for model in self.chain:
            try:
                return model.complete_json(messages, schema, schema_name, max_tokens)
            except ModelUnavailable as exc:
                last = exc
        assert last is not None
        raise last


@dataclass
class Services:
    config: OpsquadConfig
    audit: AuditLog
    make_model: ModelFactory
    progress: Callable[[str], None] = lambda _m: None
    _models: dict[str, ChatModel] = field(default_factory=dict)

    def model(self, alias: str) -> ChatModel:
        if alias not in self._models:
            chain = [self.make_model(alias)] + [self.make_model(fb) for fb in self.config.models[alias].fallbacks]
            self._models[alias] = chain[0] if len(chain) == 1 else FallbackModel(chain)
        return self._models[alias]
