"""Block Kit for Slack: an investigation's progress, its answer, proposed actions with Approve/Reject, decisions.

One more formatter beside ``workflows/formatters/*``: it reads the same redacted ``Report`` (and the SRE
answer dict inside it: root cause, evidence, remediation, confidence, not checked) and returns a Slack message
(fallback text + blocks). Two things matter more here than elsewhere:

- Slack rejects a whole message that breaks a limit (50 blocks, 3000 characters a section, 150 a header,
  40k of text), so every message goes through ``fit`` and long content is cut with a note, never an error.
- Model output and alert annotations are untrusted: ``&``, ``<`` and ``>`` are escaped so a root cause cannot
  become ``<!channel>`` or a disguised link, and secrets are masked before anything leaves the process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from opsquad.answers import Answer, SreAnswer
from opsquad.findings import Report
from opsquad.redact import redact
from workflows.formatters.json_fmt import redacted
from workflows.formatters.text import summary_line

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 40000
MAX_CONTEXT_ELEMENTS = 10
APPROVE = "opsquad_approve"
REJECT = "opsquad_reject"

Block = dict[str, Any]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class Message:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: object) -> str:
    """Untrusted text made safe for mrkdwn: secrets masked, control characters dropped, ``&<>`` escaped."""
    clean = _CONTROL.sub("", redact(str(text)))
    return clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int, note: str = "") -> str:
    """``text`` within ``limit`` characters; a cut says how much went and where to find the rest."""
    if len(text) <= limit:
        return text
    tail = f"\n_… {len(text) - limit} more characters cut{note}_"
    return text[: max(0, limit - len(tail))].rstrip() + tail


def _code(text: str) -> str:
    return "```" + text.replace("```", "`\u200b``") + "```"


def section(text: str, note: str = "") -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, MAX_SECTION, note) or " "}}


def context(*parts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(p, MAX_SECTION) or " "}
                                            for p in parts[:MAX_CONTEXT_ELEMENTS]]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(" ".join(redact(text).split()), MAX_HEADER)
                                       or " ",
                                       "emoji": False}}


def who(by: str) -> str:
    """``slack:U123`` (how Slack decisions are recorded) as a mention; anyone else by name."""
    if by.startswith("slack:") and re.fullmatch(r"[UW][A-Z0-9]{2,20}", by[6:]):
        return f"<@{by[6:]}>"
    return escape(by or "someone")


def fit(message: Message) -> Message:
    """Enforce Slack's message limits on blocks and fallback text, cutting with a note rather than failing."""
    blocks = message.blocks
    if len(blocks) > MAX_BLOCKS:
        # keep the action buttons (if any) and the last context line; say how many blocks were dropped
        keep_tail = [b for b in blocks[-2:] if b["type"] in ("actions", "context")]
        room = MAX_BLOCKS - 1 - len(keep_tail)
        dropped = len(blocks) - room - len(keep_tail)
        blocks = blocks[:room] + [context(f"_{dropped} more block(s) cut to fit Slack's limit_")] + keep_tail
    return Message(cut(message.text, MAX_TEXT), blocks)


def progress_message(title: str, question: str, steps: list[str], run_id: str = "") -> Message:
    """The one message an investigation posts at once and then updates in place."""
    blocks = [header(f"opsquad: {title}"), section(f"*Question*\n{escape(question)}")]
    lines = [f"• {escape(s)}" for s in steps[-6:]] or ["• queued"]
    blocks.append(section("*Working…*\n" + "\n".join(lines)))
    if run_id:
        blocks.append(context(f"run `{escape(run_id)}`"))
    return fit(Message(f"opsquad is investigating: {escape(question)[:200]}", blocks))


def error_message(title: str, question: str, line: str, run_id: str = "") -> Message:
    blocks = [header(f"opsquad: {title}"), section(f"*Question*\n{escape(question)}"),
              section(f":warning: *The investigation failed:* {escape(line)}")]
    if run_id:
        blocks.append(context(f"run `{escape(run_id)}` · details: `opsquad runs show {escape(run_id)}`"))
    return fit(Message(f"opsquad: the investigation failed: {escape(line)[:500]}", blocks))


def _answer_blocks(answer: SreAnswer, note: str) -> list[Block]:
    blocks: list[Block] = [section(f"*Root cause*\n{escape(answer.root_cause or '(none given)')}", note)]
    if answer.evidence:
        lines = [f"• {escape(e.claim)} — _{escape(e.source)}_" for e in answer.evidence]
        blocks.append(section("*Evidence*\n" + "\n".join(lines), note))
    if answer.remediation:
        lines = [f"{i}. {escape(s.step)}" + (f" `{escape(s.command)}`" if s.command else "")
                 for i, s in enumerate(answer.remediation, 1)]
        blocks.append(section("*Remediation*\n" + "\n".join(lines), note))
    if answer.not_checked:
        blocks.append(section("*Not checked*\n" + "\n".join(f"• {escape(x)}" for x in answer.not_checked), note))
    return blocks


def _action_blocks(run_id: str, actions: list[dict[str, Any]], note: str) -> list[Block]:
    blocks: list[Block] = []
    for a in actions:
        blocks.append(section(f"*Proposed write:* {escape(a.get('description') or a.get('tool', '?'))}", note))
        if a.get("dry_run"):
            # 3000 minus the fences and a possible cut note: the dry run is cut inside the code block
            blocks.append(section("*Dry run*\n" + _code(cut(escape(a["dry_run"]), MAX_SECTION - 120, note))))
    blocks.append({"type": "actions", "block_id": f"approval:{run_id}", "elements": [
        {"type": "button", "action_id": APPROVE, "style": "primary", "value": run_id,
         "text": {"type": "plain_text", "text": "Approve"},
         "confirm": {"title": {"type": "plain_text", "text": "Apply this change?"},
                     "text": {"type": "mrkdwn", "text": "opsquad will run the write shown in the dry run."},
                     "confirm": {"type": "plain_text", "text": "Approve"},
                     "deny": {"type": "plain_text", "text": "Cancel"}}},
        {"type": "button", "action_id": REJECT, "style": "danger", "value": run_id,
         "text": {"type": "plain_text", "text": "Reject"}},
    ]})
    return blocks


def applied_lines(answer: Answer | None) -> list[str]:
    """One line per applied (or refused) write of a resumed run."""
    lines = []
    for item in (answer.applied if answer is not None else None) or []:
        err = f": {escape(item.error)}" if item.error else ""
        lines.append(f"{':white_check_mark:' if item.ok else ':x:'} `{escape(item.id)}` {escape(item.status)}{err}")
    return lines


def report_message(report: Report, pending_actions: list[dict[str, Any]] | None = None, *,
                   title: str = "investigation", question: str = "") -> Message:
    """An investigation's answer (and, while paused, its proposed writes with Approve/Reject buttons)."""
    clean = redacted(report)
    note = f" (full answer: `opsquad runs show {escape(clean.run_id)}`)"
    blocks: list[Block] = [header(f"opsquad: {title}")]
    if question:
        blocks.append(section(f"*Question*\n{escape(question)}", note))
    answer = clean.answer
    sre = answer if isinstance(answer, SreAnswer) else None
    if sre is not None:
        blocks += _answer_blocks(sre, note)
    else:
        blocks.append(section(escape(summary_line(clean)) + "".join(
            f"\n• *{escape(n.agent)}*: {escape(n.summary)}" for n in clean.notes), note))
    if answer is not None and answer.actions and answer.applied is not None:
        verdict = "Approved" if answer.approved else "Rejected"
        lines = applied_lines(answer) if answer.approved else ["nothing was applied"]
        blocks.append(section(f"*{verdict} by {who(answer.approved_by or '')}*\n" + "\n".join(lines), note))
    pending = pending_actions or []
    if pending and report.status == "awaiting_approval":
        blocks += _action_blocks(clean.run_id, [dict(a) for a in pending], note)
    blocks.append(context(" · ".join(_facts(clean, sre))))
    root = (sre.root_cause if sre is not None else "") or summary_line(clean)
    text = f"opsquad: {escape(root)[:2000]}"  # the fallback text notifies: escaped like the blocks
    if pending and report.status == "awaiting_approval":
        text += " (a proposed change awaits approval)"
    return fit(Message(text, blocks))


def _facts(report: Report, answer: SreAnswer | None) -> list[str]:
    facts = [f"run `{escape(report.run_id)}`", f"status {escape(report.status)}"]
    if answer is not None:
        facts.insert(0, f"*Confidence {answer.confidence:.0%}*")
        if answer.tool_calls:
            facts.append(f"{len(answer.tool_calls)} tool call(s)")
    return facts


def decision_message(run_id: str, approved: bool, by: str, report: Report | None, error: str = "") -> Message:
    """What is posted in the thread after an Approve/Reject click: the decision, who made it, the result."""
    verdict = "approved" if approved else "rejected"
    lines = [f"{who(by)} {verdict} the proposed change of run `{escape(run_id)}`."]
    if error:
        lines.append(f":warning: {escape(error)}")
    elif report is not None:
        if approved:
            lines += applied_lines(redacted(report).answer) or ["nothing was applied"]
        else:
            lines.append("Nothing was applied.")
    return fit(Message(cut(" ".join(lines), 3000), [section("\n".join(lines))]))


def render(report: Report) -> str:
    """The report as Block Kit JSON (``{"text", "blocks"}``), the formatter-registry shape: Report in, text out."""
    msg = report_message(report, title=report.workflow)
    return json.dumps({"text": msg.text, "blocks": msg.blocks}, ensure_ascii=False, indent=2) + "\n"
