"""Mask secrets in everything sent to a model, stored, or shown.

Masking is one-way: the original value is never stored or shown again. Secrets are found three ways:

- by **format** (cloud keys, GitHub/Slack/Stripe/npm/PyPI tokens, private key blocks, JWTs, credentials in URLs,
  Authorization headers);
- by **structure**: any value given to a name that says it holds a secret (``*PASSWORD*``, ``*SECRET*``,
  ``*TOKEN*``, ``*_KEY``, ``DSN``, connection strings …), however the file spells the assignment — quoted or
  not, ``=``/``:``/``:=``, ``export``, Dockerfile ``ENV``, a Kubernetes ``name:``/``value:`` pair, a
  ``("NAME", "value")`` call — so env, dotenv, YAML, JSON, TOML, INI, properties, shell and Python are covered
  without knowing the file type;
- by **memory**: a value the secrets rules flagged is remembered for the life of the process and masked wherever
  it shows up again, whatever surrounds it.

A masked value reads ``[REDACTED:<kind>]`` so a reader still knows what was there. An assigned value that reads
as code (a call, an attribute, a name of letters only, ``None``/``true``) is left alone: a credential has digits
or symbols, and a variable or type name in the code under review is what the model needs to see.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

_MIN_LEN = 6
_NAME_WORDS = (r"passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
               r"signing[_-]?key|encryption[_-]?key|account[_-]?key|auth[_-]?key|master[_-]?key|credentials?|"
               r"dsn|conn(?:ection)?[_-]?str(?:ing)?")
# A name that holds a secret: a secret word anywhere in it, or an environment-style NAME_KEY.
_NAME = rf"(?:[\w.-]*(?i:{_NAME_WORDS})[\w.-]*|[A-Z][A-Z0-9_]*_KEY(?:_[A-Z0-9_]*)?)"
# Names *about* a secret (where it lives, how long, how many), not holding one.
_NOT_SECRET_NAME = re.compile(
    r"(?i)tokens|tokeniz|(?:_url|_uri|_path|_file|_dir|_name|_env|_var|_header|_field|_type|_length|_len|_count|_size|"
    r"_ttl|_timeout|_expiry|_expires|_prefix|_id)$")
_KEYWORDS = {"none", "null", "nil", "true", "false", "yes", "no", "undefined"}
_ATTRIBUTE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_LETTERS = re.compile(r"[A-Za-z_]+")  # a variable, constant or type name; a credential has digits or symbols

_FORMATS: list[tuple[str, re.Pattern[str]]] = [
    ("private-key", re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{40,255})\b")),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}\b")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}\b")),
    ("openai-key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b")),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("pypi-token", re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}\b")),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b")),
]

_SEP = r"(?:\s*:\s*[A-Za-z_][\w\[\]., |]*?)?\s*(?::=|=>|:|=)\s*"  # optional type annotation, then the operator
_VALUE_QUOTED = rf"(?P<q>[\"'])(?P<value>[^\"'\n]{{{_MIN_LEN},}}?)(?P=q)"
_VALUE_BARE = rf"(?P<value>[^\s\"'`,;&#<>(){{}}\[\]$]{{{_MIN_LEN},}})(?=[\s,;&#\"'<>)}}\]]|$)"
# (kind, pattern, whether a value that reads as code or a placeholder word is left alone)
_STRUCTURES: list[tuple[str, re.Pattern[str], bool]] = [
    # Authorization: Bearer <credential>
    ("authorization", re.compile(r"(?i)(?P<pre>\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token)\s+)?)"
                                 r"(?P<value>[^\s\"',{$]{8,})"), False),
    # scheme://user:<password>@host
    ("url-password", re.compile(r"(?P<pre>\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)(?P<value>[^\s@/]+)(?=@)"), False),
    # - name: DB_PASSWORD \n  value: "..."    (Kubernetes env, compose)
    ("secret-assignment", re.compile(
        rf"(?P<pre>\bname:\s*[\"']?{_NAME}[\"']?[ \t]*\n\s*value:\s*)(?P<q>[\"']?)(?P<value>[^\"'\n]{{{_MIN_LEN},}}?)"
        r"(?P=q)[ \t]*$", re.M), True),
    # {"name": "DB_PASSWORD", "value": "..."}
    ("secret-assignment", re.compile(rf"(?P<pre>\"name\"\s*:\s*\"{_NAME}\"\s*,\s*\"value\"\s*:\s*){_VALUE_QUOTED}"),
     True),
    # ("DB_PASSWORD", "...")  environ["DB_PASSWORD"] = "..."
    ("secret-assignment", re.compile(rf"[\"'](?P<name>{_NAME})(?P<pre>[\"']\s*(?:,|\]\s*=)\s*){_VALUE_QUOTED}"), True),
    # NAME = "...", "name": "...", name: '...', name: str = "..."
    ("secret-assignment", re.compile(rf"(?<![\w.-])(?P<name>{_NAME})(?P<pre>[\"']?{_SEP}){_VALUE_QUOTED}"), True),
    # ENV NAME value  (Dockerfile)
    ("secret-assignment", re.compile(rf"(?m)^(?P<pre>[ \t]*ENV[ \t]+{_NAME}[ \t]+)(?P<value>[^\s=\"']{{{_MIN_LEN},}})"),
     True),
    # NAME=value, export NAME=value, name: value, Password=value;  (unquoted)
    ("secret-assignment", re.compile(rf"(?<![\w.-])(?P<name>{_NAME})(?P<pre>[ \t]*(?::=|=>|:|=)[ \t]*){_VALUE_BARE}"),
     True),
]

_remembered: set[str] = set()
_remembered_re: re.Pattern[str] | None = None
_lock = threading.Lock()


def _mask(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def _looks_like_code(value: str) -> bool:
    """A keyword, a name or an attribute: code (or a placeholder word), not a credential."""
    return value.lower() in _KEYWORDS or bool(_LETTERS.fullmatch(value) or _ATTRIBUTE.fullmatch(value))


def _is_secret(m: re.Match[str], code_aware: bool) -> bool:
    """Whether a structural match holds a secret: a name that holds one, a value that is not code or a mask."""
    groups = m.groupdict()
    if groups.get("name") and _NOT_SECRET_NAME.search(groups["name"]):
        return False
    value = groups["value"]
    return "REDACTED" not in value and not (code_aware and _looks_like_code(value))


def _structured(kind: str, code_aware: bool) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        if not _is_secret(m, code_aware):
            return m.group(0)
        start, end = m.span("value")
        whole = m.group(0)
        return whole[: start - m.start()] + _mask(kind) + whole[end - m.start():]
    return replace


def secret_values(text: str) -> list[str]:
    """The values in ``text`` that redaction would mask (what a secrets rule's match holds, to remember it)."""
    found = [m.group(0) for _, pattern in _FORMATS for m in pattern.finditer(text)]
    found += [m.group("value") for _, pattern, code_aware in _STRUCTURES for m in pattern.finditer(text)
              if _is_secret(m, code_aware)]
    return found


def remember(value: str) -> None:
    """Mask ``value`` everywhere from now on (a secret a rule flagged: its shape may be one no pattern knows)."""
    global _remembered_re
    value = value.strip()
    if len(value) < _MIN_LEN or "REDACTED" in value:
        return
    with _lock:
        if value in _remembered:
            return
        _remembered.add(value)
        alternatives = sorted(_remembered, key=len, reverse=True)
        _remembered_re = re.compile("|".join(re.escape(v) for v in alternatives))


def redact(text: str) -> str:
    """Return ``text`` with every recognised secret replaced by ``[REDACTED:kind]``."""
    if not text:
        return text
    remembered = _remembered_re
    if remembered is not None:
        text = remembered.sub(_mask("secret"), text)
    for kind, pattern in _FORMATS:
        text = pattern.sub(_mask(kind), text)
    for kind, pattern, code_aware in _STRUCTURES:
        text = pattern.sub(_structured(kind, code_aware), text)
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
