"""``opsquad serve`` against Debian's real Prometheus and Alertmanager, end to end on loopback.

tests/test_serve.py posts hand-written Alertmanager payloads and parses /metrics itself; these tests close the
loop with the real servers instead: a metric crosses a rule threshold in Prometheus (1 s evaluation), the alert
goes through Alertmanager (authenticating with the bearer token the Kubernetes deployment requires) to
``/alertmanager``, and the investigation reaches the recording Slack; and a real Prometheus scrapes the serve
port, so the metrics are checked through the query API exactly as an operator's dashboards would read them.
The model is scripted (FakeModel); the Prometheus tool call in the investigation hits the real Prometheus.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig, parse_config
from opsquad.model.protocol import FakeModel
from opsquad.serve import SlackSettings, create_app
from tests.support.common import REPO_ROOT
from tests.support.harness._proc import ManagedProcess, free_port, pid_alive
from tests.support.harness.prom import Alertmanager, Exporter, Prometheus, _find_binary, _start_and_wait
from tests.support.slack import (
    BOT_TOKEN,
    BOT_USER,
    SECRET,
    RecordingSlack,
    ServedApp,
    closed_port,
    event_body,
    signed,
)
from tests.unit.workflows.test_graph import _final
from workflows.services import Services

ALERT_TOKEN = "am-bearer-3f9c2e"
RULES = """
groups:
  - name: checkout
    rules:
      - alert: CheckoutErrorRatioHigh
        expr: checkout_error_ratio > 0.5
        labels:
          severity: page
        annotations:
          summary: "checkout error ratio is {{ $value }} in {{ $labels.namespace }}"
"""


class TokenAlertmanager(Alertmanager):
    """The harness's Alertmanager, but its webhook sends ``Authorization: Bearer`` (as deploy/README.md says)."""

    def start_with_token(self, webhook_url: str, token: str, timeout: float = 30) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = {"route": {"receiver": "opsquad", "group_by": ["alertname"], "group_wait": "200ms",
                            "group_interval": "1s", "repeat_interval": "1h"},
                  "receivers": [{"name": "opsquad", "webhook_configs": [{
                      "url": webhook_url, "send_resolved": True,
                      "http_config": {"authorization": {"type": "Bearer", "credentials": token}}}]}]}
        (self.workdir / "alertmanager.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        self.port = free_port()
        self.process = ManagedProcess("alertmanager", [
            _find_binary("alertmanager", "prometheus-alertmanager"),
            f"--config.file={self.workdir / 'alertmanager.yml'}", f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=warn"],
            self.workdir / "alertmanager.log")
        self.ready_seconds = _start_and_wait(self.process, f"{self.url}/-/ready", timeout)


@pytest.fixture
def config() -> OpsquadConfig:
    data = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
    data["agents"]["sre"]["tools"] = {"prometheus": {}}
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    for model in data["models"].values():
        model["api_base"] = dead  # the scripted model answers; nothing may reach a real one
    data["serve"] = {"alert_channel": "CALERTS", "workers": 2}
    data["tools"]["prometheus"]["url"] = f"http://127.0.0.1:{closed_port()}"  # set once Prometheus is up
    return parse_config(data)


class Serve:
    """``create_app`` under uvicorn on loopback with a scripted model, a recording Slack and the real routes."""

    def __init__(self, config: OpsquadConfig, model: FakeModel, slack: RecordingSlack,
                 alert_token: str | None = None) -> None:
        self.config, self.model = config, model
        self.audit = AuditLog(config.state_dir / "audit.sqlite")
        self.app = create_app(config, self.services, slack=SlackSettings(BOT_TOKEN, SECRET, "", slack.api_url),
                              alert_token=alert_token, readiness=lambda: None)
        self.served = ServedApp(self.app)

    def services(self, progress: Any) -> Services:
        return Services(config=self.config, audit=self.audit, make_model=lambda _alias: self.model, progress=progress)

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.served.url}/metrics", timeout=10).text
        return sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples
                   if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.fixture
def slack() -> Iterator[RecordingSlack]:
    with RecordingSlack() as server:
        yield server


@pytest.fixture
def stopped() -> Iterator[list[Any]]:
    """Servers to stop after the test, in reverse start order (each by its own PID or thread), checked gone."""
    started: list[Any] = []
    yield started
    pids = [p for p in (getattr(s, "pid", None) for s in started) if p]
    for server in reversed(started):
        server.stop()
    assert not [p for p in pids if pid_alive(p)], "Prometheus/Alertmanager survived stop()"


def _answered(slack: RecordingSlack, channel: str) -> Any:
    with slack.lock:
        return next((m for m in slack.messages.values()
                     if m.channel == channel and m.updates and "Root cause" in m.all_text()), None)


def _value(result: list[dict[str, Any]]) -> float | None:
    return float(result[0]["value"][1]) if len(result) == 1 else None


def test_a_prometheus_alert_reaches_slack_through_alertmanager(config: OpsquadConfig, slack: RecordingSlack,
                                                               stopped: list[Any], tmp_path: Path) -> None:
    seen: list[str] = []

    def final(messages: list[dict[str, Any]], schema: Any) -> dict[str, Any]:
        seen.append(messages[-1]["content"])  # what the Prometheus tool returned, as the model saw it
        answer = {"root_cause": "checkout error ratio at 0.93 since the last deploy",
                  "evidence": [{"claim": "checkout_error_ratio is 0.93", "source": "prometheus: checkout_error_ratio"}],
                  "remediation": [{"step": "roll back checkout",
                                   "command": "kubectl -n shop rollout undo deploy/checkout"}],
                  "confidence": 70, "not_checked": []}
        if '"cause"' in json.dumps(schema):  # the analyzers found the firing alert: the answer names a finding
            answer["cause"] = 1
        return {"action": "final", "answer": answer}

    model = FakeModel(script=[{"action": "prometheus", "args": {"query": "checkout_error_ratio"}}, final])
    serve = Serve(config, model, slack, alert_token=ALERT_TOKEN)
    exporter = Exporter().start()
    stopped.append(exporter)
    exporter.set_gauge("checkout_error_ratio", 0.0, {"namespace": "shop", "service": "checkout"})
    with serve.served:
        alertmanager = TokenAlertmanager(tmp_path / "alertmanager")
        alertmanager.start_with_token(f"{serve.served.url}/alertmanager", ALERT_TOKEN)
        stopped.append(alertmanager)
        prometheus = Prometheus(tmp_path / "prometheus")
        prometheus.start([exporter.url], RULES, alertmanager.url)
        stopped.append(prometheus)
        config.tools.prometheus.url = prometheus.url
        prometheus.wait_for("checkout_error_ratio", lambda r: _value(r) == 0.0)  # scraped below the threshold
        assert slack.of("chat.postMessage") == []

        exporter.set_gauge("checkout_error_ratio", 0.93, {"namespace": "shop", "service": "checkout"})
        fired = time.monotonic()
        msg = slack.wait_for(lambda: _answered(slack, "CALERTS"), timeout=30, what="the alert's investigation")
        took = time.monotonic() - fired
        text = msg.all_text()
        for part in ("CheckoutErrorRatioHigh", "checkout error ratio is 0.93 in shop", "Root cause",
                     "checkout error ratio at 0.93 since the last deploy"):
            assert part in text, part
        assert took < 20, f"alert to answer took {took:.1f}s"
        assert "AlertFiring" in text  # the analyzers read the real ALERTS series and the answer names that finding
        # The agent was asked about the real alert and its Prometheus query ran against the real server.
        task = model.requests[0]["messages"][1]["content"]
        assert "1 firing alert(s)" in task and 'alertname="CheckoutErrorRatioHigh"' in task
        assert "checkout error ratio is 0.93 in shop" in task
        assert '"0.93"' in seen[0] and "checkout" in seen[0], seen
        [run] = serve.audit.runs()
        assert run["source"] == "alertmanager" and run["status"] == "done"
        tools = [e for e in serve.audit.events(run["run_id"]) if e["kind"] == "tool"]
        # every call is audited with its grant: the analyzers' own queries, then the one the model chose
        assert tools and all(e["decision"] == "allow" for e in tools)
        chosen = [e for e in tools if e["name"] == "prometheus" and '"checkout_error_ratio"' in e["args"]]
        assert [e["status"] for e in chosen] == ["ok"], tools
        assert serve.metric("opsquad_alert_groups_total", outcome="started") == 1
        assert serve.metric("opsquad_alert_groups_total", outcome="unauthorized") == 0

        # Back under the threshold: Alertmanager sends the resolved notification, which starts nothing.
        exporter.set_gauge("checkout_error_ratio", 0.0, {"namespace": "shop", "service": "checkout"})
        slack.wait_for(lambda: serve.metric("opsquad_alert_groups_total", outcome="resolved") >= 1, timeout=30,
                       what="the resolved notification")
        assert len(serve.audit.runs()) == 1 and len(model.requests) == 2
        assert len(slack.of("chat.postMessage")) == 1
        # Without the token the webhook refuses, as it would for anything else that reaches the pod.
        bare = httpx.post(f"{serve.served.url}/alertmanager", json={"version": "4"}, timeout=10)
        assert bare.status_code == 401


def test_prometheus_scrapes_the_serve_metrics(config: OpsquadConfig, slack: RecordingSlack,
                                              stopped: list[Any], tmp_path: Path) -> None:
    serve = Serve(config, FakeModel(default=_final()), slack)
    with serve.served:
        prometheus = Prometheus(tmp_path / "prometheus")
        prometheus.start([f"{serve.served.url}/metrics"], job_name="opsquad")
        stopped.append(prometheus)
        prometheus.wait_for('up{job="opsquad"}', lambda r: _value(r) == 1.0)
        assert prometheus.query("opsquad_runs_total") == []  # no run yet, so no labelled series either

        ts = "1700000100.000100"
        event = {"type": "app_mention", "user": "UCAROL", "text": f"<@{BOT_USER}> why is checkout slow?", "ts": ts,
                 "channel": "CONCALL", "event_ts": ts}
        body = event_body(event, "Ev-prom-1")
        assert httpx.post(f"{serve.served.url}/slack/events", content=body, headers=signed(body),
                          timeout=10).status_code == 200
        slack.wait_for(lambda: _answered(slack, "CONCALL"), what="the answer")

        runs = prometheus.wait_for('opsquad_runs_total{workflow="oncall",source="slack",outcome="done"}',
                                   lambda r: _value(r) == 1.0)
        assert runs[0]["metric"]["job"] == "opsquad"
        prometheus.wait_for('opsquad_run_duration_seconds_count{workflow="oncall"}', lambda r: _value(r) == 1.0)
        tokens = prometheus.wait_for('sum(opsquad_model_tokens_total{kind="prompt"})', lambda r: bool(r))
        assert float(tokens[0]["value"][1]) == serve.metric("opsquad_model_tokens_total", kind="prompt") > 0
        assert _value(prometheus.query('opsquad_slack_requests_total{kind="event",outcome="processed"}')) == 1.0
        assert _value(prometheus.query("opsquad_runs_in_flight")) == 0.0
        # The series are what an operator's alert rule would read, e.g. the failure ratio of runs.
        ratio = prometheus.query('sum(opsquad_runs_total{outcome="failed"} or vector(0)) / sum(opsquad_runs_total)')
        assert _value(ratio) == 0.0, json.dumps(ratio)
