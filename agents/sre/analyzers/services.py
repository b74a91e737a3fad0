"""Service problems: a selector that matches no pod, and no ready endpoint behind a selector that does.

Services without a selector (manually managed endpoints) and ExternalName services are skipped: having no
pods is what they are for.
"""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, labels_match, meta, ns_name
from opsquad.findings import Severity


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
            sel = ",".join(f"{k}={v}" for k, v in selector.items())
            ref = f"service/{name}"
            if not pods:
                seen = sorted({f"{k}={(meta(p).get('labels') or {}).get(k)}" for p in snap.of("pod")
                               if meta(p).get("namespace") == ns for k in selector
                               if k in (meta(p).get("labels") or {})})[:5]
                ev = [f"{ref}: spec.selector={sel}", f"0 pods in namespace {ns} match {sel}"]
                if seen:
                    ev.append(f"pods in {ns} carry instead: {', '.join(seen)}")
                out.append(AnalyzerFinding(
                    analyzer=self.name, kind="service", namespace=ns, name=name, problem="NoMatchingPods",
                    severity=Severity.high, message=f"service {name} selects no pods ({sel})", evidence=ev,
                    remediation="Fix the service selector or the pod labels so they match.",
                    command=f"kubectl get pods -n {ns} --show-labels"))
                continue
            ep = endpoints.get((ns, name))
            if "endpoints" not in snap.objects:
                continue  # endpoints not readable: cannot judge readiness
            subsets = (ep or {}).get("subsets") or []
            ready = sum(len(s.get("addresses") or []) for s in subsets)
            not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
            if ready == 0:
                out.append(AnalyzerFinding(
                    analyzer=self.name, kind="service", namespace=ns, name=name, problem="NoReadyEndpoints",
                    severity=Severity.high, message=f"service {name} has no ready endpoints "
                    f"({len(pods)} matching pods, {not_ready} not ready)",
                    evidence=[f"{ref}: spec.selector={sel} matches {len(pods)} pods",
                              f"endpoints/{name}: {ready} ready addresses, {not_ready} notReadyAddresses"
                              if ep else f"endpoints/{name}: missing"],
                    remediation="The matching pods are not ready: see the pod findings.",
                    command=f"kubectl get endpoints {name} -n {ns} -o wide"))
        return out
