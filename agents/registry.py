"""The explicit registry of role agents (no registration by import side effect).

Entries name their class as "module:Class" and are imported on first use: a scan should not pay for importing
the SRE agent's Kubernetes and Prometheus code (a measurable part of a one-file diff scan's wall time).
"""

from __future__ import annotations

import importlib

from agents.base import Agent

AGENTS: dict[str, str] = {
    "devsecops": "agents.devsecops.agent:DevSecOpsAgent",
    "sdet": "agents.sdet.agent:SdetAgent",
    "sre": "agents.sre.agent:SreAgent",
}


def agent_class(role: str) -> type[Agent]:
    """The class registered for ``role``; KeyError for an unknown role (config validation rejects those)."""
    module, _, name = AGENTS[role].partition(":")
    cls: type[Agent] = getattr(importlib.import_module(module), name)
    return cls
