"""Plain console text: what a person running ``opsquad`` in a terminal reads first.

No ANSI codes here (the CLI may add colour later), and control characters from findings are stripped: a title
or evidence string taken from scanned code must not be able to move the cursor or recolour the terminal.
The small helpers (location label, summary line, answer sections) are shared with the markdown formatter so
both outputs describe a report with the same words.
"""

from __future__ import annotations

import json
import re

from opsquad.answers import Answer
from opsquad.cwe import normalize_cwe as _cwe_label
from opsquad.findings import SEVERITY_ORDER, FileLocation, Finding, K8sLocation, Report
from opsquad.redact import redact
from opsquad.text import one_line
from workflows.formatters.json_fmt import redacted

# C0 and C1 control characters except tab and newline; ESC (\x1b) is what starts an ANSI sequence.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MAX_COLUMN = 48
# Keys of an SRE-style answer shown first, in this order; any other key follows in the dict's own order.
_ANSWER_ORDER = ("root_cause", "confidence", "evidence", "remediation")


def cwe_display(value: str) -> str:
    """``"89"``, ``"cwe-89"`` and ``"CWE-89: SQL Injection"`` all become ``"CWE-89"``; other text is kept."""
    return _cwe_label(value, label=True) or value.strip()


def location_label(finding: Finding) -> str:
    """``path:line`` for a file, ``Kind/namespace/name`` for a Kubernetes object, ``-`` when there is none."""
    loc = finding.location
    if isinstance(loc, FileLocation):
        return f"{loc.path}:{loc.start_line}"
    if isinstance(loc, K8sLocation):
        return k8s_name(loc)
    return "-"


def k8s_name(loc: K8sLocation) -> str:
    """``Kind/namespace/name``; a cluster-scoped object (no namespace) reads ``Kind/name``."""
    parts = [loc.object_kind, loc.namespace, loc.name] if loc.namespace else [loc.object_kind, loc.name]
    return "/".join(parts)


def summary_line(report: Report) -> str:
    """E.g. ``3 findings (1 high, 2 medium), 1 suppressed``: active findings by severity, worst first."""
    counts = report.counts()
    total = sum(counts.values())
    parts = [f"{counts[s.value]} {s.value}" for s in reversed(SEVERITY_ORDER) if counts[s.value]]
    line = f"{total} finding{'' if total == 1 else 's'}"
    if parts:
        line += f" ({', '.join(parts)})"
    suppressed = len(report.findings) - len(report.active())
    if suppressed:
        line += f", {suppressed} suppressed"
    return line


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)


def answer_sections(answer: Answer) -> list[tuple[str, str | list[str]]]:
    """The answer's fields as (label, text) or (label, bullet items), SRE keys first, empty values skipped."""
    data: dict[str, object] = answer.model_dump(mode="json")
    keys = [k for k in _ANSWER_ORDER if k in data] + [k for k in data if k not in _ANSWER_ORDER]
    sections: list[tuple[str, str | list[str]]] = []
    for key in keys:
        value = data[key]
        if value is None or value == "" or value == [] or value == {}:
            continue
        label = key.replace("_", " ").capitalize()
        if isinstance(value, list):
            sections.append((label, [_scalar(v) for v in value]))
        elif isinstance(value, dict):
            sections.append((label, [f"{k}: {_scalar(v)}" for k, v in value.items()]))
        else:
            sections.append((label, _scalar(value)))
    return sections


def _finding_lines(findings: list[Finding]) -> list[str]:
    rules = [one_line(f.rule_id) for f in findings]
    places = [one_line(location_label(f)) for f in findings]
    rule_w = min(max(map(len, rules), default=0), _MAX_COLUMN)
    place_w = min(max(map(len, places), default=0), _MAX_COLUMN)
    lines: list[str] = []
    for f, rule, place in zip(findings, rules, places, strict=True):
        head = f"{f.severity.value.upper():<8}  {rule:<{rule_w}}  {place:<{place_w}}  {one_line(f.title)}"
        lines.append(head.rstrip())
        if f.triage is not None:
            verdict = f.triage.verdict.replace("_", " ")
            lines.append(f"{'':<10}model: {verdict} ({f.triage.confidence:.2f}): {one_line(f.triage.reason)}")
        if f.suppression is not None:
            lines.append(f"{'':<10}suppressed ({f.suppression.kind}): {one_line(f.suppression.justification)}")
    return lines


def _note_lines(report: Report) -> list[str]:
    lines: list[str] = []
    for note in report.notes:
        summary = one_line(note.summary)
        lines.append(f"  {note.agent}: {summary}" if summary else f"  {note.agent}")
        if note.not_checked:
            lines.append("    Not checked:")
            lines.extend(f"      - {one_line(item)}" for item in note.not_checked)
    return ["Notes:", *lines] if lines else []


def _answer_lines(answer: Answer) -> list[str]:
    lines = ["Answer:"]
    for label, value in answer_sections(answer):
        if isinstance(value, list):
            lines.append(f"  {label}:")
            lines.extend(f"    - {one_line(item)}" for item in value)
        else:
            lines.append(f"  {label}: " + value.strip().replace("\n", "\n    "))
    return lines


def render(report: Report) -> str:
    """Header, one line per active finding, notes, the answer if any, and a final summary line."""
    clean = redacted(report)
    header = f"opsquad {clean.workflow} (run {clean.run_id})"
    if clean.target:
        header += f" on {one_line(clean.target)}"
    if clean.status != "done":
        header += f" [{clean.status}]"
    suppressed = [f for f in clean.findings if f.suppressed]
    blocks = [[header], _finding_lines(clean.active()),
              (["Suppressed:", *_finding_lines(suppressed)] if suppressed else []), _note_lines(clean)]
    if clean.answer is not None:
        blocks.append(_answer_lines(clean.answer))
    blocks.append([summary_line(clean)])
    text = "\n\n".join("\n".join(block) for block in blocks if block) + "\n"
    # Strip first, then redact: removing a control character can join the two halves of a secret.
    return redact(_CONTROL.sub("", text))
