"""The orchestrator graph: route → role agents (fan-out with ``Send``) → merge → approval → apply.

Every workflow in agents.yaml runs this graph; workflows differ by which agents they name. A PR review sends
devsecops and sdet concurrently; an on-call run sends sre. Proposed write actions pause the run with
``interrupt()`` at the approval node; ``opsquad approve/reject RUN_ID`` resumes it from the checkpoint, so
no agent work is repeated.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send, interrupt

from agents.base import AgentOutput, AgentRun
from agents.registry import agent_class
from opsquad import baseline, policy
from opsquad.answers import AppliedAction, DecisionOnly, ProposedAction
from opsquad.findings import AgentNote, Finding, Report, merge_findings
from opsquad.request import Request
from tools.base import ToolContext, ToolResult, ToolStatus
from tools.registry import tool_class
from workflows.services import Services


class RunState(TypedDict, total=False):
    request: dict[str, Any]
    agent: str
    outputs: Annotated[list[dict[str, Any]], operator.add]
    decision: dict[str, Any]
    applied: list[dict[str, Any]]
    report: dict[str, Any]


def route(state: RunState, runtime: Runtime[Services]) -> list[Send]:
    req = Request.model_validate(state["request"])
    agents = runtime.context.config.workflows[req.workflow].agents
    return [Send("agent", {"request": state["request"], "agent": name}) for name in agents]


def agent_node(state: RunState, runtime: Runtime[Services]) -> dict[str, Any]:
    svc = runtime.context
    req = Request.model_validate(state["request"])
    name = state["agent"]
    cfg = svc.config.agents[name]
    tools = {t: cls() for t in cfg.tools if (cls := tool_class(t)) is not None}
    run = AgentRun(name=name, agent_config=cfg, config=svc.config, model=svc.model(cfg.model), request=req,
                   audit=svc.audit, tools=tools, progress=svc.progress)
    svc.audit.event(req.run_id, "agent_start", agent=name)
    out = agent_class(cfg.role)().run(run)
    out.proposed_actions.extend(run.proposed)
    svc.audit.event(req.run_id, "agent_end", agent=name, result_size=len(out.findings),
                    detail=out.note.summary)
    return {"outputs": [out.model_dump(mode="json")]}


def approval_node(state: RunState, runtime: Runtime[Services]) -> dict[str, Any]:
    actions = [a for o in state.get("outputs", []) for a in o.get("proposed_actions", [])]
    if not actions:
        return {"decision": {"approved": False, "by": "", "actions": []}}
    req = Request.model_validate(state["request"])
    decision = interrupt({"run_id": req.run_id, "actions": actions})
    runtime.context.audit.event(req.run_id, "approval", name="approve" if decision.get("approved") else "reject",
                                detail=f"by {decision.get('by', '?')}", args={"actions": [a["id"] for a in actions]})
    return {"decision": {**decision, "actions": actions}}


def apply_node(state: RunState, runtime: Runtime[Services]) -> dict[str, Any]:
    decision = state.get("decision") or {}
    if not decision.get("approved"):
        return {"applied": []}
    svc = runtime.context
    req = Request.model_validate(state["request"])
    applied = []
    for raw in decision.get("actions", []):
        action = ProposedAction.model_validate(raw)
        result = _apply_one(svc, action, str(decision.get("by", "")), req.options)
        svc.audit.event(req.run_id, "apply", agent=action.agent, name=action.tool, args=action.params,
                        status=result.status.value, detail=result.error or "")
        applied.append({"id": action.id, "status": result.status.value, "error": result.error,
                        "ok": result.status == ToolStatus.ok})
    return {"applied": applied}


# Request options a write needs to reach the same cluster (and Prometheus) the investigation read.
APPLY_OPTIONS = ("kubeconfig", "context", "prometheus_url")


def _apply_one(svc: Services, action: ProposedAction, by: str, options: dict[str, Any] | None = None) -> ToolResult:
    """Run one approved write, re-checking the grant against the config in force now (it may have changed).

    The tool context carries the request's kubeconfig/context, so an approved write goes to the cluster the run
    was asked about, not to whatever agents.yaml or KUBECONFIG names at approval time."""
    agent_cfg = svc.config.agents.get(action.agent)
    tool_cls = tool_class(action.tool)
    if agent_cfg is None or tool_cls is None or action.tool not in agent_cfg.tools:
        return ToolResult(status=ToolStatus.denied, error=f"'{action.tool}' is no longer granted to {action.agent}")
    tool = tool_cls()
    params = tool.Params.model_validate(action.params)
    if policy.check(agent_cfg, action.tool, tool.writes, params).outcome == "deny":
        return ToolResult(status=ToolStatus.denied, error="the grant no longer allows this action")
    extra: dict[str, Any] = {k: v for k, v in (options or {}).items() if k in APPLY_OPTIONS and v}
    ctx = ToolContext(config=svc.config, repo=None, grant=agent_cfg.tools[action.tool],
                      extra={**extra, "approved_by": by})
    try:
        return tool.run(params, ctx)
    except Exception as exc:  # a failing write is reported, never crashes the resumed run
        return ToolResult.fail(f"{type(exc).__name__}: {str(exc)[:200]}")


def merge_node(state: RunState) -> dict[str, Any]:
    req = Request.model_validate(state["request"])
    outputs = [AgentOutput.model_validate(o) for o in state.get("outputs", [])]
    findings: list[Finding] = [f for o in outputs for f in o.findings]
    if req.options.get("baseline"):
        findings = baseline.apply(findings, baseline.load(Path(str(req.options["baseline"]))))
    notes: list[AgentNote] = [o.note for o in outputs]
    answers = [o.answer for o in outputs if o.answer is not None]
    decision = state.get("decision") or {}
    answer = answers[0] if answers else None
    if state.get("applied") is not None and decision.get("actions"):
        actions = [ProposedAction.model_validate(a) for a in decision["actions"]]
        applied = [AppliedAction.model_validate(a) for a in state.get("applied") or []]
        answer = (answer or DecisionOnly()).with_decision(actions, applied, bool(decision.get("approved")),
                                                          str(decision.get("by", "")))
    rejected = bool(decision.get("actions")) and not decision.get("approved")
    status: Literal["done", "rejected"] = "rejected" if rejected else "done"
    target = f"{req.repo}@{req.base}..{req.head}" if req.base else (req.repo or req.question or "")
    report = Report(run_id=req.run_id, workflow=req.workflow, target=target, findings=merge_findings(findings),
                    notes=notes, answer=answer, status=status)
    return {"report": report.model_dump(mode="json")}


def build_graph(checkpointer: BaseCheckpointSaver[str] | None = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    g: StateGraph[RunState, Services, RunState, RunState] = StateGraph(RunState, context_schema=Services)
    g.add_node("agent", agent_node)
    g.add_node("approval", approval_node)
    g.add_node("apply", apply_node)
    g.add_node("merge", merge_node)
    g.add_conditional_edges(START, route, ["agent"])
    g.add_edge("agent", "approval")
    g.add_edge("approval", "apply")
    g.add_edge("apply", "merge")
    g.add_edge("merge", END)
    return g.compile(checkpointer=checkpointer)
