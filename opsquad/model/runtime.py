"""Start, health-check, inspect and stop the local model server.

The server runs detached (its own session) so it outlives one CLI command; its PID, port and model are kept
in ``<state_dir>/models/<alias>-<port>.json``. Every command that needs a model calls ``ensure_served``: when the
configured endpoint already answers it is used as is (Ollama, vLLM, a server someone else runs), otherwise
opsquad fetches and verifies the weights and starts llama.cpp itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from opsquad.config import ModelConfig, OpsquadConfig
from opsquad.errors import ConfigError, ModelUnavailable
from opsquad.model.weights import Progress, resolve_gguf


@dataclass
class ServerRecord:
    alias: str
    pid: int
    port: int
    model_path: str
    sha256: str | None
    started_at: float
    log_path: str
    proc_start: int | None = None  # the kernel's start time of the PID (clock ticks since boot): a reused PID differs


def _records_dir(cfg: OpsquadConfig) -> Path:
    d = cfg.state_dir / "models"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _record_path(cfg: OpsquadConfig, alias: str) -> Path:
    """One record per alias *and* endpoint: two configs that name the same alias on different ports never read
    each other's server."""
    model = cfg.models.get(alias)
    try:
        port = endpoint_port(model) if model is not None else None
    except ConfigError:
        port = None
    return _records_dir(cfg) / (f"{alias}-{port}.json" if port else f"{alias}.json")


def read_record(cfg: OpsquadConfig, alias: str) -> ServerRecord | None:
    path = _record_path(cfg, alias)
    try:
        return ServerRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


RUNTIME_MODULE = "opsquad.model.runtime_main"


def _proc_start(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(") ", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def is_ours(rec: ServerRecord) -> bool:
    """Whether the record's PID is still the server opsquad started: alive, running the runtime on the recorded
    port, and (when recorded) started at the recorded time. A PID reused after a crash or a reboot is not."""
    if not pid_alive(rec.pid):
        return False
    try:
        argv = Path(f"/proc/{rec.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    args = [a.decode("utf-8", "replace") for a in argv]
    on_port = any(a == "--port" and b == str(rec.port) for a, b in zip(args, args[1:], strict=False))
    same_start = rec.proc_start is None or _proc_start(rec.pid) == rec.proc_start
    return RUNTIME_MODULE in args and on_port and same_start


def endpoint_port(model: ModelConfig) -> int:
    if not model.api_base:
        raise ConfigError("model has a 'serve' block but no api_base to serve it on")
    url = urlparse(model.api_base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"{model.api_base}: opsquad only serves models on loopback")
    return url.port or 80


def health_url(model: ModelConfig) -> str:
    base = (model.api_base or "").rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return base + "/health"


def is_healthy(model: ModelConfig, timeout: float = 2.0) -> bool:
    if not model.api_base:
        return False
    try:
        r = httpx.get(health_url(model), timeout=timeout)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


def start(cfg: OpsquadConfig, alias: str, progress: Progress = lambda _m: None) -> ServerRecord:
    model = cfg.models[alias]
    if model.serve is None:
        raise ConfigError(f"models.{alias}: has no 'serve' block, so opsquad cannot start it")
    port = endpoint_port(model)
    path, digest = resolve_gguf(model.serve.gguf, progress)
    log_path = _records_dir(cfg) / f"{alias}.log"
    served_name = model.model.split("/", 1)[-1]
    cmd = [sys.executable, "-m", RUNTIME_MODULE, "--model", str(path), "--alias", served_name,
           "--port", str(port), "--threads", str(model.serve.threads), "--parallel", str(model.serve.parallel),
           "--ctx", str(model.serve.context_window), "--runtime", model.serve.runtime]
    progress(f"starting {alias} on 127.0.0.1:{port}")
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    rec = ServerRecord(alias, proc.pid, port, str(path), digest, time.time(), str(log_path), _proc_start(proc.pid))
    _record_path(cfg, alias).write_text(json.dumps(asdict(rec)))
    deadline = time.monotonic() + model.serve.start_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = _tail(log_path)
            _record_path(cfg, alias).unlink(missing_ok=True)
            raise ModelUnavailable(f"model server for '{alias}' exited with code {proc.returncode}: {tail}")
        if is_healthy(model, timeout=1.0):
            progress(f"{alias} ready in {time.time() - rec.started_at:.1f}s")
            return rec
        time.sleep(0.2)
    stop(cfg, alias)
    raise ModelUnavailable(f"model server for '{alias}' was not healthy after {model.serve.start_timeout_s:.0f}s")


def _tail(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][:200] if lines else "no output"


def stop(cfg: OpsquadConfig, alias: str, timeout: float = 10.0) -> bool:
    """Stop the server opsquad started for ``alias``, by PID, after checking the PID is still that server (see
    ``is_ours``). Returns False when none of ours was running."""
    rec = read_record(cfg, alias)
    _record_path(cfg, alias).unlink(missing_ok=True)
    if rec is None or not is_ours(rec):
        return False
    os.kill(rec.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(rec.pid):
        time.sleep(0.1)
    if pid_alive(rec.pid):
        os.kill(rec.pid, signal.SIGKILL)
    return True


def ensure_served(cfg: OpsquadConfig, alias: str, progress: Progress = lambda _m: None) -> None:
    """Make sure ``alias`` answers: use a live endpoint, restart a dead server, or start one from scratch."""
    if alias not in cfg.models:
        raise ConfigError(f"unknown model alias '{alias}'")
    model = cfg.models[alias]
    if is_healthy(model):
        return
    if model.serve is None:
        raise ModelUnavailable(f"model '{alias}' at {model.api_base} is not reachable and has no 'serve' block")
    rec = read_record(cfg, alias)
    if rec is not None and is_ours(rec):
        # Alive but not healthy: maybe still loading. Give it the start timeout before replacing it.
        deadline = time.monotonic() + model.serve.start_timeout_s
        while time.monotonic() < deadline and pid_alive(rec.pid):
            if is_healthy(model, timeout=1.0):
                return
            time.sleep(0.3)
        stop(cfg, alias)
    start(cfg, alias, progress)


def status(cfg: OpsquadConfig, alias: str) -> dict[str, object]:
    model = cfg.models[alias]
    rec = read_record(cfg, alias)
    alive = rec is not None and is_ours(rec)
    return {
        "alias": alias,
        "model": model.model,
        "api_base": model.api_base,
        "healthy": is_healthy(model),
        "pid": rec.pid if alive and rec else None,
        "model_path": rec.model_path if rec else None,
        "sha256": rec.sha256 if rec else None,
    }
