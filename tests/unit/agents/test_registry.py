"""The agent registry names classes as strings (imported on use): every entry must resolve to its role's agent."""

from __future__ import annotations

import typing

from agents.registry import AGENTS, agent_class
from opsquad.config import AgentConfig


def test_every_configurable_role_resolves_to_its_agent() -> None:
    roles = set(typing.get_args(AgentConfig.model_fields["role"].annotation))
    assert roles == set(AGENTS)
    for role in roles:
        cls = agent_class(role)
        assert getattr(cls, "role", None) == role and callable(getattr(cls, "run", None))
