"""The bundled example change: a tiny git repository whose head commit adds real vulnerabilities.

``opsquad demo`` builds it in a temporary folder and reviews ``base..head`` end to end with the embedded
defaults, so a new user sees a real report from the local model in one command.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

EXAMPLE = Path(__file__).parent / "examples" / "vulnerable_change"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=opsquad", "-c", "user.email=demo@opsquad.invalid",
                    "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                   check=True, capture_output=True)


def create_example_repo(dest: Path) -> tuple[str, str]:
    """Create the example repository in ``dest``; returns the (base, head) refs to review."""
    dest.mkdir(parents=True, exist_ok=True)
    _git(dest, "init", "-q")
    for stage in ("base", "head"):
        for item in dest.iterdir():
            if item.name != ".git":
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        shutil.copytree(EXAMPLE / stage, dest, dirs_exist_ok=True)
        _git(dest, "add", "-A")
        _git(dest, "commit", "-q", "-m", f"example {stage}")
        _git(dest, "tag", stage)
    return "base", "head"
