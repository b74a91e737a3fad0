"""What every analyzer shares: the finding it produces (and its one builder, ``finding``) and the snapshot it reads.

Analyzers are deterministic functions of API JSON (plain dicts, as ``tools.kube_client`` returns them), so
they are unit-tested on hand-built objects and their findings can be trusted before any model sees them; the
model only explains. Each finding names the exact object, field, event or value it rests on (``evidence``).
The helpers on API JSON (metadata, conditions, quantities, events, owners) are in ``tools.kube_objects``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from opsquad.findings import Severity
from tools.base import ToolResult
from tools.kube_objects import Obj, event_time, involved, ns_name, quantity

__all__ = ["Analyzer", "AnalyzerFinding", "Obj", "PromQuery", "Snapshot", "Target", "finding", "quantity"]

PromQuery = Callable[[str], ToolResult]


class AnalyzerFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    analyzer: str = ""
    kind: str = Field(description="Object kind, lower case (pod, deployment, node, alert, …).")
    namespace: str | None = None
    name: str
    problem: str = Field(description="Short code, e.g. CrashLoopBackOff, OOMKilled, ProgressDeadlineExceeded.")
    severity: Severity
    message: str
    evidence: list[str] = Field(default_factory=list, description="Exact object/field/event/value it rests on.")
    remediation: str = ""
    command: str = Field(default="", description="A kubectl command that applies the remediation, if one does.")

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"


Target = Obj | tuple[str | None, str]  # an API object, or (namespace, name) of what is not one (an alert, a node:mount)


def finding(analyzer: str, kind: str, target: Target, problem: str, severity: Severity, message: str,
            evidence: list[str] | None = None, remediation: str = "", command: str = "") -> AnalyzerFinding:
    """The one way an analyzer builds a finding: namespace and name come from the object's metadata (or are given)."""
    namespace, name = ns_name(target) if isinstance(target, dict) else target
    return AnalyzerFinding(analyzer=analyzer, kind=kind, namespace=namespace, name=name, problem=problem,
                           severity=severity, message=message, evidence=evidence or [], remediation=remediation,
                           command=command)


@dataclass
class Snapshot:
    """The objects one collection saw, keyed by kube_client kind ('pod', 'deployment', 'event', …)."""

    objects: dict[str, list[Obj]] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    prometheus: PromQuery | None = None
    not_checked: list[str] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)  # sources ("prometheus") an analyzer could not reach at all

    def of(self, kind: str) -> list[Obj]:
        return self.objects.get(kind) or []

    def events_for(self, kind: str, namespace: str | None, name: str) -> list[Obj]:
        """The object's events, oldest first."""
        out = []
        for ev in self.of("event"):
            inv = involved(ev)
            if (str(inv.get("kind", "")).lower() == kind and inv.get("name") == name
                    and (namespace is None or inv.get("namespace") in (namespace, None, ""))):
                out.append(ev)
        return sorted(out, key=event_time)


class Analyzer(Protocol):
    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]  # kinds without which it cannot run
    optional: ClassVar[tuple[str, ...]]  # kinds that add evidence when readable (usually events)

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]: ...
