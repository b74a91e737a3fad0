"""Mask secrets in everything sent to a model and in every output.

Masking is one-way: the original value is never stored or shown again. Patterns cover cloud keys, GitHub
and Slack tokens, private key blocks, JWTs, passwords in URLs, Authorization headers, and assignments whose
name says they hold a secret. A masked value reads ``[REDACTED:<kind>]`` so a reader still knows what was there.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

_PATTERNS: list[tuple[str, re.Pattern[str], int]] = [
    ("private-key", re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)"), 0),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"), 0),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{40,255})\b"), 0),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}\b"), 0),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"), 0),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), 0),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}\b"), 0),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"), 0),
    ("authorization", re.compile(r"(?i)(\bauthorization\s*[:=]\s*)(?:\"|')?((?:bearer|basic|token)\s+)?[^\s\"',]+"), 1),
    ("url-password", re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)"), 2),
    ("secret-assignment", re.compile(
        r"(?i)(\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]*"
        r"[\"']?\s*[:=]\s*)([\"'])([^\"'\s]{6,})\2"), 3),
]


def _mask(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def _keep_prefix(kind: str, m: re.Match[str]) -> str:
    """Mode 1: keep the header name (group 1) and scheme (group 2), mask the credential."""
    return m.group(1) + (m.group(2) or "") + _mask(kind)


def _keep_around(kind: str, m: re.Match[str]) -> str:
    """Mode 2: keep what precedes (group 1) and follows (group 3) the secret, mask group 2."""
    return m.group(1) + _mask(kind) + m.group(3)


def _keep_quoted(kind: str, m: re.Match[str]) -> str:
    """Mode 3: keep the assignment (group 1), mask the value inside its quotes (group 2)."""
    return m.group(1) + m.group(2) + _mask(kind) + m.group(2)


def redact(text: str) -> str:
    """Return ``text`` with every recognised secret replaced by ``[REDACTED:kind]``."""
    if not text:
        return text
    for kind, pattern, mode in _PATTERNS:
        if mode == 0:
            text = pattern.sub(_mask(kind), text)
        elif mode == 1:
            text = pattern.sub(partial(_keep_prefix, kind), text)
        elif mode == 2:
            text = pattern.sub(partial(_keep_around, kind), text)
        else:
            text = pattern.sub(partial(_keep_quoted, kind), text)
    return text


def redact_obj(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, strings)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_obj(v) for v in value]
    return value
