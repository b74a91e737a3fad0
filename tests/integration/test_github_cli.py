"""``opsquad github review|cache-key`` as the action runs them: environment in, outputs and exit status out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsquad.audit import AuditLog
from tests.support.common import REPO_ROOT
from tests.support.github.scenario import NUMBER, REPO, make_pr_repo, write_event
from tests.support.github.server import RecordingGitHub, pr_files


@pytest.fixture
def gh() -> Iterator[RecordingGitHub]:
    with RecordingGitHub("cli-token") as server:
        yield server


def _env(gh: RecordingGitHub, repo: Path, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(GITHUB_API_URL=gh.url, GITHUB_TOKEN="cli-token", GITHUB_EVENT_NAME="pull_request",
               GITHUB_EVENT_PATH=str(tmp / "event.json"), GITHUB_WORKSPACE=str(repo),
               GITHUB_OUTPUT=str(tmp / "output.txt"), GITHUB_STEP_SUMMARY=str(tmp / "summary.md"))
    env.update(extra)
    return env


def _cli(env: dict[str, str], *args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "opsquad.cli.main", "github", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_review_from_the_environment(gh: RecordingGitHub, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    write_event(tmp_path / "event.json", base, head)
    gh.state.set_files(REPO, NUMBER, pr_files(repo, base, head))
    res = _cli(_env(gh, repo, tmp_path), "review", "--no-triage", cwd=repo)
    assert res.returncode == 1, res.stderr
    assert "at or above fail_on 'high': failing the job" in res.stderr
    out = _outputs(tmp_path / "output.txt")
    assert out["sarif"] == str(repo / "opsquad.sarif") and Path(out["sarif"]).is_file()
    assert (out["critical"], out["high"], out["medium"], out["low"], out["info"]) == ("0", "3", "1", "3", "0")
    assert len(out["run-id"]) == 12 and out["new"] == "7" and out["resolved"] == "0"
    assert json.loads(Path(out["sarif"]).read_text())["runs"][0]["automationDetails"]["id"].endswith(out["run-id"])
    assert "## opsquad review" in (tmp_path / "summary.md").read_text()
    summaries = gh.state.issue_comments[(REPO, NUMBER)]
    assert len(summaries) == 1 and out["summary-url"] == summaries[0]["html_url"]
    # the same run is in the audit trail, with its source and the publishing step
    env = _env(gh, repo, tmp_path)
    shown = subprocess.run([sys.executable, "-m", "opsquad.cli.main", "runs", "show", out["run-id"]],
                           capture_output=True, text=True, env=env, cwd=repo)
    assert shown.returncode == 0 and "publish" in shown.stdout + shown.stderr


def test_fail_on_input_and_agents_override(gh: RecordingGitHub, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    write_event(tmp_path / "event.json", base, head)
    gh.state.set_files(REPO, NUMBER, pr_files(repo, base, head))
    res = _cli(_env(gh, repo, tmp_path), "review", "--no-triage", "--fail-on", "critical", "--agents", "sdet",
               "--no-inline", "--sarif", str(tmp_path / "x.sarif"), cwd=repo)
    assert res.returncode == 0, res.stderr
    out = _outputs(tmp_path / "output.txt")
    assert out["high"] == "0" and out["low"] == "3", "only the sdet agent ran"
    assert not gh.state.review_comments.get((REPO, NUMBER))


def test_api_failure_exits_2_after_writing_sarif_and_outputs(gh: RecordingGitHub, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    write_event(tmp_path / "event.json", base, head)
    res = _cli(_env(gh, repo, tmp_path, GITHUB_TOKEN="revoked"), "review", "--no-triage", cwd=repo)
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("opsquad: error: could not publish to the pull request")
    assert "401 Bad credentials" in res.stderr and "Traceback" not in res.stderr
    assert Path(_outputs(tmp_path / "output.txt")["sarif"]).is_file()
    runs = AuditLog(Path(os.environ["OPSQUAD_STATE_DIR"]) / "audit.sqlite").runs()  # exit 2: the run failed
    assert runs[0]["status"] == "failed" and runs[0]["summary"].startswith("could not publish to the pull request")


@pytest.mark.parametrize(("name", "expected"), [
    ("pull_request_target", "refusing to run under pull_request_target"),
    ("workflow_run", "refusing to run under workflow_run"),
    ("push", "event 'push' has no pull request"),
])
def test_unsafe_or_wrong_events_are_refused_before_any_call(gh: RecordingGitHub, tmp_path: Path, name: str,
                                                            expected: str) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    write_event(tmp_path / "event.json", base, head)
    res = _cli(_env(gh, repo, tmp_path, GITHUB_EVENT_NAME=name), "review", cwd=repo)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], res.stderr
    assert gh.state.calls == [], "nothing was published"


@pytest.mark.parametrize(("event", "drop", "args", "expected"), [
    ("{not json", None, [], "not a JSON event payload"),
    ('{"repository": {"full_name": "a/b"}}', None, [], "event payload has no pull_request.number"),
    (None, "GITHUB_TOKEN", [], "no GitHub token"),
    (None, None, ["--fail-on", "severe"], "--fail-on must be one of"),
    (None, None, ["--agents", "ghost"], "unknown agent 'ghost'"),
    (None, None, ["--model", "ghost"], "unknown model alias 'ghost'"),
])
def test_usage_errors_are_one_line_exit_2(gh: RecordingGitHub, tmp_path: Path, event: str | None,
                                          drop: str | None, args: list[str], expected: str) -> None:
    repo = tmp_path / "repo"
    base, head = make_pr_repo(repo)
    write_event(tmp_path / "event.json", base, head)
    if event is not None:
        (tmp_path / "event.json").write_text(event)
    env = _env(gh, repo, tmp_path)
    if drop:
        env.pop(drop)
    res = _cli(env, "review", "--no-triage", *args, cwd=repo)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert expected in lines[-1] and "Traceback" not in res.stderr, res.stderr
    assert len([ln for ln in lines if ln.startswith("opsquad: error")]) == 1


def test_cache_key_names_the_model_sha256(tmp_path: Path) -> None:
    env = {**os.environ, "GITHUB_OUTPUT": str(tmp_path / "o.txt"), "OPSQUAD_MODEL_CACHE": str(tmp_path / "m")}
    res = subprocess.run([sys.executable, "-m", "opsquad.cli.main", "github", "cache-key", "--config",
                          str(REPO_ROOT / "agents.yaml")], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    out = _outputs(tmp_path / "o.txt")
    assert out["model"] == "coder"
    assert out["model-sha256"] == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert out["model-dir"] == str(tmp_path / "m") and len(out["rules-key"]) == 24
