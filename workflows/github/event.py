"""The ``pull_request`` event payload the action reviews (``$GITHUB_EVENT_PATH``), checked before any use.

Every field that ends up in an API path or a git command is validated here (owner/name, a number, hex shas),
so a crafted payload cannot steer a request elsewhere. ``pull_request_target`` is refused outright: it hands
the workflow a write token and secrets while the checkout is the contributor's code, which is exactly the
setup GitHub's security guidance warns against for tools that read or build that code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsquad.errors import OpsquadError

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
SUPPORTED_EVENTS = ("pull_request",)
UNSAFE_EVENTS = ("pull_request_target", "workflow_run")


@dataclass(frozen=True)
class PullRequestEvent:
    """What a review needs from the event: where to publish and which range to review."""

    repo: str  # owner/name of the base repository (where comments go)
    number: int
    base_sha: str
    head_sha: str
    head_repo: str = ""  # owner/name the head branch lives in; differs from ``repo`` for a fork
    title: str = ""

    @property
    def from_fork(self) -> bool:
        return bool(self.head_repo) and self.head_repo.lower() != self.repo.lower()


def check_event_name(name: str | None) -> None:
    """Refuse events that run with write access on untrusted code; ``None`` (run by hand) is allowed."""
    if not name:
        return
    if name in UNSAFE_EVENTS:
        raise OpsquadError(
            f"refusing to run under {name}: it gives this job a write token while reviewing a contributor's "
            "code; trigger the workflow on pull_request instead (see the README's GitHub Action section)")
    if name not in SUPPORTED_EVENTS:
        raise OpsquadError(f"event '{name}' has no pull request to review: run this action on pull_request")


def _field(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise OpsquadError(f"event payload has no {'.'.join(path)}: is this a pull_request event?")
        data = data[key]
    return data


def parse_event(data: Any) -> PullRequestEvent:
    """A ``PullRequestEvent`` from the decoded payload; one-line ``OpsquadError`` naming a bad field."""
    repo = _field(data, "repository", "full_name")
    number = _field(data, "pull_request", "number")
    base = _field(data, "pull_request", "base", "sha")
    head = _field(data, "pull_request", "head", "sha")
    if not isinstance(repo, str) or not _REPO.match(repo):
        raise OpsquadError(f"event payload: repository.full_name {repo!r} is not 'owner/name'")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise OpsquadError(f"event payload: pull_request.number {number!r} is not a positive integer")
    for name, sha in (("base", base), ("head", head)):
        if not isinstance(sha, str) or not _SHA.match(sha):
            raise OpsquadError(f"event payload: pull_request.{name}.sha {sha!r} is not a commit sha")
    head_repo = (((data["pull_request"].get("head") or {}).get("repo") or {}).get("full_name")) or ""
    title = data["pull_request"].get("title") or ""
    return PullRequestEvent(repo=repo, number=number, base_sha=base, head_sha=head,
                            head_repo=head_repo if isinstance(head_repo, str) else "",
                            title=title if isinstance(title, str) else "")


def load_event(path: Path) -> PullRequestEvent:
    """Read and parse the event file; a missing or malformed file is a one-line usage error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsquadError(f"{path}: no such event file (GITHUB_EVENT_PATH)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OpsquadError(f"{path}: not a JSON event payload ({type(exc).__name__})") from None
    return parse_event(data)
