"""Prometheus metrics about opsquad itself: runs, latency, model tokens, tool calls, approvals, alert groups.

Each app owns its ``CollectorRegistry`` (never the process-global one) so two apps in one process — tests, or
a future multi-tenant server — do not share or double-register counters. Token and tool figures are read from
the audit trail after a run rather than by wrapping the model and tools: the audit trail is already the one
place every model call and tool call is recorded, so the metrics cannot drift from ``opsquad runs show``.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Local-model investigations take seconds to many minutes; buckets cover that range.
RUN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter("opsquad_runs", "Run segments finished, by workflow, trigger and outcome (a paused run "
                            "counts once as awaiting_approval and again when it is resumed).",
                            ["workflow", "source", "outcome"], registry=r)
        self.run_seconds = Histogram("opsquad_run_duration_seconds", "Wall time of one dispatch or resume.",
                                     ["workflow"], buckets=RUN_BUCKETS, registry=r)
        self.in_flight = Gauge("opsquad_runs_in_flight", "Runs executing in worker threads now.", registry=r)
        self.model_calls = Counter("opsquad_model_calls", "Model requests, by model and validation status.",
                                   ["model", "status"], registry=r)
        self.model_tokens = Counter("opsquad_model_tokens", "Model tokens, by model and kind (prompt/completion).",
                                    ["model", "kind"], registry=r)
        self.tool_calls = Counter("opsquad_tool_calls", "Tool calls (and approved writes applied), by tool and "
                                  "status.", ["tool", "status"], registry=r)
        self.tool_errors = Counter("opsquad_tool_errors", "Tool calls that failed, by tool.", ["tool"], registry=r)
        self.approvals = Counter("opsquad_approvals", "Approval decisions: approved, rejected, or refused (a "
                                 "click by someone who may not approve).", ["decision"], registry=r)
        self.alert_groups = Counter("opsquad_alert_groups", "Alertmanager groups received, by what happened to "
                                    "them (started, duplicate, resolved, invalid, unauthorized).",
                                    ["outcome"], registry=r)
        self.slack_requests = Counter("opsquad_slack_requests", "Slack deliveries, by kind (event, command, "
                                      "action) and whether they were processed or dropped as a retry.",
                                      ["kind", "outcome"], registry=r)

    def record_events(self, events: list[dict[str, Any]]) -> None:
        """Count the model and tool events of one run segment (rows of ``AuditLog.events``)."""
        for e in events:
            if e["kind"] == "model":
                model = e["model"] or "?"
                self.model_calls.labels(model, e["status"] or "ok").inc()
                self.model_tokens.labels(model, "prompt").inc(e["prompt_tokens"] or 0)
                self.model_tokens.labels(model, "completion").inc(e["completion_tokens"] or 0)
            elif e["kind"] in ("tool", "apply"):
                tool = e["name"] or "?"
                self.tool_calls.labels(tool, e["status"] or "?").inc()
                if e["status"] == "error":
                    self.tool_errors.labels(tool).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type, for ``GET /metrics``."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
