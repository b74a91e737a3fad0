"""Mutation score with mutmut 3: how many small faults in the code a suite notices (killed / total).

Coverage says a line ran; a killed mutant says a test would notice if the line were wrong. mutmut copies the
source into ``mutants/`` in the working directory, so it always runs in a throw-away copy (the sandbox or an
eval folder), never in the user's tree. Its configuration is written into that copy's ``pyproject.toml``.
Selecting functions (``only``) keeps a run fast: mutants are named ``module.x_func__mutmut_N``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {-24, 24, 36, 152, 255}


@dataclass
class MutationScore:
    total: int = 0
    killed: int = 0
    survived: int = 0
    timeout: int = 0
    other: int = 0
    duration_s: float = 0.0
    error: str = ""
    survivors: list[str] = field(default_factory=list)
    killed_keys: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Killed (a timeout counts as noticed) over all mutants that were checked."""
        checked = self.killed + self.timeout + self.survived
        return (self.killed + self.timeout) / checked if checked else 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {"total": self.total, "killed": self.killed + self.timeout, "survived": self.survived,
                "score": round(self.score, 3), "duration_s": round(self.duration_s, 1), "error": self.error}


_TABLE = re.compile(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)")


def configure(workdir: Path, source_paths: list[str], tests: list[str]) -> None:
    """Write ``[tool.mutmut]`` into the copy's pyproject.toml (replacing one that is there)."""
    py = workdir / "pyproject.toml"
    text = py.read_text(encoding="utf-8") if py.exists() else ""
    text = _TABLE.sub("", text).rstrip() + "\n\n" if text else ""
    copy = sorted({t.split("/")[0] for t in tests})  # mutmut runs the tests from its mutants/ copy
    text += ("[tool.mutmut]\n"
             f"source_paths = {json.dumps(source_paths)}\n"
             f"also_copy = {json.dumps(copy)}\n"
             f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
             "pytest_add_cli_args = [\"-p\", \"no:cacheprovider\", \"-p\", \"no:randomly\"]\n")
    py.write_text(text, encoding="utf-8")


def run(workdir: Path, source_paths: list[str], tests: list[str], *, only: list[str] | None = None,
        python: str | None = None, timeout_s: float = 600, max_children: int = 2) -> MutationScore:
    """Run mutmut in ``workdir`` (a copy) and count the outcome of every mutant (of ``only`` functions)."""
    configure(workdir, source_paths, tests)
    exe = Path(python or sys.executable).with_name("mutmut")
    cmd = [str(exe) if exe.exists() else "mutmut", "run", "--max-children", str(max_children), *(only or [])]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, errors="replace",
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        score = read_results(workdir, only)
        score.error = f"mutmut exceeded {timeout_s:.0f} s; counted what finished"
        score.duration_s = time.perf_counter() - started
        return score
    score = read_results(workdir, only)
    score.duration_s = time.perf_counter() - started
    if proc.returncode != 0 and score.total == 0:
        tail = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()][-1:]
        score.error = f"mutmut failed: {tail[0][:200] if tail else proc.returncode}"
    return score


def _selected(key: str, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(re.fullmatch(re.escape(pat).replace(r"\*", ".*"), key) for pat in only)


def read_results(workdir: Path, only: list[str] | None = None) -> MutationScore:
    score = MutationScore()
    for meta in sorted((workdir / "mutants").rglob("*.meta")):
        try:
            codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        except (OSError, ValueError):
            continue
        for key, code in codes.items():
            if not _selected(key, only):
                continue
            score.total += 1
            if code in KILLED:
                score.killed += 1
                score.killed_keys.append(key)
            elif code in SURVIVED:
                score.survived += 1
                score.survivors.append(key)
            elif code in TIMEOUT:
                score.timeout += 1
                score.killed_keys.append(key)
            else:
                score.other += 1
    return score


def function_pattern(module: str, qualname: str) -> str:
    """mutmut's name for the mutants of one function or method (``Class.method`` → ``xǁClassǁmethod``)."""
    if "." in qualname:
        cls, meth = qualname.split(".", 1)
        return f"{module}.x\u01c1{cls}\u01c1{meth}__mutmut_*"
    return f"{module}.x_{qualname}__mutmut_*"
