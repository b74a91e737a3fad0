"""Metric problems from Prometheus: firing alerts, per-service 5xx ratio, latency quantiles, and
``predict_linear`` exhaustion checks that warn before a disk fills or memory runs out.

Metric and label names differ between clusters, so they live in ``PromMetrics`` (defaults: the common
http_requests_total / *_duration_seconds_bucket / node_exporter names); pass another to the analyzer.
Queries go through ``tools.prometheus.query`` (via ``Snapshot.prometheus``); an unreachable Prometheus is
reported once as not checked, and a query that finds no series finds nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, PromQuery, Snapshot, finding
from opsquad.findings import Severity
from tools.base import ToolStatus


@dataclass(frozen=True)
class PromMetrics:
    requests_total: str = "http_requests_total"
    status_label: str = "code"
    service_label: str = "service"
    duration_bucket: str = "http_request_duration_seconds_bucket"
    fs_avail: str = "node_filesystem_avail_bytes"
    fs_size: str = "node_filesystem_size_bytes"
    fs_filter: str = 'fstype!~"tmpfs|overlay|squashfs|ramfs"'
    mem_avail: str = "node_memory_MemAvailable_bytes"
    window: str = "5m"
    error_ratio: float = 0.05  # 5xx share of requests above which a service is reported
    latency_quantile: float = 0.99
    latency_seconds: float = 1.0
    predict_range: str = "1h"  # history predict_linear fits on
    predict_hours: float = 4.0  # how far ahead exhaustion is predicted
    disk_free_ratio: float = 0.10  # already almost full below this share free


DEFAULT_METRICS = PromMetrics()
ALERT_SEVERITY = {"critical": Severity.critical, "error": Severity.high, "warning": Severity.medium,
                  "info": Severity.info, "none": Severity.info}
IGNORED_ALERTS = {"Watchdog", "InfoInhibitor"}


class Unreachable(Exception):
    pass


def _series(query: PromQuery, promql: str, snap: Snapshot) -> list[tuple[dict[str, str], float]]:
    res = query(promql)
    if res.status == ToolStatus.no_data:
        return []
    if res.status != ToolStatus.ok:
        if "unreachable" in (res.error or ""):
            raise Unreachable(res.error or "Prometheus unreachable")
        snap.not_checked.append(f"prometheus query {promql[:80]}: {res.error}")
        return []
    out = []
    for s in (res.data or {}).get("series") or []:
        try:
            value = float((s.get("values") or ["nan"])[-1])
        except (TypeError, ValueError):
            continue
        if not math.isnan(value):
            out.append((dict(s.get("metric") or {}), value))
    return out


def _labels(metric: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")


def _bytes(v: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(v) < 1024 or unit == "TiB":
            return f"{v:.1f}{unit}"
        v /= 1024
    return f"{v:.1f}TiB"


class PrometheusAnalyzer:
    name: ClassVar[str] = "prometheus"
    needs: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()

    def __init__(self, metrics: PromMetrics = DEFAULT_METRICS) -> None:
        self.m = metrics

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        if snap.prometheus is None:
            snap.not_checked.append("prometheus: no Prometheus URL given")
            snap.unreachable.add("prometheus")
            return []
        try:
            return (self._alerts(snap.prometheus, snap) + self._errors(snap.prometheus, snap)
                    + self._latency(snap.prometheus, snap) + self._exhaustion(snap.prometheus, snap))
        except Unreachable as exc:
            snap.not_checked.append(f"prometheus: {exc}")
            snap.unreachable.add("prometheus")
            return []

    def _f(self, kind: str, name: str, problem: str, severity: Severity, message: str, evidence: list[str],
           remediation: str = "", namespace: str | None = None, command: str = "") -> AnalyzerFinding:
        return finding(self.name, kind, (namespace, name), problem, severity, message[:300], evidence, remediation,
                       command)

    def _alerts(self, q: PromQuery, snap: Snapshot) -> list[AnalyzerFinding]:
        out = []
        for metric, _ in _series(q, 'ALERTS{alertstate="firing"}', snap):
            alert = metric.get("alertname", "?")
            if alert in IGNORED_ALERTS:
                continue
            sev = ALERT_SEVERITY.get(metric.get("severity", "warning"), Severity.medium)
            out.append(self._f("alert", alert, "AlertFiring", sev, f"alert {alert} is firing ({_labels(metric)})",
                               [f"ALERTS{{{_labels(metric)}}} = 1"], namespace=metric.get("namespace")))
        return out

    def _errors(self, q: PromQuery, snap: Snapshot) -> list[AnalyzerFinding]:
        m, by = self.m, self.m.service_label
        promql = (f'sum by ({by}) (rate({m.requests_total}{{{m.status_label}=~"5.."}}[{m.window}])) / '
                  f"sum by ({by}) (rate({m.requests_total}[{m.window}]))")
        out = []
        for metric, ratio in _series(q, promql, snap):
            if ratio < m.error_ratio:
                continue
            svc = metric.get(by, "?")
            out.append(self._f("service", svc, "HighErrorRate", Severity.high,
                               f"{ratio:.1%} of {svc}'s requests fail with 5xx (threshold {m.error_ratio:.0%})",
                               [f"{promql} {{{by}=\"{svc}\"}} = {ratio:.4f}"],
                               "Correlate with recent rollouts and the service's pod logs.",
                               namespace=metric.get("namespace")))
        return out

    def _latency(self, q: PromQuery, snap: Snapshot) -> list[AnalyzerFinding]:
        m, by = self.m, self.m.service_label
        promql = (f"histogram_quantile({m.latency_quantile}, sum by ({by}, le) "
                  f"(rate({m.duration_bucket}[{m.window}])))")
        out = []
        for metric, seconds in _series(q, promql, snap):
            if seconds < m.latency_seconds or math.isinf(seconds):
                continue
            svc = metric.get(by, "?")
            pct = f"p{m.latency_quantile * 100:g}"
            out.append(self._f("service", svc, "HighLatency", Severity.medium,
                               f"{svc} {pct} latency is {seconds:.2f}s (threshold {m.latency_seconds:g}s)",
                               [f"{promql} {{{by}=\"{svc}\"}} = {seconds:.3f}"],
                               "Look for saturation (CPU throttling, pool exhaustion) or a slow dependency.",
                               namespace=metric.get("namespace")))
        return out

    def _exhaustion(self, q: PromQuery, snap: Snapshot) -> list[AnalyzerFinding]:
        m = self.m
        ahead = int(m.predict_hours * 3600)
        out = []
        fs = f"{m.fs_avail}{{{m.fs_filter}}}"
        disk = f"predict_linear({fs}[{m.predict_range}], {ahead}) < 0"
        for metric, predicted in _series(q, disk, snap):
            where = f"{metric.get('instance', '?')}:{metric.get('mountpoint', '?')}"
            out.append(self._f("node", where, "DiskWillFillUp", Severity.high,
                               f"filesystem {where} is predicted to fill within {m.predict_hours:g}h",
                               [f"predict_linear({m.fs_avail}{{{_labels(metric)}}}[{m.predict_range}], {ahead}) = "
                                f"{_bytes(predicted)}"], "Free space, grow the volume, or fix what is writing."))
        full = f"{fs} / {m.fs_size}{{{m.fs_filter}}} < {m.disk_free_ratio}"
        for metric, ratio in _series(q, full, snap):
            where = f"{metric.get('instance', '?')}:{metric.get('mountpoint', '?')}"
            if any(f.name == where for f in out):
                continue
            out.append(self._f("node", where, "DiskAlmostFull", Severity.high,
                               f"filesystem {where} has only {ratio:.1%} free",
                               [f"{m.fs_avail} / {m.fs_size} {{{_labels(metric)}}} = {ratio:.3f}"],
                               "Free space or grow the volume before writes start failing."))
        mem = f"predict_linear({m.mem_avail}[{m.predict_range}], {ahead}) < 0"
        for metric, predicted in _series(q, mem, snap):
            inst = metric.get("instance", "?")
            out.append(self._f("node", inst, "MemoryWillRunOut", Severity.high,
                               f"available memory on {inst} is predicted to run out within {m.predict_hours:g}h",
                               [f"predict_linear({m.mem_avail}{{{_labels(metric)}}}[{m.predict_range}], {ahead}) = "
                                f"{_bytes(predicted)}"], "Find the growing process (a leak?) before the OOM killer."))
        return out
