"""Service problems: a selector that matches no pod, and no ready endpoint behind a selector that does.

Services without a selector (manually managed endpoints) and ExternalName services are skipped: having no
pods is what they are for.
"""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from tools.kube_objects import Obj, labels_match, meta, ns_name


class ServiceAnalyzer:
    name: ClassVar[str] = "services"
    needs: ClassVar[tuple[str, ...]] = ("service", "pod")
    optional: ClassVar[tuple[str, ...]] = ("endpoints",)

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        endpoints = {ns_name(e): e for e in snap.of("endpoints")}
        for svc in snap.of("service"):
            ns, name = ns_name(svc)
            spec = svc.get("spec") or {}
            selector = spec.get("selector") or {}
            if not selector or spec.get("type") == "ExternalName":
                continue
            pods = [p for p in snap.of("pod") if meta(p).get("namespace") == ns
                    and labels_match(selector, meta(p).get("labels")) and not meta(p).get("deletionTimestamp")]
            if not pods:
                out.append(self._no_pods(svc, selector, snap))
            elif "endpoints" in snap.objects:  # not readable: readiness cannot be judged
                out += self._no_ready_endpoints(svc, selector, pods, endpoints.get((ns, name)))
        return out

    def _no_pods(self, svc: Obj, selector: dict[str, str], snap: Snapshot) -> AnalyzerFinding:
        ns, name = ns_name(svc)
        sel = ",".join(f"{k}={v}" for k, v in selector.items())
        seen = sorted({f"{k}={(meta(p).get('labels') or {}).get(k)}" for p in snap.of("pod")
                       if meta(p).get("namespace") == ns for k in selector
                       if k in (meta(p).get("labels") or {})})[:5]
        ev = [f"service/{name}: spec.selector={sel}", f"0 pods in namespace {ns} match {sel}"]
        if seen:
            ev.append(f"pods in {ns} carry instead: {', '.join(seen)}")
        return finding(self.name, "service", svc, "NoMatchingPods", Severity.high,
                       f"service {name} selects no pods ({sel})", ev,
                       "Fix the service selector or the pod labels so they match.",
                       f"kubectl get pods -n {ns} --show-labels")

    def _no_ready_endpoints(self, svc: Obj, selector: dict[str, str], pods: list[Obj],
                            ep: Obj | None) -> list[AnalyzerFinding]:
        ns, name = ns_name(svc)
        sel = ",".join(f"{k}={v}" for k, v in selector.items())
        subsets = (ep or {}).get("subsets") or []
        ready = sum(len(s.get("addresses") or []) for s in subsets)
        not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
        if ready:
            return []
        return [finding(self.name, "service", svc, "NoReadyEndpoints", Severity.high,
                        f"service {name} has no ready endpoints ({len(pods)} matching pods, {not_ready} not ready)",
                        [f"service/{name}: spec.selector={sel} matches {len(pods)} pods",
                         f"endpoints/{name}: {ready} ready addresses, {not_ready} notReadyAddresses"
                         if ep else f"endpoints/{name}: missing"],
                        "The matching pods are not ready: see the pod findings.",
                        f"kubectl get endpoints {name} -n {ns} -o wide")]
