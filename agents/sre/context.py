"""What the SRE agent makes of the analyzers' findings before (and without) the model: a ranking of likely root
causes, the findings that belong together, the compact text the model reads, and a deterministic draft answer.

Why deterministic: a 1.5B model cannot be trusted to sift twenty findings, but it can choose among a few ranked
ones and explain the choice. The ranking puts specific causes (OOMKilled, a missing ConfigMap key, a storage
class that does not exist) before their symptoms (CrashLoopBackOff, unavailable replicas, Warning events), and
findings about what the question names before the rest. The same draft is the answer of ``--no-model`` runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from agents.sre.analyzers import AnalyzerFinding
from opsquad.answers import Evidence, Step
from opsquad.findings import Finding, K8sLocation, Severity

ItemT = TypeVar("ItemT")

# Lower = more likely the cause than a symptom. Problems not listed (Warning event reasons) rank as EVENT.
PRIORITY: dict[str, int] = {
    "OOMKilled": 10, "CreateContainerConfigError": 10, "ImagePullBackOff": 10, "StorageClassNotFound": 10,
    "NoStorageClass": 10, "NodeNotReady": 11, "QuotaExceeded": 12, "NoMatchingPods": 12, "DiskWillFillUp": 12,
    "DiskAlmostFull": 12, "MemoryWillRunOut": 12, "PVCPending": 13, "QuotaExhausted": 14, "HighErrorRate": 14,
    "HighLatency": 14, "Pending": 15, "MemoryPressure": 16, "DiskPressure": 16, "PIDPressure": 16,
    "AlertFiring": 16, "RecentRollout": 18, "CrashLoopBackOff": 20, "ProgressDeadlineExceeded": 22,
    "LivenessProbeFailing": 24, "NotReady": 24, "NoReadyEndpoints": 26, "Unschedulable": 28, "HighRestarts": 30,
    "UnavailableReplicas": 40,
}
EVENT = 50
RELEVANT_BONUS = 8
WEAK = Severity.low  # at or below: never a root cause on its own
POD_NAME = re.compile(r"^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$")
RS_NAME = re.compile(r"^(.+)-[a-z0-9]{5,10}$")
ALERT_TARGET = re.compile(r'\b(?:service|deployment|app|job_name)="([\w.-]+)"')
WORD = re.compile(r"[a-z0-9][a-z0-9-]{2,}")
KIND_NAMES = {"pod": "Pod", "deployment": "Deployment", "replicaset": "ReplicaSet", "service": "Service",
              "pvc": "PersistentVolumeClaim", "persistentvolumeclaim": "PersistentVolumeClaim", "node": "Node",
              "resourcequota": "ResourceQuota", "statefulset": "StatefulSet", "daemonset": "DaemonSet",
              "job": "Job", "alert": "Alert", "endpoints": "Endpoints"}
API_VERSIONS = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
                "Job": "batch/v1"}


def workload(f: AnalyzerFinding) -> str:
    """The workload a finding is about (a pod's or ReplicaSet's deployment by name), for grouping."""
    if f.kind == "pod":
        m = re.search(r"deployment/([\w.-]+)", f.command) or POD_NAME.match(f.name)
        return m.group(1) if m else f.name
    if f.kind == "replicaset":
        m = RS_NAME.match(f.name)
        return m.group(1) if m else f.name
    if f.kind == "alert":  # an alert is about the service (or deployment/pod) its labels name
        m = ALERT_TARGET.search(" ".join(f.evidence))
        return m.group(1) if m else f.name
    return f.name


def question_words(question: str) -> set[str]:
    return {w for w in WORD.findall(question.lower()) if w not in {"the", "and", "why", "what", "since", "with"}}


def relevant(f: AnalyzerFinding, words: set[str]) -> bool:
    """Does the question name this finding's object or workload (or a part of a hyphenated name)?"""
    names = {f.name.lower(), workload(f).lower()}
    parts = {p for n in names for p in n.split("-") if len(p) > 3} | names
    return any(w == p or (len(w) > 3 and (p.startswith(w) or w.startswith(p))) for w in words for p in parts)


def priority(f: AnalyzerFinding, words: set[str]) -> int:
    score = PRIORITY.get(f.problem, EVENT) if f.analyzer != "events" else EVENT
    if f.problem == "RecentRollout" and f.severity != Severity.high:
        score = EVENT + 10  # a healthy recent rollout is context, not a cause
    if f.severity.rank <= WEAK.rank:
        score += 40
    if relevant(f, words):
        score -= RELEVANT_BONUS
    return score


def rank(findings: list[AnalyzerFinding], question: str) -> list[AnalyzerFinding]:
    """Most likely root cause first; ties keep the analyzers' order (severity, then collection order)."""
    words = question_words(question)
    return sorted(findings, key=lambda f: (priority(f, words), -f.severity.rank))


def clear_problem(ranked: list[AnalyzerFinding], question: str) -> bool:
    """True when the top finding is a specific problem (not a symptom or an event): the model then only chooses
    and explains, with at most one read of its own."""
    return bool(ranked) and ranked[0].severity.rank >= Severity.medium.rank and priority(
        ranked[0], question_words(question)) < PRIORITY["UnavailableReplicas"]


def related(chosen: AnalyzerFinding, ranked: list[AnalyzerFinding], limit: int = 3) -> list[AnalyzerFinding]:
    """Other findings on the same workload (a rollout beside its crash-looping pods), most telling first."""
    key = workload(chosen)
    out = [f for f in ranked if f is not chosen and workload(f) == key and f.analyzer != "events"]
    return out[:limit]


@dataclass
class Draft:
    """A deterministic answer: what the analyzers alone can say."""

    chosen: AnalyzerFinding | None
    root_cause: str
    evidence: list[Evidence] = field(default_factory=list)
    remediation: list[Step] = field(default_factory=list)
    confidence: float = 0.0


def dedupe(items: list[ItemT], key: Callable[[ItemT], Hashable]) -> list[ItemT]:
    """Keep the first item of each ``key`` value, in order."""
    seen: set[Hashable] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def by_claim(e: Evidence) -> str:
    return e.claim


def by_command_and_step(s: Step) -> tuple[str, str]:
    return (s.command, s.step)


def source_of(f: AnalyzerFinding) -> str:
    return f"analyzer {f.analyzer}: {f.ref}"


def evidence_for(chosen: AnalyzerFinding, ranked: list[AnalyzerFinding]) -> list[Evidence]:
    items = [Evidence(claim=chosen.message, source=source_of(chosen))]
    items += [Evidence(claim=line, source=source_of(chosen)) for line in chosen.evidence[:6]]
    for f in related(chosen, ranked):
        items.append(Evidence(claim=f.message, source=source_of(f)))
        items += [Evidence(claim=line, source=source_of(f)) for line in f.evidence[:1]]
    return dedupe(items, by_claim)


def remediation_for(chosen: AnalyzerFinding, ranked: list[AnalyzerFinding]) -> list[Step]:
    """The analyzers' own steps: the chosen finding's, then a rollback when a bad rollout sits beside it."""
    steps: list[Step] = []
    for f in [chosen, *related(chosen, ranked)]:
        if f is not chosen and not (f.problem in ("RecentRollout", "ProgressDeadlineExceeded")
                                    and f.severity == Severity.high):
            continue
        if f.remediation or f.command:
            steps.append(Step(step=f.remediation or f.message, command=f.command))
    return dedupe(steps, by_command_and_step)


def draft(findings: list[AnalyzerFinding], question: str) -> Draft:
    ranked = rank(findings, question)
    if not ranked or ranked[0].severity.rank <= WEAK.rank and ranked[0].analyzer != "events":
        return Draft(None, "The analyzers found no problem in what they could read.", confidence=0.2)
    top = ranked[0]
    confidence = 0.8 if clear_problem(ranked, question) else 0.4
    return Draft(top, f"{top.ref}: {top.message}", evidence_for(top, ranked), remediation_for(top, ranked),
                 confidence)


def compact(ranked: list[AnalyzerFinding], budget_chars: int, detailed: int = 3) -> str:
    """Numbered findings for the model (F1 = most likely cause): the first few with evidence and fix."""
    lines: list[str] = []
    used = 0
    for i, f in enumerate(ranked, 1):
        block = [f"F{i} [{f.severity.value}] {f.ref} {f.problem}: {f.message}"]
        if i <= detailed:
            block += [f"   - {e}" for e in f.evidence[:4]]
            if f.command:
                block.append(f"   fix: {f.command}")
        text = "\n".join(block)
        if used + len(text) > budget_chars and lines:
            lines.append(f"(+{len(ranked) - i + 1} lower-ranked findings left out)")
            break
        lines.append(text)
        used += len(text) + 1
    return "\n".join(lines)


def to_findings(findings: list[AnalyzerFinding], agent: str) -> list[Finding]:
    """Analyzer findings as opsquad ``Finding``s with a ``K8sLocation``, so every formatter shows them."""
    out = []
    for f in findings:
        kind = KIND_NAMES.get(f.kind, f.kind[:1].upper() + f.kind[1:])
        out.append(Finding(
            rule_id=f"sre.{f.analyzer}.{f.problem}", title=f"{f.problem}: {f.ref}", message=f.message,
            severity=f.severity, category="reliability", agent=agent, source=f"analyzer:{f.analyzer}",
            location=K8sLocation(api_version=API_VERSIONS.get(kind, "v1"), object_kind=kind, namespace=f.namespace,
                                 name=f.name),
            evidence="\n".join(f.evidence), remediation=" ".join(x for x in (f.remediation, f.command) if x)))
    return out
