"""A loopback stand-in for an OpenAI-compatible model server that keeps every request body it receives.

Tests that must prove what reaches a model (no secret, no unmasked value) point a model's ``api_base`` at it and
read ``bodies`` afterwards. It answers ``/v1/chat/completions`` with a JSON object that fits the requested schema
(a triage schema gets a true-positive answer; any other schema its smallest valid instance), and the answer's
free-text fields echo the end of the last user message, as a model quoting its prompt would.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.triage_fakes import is_triage, triage_answer

ECHO_CHARS = 200


def _instance(schema: dict[str, Any], defs: dict[str, Any], echo: str) -> Any:
    """The smallest value valid under ``schema`` (objects with their required properties), strings echo."""
    if "$ref" in schema:
        return _instance(defs.get(schema["$ref"].split("/")[-1], {}), defs, echo)
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _instance(schema[key][0], defs, echo)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _instance(props[k], defs, echo) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return []
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return echo[: schema.get("maxLength", ECHO_CHARS)]


def answer_for(body: dict[str, Any]) -> dict[str, Any]:
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema") or {}
    users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
    echo = " ".join(str(users[-1] if users else "").split())[-ECHO_CHARS:]
    if is_triage(schema):
        answer = triage_answer(schema, "true_positive", reason=echo[:280])
    else:
        answer = _instance(schema, schema.get("$defs", {}), echo)
    return answer if isinstance(answer, dict) else {"value": answer}


class _Handler(QuietHandler):
    server_state: RecordingModel

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        ok = self.path.rstrip("/").endswith(("/health", "/models"))
        data = {"status": "ok"} if self.path.endswith("/health") else {"object": "list", "data": [{"id": "coder"}]}
        self.send_body(200 if ok else 404, json.dumps(data).encode(), "application/json")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.server_state.record(raw):  # a server that went away mid-run: the connection drops unanswered
            self.close_connection = True
            return
        body = json.loads(raw or b"{}")
        content = json.dumps(answer_for(body))
        reply = {
            "id": "chatcmpl-recorded", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "coder"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(raw) // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": (len(raw) + len(content)) // 4},
        }
        self.send_body(200, json.dumps(reply).encode(), "application/json")


class RecordingModel(LoopbackServer):
    """Serves ``/v1/chat/completions``; ``bodies`` holds every request body, raw, in arrival order."""

    def __init__(self, *, answers: int | None = None) -> None:
        """``answers``: how many requests get an answer before the server behaves as if killed (None: all)."""
        handler = type("RecordingHandler", (_Handler,), {"server_state": self})
        super().__init__(handler, name="recording-model")
        self.api_base = f"{self.url}/v1"
        self.bodies: list[bytes] = []
        self.answers = answers
        self._lock = threading.Lock()

    def record(self, raw: bytes) -> bool:
        """Keep the body; whether this request is answered."""
        with self._lock:
            self.bodies.append(raw)
            return self.answers is None or len(self.bodies) <= self.answers
