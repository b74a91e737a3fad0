"""Shared fixtures: an isolated state dir per test and the repository's agents.yaml (helpers: ``tests.support``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsquad.config import OpsquadConfig, load_config
from tests.support.common import REPO_ROOT
from tools.registry import TOOLS

pytest_plugins = ["tests.support.harness_fixtures"]


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("OPSQUAD_STATE_DIR", str(state))
    return state


@pytest.fixture
def config() -> OpsquadConfig:
    return load_config(REPO_ROOT / "agents.yaml", known_tools=TOOLS)
