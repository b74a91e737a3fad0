"""What every role agent gets for one run, and what it gives back.

``AgentRun`` is the agent's only door to the outside. Model calls go through ``ask``; tool calls go through
``call_tool`` when the model chose them (a typed ``ToolResult`` goes back to the model) and through ``use`` when
the agent's own code makes them (a Semgrep scan, a git diff, the analyzers' list calls, a sandboxed pytest run).
Both check the grant in agents.yaml with ``opsquad.policy``, and both write one audit event with the decision,
so an agent without ``semgrep`` cannot scan and every use shows in ``opsquad runs show``.
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
from opsquad.answers import Answer, ProposedAction
from opsquad.audit import AuditLog
from opsquad.config import AgentConfig, OpsquadConfig
from opsquad.errors import ToolDenied
from opsquad.findings import AgentNote, Finding
from opsquad.model.protocol import ChatModel, Message
from opsquad.model.structured import ModelCall, ask
from opsquad.redact import redact
from opsquad.request import Request
from tools.base import Tool, ToolContext, ToolResult, ToolStatus, ToolUse

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["Agent", "AgentOutput", "AgentRun", "ProposedAction", "load_prompt"]


class AgentOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    findings: list[Finding] = Field(default_factory=list)
    note: AgentNote
    proposed_actions: list[ProposedAction] = Field(default_factory=list)
    answer: Answer | None = None


class _Operation(BaseModel):
    """What a deterministic use asks of a tool, as policy sees it (a verb and a namespace, when they apply)."""

    model_config = ConfigDict(extra="allow")
    verb: str | None = None
    namespace: str | None = None


@dataclass
class AgentRun:
    name: str
    agent_config: AgentConfig
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
        if call.restarted:
            self.audit.event(self.request.run_id, "model_restart", agent=self.name, name=call.schema_name,
                             model=call.model, status="restarted", detail=call.restarted)
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
                           grant=self.agent_config.tools[tool_name],
                           extra={**self.request.options, "namespace": self.request.namespace})

    def granted(self, tool_name: str) -> bool:
        return tool_name in self.agent_config.tools

    def _audit_tool(self, tool_name: str, args: Any, started: float, *, status: str, decision: str,
                    size: int = 0, detail: str = "") -> None:
        self.tool_calls += 1
        self.audit.event(self.request.run_id, "tool", agent=self.name, name=tool_name, args=args, result_size=size,
                         status=status, latency_ms=int((time.perf_counter() - started) * 1000), detail=detail,
                         decision=decision)

    def use(self, tool_name: str, action: str, call: Callable[[], R], *, args: dict[str, Any] | None = None,
            size: Callable[[R], int] | None = None, status: Callable[[R], str] | None = None) -> R:
        """Run ``call`` as a use of ``tool_name`` that the agent's code makes (no model involved).

        The grant is checked first (``args`` may name a ``verb`` and a ``namespace`` for policy); a use outside
        it is audited as denied and raises ``ToolDenied``. Otherwise the call runs and is audited with its
        latency and status; its exceptions propagate to the agent, which knows what a failure means for it."""
        started = time.perf_counter()
        shown = {"action": action, **(args or {})}
        decision = policy.check(self.agent_config, tool_name, False, _Operation.model_validate(args or {}))
        if decision.outcome == "deny":
            self._audit_tool(tool_name, shown, started, status=ToolStatus.denied.value, decision="deny",
                             detail=decision.reason)
            raise ToolDenied(f"{tool_name}: {decision.reason}")
        try:
            value = call()
        except Exception as exc:
            self._audit_tool(tool_name, shown, started, status=ToolStatus.error.value, decision="allow",
                             detail=f"{type(exc).__name__}: {str(exc)[:200]}")
            raise
        self._audit_tool(tool_name, shown, started, status=status(value) if status else ToolStatus.ok.value,
                         decision="allow", size=size(value) if size else 0)
        return value

    def user(self, tool_name: str) -> ToolUse:
        """``use`` bound to one tool, for helpers that run it many times (the test sandbox runs ``pytest``)."""
        return _BoundUse(self, tool_name)

    def call_tool(self, tool_name: str, params: BaseModel) -> ToolResult:
        """Run a model-chosen (or rule-chosen) tool call under policy; never raises. Writes are queued for
        approval with their dry run, not run."""
        tool = self.tools.get(tool_name)
        started = time.perf_counter()
        outcome = "deny"
        if tool is None:
            result = ToolResult(status=ToolStatus.denied, error=f"tool '{tool_name}' is not available to this agent")
        else:
            decision = policy.check(self.agent_config, tool_name, tool.writes, params)
            outcome = decision.outcome
            if decision.outcome == "deny":
                result = ToolResult(status=ToolStatus.denied, error=decision.reason)
            elif decision.outcome == "approval_required":
                result = self._queue_write(tool, tool_name, params)
            else:
                try:
                    result = tool.run(params, self.tool_context(tool_name))
                except Exception as exc:  # a tool bug must not crash the run; the model sees the error
                    result = ToolResult.fail(f"{type(exc).__name__}: {str(exc)[:200]}")
        size = len(json.dumps(result.data, default=str)) if result.data is not None else 0
        self._audit_tool(tool_name, params.model_dump(mode="json"), started, status=result.status.value,
                         decision=outcome, size=size, detail=result.error or "")
        return result

    def _queue_write(self, tool: Tool, tool_name: str, params: BaseModel) -> ToolResult:
        action = ProposedAction(id=f"{self.name}-{len(self.proposed) + 1}", agent=self.name, tool=tool_name,
                                params=params.model_dump(mode="json"),
                                description=f"{tool_name} {params.model_dump_json()}")
        ctx = self.tool_context(tool_name)
        ctx.extra["dry_run"] = True
        dry = tool.run(params, ctx)
        action.dry_run = redact(json.dumps(dry.data, default=str)[:4000]) if dry.data is not None else ""
        self.proposed.append(action)
        return ToolResult(status=ToolStatus.approval_required,
                          data={"action_id": action.id, "dry_run": action.dry_run[:1000]},
                          error="queued: a human must approve this write before it runs")

    def budget_chars(self) -> int:
        """Tool output shown to the model is cut to the configured token budget (about 4 chars a token)."""
        return self.config.tools.max_output_tokens * 4


class _BoundUse:
    def __init__(self, run: AgentRun, tool_name: str) -> None:
        self.run = run
        self.tool_name = tool_name

    def __call__(self, action: str, call: Callable[[], R], args: dict[str, Any] | None = None) -> R:
        return self.run.use(self.tool_name, action, call, args=args)


class Agent(Protocol):
    role: str

    def run(self, run: AgentRun) -> AgentOutput: ...


def load_prompt(run: AgentRun, packaged: Path) -> str:
    """The agent's system prompt: the file named in agents.yaml (relative to it), else ``packaged`` (the role
    package's own ``prompt.md``)."""
    if run.agent_config.prompt:
        path = Path(run.agent_config.prompt)
        if not path.is_absolute():
            path = run.config.base_dir / path
        return path.read_text(encoding="utf-8").strip()
    return packaged.read_text(encoding="utf-8").strip()
