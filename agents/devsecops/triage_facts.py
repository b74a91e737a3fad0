"""Triage by facts: code gathers the facts, the model judges narrow questions, code derives the verdict.

Asked "true or false positive?", a 1.5B model answers "true positive, high" for nearly everything (121 of 135
verdicts on our eval); asked to copy the code a claim rests on, it copies the sink line or the rule id. So:

- injection-style findings (data reaching a sink): `agents.devsecops.triage_trace` traces the value and lists candidate
  safeguards; the model picks the one that really neutralizes the value for this sink (or none) and says
  whether an attacker can choose the value. A picked safeguard counts only if it covers every untrusted
  source; "not attacker-controlled" counts only when the trace found no request data and no caller parameter.
- weak hash / cipher / randomness: the model says what the result is used for, from a fixed list; a
  non-security use counts only when the function shows no security words (password, token, session, sign...).
- cookie flags: the model says what the cookie holds; a harmless preference counts only when the cookie's
  name and value lines show no security words.

Everything else keeps the plain verdict question (see `agents.devsecops.agent`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from agents.devsecops.code_context import enclosing_block, module_lines
from agents.devsecops.safeguards import def_finder, fits, sink_of
from agents.devsecops.triage_trace import Flow, trace
from opsquad.findings import Triage

FLOW_CWES = {"CWE-22", "CWE-23", "CWE-36", "CWE-73", "CWE-74", "CWE-77", "CWE-78", "CWE-79", "CWE-80", "CWE-89",
             "CWE-90", "CWE-94", "CWE-95", "CWE-113", "CWE-117", "CWE-501", "CWE-502", "CWE-601", "CWE-611",
             "CWE-643", "CWE-776", "CWE-918", "CWE-943", "CWE-1336"}
PURPOSE_CWES = {"CWE-326", "CWE-327", "CWE-328", "CWE-330", "CWE-338", "CWE-916"}
COOKIE_CWES = {"CWE-614", "CWE-1004", "CWE-1275"}
SECURITY_WORDS = re.compile(r"passw|token|secret|otp|sign|auth|session|nonce|salt|csrf|api_?key|reset|login|"
                            r"credential|encrypt|cipher|jwt|\bsid\b|remember|verif|captcha|\bpin\b", re.I)

Use = Literal["http_etag", "cache_key", "file_checksum", "password_storage", "login_or_api_token", "one_time_code",
              "message_signature", "encryption", "random_sampling_or_shuffle", "test_data"]
NON_SECURITY_USES = {"http_etag", "cache_key", "file_checksum", "random_sampling_or_shuffle", "test_data"}
Holds = Literal["session_id", "login_or_auth_token", "csrf_token", "personal_data", "ui_preference"]
HARMLESS_COOKIES = {"ui_preference"}


class PurposeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=200, description="One short sentence: where the result goes")
    used_for: Use


class CookieAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=200, description="One short sentence: the cookie's name and value")
    cookie_holds: Holds


def flow_schema(safeguards: int) -> type[BaseModel]:
    """The answer shape for a traced flow; the safeguard number is limited to the ones listed."""
    fields: dict[str, Any] = {
        "reason": (str, Field(max_length=200, description="One sentence: where the value comes from and "
                                                          "whether a listed safeguard makes this use safe")),
    }
    if safeguards:
        choices = Literal[tuple(range(safeguards + 1))]  # type: ignore[valid-type]
        fields["safeguard"] = (choices, Field(description="The listed safeguard that makes this use safe, 0 if none"))
    fields["attacker_controls_value"] = (bool, ...)
    return create_model("FlowAnswer", __config__=ConfigDict(extra="forbid"), **fields)


@dataclass(frozen=True)
class Family:
    name: str
    system: str
    max_tokens: int = 120


FLOW = Family("flow", (
    "You review one static-analysis finding: a value reaches a dangerous call on the > lines. opsquad traced "
    "how that value is built and lists the safeguards it found on the way. Decide which listed safeguard, if "
    "any, really makes this use safe (for example shlex.quote for a shell, escape_filter_chars for LDAP, a "
    "lookup in a fixed table of allowed values, a sandboxed template environment), and whether an attacker "
    "can choose the value. A safeguard that does not cover the flagged value, or does not fit this kind of "
    "sink, does not count."))
PURPOSE = Family("purpose", (
    "You review code that uses a weak hash, cipher or random number on the > lines. Say what the result is "
    "used for: look at the variable names and where the result goes."), 80)
COOKIE = Family("cookie", (
    "You review code that sets a cookie on the > lines. Say what the cookie holds: look at its name and at "
    "where its value comes from."), 80)


def family_for(cwes: list[str], path: str = "app.py") -> Family | None:
    """The question shape for a finding; the data-flow trace reads Python only, other files get the plain one."""
    found = set(cwes)
    if found & COOKIE_CWES:
        return COOKIE
    if found & PURPOSE_CWES:
        return PURPOSE
    if found & FLOW_CWES and path.endswith((".py", ".pyi")):
        return FLOW
    return None


def flow_brief(flow: Flow, lines: list[str]) -> str:
    """The part of the prompt that says what code found."""
    parts = ["Lines that build the flagged value: " + (", ".join(map(str, flow.lines)) or "none")]
    if flow.params:
        parts.append(f"It depends on the function parameter(s): {', '.join(flow.params)}")
    if flow.sources:
        parts.append("Request data enters on line(s): " + ", ".join(map(str, flow.sources)))
    if flow.closed:
        parts.append("The function takes no parameters and reads no request data.")
    if flow.safeguards:
        parts.append("Safeguards found on those lines:")
        parts += [f"  {i}. line {k}: {label}: {lines[k - 1].strip()[:140]}"
                  for i, (k, label) in enumerate(flow.safeguards, start=1)]
    else:
        parts.append("No safeguards were found on those lines.")
    return "\n".join(parts)


# The model's own words saying the value is not made safe. A false-positive verdict derived from its other answers
# does not stand beside them: the finding stays (a no-op "sanitizer" the model saw through, then picked anyway).
_NOT_MADE_SAFE = re.compile(
    r"(?i)(?:\b(?:does\s+not|doesn't|do\s+not|don't|fails\s+to|never)\s+(?:actually\s+|really\s+|properly\s+)?"
    r"(?:make|makes|render|sanitiz|escap|validat|protect|prevent|neutraliz|restrict|change|modify|check)"
    r"|\b(?:is|are|remains?|still)\s+(?:not\s+safe|unsafe|vulnerable|exploitable)\b"
    r"|\bis\s+not\s+(?:properly\s+|correctly\s+)?(?:sanitized|escaped|validated|checked)\b"
    r"|(?<!\bno\s)\battacker\s+(?:can|could|may)\s+(?:still\s+)?(?:choose|control|set|supply|inject|pass|change)"
    r"|\breturns\s+(?:its|the)\s+(?:input|argument|parameter|value)\s+(?:unchanged|as\s+is)|\bno-?op\b)"
    r"(?![^.;]*\b(?:but|however|although|though|yet)\b)")  # "the attacker can choose it, but it is quoted"


def kept_if_contradicted(t: Triage) -> Triage:
    """A false positive whose own reason says the value is not made safe stays a true positive (a verdict decided
    in code from the source alone, confidence 1.0, is not the model's and stands)."""
    if t.verdict != "false_positive" or t.confidence >= 1.0 or not _NOT_MADE_SAFE.search(t.reason):
        return t
    return Triage(verdict="true_positive", confidence=0.6,
                  reason=f"{t.reason} (kept: the model's own reason says the value is not made safe)")


def judge_flow(ans: BaseModel, flow: Flow, lines: list[str]) -> Triage:
    data = ans.model_dump()
    picked, controls, reason = int(data.get("safeguard", 0)), bool(data["attacker_controls_value"]), data["reason"]
    if 1 <= picked <= len(flow.safeguards):
        k, label = flow.safeguards[picked - 1]
        if not flow.uncovered:
            return Triage(verdict="false_positive", confidence=0.9,
                          reason=f"line {k} {label} (`{lines[k - 1].strip()[:100]}`): {reason}")
        return Triage(verdict="true_positive", confidence=0.6,
                      reason=f"{reason} (but the data entering on line {flow.uncovered[0]} does not pass "
                             f"through line {k})")
    if not controls and flow.closed and not flow.untrusted:
        return Triage(verdict="false_positive", confidence=0.8,
                      reason=f"no request data or caller parameter reaches it: {reason}")
    return Triage(verdict="true_positive", confidence=0.9 if controls else 0.6, reason=reason)


def judge_use(ans: PurposeAnswer | CookieAnswer, context: str) -> Triage:
    """A harmless use counts only when the code it rests on shows no security words."""
    if isinstance(ans, PurposeAnswer):
        harmless, what = ans.used_for in NON_SECURITY_USES, f"used for {ans.used_for.replace('_', ' ')}"
    else:
        harmless, what = ans.cookie_holds in HARMLESS_COOKIES, f"holds {ans.cookie_holds.replace('_', ' ')}"
    if harmless and not SECURITY_WORDS.search(context):
        return Triage(verdict="false_positive", confidence=0.8, reason=f"{what}: {ans.reason}")
    return Triage(verdict="true_positive", confidence=0.6 if harmless else 0.9, reason=f"{what}: {ans.reason}")


Prepared = tuple[str, type[BaseModel], Callable[[BaseModel], Triage]]


def prepare(fam: Family, path: str, lines: list[str], start: int, end: int, cwes: list[str] | None = None,
            root: Path | None = None) -> Prepared:
    """What code found (for the prompt), the answer schema, and the function from answer to verdict. Only
    safeguards that fit the finding's sink (``safeguards.fits``) are offered to the model."""
    block = enclosing_block(path, lines, start, end)
    if fam is FLOW:
        sink, find_def = sink_of(cwes or []), def_finder(lines, root, path)
        flow = trace(lines, block, (start, end), module_lines(path, lines, block[0], block[1]),
                     lambda label, text: fits(label, text, sink, lines, find_def))
        return flow_brief(flow, lines), flow_schema(len(flow.safeguards)), lambda a: judge_flow(a, flow, lines)
    if fam is COOKIE:
        flow = trace(lines, block, (start, end), [])
        context = "\n".join(lines[k - 1] for k in flow.lines if k not in flow.sources)
        return "", CookieAnswer, lambda a: judge_use(a, context)  # type: ignore[arg-type]
    context = "\n".join(lines[block[0] - 1:block[1]])
    return "", PurposeAnswer, lambda a: judge_use(a, context)  # type: ignore[arg-type]


def task_text(fam: Family | None, rule: str, cwes: list[str], title: str, message: str, path: str, shown: str,
              brief: str) -> str:
    """The user message. Use questions leave out the rule entirely: its warning talks the model into 'security'."""
    if fam is PURPOSE or fam is COOKIE:
        ask = "What is the result of the call on the > line used for?" if fam is PURPOSE else \
            "What does the cookie set on the > line hold?"
        return f"File: {path}\nCode (> marks the flagged lines):\n{shown}\n{ask}"
    head = f"Rule: {rule} ({', '.join(cwes) or 'n/a'}) - {title}\nRule message: {' '.join(message.split())}\n"
    return f"{head}File: {path}\nCode (> marks the flagged lines):\n{shown}" + (f"\n{brief}" if brief else "")
