"""The explicit registry of role agents (no registration by import side effect)."""

from __future__ import annotations

from agents.base import Agent
from agents.devsecops import DevSecOpsAgent
from agents.sdet import SdetAgent
from agents.sre import SreAgent

AGENTS: dict[str, type[Agent]] = {
    "devsecops": DevSecOpsAgent,
    "sdet": SdetAgent,
    "sre": SreAgent,
}
