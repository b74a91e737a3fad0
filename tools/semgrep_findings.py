"""Semgrep's JSON results as opsquad ``Finding``s: paths relative to the scanned root, normalized severity, CWE
and confidence, the matched lines and the taint trace as evidence (redacted), and the rule's remediation.

One builder for one result type, apart from running Semgrep (``tools.semgrep``), so either can change alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsquad.cwe import cwe_ids as normalize_cwe  # every CWE-<n> a rule's metadata names
from opsquad.findings import FileLocation, Finding, Severity
from opsquad.redact import redact, remember, secret_values

if TYPE_CHECKING:
    from tools.semgrep import SemgrepRun

MAX_EVIDENCE_LINES = 5
_SEVERITY_FROM_SEMGREP = {"ERROR": Severity.high, "WARNING": Severity.medium, "INFO": Severity.low}
_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.6, "LOW": 0.3}
_CREDENTIAL_CWES = {"CWE-798", "CWE-259", "CWE-321", "CWE-522"}  # hard-coded credentials, passwords, keys
_QUOTED = re.compile(r"[\"']([^\"'\n]{6,})[\"']")  # a positional literal: ftplib.FTP(host, user, "...")
_LETTERS_ONLY = re.compile(r"[A-Za-z_ .-]+")  # a host or user name, not a credential
_MATCH_VALUE = re.compile(r"(?:=>|:=|[=:\s])\s*[\"']?([^\"'\s]+?)[\"']?[;,]?$")  # NAME=value, NAME: "value"


def short_rule_id(check_id: str, known: set[str]) -> str:
    """``tools.rules.python-eval-injection`` → ``python-eval-injection`` (the id the rule declares)."""
    if check_id in known:
        return check_id
    matches = [k for k in known if check_id.endswith("." + k)]
    return max(matches, key=len) if matches else check_id


def _severity(meta: dict[str, Any], semgrep_severity: str) -> Severity:
    try:
        return Severity(str(meta.get("severity", "")).lower())
    except ValueError:
        return _SEVERITY_FROM_SEMGREP.get(semgrep_severity.upper(), Severity.medium)


def _confidence(value: Any) -> float:
    if isinstance(value, int | float) and 0.0 <= value <= 1.0:
        return float(value)
    return _CONFIDENCE.get(str(value).upper(), 0.6)


def _title(meta: dict[str, Any], message: str) -> str:
    if meta.get("title"):
        return str(meta["title"]).strip()
    first = re.split(r"(?<=[.!?])\s", message.strip(), maxsplit=1)[0]
    return first[:120].rstrip(".") or "semgrep finding"


def _code_lines(result: dict[str, Any], file: Path) -> str:
    """The matched source lines. Recent semgrep prints "requires login" instead, so read the file."""
    lines = str(result.get("extra", {}).get("lines") or "")
    if lines and lines.strip() != "requires login":
        return "\n".join(lines.strip().splitlines()[:MAX_EVIDENCE_LINES])
    start = int(result["start"]["line"])
    end = min(int(result["end"]["line"]), start + MAX_EVIDENCE_LINES - 1)
    try:
        text = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(ln[:300] for ln in text[start - 1:end]).strip()


def _trace_content(node: Any) -> str:
    """The code text of one dataflow-trace location (``["CliLoc", [loc, text]]`` or ``CliCall``)."""
    if isinstance(node, list) and len(node) == 2 and node[0] in ("CliLoc", "CliCall"):
        return _trace_content(node[1])
    if isinstance(node, list) and node:
        if len(node) == 2 and isinstance(node[0], dict) and isinstance(node[1], str):
            return node[1]
        return _trace_content(node[0])
    return ""


def _trace_text(trace: Any) -> str:
    """A compact "source → via → sink" line for a taint finding, when semgrep reports the trace."""
    if not isinstance(trace, dict):
        return ""
    steps = [_trace_content(trace.get("taint_source"))]
    steps += [str(v.get("content", "")) for v in trace.get("intermediate_vars") or [] if isinstance(v, dict)]
    steps.append(_trace_content(trace.get("taint_sink")))
    steps = [" ".join(s.split())[:80] for s in steps if s and s.strip()]
    return "taint: " + " → ".join(steps) if len(steps) >= 2 else ""


def relative_path(path: str, cwd: Path, root: Path) -> tuple[str, Path]:
    """A path Semgrep reported (relative to ``cwd`` or absolute) as (path relative to ``root``, the file)."""
    file = Path(path) if Path(path).is_absolute() else cwd / path
    try:
        return file.resolve().relative_to(root.resolve()).as_posix(), file
    except ValueError:
        return Path(path).as_posix(), file


def _remember_secrets(result: dict[str, Any], file: Path) -> None:
    """A credential a rule flagged is masked wherever it appears from now on, whatever shape it has: the values
    redaction finds in the matched text, else its last quoted literal, else the value at the end of the match."""
    try:
        matched = file.read_bytes()[int(result["start"]["offset"]):int(result["end"]["offset"])]
    except (OSError, KeyError, ValueError, TypeError):
        return
    text = matched.decode("utf-8", "replace").strip()
    literals = [q for q in _QUOTED.findall(text) if not _LETTERS_ONLY.fullmatch(q)]
    tail = _MATCH_VALUE.search(text)
    for value in secret_values(text) or literals[-1:] or [tail.group(1) if tail else text]:
        remember(value)


def to_findings(run: SemgrepRun, root: Path) -> list[Finding]:
    """Semgrep results → ``Finding``s with paths relative to ``root`` and normalized severity and CWE."""
    findings: list[Finding] = []
    for result in run.results:
        extra = result.get("extra", {})
        meta = extra.get("metadata") or {}
        message = " ".join(str(extra.get("message", "")).split())
        rel, file = relative_path(str(result["path"]), run.cwd, root)
        if _CREDENTIAL_CWES & set(normalize_cwe(meta.get("cwe"))):
            _remember_secrets(result, file)
        evidence = _code_lines(result, file)
        trace = _trace_text(extra.get("dataflow_trace"))
        if trace:
            evidence = f"{evidence}\n{trace}" if evidence else trace
        fix = extra.get("fix")
        remediation = str(meta.get("remediation") or (f"Suggested fix: {fix}" if fix else "")).strip()
        start, end = result["start"], result["end"]
        findings.append(Finding(
            rule_id=short_rule_id(str(result["check_id"]), run.rule_ids),
            title=_title(meta, message),
            message=message,
            severity=_severity(meta, str(extra.get("severity", ""))),
            confidence=_confidence(meta.get("confidence")),
            category=str(meta.get("category") or "security"),
            cwe=normalize_cwe(meta.get("cwe")),
            location=FileLocation(
                path=rel, start_line=max(1, int(start["line"])), end_line=max(1, int(end["line"])),
                start_col=start.get("col"), end_col=end.get("col"),
            ),
            evidence=redact(evidence),
            remediation=" ".join(remediation.split()),
            source="semgrep",
            agent="devsecops",
        ))
    return findings


def rules_marked(run: SemgrepRun, key: str, value: str) -> set[str]:
    """Short ids of the rules whose results carry ``metadata[key] == value`` (e.g. ``in-tests: keep``)."""
    return {short_rule_id(str(r["check_id"]), run.rule_ids) for r in run.results
            if str((r.get("extra", {}).get("metadata") or {}).get(key, "")) == value}
