"""A pull-request review from event to exit status: Request → dispatch → SARIF → publish → gate.

This is the action's one trigger in the house style: the event becomes a ``Request(source="github")`` handled
by ``workflows.dispatch.dispatch`` like a CLI run, so the review, its audit trail and its findings are the
same as ``opsquad review`` on the same range. The SARIF file is written before anything is published, so a
failed API call never loses it, and the exit status comes from ``fail_on``: a read-only token (a pull request
from a fork) only costs the comments, which is said once as a warning; any other API failure (after the
client's retries) is reported, and the CLI exits 2 once the SARIF file and the outputs are written.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsquad.errors import GitError, OpsquadError
from opsquad.findings import Severity
from opsquad.request import Request
from workflows.dispatch import RunResult, dispatch
from workflows.formatters import render
from workflows.github.client import DEFAULT_API_URL, GitHubClient, GitHubError
from workflows.github.event import PullRequestEvent
from workflows.github.publish import Publisher, PublishResult
from workflows.services import Services


@dataclass
class ReviewOptions:
    workspace: Path
    sarif: Path
    fail_on: Severity | None
    api_url: str = DEFAULT_API_URL
    token: str = ""
    publish: bool = True
    inline: bool = True
    max_inline: int = 30
    no_triage: bool = False
    baseline: Path | None = None
    workflow: str = "pr_review"
    client_kwargs: dict[str, Any] | None = None  # retry/backoff knobs (tests use short waits)


@dataclass
class ReviewOutcome:
    result: RunResult
    sarif: Path
    exit_code: int
    published: PublishResult | None = None
    publish_error: str = ""
    publish_fatal: bool = False  # not a permission problem: the CLI exits 2 after writing the outputs


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False)


def ensure_commits(repo: Path, base: str, head: str, log: Callable[[str], None]) -> None:
    """Make base, head and their merge base present: a default (shallow) checkout has only the merge commit."""
    missing = [sha for sha in (base, head) if _git(repo, "cat-file", "-e", f"{sha}^{{commit}}").returncode]
    if missing:
        log(f"fetching {len(missing)} commit(s) missing from the checkout")
        _git(repo, "fetch", "--no-tags", "--quiet", "origin", *missing)
    if _git(repo, "merge-base", base, head).returncode and \
            _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        log("shallow checkout: fetching history to find the merge base")
        _git(repo, "fetch", "--unshallow", "--no-tags", "--quiet", "origin")
    for sha in (base, head):
        if _git(repo, "cat-file", "-e", f"{sha}^{{commit}}").returncode:
            raise GitError(f"commit {sha[:12]} is not in {repo}: check out with actions/checkout and fetch-depth: 0")


def build_request(event: PullRequestEvent, opts: ReviewOptions) -> Request:
    """The review as a ``Request``: the pull request's base..head in the checked-out workspace."""
    options: dict[str, object] = {"no_triage": opts.no_triage,
                                  "github": {"repo": event.repo, "pull_request": event.number}}
    baseline = opts.baseline or opts.workspace / ".opsquad-baseline.json"
    if opts.baseline is not None or baseline.exists():
        options["baseline"] = str(baseline.resolve())
    return Request(workflow=opts.workflow, source="github", run_id=uuid.uuid4().hex[:12], repo=str(opts.workspace),
                   base=event.base_sha, head=event.head_sha, options=options)


def write_sarif(result: RunResult, path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(result.report, "sarif"), encoding="utf-8")
    except OSError as exc:
        raise OpsquadError(f"{path}: cannot write the SARIF file: {exc.strerror}") from None
    return path.resolve()


def publish(result: RunResult, event: PullRequestEvent, opts: ReviewOptions,
            log: Callable[[str], None]) -> PublishResult:
    with GitHubClient(opts.token, opts.api_url, log=log, **(opts.client_kwargs or {})) as client:
        publisher = Publisher(client, event, inline=opts.inline, max_inline=opts.max_inline, log=log)
        return publisher.publish(result.report, opts.fail_on)


def review_pull_request(event: PullRequestEvent, services: Services, opts: ReviewOptions,
                        log: Callable[[str], None] = lambda _m: None) -> ReviewOutcome:
    """Run the review and publish it; ``exit_code`` is 1 when a finding at or above ``fail_on`` remains."""
    if opts.publish and not opts.token:
        raise OpsquadError("no GitHub token: set GITHUB_TOKEN (the action passes its github-token input) "
                           "or pass --no-publish")
    ensure_commits(opts.workspace, event.base_sha, event.head_sha, log)
    request = build_request(event, opts)
    result = dispatch(request, services)
    with services.audit.failed_if_raises(result.run_id):  # no SARIF for the upload step: the review failed
        sarif = write_sarif(result, opts.sarif)
    outcome = ReviewOutcome(result=result, sarif=sarif, exit_code=1 if result.report.fails(opts.fail_on) else 0)
    if not opts.publish:
        return outcome
    try:
        published = publish(result, event, opts, log)
    except GitHubError as exc:
        outcome.publish_fatal = exc.status not in (403, 404)
        hint = " (a pull request from a fork gets a read-only token)" if event.from_fork else ""
        outcome.publish_error = f"could not publish to the pull request{hint}: {exc.line}"
        services.audit.event(result.run_id, "publish", name="github", status="error", detail=outcome.publish_error,
                             args={"repo": event.repo, "pr": event.number})
        return outcome
    outcome.published = published
    services.audit.event(result.run_id, "publish", name="github", status="ok", args={
        "repo": event.repo, "pr": event.number}, result_size=published.inline_posted,
        detail=f"summary {'created' if published.created else 'updated'}, {published.inline_posted} inline "
               f"comment(s), {len(published.plan.new)} new, {len(published.plan.resolved_now)} resolved")
    return outcome


def outputs(outcome: ReviewOutcome) -> dict[str, str]:
    """The action's outputs: SARIF path, counts by severity, run id, and what changed since the last push."""
    counts = outcome.result.report.counts()
    out = {"sarif": str(outcome.sarif), "run-id": outcome.result.run_id, **{k: str(v) for k, v in counts.items()},
           "total": str(sum(counts.values())), "exit-code": str(outcome.exit_code)}
    if outcome.published is not None:
        out.update({"new": str(len(outcome.published.plan.new)),
                    "resolved": str(len(outcome.published.plan.resolved_now)),
                    "summary-url": outcome.published.summary_url})
    return out


def write_github_output(path: Path, values: dict[str, str]) -> None:
    """Append ``key=value`` lines to ``$GITHUB_OUTPUT`` (heredoc form for a value with a newline)."""
    with path.open("a", encoding="utf-8") as fh:
        for key, value in values.items():
            if "\n" in value:
                marker = f"opsquad_{uuid.uuid4().hex}"
                fh.write(f"{key}<<{marker}\n{value}\n{marker}\n")
            else:
                fh.write(f"{key}={value}\n")
