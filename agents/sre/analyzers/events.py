"""Warning events as a timeline: deduplicated by (reason, object) with their summed count, oldest first.

This is the context the other analyzers do not cover (FailedMount, BackOff, Evicted, NodeNotReady, …) and
the order things happened in, which is often the root cause's best evidence.
"""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from opsquad.text import one_line
from tools.kube_objects import Obj, event_line, event_time, involved, parse_time

MAX_GROUPS = 30
LOUD = 5  # an event repeated this often is worth a medium severity


class EventAnalyzer:
    name: ClassVar[str] = "events"
    needs: ClassVar[tuple[str, ...]] = ("event",)
    optional: ClassVar[tuple[str, ...]] = ()

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        groups: dict[tuple[str, str, str, str], list[Obj]] = {}
        for ev in snap.of("event"):
            if ev.get("type") != "Warning":
                continue
            inv = involved(ev)
            key = (str(ev.get("reason")), str(inv.get("kind", "")).lower(), str(inv.get("namespace") or ""),
                   str(inv.get("name")))
            groups.setdefault(key, []).append(ev)
        ordered = sorted(groups.items(), key=lambda kv: max(event_time(e) for e in kv[1]))[-MAX_GROUPS:]
        out = []
        for (reason, kind, ns, name), evs in ordered:
            evs.sort(key=event_time)
            count = sum(int(e.get("count") or 1) for e in evs)
            first = parse_time(evs[0].get("firstTimestamp")) or event_time(evs[0])
            last = event_time(evs[-1])
            out.append(finding(
                self.name, kind, (ns or None, name), reason, Severity.medium if count >= LOUD else Severity.low,
                f"{reason} x{count} on {kind}/{name} ({first.isoformat()} .. {last.isoformat()}): "
                f"{one_line(str(evs[-1].get('message') or ''), 160)}", [event_line(e) for e in evs[-3:]]))
        return out
