"""What every analyzer shares: the finding it produces, the snapshot it reads, and small JSON helpers.

Analyzers are deterministic functions of API JSON (plain dicts, as ``tools.kube_client`` returns them), so
they are unit-tested on hand-built objects and their findings can be trusted before any model sees them; the
model only explains. Each finding names the exact object, field, event or value it rests on (``evidence``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from opsquad.findings import Severity
from tools import kube_client as kc
from tools.base import ToolResult

Obj = dict[str, Any]
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


@dataclass
class Snapshot:
    """The objects one collection saw, keyed by kube_client kind ('pod', 'deployment', 'event', …)."""

    objects: dict[str, list[Obj]] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    prometheus: PromQuery | None = None
    not_checked: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[Obj]:
        return self.objects.get(kind) or []

    def events_for(self, kind: str, namespace: str | None, name: str) -> list[Obj]:
        """The object's events, oldest first."""
        out = []
        for ev in self.of("event"):
            inv = ev.get("involvedObject") or ev.get("regarding") or {}
            if (str(inv.get("kind", "")).lower() == kind and inv.get("name") == name
                    and (namespace is None or inv.get("namespace") in (namespace, None, ""))):
                out.append(ev)
        return sorted(out, key=kc.event_time)


class Analyzer(Protocol):
    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]  # kinds without which it cannot run
    optional: ClassVar[tuple[str, ...]]  # kinds that add evidence when readable (usually events)

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]: ...


def meta(o: Obj) -> Obj:
    return o.get("metadata") or {}


def ns_name(o: Obj) -> tuple[str | None, str]:
    m = meta(o)
    return m.get("namespace"), str(m.get("name"))


def condition(o: Obj, ctype: str) -> Obj | None:
    return next((c for c in (o.get("status") or {}).get("conditions") or [] if c.get("type") == ctype), None)


def labels_match(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def event_line(ev: Obj) -> str:
    inv = ev.get("involvedObject") or {}
    count = int(ev.get("count") or 1)
    return (f"event {ev.get('type')} {ev.get('reason')} on {str(inv.get('kind', '')).lower()}/{inv.get('name')}"
            f"{f' x{count}' if count > 1 else ''} at {kc.event_time(ev).isoformat()}: "
            f"{kc.one_line(str(ev.get('message') or ''), 200)}")


_SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_QTY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ('500m', '2Gi', '1e3', '10') as a number; None when it is not one."""
    match = _QTY.match(str(value).strip())
    if not match:
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2) or ""]


def workload_of(pod: Obj, replicasets: list[Obj]) -> tuple[str, str]:
    """(kind, name) of what manages a pod: the Deployment behind its ReplicaSet, else the direct owner."""
    owners = meta(pod).get("ownerReferences") or []
    if not owners:
        return "pod", str(meta(pod).get("name"))
    owner = owners[0]
    if owner.get("kind") == "ReplicaSet":
        rs = next((r for r in replicasets if meta(r).get("name") == owner.get("name")), None)
        rs_owner = (meta(rs).get("ownerReferences") or [{}])[0] if rs else {}
        if rs_owner.get("kind") == "Deployment":
            return "deployment", str(rs_owner.get("name"))
        tpl_hash = (meta(pod).get("labels") or {}).get("pod-template-hash")
        name = str(owner.get("name"))
        if rs is None and tpl_hash and name.endswith("-" + tpl_hash):
            return "deployment", name[: -len(tpl_hash) - 1]
        return "replicaset", name
    return str(owner.get("kind", "pod")).lower(), str(owner.get("name"))
