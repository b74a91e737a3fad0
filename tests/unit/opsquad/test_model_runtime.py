"""Process identity of the model server opsquad started: stop and status signal only a PID that is still ours."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from opsquad.config import OpsquadConfig, load_config
from opsquad.model import runtime
from opsquad.model.runtime import RUNTIME_MODULE, ServerRecord, is_ours


def _spawn(*argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *argv])


def _record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pid: int, port: int,
            proc_start: int | None) -> tuple[OpsquadConfig, str]:
    monkeypatch.setenv("OPSQUAD_STATE_DIR", str(tmp_path))
    cfg = load_config(None)
    alias = next(iter(cfg.models))
    rec = ServerRecord(alias, pid, port, "m.gguf", None, time.time(), str(tmp_path / "log"), proc_start)
    runtime._record_path(cfg, alias).write_text(json.dumps(asdict(rec)))
    return cfg, alias


def test_a_pid_that_is_not_our_server_is_never_signalled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = _spawn()
    try:
        cfg, alias = _record(tmp_path, monkeypatch, other.pid, 8765, None)
        assert runtime.stop(cfg, alias) is False
        assert other.poll() is None  # still running: nothing was sent to it
        assert runtime.read_record(cfg, alias) is None  # the stale record is gone
    finally:
        other.kill()
        other.wait()


def test_our_server_on_its_port_is_stopped_and_a_reused_pid_is_refused(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _spawn(RUNTIME_MODULE, "--port", "8765")
    try:
        started = runtime._proc_start(ours.pid)
        assert started is not None
        wrong_port = ServerRecord("a", ours.pid, 9999, "m", None, 0.0, "l", started)
        reused = ServerRecord("a", ours.pid, 8765, "m", None, 0.0, "l", started + 1)
        assert not is_ours(wrong_port) and not is_ours(reused)
        cfg, alias = _record(tmp_path, monkeypatch, ours.pid, 8765, started)
        assert runtime.status(cfg, alias)["pid"] == ours.pid
        assert runtime.stop(cfg, alias, timeout=5) is True
        ours.wait(timeout=5)
        assert ours.returncode is not None
    finally:
        if ours.poll() is None:
            ours.kill()
            ours.wait()


def test_records_are_per_endpoint_so_another_configs_server_is_not_reported(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _spawn(RUNTIME_MODULE, "--port", "8765")
    try:
        cfg, alias = _record(tmp_path, monkeypatch, ours.pid, 8765, runtime._proc_start(ours.pid))
        assert runtime.status(cfg, alias)["pid"] == ours.pid
        models = dict(cfg.models)
        models[alias] = models[alias].model_copy(update={"api_base": "http://127.0.0.1:9876/v1"})
        other = cfg.model_copy(update={"models": models})  # the same alias, another config's port
        assert runtime._record_path(other, alias) != runtime._record_path(cfg, alias)
        assert runtime.status(other, alias)["pid"] is None
        assert runtime.stop(other, alias) is False and ours.poll() is None
    finally:
        ours.kill()
        ours.wait()
