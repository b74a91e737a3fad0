"""One dispatch function for every trigger: a ``Request`` in, a ``RunResult`` out.

The CLI, the GitHub Action and the Slack bot all build a ``Request`` and call ``dispatch``; approvals call
``resume``. The run id is the LangGraph thread id, so a paused run resumes from its checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from opsquad.config import OpsquadConfig
from opsquad.errors import ConfigError, OpsquadError
from opsquad.findings import Report
from opsquad.request import Request
from workflows.checkpoint import open_checkpointer
from workflows.graph import build_graph, merge_node
from workflows.services import Services


@dataclass
class RunResult:
    run_id: str
    report: Report
    pending_actions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def awaiting_approval(self) -> bool:
        return bool(self.pending_actions)


def _result(run_id: str, values: dict[str, Any], interrupts: list[Any]) -> RunResult:
    """The run's report from its graph state: the merged report when it finished, else (paused on an approval)
    what the agents produced so far, with the actions that wait."""
    if interrupts or "report" not in values:  # paused, or stopped before the merge (a failed run)
        report = Report.model_validate(merge_node(values)["report"])  # type: ignore[arg-type]
        report.status = "awaiting_approval" if interrupts else "failed"
        actions = [a for i in interrupts for a in (i.value or {}).get("actions", [])]
        return RunResult(run_id, report, actions)
    return RunResult(run_id, Report.model_validate(values["report"]))


def _finish(services: Services, run_id: str, values: dict[str, Any], interrupts: list[Any]) -> RunResult:
    result = _result(run_id, values, interrupts)
    if result.awaiting_approval:
        services.audit.finish_run(run_id, "awaiting_approval",
                                  f"{len(result.pending_actions)} action(s) await approval")
        return result
    report = result.report
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n)
    services.audit.finish_run(run_id, report.status, f"{len(report.active())} finding(s) {counts}".strip())
    return result


def load_result(run_id: str, config: OpsquadConfig) -> tuple[Request, RunResult] | None:
    """A finished or paused run's request and report, read back from its checkpoint; None for an unknown id.

    The one way to look at an earlier run's answer (a Slack thread's earlier turns, the CLI): callers get the
    typed ``Report``, never the checkpoint's raw state."""
    cfg: RunnableConfig = {"configurable": {"thread_id": run_id}}
    with open_checkpointer(config) as saver:
        snap = build_graph(saver).get_state(cfg)
    values = dict(snap.values)
    if not values.get("request"):
        return None
    return Request.model_validate(values["request"]), _result(run_id, values, list(snap.interrupts))


def dispatch(request: Request, services: Services) -> RunResult:
    """Run one request to its end (or to an approval pause); whatever escapes marks the run failed in the audit
    trail before it propagates (``AuditLog.failed_if_raises``)."""
    if request.workflow not in services.config.workflows:
        raise ConfigError(f"unknown workflow '{request.workflow}' (agents.yaml has: "
                          f"{', '.join(services.config.workflows) or 'none'})")
    services.audit.start_run(request.run_id, request.workflow, request.source, request.model_dump(mode="json"))
    cfg: RunnableConfig = {"configurable": {"thread_id": request.run_id}}
    with services.audit.failed_if_raises(request.run_id), open_checkpointer(services.config) as saver:
        graph = build_graph(saver)
        graph.invoke({"request": request.model_dump(mode="json"), "outputs": []}, cfg, context=services)
        snap = graph.get_state(cfg)
        return _finish(services, request.run_id, dict(snap.values), list(snap.interrupts))


def resume(run_id: str, approved: bool, by: str, services: Services) -> RunResult:
    """Resume a run paused for approval with the human's decision."""
    cfg: RunnableConfig = {"configurable": {"thread_id": run_id}}
    with open_checkpointer(services.config) as saver:
        graph = build_graph(saver)
        snap = graph.get_state(cfg)
        if not snap.values:
            raise OpsquadError(f"no run with id '{run_id}'")
        if not snap.interrupts:
            raise OpsquadError(f"run '{run_id}' is not waiting for an approval")
        with services.audit.failed_if_raises(run_id):
            graph.invoke(Command(resume={"approved": approved, "by": by}), cfg, context=services)
            snap = graph.get_state(cfg)
            return _finish(services, run_id, dict(snap.values), list(snap.interrupts))
