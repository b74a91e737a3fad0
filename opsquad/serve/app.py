"""The Starlette app factory: routes for Slack, Alertmanager, liveness, readiness and metrics.

``create_app`` takes what the CLI (or a test) already has — the loaded config and a ``Services`` factory — so
the same app runs with litellm in production and a scripted model in tests, and a later Helm chart or
end-to-end Prometheus→Alertmanager test needs nothing but a URL. Routes:

- ``POST /slack/events|commands|interactions``: the bolt app (only when Slack secrets are set), behind
  ``slack_http.rejection`` (401 unsigned or stale, 400 malformed; never a 500); bolt's synchronous
  ``dispatch`` runs in the thread pool so a slow Web API call cannot stall the event loop.
- ``POST /alertmanager``: ``alertmanager.AlertReceiver``.
- ``GET /healthz``: the process answers (liveness: restart me if not).
- ``GET /readyz``: the config is loaded and the workflow's model answers (readiness: send me work);
  503 with the reason otherwise. It never starts a model: ``opsquad serve`` warms the model up at start.
- ``GET /metrics``: ``metrics.Metrics`` in the Prometheus text format.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from opsquad.config import OpsquadConfig
from opsquad.errors import ConfigError, OpsquadError
from opsquad.serve.alertmanager import AlertReceiver, read_body
from opsquad.serve.metrics import Metrics
from opsquad.serve.runner import Runner, ServicesFactory
from opsquad.serve.slack_app import SlackBot, SlackSettings
from opsquad.serve.slack_http import rejection
from opsquad.serve.threads import Conversations

log = logging.getLogger("opsquad.serve")

MAX_SLACK_BODY = 1_000_000
Readiness = Callable[[], str | None]


def workflow_models(config: OpsquadConfig) -> list[list[str]]:
    """For each agent of the served workflow, its model alias followed by its fallbacks."""
    wf = config.workflows[config.serve.workflow]
    chains = []
    for name in wf.agents:
        alias = config.agents[name].model
        chains.append([alias, *config.models[alias].fallbacks])
    return chains


def model_readiness(config: OpsquadConfig, timeout: float = 1.0) -> str | None:
    """None when every agent of the served workflow has a model (or a fallback) answering its health check."""
    from opsquad.model.runtime import health_url, is_healthy

    for chain in workflow_models(config):
        if not any(is_healthy(config.models[a], timeout=timeout) for a in chain):
            first = config.models[chain[0]]
            return f"model '{chain[0]}' is not answering at {health_url(first)}"
    return None


def warm_models(config: OpsquadConfig) -> None:
    """Start (or find) the served workflow's models, so /readyz turns ready without waiting for a first run."""
    from opsquad.model.runtime import ensure_served

    for chain in workflow_models(config):
        try:
            ensure_served(config, chain[0], lambda m: log.info("model: %s", m))
        except OpsquadError as exc:
            log.warning("model '%s' is not available yet: %s", chain[0], exc.line)


def create_app(config: OpsquadConfig, services_factory: ServicesFactory, *, slack: SlackSettings | None = None,
               alert_token: str | None = None, readiness: Readiness | None = None,
               on_startup: list[Callable[[], None]] | None = None) -> Starlette:
    """Build the app. Raises ``ConfigError`` (one line) for a bad serve setting or a Slack token auth.test refuses."""
    if config.serve.workflow not in config.workflows:
        raise ConfigError(f"serve.workflow: unknown workflow '{config.serve.workflow}' (agents.yaml has: "
                          f"{', '.join(config.workflows) or 'none'})")
    metrics = Metrics()
    runner = Runner(services_factory, metrics, config.serve.workers)
    bot = _slack_bot(config, slack, runner, metrics)
    receiver = AlertReceiver(runner, metrics, config.serve.workflow, slack=bot,
                             channel=config.serve.alert_channel, token=alert_token)
    probe = readiness or (lambda: model_readiness(config))
    routes = [*_probe_routes(config, metrics, probe), Route("/alertmanager", receiver.endpoint, methods=["POST"]),
              *_slack_routes(bot, slack)]
    app = Starlette(routes=routes, lifespan=_lifespan(runner, bot, slack, on_startup))
    app.state.runner = runner
    app.state.metrics = metrics
    app.state.slack = bot
    app.state.alerts = receiver
    return app


def _slack_bot(config: OpsquadConfig, slack: SlackSettings | None, runner: Runner,
               metrics: Metrics) -> SlackBot | None:
    """The Slack bot when Slack is configured (its auth.test runs here), logging what is served without it."""
    conversations = Conversations(config)
    bot = SlackBot(slack, config, runner, conversations, metrics) if slack else None
    if bot is None:
        log.warning("Slack is not configured (no SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET): serving without /slack "
                    "routes")
    elif config.serve.alert_channel is None:
        log.info("serve.alert_channel is not set: alert investigations are recorded but not posted to Slack")
    return bot


def _probe_routes(config: OpsquadConfig, metrics: Metrics, probe: Readiness) -> list[Route]:
    """``GET /healthz``, ``/readyz`` and ``/metrics``."""

    async def healthz(_request: HttpRequest) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: HttpRequest) -> JSONResponse:
        reason = await run_in_threadpool(probe)
        if reason:
            return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready", "workflow": config.serve.workflow})

    async def metrics_endpoint(_request: HttpRequest) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"])]


def _slack_routes(bot: SlackBot | None, slack: SlackSettings | None) -> list[Route]:
    """``POST /slack/events|commands|interactions`` into bolt, when Slack delivers over HTTP (a signing secret)."""
    if bot is None or slack is None or not slack.signing_secret:
        return []
    slack_app, secret = bot.app, slack.signing_secret

    async def slack_endpoint(request: HttpRequest) -> Response:
        body = await read_body(request, MAX_SLACK_BODY)
        if body is None:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        refused = rejection(body, request.headers, secret)
        if refused is not None:
            log.warning("refused a request to %s: %s (%d)", request.url.path, refused[1], refused[0])
            return JSONResponse({"error": refused[1]}, status_code=refused[0])
        bolt_response = await run_in_threadpool(slack_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return [Route(p, slack_endpoint, methods=["POST"])
            for p in ("/slack/events", "/slack/commands", "/slack/interactions")]


def _lifespan(runner: Runner, bot: SlackBot | None, slack: SlackSettings | None,
              on_startup: list[Callable[[], None]] | None) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start-up hooks in threads and Socket Mode (when an app token is set); on shutdown, close it and the runner."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for fn in on_startup or []:
            threading.Thread(target=fn, name="opsquad-startup", daemon=True).start()
        socket_mode: Any = None
        if bot is not None and slack is not None and slack.app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            socket_mode = SocketModeHandler(bot.app, slack.app_token)
            await run_in_threadpool(socket_mode.connect)
            log.info("Slack Socket Mode connected")
        try:
            yield
        finally:
            if socket_mode is not None:
                await run_in_threadpool(socket_mode.close)
            await run_in_threadpool(runner.shutdown)

    return lifespan
