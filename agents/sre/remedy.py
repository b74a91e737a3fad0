"""The SRE agent's deterministic tool use around the model: the reads every investigation of a crash needs
(the crashed container's logs), and the write that remedies what the analyzers found.

Why not leave both to the model: a 1.5B model plans poorly, but "a crash-looping container → read its previous
logs" and "a bad rollout → roll it back" are rules, not judgement. Both go through ``AgentRun.call_tool``, so
policy, the audit trail and the approval queue apply: a write is only *proposed* (with its server-side dry-run
diff) and runs after a human approves it. Nothing here writes on its own.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agents.base import AgentRun
from agents.sre.analyzers import AnalyzerFinding
from agents.sre.analyzers.base import quantity
from agents.sre.context import related, workload
from opsquad import policy
from opsquad.answers import Evidence, Step, ToolCall
from tools.base import ToolResult, ToolStatus
from tools.kubernetes import KubernetesParams
from tools.kubernetes_write import KubernetesWriteParams

CRASHES = {"CrashLoopBackOff", "HighRestarts", "LivenessProbeFailing", "OOMKilled"}
TRAFFIC = {"HighErrorRate", "HighLatency"}
MAX_READS = 2
LOG_LINES = 3
TO_REVISION = re.compile(r"--to-revision=(\d+)")
CONTAINER = re.compile(r"container ([\w.-]+):")
LIMIT = re.compile(r"resources\.limits\.memory=([0-9.]+[A-Za-z]*)")


def _log_targets(chosen: AnalyzerFinding, ranked: list[AnalyzerFinding],
                 namespace: str | None) -> list[KubernetesParams]:
    group = [chosen, *related(chosen, ranked)]
    targets: list[KubernetesParams] = []
    for f in group:
        if f.kind == "pod" and f.problem in CRASHES and f.namespace:
            targets.append(KubernetesParams(action="logs", kind="pod", name=f.name, namespace=f.namespace,
                                            previous=True, tail=60))
            break
    if not targets and chosen.problem in TRAFFIC and (chosen.namespace or namespace):
        targets.append(KubernetesParams(action="logs", kind="deployment", name=chosen.name,
                                        namespace=chosen.namespace or namespace, tail=60))
    return targets[:MAX_READS]


def _log_lines(result: ToolResult) -> list[str]:
    data: dict[str, Any] = result.data if isinstance(result.data, dict) else {}
    lines = [str(x) for x in data.get("error_lines") or []][-LOG_LINES:]
    return lines or [str(x) for x in data.get("tail") or []][-LOG_LINES:]


def follow_up_reads(run: AgentRun, chosen: AnalyzerFinding | None, ranked: list[AnalyzerFinding],
                    transcript: list[ToolCall]) -> tuple[list[str], list[Evidence]]:
    """Read what the chosen finding calls for; returns (text for the model, evidence items from the logs)."""
    if chosen is None or "kubernetes" not in run.tools:
        return [], []
    texts: list[str] = []
    evidence: list[Evidence] = []
    for params in _log_targets(chosen, ranked, run.request.namespace):
        result = run.call_tool("kubernetes", params)
        if result.status == ToolStatus.error and params.previous:  # no previous instance: read the current one
            transcript.append(ToolCall.of("kubernetes", params, result))
            params = params.model_copy(update={"previous": False})
            result = run.call_tool("kubernetes", params)
        transcript.append(ToolCall.of("kubernetes", params, result))
        lines = _log_lines(result) if result.status == ToolStatus.ok else []
        if not lines:
            continue
        pod = str((result.data or {}).get("pod") or params.name)
        where = f"kubernetes logs {pod} -n {params.namespace}" + (" --previous" if params.previous else "")
        texts.append(f"{where}:\n" + "\n".join(f"   {line}" for line in lines))
        evidence += [Evidence(claim=f"log line {line}", source=where) for line in lines[-2:]]
    return texts, evidence


def proposal(chosen: AnalyzerFinding, ranked: list[AnalyzerFinding]) -> KubernetesWriteParams | None:
    """The one write that remedies the chosen cause, if there is a rule for it: roll back a bad rollout, or
    raise an OOM-killed container's memory limit (to twice the current one)."""
    for f in [chosen, *related(chosen, ranked)]:
        rev = TO_REVISION.search(f.command)
        if f.problem == "RecentRollout" and f.severity.value == "high" and rev and f.namespace:
            return KubernetesWriteParams(action="rollback", kind="deployment", name=f.name, namespace=f.namespace,
                                         revision=int(rev.group(1)))
    if chosen.problem == "OOMKilled" and chosen.namespace and "deployment/" in chosen.command:
        text = "\n".join(chosen.evidence)
        limit, container = LIMIT.search(text), CONTAINER.search(text)
        current = quantity(limit.group(1)) if limit else None
        if current:
            mib = max(64, int(current * 2 / 2**20))
            return KubernetesWriteParams(action="set_resources", kind="deployment", name=workload(chosen),
                                         namespace=chosen.namespace, container=container.group(1) if container
                                         else None, limits={"memory": f"{mib}Mi"})
    return None


def propose_write(run: AgentRun, chosen: AnalyzerFinding | None, ranked: list[AnalyzerFinding],
                  transcript: list[ToolCall]) -> Step | None:
    """Queue the remedying write for approval when the agent is granted ``kubernetes_write``; returns the
    remediation step (with the exact kubectl command and the patch) it stands for."""
    if chosen is None or "kubernetes_write" not in run.tools:
        return None
    if any(a.tool == "kubernetes_write" for a in run.proposed):
        return None  # the model proposed one already
    params = proposal(chosen, ranked)
    if params is None or policy.check(run.agent_config, "kubernetes_write", True, params).outcome == "deny":
        return None
    result = run.call_tool("kubernetes_write", params)
    transcript.append(ToolCall.of("kubernetes_write", params, result))
    if result.status != ToolStatus.approval_required:
        return None
    action = run.proposed[-1]
    try:
        dry: dict[str, Any] = json.loads(action.dry_run)
    except ValueError:
        dry = {}
    return Step(step=f"{params.action} {params.kind}/{params.name} is queued for approval as {action.id} "
                     f"(opsquad approve {run.request.run_id}); it runs only after a human approves it",
                command=str(dry.get("kubectl") or ""), patch=str(dry.get("diff") or action.dry_run)[:1500])
