"""Turn one scenario into a live incident: objects on the real API server, pod states from the fake kubelet,
kubelet-style events and logs, and (when it has metrics) its own Prometheus scraping a settable exporter.

Why the kubelet's events are emitted here rather than by ``FakeKubelet(auto_events=True)``: a pod that cannot
start for a missing ConfigMap key is reported as "waiting" like an image pull, and the auto events would claim
an image pull failed. The runner's kubelet runs with ``auto_events=False`` and this module emits what a real
kubelet would for each state (BackOff, Failed, Unhealthy), once the state shows on the pods.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.sre.harness import ControlPlane, Exporter, FakeKubelet, Prometheus, wait_until
from evals.sre.scenario import Metrics, PodRule, Scenario

TIMEOUT = 90.0
CLUSTER_SCOPED = {"StorageClass", "PersistentVolume", "Namespace", "Node"}


def collection_path(obj: dict[str, Any], namespace: str) -> str:
    api, kind = str(obj["apiVersion"]), str(obj["kind"])
    prefix = "/api/v1" if api == "v1" else f"/apis/{api}"
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    return f"{prefix}/{plural}" if kind in CLUSTER_SCOPED else f"{prefix}/namespaces/{namespace}/{plural}"


@dataclass
class Live:
    """What a materialized scenario keeps running; ``stop`` ends it (the namespace stays, for inspection)."""

    namespace: str
    prometheus: Prometheus | None = None
    exporter: Exporter | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _ticker: threading.Thread | None = None

    @property
    def prometheus_url(self) -> str | None:
        return self.prometheus.url if self.prometheus else None

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        if self.prometheus is not None:
            self.prometheus.stop()
        if self.exporter is not None:
            self.exporter.stop()


def _pods(plane: ControlPlane, ns: str, selector: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = plane.rest("GET", f"/api/v1/namespaces/{ns}/pods",
                                             params={"labelSelector": selector})["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def _shows(pod: dict[str, Any], rule: PodRule) -> bool:
    """Does the pod's status already show the rule's state?"""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if not statuses:
        return False
    waiting = [((c.get("state") or {}).get("waiting") or {}).get("reason") for c in statuses]
    if rule.state == "crashloop":
        return "CrashLoopBackOff" in waiting
    if rule.state == "imagepull":
        return (rule.reason or "ImagePullBackOff") in waiting
    if rule.state == "not_ready":
        return any("running" in (c.get("state") or {}) and not c.get("ready") for c in statuses)
    return True


def _wait_rule(plane: ControlPlane, ns: str, rule: PodRule) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]] | None:
        pods = [p for p in _pods(plane, ns, rule.selector) if p["spec"].get("nodeName")]
        return pods if pods and all(_shows(p, rule) for p in pods) else None
    result: list[dict[str, Any]] = wait_until(ready, TIMEOUT, f"pods {rule.selector} in {ns} to show {rule.state}")
    return result


def _kubelet_events(kubelet: FakeKubelet, ns: str, pod: dict[str, Any], rule: PodRule) -> None:
    meta = pod["metadata"]
    for c in pod["spec"]["containers"]:
        if rule.container not in (None, c["name"]):
            continue
        ref: dict[str, Any] = {"uid": meta["uid"], "field_path": f"spec.containers{{{c['name']}}}"}
        if rule.state == "crashloop":
            kubelet.add_event(ns, meta["name"], "BackOff", "Back-off restarting failed container",
                              count=rule.restart_count or 5, **ref)
        elif rule.state == "imagepull" and rule.reason == "CreateContainerConfigError":
            kubelet.add_event(ns, meta["name"], "Failed", f"Error: {rule.message or 'configuration error'}", **ref)
        elif rule.state == "imagepull":
            image = c["image"]
            kubelet.add_event(ns, meta["name"], "Failed", f'Failed to pull image "{image}": rpc error: code = '
                              f'NotFound desc = failed to pull and unpack image "{image}": not found', **ref)
            kubelet.add_event(ns, meta["name"], "BackOff", f'Back-off pulling image "{image}"', type="Normal", **ref)
        elif rule.state == "not_ready":
            kubelet.add_event(ns, meta["name"], "Unhealthy", rule.probe_message or
                              "Readiness probe failed: HTTP probe failed with statuscode: 503", count=12, **ref)


def _apply_objects(plane: ControlPlane, kubelet: FakeKubelet, s: Scenario) -> None:
    ns = s.namespace
    for rule in s.pods:
        kubelet.set_state_for(ns, rule.selector, rule.state, **rule.kwargs())
    for obj in s.objects:
        obj = {**obj, "metadata": {**obj.get("metadata", {}), "namespace": ns}}
        if obj["kind"] in CLUSTER_SCOPED:
            obj["metadata"].pop("namespace")
        plane.apply(collection_path(obj, ns), obj)
    if s.rollout is not None:
        r = s.rollout
        path = f"/apis/apps/v1/namespaces/{ns}/deployments/{r.deployment}"
        labels = plane.rest("GET", path)["spec"]["selector"]["matchLabels"]
        kubelet.wait_for_pods(ns, ",".join(f"{k}={v}" for k, v in labels.items()), r.wait_running, timeout=TIMEOUT)
        for rule in r.pods:
            kubelet.set_state_for(ns, rule.selector, rule.state, **rule.kwargs())
        plane.rest("PATCH", path, r.patch, content_type="application/strategic-merge-patch+json")


def _start_metrics(m: Metrics, live: Live, workdir: Path) -> None:
    exporter = Exporter().start()
    live.exporter = exporter
    for g in m.gauges:
        exporter.set_gauge(g.name, g.value, g.labels)

    def tick() -> None:
        for c in m.counters:
            exporter.inc_counter(c.name, c.per_second, c.labels)
        for o in m.observations:
            exporter.observe(o.name, o.value, o.labels, times=max(1, round(o.per_second)))

    tick()
    prom = Prometheus(workdir)
    if m.backfill:
        now = time.time() - 5
        series = []
        for t in m.backfill:
            n = t.minutes * 60 // t.step_s
            points = [(now - (n - i) * t.step_s, t.start + (t.end - t.start) * i / n) for i in range(n + 1)]
            series.append((t.name, t.labels, points))
        prom.backfill_series(series)
    prom.start([exporter.url], m.rules, timeout=60)
    live.prometheus = prom

    def loop() -> None:
        while not live._stop.wait(1.0):
            tick()
    live._ticker = threading.Thread(target=loop, name=f"metrics-{live.namespace}", daemon=True)
    live._ticker.start()
    for promql in m.wait_for:
        prom.wait_for(promql, timeout=TIMEOUT)


def materialize(plane: ControlPlane, kubelet: FakeKubelet, s: Scenario, workdir: Path) -> Live:
    """Create the scenario's namespace and incident; returns once everything it describes is visible."""
    ns = s.namespace
    plane.create_namespace(ns)
    live = Live(ns)
    try:
        _apply_objects(plane, kubelet, s)
        for sel, count in s.wait.running.items():
            kubelet.wait_for_pods(ns, sel, count, timeout=TIMEOUT)
        rules = [r for r in s.pods + (s.rollout.pods if s.rollout else []) if r.state != "running"]
        for rule in rules:
            for pod in _wait_rule(plane, ns, rule):
                _kubelet_events(kubelet, ns, pod, rule)
        for ev in s.events:
            targets = [p["metadata"]["name"] for p in _pods(plane, ns, ev.pods_of)] if ev.pods_of else [ev.name or ""]
            for name in targets:
                kubelet.add_event(ns, name, ev.reason, ev.message, kind=ev.kind, type=ev.type, count=ev.count)
        for log in s.logs:
            for pod in _pods(plane, ns, log.selector):
                kubelet.set_logs(ns, pod["metadata"]["name"], log.container, log.text, previous=log.previous)
        for sel in s.wait.unschedulable:
            wait_until(lambda sel=sel: any(  # type: ignore[misc]
                c.get("type") == "PodScheduled" and c.get("status") == "False"
                for p in _pods(plane, ns, sel) for c in (p.get("status") or {}).get("conditions") or []),
                TIMEOUT, f"unschedulable pods {sel} in {ns}")
        for reason in s.wait.events:
            wait_until(lambda reason=reason: any(  # type: ignore[misc]
                e.get("reason") == reason for e in plane.rest("GET", f"/api/v1/namespaces/{ns}/events")["items"]),
                TIMEOUT, f"a {reason} event in {ns}")
        if s.metrics is not None:
            _start_metrics(s.metrics, live, workdir / f"prom-{s.name}")
        kubelet.sync()
    except BaseException:
        live.stop()
        raise
    return live
