"""Run the deterministic analyzers for one investigation, within the agent's grants, and say what was readable.

The Kubernetes analyzers run only when the agent is granted the ``kubernetes`` tool (with the list verb and the
request's namespace); the Prometheus analyzer only when it is granted ``prometheus`` and a URL is set (the
request's ``prometheus_url``, else agents.yaml). Every list call and every PromQL query goes through
``AgentRun.use``, so each is checked against the grant and audited like a model-chosen call. Whatever cannot be
read is named in ``not_checked``; whether anything at all was readable (a typed ``Availability`` per source)
decides if an investigation can say anything (the CLI exits 2 when not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.base import AgentRun
from agents.sre.analyzers import ANALYZERS, Analyzer
from agents.sre.analyzers.base import PromQuery
from agents.sre.analyzers.collect import Availability, CollectResult, collect
from tools import kube_client as kc
from tools.base import ToolResult
from tools.kubernetes import namespace_denied, read_verbs_allowed
from tools.prometheus import query as prom_query


@dataclass
class Gathered:
    result: CollectResult
    kube_granted: bool = False
    prom_url: str = ""
    not_checked: list[str] = field(default_factory=list)

    @property
    def kube_read(self) -> bool:
        return self.result.kubernetes == Availability.read

    @property
    def prom_read(self) -> bool:
        return self.result.prometheus == Availability.read

    @property
    def anything_read(self) -> bool:
        return self.kube_read or self.prom_read


class _AuditedLister:
    """The cluster client as collection sees it, each list call a ``kubernetes`` use of the agent."""

    def __init__(self, run: AgentRun, kube: kc.Kube) -> None:
        self.run = run
        self.kube = kube

    def list(self, kind: str, namespace: str | None = None) -> list[Any]:
        return self.run.use("kubernetes", "list", lambda: self.kube.list(kind, namespace),
                            args={"kind": kind, "namespace": namespace}, size=len)


def _kube_refusal(run: AgentRun, namespace: str | None) -> str | None:
    grant = run.agent_config.tools["kubernetes"]
    if not read_verbs_allowed(grant, "list"):
        return "kubernetes: the grant does not allow listing objects"
    why = namespace_denied(grant, namespace)
    return f"kubernetes: {why}" if why else None


def _prometheus(run: AgentRun) -> tuple[str, PromQuery | None]:
    if not run.granted("prometheus"):
        return "", None
    url = str(run.request.options.get("prometheus_url") or run.config.tools.prometheus.url or "")
    timeout = run.config.tools.prometheus.timeout_s

    def query(q: str) -> ToolResult:
        return run.use("prometheus", "query", lambda: prom_query(url, q, timeout=timeout), args={"query": q},
                       status=lambda r: r.status.value)

    return url, (query if url else None)


def gather(run: AgentRun, namespace: str | None) -> Gathered:
    kube_granted = run.granted("kubernetes")
    refusal = _kube_refusal(run, namespace) if kube_granted else None
    use_kube = kube_granted and refusal is None
    url, prom = _prometheus(run)
    chosen: dict[str, Analyzer] = {n: a for n, a in ANALYZERS.items() if n != "prometheus" and use_kube}
    if url:
        chosen["prometheus"] = ANALYZERS["prometheus"]
    pre = [refusal] if refusal else []
    if not url and run.granted("prometheus"):
        pre.append("prometheus: no URL configured (--prometheus-url, PROMETHEUS_URL or tools.prometheus.url)")
    if not chosen:
        return Gathered(CollectResult(namespace=namespace), kube_granted, url, pre)
    kube: kc.Kube | None = None
    if use_kube:
        try:
            kube = kc.from_context(run.tool_context("kubernetes"))
        except kc.KubeError as err:
            pre.append(f"kubernetes: {err.message}")
    if kube is not None:
        with kube:
            result = collect(_AuditedLister(run, kube), namespace, prom, chosen)
    else:
        result = collect(None, namespace, prom, {"prometheus": chosen["prometheus"]} if url else {})
    not_checked = pre + [n for n in result.not_checked if n not in pre]
    return Gathered(result, kube_granted, url, not_checked)
