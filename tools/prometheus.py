"""Prometheus instant and range queries over its HTTP API (read-only).

Errors (unreachable server, bad PromQL) come back as typed results for the model; the investigation then
reports Prometheus as "not checked" instead of failing.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolContext, ToolResult


class PrometheusParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(description="PromQL expression, e.g. 'sum(rate(http_requests_total{code=~\"5..\"}[5m]))'.")
    kind: Literal["instant", "range"] = "instant"
    minutes: int = Field(default=30, ge=1, le=1440, description="Range length for kind=range.")


def query(url: str, promql: str, kind: str = "instant", minutes: int = 30, timeout: float = 10.0) -> ToolResult:
    base = url.rstrip("/")
    try:
        if kind == "range":
            end = time.time()
            step = max(15, minutes * 60 // 60)
            r = httpx.get(f"{base}/api/v1/query_range", timeout=timeout,
                          params={"query": promql, "start": end - minutes * 60, "end": end, "step": step})
        else:
            r = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=timeout)
    except httpx.HTTPError as exc:
        return ToolResult.fail(f"Prometheus at {base} is unreachable ({type(exc).__name__})")
    try:
        body = r.json()
    except ValueError:
        return ToolResult.fail(f"Prometheus answered HTTP {r.status_code} without JSON")
    if body.get("status") != "success":
        return ToolResult.fail(f"Prometheus error: {body.get('error', r.status_code)}")
    result = body["data"]["result"]
    if not result:
        return ToolResult.empty("query returned no series")
    series = []
    for item in result[:20]:
        values = item.get("values") or [item.get("value")]
        series.append({"metric": item.get("metric", {}), "values": [v[1] for v in values[-10:] if v]})
    return ToolResult.ok({"series": series, "total_series": len(result)})


class PrometheusTool:
    name: ClassVar[str] = "prometheus"
    description: ClassVar[str] = "Run a PromQL instant or range query against the configured Prometheus."
    Params: ClassVar[type[BaseModel]] = PrometheusParams
    writes: ClassVar[bool] = False

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(params, PrometheusParams)
        cfg = ctx.config.tools.prometheus
        url = str(ctx.extra.get("prometheus_url") or cfg.url)
        return query(url, params.query, params.kind, params.minutes, cfg.timeout_s)
