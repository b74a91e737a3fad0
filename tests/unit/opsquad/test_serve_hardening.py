"""``opsquad serve`` under hostile or repeated input: malformed but signed requests, bad headers, redeliveries.

The app is served by uvicorn on loopback with a recording Slack, as in test_serve.py; deliveries are signed
with Slack's real scheme. The runner's ``dispatch`` and ``resume`` are replaced by counters that answer at
once, so the tests see exactly how many runs a delivery started without running a model.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
import yaml

from opsquad.audit import AuditLog
from opsquad.config import parse_config
from opsquad.findings import Report
from opsquad.model.protocol import FakeModel
from opsquad.serve import SlackSettings, create_app
from opsquad.serve import blocks as bk
from opsquad.serve.dedupe import SeenSet
from tests.support.common import REPO_ROOT
from tests.support.slack import (
    BOT_TOKEN,
    SECRET,
    RecordingSlack,
    ServedApp,
    action_body,
    closed_port,
    command_body,
    signed,
)
from workflows.dispatch import RunResult
from workflows.services import Services

FORM = "application/x-www-form-urlencoded"
RUN_ID = "0123456789abcdef"


class Served:
    """The app on loopback, with ``dispatch``/``resume`` counted instead of run."""

    def __init__(self, slack: RecordingSlack, token: str | None = None) -> None:
        data = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
        for model in data["models"].values():
            model["api_base"] = f"http://127.0.0.1:{closed_port()}/v1"
        data["serve"] = {"approvers": ["UALICE"], "alert_channel": None, "workers": 2}
        self.config = parse_config(data)
        self.audit = AuditLog(self.config.state_dir / "audit.sqlite")
        settings = SlackSettings(BOT_TOKEN, SECRET, "", slack.api_url)
        self.app = create_app(self.config, self.services, slack=settings, alert_token=token)
        self.runs: list[str] = []
        self.lock = threading.Lock()
        runner = self.app.state.runner
        runner.dispatch = lambda request, progress=None: self._ran(request.run_id)
        runner.resume = lambda run_id, approved, by, progress=None: self._ran(f"resume:{run_id}:{approved}")
        self.served = ServedApp(self.app)
        self.http = httpx.Client(base_url=self.served.url, timeout=10)

    def services(self, progress: Any) -> Services:
        return Services(config=self.config, audit=self.audit, make_model=lambda _a: FakeModel(), progress=progress)

    def _ran(self, what: str) -> RunResult:
        with self.lock:
            self.runs.append(what)
        run_id = what.split(":")[1] if what.startswith("resume:") else what
        return RunResult(run_id, Report(run_id=run_id, workflow="oncall"))

    def post(self, path: str, body: bytes, content_type: str = FORM, **sign: Any) -> httpx.Response:
        return self.http.post(path, content=body, headers=signed(body, content_type=content_type, **sign))

    def settled(self, count: int) -> list[str]:
        """The runs started, once ``count`` of them have (and a moment later, to catch a late extra one)."""
        deadline = time.monotonic() + 10
        while len(self.runs) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        with self.lock:
            return list(self.runs)


@pytest.fixture
def served() -> Iterator[Served]:
    with RecordingSlack() as slack:
        s = Served(slack)
        with s.served:
            yield s
        s.http.close()


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text


def _raw_signed(body: bytes, timestamp: str, content_type: str = "application/json") -> dict[str, str]:
    """Slack's signature over the body's bytes, whatever the timestamp header says (``signed`` needs a number
    and a UTF-8 body)."""
    mac = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={mac.hexdigest()}",
            "Content-Type": content_type}


@pytest.mark.parametrize(("path", "body", "content_type"), [
    ("/slack/events", b'{"type": "event_callback", "event": {', "application/json"),
    ("/slack/events", b"[1, 2, 3]", "application/json"),
    ("/slack/events", b'{"type": "url_verification", "challenge": "\xff\xfe"}', "application/json"),
    ("/slack/commands", b"command=/opsquad&text=investigate+x&trigger_id=\xff", FORM),
    ("/slack/commands", b'{"command": "/opsquad", ', FORM),
    ("/slack/interactions", b"payload=not-json", FORM),
    ("/slack/interactions", urlencode({"payload": "[1]"}).encode(), FORM),
    ("/slack/interactions", b"payload", FORM),
])
def test_a_signed_but_malformed_body_is_400_without_a_traceback(
        served: Served, caplog: pytest.LogCaptureFixture, path: str, body: bytes, content_type: str) -> None:
    caplog.set_level(logging.INFO)
    res = served.http.post(path, content=body, headers=_raw_signed(body, str(int(time.time())), content_type))
    assert res.status_code == 400, res.text
    assert "error" in res.json()
    _no_traceback(caplog)
    assert [r for r in caplog.records if r.name == "opsquad.serve" and "refused" in r.getMessage()]
    assert served.settled(0) == []


@pytest.mark.parametrize("path", ["/slack/events", "/slack/commands", "/slack/interactions"])
def test_bad_timestamp_and_signature_headers_are_400_or_401(served: Served, caplog: pytest.LogCaptureFixture,
                                                            path: str) -> None:
    caplog.set_level(logging.INFO)
    body = command_body("investigate why?", trigger="t-hdr")
    for ts in ("abc", "12.5", "-1", "9" * 400):
        res = served.http.post(path, content=body, headers=_raw_signed(body, ts, FORM))
        assert res.status_code == 400 and "X-Slack-Request-Timestamp" in res.json()["error"], (ts, res.text)
    stale = served.post(path, body, timestamp=int(time.time()) - 6 * 60)
    wrong = served.post(path, body, secret="not-the-secret")
    unsigned = served.http.post(path, content=body, headers={"Content-Type": FORM})
    no_sig = served.http.post(path, content=body, headers={"X-Slack-Request-Timestamp": str(int(time.time()))})
    assert [r.status_code for r in (stale, wrong, unsigned, no_sig)] == [401, 401, 401, 401]
    _no_traceback(caplog)
    assert served.settled(0) == []


def test_a_signed_body_with_the_wrong_shape_is_never_a_500(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    odd = [("/slack/events", json.dumps({"type": "event_callback", "event_id": "Ev-odd", "event": "x"}).encode(),
            "application/json"),
           ("/slack/events", json.dumps({"type": "event_callback", "event_id": "Ev-odd2",
                                         "event": {"type": "app_mention"}}).encode(), "application/json"),
           ("/slack/commands", b"command=/opsquad&text=investigate+why", FORM),
           ("/slack/interactions", urlencode({"payload": json.dumps(
               {"type": "block_actions", "user": "x", "actions": "y"})}).encode(), FORM)]
    for path, body, content_type in odd:
        res = served.post(path, body, content_type)
        assert res.status_code in (200, 400), (path, res.status_code, res.text)
    time.sleep(0.3)
    _no_traceback(caplog)
    assert served.settled(0) == []


def test_a_replayed_slash_command_starts_one_run(served: Served) -> None:
    with_trigger = command_body("investigate checkout is slow", trigger="t-replay")
    assert served.post("/slack/commands", with_trigger).status_code == 200
    assert served.post("/slack/commands", with_trigger, retry=1).status_code == 200  # Slack's retry
    assert served.post("/slack/commands", with_trigger).status_code == 200  # a replay without the retry header
    assert len(served.settled(1)) == 1

    no_trigger = urlencode({"team_id": "T0TEST", "channel_id": "CONCALL", "user_id": "UALICE",
                            "command": "/opsquad", "text": "investigate payments fail"}).encode()
    assert served.post("/slack/commands", no_trigger).status_code == 200
    assert served.post("/slack/commands", no_trigger, retry=1).status_code == 200
    assert len(served.settled(2)) == 2

    other = command_body("investigate checkout is slow", trigger="t-another")  # a new command, same words
    assert served.post("/slack/commands", other).status_code == 200
    assert len(served.settled(3)) == 3


def test_a_replayed_click_resumes_once(served: Served) -> None:
    message = {"ts": "1700000000.000001", "thread_ts": "1700000000.000001", "text": "x", "blocks": []}
    click = action_body(bk.APPROVE, RUN_ID, user="UALICE", channel="CONCALL", message=message, action_ts="5.1")
    assert served.post("/slack/interactions", click).status_code == 200
    assert served.settled(1) == [f"resume:{RUN_ID}:True"]
    assert served.post("/slack/interactions", click, retry=1).status_code == 200
    assert served.post("/slack/interactions", click).status_code == 200
    assert served.settled(1) == [f"resume:{RUN_ID}:True"]  # the decision was released: only the seen-set held

    bare = [_without_ids(action_body(bk.REJECT, run, user="UALICE", channel="CONCALL", message=message))
            for run in ("1111111111aa", "2222222222bb")]  # no trigger_id, no action_ts: known by their bodies
    for body in (*bare, *bare):
        assert served.post("/slack/interactions", body).status_code == 200
    assert served.settled(3)[1:] == ["resume:1111111111aa:False", "resume:2222222222bb:False"]


def _without_ids(form: bytes) -> bytes:
    payload = json.loads(parse_qs(form.decode())["payload"][0])
    del payload["trigger_id"], payload["actions"][0]["action_ts"]
    return urlencode({"payload": json.dumps(payload)}).encode()


def _group(summary: str = "checkout-1 is down", starts: str = "2024-05-01T14:00:00Z") -> dict[str, Any]:
    alert = {"status": "firing", "labels": {"alertname": "CheckoutDown", "pod": "checkout-1"},
             "annotations": {"summary": summary}, "startsAt": starts, "fingerprint": "f1"}
    return {"version": "4", "groupKey": '{}:{alertname="CheckoutDown"}', "status": "firing",
            "groupLabels": {"alertname": "CheckoutDown"}, "commonLabels": {"alertname": "CheckoutDown"},
            "alerts": [alert]}


def test_a_redelivered_alert_notification_starts_one_run(served: Served) -> None:
    first = served.http.post("/alertmanager", json=_group())
    assert first.status_code == 202
    assert len(served.settled(1)) == 1  # finished: the group is idle again
    again = served.http.post("/alertmanager", json=_group(summary="checkout-1 is down (value 3)"))
    assert again.status_code == 200 and again.json() == {"status": "duplicate",  # same alerts, same status
                                                         "reason": "this notification was already received"}
    assert len(served.settled(1)) == 1
    changed = served.http.post("/alertmanager", json=_group(starts="2024-05-01T15:00:00Z"))
    assert changed.status_code == 202  # the alert fired again: a new investigation
    assert len(served.settled(2)) == 2


@pytest.mark.parametrize(("body", "headers"), [
    (b'{"version": "4", "groupKey": ', {"Content-Type": "application/json"}),
    (b'{"version": "4", "groupKey": "\xff"}', {"Content-Type": "application/json"}),
    (b"[1, 2]", {"Content-Type": "application/json"}),
    (b"groupKey=x", {"Content-Type": FORM}),
])
def test_a_malformed_alertmanager_body_is_400(served: Served, caplog: pytest.LogCaptureFixture, body: bytes,
                                              headers: dict[str, str]) -> None:
    res = served.http.post("/alertmanager", content=body, headers=headers)
    assert res.status_code == 400 and "error" in res.json(), res.text
    _no_traceback(caplog)
    assert served.settled(0) == []


def test_the_seen_set_is_bounded_and_forgets_after_its_ttl() -> None:
    now = [0.0]
    seen = SeenSet(size=2, ttl=10.0, clock=lambda: now[0])
    assert seen.add("a") and not seen.add("a")
    now[0] = 9.9
    assert not seen.add("a")
    now[0] = 10.0
    assert seen.add("a")  # expired: a delivery this late is a new one
    assert seen.add("b") and seen.add("c")
    assert seen.add("a") and not seen.add("c")  # at most two kept: the oldest ("a") went first
    seen.discard("c")
    assert seen.add("c")
