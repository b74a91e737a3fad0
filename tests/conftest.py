"""Shared fixtures: an isolated state dir per test, a loaded config, a scripted fake model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig, load_config
from opsquad.model.protocol import FakeModel
from workflows.services import Services

pytest_plugins = ["tests.harness_fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("OPSQUAD_STATE_DIR", str(state))
    return state


@pytest.fixture
def config() -> OpsquadConfig:
    return load_config(REPO_ROOT / "agents.yaml")


def make_services(config: OpsquadConfig, model: FakeModel) -> Services:
    audit = AuditLog(config.state_dir / "audit.sqlite")
    return Services(config=config, audit=audit, make_model=lambda alias: model)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid",
                           "-c", "init.defaultBranch=main", *args],
                          check=True, capture_output=True, text=True).stdout.strip()
