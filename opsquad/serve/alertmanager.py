"""The Alertmanager webhook receiver (payload version 4): one investigation per firing alert group.

Alertmanager re-sends a group every ``group_interval`` while it fires, and may send it again on retry, so
groups are deduplicated by ``groupKey`` while their investigation runs, and a notification already received
(same group, status and alerts, within ``dedupe.TTL_S``) is acknowledged but starts nothing even after its
investigation finished. A notification whose alerts changed starts a new one once the group is idle (the
situation may have changed). Resolved notifications start nothing. The answer goes to ``serve.alert_channel``
in Slack (one message updated in place, with Approve/Reject buttons when a write is proposed); without Slack
the run is still recorded in the audit trail.

The payload is untrusted input that ends up in a model prompt: it is validated, its size bounded, and the
receiver can require a bearer token (``OPSQUAD_ALERTMANAGER_TOKEN``; Alertmanager's
``http_config.authorization``) once the server listens beyond loopback.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse

from opsquad.errors import OpsquadError
from opsquad.request import Request
from opsquad.serve.dedupe import SeenSet, digest
from opsquad.serve.metrics import Metrics
from opsquad.serve.runner import Runner

log = logging.getLogger("opsquad.serve.alertmanager")

MAX_BODY = 1_000_000
MAX_ALERTS_SHOWN = 10
MAX_QUESTION = 3000


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal["firing", "resolved"] = "firing"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str = ""  # noqa: N815 (Alertmanager's field names)
    endsAt: str = ""  # noqa: N815
    generatorURL: str = ""  # noqa: N815
    fingerprint: str = ""


class AlertGroup(BaseModel):
    """Alertmanager's webhook body, version 4 (https://prometheus.io/docs/alerting/latest/configuration/)."""

    model_config = ConfigDict(extra="ignore")
    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=4000)  # noqa: N815
    truncatedAlerts: int = 0  # noqa: N815
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    externalURL: str = ""  # noqa: N815
    alerts: list[Alert] = Field(default_factory=list, max_length=5000)

    def title(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.groupLabels.items())) or "alert group"
        return f"alert {labels}"[:140]

    def delivery_key(self) -> str:
        """What makes a notification the same one again: its group, status and alerts (each by fingerprint, else
        labels, with its own status and start), not annotations, which may quote a value that changes."""
        alerts = sorted(f"{a.fingerprint or _labels(a.labels)}|{a.status}|{a.startsAt}" for a in self.alerts)
        return "alert-delivery:" + digest(json.dumps([self.groupKey, self.status, alerts]))

    def question(self) -> str:
        """What the agent is asked: the firing alerts, their labels and annotations, bounded in size."""
        firing = [a for a in self.alerts if a.status == "firing"] or self.alerts
        lines = [f"Alertmanager reports {len(firing)} firing alert(s) in group "
                 f"{_labels(self.groupLabels) or '{}'}. What is the root cause, and what should be done?"]
        common = {k: v for k, v in self.commonLabels.items() if k not in self.groupLabels}
        if common:
            lines.append(f"Common labels: {_labels(common)}")
        for a in firing[:MAX_ALERTS_SHOWN]:
            own = {k: v for k, v in a.labels.items() if k not in self.commonLabels}
            text = a.annotations.get("summary") or a.annotations.get("description") or ""
            lines.append(f"- {a.labels.get('alertname', '?')} {_labels(own)} since {a.startsAt or '?'}: {text}".strip())
        hidden = len(firing) - MAX_ALERTS_SHOWN + self.truncatedAlerts
        if hidden > 0:
            lines.append(f"(+{hidden} more alert(s) not shown)")
        return "\n".join(lines)[:MAX_QUESTION]


def _labels(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""


class SlackPoster(Protocol):
    """What the receiver needs from the Slack bot (``SlackBot.start``), so it runs with or without Slack."""

    def start(self, *, channel: str, thread_ts: str | None, question: str, user: str = "", source: str = "slack",
              title: str = "investigation", namespace: str | None = None,
              on_done: Callable[[], None] | None = None) -> bool: ...


class AlertReceiver:
    def __init__(self, runner: Runner, metrics: Metrics, workflow: str, *, slack: SlackPoster | None = None,
                 channel: str | None = None, token: str | None = None) -> None:
        self.runner, self.metrics, self.workflow = runner, metrics, workflow
        self.slack, self.channel, self.token = slack, channel, token
        self.seen = SeenSet()

    async def endpoint(self, request: HttpRequest) -> JSONResponse:
        if self.token and not _bearer_ok(request.headers.get("authorization", ""), self.token):
            self.metrics.alert_groups.labels("unauthorized").inc()
            return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
        body = await read_body(request, MAX_BODY)
        if body is None:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        try:
            group = AlertGroup.model_validate_json(body)
        except ValidationError as exc:
            self.metrics.alert_groups.labels("invalid").inc()
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(body)"
            return JSONResponse({"error": f"not an Alertmanager v4 payload: {where}: {first['msg']}"},
                                status_code=400)
        status, payload = await run_in_threadpool(self.accept, group)
        return JSONResponse(payload, status_code=status)

    def accept(self, group: AlertGroup) -> tuple[int, dict[str, Any]]:
        """Start the group's investigation unless it is resolved, already received or running; (HTTP status, body)."""
        if group.status == "resolved":
            self.metrics.alert_groups.labels("resolved").inc()
            return 200, {"status": "ignored", "reason": "resolved"}
        delivery = group.delivery_key()
        if not self.seen.add(delivery):
            self.metrics.alert_groups.labels("duplicate").inc()
            return 200, {"status": "duplicate", "reason": "this notification was already received"}
        key = f"alert:{group.groupKey}"
        if not self.runner.try_claim(key):
            self.seen.discard(delivery)  # not investigated: the next notification like it may start one
            self.metrics.alert_groups.labels("duplicate").inc()
            return 200, {"status": "duplicate", "reason": "an investigation of this group is running"}
        self.metrics.alert_groups.labels("started").inc()

        def done() -> None:
            self.runner.release(key)

        namespace = group.commonLabels.get("namespace")
        if self.slack is not None and self.channel and self.slack.start(
                channel=self.channel, thread_ts=None, question=group.question(), source="alertmanager",
                title=group.title(), namespace=namespace, on_done=done):
            return 202, {"status": "started", "posted_to": self.channel}
        request = Request(workflow=self.workflow, source="alertmanager", question=group.question(),
                          namespace=namespace, options={"title": group.title(), "asked": group.question()})
        self.runner.submit(self._run_headless, request, done)
        return 202, {"status": "started", "run_id": request.run_id}

    def _run_headless(self, request: Request, done: Callable[[], None]) -> None:
        """No Slack channel (or posting failed): run anyway; the answer is in the audit trail and the log."""
        try:
            result = self.runner.dispatch(request)
            log.info("alert run %s: %s", result.run_id, result.report.status)
        except OpsquadError as exc:
            log.warning("alert run %s failed: %s", request.run_id, exc.line)
        finally:
            done()


async def read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds ``limit`` bytes (never buffers more than that)."""
    length = request.headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > limit:  # a malformed length: the stream's own count still applies
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _bearer_ok(header: str, token: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
