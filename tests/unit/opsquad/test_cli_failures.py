"""A run that dies is recorded as failed, and an internal error leaves its (redacted) details in the state dir.

Every path that starts a run goes through ``dispatch`` (whose ``AuditLog.failed_if_raises`` records an escaping
exception) and, from the CLI, ``run_request`` (which also records a result the command rejects). The CLI runs
as a subprocess, as a user runs it; where a failure has to be forced inside the workflow, the graph is replaced
before the CLI's own entry point runs.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig
from opsquad.model.protocol import FakeModel
from opsquad.request import Request
from opsquad.serve.metrics import Metrics
from opsquad.serve.runner import Runner
from tests.support.common import REPO_ROOT, make_services
from tests.support.slack import closed_port, dead_kubeconfig

TOKEN = "ghp_" + "a" * 36  # the shape of a GitHub token: redact() masks it
# The CLI's entry point, with a graph that raises the way a bug deep in a workflow would.
BOOM = f"""
import workflows.dispatch as d

class Graph:
    def invoke(self, *args, **kwargs):
        raise RuntimeError("boom while reading token {TOKEN}")

d.build_graph = lambda saver: Graph()
from opsquad.cli.main import run
run()
"""


def _state() -> Path:
    return Path(os.environ["OPSQUAD_STATE_DIR"])


def _run(args: list[str], env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          env={**os.environ, **(env or {})}, timeout=180, **kw)


def _runs() -> list[dict[str, Any]]:
    audit = AuditLog(_state() / "audit.sqlite")
    try:
        return audit.runs()
    finally:
        audit.close()


def test_an_internal_error_fails_the_run_and_writes_redacted_details_to_the_state_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    res = _run(["-c", BOOM, "scan", str(tmp_path), "--no-triage"], env={"HOME": str(home)})
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    log = _state() / "last-error.log"
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith("opsquad: internal error: RuntimeError: boom") and f"details in {log}" in lines[0]
    assert TOKEN not in res.stderr and "[REDACTED" in lines[0]
    details = log.read_text()
    assert "Traceback" in details and "RuntimeError" in details and "[REDACTED" in details
    assert TOKEN not in details
    assert not (home / ".cache" / "opsquad" / "last-error.log").exists()

    runs = _runs()
    assert len(runs) == 1 and runs[0]["status"] == "failed" and runs[0]["finished"]
    assert runs[0]["summary"].startswith("internal error: RuntimeError: boom") and TOKEN not in runs[0]["summary"]
    listed = _run(["-m", "opsquad.cli.main", "runs", "list"])
    assert listed.returncode == 0 and "failed" in listed.stdout and "RuntimeError: boom" in listed.stdout


def test_a_command_that_exits_2_leaves_its_run_failed_with_the_reason(tmp_path: Path) -> None:
    res = _run(["-m", "opsquad.cli.main", "investigate", "why is checkout down?", "--kubeconfig",
                str(dead_kubeconfig(tmp_path))], env={"PROMETHEUS_URL": f"http://127.0.0.1:{closed_port()}"})
    assert res.returncode == 2 and "nothing could be read" in res.stderr, res.stderr
    runs = _runs()
    assert len(runs) == 1 and runs[0]["status"] == "failed", runs
    assert runs[0]["summary"].startswith("nothing could be read: kubernetes: ")


def test_sigterm_marks_the_run_failed(tmp_path: Path) -> None:
    with socket.socket() as silent:  # a Prometheus that accepts connections and never answers: the run waits
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = {**os.environ, "PROMETHEUS_URL": f"http://127.0.0.1:{silent.getsockname()[1]}"}
        proc = subprocess.Popen([sys.executable, "-m", "opsquad.cli.main", "investigate", "why?", "--kubeconfig",
                                 str(dead_kubeconfig(tmp_path))], cwd=REPO_ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not _started():
                assert proc.poll() is None and time.monotonic() < deadline, "the run did not start"
                time.sleep(0.1)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM and err.strip() == "opsquad: terminated by SIGTERM", err
    runs = _runs()
    assert [(r["status"], r["summary"]) for r in runs] == [("failed", "terminated by SIGTERM")]


def _started() -> bool:
    """A run is recorded (read without creating the database before the CLI does)."""
    db = _state() / "audit.sqlite"
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return bool(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return False


def test_serve_runner_records_a_crashing_run_as_failed(config: OpsquadConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    import workflows.dispatch as d

    class Graph:
        def invoke(self, *_args: Any, **_kwargs: Any) -> None:
            raise KeyError("no such node")

    monkeypatch.setattr(d, "build_graph", lambda _saver: Graph())
    services = make_services(config, FakeModel())
    runner = Runner(lambda _progress: services, Metrics(), 1)
    request = Request(workflow="oncall", source="slack", question="why?")
    with pytest.raises(KeyError):
        runner.dispatch(request)
    run = services.audit.run(request.run_id)
    assert run is not None and run["status"] == "failed" and run["finished"]
    assert run["summary"] == "internal error: KeyError: 'no such node'"
    runner.shutdown()
