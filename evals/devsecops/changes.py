"""``opsquad eval changes``: review real changes — release pairs of real Flask applications and extensions.

Each pair is two PyPI source distributions of the same project (sha256-pinned, cached under
``~/.cache/opsquad/evals/changes``), committed one after the other into a scratch git repository and reviewed
as the GitHub Action reviews a pull request (``pr_review``: DevSecOps and SDET). The count that matters is of
findings a senior reviewer dismisses at sight, judged here by rules of its own (not by opsquad's conventions
module, so the eval does not grade itself):

- ``test-code-high``: a high or critical finding in test code that is not a credential recognizable by format;
- ``built-or-vendored``: a finding in a minified, content-hashed or vendored file;
- ``migration-untested``: "changed function has no test" on a schema migration.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsquad.errors import OpsquadError
from opsquad.findings import FileLocation, Finding

CACHE = Path.home() / ".cache" / "opsquad" / "evals" / "changes"
# (project, base version, base sdist sha256, head version, head sdist sha256)
PAIRS: list[tuple[str, str, str, str, str]] = [
    ("flaskbb", "3.0.0rc4", "2ac7481544db1a42f516bf1af56a44af56f0bb126f7bf87fd4698a9fadf2e604",
     "3.0.0rc5", "7518b6fdc31f4308084a73b6da571dcaaf474facb726b679c2b54cc8f3e52e91"),
    ("flask-admin", "2.2.0", "4a5b844789c10076da89320563600a7addf781e73ab315ae800521b3ec018509",
     "2.2.1", "08b4b6b63d2100598add70c1dc9a695f484e3c16c894c09ac70af26acb26a87d"),
    ("Flask-Security-Too", "5.9.1", "3e4eed39037061efaec370705d81687d30e5a26641944bc08d3524db9ba505e8",
     "5.9.2", "614ed26d2d417d19e0831afb9ac242f2d93d35c157e64aad3d0091e309c507fb"),
    ("Flask-AppBuilder", "5.2.3", "e9f5997b74e704289dd0421a3477a1a05019ccf6f69239cac364a22a08c913ab",
     "5.3.0", "baf645c3c150471c6660049cdb61a1e79f318b63524531f890d42f406f5d5596"),
]
KINDS = ("test-code-high", "built-or-vendored", "migration-untested")
_TEST = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")
_VENDORED = re.compile(r"(^|/)(node_modules|vendor|vendored|third_party|bower_components)/|\.min\.(js|css)$")
_HASHED = re.compile(r"[.-](?=[0-9A-Za-z_]*\d)[0-9A-Za-z_]{8,}\.(js|css)$")
_MIGRATION = re.compile(r"(^|/)(migrations|alembic)/")
_CREDENTIAL_FORMAT = {"aws-access-key-id", "aws-secret-access-key", "private-key-block", "gcp-service-account-key",
                      "google-api-key", "github-token", "slack-token", "slack-webhook-url", "stripe-live-secret-key"}


@dataclass
class PairResult:
    name: str
    changed_py_lines: int
    seconds: float
    active: int = 0
    dismissed: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    not_checked: list[str] = field(default_factory=list)
    error: str | None = None


def sdist(project: str, version: str, sha256: str) -> Path:
    """The sdist, downloaded once from PyPI (its JSON API names the file) and checked against the pin."""
    folder = CACHE / "sdist"
    folder.mkdir(parents=True, exist_ok=True)
    for cached in folder.glob(f"*-{version}.tar.gz"):
        if hashlib.sha256(cached.read_bytes()).hexdigest() == sha256:
            return cached
    index = f"https://pypi.org/pypi/{project}/json"
    with urllib.request.urlopen(index, timeout=60) as resp:  # noqa: S310 - a fixed https URL
        meta = json.load(resp)
    files = [f for f in meta["releases"].get(version, []) if f["packagetype"] == "sdist"]
    if not files or files[0]["digests"]["sha256"] != sha256:
        raise OpsquadError(f"{project} {version}: no sdist with the pinned sha256 on PyPI")
    with urllib.request.urlopen(urllib.parse.urljoin(index, files[0]["url"]), timeout=300) as resp:  # noqa: S310
        data = resp.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OpsquadError(f"{project} {version}: downloaded sdist does not match its sha256")
    path = folder / files[0]["filename"]
    path.write_bytes(data)
    return path


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=eval", "-c", "user.email=eval@invalid", *args],
                          check=True, capture_output=True, text=True).stdout


def pair_repo(dest: Path, base: Path, head: Path) -> tuple[str, str]:
    """A git repository whose two commits are the two releases; returns (base sha, head sha)."""
    dest.mkdir(parents=True)
    _git(dest, "init", "-q")
    shas = []
    for archive in (base, head):
        for child in dest.iterdir():
            if child.name != ".git":
                subprocess.run(["rm", "-rf", str(child)], check=True)
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
            [top] = list(Path(tmp).iterdir())
            subprocess.run(["cp", "-a", f"{top}/.", str(dest)], check=True)
        _git(dest, "add", "-A")
        _git(dest, "commit", "-qm", archive.name, "--allow-empty")
        shas.append(_git(dest, "rev-parse", "HEAD").strip())
    return shas[0], shas[1]


def dismissed_kind(f: Finding, repo: Path) -> str | None:
    """Which dismiss-at-sight kind an active finding is, if any (see the module docstring)."""
    if not isinstance(f.location, FileLocation):
        return None
    path = f.location.path
    if f.rule_id == "sdet.untested-change":
        head = _head(repo / path)
        return "migration-untested" if _MIGRATION.search(path) or "from alembic import op" in head else None
    if _VENDORED.search(path) or _HASHED.search(path.rsplit("/", 1)[-1]) or _minified(repo / path):
        return "built-or-vendored"
    if _TEST.search(path) and f.severity.value in ("high", "critical") and f.rule_id not in _CREDENTIAL_FORMAT:
        return "test-code-high"
    return None


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return ""


def _minified(path: Path) -> bool:
    return path.suffix in (".js", ".css", ".mjs") and any(len(line) > 500 for line in _head(path).splitlines())


def review_pair(pair: tuple[str, str, str, str, str], triage: bool,
                review: Callable[[Path, str, str, bool], Any]) -> PairResult:
    """Build the pair's repository and review it; ``review(repo, base, head, triage)`` returns the Report."""
    project, v1, sha1, v2, sha2 = pair
    name = f"{project} {v1}..{v2}"
    with tempfile.TemporaryDirectory(prefix="opsquad-changes-") as tmp:
        repo = Path(tmp) / "repo"
        base, head = pair_repo(repo, sdist(project, v1, sha1), sdist(project, v2, sha2))
        stat = _git(repo, "diff", "--numstat", base, head, "--", "*.py")
        lines = sum(int(a) + int(d) for a, d, _ in (row.split("\t", 2) for row in stat.splitlines())
                    if a.isdigit() and d.isdigit())
        started = time.monotonic()
        report = review(repo, base, head, triage)
        result = PairResult(name, lines, round(time.monotonic() - started, 1))
        for f in report.findings:
            if f.suppressed:
                continue
            result.active += 1
            kind = dismissed_kind(f, repo)
            if kind is not None and isinstance(f.location, FileLocation):
                result.dismissed[kind].append(f"{f.rule_id} {f.location.path}:{f.location.start_line}")
        result.not_checked = [x for n in report.notes for x in n.not_checked]
    return result


def format_table(rows: list[PairResult], triage: bool) -> str:
    head = f"{'release pair':<36} {'py lines':>8} {'active':>6} " + " ".join(f"{k:>18}" for k in KINDS) + \
        f" {'time':>7}"
    lines = [f"opsquad eval changes: real release pairs reviewed as pull requests (triage {'on' if triage else 'off'})",
             "", head, "-" * len(head)]
    for r in rows:
        if r.error:
            lines.append(f"{r.name:<36} error: {r.error}")
            continue
        counts = " ".join(f"{len(r.dismissed[k]):>18}" for k in KINDS)
        lines.append(f"{r.name:<36} {r.changed_py_lines:>8} {r.active:>6} {counts} {r.seconds:>6.1f}s")
    total = sum(len(v) for r in rows for v in r.dismissed.values())
    lines += ["", f"dismiss-at-sight findings: {total} (kinds: {', '.join(KINDS)})"]
    lines += [f"  {r.name}: {item}" for r in rows for k in KINDS for item in r.dismissed[k]]
    return "\n".join(lines)
