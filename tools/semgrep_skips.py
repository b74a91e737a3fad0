"""What a Semgrep run did not check, file by file, as the lines a report lists under "not checked".

A scan degrades per file, never per run: a file too large, too slow, undecodable or unparsable costs that file,
and the reader is told which file and why. Semgrep reports what it skipped (``paths.skipped`` with a reason, under
``--verbose``) and which files it could not parse (``errors`` with a path); opsquad adds its own per-file time
budget (``time_budget``). Deliberate exclusions (gitignore, dotfiles, files of no scanned language) are not
listed: nobody expects them checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.semgrep_findings import relative_path

SHOWN_PER_REASON = 3

# Semgrep's skip reasons worth telling a reader, in the order they are listed.
_REASONS: dict[str, str] = {
    "time_budget": "over the per-file time budget",
    "too_big": "over the size limit",
    "exceeded_size_limit": "over the size limit",
    "minified": "minified",
    "binary": "binary",
    "undecodable": "undecodable bytes (not UTF-8), checked only in part",
    "analysis_failed_parser_or_internal_error": "not fully parsed, checked only in part",
    "timeout": "Semgrep rules timed out or ran out of memory",
    "too_many_matches": "too many matches",
    "insufficient_permissions": "not readable",
    "semgrepignore_patterns_match": "ignored by .semgrepignore (or Semgrep's default ignore list)",
}


@dataclass(frozen=True)
class FileBudget:
    """Per-file limits: files over ``large_bytes`` are scanned one by one within ``seconds`` each; files over
    ``max_bytes`` are not scanned at all. Junk (generated, random, minified) then costs seconds, not minutes."""

    large_bytes: int = 200_000
    max_bytes: int = 1_000_000
    seconds: float = 15.0


def skipped_files(out: dict[str, Any]) -> list[dict[str, str]]:
    """``paths.skipped`` of a Semgrep JSON report as ``{"path", "reason", "details"}`` entries."""
    paths = out.get("paths") or {}
    entries = paths.get("skipped") or [] if isinstance(paths, dict) else []
    return [{"path": str(e.get("path", "")), "reason": str(e.get("reason", "")), "details": str(e.get("details", ""))}
            for e in entries if isinstance(e, dict) and e.get("path")]


def _undecodable(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return True
    except OSError:
        return False
    return False


def _reason_of(entry: dict[str, str], cwd: Path) -> str:
    reason = entry["reason"]
    if reason == "analysis_failed_parser_or_internal_error":
        path = Path(entry["path"])
        if _undecodable(path if path.is_absolute() else cwd / path):
            return "undecodable"
    return reason


def _error_entries(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Parse errors name their file; they count as that file's parse failure."""
    out = []
    for err in errors:
        path = err.get("path")
        if isinstance(path, str) and path:
            message = " ".join(str(err.get("message", "")).split())
            kind = str(err.get("type", ""))
            reason = "timeout" if "Timeout" in kind or "OutOfMemory" in kind else (
                "analysis_failed_parser_or_internal_error")
            out.append({"path": path, "reason": reason, "details": message})
    return out


def not_checked_lines(skipped: list[dict[str, str]], errors: list[dict[str, Any]], cwd: Path,
                      root: Path) -> list[str]:
    """One line per reason: how many files, the first few paths (relative to ``root``), and why."""
    by_reason: dict[str, dict[str, str]] = {}
    for entry in [*skipped, *_error_entries(errors)]:
        reason = _reason_of(entry, cwd)
        if reason in _REASONS:
            by_reason.setdefault(reason, {}).setdefault(relative_path(entry["path"], cwd, root)[0], entry["details"])
    lines = []
    for reason, label in _REASONS.items():
        files = by_reason.get(reason)
        if not files:
            continue
        names = sorted(files)
        more = f" (+{len(names) - SHOWN_PER_REASON} more)" if len(names) > SHOWN_PER_REASON else ""
        lines.append(f"{label} ({len(names)} file{'s' if len(names) > 1 else ''}): "
                     f"{', '.join(names[:SHOWN_PER_REASON])}{more}")
    return lines


def unlisted_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors that name no file (a rule that failed, an engine error): they are reported on their own."""
    return [e for e in errors if not (isinstance(e.get("path"), str) and e.get("path"))]
