"""``ChatModel`` backed by litellm, so any OpenAI-compatible or litellm-supported backend works.

For llama.cpp servers the JSON schema is enforced by the server's grammar: xllamacpp (and OpenAI-style
servers) take ``response_format: {type: json_schema}``; llama-cpp-python's server wants
``{type: json_object, schema}``. litellm is imported lazily: its import costs seconds, and commands that
never call a model should not pay it.
"""

from __future__ import annotations

import os
import time
from typing import Any

from opsquad.config import ModelConfig
from opsquad.errors import ModelUnavailable
from opsquad.model.protocol import Completion, Message

_litellm: Any = None


def _lib() -> Any:
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_LOG", "ERROR")
        import litellm

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        _litellm = litellm
    return _litellm


class LiteLLMModel:
    def __init__(self, alias: str, cfg: ModelConfig) -> None:
        self.name = alias
        self.cfg = cfg

    def _response_format(self, schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        if self.cfg.serve is not None and self.cfg.serve.runtime == "llama-cpp-python":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": schema_name, "schema": schema, "strict": True}}

    def complete_json(self, messages: list[Message], schema: dict[str, Any], schema_name: str,
                      max_tokens: int | None = None) -> Completion:
        lib = _lib()
        api_key = os.environ.get(self.cfg.api_key_env, "") if self.cfg.api_key_env else "local"
        started = time.perf_counter()
        try:
            resp = lib.completion(
                model=self.cfg.model,
                api_base=self.cfg.api_base,
                api_key=api_key or "local",
                messages=messages,
                temperature=self.cfg.temperature,
                max_tokens=max_tokens or self.cfg.max_tokens,
                timeout=self.cfg.timeout_s,
                response_format=self._response_format(schema, schema_name),
                num_retries=0,
            )
        except Exception as exc:  # litellm maps every backend error to its own classes
            kind = type(exc).__name__
            if "Connection" in kind or "ServiceUnavailable" in kind or "Timeout" in kind:
                raise ModelUnavailable(f"model '{self.name}' at {self.cfg.api_base} is unreachable ({kind})") from None
            raise ModelUnavailable(f"model '{self.name}' failed: {kind}: {str(exc)[:200]}") from None
        latency = time.perf_counter() - started
        usage = getattr(resp, "usage", None)
        details = getattr(usage, "prompt_tokens_details", None)
        return Completion(
            text=resp.choices[0].message.content or "",
            model=self.cfg.model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            latency_s=latency,
            cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
        )
