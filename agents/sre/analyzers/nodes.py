"""Node problems: NotReady, memory/disk/PID pressure, and cordoned (unschedulable) nodes."""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, condition, ns_name
from opsquad.findings import Severity

PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


class NodeAnalyzer:
    name: ClassVar[str] = "nodes"
    needs: ClassVar[tuple[str, ...]] = ("node",)
    optional: ClassVar[tuple[str, ...]] = ()

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        for node in snap.of("node"):
            _, name = ns_name(node)
            ref = f"node/{name}"

            def add(problem: str, severity: Severity, message: str, evidence: list[str], fix: str, cmd: str,
                    _name: str = name) -> None:
                out.append(AnalyzerFinding(analyzer=self.name, kind="node", name=_name, problem=problem,
                                           severity=severity, message=message, evidence=evidence,
                                           remediation=fix, command=cmd))

            ready = condition(node, "Ready")
            if ready is None or ready.get("status") != "True":
                r = ready or {}
                add("NodeNotReady", Severity.critical, f"node {name} is not Ready ({r.get('reason', 'no status')})",
                    [f"{ref}: condition Ready={r.get('status', 'missing')} reason={r.get('reason')} "
                     f"message={r.get('message', '')} lastHeartbeatTime={r.get('lastHeartbeatTime')}"],
                    "Check the kubelet and the container runtime on the node; drain it if it does not recover.",
                    f"kubectl describe node {name}")
            for ctype in PRESSURE:
                c = condition(node, ctype)
                if c and c.get("status") == "True":
                    add(ctype, Severity.high, f"node {name} reports {ctype}: {c.get('message', '')}"[:300],
                        [f"{ref}: condition {ctype}=True reason={c.get('reason')} message={c.get('message', '')}"],
                        "Free the resource on the node (evictions follow), or move workloads off it.",
                        f"kubectl describe node {name}")
            if (node.get("spec") or {}).get("unschedulable"):
                add("Unschedulable", Severity.medium, f"node {name} is cordoned (no new pods are scheduled on it)",
                    [f"{ref}: spec.unschedulable=true"], "Uncordon it once maintenance is done.",
                    f"kubectl uncordon {name}")
        return out
