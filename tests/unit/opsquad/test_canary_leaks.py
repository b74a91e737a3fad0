"""No canary secret leaves the process unmasked: not on stdout or stderr, not in any report format, not in the
state directory or caches (every database, byte for byte), not in the audit trail, not in what the model server
receives — through the real CLI, real Semgrep and a recording model server on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.canaries import CANARIES, CANARY_FILES
from tests.support.common import REPO_ROOT, git, isolated_env
from tests.support.recording_model import RecordingModel

FORMATS = ("json", "sarif", "markdown", "text")
VULNERABLE = ("import os\nfrom flask import request\n\n\ndef ping():\n"
              "    os.system(\"ping \" + request.args[\"host\"])\n")


@pytest.fixture(scope="module")
def model() -> Iterator[RecordingModel]:
    with RecordingModel() as server:
        yield server


def _config(tmp: Path, model: RecordingModel) -> Path:
    doc = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
    doc["models"] = {"coder": {"model": "openai/coder", "api_base": model.api_base, "context_window": 4096,
                               "max_tokens": 256, "timeout_s": 30}}
    path = tmp / "agents.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _opsquad(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "opsquad.cli.main", *args], capture_output=True, env=env,
                          cwd=REPO_ROOT, timeout=600, check=False)


def _leaks(blob: bytes) -> list[str]:
    return [c for c in CANARIES if c.encode() in blob]


def _files_under(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, model: RecordingModel) -> dict[str, object]:
    """A scan in every format and a review of a change that adds every canary file, on a fresh home."""
    tmp = tmp_path_factory.mktemp("canary")
    home, repo, out = tmp / "home", tmp / "repo", tmp / "out"
    for d in (home, repo, out):
        d.mkdir()
    config, env = _config(tmp, model), isolated_env(home)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("shop\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for name, text in CANARY_FILES.items():
        (repo / name).write_text(text)
    (repo / "views.py").write_text(VULNERABLE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add config")
    procs = [_opsquad(env, "scan", str(repo), "-c", str(config), "-f", fmt, "-o", str(out / f"scan.{fmt}"))
             for fmt in FORMATS]
    procs.append(_opsquad(env, "scan", str(repo), "-c", str(config)))
    procs.append(_opsquad(env, "review", "--repo", str(repo), "--base", "main~1", "--head", "main", "-c",
                          str(config), "-f", "markdown"))
    listing = _opsquad(env, "runs", "list", "-c", str(config))
    procs.append(listing)
    run_ids = {w for line in listing.stdout.decode().splitlines() for w in line.split() if len(w) == 12}
    procs += [_opsquad(env, "runs", "show", rid, "-c", str(config)) for rid in sorted(run_ids)]
    return {"procs": procs, "home": home, "out": out, "run_ids": run_ids}


def test_the_scan_found_the_secrets_and_asked_the_model(runs: dict[str, object], model: RecordingModel) -> None:
    report = (runs["out"] / "scan.json").read_text()  # type: ignore[operator]
    assert "hardcoded-secret-assignment" in report and "python-os-command-injection" in report
    assert len(model.bodies) >= 5 and any(b"[REDACTED:" in body for body in model.bodies)
    assert len(runs["run_ids"]) >= 6  # type: ignore[arg-type]


def test_no_canary_on_stdout_or_stderr(runs: dict[str, object]) -> None:
    for proc in runs["procs"]:  # type: ignore[attr-defined]
        assert _leaks(proc.stdout) == [] and _leaks(proc.stderr) == [], proc.args


def test_no_canary_in_any_report_file(runs: dict[str, object]) -> None:
    for path in _files_under(runs["out"]):  # type: ignore[arg-type]
        assert _leaks(path.read_bytes()) == [], path.name


def test_no_canary_in_state_caches_or_audit_databases(runs: dict[str, object]) -> None:
    files = list(_files_under(runs["home"]))  # type: ignore[arg-type]
    assert any(p.name == "audit.sqlite" for p in files)
    for path in files:
        assert _leaks(path.read_bytes()) == [], path


def test_no_canary_reaches_the_model(runs: dict[str, object], model: RecordingModel) -> None:
    for body in model.bodies:
        assert _leaks(body) == []
