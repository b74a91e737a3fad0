"""Run pytest on a throw-away copy of a Python project: a subprocess, a time limit, bounded memory, no network.

Generated tests are untrusted code. They run in a temporary copy of the project (nothing touches the user's
tree), in a child process with an address-space limit and a wall-clock timeout, with opsquad's pytest plugin
(``tools/pytest_guard.py``) loaded to block network access, bound each test, repeat the generated tests and
record each test's own coverage. Results come back as data, never as an exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from opsquad.errors import OpsquadError
from tools.base import ToolUse, direct

_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__", "build", "dist",
              ".mypy_cache", ".pytest_cache", ".ruff_cache", "mutants", ".eggs", "htmlcov"}
GUARD_MODULE = "_opsquad_guard"
MEMORY_LIMIT_BYTES = 4 * 1024**3


@dataclass
class TestOutcome:
    """One test across its repetitions: how often it passed, failed or errored, and the last failure text."""

    nodeid: str
    passed: int = 0
    failed: int = 0
    message: str = ""

    @property
    def runs(self) -> int:
        return self.passed + self.failed


@dataclass
class PytestRun:
    returncode: int
    duration_s: float
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    coverage: dict[str, tuple[set[tuple[str, int]], set[tuple[str, int, int]]]] = field(default_factory=dict)
    collect_errors: dict[str, str] = field(default_factory=dict)
    output_tail: str = ""
    timed_out: bool = False

    def outcome(self, nodeid: str) -> TestOutcome | None:
        return self.outcomes.get(nodeid)


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in _SKIP_DIRS or n.endswith(".egg-info") or n.endswith((".pyc", ".so.tmp"))}


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


class Sandbox:
    """A temporary copy of a project plus a folder for opsquad's plugin; removed on ``close``."""

    def __init__(self, project: Path, import_root: Path, python: str | None = None, use: ToolUse = direct) -> None:
        self.use = use  # each pytest, coverage and mutmut run is one audited use of the agent's ``pytest`` grant
        self.project = project.resolve()
        self.tmp = Path(tempfile.mkdtemp(prefix="opsquad-sandbox-"))
        self.root = self.tmp / "project"
        try:
            shutil.copytree(self.project, self.root, ignore=_ignore, symlinks=True)
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise OpsquadError(f"{project}: cannot copy the project into a sandbox ({exc})") from None
        self.import_root = self.root / import_root.resolve().relative_to(self.project)
        self.plugin_dir = self.tmp / "plugin"
        self.plugin_dir.mkdir()
        shutil.copy(Path(__file__).with_name("pytest_guard.py"), self.plugin_dir / f"{GUARD_MODULE}.py")
        self.python = python or sys.executable
        self.gen_dir = self.root / "opsquad_generated"
        self.gen_dir.mkdir(exist_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSQUAD_", "PYTEST_", "COV_"))}
        paths = [str(self.plugin_dir), str(self.import_root)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env.update({"PYTHONPATH": os.pathsep.join(paths), "PYTHONDONTWRITEBYTECODE": "1", "NO_PROXY": "*",
                    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"})
        env.update(extra or {})
        return env

    def pytest(self, targets: list[str], *, repeat: int = 1, repeat_files: list[str] | None = None,
               coverage_source: Path | None = None, timeout_s: float = 120, test_timeout_s: int = 10,
               extra_args: list[str] | None = None) -> PytestRun:
        """Run pytest on ``targets`` (paths relative to the sandbox root); never raises for test failures.

        Each run is one use of the ``pytest`` tool through ``self.use`` (granted and audited in an agent run)."""
        return self.use("run", lambda: self._pytest(targets, repeat, repeat_files, coverage_source, timeout_s,
                                                   test_timeout_s, extra_args),
                        {"targets": targets[:5], "files": len(targets), "repeat": repeat})

    def _pytest(self, targets: list[str], repeat: int, repeat_files: list[str] | None, coverage_source: Path | None,
                timeout_s: float, test_timeout_s: int, extra_args: list[str] | None) -> PytestRun:
        results = self.tmp / f"results-{time.monotonic_ns()}.jsonl"
        env = self.env({
            "OPSQUAD_RESULTS": str(results), "OPSQUAD_REPEAT": str(repeat),
            "OPSQUAD_REPEAT_FILES": ",".join(repeat_files or []), "OPSQUAD_TEST_TIMEOUT": str(test_timeout_s),
            "OPSQUAD_COVERAGE": str(coverage_source) if coverage_source else "",
        })
        cmd = [self.python, "-m", "pytest", "-p", GUARD_MODULE, "-p", "no:cacheprovider", "-q", "--no-header",
               "-p", "no:randomly", "--color=no", *(extra_args or []), *targets]
        started = time.perf_counter()
        timed_out = False
        proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", start_new_session=True, preexec_fn=_limit_memory)
        try:
            out, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        run = PytestRun(returncode=proc.returncode, duration_s=time.perf_counter() - started,
                        output_tail=(out or "")[-3000:], timed_out=timed_out)
        _read_results(results, run)
        return run


def _read_results(path: Path, run: PytestRun) -> None:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        kind = rec.get("kind")
        nodeid = str(rec.get("nodeid", ""))
        if kind == "collect_error":
            run.collect_errors[nodeid] = str(rec.get("message", ""))
        elif kind == "coverage":
            lines = {(f, n) for f, ns in rec.get("lines", {}).items() for n in ns}
            arcs = {(f, a, b) for f, pairs in rec.get("arcs", {}).items() for a, b in pairs}
            run.coverage[nodeid] = (lines, arcs)
        elif kind == "result":
            outcome = run.outcomes.setdefault(nodeid, TestOutcome(nodeid))
            if rec.get("outcome") == "passed" and rec.get("when") == "call":
                outcome.passed += 1
            elif rec.get("outcome") == "failed" or (rec.get("outcome") == "skipped" and rec.get("when") == "setup"):
                outcome.failed += 1
                outcome.message = str(rec.get("message", ""))
