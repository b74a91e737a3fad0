"""``opsquad serve`` end to end on the real control plane: a Slack approval resumes a paused remediation.

A bad rollout (search-api revision 3.9.0 crash-looping, scenario ``search-rollout``) is built in a fresh namespace
on the real Kubernetes API server; a signed app_mention asks about it; the SRE agent (scripted model, granted
``kubernetes_write`` rollback with approval required) posts its answer with Approve/Reject buttons; the deployment
is untouched until an allowed Slack user clicks Approve, then it is rolled back on the API server, verified, and the
result is posted in the thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from evals.sre.materialize import materialize
from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig, ToolGrant, parse_config
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
    SlackMessage,
    action_body,
    closed_port,
    event_body,
    signed,
)
from tests.unit.agents.sre.test_agent import READ, final, scenario
from workflows.services import Services

FORM = "application/x-www-form-urlencoded"
APPROVER = "UALICE"
ROOT = "1700000100.000100"


def _config(kubeconfig: Path, namespace: str) -> OpsquadConfig:
    data = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    for model in data["models"].values():
        model["api_base"] = dead  # nothing answers: no test can reach a real model
    data["serve"] = {"approvers": [APPROVER], "workers": 2}
    data["tools"]["prometheus"]["url"] = f"http://127.0.0.1:{closed_port()}"  # reported not checked
    data["tools"].setdefault("kubernetes", {})["kubeconfig"] = str(kubeconfig)  # a Slack request names no cluster
    config = parse_config(data)
    config.agents["sre"].tools = {
        "kubernetes": READ, "prometheus": ToolGrant(),
        "kubernetes_write": ToolGrant(verbs=["rollback"], namespaces=[namespace], approval="required")}
    return config


def _choose_ours(namespace: str) -> Any:
    """The scripted model: names as cause the finding about *this* namespace's search-api (the shared plane may
    hold other tests' namespaces, and a Slack question names no namespace)."""
    def answer(messages: list[Any], _schema: dict[str, Any]) -> dict[str, Any]:
        context = str(messages[-1]["content"])
        ours = [int(n) for n, rest in re.findall(r"^F(\d+) \[\w+\] (.*)$", context, flags=re.M)
                if f"/{namespace}/search-api" in rest]
        return final(ours[0] if ours else 1,
                     "search-api revision 2 (3.9.0) crash-loops on a config error; roll back to 3.8.2.")
    return answer


class Served:
    def __init__(self, config: OpsquadConfig, model: FakeModel, slack: RecordingSlack) -> None:
        self.config, self.model = config, model
        self.audit = AuditLog(config.state_dir / "audit.sqlite")
        self.app = create_app(config, self.services, slack=SlackSettings(BOT_TOKEN, SECRET, "", slack.api_url))
        self.served = ServedApp(self.app)
        self.http = httpx.Client(base_url=self.served.url, timeout=10)

    def services(self, progress: Any) -> Services:
        return Services(config=self.config, audit=self.audit, make_model=lambda _alias: self.model, progress=progress)

    def mention(self, text: str, ts: str, event_id: str) -> httpx.Response:
        event = {"type": "app_mention", "user": "UCAROL", "text": f"<@{BOT_USER}> {text}", "ts": ts,
                 "channel": "CONCALL", "event_ts": ts}
        body = event_body(event, event_id)
        return self.http.post("/slack/events", content=body, headers=signed(body))

    def click(self, action_id: str, run_id: str, user: str, message: dict[str, Any]) -> httpx.Response:
        body = action_body(action_id, run_id, user=user, channel="CONCALL", message=message, action_ts="9.1")
        return self.http.post("/slack/interactions", content=body, headers=signed(body, content_type=FORM))


@pytest.fixture
def slack() -> Iterator[RecordingSlack]:
    with RecordingSlack() as server:
        yield server


def _with_buttons(slack: RecordingSlack) -> SlackMessage | None:
    with slack.lock:
        for m in slack.messages.values():
            if m.channel == "CONCALL" and m.thread_ts == ROOT and any(b.get("type") == "actions" for b in m.blocks):
                return m
    return None


def test_slack_approval_rolls_back_the_bad_rollout_on_the_api_server_and_posts_the_result(
        kube_plane: Any, fake_kubelet: Any, kube_namespace: str, tmp_path: Path, slack: RecordingSlack) -> None:
    ns = kube_namespace
    case = scenario("search-rollout", ns)
    materialize(kube_plane, fake_kubelet, case, tmp_path).stop()
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/search-api"

    def template() -> dict[str, Any]:
        return dict(kube_plane.rest("GET", path)["spec"]["template"])

    def image() -> str:
        return str(template()["spec"]["containers"][0]["image"])

    bad = template()
    assert image().endswith(":3.9.0") and bad["metadata"]["labels"]["version"] == "3.9.0"

    h = Served(_config(kube_plane.kubeconfig, ns), FakeModel(default=_choose_ours(ns)), slack)
    with h.served:
        try:
            assert h.mention(case.question, ROOT, "Ev-rollout").status_code == 200
            msg = slack.wait_for(lambda: _with_buttons(slack), timeout=40, what="the answer with Approve/Reject")
            actions = [b for b in msg.blocks if b["type"] == "actions"][0]
            assert {e["action_id"] for e in actions["elements"]} == {bk.APPROVE, bk.REJECT}
            run_id = actions["elements"][0]["value"]
            text = msg.all_text()
            assert "search-api:3.9.0" in text and "search-api:3.8.2" in text, text  # the dry run's diff
            assert (h.audit.run(run_id) or {}).get("status") == "awaiting_approval"
            assert template() == bad and image().endswith(":3.9.0")  # proposed, not applied

            message = {"ts": msg.ts, "thread_ts": ROOT, "text": msg.text, "blocks": msg.blocks}
            assert h.click(bk.APPROVE, run_id, APPROVER, message).status_code == 200
            decided = slack.wait_for(
                lambda: [m for m in slack.in_thread("CONCALL", ROOT) if "approved" in m.text],
                timeout=40, what="the decision and result in the thread")[0]
        finally:
            h.http.close()

    result = decided.all_text()
    assert f"<@{APPROVER}> approved" in decided.text and run_id in decided.text, result
    # status ok: the rollback was applied and its verification saw a healthy rollout (else "applied, but ...")
    assert re.search(r":white_check_mark: `sre-\d+` ok", decided.text) and ":x:" not in result, result
    assert image().endswith(":3.8.2")
    good = template()
    assert good["metadata"]["labels"]["version"] == "3.8.2"
    assert [e["name"] for e in good["spec"]["containers"][0].get("env", [])] == ["INDEX_PATH"]
    dep = kube_plane.rest("GET", path)
    assert dep["status"].get("availableReplicas") == 2 and dep["status"].get("updatedReplicas") == 2
    def updated() -> str | None:
        text = slack.messages[("CONCALL", msg.ts)].all_text()
        return text if ":white_check_mark:" in text else None

    answer = slack.wait_for(updated, what="the answer updated with the result")  # right after the thread post
    assert f"Approved by <@{APPROVER}>" in answer, answer
    assert not any(b.get("type") == "actions" for b in slack.messages[("CONCALL", msg.ts)].blocks)  # buttons gone
    applied = ((h.audit.run(run_id) or {}).get("status"), h.audit.events(run_id))
    assert applied[0] == "done"
    assert any(e["kind"] == "approval" and e["detail"] == f"by slack:{APPROVER}" for e in applied[1])
    assert len(h.model.requests) >= 1
