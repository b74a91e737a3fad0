"""Grants: untouched tools are denied, namespaces and verbs are enforced, writes need approval."""

from __future__ import annotations

from pydantic import BaseModel

from opsquad.config import AgentConfig, ToolGrant
from opsquad.policy import check


class P(BaseModel):
    verb: str = "get"
    namespace: str = "shop"


def _agent(**tools: ToolGrant) -> AgentConfig:
    return AgentConfig(role="sre", model="coder", tools=tools)


def test_ungranted_tool_is_denied() -> None:
    assert check(_agent(), "kubernetes", False, P()).outcome == "deny"


def test_namespace_and_verb_are_enforced() -> None:
    agent = _agent(kubernetes=ToolGrant(verbs=["get", "list"], namespaces=["shop"]))
    assert check(agent, "kubernetes", False, P()).outcome == "allow"
    assert check(agent, "kubernetes", False, P(namespace="kube-system")).outcome == "deny"
    assert check(agent, "kubernetes", False, P(verb="delete")).outcome == "deny"


def test_writes_need_approval_even_when_granted() -> None:
    agent = _agent(kw=ToolGrant(verbs=["scale"], approval="required"))
    assert check(agent, "kw", True, P(verb="scale")).outcome == "approval_required"
