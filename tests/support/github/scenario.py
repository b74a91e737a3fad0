"""The pull request the GitHub tests review: opsquad's example change, then a second push that fixes one
finding, adds one and shifts every line (fingerprints must survive that), and a scripted triage/fix model.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from opsquad.demo import create_example_repo
from opsquad.model.protocol import FakeModel, Message
from tests.support.triage_fakes import triage_answer

REPO = "acme/inventory"
NUMBER = 7
STORE = "inventory/store.py"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json"


def git(repo: Path, *args: str) -> str:
    cmd = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false"]
    return subprocess.run([*cmd, *args], check=True, capture_output=True, text=True).stdout.strip()


def make_pr_repo(path: Path) -> tuple[str, str]:
    """The example repository; returns the (base, head) commit shas of its pull request."""
    create_example_repo(path)
    return git(path, "rev-parse", "base"), git(path, "rev-parse", "head")


def second_push(path: Path) -> str:
    """Fix the shell injection, add a pickle.loads, shift every line by one; returns the new head sha."""
    store = path / STORE
    text = store.read_text()
    text = text.replace("import hashlib\n", "import hashlib\nimport pickle\n", 1)
    text = text.replace('subprocess.run(f"gzip -f {filename}", shell=True, check=True)',
                        'subprocess.run(["gzip", "-f", filename], check=True)')
    text += ('\n\ndef load_snapshot(blob: bytes) -> object:\n'
             '    """Restore a snapshot a client uploaded."""\n'
             '    return pickle.loads(blob)\n')
    store.write_text(text)
    git(path, "commit", "-q", "-am", "second push")
    return git(path, "rev-parse", "HEAD")


def event_payload(base: str, head: str, *, repo: str = REPO, number: int = NUMBER,
                  head_repo: str | None = None) -> dict[str, Any]:
    """A ``pull_request`` event as GitHub sends it (the fields opsquad reads, plus some it ignores)."""
    return {
        "action": "synchronize", "number": number,
        "pull_request": {
            "number": number, "title": "Add search and export", "state": "open",
            "base": {"ref": "main", "sha": base, "repo": {"full_name": repo}},
            "head": {"ref": "feature", "sha": head, "repo": {"full_name": head_repo or repo}},
        },
        "repository": {"full_name": repo, "name": repo.split("/")[1], "owner": {"login": repo.split("/")[0]}},
        "sender": {"login": "octocat", "type": "User"},
    }


def write_event(path: Path, base: str, head: str, **kw: Any) -> Path:
    path.write_text(json.dumps(event_payload(base, head, **kw)))
    return path


def _answer(messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
    """Triage says true positive; the fix for MD5 is SHA-256 (verifiable), every other 'fix' does not parse."""
    if "replacement" not in schema.get("properties", {}):
        return triage_answer(schema, "true_positive", "the value comes from the caller")
    task = messages[-1]["content"]
    flagged = task.split("Flagged lines", 1)[1].split("\n", 1)[1]
    if "hashlib.md5(" in flagged:
        return {"explanation": "use SHA-256", "replacement": [flagged.replace("hashlib.md5(", "hashlib.sha256(")]}
    return {"explanation": "broken", "replacement": ["this is not python ("]}


def scripted_model() -> FakeModel:
    return FakeModel(default=_answer)
