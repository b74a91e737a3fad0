"""The small protocol every model backend implements, and the scripted fake used by unit tests.

Agents never call litellm directly: they ask a ``ChatModel`` for JSON that matches a schema. That keeps the
model swappable (litellm to any backend in production, ``FakeModel`` in unit tests) and keeps the one place
that talks to a server small enough to measure (see ``evals/bench_model.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, str]


@dataclass
class Completion:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached_tokens: int = 0
    restarted: str = ""  # why the model server was restarted to answer this call (recorded in the audit trail)


class ChatModel(Protocol):
    """Return the raw text of one completion constrained to ``schema`` (a JSON schema)."""

    name: str

    def complete_json(self, messages: list[Message], schema: dict[str, Any], schema_name: str,
                      max_tokens: int | None = None) -> Completion: ...


Script = str | dict[str, Any] | Callable[[list[Message], dict[str, Any]], str | dict[str, Any]]


@dataclass
class FakeModel:
    """A scripted model: answers in order from ``script`` (strings, dicts or functions of the request).

    It records every request so tests can assert on what a model would have been sent (e.g. that secrets
    were masked). When the script runs out it repeats ``default`` if given, else raises.
    """

    script: list[Script] = field(default_factory=list)
    default: Script | None = None
    name: str = "fake"
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def complete_json(self, messages: list[Message], schema: dict[str, Any], schema_name: str,
                      max_tokens: int | None = None) -> Completion:
        with self._lock:
            self.requests.append({"messages": [dict(m) for m in messages], "schema": schema, "name": schema_name})
            if self.script:
                item = self.script.pop(0)
            elif self.default is not None:
                item = self.default
            else:
                raise AssertionError(f"FakeModel script exhausted at request {len(self.requests)}")
        if callable(item):
            item = item(messages, schema)
        text = item if isinstance(item, str) else json.dumps(item)
        prompt_chars = sum(len(m["content"]) for m in messages)
        return Completion(text=text, model=self.name, prompt_tokens=prompt_chars // 4,
                          completion_tokens=len(text) // 4)

    def sent_text(self) -> str:
        """Everything this model was ever sent, for canary assertions."""
        return "\n".join(m["content"] for r in self.requests for m in r["messages"])
