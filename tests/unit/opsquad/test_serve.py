"""``opsquad serve`` for real: uvicorn on loopback, signed Slack deliveries, a recording Slack Web API.

The investigations run the real orchestrator (dispatch → graph → SRE agent loop → checkpoint → audit) with a
scripted model; the approval path uses a test-only write tool registered the way test_orchestrator.py does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
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
from opsquad.errors import ConfigError, ModelUnavailable
from opsquad.findings import Report
from opsquad.model.protocol import FakeModel
from opsquad.serve import SlackSettings, create_app
from opsquad.serve import blocks as bk
from tests.support.common import REPO_ROOT
from tests.support.slack import (
    BOT_TOKEN,
    BOT_USER,
    SECRET,
    RecordingSlack,
    ServedApp,
    StubModel,
    action_body,
    closed_port,
    command_body,
    event_body,
    signed,
)
from tests.unit.workflows.test_graph import FakeScaleTool, _final
from workflows.services import Services

FORM = "application/x-www-form-urlencoded"
SCALE = {"action": "fake_scale", "args": {"verb": "scale", "namespace": "shop", "name": "checkout", "replicas": 3}}


@pytest.fixture
def serve_config(monkeypatch: pytest.MonkeyPatch) -> OpsquadConfig:
    from tools.registry import TOOLS

    monkeypatch.setitem(TOOLS, "fake_scale", FakeScaleTool)  # type: ignore[arg-type]
    FakeScaleTool.calls.clear()
    data = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
    data["agents"]["sre"]["tools"] = {
        "prometheus": {}, "fake_scale": {"verbs": ["scale"], "namespaces": ["shop"], "approval": "required"}}
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    for model in data["models"].values():
        model["api_base"] = dead  # nothing answers: readiness says so, and no test can reach a real model
    data["serve"] = {"approvers": ["UALICE", "@sre-oncall"], "alert_channel": "CALERTS", "workers": 2}
    data["tools"]["prometheus"]["url"] = f"http://127.0.0.1:{closed_port()}"
    return parse_config(data)


class Harness:
    """The app served on loopback with a scripted model and a recording Slack."""

    def __init__(self, config: OpsquadConfig, model: FakeModel, slack: RecordingSlack | None, **kw: Any) -> None:
        self.config, self.model, self.slack = config, model, slack
        self.audit = AuditLog(config.state_dir / "audit.sqlite")
        settings = SlackSettings(BOT_TOKEN, SECRET, "", slack.api_url) if slack else None
        self.app = create_app(config, self.services, slack=settings, **kw)
        self.served = ServedApp(self.app)
        self.http = httpx.Client(base_url=self.served.url, timeout=10)

    def services(self, progress: Any) -> Services:
        return Services(config=self.config, audit=self.audit, make_model=lambda _alias: self.model, progress=progress)

    def event(self, event: dict[str, Any], event_id: str, **sign: Any) -> httpx.Response:
        body = event_body(event, event_id)
        return self.http.post("/slack/events", content=body, headers=signed(body, **sign))

    def command(self, text: str, trigger: str = "t1") -> httpx.Response:
        body = command_body(text, trigger=trigger)
        return self.http.post("/slack/commands", content=body, headers=signed(body, content_type=FORM))

    def click(self, action_id: str, run_id: str, user: str, message: dict[str, Any], ts: str = "1.1",
              **sign: Any) -> httpx.Response:
        body = action_body(action_id, run_id, user=user, channel="CONCALL", message=message, action_ts=ts)
        return self.http.post("/slack/interactions", content=body, headers=signed(body, content_type=FORM, **sign))

    def metric(self, name: str, **labels: str) -> float:
        text = self.http.get("/metrics").text
        return sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples
                   if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.fixture
def slack() -> Iterator[RecordingSlack]:
    with RecordingSlack() as server:
        yield server


def _served(h: Harness) -> Iterator[Harness]:
    with h.served:
        yield h
    h.http.close()


@pytest.fixture
def harness(serve_config: OpsquadConfig, slack: RecordingSlack) -> Iterator[Harness]:
    yield from _served(Harness(serve_config, FakeModel(default=_final()), slack))


def _mention(text: str, ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    event = {"type": "app_mention", "user": "UCAROL", "text": f"<@{BOT_USER}> {text}", "ts": ts,
             "channel": "CONCALL", "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def _answered(slack: RecordingSlack, channel: str, thread_ts: str | None = None) -> Any:
    """The bot's status message once it shows an answer (updated in place), else None."""
    with slack.lock:
        for m in slack.messages.values():
            if m.channel == channel and (thread_ts is None or m.thread_ts == thread_ts) and m.updates and \
                    "Root cause" in m.all_text():
                return m
    return None


def test_url_verification_health_and_bad_signatures(harness: Harness, slack: RecordingSlack) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"}).encode()
    res = harness.http.post("/slack/events", content=body, headers=signed(body))
    assert res.status_code == 200 and res.json()["challenge"] == "c-123"
    assert harness.http.get("/healthz").json() == {"status": "ok"}

    before = slack.methods()
    mention = event_body(_mention("why?", "1700.1"), "Ev-bad")
    bad = harness.http.post("/slack/events", content=mention, headers=signed(mention, secret="wrong"))
    stale = harness.event(_mention("why?", "1700.2"), "Ev-stale", timestamp=int(time.time()) - 6 * 60)
    unsigned = harness.http.post("/slack/events", content=mention, headers={"Content-Type": "application/json"})
    assert (bad.status_code, stale.status_code, unsigned.status_code) == (401, 401, 401)
    time.sleep(0.3)
    assert slack.methods() == before == ["auth.test"]  # nothing processed, nothing posted
    assert harness.model.requests == [] and harness.audit.runs() == []


def test_mention_posts_one_message_updated_in_place_and_retries_are_dropped(harness: Harness,
                                                                           slack: RecordingSlack) -> None:
    started = time.monotonic()
    res = harness.event(_mention("why is checkout slow? p99 &gt; 2s", "1700000000.000100"), "Ev1")
    assert res.status_code == 200 and time.monotonic() - started < 3
    msg = slack.wait_for(lambda: _answered(slack, "CONCALL", "1700000000.000100"), what="the answer")
    assert len(slack.of("chat.postMessage")) == 1  # one message, then chat.update
    assert harness.model.requests[0]["messages"][1]["content"] == "why is checkout slow? p99 > 2s"
    text = msg.all_text()
    for part in ("Root cause", "checkout is under-provisioned", "Evidence", "p99 latency 2.1s", "Remediation",
                 "kubectl -n shop scale deploy/checkout --replicas=3", "Confidence 70%"):
        assert part in text, part

    retry = harness.event(_mention("why is checkout slow?", "1700000000.000100"), "Ev1", retry=1)
    assert retry.status_code == 200
    time.sleep(0.5)
    assert len(slack.of("chat.postMessage")) == 1 and len(harness.model.requests) == 1
    runs = harness.audit.runs()
    assert len(runs) == 1 and runs[0]["source"] == "slack" and runs[0]["status"] == "done"
    assert harness.metric("opsquad_runs_total", workflow="oncall", source="slack", outcome="done") == 1
    assert harness.metric("opsquad_model_tokens_total", kind="prompt") > 0
    assert harness.metric("opsquad_slack_requests_total", kind="event", outcome="dropped") == 1
    assert harness.metric("opsquad_run_duration_seconds_count", workflow="oncall") == 1


def test_follow_up_in_the_thread_continues_the_conversation(harness: Harness, slack: RecordingSlack) -> None:
    root = "1700000001.000100"
    harness.event(_mention("why is checkout slow?", root), "Ev2")
    slack.wait_for(lambda: _answered(slack, "CONCALL", root), what="the first answer")
    follow = {"type": "message", "user": "UCAROL", "text": "is the database involved?", "ts": "1700000001.000300",
              "thread_ts": root, "channel": "CONCALL", "channel_type": "channel"}
    unrelated = {**follow, "thread_ts": "1600000000.000001", "ts": "1600000000.000002", "text": "lunch?"}
    assert harness.event(unrelated, "Ev-other").status_code == 200
    assert harness.event(follow, "Ev3").status_code == 200
    slack.wait_for(lambda: len(harness.model.requests) >= 2 and len(slack.of("chat.update")) >= 2, what="turn 2")
    time.sleep(0.3)
    assert len(harness.model.requests) == 2  # the unrelated thread was ignored
    task = harness.model.requests[1]["messages"][1]["content"]
    assert "checkout is under-provisioned" in task and "is the database involved?" in task
    run_ids = sorted(r["run_id"] for r in harness.audit.runs())
    assert [r[-3:] for r in run_ids] == ["-01", "-02"] and run_ids[0][:-3] == run_ids[1][:-3]
    assert len(slack.in_thread("CONCALL", root)) == 2


def test_slash_command_and_usage(harness: Harness, slack: RecordingSlack) -> None:
    usage = harness.command("help", trigger="t-help")
    assert usage.status_code == 200 and "investigate" in usage.text
    started = time.monotonic()
    res = harness.command("investigate checkout returns 500s since 14:00", trigger="t-2")
    assert res.status_code == 200 and time.monotonic() - started < 3
    msg = slack.wait_for(lambda: _answered(slack, "CONCALL"), what="the slash command's answer")
    assert msg.thread_ts is None  # the status message starts the thread
    assert "checkout returns 500s since 14:00" in msg.all_text()
    assert harness.model.requests[0]["messages"][1]["content"] == "checkout returns 500s since 14:00"


def test_a_failing_run_ends_its_message_with_one_line(harness: Harness, slack: RecordingSlack) -> None:
    def down(_messages: Any, _schema: Any) -> dict[str, Any]:
        raise ModelUnavailable("model 'coder' at http://127.0.0.1:1/v1 is not reachable")

    harness.model.script[:0] = [down, down]  # the primary model and its fallback
    harness.event(_mention("why?", "1700000004.000100"), "Ev-fail")
    msg = slack.wait_for(lambda: [m for m in slack.messages.values() if "failed" in m.text], what="the failure")[0]
    assert "is not reachable" in msg.all_text() and "Working" not in msg.all_text()
    assert harness.metric("opsquad_runs_total", outcome="failed") == 1
    harness.event(_mention("and now?", "1700000004.000200"), "Ev-after")  # the next question still works
    slack.wait_for(lambda: _answered(slack, "CONCALL", "1700000004.000200"), what="the next answer")


def _status(h: Harness, run_id: str) -> str:
    return str((h.audit.run(run_id) or {}).get("status"))


def _paused(h: Harness, slack: RecordingSlack, root: str) -> tuple[str, dict[str, Any]]:
    h.model.script[:0] = [SCALE, _final()]
    h.event(_mention("why is checkout slow?", root), f"Ev-{root}")
    msg = slack.wait_for(lambda: _answered(slack, "CONCALL", root), what="the paused run's message")
    actions = [b for b in msg.blocks if b["type"] == "actions"]
    assert actions, msg.blocks
    run_id = actions[0]["elements"][0]["value"]
    assert "spec.replicas: 1 -&gt; 3" in msg.all_text()  # the dry run, escaped for Slack
    return run_id, {"ts": msg.ts, "thread_ts": root, "text": msg.text, "blocks": msg.blocks}


def test_approval_only_by_approvers_resumes_and_posts_in_thread(harness: Harness, slack: RecordingSlack) -> None:
    root = "1700000002.000100"
    run_id, message = _paused(harness, slack, root)
    assert _status(harness, run_id) == "awaiting_approval"

    assert harness.click(bk.APPROVE, run_id, "UMALLORY", message, ts="2.1").status_code == 200
    eph = slack.wait_for(lambda: slack.of("chat.postEphemeral"), what="the refusal")
    assert eph[0].args["user"] == "UMALLORY" and "not allowed" in eph[0].args["text"]
    time.sleep(0.3)
    assert [dry for _, dry in FakeScaleTool.calls] == [True]  # nothing resumed
    assert _status(harness, run_id) == "awaiting_approval"
    assert harness.metric("opsquad_approvals_total", decision="refused") == 1

    assert harness.click(bk.APPROVE, run_id, "UALICE", message, ts="2.2").status_code == 200
    assert harness.click(bk.APPROVE, run_id, "UALICE", message, ts="2.2", retry=1).status_code == 200
    decided = slack.wait_for(lambda: [m for m in slack.in_thread("CONCALL", root) if "approved" in m.text],
                             what="the decision in the thread")
    assert "<@UALICE> approved" in decided[0].text and "ok" in decided[0].all_text()
    slack.wait_for(lambda: "Approved by <@UALICE>" in slack.messages[("CONCALL", message["ts"])].all_text(),
                   what="the answer updated with the decision")
    assert [dry for _, dry in FakeScaleTool.calls] == [True, False]  # applied once
    assert _status(harness, run_id) == "done"
    events = harness.audit.events(run_id)
    assert any(e["kind"] == "approval" and e["detail"] == "by slack:UALICE" for e in events)
    assert any(e["kind"] == "approval_refused" and "UMALLORY" in e["detail"] for e in events)
    assert harness.metric("opsquad_approvals_total", decision="approved") == 1
    assert harness.metric("opsquad_tool_calls_total", tool="fake_scale") == 2  # dry run + apply


def test_group_approver_rejects(harness: Harness, slack: RecordingSlack) -> None:
    slack.usergroups = [{"id": "S0ONCALL", "handle": "sre-oncall", "users": ["UBOB"]}]
    root = "1700000003.000100"
    run_id, message = _paused(harness, slack, root)
    harness.click(bk.REJECT, run_id, "UBOB", message, ts="3.1")
    decided = slack.wait_for(lambda: [m for m in slack.in_thread("CONCALL", root) if "rejected" in m.text],
                             what="the rejection")
    assert "<@UBOB> rejected" in decided[0].text
    assert [dry for _, dry in FakeScaleTool.calls] == [True]
    assert _status(harness, run_id) == "rejected"


def _group(key: str = '{}:{alertname="CheckoutDown"}') -> dict[str, Any]:
    alert = {"status": "firing", "startsAt": "2024-05-01T14:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus/graph", "fingerprint": "f1"}
    return {"version": "4", "groupKey": key, "truncatedAlerts": 0, "status": "firing", "receiver": "opsquad",
            "groupLabels": {"alertname": "CheckoutDown"}, "commonLabels": {"alertname": "CheckoutDown",
                                                                             "namespace": "shop"},
            "commonAnnotations": {}, "externalURL": "http://alertmanager",
            "alerts": [{**alert, "labels": {"alertname": "CheckoutDown", "namespace": "shop", "pod": "checkout-1"},
                        "annotations": {"summary": "checkout-1 is down"}},
                       {**alert, "fingerprint": "f2", "annotations": {"summary": "checkout-2 is down"},
                        "labels": {"alertname": "CheckoutDown", "namespace": "shop", "pod": "checkout-2"}}]}


def test_alert_group_is_investigated_once_while_running(harness: Harness, slack: RecordingSlack) -> None:
    gate = threading.Event()

    def slow(_messages: Any, _schema: Any) -> dict[str, Any]:
        gate.wait(10)
        return _final("checkout pods crash-loop")

    harness.model.script[:0] = [slow]
    first = harness.http.post("/alertmanager", json=_group())
    assert first.status_code == 202 and first.json()["status"] == "started"
    second = harness.http.post("/alertmanager", json=_group())
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    gate.set()
    msg = slack.wait_for(lambda: _answered(slack, "CALERTS"), what="the alert investigation")
    assert "crash-loop" in msg.all_text() and "CheckoutDown" in msg.all_text()
    task = harness.model.requests[0]["messages"][1]["content"]
    assert "2 firing alert(s)" in task and "checkout-1 is down" in task and "checkout-2 is down" in task
    assert len(harness.audit.runs()) == 1 and harness.audit.runs()[0]["source"] == "alertmanager"
    slack.wait_for(lambda: not harness.app.state.runner.is_busy('alert:{}:{alertname="CheckoutDown"}'),
                   what="the group to be released")
    assert harness.http.post("/alertmanager", json=_group()).json()["status"] == "duplicate"  # received: no re-run
    assert harness.http.post("/alertmanager", json={**_group(), "status": "resolved"}).json()["status"] == "ignored"
    assert harness.http.post("/alertmanager", json={"version": "3"}).status_code == 400
    assert harness.metric("opsquad_alert_groups_total", outcome="duplicate") == 2  # running, then already received


def test_readiness_follows_the_model_endpoint(serve_config: OpsquadConfig) -> None:
    h = Harness(serve_config, FakeModel(), None)
    with h.served:
        down = h.http.get("/readyz")
        assert down.status_code == 503 and "not answering" in down.json()["reason"]
        with StubModel() as stub:
            for model in serve_config.models.values():
                model.api_base = stub.api_base
            assert h.http.get("/readyz").status_code == 200


def test_without_slack_the_webhook_still_runs_and_a_token_is_enforced(serve_config: OpsquadConfig) -> None:
    serve_config.serve.alert_channel = None
    for h in _served(Harness(serve_config, FakeModel(default=_final()), None, alert_token="s3cret")):
        assert h.http.post("/slack/events", content=b"{}").status_code == 404
        assert h.http.post("/alertmanager", json=_group()).status_code == 401
        res = h.http.post("/alertmanager", json=_group(), headers={"Authorization": "Bearer s3cret"})
        assert res.status_code == 202
        run_id = res.json()["run_id"]
        deadline = time.monotonic() + 15
        while (h.audit.run(run_id) or {}).get("status") != "done":
            assert time.monotonic() < deadline, "the headless alert run did not finish"
            time.sleep(0.05)


def test_slack_settings_from_env() -> None:
    assert SlackSettings.from_env({}) is None
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        SlackSettings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        SlackSettings.from_env({"SLACK_SIGNING_SECRET": "s"})
    assert SlackSettings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}) is not None


def test_block_kit_respects_slack_limits_and_escapes() -> None:
    answer = {"root_cause": "<!channel> token=\"ghp_" + "a" * 36 + "\" " + "x" * 5000,
              "evidence": [{"claim": f"claim {i} " + "y" * 400, "source": "prometheus"} for i in range(40)],
              "remediation": [{"step": "s", "command": "kubectl get pods"}], "confidence": 0.5, "not_checked": []}
    report = Report(run_id="abc123def456", workflow="oncall", answer=answer, status="awaiting_approval")
    pending = [{"id": f"sre-{i}", "tool": "fake_scale", "description": "scale", "dry_run": "z" * 9000}
               for i in range(40)]
    msg = bk.report_message(report, pending, question="q")
    assert len(msg.blocks) <= bk.MAX_BLOCKS and len(msg.text) <= bk.MAX_TEXT
    texts = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]
    assert all(len(t) <= bk.MAX_SECTION for t in texts)
    assert [b["type"] for b in msg.blocks[-2:]] == ["actions", "context"]  # the buttons survive the cut
    joined = json.dumps(msg.blocks)
    assert "<!channel>" not in joined + msg.text and "&lt;!channel&gt;" in joined
    assert "ghp_" not in joined and "more characters cut" in joined and "cut to fit" in joined


def test_cli_serve_binds_loopback_and_refuses_half_configured_slack(tmp_path: Path) -> None:
    cfg = tmp_path / "agents.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": {"m": {"model": "openai/m", "api_base": f"http://127.0.0.1:{closed_port()}/v1"}},
        "agents": {"sre": {"role": "sre", "model": "m", "tools": {"prometheus": {}}}},
        "workflows": {"oncall": {"agents": ["sre"]}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    cmd = [sys.executable, "-m", "opsquad.cli.main", "serve", "--config", str(cfg)]
    half = subprocess.run([*cmd, "--port", "1"], env={**env, "SLACK_BOT_TOKEN": "xoxb-1"}, capture_output=True,
                          text=True, timeout=60)
    assert half.returncode == 2 and len(half.stderr.strip().splitlines()) == 1, half.stderr
    assert "SLACK_SIGNING_SECRET" in half.stderr

    port = closed_port()
    proc = subprocess.Popen([*cmd, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "opsquad serve did not come up"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 503
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in out and "0.0.0.0" not in out
    assert "serving without /slack routes" in out
