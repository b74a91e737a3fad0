"""Score an investigation's answer against a scenario's expected facts, and build the naive baseline's answer.

The facts are matched in the root cause plus the *cited* evidence only: an evidence item the agent itself
flagged as uncited does not earn a pass. Remediation regexes are matched in the remediation steps, commands and
patches. The baseline is what an on-call engineer gets from ``kubectl get events --field-selector
type=Warning``: every Warning event of the namespace, scored against the same facts (it has no remediation, so
only its facts are scored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evals.sre.scenario import Scenario
from opsquad.answers import SreAnswer


@dataclass
class Score:
    passed: bool
    missing_facts: list[str] = field(default_factory=list)
    missing_remediation: list[str] = field(default_factory=list)


def answer_text(answer: SreAnswer) -> str:
    """The root cause and the cited evidence: what a reader may take as established."""
    parts = [answer.root_cause]
    for e in answer.evidence:
        if e.cited:
            parts += [e.claim, e.source]
    return "\n".join(parts)


def remediation_text(answer: SreAnswer) -> str:
    return "\n".join(part for s in answer.remediation for part in (s.step, s.command, s.patch or ""))


def _missing(patterns: list[str], text: str) -> list[str]:
    return [p for p in patterns if not re.search(p, text, re.IGNORECASE)]


def score(s: Scenario, answer: SreAnswer) -> Score:
    facts = _missing(s.expect.facts, answer_text(answer))
    remediation = _missing(s.expect.remediation, remediation_text(answer))
    return Score(not facts and not remediation, facts, remediation)


def baseline_answer(events: list[dict[str, Any]]) -> SreAnswer:
    """All Warning events of the namespace as the "answer", oldest first."""
    lines = []
    for ev in sorted(events, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or "")):
        if ev.get("type") != "Warning":
            continue
        inv = ev.get("involvedObject") or {}
        lines.append(f"{ev.get('reason')} {str(inv.get('kind', '')).lower()}/{inv.get('name')}: {ev.get('message')}")
    return SreAnswer(root_cause="\n".join(lines), confidence=0.0)


def score_baseline(s: Scenario, events: list[dict[str, Any]]) -> Score:
    facts = _missing(s.expect.facts, answer_text(baseline_answer(events)))
    return Score(not facts, facts)
