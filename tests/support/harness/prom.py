"""Real Prometheus and Alertmanager (Debian's binaries) on loopback, plus a settable exporter and a webhook sink.

Why: the SRE agent investigates with PromQL and reacts to Alertmanager notifications; running the real servers
(1 s scrape and evaluation) makes queries, rule firing and webhook payloads exactly what production sends.
Everything binds 127.0.0.1 on free ports; Alertmanager's gossip listener is disabled (empty
--cluster.listen-address) so it never binds all interfaces.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.support.harness._proc import ManagedProcess, free_port, http_ok, wait_until
from tests.support.loopback import LoopbackServer, QuietHandler

Labels = dict[str, str]
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _find_binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise FileNotFoundError(f"none of {', '.join(names)} found (apt-get install prometheus prometheus-alertmanager)")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _fmt_labels(labels: Iterable[tuple[str, str]]) -> str:
    pairs = [f'{k}="{_escape(v)}"' for k, v in labels]
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _fmt_value(v: float) -> str:
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


class _Metric:
    def __init__(self, kind: str, help_text: str) -> None:
        self.kind = kind
        self.help = help_text
        self.samples: dict[tuple[tuple[str, str], ...], Any] = {}


class Exporter(LoopbackServer):
    """A /metrics endpoint on 127.0.0.1 whose counters, gauges and histograms tests set per label set.

    Set `healthy = False` to answer 503 (Prometheus then records up == 0 for the target).
    """

    def __init__(self) -> None:
        self.metrics: dict[str, _Metric] = {}
        self.healthy = True
        self._lock = threading.Lock()
        exporter = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                body = exporter.render().encode()
                self.send_body(200 if exporter.healthy else 503, body, "text/plain; version=0.0.4; charset=utf-8")

        super().__init__(Handler, name="exporter")

    @property
    def url(self) -> str:
        return f"{super().url}/metrics"

    def _metric(self, name: str, kind: str, help_text: str) -> _Metric:
        metric = self.metrics.get(name)
        if metric is None:
            metric = self.metrics[name] = _Metric(kind, help_text or name)
        elif metric.kind != kind:
            raise ValueError(f"{name} is a {metric.kind}, not a {kind}")
        return metric

    @staticmethod
    def _key(labels: Labels | None) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((labels or {}).items()))

    def set_gauge(self, name: str, value: float, labels: Labels | None = None, help: str = "") -> None:  # noqa: A002
        with self._lock:
            self._metric(name, "gauge", help).samples[self._key(labels)] = float(value)

    def set_counter(self, name: str, value: float, labels: Labels | None = None, help: str = "") -> None:  # noqa: A002
        with self._lock:
            self._metric(name, "counter", help).samples[self._key(labels)] = float(value)

    def inc_counter(self, name: str, amount: float = 1, labels: Labels | None = None, help: str = "") -> None:  # noqa: A002
        with self._lock:
            samples = self._metric(name, "counter", help).samples
            samples[self._key(labels)] = samples.get(self._key(labels), 0.0) + float(amount)

    def observe(self, name: str, value: float, labels: Labels | None = None,
                buckets: Sequence[float] = DEFAULT_BUCKETS, help: str = "", times: int = 1) -> None:  # noqa: A002
        """Record `times` observations of `value` in histogram `name` (buckets fixed by the first call)."""
        with self._lock:
            samples = self._metric(name, "histogram", help).samples
            hist = samples.setdefault(self._key(labels), {"buckets": {b: 0 for b in buckets}, "sum": 0.0, "count": 0})
            for bound in hist["buckets"]:
                if value <= bound:
                    hist["buckets"][bound] += times
            hist["sum"] += value * times
            hist["count"] += times

    def set_histogram(self, name: str, bucket_counts: dict[float, int], total: float, count: int,
                      labels: Labels | None = None, help: str = "") -> None:  # noqa: A002
        """Set a histogram outright: cumulative `bucket_counts` per upper bound, plus _sum and _count."""
        with self._lock:
            self._metric(name, "histogram", help).samples[self._key(labels)] = {
                "buckets": dict(bucket_counts), "sum": float(total), "count": int(count)}

    def remove(self, name: str, labels: Labels | None = None) -> None:
        """Drop one label set (or the whole metric when labels is None): the series goes stale in Prometheus."""
        with self._lock:
            if labels is None:
                self.metrics.pop(name, None)
            elif name in self.metrics:
                self.metrics[name].samples.pop(self._key(labels), None)

    def render(self) -> str:
        """The Prometheus text exposition format (0.0.4)."""
        out: list[str] = []
        with self._lock:
            for name, metric in sorted(self.metrics.items()):
                out += [f"# HELP {name} {metric.help}", f"# TYPE {name} {metric.kind}"]
                for key, value in sorted(metric.samples.items()):
                    if metric.kind != "histogram":
                        out.append(f"{name}{_fmt_labels(key)} {_fmt_value(value)}")
                        continue
                    for bound, n in sorted(value["buckets"].items()):
                        out.append(f"{name}_bucket{_fmt_labels([*key, ('le', _fmt_value(bound))])} {n}")
                    out.append(f"{name}_bucket{_fmt_labels([*key, ('le', '+Inf')])} {value['count']}")
                    out.append(f"{name}_sum{_fmt_labels(key)} {_fmt_value(value['sum'])}")
                    out.append(f"{name}_count{_fmt_labels(key)} {value['count']}")
        return "\n".join(out) + "\n"


def _get_json(url: str, params: dict[str, str] | None = None) -> Any:
    full = url + (f"?{urllib.parse.urlencode(params)}" if params else "")
    with urllib.request.urlopen(full, timeout=10) as resp:
        return json.loads(resp.read().decode())


class Prometheus:
    """Debian's /usr/bin/prometheus on 127.0.0.1 with a temp TSDB and 1 s scrape/evaluation intervals."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.tsdb = self.workdir / "tsdb"
        self.port = 0
        self.process: ManagedProcess | None = None
        self.ready_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def backfill(self, openmetrics: str) -> None:
        """Load history before start() with `promtool tsdb create-blocks-from openmetrics` (text must end with
        "# EOF"; timestamps in seconds)."""
        self.tsdb.mkdir(parents=True, exist_ok=True)
        src = self.workdir / "backfill.om"
        src.write_text(openmetrics if openmetrics.rstrip().endswith("# EOF") else openmetrics.rstrip() + "\n# EOF\n")
        result = subprocess.run([_find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(src),
                                 str(self.tsdb)], capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"promtool backfill failed: {(result.stderr or result.stdout).strip()[-500:]}")

    def backfill_series(self, series: Iterable[tuple[str, Labels, Sequence[tuple[float, float]]]],
                        kind: str = "gauge") -> None:
        """backfill() from (name, labels, [(unix_seconds, value), ...]) tuples; one metric family per name."""
        by_name: dict[str, list[str]] = {}
        for name, labels, points in series:
            lines = by_name.setdefault(name, [])
            lines += [f"{name}{_fmt_labels(sorted(labels.items()))} {_fmt_value(v)} {ts:.3f}" for ts, v in points]
        text = "".join(f"# TYPE {name} {kind}\n" + "\n".join(lines) + "\n" for name, lines in by_name.items())
        self.backfill(text + "# EOF\n")

    def start(self, scrape_targets: list[str], rules_yaml: str | None = None, alertmanager_url: str | None = None,
              timeout: float = 30, job_name: str = "app") -> None:
        """Scrape `scrape_targets` (URLs like http://127.0.0.1:PORT/metrics) every second under `job_name`."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.tsdb.mkdir(parents=True, exist_ok=True)
        groups: dict[str, list[str]] = {}
        for target in scrape_targets:
            parts = urllib.parse.urlsplit(target if "://" in target else f"http://{target}")
            groups.setdefault(parts.path or "/metrics", []).append(parts.netloc)
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [{"job_name": job_name if i == 0 else f"{job_name}-{i}", "metrics_path": path,
                                "static_configs": [{"targets": targets}]}
                               for i, (path, targets) in enumerate(groups.items())]}
        if rules_yaml:
            (self.workdir / "rules.yml").write_text(rules_yaml)
            config["rule_files"] = [str(self.workdir / "rules.yml")]
        if alertmanager_url:
            config["alerting"] = {"alertmanagers": [{"static_configs": [
                {"targets": [urllib.parse.urlsplit(alertmanager_url).netloc]}]}]}
        (self.workdir / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        self.port = free_port()
        self.process = ManagedProcess("prometheus", [
            _find_binary("prometheus"), f"--config.file={self.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.tsdb}", "--storage.tsdb.retention.time=3650d",
            f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"], self.workdir / "prometheus.log")
        self.ready_seconds = _start_and_wait(self.process, f"{self.url}/-/ready", timeout)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant query; returns data.result (vector/matrix entries)."""
        data = _get_json(f"{self.url}/api/v1/query", {"query": promql})
        result: list[dict[str, Any]] = data["data"]["result"]
        return result

    def wait_for(self, promql: str, predicate: Callable[[list[dict[str, Any]]], bool] = bool,
                 timeout: float = 30) -> list[dict[str, Any]]:
        """Re-run `promql` until `predicate(result)` holds (default: a non-empty result)."""
        def check() -> list[dict[str, Any]] | None:
            result = self.query(promql)
            return result if predicate(result) else None
        return wait_until(check, timeout, f"PromQL {promql!r}", interval=0.25)

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = _get_json(f"{self.url}/api/v1/alerts")["data"]["alerts"]
        return alerts


class Alertmanager:
    """Debian's Alertmanager on 127.0.0.1, routing every alert to one webhook with short grouping delays."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.port = 0
        self.process: ManagedProcess | None = None
        self.ready_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, webhook_url: str, timeout: float = 30) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = {"route": {"receiver": "webhook", "group_by": ["alertname"], "group_wait": "200ms",
                            "group_interval": "1s", "repeat_interval": "1h"},
                  "receivers": [{"name": "webhook",
                                 "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}]}
        (self.workdir / "alertmanager.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        self.port = free_port()
        self.process = ManagedProcess("alertmanager", [
            _find_binary("alertmanager", "prometheus-alertmanager"),
            f"--config.file={self.workdir / 'alertmanager.yml'}", f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=warn"],
            self.workdir / "alertmanager.log")
        self.ready_seconds = _start_and_wait(self.process, f"{self.url}/-/ready", timeout)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = _get_json(f"{self.url}/api/v2/alerts")
        return alerts


def _start_and_wait(process: ManagedProcess, ready_url: str, timeout: float) -> float:
    began = time.monotonic()
    process.start()

    def ready() -> bool:
        process.check_alive()
        return http_ok(ready_url)
    try:
        wait_until(ready, timeout, f"{process.name} {ready_url}", interval=0.05)
    except BaseException:
        process.stop()
        raise
    return time.monotonic() - began


class WebhookReceiver(LoopbackServer):
    """A loopback HTTP server that records every JSON POST (Alertmanager webhook payloads) for assertions."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._cv = threading.Condition()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                with receiver._cv:
                    receiver.received.append(payload)
                    receiver._cv.notify_all()
                self.send_body(200, b"")

        super().__init__(Handler, name="webhook")

    @property
    def url(self) -> str:
        return f"{super().url}/alerts"

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        """Return the first payload (already received or arriving within `timeout`) that satisfies `predicate`."""
        with self._cv:
            found: list[dict[str, Any]] = []

            def match() -> bool:
                found[:] = [p for p in self.received if predicate(p)][:1]
                return bool(found)
            if not self._cv.wait_for(match, timeout):
                raise TimeoutError(f"no matching webhook payload within {timeout}s ({len(self.received)} received)")
            return found[0]
