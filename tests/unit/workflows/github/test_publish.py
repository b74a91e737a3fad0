"""The action's review and publishing, end to end against a recording GitHub server on 127.0.0.1.

Real git, real Semgrep, real dispatch; the model is the scripted ``FakeModel`` (triage: true positive; the
MD5 finding gets a fix the rescan verifies). Two pushes: the second fixes one finding, adds one and shifts
every line. Assertions are on what the server received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from opsquad.config import OpsquadConfig
from opsquad.findings import Severity
from tests.support.common import make_services
from tests.support.github.scenario import (
    NUMBER,
    REPO,
    SCHEMA_PATH,
    event_payload,
    make_pr_repo,
    scripted_model,
    second_push,
)
from tests.support.github.server import RecordingGitHub, diff_lines, pr_files
from workflows.github.event import parse_event
from workflows.github.review import ReviewOptions, ReviewOutcome, review_pull_request

ISSUE_COMMENTS = rf"/repos/{REPO}/issues/{NUMBER}/comments"
REVIEWS = rf"/repos/{REPO}/pulls/{NUMBER}/reviews"


@pytest.fixture
def gh() -> Iterator[RecordingGitHub]:
    with RecordingGitHub("test-token") as server:
        yield server


def _run(config: OpsquadConfig, gh: RecordingGitHub, repo: Path, base: str, head: str, tmp: Path,
         **opts: object) -> ReviewOutcome:
    gh.state.set_files(REPO, NUMBER, pr_files(repo, base, head))
    options = ReviewOptions(workspace=repo, sarif=tmp / "out" / "opsquad.sarif", fail_on=Severity.high,
                            api_url=gh.url, token="test-token", client_kwargs={"backoff_s": 0.01})
    for key, value in opts.items():
        setattr(options, key, value)
    return review_pull_request(parse_event(event_payload(base, head)), make_services(config, scripted_model()),
                               options)


def _summaries(gh: RecordingGitHub) -> list[dict]:
    return [c for c in gh.state.issue_comments.get((REPO, NUMBER), []) if "<!-- opsquad:summary -->" in c["body"]]


def _inline(gh: RecordingGitHub) -> list[dict]:
    return [c for c in gh.state.review_comments.get((REPO, NUMBER), []) if "opsquad:finding" in c["body"]]


def _assert_on_added_lines(gh: RecordingGitHub, comments: list[dict]) -> None:
    files = {f["filename"]: diff_lines(f["patch"])[0] for f in gh.state.files[(REPO, NUMBER)]}
    for c in comments:
        span = range(c.get("start_line") or c["line"], c["line"] + 1)
        assert all(n in files[c["path"]] for n in span), f"comment on unchanged line: {c['path']}:{c['line']}"


def test_two_pushes_one_sticky_summary_incremental_inline(config: OpsquadConfig, gh: RecordingGitHub,
                                                          tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    gh.state.fail_next(1, 502)  # the first API call of the run fails: it is retried
    first = _run(config, gh, repo, base, head, tmp_path)

    assert first.exit_code == 1, "high findings fail the gate"
    assert first.published is not None and first.published.created
    assert any(c.status == 502 for c in gh.state.calls) and gh.state.calls[1].status != 502
    inline1 = _inline(gh)
    rules1 = sorted(re.search(r"`([^`]+)`", c["body"]).group(1) for c in inline1)  # type: ignore[union-attr]
    assert len(inline1) == len(first.result.report.active()) == 7, rules1
    _assert_on_added_lines(gh, inline1)
    # one review carried them all, on the head commit
    assert len(gh.state.reviews[(REPO, NUMBER)]) == 1
    assert gh.state.reviews[(REPO, NUMBER)][0]["commit_id"] == head
    # a suggestion exactly where a verified fix exists
    fixed = [f for f in first.result.report.findings if f.fix_patch]
    assert [f.rule_id for f in fixed] == ["python-weak-hash-md5-sha1"]
    suggestions = [c for c in inline1 if "```suggestion" in c["body"]]
    assert len(suggestions) == 1 and "python-weak-hash-md5-sha1" in suggestions[0]["body"]
    assert "hashlib.sha256(name.encode())" in suggestions[0]["body"]
    assert suggestions[0]["line"] == 41 and suggestions[0].get("start_line") is None
    # the planted secret never reaches GitHub
    assert all("tok_live_9f8e7d6c5b4a39281706" not in json.dumps(c.body) for c in gh.state.calls)
    # the SARIF file was written and is valid 2.1.0
    doc = json.loads(first.sarif.read_text())
    errors = list(jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text())).iter_errors(doc))
    assert errors == [] and len(doc["runs"][0]["results"]) == 7

    head2 = second_push(repo)
    gh.state.rate_limit_next(seconds=1)  # a secondary rate limit (429, Retry-After: 1) is waited out
    second = _run(config, gh, repo, base, head2, tmp_path)

    assert second.published is not None and not second.published.created
    assert any(c.status == 429 for c in gh.state.calls)
    summaries = _summaries(gh)
    assert len(summaries) == 1, "the summary is updated in place, never duplicated"
    assert len(gh.state.calls_to("POST", ISSUE_COMMENTS)) == 1
    assert len([c for c in gh.state.calls if c.method == "PATCH" and c.status == 200]) == 1
    inline2 = _inline(gh)[len(inline1):]
    rules2 = sorted(re.search(r"`([^`]+)`", c["body"]).group(1) for c in inline2)  # type: ignore[union-attr]
    assert rules2 == ["python-pickle-deserialization", "sdet.untested-change"], "only new findings are commented"
    assert "load_snapshot" in inline2[1]["body"] or "load_snapshot" in inline2[0]["body"]
    _assert_on_added_lines(gh, inline2)
    body = summaries[0]["body"]
    assert "### Resolved (1)" in body
    resolved = body.split("### Resolved (1)", 1)[1].split("###", 1)[0]
    assert "python-os-command-injection-shell" in resolved
    assert "### New since the last push (2)" in body and "### Still open (6)" in body
    assert second.published.plan.state.runs == 2


def test_dismissed_findings_stay_quiet_and_duplicates_converge(config: OpsquadConfig, gh: RecordingGitHub,
                                                               tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    _run(config, gh, repo, base, head, tmp_path)
    by_rule = {re.search(r"`([^`]+)`", c["body"]).group(1): c for c in _inline(gh)}  # type: ignore[union-attr]
    gh.state.react(by_rule["python-sql-injection-string-built-query"]["id"], "-1")
    gh.state.reply(REPO, NUMBER, by_rule["python-weak-hash-md5-sha1"]["id"], "/opsquad dismiss: not a boundary",
                   login="alice")
    # someone pastes the marker into their own comment, and an interrupted run left a second summary
    gh.state.issue_comments[(REPO, NUMBER)].append(
        {"id": 1, "user": {"login": "mallory", "type": "User"}, "body": "<!-- opsquad:summary --> fake"})
    sticky = _summaries(gh)[0]
    gh.state.issue_comments[(REPO, NUMBER)].append({**sticky, "id": 2})

    again = _run(config, gh, repo, base, head, tmp_path)

    assert again.exit_code == 1, "dismissing silences comments, not the gate"
    assert len(gh.state.reviews[(REPO, NUMBER)]) == 1, "nothing new: no second review"
    bot_summaries = [c for c in _summaries(gh) if c["user"]["type"] == "Bot"]
    assert [c["id"] for c in bot_summaries] == [sticky["id"]], "the duplicate was deleted, the original updated"
    assert any(c["id"] == 1 for c in gh.state.issue_comments[(REPO, NUMBER)]), "another user's comment is untouched"
    body = bot_summaries[0]["body"]
    dismissed = body.split("### Dismissed (2)", 1)[1].split("###", 1)[0]
    assert "python-sql-injection-string-built-query" in dismissed and "@alice" in dismissed and "👎" in dismissed


def test_read_only_token_keeps_sarif_and_gate(config: OpsquadConfig, gh: RecordingGitHub, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    gh.state.read_only_tokens.add("fork-token")
    out = _run(config, gh, repo, base, head, tmp_path, token="fork-token", no_triage=True)
    assert out.exit_code == 1 and out.published is None
    assert "403" in out.publish_error and out.sarif.is_file()
    assert not _summaries(gh)


def test_no_inline_posts_only_the_summary(config: OpsquadConfig, gh: RecordingGitHub, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    out = _run(config, gh, repo, base, head, tmp_path, inline=False, no_triage=True, fail_on=None)
    assert out.exit_code == 0, "fail_on none never fails"
    assert len(_summaries(gh)) == 1 and not _inline(gh)
    assert "gate off" in _summaries(gh)[0]["body"]
