"""List what the analyzers need from a cluster (one namespace or all), run every analyzer, and say what
could not be checked.

Each kind is listed once and shared. A kind that cannot be read (forbidden, not served) only disables the
analyzers that need it, and is named in ``not_checked``; an unreachable API server is reported once and the
remaining kinds are not attempted. An analyzer that fails is reported as not checked, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agents.sre.analyzers import ANALYZERS
from agents.sre.analyzers.base import Analyzer, AnalyzerFinding, PromQuery, Snapshot
from opsquad.findings import SEVERITY_ORDER
from tools import kube_client as kc

CLUSTER_SCOPED = {"node", "storageclass", "pv", "namespace"}


class Availability(StrEnum):
    """Whether a source (the Kubernetes API, Prometheus) could be read in one collection."""

    read = "read"
    unreachable = "unreachable"
    not_asked = "not_asked"  # no chosen analyzer needed it


class CollectResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    namespace: str | None
    findings: list[AnalyzerFinding] = Field(default_factory=list)
    checked: list[str] = Field(default_factory=list, description="Analyzers that ran.")
    not_checked: list[str] = Field(default_factory=list, description="What could not be checked, and why.")
    kubernetes: Availability = Availability.not_asked
    prometheus: Availability = Availability.not_asked


class Lister(Protocol):
    """What collection needs of a cluster client: one list call per kind (``tools.kube_client.Kube`` has it)."""

    def list(self, kind: str, namespace: str | None = None) -> list[Any]: ...


def _snapshot(kube: Lister | None, kinds: set[str], namespace: str | None,
              not_checked: list[str]) -> tuple[dict[str, list[Any]], dict[str, str], bool]:
    """The listed objects by kind, the kinds that failed (with why), and whether the API server was reached."""
    objects: dict[str, list[Any]] = {}
    failed: dict[str, str] = {}
    down = ""
    for kind in sorted(kinds):
        if kube is None or down:
            failed[kind] = down or "no cluster"
            continue
        try:
            objects[kind] = kube.list(kind, None if kind in CLUSTER_SCOPED else namespace)
        except kc.KubeError as err:
            failed[kind] = err.message
            if err.status is None:  # not reached at all: everything else would fail the same way
                down = err.message
                not_checked.append(f"kubernetes: {err.message}")
            else:
                not_checked.append(f"{kind}: {err.message}")
    return objects, failed, kube is not None and not down


def collect(kube: Lister | None, namespace: str | None = None, prometheus: PromQuery | None = None,
            analyzers: Mapping[str, Analyzer] | None = None, now: datetime | None = None) -> CollectResult:
    chosen = dict(analyzers if analyzers is not None else ANALYZERS)
    not_checked: list[str] = []
    kinds = {k for a in chosen.values() for k in (*a.needs, *a.optional)}
    objects, failed, reached = _snapshot(kube, kinds, namespace, not_checked)
    snap = Snapshot(objects=objects, now=now or datetime.now(UTC), prometheus=prometheus, not_checked=not_checked)
    findings: list[AnalyzerFinding] = []
    checked = []
    for name, analyzer in chosen.items():
        missing = [k for k in analyzer.needs if k in failed]
        if missing:
            not_checked.append(f"analyzer {name}: cannot read {', '.join(missing)}")
            continue
        try:
            findings += analyzer.analyze(snap)
        except Exception as exc:  # an analyzer bug must not hide the other analyzers' findings
            not_checked.append(f"analyzer {name}: {type(exc).__name__}: {kc.one_line(str(exc), 160)}")
            continue
        checked.append(name)
    findings.sort(key=lambda f: -SEVERITY_ORDER.index(f.severity))
    return CollectResult(namespace=namespace, findings=findings, checked=checked,
                         not_checked=list(dict.fromkeys(not_checked)),
                         kubernetes=_availability(bool(kinds), not reached),
                         prometheus=_availability("prometheus" in chosen, "prometheus" in snap.unreachable))


def _availability(asked: bool, unreachable: bool) -> Availability:
    if not asked:
        return Availability.not_asked
    return Availability.unreachable if unreachable else Availability.read
