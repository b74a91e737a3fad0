"""The markdown opsquad posts on a pull request: the sticky summary and one inline comment per new finding.

Everything is rendered from the *redacted* report (``workflows.formatters.json_fmt.redacted``) and passed
through ``redact`` once more, like every other output. Text that comes from scanned code is escaped with the
markdown formatter's filters (table cells, code spans, fences longer than any backtick run), so a crafted
string in the diff cannot break the layout or inject markup into opsquad's comment. Tables are capped so the
summary stays well below GitHub's 65,536-character limit on large pull requests.
"""

from __future__ import annotations

from opsquad import __version__
from opsquad.answers import TestgenAnswer
from opsquad.findings import Finding, Report, Severity
from opsquad.redact import redact
from workflows.formatters.markdown import cell, code, codeblock, heading, prose
from workflows.formatters.text import cwe_display, location_label, summary_line
from workflows.github.diff import Suggestion
from workflows.github.state import FINDING_MARKER, SUMMARY_MARKER, Entry, Plan, encode, key_of

MAX_ROWS = 50
MAX_BODY = 60_000
HINT = "👎 this comment or reply `/opsquad dismiss` to stop opsquad commenting on it"


def _row(severity: str, rule: str, where: str, title: str, extra: str | None = None) -> str:
    cells = [severity.upper(), code(rule), code(where) if where else "-", cell(title)]
    if extra is not None:
        cells.append(cell(extra))
    return "| " + " | ".join(cells) + " |"


def _table(rows: list[str], extra: str | None = None) -> list[str]:
    head = "| Severity | Rule | Location | Title |" + (f" {extra} |" if extra else "")
    sep = "|---|---|---|---|" + ("---|" if extra else "")
    shown = rows[:MAX_ROWS]
    more = ["", f"…and {len(rows) - MAX_ROWS} more (the SARIF file has all of them)."] if len(rows) > MAX_ROWS else []
    return [head, sep, *shown, *more]


def _finding_rows(findings: list[Finding]) -> list[str]:
    return [_row(f.severity.value, f.rule_id, location_label(f), f.title) for f in findings]


def _entry_where(e: Entry) -> str:
    return f"{e.path}:{e.line}" if e.path else ""


def _section(title: str, rows: list[str], extra: str | None = None) -> list[str]:
    return [f"### {title} ({len(rows)})", "", *_table(rows, extra), ""] if rows else []


def _tests(report: Report) -> list[str]:
    """Kept tests of a test-generation answer, else the SDET agent's untested changed functions."""
    answer = report.answer
    kept = answer.kept_tests if isinstance(answer, TestgenAnswer) else []
    if kept:
        lines = [f"- {heading(item)}" for item in kept[:MAX_ROWS]]
    else:
        untested = [f for f in report.active() if f.category == "testing"]
        lines = [f"- {code(location_label(f))}: {heading(f.title)}" for f in untested[:MAX_ROWS]]
    return ["### Tests suggested by the SDET agent", "", *lines, ""] if lines else []


def _not_checked(report: Report) -> list[str]:
    items = [f"- **{heading(n.agent)}**: {heading(item)}" for n in report.notes for item in n.not_checked]
    return ["### Not checked", "", *items, ""] if items else []


def _gate(report: Report, fail_on: Severity | None) -> str:
    if fail_on is None:
        return "gate off (`fail_on: none`)"
    failing = [f for f in report.active() if f.severity.at_least(fail_on)]
    if failing:
        return f"❌ fails the gate: {len(failing)} finding(s) at or above `{fail_on.value}`"
    return f"✅ passes the gate (`fail_on: {fail_on.value}`)"


def summary(report: Report, plan: Plan, fail_on: Severity | None, base: str, head: str, inline_posted: int) -> str:
    """The sticky comment: counts, what changed since the last push, tests, what was not checked, state."""
    counts = report.counts()
    suppressed = [f for f in report.findings if f.suppressed]
    push = "first review" if plan.first_run else f"push {plan.state.runs}"
    lines = [
        SUMMARY_MARKER, "## opsquad review", "",
        f"**{summary_line(report)}** · {_gate(report, fail_on)}", "",
        f"Run {code(report.run_id)} on {code(base[:7] + '..' + head[:7])} · {push} · {len(plan.new)} new · "
        f"{len(plan.resolved_now)} resolved · {inline_posted} inline comment(s) posted", "",
        "| Critical | High | Medium | Low | Info | Suppressed |", "|---:|---:|---:|---:|---:|---:|",
        f"| {counts['critical']} | {counts['high']} | {counts['medium']} | {counts['low']} | {counts['info']} "
        f"| {len(suppressed)} |", "",
    ]
    lines += _section("Findings" if plan.first_run else "New since the last push", _finding_rows(plan.new))
    lines += _section("Still open", _finding_rows(plan.still_open))
    lines += _section("Resolved", [_row("✅ " + e.severity, e.rule, _entry_where(e), e.title)
                                   for e in plan.resolved_now.values()])
    lines += _section("Dismissed", [_row(f.severity.value, f.rule_id, location_label(f), f.title, e.by or "?")
                                    for f, e in plan.dismissed], extra="Dismissed by")
    if plan.resolved_before:
        lines += [f"<details><summary>Resolved on earlier pushes ({len(plan.resolved_before)})</summary>", "",
                  *_table([_row(e.severity, e.rule, _entry_where(e), e.title)
                           for e in plan.resolved_before.values()]), "", "</details>", ""]
    if suppressed:
        items = [f"- {f.severity.value.upper()} {code(f.rule_id)} at {code(location_label(f))}: "
                 f"{heading(f.suppression.justification if f.suppression else '')}" for f in suppressed[:MAX_ROWS]]
        lines += [f"<details><summary>Suppressed ({len(suppressed)})</summary>", "", *items, "", "</details>", ""]
    lines += _tests(report)
    lines += _not_checked(report)
    lines.append(f"<sub>opsquad {__version__} · this comment is updated on each push · {HINT}. Accept a finding "
                 "for good with `opsquad review --update-baseline` (`.opsquad-baseline.json`).</sub>")
    visible = redact("\n".join(lines))
    if len(visible) > MAX_BODY:
        visible = visible[:MAX_BODY].rsplit("\n", 1)[0] + "\n\n…(truncated: the SARIF file has every finding)"
    return visible + "\n" + encode(plan.state) + "\n"


def inline(finding: Finding, sug: Suggestion | None, fix_patch: str | None) -> str:
    """One inline comment: marker, severity, rule, message, triage, and the fix as a suggestion or a diff."""
    f = finding
    meta = [f"**{f.severity.value.upper()}**", code(f.rule_id)]
    meta += [heading(", ".join(cwe_display(c) for c in f.cwe))] if f.cwe else []
    meta.append(f"confidence {f.confidence:.2f}")
    lines = [FINDING_MARKER.format(key=key_of(f)), " · ".join(meta), "", f"**{heading(f.title)}**", ""]
    if f.message and f.message != f.title:
        lines += [prose(f.message[:2000]), ""]
    if f.triage is not None:
        lines += [f"**Model triage:** {f.triage.verdict.replace('_', ' ')} ({f.triage.confidence:.2f}): "
                  f"{heading(f.triage.reason)}", ""]
    if sug is not None:
        lines += ["**Suggested fix** (verified: the rescan no longer reports this finding):", "",
                  codeblock(sug.text, "suggestion"), ""]
    elif fix_patch:
        lines += ["**Suggested fix** (verified by rescan; it spans lines this pull request did not change):", "",
                  codeblock(fix_patch, "diff"), ""]
    elif f.remediation:
        lines += [f"**Remediation:** {prose(f.remediation[:1000])}", ""]
    lines.append(f"<sub>opsquad · {HINT}</sub>")
    return redact("\n".join(lines)) + "\n"


def review_body(new_inline: int, report: Report) -> str:
    return (f"opsquad: {new_inline} new finding(s) on changed lines. The summary comment has the full picture "
            f"(run `{report.run_id}`).")
