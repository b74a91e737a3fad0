"""Node problems: NotReady, memory/disk/PID pressure, and cordoned (unschedulable) nodes."""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from tools.kube_objects import Obj, condition, ns_name

PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


class NodeAnalyzer:
    name: ClassVar[str] = "nodes"
    needs: ClassVar[tuple[str, ...]] = ("node",)
    optional: ClassVar[tuple[str, ...]] = ()

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        return [f for node in snap.of("node") for f in self._node(node)]

    def _node(self, node: Obj) -> list[AnalyzerFinding]:
        name = ns_name(node)[1]
        where, ref, describe = (None, name), f"node/{name}", f"kubectl describe node {name}"  # nodes have no namespace
        out = []
        ready = condition(node, "Ready")
        if ready is None or ready.get("status") != "True":
            r = ready or {}
            out.append(finding(self.name, "node", where, "NodeNotReady", Severity.critical,
                               f"node {name} is not Ready ({r.get('reason', 'no status')})",
                               [f"{ref}: condition Ready={r.get('status', 'missing')} reason={r.get('reason')} "
                                f"message={r.get('message', '')} lastHeartbeatTime={r.get('lastHeartbeatTime')}"],
                               "Check the kubelet and the container runtime on the node; drain it if it does not "
                               "recover.", describe))
        for ctype in PRESSURE:
            c = condition(node, ctype)
            if c and c.get("status") == "True":
                out.append(finding(self.name, "node", where, ctype, Severity.high,
                                   f"node {name} reports {ctype}: {c.get('message', '')}"[:300],
                                   [f"{ref}: condition {ctype}=True reason={c.get('reason')} "
                                    f"message={c.get('message', '')}"],
                                   "Free the resource on the node (evictions follow), or move workloads off it.",
                                   describe))
        if (node.get("spec") or {}).get("unschedulable"):
            out.append(finding(self.name, "node", where, "Unschedulable", Severity.medium,
                               f"node {name} is cordoned (no new pods are scheduled on it)",
                               [f"{ref}: spec.unschedulable=true"], "Uncordon it once maintenance is done.",
                               f"kubectl uncordon {name}"))
        return out
