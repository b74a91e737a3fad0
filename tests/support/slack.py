"""Test support for ``opsquad serve``: a recording Slack Web API, signed Slack deliveries, a served app.

- ``RecordingSlack`` answers the Web API methods the bot uses (``auth.test``, ``chat.postMessage``,
  ``chat.update``, ``chat.postEphemeral``, ``usergroups.list``) on 127.0.0.1 the way Slack does (``ok``,
  a ``ts`` per message, ``channel_not_found`` for an unknown channel) and keeps every call and every message's
  latest text and blocks, so tests assert on what Slack would have shown.
- ``signed`` signs a body exactly as Slack does (``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``), via
  ``slack_sdk.signature.SignatureVerifier``; the payload builders produce the shapes Slack sends.
- ``ServedApp`` runs an ASGI app with uvicorn on a loopback socket bound before start, in a thread.
- ``StubModel`` is a loopback "model server" answering ``/health`` and ``/v1/models``, for readiness.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import uvicorn
from slack_sdk.signature import SignatureVerifier

from tests.support.loopback import LoopbackServer, QuietHandler

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token-for-recording-server"
BOT_USER = "UBOT"
TEAM = "T0TEST"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class SlackMessage:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    updates: list[dict[str, Any]] = field(default_factory=list)

    def all_text(self) -> str:
        """The message's text and every text inside its blocks, for assertions."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)


class RecordingSlack(LoopbackServer):
    def __init__(self, channels: tuple[str, ...] = ("CONCALL", "CALERTS")) -> None:
        self.channels = set(channels)
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], SlackMessage] = {}
        self.usergroups: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._ts = 0
        super().__init__(_handler(self), name="slack")

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # -- what the tests read -----------------------------------------------------------------------------------
    def methods(self) -> list[str]:
        with self.lock:
            return [c.method for c in self.calls]

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def in_thread(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        with self.lock:
            return [m for m in self.messages.values() if m.channel == channel and m.thread_ts == thread_ts]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; Slack calls: {self.methods()}")

    # -- the Web API -------------------------------------------------------------------------------------------
    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append(Call(method, args))
            if method == "auth.test":
                return {"ok": True, "url": "https://opsquad-test.slack.com/", "team": "test", "user": "opsquad",
                        "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BBOT"}
            if method == "usergroups.list":
                return {"ok": True, "usergroups": self.usergroups}
            channel = str(args.get("channel", ""))
            if method in ("chat.postMessage", "chat.update", "chat.postEphemeral") and channel not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            if method == "chat.postMessage":
                self._ts += 1
                ts = f"{1700000000 + self._ts}.{self._ts:06d}"
                self.messages[(channel, ts)] = SlackMessage(channel, ts, args.get("thread_ts"),
                                                            str(args.get("text", "")), list(args.get("blocks") or []))
                return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text", "")}}
            if method == "chat.update":
                msg = self.messages.get((channel, str(args.get("ts"))))
                if msg is None:
                    return {"ok": False, "error": "message_not_found"}
                msg.updates.append(args)
                msg.text, msg.blocks = str(args.get("text", "")), list(args.get("blocks") or [])
                return {"ok": True, "channel": channel, "ts": msg.ts, "text": msg.text}
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": f"{time.time():.6f}"}
            return {"ok": False, "error": "unknown_method"}


def _handler(state: RecordingSlack) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def _serve(self, args: dict[str, Any]) -> None:
            method = urlsplit(self.path).path.removeprefix("/api/")
            if self.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
                body: dict[str, Any] = {"ok": False, "error": "not_authed"}
            else:
                body = state.answer(method, args)
            self.send_body(200, json.dumps(body).encode(), "application/json; charset=utf-8")

        def do_GET(self) -> None:  # noqa: N802
            self._serve({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                args = json.loads(raw or "{}")
            else:
                args = {k: v[0] for k, v in parse_qs(raw).items()}
                if isinstance(args.get("blocks"), str):
                    args["blocks"] = json.loads(args["blocks"])
            args.update({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
            self._serve(args)

    return Handler


# -- signed deliveries -----------------------------------------------------------------------------------------
def signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None,
           content_type: str = "application/json", retry: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(sig), "Content-Type": content_type}
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


def event_body(event: dict[str, Any], event_id: str) -> bytes:
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A0TEST", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}).encode()


def command_body(text: str, *, channel: str = "CONCALL", user: str = "UALICE", trigger: str = "t1") -> bytes:
    return urlencode({"token": "legacy", "team_id": TEAM, "channel_id": channel, "user_id": user,
                      "command": "/opsquad", "text": text, "trigger_id": trigger,
                      "response_url": "http://127.0.0.1:9/unused", "api_app_id": "A0TEST"}).encode()


def action_body(action_id: str, run_id: str, *, user: str, channel: str, message: dict[str, Any],
                action_ts: str = "1.1") -> bytes:
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "api_app_id": "A0TEST",
               "trigger_id": f"trig-{user}-{action_ts}", "channel": {"id": channel},
               "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
               "message": message, "response_url": "http://127.0.0.1:9/unused",
               "actions": [{"action_id": action_id, "block_id": f"approval:{run_id}", "value": run_id,
                            "type": "button", "action_ts": action_ts}]}
    return urlencode({"payload": json.dumps(payload)}).encode()


# -- servers ---------------------------------------------------------------------------------------------------
class ServedApp:
    """An ASGI app under uvicorn on 127.0.0.1 (socket bound before the server starts: no port race)."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise AssertionError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()


class _ModelHandler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802
        ok = self.path in ("/health", "/v1/models")
        data = json.dumps({"status": "ok"} if self.path == "/health" else
                          {"object": "list", "data": [{"id": "coder"}]}).encode()
        self.send_body(200 if ok else 404, data, "application/json")


class StubModel(LoopbackServer):
    """A loopback stand-in for the model server's health endpoints (``/health``, ``/v1/models``)."""

    def __init__(self) -> None:
        super().__init__(_ModelHandler, name="model")
        self.api_base = f"{self.url}/v1"


def closed_port() -> int:
    """A loopback port nothing listens on (a bound socket that never listens refuses connections)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dead_kubeconfig(tmp_path: Path) -> Path:
    """A kubeconfig whose API server is a loopback port nothing listens on."""
    path = tmp_path / "dead.kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": f"https://127.0.0.1:{closed_port()}",
                                                  "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}]}))
    return path
