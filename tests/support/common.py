"""Helpers many tests share: the repository root, services around a scripted model, and a quiet ``git``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig
from opsquad.model.protocol import FakeModel
from workflows.services import Services

REPO_ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = REPO_ROOT / "tests" / "support" / "data" / "sarif-schema-2.1.0.json"


def make_services(config: OpsquadConfig, model: FakeModel) -> Services:
    audit = AuditLog(config.state_dir / "audit.sqlite")
    return Services(config=config, audit=audit, make_model=lambda alias: model)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid",
                           "-c", "init.defaultBranch=main", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def answer_json(answer: BaseModel | None) -> dict[str, Any]:
    """An agent's typed answer as the JSON a user sees (``--format json``), for tests of that contract."""
    return answer.model_dump(mode="json") if answer is not None else {}


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for a CLI run in a fresh home: its own caches and state directory, no version checks."""
    return {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
            "OPSQUAD_STATE_DIR": str(home / "state"), "SEMGREP_ENABLE_VERSION_CHECK": "0",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_COLOR": "1"}
