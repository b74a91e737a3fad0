"""Run the deterministic analyzers for one investigation, within the agent's grants, and say what was readable.

The Kubernetes analyzers run only when the agent is granted the ``kubernetes`` tool (with the list verb and the
request's namespace); the Prometheus analyzer only when it is granted ``prometheus`` and a URL is set (the
request's ``prometheus_url``, else agents.yaml). Whatever cannot be read is named in ``not_checked``; whether
anything at all was readable decides if an investigation can say anything (the CLI exits 2 when not).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.base import AgentRun
from agents.sre.analyzers import ANALYZERS, Analyzer
from agents.sre.analyzers.base import PromQuery
from agents.sre.analyzers.collect import CollectResult, collect
from tools import kube_client as kc
from tools.kubernetes import namespace_denied, read_verbs_allowed
from tools.prometheus import query as prom_query


@dataclass
class Gathered:
    result: CollectResult
    kube_granted: bool = False
    kube_read: bool = False
    prom_url: str = ""
    prom_read: bool = False
    not_checked: list[str] = field(default_factory=list)

    @property
    def anything_read(self) -> bool:
        return self.kube_read or self.prom_read


def _kube_refusal(run: AgentRun, namespace: str | None) -> str | None:
    grant = run.cfg.tools["kubernetes"]
    if not read_verbs_allowed(grant, "list"):
        return "kubernetes: the grant does not allow listing objects"
    why = namespace_denied(grant, namespace)
    return f"kubernetes: {why}" if why else None


def gather(run: AgentRun, namespace: str | None) -> Gathered:
    kube_granted = "kubernetes" in run.tools
    refusal = _kube_refusal(run, namespace) if kube_granted else None
    use_kube = kube_granted and refusal is None
    url = ""
    if "prometheus" in run.tools:
        url = str(run.request.options.get("prometheus_url") or run.config.tools.prometheus.url or "")
    timeout = run.config.tools.prometheus.timeout_s
    prom: PromQuery | None = (lambda q: prom_query(url, q, timeout=timeout)) if url else None
    chosen: dict[str, Analyzer] = {n: a for n, a in ANALYZERS.items() if n != "prometheus" and use_kube}
    if url:
        chosen["prometheus"] = ANALYZERS["prometheus"]
    pre = [refusal] if refusal else []
    if not url and "prometheus" in run.tools:
        pre.append("prometheus: no URL configured (--prometheus-url, PROMETHEUS_URL or tools.prometheus.url)")
    if not chosen:
        return Gathered(CollectResult(namespace=namespace), kube_granted, False, url, False, pre)
    kube: kc.Kube | None = None
    if use_kube:
        try:
            kube = kc.from_context(run.tool_context("kubernetes"))
        except kc.KubeError as err:
            pre.append(f"kubernetes: {err.message}")
    if kube is not None:
        with kube:
            result = collect(kube, namespace, prom, chosen)
    else:
        result = collect(None, namespace, prom, {"prometheus": chosen["prometheus"]} if url else {})
    not_checked = pre + [n for n in result.not_checked if n not in pre]
    kube_read = kube is not None and not any(n.startswith("kubernetes: ") for n in not_checked)
    prom_read = bool(url) and not any(n.startswith("prometheus: ") for n in not_checked)
    run.audit.event(run.request.run_id, "analyzers", agent=run.name, name="collect",
                    args={"namespace": namespace, "analyzers": list(chosen)}, result_size=len(result.findings),
                    status="ok" if kube_read or prom_read else "error", detail="; ".join(not_checked)[:500])
    return Gathered(result, kube_granted, kube_read, url, prom_read, not_checked)
