"""SARIF 2.1.0: the format GitHub code scanning, IDEs and security dashboards ingest.

Choices a consumer depends on:
- one ``reportingDescriptor`` per rule id carries ``security-severity``, ``precision`` and the CWE tags,
  because GitHub reads those from the rule, not from the result;
- ``partialFingerprints`` come from ``Finding.fingerprint`` so an alert keeps its identity when lines move;
- suppressed findings are still emitted, with ``suppressions``, so a dashboard shows what was dismissed
  and why;
- a Kubernetes object has no file, so it becomes a ``logicalLocation``; a finding with no place at all has no
  ``locations`` (valid SARIF, shown as a run-level result);
- ``fix_patch`` becomes ``fixes`` only when the unified diff parses cleanly and survived redaction unchanged:
  no fix is better than a wrong one.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from opsquad import __version__
from opsquad.findings import FileLocation, Finding, K8sLocation, Location, Report, Severity
from opsquad.redact import redact_obj
from workflows.formatters.json_fmt import redacted
from workflows.formatters.text import cwe_display, k8s_name

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/opsquad/opsquad"
FINGERPRINT_KEY = "opsquadFingerprint/v1"
SRCROOT = "%SRCROOT%"

LEVELS: dict[Severity, str] = {
    Severity.critical: "error", Severity.high: "error", Severity.medium: "warning",
    Severity.low: "note", Severity.info: "note",
}
# GitHub buckets these: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.critical: "9.5", Severity.high: "8.0", Severity.medium: "5.5",
    Severity.low: "3.0", Severity.info: "1.0",
}
SUPPRESSION_KINDS = {"triage": "external", "baseline": "external", "inline": "inSource"}

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

Edit = tuple[int, int, str]  # (first old line, number of old lines deleted, inserted text)


def precision(confidence: float) -> str:
    """GitHub's ``precision`` vocabulary, from the finding's 0..1 confidence."""
    if confidence >= 0.9:
        return "very-high"
    if confidence >= 0.75:
        return "high"
    return "medium" if confidence >= 0.5 else "low"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def artifact_location(path: str, root: str = "") -> dict[str, str]:
    """A URI relative to ``%SRCROOT%`` (what code scanning expects).

    An absolute path under ``root`` is made relative; one outside it stays an absolute ``file://`` URI.
    """
    p = path.replace("\\", "/")
    base = root.replace("\\", "/").rstrip("/")
    if base.startswith("/") and p.startswith(base + "/"):
        p = p[len(base) + 1:]
    if p.startswith("/"):
        return {"uri": "file://" + quote(p)}
    while p.startswith("./"):
        p = p[2:]
    return {"uri": quote(p), "uriBaseId": SRCROOT}


def _location(loc: Location | None, root: str) -> dict[str, Any] | None:
    if isinstance(loc, FileLocation):
        region: dict[str, int] = {"startLine": loc.start_line, "endLine": max(loc.end_line, loc.start_line)}
        if loc.start_col is not None and loc.start_col >= 1:
            region["startColumn"] = loc.start_col
        if loc.end_col is not None and loc.end_col >= 1:
            region["endColumn"] = loc.end_col
        return {"physicalLocation": {"artifactLocation": artifact_location(loc.path, root), "region": region}}
    if isinstance(loc, K8sLocation):
        props = {"apiVersion": loc.api_version, "objectKind": loc.object_kind, "namespace": loc.namespace}
        return {"logicalLocations": [{
            "name": loc.name, "fullyQualifiedName": k8s_name(loc), "kind": "object",
            "properties": {k: v for k, v in props.items() if v},
        }]}
    return None


def _diff_path(header: str) -> str | None:
    name = header[4:].split("\t")[0].strip()
    if name == "/dev/null" or not name:
        return None
    return name[2:] if name.startswith(("a/", "b/")) else name


def _parse_hunk(lines: list[str], i: int, m: re.Match[str]) -> tuple[list[Edit] | None, int]:
    """Split one hunk into runs of changed lines, each anchored at the old file's line numbers."""
    old_start, old_left = int(m[1]), int(m[2] if m[2] is not None else 1)
    new_left = int(m[4] if m[4] is not None else 1)
    cursor = old_start if old_left else old_start + 1
    if cursor < 1:
        return None, i
    edits: list[Edit] = []
    inserted: list[str] = []
    start, deleted, no_eol, prev = cursor, 0, False, " "

    def flush() -> None:
        if deleted or inserted:
            edits.append((start, deleted, "\n".join(inserted) + ("" if no_eol or not inserted else "\n")))

    while i < len(lines) and (old_left > 0 or new_left > 0 or lines[i].startswith("\\")):
        line = lines[i]
        tag, body = (line[:1], line[1:]) if line else (" ", "")
        if tag == " ":
            flush()
            old_left, new_left, cursor = old_left - 1, new_left - 1, cursor + 1
            start, deleted, inserted, no_eol = cursor, 0, [], False
        elif tag == "-":
            deleted, old_left, cursor = deleted + 1, old_left - 1, cursor + 1
        elif tag == "+":
            inserted.append(body)
            new_left -= 1
        elif tag == "\\":
            no_eol = no_eol or prev == "+"
        else:
            return None, i
        prev, i = tag, i + 1
    if old_left != 0 or new_left != 0:
        return None, i
    flush()
    return edits, i


def parse_unified_diff(patch: str) -> list[tuple[str, list[Edit]]] | None:
    """Per file, the edits of a unified diff.

    ``None`` if the diff is malformed, creates or deletes a file, or changes nothing.
    """
    files: list[tuple[str, list[Edit]]] = []
    lines = patch.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _diff_path(line), _diff_path(lines[i + 1])
            if old is None or new is None:
                return None
            files.append((new, []))
            i += 2
            continue
        m = _HUNK.match(line)
        if m:
            if not files:
                return None
            edits, i = _parse_hunk(lines, i + 1, m)
            if edits is None:
                return None
            files[-1][1].extend(edits)
            continue
        i += 1
    if not files or any(not edits for _, edits in files):
        return None
    return files


def _fixes(patch: str, description: str, root: str) -> list[dict[str, Any]] | None:
    parsed = parse_unified_diff(patch)
    if parsed is None:
        return None
    changes = []
    for path, edits in parsed:
        replacements = []
        for start, deleted, text in edits:
            # Whole lines: from column 1 of the first deleted line to column 1 of the line after the last one;
            # an insertion is the empty region at column 1 of the line it goes before.
            rep: dict[str, Any] = {"deletedRegion": {
                "startLine": start, "startColumn": 1, "endLine": start + deleted, "endColumn": 1}}
            if text:
                rep["insertedContent"] = {"text": text}
            replacements.append(rep)
        changes.append({"artifactLocation": artifact_location(path, root), "replacements": replacements})
    return [{"description": {"text": description}, "artifactChanges": changes}]


def _rules(findings: list[Finding]) -> list[dict[str, Any]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.rule_id, []).append(f)
    rules = []
    for rule_id, group in groups.items():
        first = group[0]
        worst = max((f.severity for f in group), key=lambda s: s.rank)
        cwes = _unique([cwe_display(c) for f in group for c in f.cwe])
        categories = _unique([f.category for f in group])
        security = ["security"] if "security" in categories or cwes else []
        rules.append({
            "id": rule_id,
            "shortDescription": {"text": first.title},
            "fullDescription": {"text": first.message or first.title},
            "help": {"text": first.remediation or f"{first.title}. See the result message for details."},
            "defaultConfiguration": {"level": LEVELS[worst]},
            "properties": {
                "tags": _unique([*security, *categories, *cwes]),
                "cwe": cwes,
                "security-severity": SECURITY_SEVERITY[worst],
                "precision": precision(max(f.confidence for f in group)),
            },
        })
    return rules


def _result(f: Finding, index: int, root: str, fix_ok: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id, "ruleIndex": index, "level": LEVELS[f.severity],
        "message": {"text": f.message or f.title},
    }
    location = _location(f.location, root)
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    result["fingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    props: dict[str, Any] = {"title": f.title, "severity": f.severity.value, "confidence": f.confidence,
                             "category": f.category, "agent": f.agent, "source": f.source}
    if f.triage:
        props["triage"] = f.triage.model_dump(mode="json", include={"verdict", "confidence", "reason"})
    result["properties"] = props
    fixes = _fixes(f.fix_patch, f.remediation or f.title, root) if f.fix_patch and fix_ok else None
    if fixes:
        result["fixes"] = fixes
    if f.suppression:
        result["suppressions"] = [{
            "kind": SUPPRESSION_KINDS[f.suppression.kind], "status": "accepted",
            "justification": f.suppression.justification, "properties": {"opsquadKind": f.suppression.kind},
        }]
    return result


def to_sarif(report: Report) -> dict[str, Any]:
    """The report as one SARIF run; every string from a finding has been through ``redact``."""
    clean = redacted(report)
    root = clean.target if clean.target.startswith("/") else ""
    rules = _rules(clean.findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [
        # A patch that held a secret was changed by redaction: applying it would write the mask into the code.
        _result(f, index[f.rule_id], root, fix_ok=(orig.fix_patch == f.fix_patch))
        for orig, f in zip(report.findings, clean.findings, strict=True)
    ]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "opsquad", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": rules}},
        "automationDetails": {"id": f"opsquad/{clean.workflow}/{clean.run_id}"},
        "invocations": [{"executionSuccessful": clean.status != "failed"}],
        "results": results,
        "properties": {
            "run_id": clean.run_id, "workflow": clean.workflow, "target": clean.target,
            "status": clean.status, "created_at": clean.created_at,
            "notes": [n.model_dump(mode="json") for n in clean.notes],
            **({"answer": clean.answer.model_dump(mode="json")} if clean.answer is not None else {}),
        },
    }
    if root:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": "file://" + quote(root.rstrip("/") + "/")}}
    doc = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return dict(redact_obj(doc))


def render(report: Report) -> str:
    """The SARIF document as indented JSON text."""
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"

