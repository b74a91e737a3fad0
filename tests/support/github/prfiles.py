"""Pull request files as GitHub lists them, computed from a local repository, and GitHub's idea of which lines
a review comment may sit on. Written apart from opsquad's own diff parser so the tests do not check opsquad
against itself.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def diff_lines(patch: str) -> tuple[set[int], set[int]]:
    """(added lines, all right-side lines in hunks) of one file's patch, as GitHub counts them."""
    added: set[int] = set()
    right: set[int] = set()
    no = 0
    for line in patch.split("\n"):
        m = _HUNK.match(line)
        if m:
            no = int(m.group(1))
        elif line.startswith("+"):
            added.add(no)
            right.add(no)
            no += 1
        elif line.startswith(" "):
            right.add(no)
            no += 1
    return added, right


def pr_files(repo: Path, base: str, head: str) -> list[dict[str, Any]]:
    """What ``GET /pulls/{n}/files`` returns for base...head of a local repository (patch without headers)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout

    files = []
    for row in git("diff", "--name-status", "--no-renames", f"{base}...{head}").splitlines():
        status, name = row.split("\t", 1)
        full = git("diff", "--no-color", "--no-renames", f"{base}...{head}", "--", name)
        patch = full[full.index("@@"):] if "@@" in full else ""
        files.append({"filename": name, "status": {"A": "added", "D": "removed"}.get(status, "modified"),
                      "patch": patch.rstrip("\n"), "additions": patch.count("\n+"), "deletions": patch.count("\n-")})
    return files
