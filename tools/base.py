"""What every tool is: a name, a description, a ``Params`` model, whether it writes, and ``run``.

A tool never raises into the run: every outcome is a ``ToolResult`` with a typed status (ok / error /
no_data / denied / approval_required) that goes back to the model, as HolmesGPT's toolsets do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from opsquad.config import OpsquadConfig, ToolGrant


class ToolStatus(StrEnum):
    ok = "ok"
    error = "error"
    no_data = "no_data"
    denied = "denied"
    approval_required = "approval_required"


class ToolResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: ToolStatus
    data: Any = None
    error: str | None = None

    @classmethod
    def ok(cls, data: Any) -> ToolResult:
        return cls(status=ToolStatus.ok, data=data)

    @classmethod
    def fail(cls, error: str) -> ToolResult:
        return cls(status=ToolStatus.error, error=error)

    @classmethod
    def empty(cls, why: str = "") -> ToolResult:
        return cls(status=ToolStatus.no_data, error=why or None)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class ToolContext:
    """What a tool may use while running: the loaded config, the repository root, the agent's grant."""

    config: OpsquadConfig
    repo: Path | None = None
    base: str | None = None
    head: str | None = None
    grant: ToolGrant = field(default_factory=ToolGrant)
    extra: dict[str, Any] = field(default_factory=dict)


R = TypeVar("R")


class ToolUse(Protocol):
    """How a helper that runs a tool many times (the test sandbox, mutmut) reports each run to the agent's audited
    door: ``AgentRun.use`` bound to one granted tool. Outside an agent run, ``direct`` just calls."""

    def __call__(self, action: str, call: Callable[[], R], args: dict[str, Any] | None = None) -> R: ...


def direct(action: str, call: Callable[[], R], args: dict[str, Any] | None = None) -> R:
    return call()


class Tool(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    writes: ClassVar[bool]

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult: ...
