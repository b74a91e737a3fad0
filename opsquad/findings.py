"""The output-agnostic result model: every agent produces ``Finding``s, every formatter reads a ``Report``.

Formatters (SARIF, JSON, markdown, text, PR comment, Slack) never see agent internals; agents never know
which output will be written. This mirrors semgrep's split between the core result and its formatters.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opsquad.answers import Answer


class Severity(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


SEVERITY_ORDER = [Severity.info, Severity.low, Severity.medium, Severity.high, Severity.critical]


class FileLocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["file"] = "file"
    path: str
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    start_col: int | None = None
    end_col: int | None = None


class K8sLocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["kubernetes"] = "kubernetes"
    api_version: str = "v1"
    object_kind: str
    namespace: str | None = None
    name: str


Location = FileLocation | K8sLocation


class Triage(BaseModel):
    """The model's judgement of a finding; kept even when it says false positive."""

    model_config = ConfigDict(extra="forbid")
    verdict: Literal["true_positive", "false_positive"]
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str


class Suppression(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["triage", "inline", "baseline"]
    justification: str


class Finding(BaseModel):
    """One thing an agent wants a human to know about, with where it is and why it matters."""

    model_config = ConfigDict(extra="forbid")
    rule_id: str
    title: str
    message: str
    severity: Severity
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    category: str = "security"
    cwe: list[str] = Field(default_factory=list)
    location: Location | None = None
    evidence: str = ""
    remediation: str = ""
    fix_patch: str | None = None
    source: str = "opsquad"
    agent: str = ""
    triage: Triage | None = None
    suppression: Suppression | None = None
    fingerprint: str = ""

    def model_post_init(self, _context: object) -> None:
        if not self.fingerprint:
            self.fingerprint = compute_fingerprint(self)

    @property
    def id(self) -> str:
        return self.fingerprint[:12]

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None


def compute_fingerprint(finding: Finding) -> str:
    """A stable identity that survives line shifts: rule + place (file or object) + normalized evidence."""
    loc = finding.location
    if isinstance(loc, FileLocation):
        place = loc.path
    elif isinstance(loc, K8sLocation):
        place = f"{loc.object_kind}/{loc.namespace or ''}/{loc.name}"
    else:
        place = ""
    evidence = " ".join(finding.evidence.split())
    digest = hashlib.sha256(f"{finding.rule_id}\0{place}\0{evidence or finding.message}".encode())
    return digest.hexdigest()


class AgentNote(BaseModel):
    """What an agent says about its own run: what it checked, what it could not, and its figures."""

    model_config = ConfigDict(extra="forbid")
    agent: str
    summary: str = ""
    not_checked: list[str] = Field(default_factory=list)
    stats: dict[str, float | int | str] = Field(default_factory=dict)


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run_id: str
    workflow: str
    target: str = ""
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    findings: list[Finding] = Field(default_factory=list)
    notes: list[AgentNote] = Field(default_factory=list)
    answer: Answer | None = None
    status: Literal["done", "awaiting_approval", "rejected", "failed"] = "done"

    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in SEVERITY_ORDER}
        for f in self.active():
            out[f.severity.value] += 1
        return out

    def fails(self, fail_on: Severity | None) -> bool:
        return fail_on is not None and any(f.severity.at_least(fail_on) for f in self.active())


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """Dedupe by fingerprint (keeping the most severe copy) and rank: severity, then file, then line."""
    best: dict[str, Finding] = {}
    for f in findings:
        kept = best.get(f.fingerprint)
        if kept is None or f.severity.rank > kept.severity.rank:
            best[f.fingerprint] = f

    def key(f: Finding) -> tuple[int, int, str, int]:
        loc = f.location
        path = loc.path if isinstance(loc, FileLocation) else (loc.name if loc else "")
        line = loc.start_line if isinstance(loc, FileLocation) else 0
        return (int(f.suppressed), -f.severity.rank, path, line)

    return sorted(best.values(), key=key)
