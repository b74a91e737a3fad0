"""Quota problems: a ResourceQuota whose usage reached its hard limit, and the FailedCreate "exceeded quota"
events a ReplicaSet (or Job, StatefulSet …) records when it cannot create pods because of one.
"""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from tools.kube_objects import event_line, event_time, ns_name, quantity


class QuotaAnalyzer:
    name: ClassVar[str] = "quotas"
    needs: ClassVar[tuple[str, ...]] = ("resourcequota",)
    optional: ClassVar[tuple[str, ...]] = ("event",)

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        for rq in snap.of("resourcequota"):
            ns, name = ns_name(rq)
            st = rq.get("status") or {}
            hard, used = st.get("hard") or {}, st.get("used") or {}
            full = []
            for res, limit in sorted(hard.items()):
                h, u = quantity(limit), quantity(used.get(res, "0"))
                if h is not None and u is not None and u >= h:
                    full.append(f"resourcequota/{name}: {res} used {used.get(res)} >= hard {limit}")
            if full:
                out.append(finding(
                    self.name, "resourcequota", rq, "QuotaExhausted", Severity.high,
                    f"quota {name} is used up: " + "; ".join(f.split(": ", 1)[1] for f in full)[:250], full,
                    "Raise the quota, or lower requests / scale down something else in the namespace.",
                    f"kubectl describe resourcequota {name} -n {ns}"))
        seen: set[tuple[str, str, str]] = set()
        for ev in sorted(snap.of("event"), key=event_time, reverse=True):
            msg = str(ev.get("message") or "")
            if ev.get("reason") != "FailedCreate" or "exceeded quota" not in msg:
                continue
            inv = ev.get("involvedObject") or {}
            key = (str(inv.get("kind", "")).lower(), str(inv.get("namespace")), str(inv.get("name")))
            if key in seen:
                continue
            seen.add(key)
            out.append(finding(
                self.name, key[0], (key[1], key[2]), "QuotaExceeded", Severity.high,
                f"{key[0]} {key[2]} cannot create pods: {msg[:200]}", [event_line(ev)],
                "Raise the namespace quota or lower the pods' requests.",
                f"kubectl describe resourcequota -n {key[1]}"))
        return out
