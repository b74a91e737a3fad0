"""JSON output: the whole report as data, for scripts and for tools that do not speak SARIF.

It also owns ``redacted``, the one place that turns a report into its secret-free copy: every formatter
renders from that copy, so a secret in any field (evidence, message, patch, answer, note) is masked before
any output format sees it, rather than each formatter remembering which fields to mask.
"""

from __future__ import annotations

import json

from opsquad.findings import Report
from opsquad.redact import redact_obj


def redacted(report: Report) -> Report:
    """A copy of ``report`` with every string masked by ``opsquad.redact``; fingerprints are kept as they are.

    Fingerprints survive because they are hex digests (no pattern matches them) and were computed before
    redaction, so the identity of a finding is the same whether or not its evidence held a secret.
    """
    return Report.model_validate(redact_obj(report.model_dump(mode="json")))


def to_json_obj(report: Report) -> dict[str, object]:
    """The redacted report as plain JSON data, plus ``counts`` of active findings by severity."""
    clean = redacted(report)
    data: dict[str, object] = clean.model_dump(mode="json")
    data["counts"] = clean.counts()
    return data


def render(report: Report) -> str:
    """The report as indented JSON text (UTF-8 kept readable, newline at the end)."""
    return json.dumps(to_json_obj(report), indent=2, ensure_ascii=False) + "\n"
