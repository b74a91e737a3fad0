"""Deterministic git helpers for agents, plus a read-only ``git`` tool for the model.

Agents call the helpers directly (what changed in a PR, which lines, the file as of head) so the facts a
review rests on never depend on the model. Everything shells out to ``git -C repo`` without a shell and
with ``LC_ALL=C`` so error text is stable enough to recognise; every failure becomes a one-line
``GitError`` that names what was wrong (the path, the ref) instead of a git traceback.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsquad.errors import GitError
from tools.base import ToolContext, ToolResult

_BINARY_SNIFF = 8000  # git's own heuristic: a NUL in the first 8000 bytes means binary
_TIMEOUT_S = 120.0


def _git(
    repo: Path | str, *args: str, ok_codes: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command in ``repo`` and return it; turn every failure into a one-line GitError."""
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True, env=env, timeout=_TIMEOUT_S, check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {_TIMEOUT_S:.0f}s in {repo}") from exc
    if proc.returncode not in ok_codes:
        raise GitError(_explain(repo, args, proc.stderr))
    return proc


def _explain(repo: Path | str, args: tuple[str, ...], stderr: bytes) -> str:
    """One line for a failed git command: recognise the common causes, else git's own first line."""
    text = stderr.decode("utf-8", "replace").strip()
    if "cannot change to" in text:
        return f"{repo} does not exist or is not a directory"
    if "not a git repository" in text:
        return f"{repo} is not a git repository"
    if "no merge base" in text:
        return f"no merge base for {args[-1]} in {repo} (unrelated histories?)"
    first = text.splitlines()[0] if text else "failed with no message"
    return f"git {args[0]} failed in {repo}: {first.removeprefix('fatal: ')}"


def repo_root(path: Path | str) -> Path:
    """The top-level directory of the repository that contains ``path``."""
    p = Path(path)
    if not p.exists():
        raise GitError(f"{p} does not exist")
    start = p if p.is_dir() else p.parent
    out = _git(start, "rev-parse", "--show-toplevel").stdout.decode("utf-8", "replace").strip()
    if not out:  # inside .git or a bare repository: there is no working tree to review
        raise GitError(f"{p} is not inside a git working tree")
    return Path(out)


def resolve_ref(repo: Path | str, ref: str) -> str:
    """The full commit sha for ``ref``; a GitError naming the ref if it does not exist."""
    if not ref or ref.startswith("-"):
        raise GitError(f"invalid git ref {ref!r}")
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", ok_codes=(0, 1))
    sha = proc.stdout.decode().strip()
    if proc.returncode != 0 or not sha:
        raise GitError(f"unknown git ref {ref!r} in {repo}")
    return sha


def _range(repo: Path | str, base: str, head: str) -> str:
    """``base...head`` (diff from the merge base, as a pull request shows it), refs checked first."""
    return f"{resolve_ref(repo, base)}...{resolve_ref(repo, head)}"


def changed_files(repo: Path | str, base: str, head: str = "HEAD") -> list[str]:
    """Files added, modified or renamed on ``head`` since it left ``base`` (deleted files are gone)."""
    out = _git(repo, "diff", "--name-only", "-z", "--diff-filter=AMR", _range(repo, base, head))
    return sorted({name for name in out.stdout.decode("utf-8", "replace").split("\0") if name})


def changed_lines(repo: Path | str, base: str, head: str = "HEAD") -> dict[str, set[int]]:
    """New-side line numbers of every added or changed line, per file, parsed from ``git diff -U0``.

    Used to keep findings to what a PR touched. A file whose diff only deletes lines maps to an empty set.
    """
    out = _git(
        repo, "-c", "core.quotePath=false", "diff", "-U0", "--no-color", "--no-ext-diff", "--diff-filter=AMR",
        "--src-prefix=a/", "--dst-prefix=b/", _range(repo, base, head),
    ).stdout.decode("utf-8", "replace")
    result: dict[str, set[int]] = {}
    current: set[int] | None = None
    in_header = False  # "+++ " is a file header only between "diff --git" and the first hunk
    for line in out.split("\n"):
        if line.startswith("diff --git "):
            in_header, current = True, None
        elif in_header and line.startswith("+++ "):
            target = line[4:].rstrip("\t")  # git appends a tab to names that contain spaces
            if target != "/dev/null":
                current = result.setdefault(_unquote(target).removeprefix("b/"), set())
        elif line.startswith("@@ "):
            in_header = False
            if current is not None:
                start, count = _new_side(line)
                current.update(range(start, start + count))
    return result


def _new_side(hunk: str) -> tuple[int, int]:
    """``@@ -a,b +c,d @@`` → (c, d); d defaults to 1 when git omits it."""
    plus = hunk.split(" ")[2]  # "+c,d" or "+c"
    start, _, count = plus[1:].partition(",")
    return int(start), int(count) if count else 1


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual file names (``"b/caf\\303\\251.py"``)."""
    if not (len(name) >= 2 and name[0] == name[-1] == '"'):
        return name
    raw = name[1:-1]
    out = bytearray()
    simple = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            octal = raw[i + 1:i + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                out.append(int(octal, 8) & 0xFF)
                i += 4
                continue
            if nxt in simple:
                out.append(simple[nxt])
            else:
                out.extend(nxt.encode())
            i += 2
            continue
        out.extend(ch.encode())
        i += 1
    return out.decode("utf-8", "replace")


def diff_text(
    repo: Path | str, base: str, head: str = "HEAD", path: str | None = None, max_bytes: int = 200_000
) -> str:
    """The unified diff ``base...head`` (optionally one path), cut at ``max_bytes`` with a marker line."""
    args = ["diff", "--no-color", "--no-ext-diff", _range(repo, base, head)]
    if path:
        args += ["--", path]
    raw = _git(repo, *args).stdout
    if len(raw) <= max_bytes:
        return raw.decode("utf-8", "replace")
    cut = raw[:max_bytes].decode("utf-8", "ignore")
    return f"{cut}\n... [diff truncated at {max_bytes} of {len(raw)} bytes]\n"


def read_at(repo: Path | str, ref: str, path: str, max_bytes: int = 200_000) -> str | None:
    """The file ``path`` as of ``ref`` (utf-8, bad bytes replaced, cut at ``max_bytes``); None if binary."""
    sha = resolve_ref(repo, ref)
    rel = path.replace("\\", "/").removeprefix("./")
    proc = _git(repo, "cat-file", "blob", f"{sha}:{rel}", ok_codes=(0, 128))
    if proc.returncode != 0:
        raise GitError(f"{rel} does not exist at {ref} in {repo}")
    data = proc.stdout
    if b"\0" in data[:_BINARY_SNIFF]:
        return None
    return data[:max_bytes].decode("utf-8", "replace")


def gitattributes(repo: Path | str, ref: str) -> str:
    """The top-level ``.gitattributes`` as of ``ref``, or "" when there is none."""
    try:
        return read_at(repo, ref, ".gitattributes") or ""
    except GitError:
        return ""


def checkout_tree(repo: Path | str, ref: str, dest: Path | str, paths: list[str] | None = None) -> Path:
    """Write the tree at ``ref`` (or only ``paths`` of it) into ``dest``, leaving the user's checkout alone.

    A diff-aware scan passes the changed paths: materializing a large tree costs more than scanning one file.

    Streams ``git archive`` into ``tarfile``; members that would escape ``dest`` (absolute or ``..``
    symlinks) are skipped rather than failing the run. Files a ``.gitattributes`` marks ``export-ignore``
    are written afterwards from the object store, so a PR cannot hide a file from the scan that way.
    """
    sha = resolve_ref(repo, ref)
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LC_ALL": "C"}
    try:
        proc = subprocess.Popen(
            ["git", "-C", str(repo), "archive", "--format=tar", sha, *(["--", *paths] if paths else [])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    assert proc.stdout is not None and proc.stderr is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(out, filter=_safe_member)
    except tarfile.TarError as exc:
        proc.kill()
        raise GitError(f"could not unpack {ref} from {repo}: {exc}") from exc
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        proc.wait()
    if proc.returncode != 0:
        raise GitError(_explain(repo, ("archive", ref), err))
    _restore_export_ignored(repo, sha, out, paths)
    return out


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def list_files(repo: Path | str, ref: str) -> list[str]:
    """Every file path in the tree at ``ref`` (repository-relative)."""
    out = _git(repo, "ls-tree", "-r", "-z", "--name-only", "--full-tree", ref).stdout.decode("utf-8", "replace")
    return [name for name in out.split("\0") if name]


def _restore_export_ignored(repo: Path | str, sha: str, dest: Path, paths: list[str] | None = None) -> None:
    """Write regular files listed by ``ls-tree`` that ``git archive`` left out (export-ignore)."""
    spec = ["--", *paths] if paths else []
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", sha, *spec).stdout.decode("utf-8", "replace")
    for entry in filter(None, listing.split("\0")):
        meta, _, name = entry.partition("\t")
        mode, kind, blob = meta.split(" ")
        target = dest / name
        if kind != "blob" or mode == "120000" or target.exists() or target.is_symlink():
            continue
        if ".." in Path(name).parts or Path(name).is_absolute():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(repo, "cat-file", "blob", blob).stdout)


class GitParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["changed_files", "diff"] = Field(
        description="changed_files: list the files changed between base and head; diff: the unified diff."
    )
    path: str | None = Field(
        default=None, description="For diff: one repository-relative file to diff; omit for the whole change."
    )


class GitTool:
    """Read-only view of the change under review, so the model can ask what changed and see the diff."""

    name: ClassVar[str] = "git"
    description: ClassVar[str] = (
        "Inspect the change under review (base...head): list changed files, or show the unified diff "
        "of the whole change or one file. Read-only."
    )
    Params: ClassVar[type[BaseModel]] = GitParams
    writes: ClassVar[bool] = False

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        try:
            p = GitParams.model_validate(params.model_dump())
            if ctx.repo is None:
                return ToolResult.fail("no repository in this run")
            if not ctx.base:
                return ToolResult.empty("no base ref in this run: there is no change to inspect")
            head = ctx.head or "HEAD"
            if p.action == "changed_files":
                files = changed_files(ctx.repo, ctx.base, head)
                if not files:
                    return ToolResult.empty(f"no files changed between {ctx.base} and {head}")
                return ToolResult.ok({"base": ctx.base, "head": head, "files": files})
            budget = max(2_000, ctx.config.tools.max_output_tokens * 4)
            text = diff_text(ctx.repo, ctx.base, head, path=p.path, max_bytes=budget)
            if not text.strip():
                return ToolResult.empty(f"no diff for {p.path or 'the change'} between {ctx.base} and {head}")
            return ToolResult.ok({"base": ctx.base, "head": head, "path": p.path, "diff": text})
        except GitError as exc:
            return ToolResult.fail(exc.line)
        except Exception as exc:  # a tool never raises into the run
            return ToolResult.fail(f"git tool failed: {type(exc).__name__}: {exc}".splitlines()[0])
