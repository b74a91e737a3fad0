"""Every tool call is checked against the calling agent's grants before it runs.

A call outside the grants returns a typed ``denied`` result to the model (it can try something else); a
write call inside the grants returns ``approval_required`` and is queued for a human instead of running.
Read-only is the default: a tool an agent was not granted does not exist for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from opsquad.config import AgentConfig


@dataclass(frozen=True)
class Decision:
    outcome: Literal["allow", "deny", "approval_required"]
    reason: str = ""


def check(agent: AgentConfig, tool_name: str, writes: bool, params: BaseModel) -> Decision:
    grant = agent.tools.get(tool_name)
    if grant is None:
        return Decision("deny", f"tool '{tool_name}' is not granted to this agent")
    namespace = getattr(params, "namespace", None)
    if namespace and "*" not in grant.namespaces and namespace not in grant.namespaces:
        return Decision("deny", f"namespace '{namespace}' is not granted (allowed: {', '.join(grant.namespaces)})")
    verb = getattr(params, "verb", None)
    if isinstance(verb, str) and verb not in grant.verbs and "*" not in grant.verbs:
        return Decision("deny", f"verb '{verb}' is not granted (allowed: {', '.join(grant.verbs)})")
    if writes:
        return Decision("approval_required", "write actions run only after a human approves them")
    return Decision("allow")
