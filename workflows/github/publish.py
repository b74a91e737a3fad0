"""Publish one review to a pull request: read what is there, post what is new, update the sticky summary.

Order of calls, and why:
1. list the issue comments and find opsquad's summary by its hidden marker (only comments by a bot, or by the
   token's own user, count: anyone can paste the marker into a comment of their own);
2. list the review comments: opsquad's inline comments carry the finding key, so a finding is never commented
   twice even if the summary's state was lost, and 👎 reactions or ``/opsquad dismiss`` replies on them are
   the dismissals;
3. list the pull request's files: their patches say which lines were added, the only lines commented on;
4. post the new inline comments as one review (one notification, not one per finding); if GitHub rejects
   the batch (422), post them one by one and skip the ones it refuses;
5. update the summary in place (PATCH), or create it (POST) on the first run; duplicates left by an
   interrupted earlier run are deleted, so the pull request converges on exactly one summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opsquad.findings import Finding, Report, Severity
from workflows.formatters.json_fmt import redacted
from workflows.github import comments
from workflows.github.client import GitHubClient, GitHubError
from workflows.github.diff import commentable, place
from workflows.github.event import PullRequestEvent
from workflows.github.state import SUMMARY_MARKER, Plan, decode, finding_key, key_of, plan


@dataclass
class PublishResult:
    summary_id: int
    summary_url: str
    created: bool
    inline_posted: int
    not_on_changed_lines: int
    over_limit: int
    plan: Plan


class Publisher:
    def __init__(self, client: GitHubClient, event: PullRequestEvent, *, inline: bool = True,
                 max_inline: int = 30, log: Callable[[str], None] = lambda _m: None) -> None:
        self.client, self.event = client, event
        self.inline, self.max_inline, self.log = inline, max_inline, log
        self.pr = f"/repos/{event.repo}/pulls/{event.number}"
        self.issue = f"/repos/{event.repo}/issues/{event.number}"
        self.login = ""

    def _whoami(self) -> None:
        """The token's own login when GitHub tells it (a personal token); an Actions token gets 403 here."""
        resp = self.client.request("GET", "/user", ok=(401, 403, 404))
        data = resp.json() if resp.status_code == 200 else {}
        self.login = str(data.get("login", "")) if isinstance(data, dict) else ""

    def _trusted(self, comment: dict[str, Any]) -> bool:
        user = comment.get("user") or {}
        return user.get("type") == "Bot" or (bool(self.login) and user.get("login") == self.login)

    def _inline_state(self) -> tuple[set[str], dict[str, str]]:
        """(keys opsquad already commented inline, key -> who dismissed it)."""
        review_comments = self.client.paginate(f"{self.pr}/comments")
        ours: dict[int, str] = {}
        for c in review_comments:
            key = finding_key(str(c.get("body", "")))
            if key and self._trusted(c):
                ours[int(c["id"])] = key
        dismissed: dict[str, str] = {}
        for c in review_comments:
            cid, parent = int(c.get("id", 0)), c.get("in_reply_to_id")
            if cid in ours and int((c.get("reactions") or {}).get("-1", 0) or 0) > 0:
                dismissed.setdefault(ours[cid], "👎")
            if parent in ours and str(c.get("body", "")).strip().lower().startswith("/opsquad dismiss"):
                dismissed[ours[parent]] = "@" + str((c.get("user") or {}).get("login", "?"))
        return set(ours.values()), dismissed

    def _post_inline(self, batch: list[dict[str, Any]], report: Report) -> int:
        try:
            self.client.post(f"{self.pr}/reviews", {"commit_id": self.event.head_sha, "event": "COMMENT",
                                                    "body": comments.review_body(len(batch), report),
                                                    "comments": batch})
            return len(batch)
        except GitHubError as exc:
            if exc.status != 422:
                raise
            self.log(f"GitHub refused the review as a whole ({exc.line}); posting comments one by one")
        posted = 0
        for c in batch:
            try:
                self.client.post(f"{self.pr}/comments", {"commit_id": self.event.head_sha, **c})
                posted += 1
            except GitHubError as exc:
                if exc.status != 422:
                    raise
                self.log(f"skipped the inline comment on {c['path']}:{c['line']}: {exc.line}")
        return posted

    def _inline(self, report: Report, new: list[Finding], commented: set[str]) -> tuple[int, int, int]:
        """Post inline comments for ``new``; returns (posted, not on changed lines, over the limit)."""
        todo = {key_of(f) for f in new if key_of(f) not in commented}
        if not (self.inline and todo):
            return 0, 0, 0
        added = commentable(self.client.paginate(f"{self.pr}/files"))
        clean = redacted(report)
        batch: list[dict[str, Any]] = []
        off_diff = over = 0
        pairs = sorted(zip(report.findings, clean.findings, strict=True), key=lambda p: -p[0].severity.rank)
        for orig, f in pairs:
            if key_of(orig) not in todo:
                continue
            # A patch that held a secret was changed by redaction: suggesting it would commit the mask.
            fix = f.fix_patch if f.fix_patch and f.fix_patch == orig.fix_patch else None
            where = place(f, added, fix)
            if where is None:
                off_diff += 1
            elif len(batch) >= self.max_inline:
                over += 1
            else:
                batch.append({**where.api_fields(), "body": comments.inline(f, where.suggestion, fix)})
        return (self._post_inline(batch, report) if batch else 0), off_diff, over

    def publish(self, report: Report, fail_on: Severity | None) -> PublishResult:
        self._whoami()
        issue_comments = self.client.paginate(f"{self.issue}/comments")
        stickies = [c for c in issue_comments if SUMMARY_MARKER in str(c.get("body", "")) and self._trusted(c)]
        prev = decode(str(stickies[0].get("body", ""))) if stickies else None
        commented, dismissed = self._inline_state()
        todo = plan(prev, report.findings, dismissed, self.event.head_sha)
        posted, off_diff, over = self._inline(report, todo.new, commented)
        body = comments.summary(report, todo, fail_on, self.event.base_sha, self.event.head_sha, posted)
        if stickies:
            sticky = self.client.patch(f"/repos/{self.event.repo}/issues/comments/{stickies[0]['id']}",
                                       {"body": body})
            for extra in stickies[1:]:
                self.client.delete(f"/repos/{self.event.repo}/issues/comments/{extra['id']}")
        else:
            sticky = self.client.post(f"{self.issue}/comments", {"body": body})
        return PublishResult(summary_id=int(sticky.get("id", 0)), summary_url=str(sticky.get("html_url", "")),
                             created=not stickies, inline_posted=posted, not_on_changed_lines=off_diff,
                             over_limit=over, plan=todo)
