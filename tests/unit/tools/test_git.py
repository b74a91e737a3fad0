"""The git helpers and the read-only git/read_file tools, against small real repositories in tmp_path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from opsquad.config import OpsquadConfig
from opsquad.errors import GitError
from tools.base import ToolContext, ToolStatus
from tools.git import (
    GitParams,
    GitTool,
    changed_files,
    changed_lines,
    checkout_tree,
    diff_text,
    read_at,
    repo_root,
    resolve_ref,
)
from tools.read_file import ReadFileParams, ReadFileTool


def git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: app.py, keep.py, old.py, logo.bin; feature: edits app.py, adds new.py, deletes old.py."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "app.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    (r / "keep.py").write_text("x = 1\n")
    (r / "old.py").write_text("gone = True\n")
    (r / "logo.bin").write_bytes(b"\x89PNG\x00\x01\x02")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "base")
    git(r, "checkout", "-q", "-b", "feature")
    (r / "app.py").write_text("a = 1\nb = 20\nc = 3\nd = 4\ne = 5\n")
    (r / "new.py").write_text("import os\nprint(os.getcwd())\n")
    (r / "old.py").unlink()
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "feature")
    return r


def test_repo_root_and_resolve_ref(repo: Path) -> None:
    (repo / "sub").mkdir()
    assert repo_root(repo / "sub").resolve() == repo.resolve()
    assert resolve_ref(repo, "feature") == git(repo, "rev-parse", "HEAD")
    assert len(resolve_ref(repo, "main")) == 40


def test_changed_files_excludes_deleted(repo: Path) -> None:
    assert changed_files(repo, "main", "feature") == ["app.py", "new.py"]


def test_changed_files_uses_merge_base(repo: Path) -> None:
    """Commits added to main after the branch point are not part of the PR's change."""
    git(repo, "checkout", "-q", "main")
    (repo / "keep.py").write_text("x = 2\n")
    git(repo, "commit", "-q", "-am", "main moves on")
    assert changed_files(repo, "main", "feature") == ["app.py", "new.py"]


def test_changed_lines_are_new_side_numbers(repo: Path) -> None:
    lines = changed_lines(repo, "main", "feature")
    assert lines == {"app.py": {2, 5}, "new.py": {1, 2}}


def test_changed_lines_odd_file_names(repo: Path) -> None:
    """Spaces, non-ASCII names and a '+++'-looking added line must not confuse the diff parser."""
    (repo / "my file.py").write_text("v = 1\n")
    (repo / "café.py").write_text("++ not a header\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "odd names")
    lines = changed_lines(repo, "main", "HEAD")
    assert lines["my file.py"] == {1}
    assert lines["café.py"] == {1}
    assert set(lines) == {"app.py", "new.py", "my file.py", "café.py"}


def test_diff_text_and_truncation(repo: Path) -> None:
    text = diff_text(repo, "main", "feature", path="app.py")
    assert "+b = 20" in text and "new.py" not in text
    cut = diff_text(repo, "main", "feature", max_bytes=40)
    assert cut.endswith("bytes]\n") and "truncated" in cut


def test_read_at_text_binary_and_missing(repo: Path) -> None:
    assert read_at(repo, "main", "app.py") == "a = 1\nb = 2\nc = 3\nd = 4\n"
    assert read_at(repo, "feature", "app.py", max_bytes=6) == "a = 1\n"
    assert read_at(repo, "main", "logo.bin") is None
    with pytest.raises(GitError, match="old.py"):
        read_at(repo, "feature", "old.py")


def test_checkout_tree_materializes_head_without_touching_worktree(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / ".gitattributes").write_text("hidden.py export-ignore\n")
    (repo / "hidden.py").write_text("secret = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hide a file from git archive")
    dest = checkout_tree(repo, "feature", tmp_path / "tree")
    assert (dest / "app.py").read_text().endswith("e = 5\n")
    assert (dest / "new.py").exists() and not (dest / "old.py").exists()
    assert not (dest / "hidden.py").exists()  # hidden.py is only on main
    dest2 = checkout_tree(repo, "main", tmp_path / "tree2")
    assert (dest2 / "hidden.py").read_text() == "secret = 1\n"  # export-ignore cannot hide files
    assert (repo / "app.py").read_text() == "a = 1\nb = 2\nc = 3\nd = 4\n"  # working tree untouched


def test_git_errors_are_one_line_and_name_the_problem(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        repo_root(plain)
    with pytest.raises(GitError, match="not a git repository"):
        changed_files(plain, "main", "HEAD")
    with pytest.raises(GitError, match="no-such-branch") as info:
        changed_files(repo, "no-such-branch", "feature")
    assert "\n" not in str(info.value)
    with pytest.raises(GitError, match="v9.9"):
        checkout_tree(repo, "v9.9", tmp_path / "x")


def ctx(repo: Path, base: str | None = None, head: str | None = None) -> ToolContext:
    # model_construct: these tools only read config.tools, so skip the cross-reference validation
    return ToolContext(config=OpsquadConfig.model_construct(), repo=repo, base=base, head=head)


def test_git_tool(repo: Path) -> None:
    tool = GitTool()
    res = tool.run(GitParams(action="changed_files"), ctx(repo, base="main", head="feature"))
    assert res.status == ToolStatus.ok and res.data["files"] == ["app.py", "new.py"]
    res = tool.run(GitParams(action="diff", path="app.py"), ctx(repo, base="main", head="feature"))
    assert res.status == ToolStatus.ok and "+e = 5" in res.data["diff"]
    res = tool.run(GitParams(action="diff"), ctx(repo, base="nope", head="feature"))
    assert res.status == ToolStatus.error and "nope" in (res.error or "")
    assert tool.run(GitParams(action="diff"), ctx(repo)).status == ToolStatus.no_data


def test_read_file_tool(repo: Path) -> None:
    tool = ReadFileTool()
    res = tool.run(ReadFileParams(path="app.py", start_line=2, end_line=3), ctx(repo))
    assert res.status == ToolStatus.ok
    assert res.data["text"] == "2| b = 20\n3| c = 3"
    assert tool.run(ReadFileParams(path="../outside.txt"), ctx(repo)).status == ToolStatus.denied
    assert tool.run(ReadFileParams(path="/etc/passwd"), ctx(repo)).status == ToolStatus.denied
    binary = tool.run(ReadFileParams(path="logo.bin"), ctx(repo))
    assert binary.status == ToolStatus.error and binary.error == "binary file"
    assert tool.run(ReadFileParams(path="missing.py"), ctx(repo)).status == ToolStatus.no_data


def test_read_file_symlink_escape_and_line_cap(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret\n")
    (repo / "link.txt").symlink_to(tmp_path / "secret.txt")
    tool = ReadFileTool()
    assert tool.run(ReadFileParams(path="link.txt"), ctx(repo)).status == ToolStatus.denied
    (repo / "long.py").write_text("".join(f"x{i} = {i}\n" for i in range(1, 1001)))
    res = tool.run(ReadFileParams(path="long.py", start_line=10, end_line=900), ctx(repo))
    assert res.data["end_line"] == 209 and res.data["truncated"] is True
