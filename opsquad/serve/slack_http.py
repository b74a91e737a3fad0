"""Slack's HTTP deliveries checked before bolt sees them: signature headers, signature, and a body that parses.

Bolt verifies signatures too, but it raises on a timestamp that is not an integer, on a body that is not UTF-8
and on a JSON body (or form ``payload`` field) that does not parse: the request ends in a 500 and a traceback
in the log. Anyone can send those, so they are answered here, with one log line: 401 for a missing, wrong or
stale signature, 400 for a malformed header or body of a correctly signed request. The signature is checked
before the body is parsed, so an unsigned request never reaches a parser.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping

from slack_bolt.request.internals import parse_body

MAX_AGE_S = 60 * 5  # Slack's own freshness window: older deliveries may be replays
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def rejection(body: bytes, headers: Mapping[str, str], secret: str, now: float | None = None) -> tuple[int, str] | None:
    """None for a delivery bolt can take; else (HTTP status, one-line reason) to answer instead."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        return 401, "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    if not _TIMESTAMP.fullmatch(timestamp.strip()):
        return 400, "X-Slack-Request-Timestamp is not a Unix time in whole seconds"
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_S:
        return 401, "X-Slack-Request-Timestamp is more than 5 minutes away from now"
    if not _signed(secret, timestamp.strip(), body, signature):
        return 401, "wrong X-Slack-Signature"
    return _body_problem(body, headers.get("content-type"))


def _signed(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's scheme, ``v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")``, over the body's bytes (slack_sdk's
    verifier decodes the body first, and raises on one that is not UTF-8)."""
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest(f"v0={mac.hexdigest()}".encode(), signature.strip().encode())


def _body_problem(body: bytes, content_type: str | None) -> tuple[int, str] | None:
    """Why a signed body cannot be read the way bolt reads it (JSON, or a form whose ``payload`` is JSON)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "the body is not UTF-8"
    try:
        parsed = parse_body(text, content_type.split(";")[0] if content_type else None)  # as bolt will
    except ValueError:
        return 400, "the body (or its payload field) is not valid JSON"
    if not isinstance(parsed, dict):
        return 400, "the body (or its payload field) is not a JSON object"
    return None
