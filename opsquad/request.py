"""The one request type every trigger becomes: a PR event, a Slack message, an Alertmanager webhook, the CLI."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: str = Field(description="Name of a workflow in agents.yaml, e.g. 'pr_review', 'oncall'.")
    source: Literal["cli", "github", "slack", "alertmanager", "api"] = "cli"
    run_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    repo: str | None = None
    base: str | None = None
    head: str | None = None
    paths: list[str] = Field(default_factory=list)
    all_lines: bool = False
    question: str | None = None
    namespace: str | None = None
    thread_id: str | None = Field(default=None, description="Conversation thread (e.g. a Slack thread ts).")
    options: dict[str, Any] = Field(default_factory=dict)
