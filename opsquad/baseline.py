"""Baselines: fingerprints of findings already answered, so they don't come back on the next push.

A baseline is a JSON file any agent's findings are checked against (by the stable ``Finding.fingerprint``,
which survives line shifts). Matching findings stay in the report, suppressed with kind ``baseline``.
"""

from __future__ import annotations

import json
from pathlib import Path

from opsquad.errors import OpsquadError
from opsquad.findings import FileLocation, Finding, Suppression


def load(path: Path) -> dict[str, str]:
    """fingerprint -> note. A missing file is an empty baseline; a malformed one is an error."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {e["fingerprint"]: e.get("note", "") for e in data["findings"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OpsquadError(f"{path}: not a valid opsquad baseline ({type(exc).__name__})") from None


def apply(findings: list[Finding], baseline: dict[str, str]) -> list[Finding]:
    out = []
    for f in findings:
        if f.suppression is None and f.fingerprint in baseline:
            note = baseline[f.fingerprint] or "accepted earlier"
            f = f.model_copy(update={"suppression": Suppression(kind="baseline", justification=f"baseline: {note}")})
        out.append(f)
    return out


def write(path: Path, findings: list[Finding], previous: dict[str, str] | None = None) -> int:
    """Write every finding (active or not) into the baseline, keeping earlier notes; returns the count."""
    entries: dict[str, dict[str, str]] = {}
    for fp, note in (previous or {}).items():
        entries[fp] = {"fingerprint": fp, "note": note}
    for f in findings:
        loc = f.location
        entries.setdefault(f.fingerprint, {"fingerprint": f.fingerprint, "note": ""}).update(
            rule_id=f.rule_id, path=loc.path if isinstance(loc, FileLocation) else "")
    body = {"version": 1, "findings": sorted(entries.values(), key=lambda e: (e.get("path", ""), e["fingerprint"]))}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return len(entries)
