"""Scripted triage answers for any of the DevSecOps triage schemas (plain verdict or facts questions)."""

from __future__ import annotations

import json
from typing import Any


def triage_answer(schema: dict[str, Any], verdict: str, reason: str = "scripted") -> dict[str, Any]:
    """What a model saying `verdict` would answer under `schema`; the agent derives its own verdict from it."""
    props = schema.get("properties", {})
    fp = verdict == "false_positive"
    if "attacker_controls_value" in props:
        ans: dict[str, Any] = {"reason": reason, "attacker_controls_value": not fp}
        if "safeguard" in props:
            ans["safeguard"] = 1 if fp else 0
        return ans
    if "used_for" in props:
        return {"reason": reason, "used_for": "cache_key" if fp else "password_storage"}
    if "cookie_holds" in props:
        return {"reason": reason, "cookie_holds": "ui_preference" if fp else "session_id"}
    return {"reason": reason, "verdict": verdict, "confidence": "high"}


def is_triage(schema: dict[str, Any]) -> bool:
    text = json.dumps(schema)
    return any(k in text for k in ("verdict", "attacker_controls_value", "used_for", "cookie_holds"))
