"""Markdown for a pull-request comment: a table to scan, then details to act on.

The template is a string in this file so the layout is reviewed with the code. Jinja's HTML autoescape is off
(this is markdown, not HTML); instead the filters below escape what would break markdown: ``|`` and backticks
in table cells, ``<`` that GitHub would read as an HTML tag, and code fences longer than any backtick run in
the evidence or patch, so scanned code cannot close a fence early and inject markup into the comment.
"""

from __future__ import annotations

import re

from jinja2 import Environment, StrictUndefined

from opsquad.findings import Finding, Report
from opsquad.redact import redact
from workflows.formatters.json_fmt import redacted
from workflows.formatters.text import answer_sections, cwe_display, location_label, one_line, summary_line

_BACKTICKS = re.compile(r"`+")

TEMPLATE = """\
## opsquad review

{{ meta }}

**{{ summary }}**

| Critical | High | Medium | Low | Info | Suppressed |
|---:|---:|---:|---:|---:|---:|
| {{ counts.critical }} | {{ counts.high }} | {{ counts.medium }} | {{ counts.low }} | {{ counts.info }} \
| {{ suppressed|length }} |
{% if active %}

### Findings

| Severity | Rule | Location | Title |
|---|---|---|---|
{% for f in active %}
| {{ f.severity.value|upper }} | {{ f.rule_id|cell }} | {{ where(f)|cell }} | {{ f.title|cell }} |
{% endfor %}

### Details
{% for f in active %}

#### {{ loop.index }}. {{ f.severity.value|upper }}: {{ f.title|heading }}

{{ f.rule_id|code }} at {{ where(f)|code }}\
{% if f.cwe %} · {{ f.cwe|map("cwe")|join(", ")|heading }}{% endif %}\
{% if f.agent %} · agent {{ f.agent|code }}{% endif %} · confidence {{ "%.2f"|format(f.confidence) }}

{{ f.message|prose }}
{% if f.evidence %}

**Evidence**

{{ f.evidence|codeblock }}
{% endif %}
{% if f.remediation %}

**Remediation:** {{ f.remediation|prose }}
{% endif %}
{% if f.triage %}

**Triage:** {{ f.triage.verdict|replace("_", " ") }} (confidence {{ "%.2f"|format(f.triage.confidence) }}): \
{{ f.triage.reason|prose }}
{% endif %}
{% if f.fix_patch %}

**Suggested fix**

{{ f.fix_patch|codeblock("diff") }}
{% endif %}
{% endfor %}
{% else %}

No active findings.
{% endif %}
{% if suppressed %}

<details>
<summary>{{ suppressed|length }} suppressed finding{{ "" if suppressed|length == 1 else "s" }}</summary>

{% for f in suppressed %}
- **{{ f.severity.value|upper }}** {{ f.rule_id|code }} at {{ where(f)|code }}: {{ f.title|heading }}
  - Suppressed ({{ f.suppression.kind }}): {{ f.suppression.justification|heading }}
{% if f.triage %}
  - Triage: {{ f.triage.verdict|replace("_", " ") }} (confidence {{ "%.2f"|format(f.triage.confidence) }}): \
{{ f.triage.reason|heading }}
{% endif %}
{% endfor %}

</details>
{% endif %}
{% if notes %}

### Agent notes
{% for n in notes %}

**{{ n.agent|heading }}**{% if n.summary %}: {{ n.summary|prose }}{% endif %}

{% if n.not_checked %}

Not checked:
{% for item in n.not_checked %}
- {{ item|heading }}
{% endfor %}
{% endif %}
{% endfor %}
{% endif %}
{% if answer %}

### Answer
{% for label, value in answer %}

{% if value is string %}
**{{ label }}:** {{ value|prose }}
{% else %}
**{{ label }}:**
{% for item in value %}
- {{ item|heading }}
{% endfor %}
{% endif %}
{% endfor %}
{% endif %}
"""


def prose(text: str) -> str:
    """Free text kept as markdown, but ``<`` escaped so it cannot open an HTML tag in the comment."""
    return text.strip().replace("<", "&lt;")


def heading(text: str) -> str:
    """Prose squeezed to one line, for headings and list items where a newline would end the element."""
    return prose(one_line(text))


def cell(text: str) -> str:
    """One line safe inside a GFM table cell: backslash first, then the pipe and backtick, then ``<``."""
    text = one_line(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    return text.replace("<", "&lt;")


def code(text: str) -> str:
    """An inline code span whose delimiter is longer than any backtick run inside it (CommonMark rule)."""
    text = one_line(text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def codeblock(text: str, lang: str = "") -> str:
    """A fenced block whose fence outruns every backtick run in ``text``, so the content cannot close it."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.strip(chr(10))}\n{fence}"


def _environment() -> Environment:
    env = Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    env.filters.update(prose=prose, heading=heading, cell=cell, code=code, codeblock=codeblock)
    env.filters["cwe"] = cwe_display
    env.globals["where"] = location_label
    return env


_TEMPLATE = _environment().from_string(TEMPLATE)


def _meta(report: Report) -> str:
    parts = [f"Workflow {code(report.workflow)}", f"run {code(report.run_id)}"]
    if report.target:
        parts.append(f"target {code(report.target)}")
    if report.status != "done":
        parts.append(f"status **{report.status.replace('_', ' ')}**")
    return " · ".join(parts)


def render(report: Report) -> str:
    """The redacted report as a PR-comment markdown document."""
    clean = redacted(report)
    active: list[Finding] = clean.active()
    text = _TEMPLATE.render(
        meta=_meta(clean),
        summary=summary_line(clean),
        counts=clean.counts(),
        active=active,
        suppressed=[f for f in clean.findings if f.suppressed],
        notes=clean.notes,
        answer=answer_sections(clean.answer) if clean.answer is not None else [],
    )
    return redact(text.rstrip("\n") + "\n")
