"""Deployment problems: unavailable replicas, a stuck rollout, and a recent rollout with what it changed.

The recent-rollout finding is how a bad rollout is found: a new ReplicaSet created within the last
``RECENT_MINUTES`` is reported with the pod-template diff against the previous revision (images, env names,
resources, probes, command), and it is raised to high severity when the deployment is unhealthy now.
"""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from tools import kube_objects as ko
from tools.kube_objects import Obj, condition, meta, ns_name

RECENT_MINUTES = 60
ANALYZER = "deployments"


class DeploymentAnalyzer:
    name: ClassVar[str] = ANALYZER
    needs: ClassVar[tuple[str, ...]] = ("deployment",)
    optional: ClassVar[tuple[str, ...]] = ("replicaset",)

    def __init__(self, recent_minutes: int = RECENT_MINUTES) -> None:
        self.recent_minutes = recent_minutes

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        for dep in snap.of("deployment"):
            out += self._one(dep, snap)
        return out

    def _one(self, dep: Obj, snap: Snapshot) -> list[AnalyzerFinding]:
        ns, name = ns_name(dep)
        spec, st = dep.get("spec") or {}, dep.get("status") or {}
        want = int(spec.get("replicas", 1))
        avail = int(st.get("availableReplicas") or 0)
        unavailable = max(int(st.get("unavailableReplicas") or 0), want - avail)
        ref, nsf = f"deployment/{name}", f"-n {ns}"
        out: list[AnalyzerFinding] = []
        progressing = condition(dep, "Progressing") or {}
        stuck = progressing.get("status") == "False" or progressing.get("reason") == "ProgressDeadlineExceeded"
        if stuck:
            out.append(finding(ANALYZER, "deployment", dep, "ProgressDeadlineExceeded", Severity.high,
                               f"rollout of {name} is stuck: {progressing.get('message', '')}"[:300],
                               [f"{ref}: condition Progressing={progressing.get('status')} "
                                f"reason={progressing.get('reason')} message={progressing.get('message', '')}"],
                               "Find why the new pods do not become ready (see pod findings); roll back if it is the "
                               "new version.", f"kubectl rollout undo {ref} {nsf}"))
        if want > 0 and unavailable > 0 and not spec.get("paused"):
            available = condition(dep, "Available") or {}
            ev = [f"{ref}: status.availableReplicas={avail} of spec.replicas={want}",
                  f"{ref}: status.unavailableReplicas={st.get('unavailableReplicas', unavailable)}"]
            if available:
                ev.append(f"{ref}: condition Available={available.get('status')} {available.get('message', '')}")
            out.append(finding(ANALYZER, "deployment", dep, "UnavailableReplicas",
                               Severity.high if avail == 0 else Severity.medium,
                               f"{avail}/{want} replicas of {name} are available", ev,
                               "See the pod findings for why its pods are not ready.",
                               f"kubectl rollout status {ref} {nsf}"))
        rollout = self._recent_rollout(dep, snap, unhealthy=bool(out))
        return out + ([rollout] if rollout else [])

    def _recent_rollout(self, dep: Obj, snap: Snapshot, unhealthy: bool) -> AnalyzerFinding | None:
        ns, name = ns_name(dep)
        rss = ko.owned_replicasets(dep, [r for r in snap.of("replicaset") if meta(r).get("namespace") == ns])
        current = next((r for r in rss if ko.revision(r) == ko.revision(dep)), rss[-1] if rss else None)
        if current is None:
            return None
        created = ko.parse_time(meta(current).get("creationTimestamp"))
        older = [r for r in rss if ko.revision(r) < ko.revision(current)]
        if created is None or not older:
            return None
        age_min = (snap.now - created).total_seconds() / 60
        if age_min > self.recent_minutes:
            return None
        prev = older[-1]
        diff = ko.template_diff((prev.get("spec") or {}).get("template") or {},
                                (current.get("spec") or {}).get("template") or {})
        cur_rev, prev_rev = ko.revision(current), ko.revision(prev)
        ev = [f"replicaset/{meta(current).get('name')}: revision {cur_rev} created "
              f"{meta(current).get('creationTimestamp')} ({age_min:.0f} min ago)",
              f"replicaset/{meta(prev).get('name')}: previous revision {prev_rev}"]
        ev += [f"template diff: {line}" for line in diff[:8]] or ["template diff: no change (restart?)"]
        what = "; ".join(diff[:3]) or "no template change"
        if unhealthy:
            msg = f"{name} rolled out revision {cur_rev} {age_min:.0f} min ago and is unhealthy since: {what}"
        else:
            msg = f"{name} rolled out revision {cur_rev} {age_min:.0f} min ago: {what}"
        return finding(ANALYZER, "deployment", dep, "RecentRollout", Severity.high if unhealthy else Severity.info,
                       msg[:300], ev, f"If the problem started with this rollout, roll back to revision {prev_rev}.",
                       f"kubectl rollout undo deployment/{name} -n {ns} --to-revision={prev_rev}")
