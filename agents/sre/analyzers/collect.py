"""List what the analyzers need from a cluster (one namespace or all), run every analyzer, and say what
could not be checked.

Each kind is listed once and shared. A kind that cannot be read (forbidden, not served) only disables the
analyzers that need it, and is named in ``not_checked``; an unreachable API server is reported once and the
remaining kinds are not attempted. An analyzer that fails is reported as not checked, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.sre.analyzers import ANALYZERS
from agents.sre.analyzers.base import Analyzer, AnalyzerFinding, PromQuery, Snapshot
from opsquad.findings import SEVERITY_ORDER
from tools import kube_client as kc
from tools.base import ToolContext
from tools.prometheus import query as prom_query

CLUSTER_SCOPED = {"node", "storageclass", "pv", "namespace"}


class CollectResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    namespace: str | None
    findings: list[AnalyzerFinding] = Field(default_factory=list)
    checked: list[str] = Field(default_factory=list, description="Analyzers that ran.")
    not_checked: list[str] = Field(default_factory=list, description="What could not be checked, and why.")


def _snapshot(kube: kc.Kube | None, kinds: set[str], namespace: str | None,
              not_checked: list[str]) -> tuple[dict[str, list[Any]], dict[str, str]]:
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
    return objects, failed


def collect(kube: kc.Kube | None, namespace: str | None = None, prometheus: PromQuery | None = None,
            analyzers: Mapping[str, Analyzer] | None = None, now: datetime | None = None) -> CollectResult:
    chosen = dict(analyzers if analyzers is not None else ANALYZERS)
    not_checked: list[str] = []
    kinds = {k for a in chosen.values() for k in (*a.needs, *a.optional)}
    objects, failed = _snapshot(kube, kinds, namespace, not_checked)
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
                         not_checked=list(dict.fromkeys(not_checked)))


def collect_for(ctx: ToolContext, namespace: str | None = None, prometheus_url: str | None = None,
                analyzers: Mapping[str, Analyzer] | None = None) -> CollectResult:
    """Connect with the tool context's kubeconfig (see ``tools.kube_client.resolve_kubeconfig``) and collect."""
    url = prometheus_url or ctx.extra.get("prometheus_url")
    timeout = ctx.config.tools.prometheus.timeout_s
    prom: PromQuery | None = (lambda q: prom_query(str(url), q, timeout=timeout)) if url else None
    try:
        kube = kc.from_context(ctx)
    except kc.KubeError as err:
        result = collect(None, namespace, prom, analyzers)
        result.not_checked.insert(0, f"kubernetes: {err.message}")
        return result
    with kube:
        return collect(kube, namespace, prom, analyzers)
