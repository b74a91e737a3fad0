"""What every role agent gets for one run, and what it gives back.

``AgentRun`` is the agent's only door to the outside: model calls and tool calls both go through it so that
policy, redaction, output budgets and the audit trail apply to every agent the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from opsquad import policy
from opsquad.audit import AuditLog
from opsquad.config import AgentConfig, OpsquadConfig
from opsquad.findings import AgentNote, Finding
from opsquad.model.protocol import ChatModel, Message
from opsquad.model.structured import ModelCall, ask
from opsquad.redact import redact
from opsquad.request import Request
from tools.base import Tool, ToolContext, ToolResult, ToolStatus

T = TypeVar("T")


class ProposedAction(BaseModel):
    """A write the agent wants to make; it runs only after a human approves it."""

    model_config = ConfigDict(extra="forbid")
    id: str
    agent: str
    tool: str
    params: dict[str, Any]
    description: str
    dry_run: str = ""


class AgentOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    findings: list[Finding] = Field(default_factory=list)
    note: AgentNote
    proposed_actions: list[ProposedAction] = Field(default_factory=list)
    answer: dict[str, Any] | None = None


@dataclass
class AgentRun:
    name: str
    cfg: AgentConfig
    config: OpsquadConfig
    model: ChatModel
    request: Request
    audit: AuditLog
    tools: dict[str, Tool] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _m: None
    proposed: list[ProposedAction] = field(default_factory=list)
    tool_calls: int = 0

    @property
    def repo(self) -> Path | None:
        return Path(self.request.repo) if self.request.repo else None

    def _record(self, call: ModelCall) -> None:
        self.audit.event(self.request.run_id, "model", agent=self.name, name=call.schema_name, model=call.model,
                         prompt_tokens=call.prompt_tokens, completion_tokens=call.completion_tokens,
                         latency_ms=int(call.latency_s * 1000), status="ok" if call.ok else "invalid",
                         detail=f"attempt {call.attempt}")

    def ask(self, messages: list[Message], output_type: type[T] | TypeAdapter[T], *, schema_name: str | None = None,
            max_tokens: int | None = None) -> T:
        return ask(self.model, messages, output_type, schema_name=schema_name, max_tokens=max_tokens,
                   record=self._record)

    def tool_context(self, tool_name: str) -> ToolContext:
        return ToolContext(config=self.config, repo=self.repo, base=self.request.base, head=self.request.head,
                           grant=self.cfg.tools[tool_name],
                           extra={**self.request.options, "namespace": self.request.namespace})

    def call_tool(self, tool_name: str, params: BaseModel) -> ToolResult:
        """Run a granted tool under policy; never raises. Writes are queued for approval, not run."""
        tool = self.tools.get(tool_name)
        started = time.perf_counter()
        if tool is None:
            result = ToolResult(status=ToolStatus.denied, error=f"tool '{tool_name}' is not available to this agent")
        else:
            decision = policy.check(self.cfg, tool_name, tool.writes, params)
            if decision.outcome == "deny":
                result = ToolResult(status=ToolStatus.denied, error=decision.reason)
            elif decision.outcome == "approval_required":
                action = ProposedAction(id=f"{self.name}-{len(self.proposed) + 1}", agent=self.name, tool=tool_name,
                                        params=params.model_dump(mode="json"),
                                        description=f"{tool_name} {params.model_dump_json()}")
                dry = tool.run(params, self._dry_run_ctx(tool_name))
                action.dry_run = redact(json.dumps(dry.data, default=str)[:4000]) if dry.data is not None else ""
                self.proposed.append(action)
                result = ToolResult(status=ToolStatus.approval_required,
                                    data={"action_id": action.id, "dry_run": action.dry_run[:1000]},
                                    error="queued: a human must approve this write before it runs")
            else:
                try:
                    result = tool.run(params, self.tool_context(tool_name))
                except Exception as exc:  # a tool bug must not crash the run; the model sees the error
                    result = ToolResult.fail(f"{type(exc).__name__}: {str(exc)[:200]}")
        self.tool_calls += 1
        size = len(json.dumps(result.data, default=str)) if result.data is not None else 0
        self.audit.event(self.request.run_id, "tool", agent=self.name, name=tool_name,
                         args=params.model_dump(mode="json"), result_size=size, status=result.status.value,
                         latency_ms=int((time.perf_counter() - started) * 1000), detail=result.error or "")
        return result

    def _dry_run_ctx(self, tool_name: str) -> ToolContext:
        ctx = self.tool_context(tool_name)
        ctx.extra["dry_run"] = True
        return ctx

    def budget_chars(self) -> int:
        """Tool output shown to the model is cut to the configured token budget (about 4 chars a token)."""
        return self.config.tools.max_output_tokens * 4


class Agent(Protocol):
    role: str

    def run(self, run: AgentRun) -> AgentOutput: ...


def load_prompt(run: AgentRun, packaged: Path) -> str:
    """The agent's system prompt: the file named in agents.yaml (relative to it), else ``packaged`` (the role
    package's own ``prompt.md``)."""
    if run.cfg.prompt:
        path = Path(run.cfg.prompt)
        if not path.is_absolute():
            path = run.config.base_dir / path
        return path.read_text(encoding="utf-8").strip()
    return packaged.read_text(encoding="utf-8").strip()
