"""What earlier runs told the pull request, and what this push changes: the incremental part of the action.

The state travels in the sticky summary comment itself, as hidden JSON after a marker, so it needs no
storage, survives re-runs and forks, and is deleted with the comment. It is keyed by the first 16 hex digits
of ``Finding.fingerprint`` (rule + file + normalized code, so it survives line shifts). Each push:

- *new*: active findings no earlier run reported (and nobody dismissed): these get inline comments;
- *still open*: reported before and still there: listed, never commented again;
- *resolved*: reported before and gone (not merely suppressed): listed as resolved;
- *dismissed*: a 👎 on opsquad's inline comment or a ``/opsquad dismiss`` reply; sticky, so a dismissed
  finding is not commented again even if it disappears and comes back. Dismissing silences the comments
  only: the ``fail_on`` gate still counts the finding until it is fixed or accepted in the repository's
  baseline file (reviewed like code).

The JSON is embedded with ``<`` and ``>`` escaped as ``\\u003c``/``\\u003e`` so no finding text can close the
HTML comment that hides it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsquad.findings import FileLocation, Finding

SUMMARY_MARKER = "<!-- opsquad:summary -->"
STATE_PREFIX = "<!-- opsquad:state "
FINDING_MARKER = "<!-- opsquad:finding {key} -->"
_FINDING_RE = re.compile(r"<!-- opsquad:finding ([0-9a-f]{16}) -->")
_STATE_RE = re.compile(r"<!-- opsquad:state (\{.*?\}) -->", re.S)
MAX_ENTRIES = 400  # per section: keeps the hidden JSON far below GitHub's 65,536-character comment limit


def key_of(finding: Finding) -> str:
    return finding.fingerprint[:16]


class Entry(BaseModel):
    """Enough about a finding to list it after it is gone from the report."""

    model_config = ConfigDict(extra="ignore")
    rule: str
    severity: str
    title: str = Field(default="", max_length=200)
    path: str = ""
    line: int = 0
    by: str = ""

    @classmethod
    def of(cls, f: Finding, by: str = "") -> Entry:
        loc = f.location
        path, line = (loc.path, loc.start_line) if isinstance(loc, FileLocation) else ("", 0)
        return cls(rule=f.rule_id, severity=f.severity.value, title=f.title[:200], path=path, line=line, by=by)


class ReviewState(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: Literal[1] = 1
    runs: int = 0
    head: str = ""
    open: dict[str, Entry] = Field(default_factory=dict)
    resolved: dict[str, Entry] = Field(default_factory=dict)
    dismissed: dict[str, Entry] = Field(default_factory=dict)


def decode(body: str) -> ReviewState | None:
    """The state hidden in a summary comment; ``None`` when absent or unreadable (then the run starts over)."""
    m = _STATE_RE.search(body or "")
    if not m:
        return None
    try:
        return ReviewState.model_validate(json.loads(m.group(1)))
    except (ValueError, ValidationError):
        return None


def encode(state: ReviewState) -> str:
    def capped(entries: dict[str, Entry]) -> dict[str, Entry]:
        return dict(list(entries.items())[-MAX_ENTRIES:])

    slim = state.model_copy(update={"open": capped(state.open), "resolved": capped(state.resolved),
                                    "dismissed": capped(state.dismissed)})
    data = {"version": state.version, **slim.model_dump(mode="json", exclude_defaults=True)}
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return STATE_PREFIX + text.replace("<", "\\u003c").replace(">", "\\u003e") + " -->"


def finding_key(body: str) -> str | None:
    """The finding key in one of opsquad's inline comments, if ``body`` is one."""
    m = _FINDING_RE.search(body or "")
    return m.group(1) if m else None


@dataclass
class Plan:
    """This push against the previous state; ``state`` is what to store for the next push."""

    first_run: bool
    new: list[Finding] = field(default_factory=list)
    still_open: list[Finding] = field(default_factory=list)
    resolved_now: dict[str, Entry] = field(default_factory=dict)
    resolved_before: dict[str, Entry] = field(default_factory=dict)
    dismissed: list[tuple[Finding, Entry]] = field(default_factory=list)
    state: ReviewState = field(default_factory=ReviewState)


def plan(prev: ReviewState | None, findings: list[Finding], dismissed_now: dict[str, str], head: str) -> Plan:
    """Split this run's findings against ``prev``; ``dismissed_now`` maps key -> who dismissed it."""
    before = prev or ReviewState()
    active = {key_of(f): f for f in findings if not f.suppressed}
    suppressed = {key_of(f) for f in findings if f.suppressed}
    dismissed = dict(before.dismissed)
    for key, by in dismissed_now.items():
        if key not in dismissed:
            f = active.get(key)
            base = Entry.of(f) if f is not None else before.open.get(key) or Entry(rule="?", severity="info")
            dismissed[key] = base.model_copy(update={"by": by})
    out = Plan(first_run=prev is None)
    for key, f in active.items():
        if key in dismissed:
            out.dismissed.append((f, dismissed[key]))
        elif key in before.open:
            out.still_open.append(f)
        else:
            out.new.append(f)
    out.resolved_now = {k: e for k, e in before.open.items() if k not in active and k not in suppressed
                        and k not in dismissed}
    out.resolved_before = {k: e for k, e in before.resolved.items() if k not in active and k not in out.resolved_now}
    out.state = ReviewState(
        runs=before.runs + 1, head=head,
        open={key_of(f): Entry.of(f) for f in [*out.still_open, *out.new]},
        resolved={**out.resolved_before, **out.resolved_now},
        dismissed=dismissed,
    )
    return out
