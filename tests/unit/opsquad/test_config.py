"""agents.yaml validation: a good file loads; a bad one fails with one line naming the key path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from opsquad.config import config_json_schema, parse_config
from opsquad.errors import ConfigError
from tests.support.common import REPO_ROOT
from tools.registry import TOOLS


def _data() -> dict:
    return yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())


def test_shipped_config_is_valid() -> None:
    cfg = parse_config(_data(), known_tools=TOOLS)
    assert cfg.workflows["pr_review"].agents == ["devsecops", "sdet"]
    assert cfg.models["coder"].serve is not None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["models"]["coder"].update(colour="blue"), "models.coder.colour: unknown key"),
        (lambda d: d["models"]["coder"]["serve"].update(threads="two"), "models.coder.serve.threads"),
        (lambda d: d["agents"]["sre"].update(model="nope"), "agents.sre.model: unknown model alias 'nope'"),
        (lambda d: d["workflows"]["pr_review"].update(agents=["ghost"]), "workflows.pr_review.agents: unknown agent"),
        (lambda d: d["agents"]["devsecops"]["tools"].update(hammer={}), "agents.devsecops.tools.hammer: unknown tool"),
        (lambda d: d["workflows"]["scan"].update(fail_on="severe"), "workflows.scan.fail_on"),
        (lambda d: d.update(extra_top=1), "extra_top: unknown key"),
        (lambda d: d["workflows"]["scan"].update(outputs=["text"]), "workflows.scan.outputs: unknown key"),
    ],
)
def test_bad_config_names_the_key(mutate, expected: str) -> None:
    data = _data()
    mutate(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, "x.yaml", known_tools=TOOLS)
    assert str(err.value).startswith("x.yaml: ")
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_write_grant_needs_approval() -> None:
    data = _data()
    data["agents"]["sre"]["tools"]["prometheus"] = {"verbs": ["scale"]}
    with pytest.raises(ConfigError, match=r"agents\.sre\.tools\.prometheus\.approval"):
        parse_config(data)


def test_schema_forbids_extra_keys() -> None:
    schema = config_json_schema()
    assert schema["additionalProperties"] is False
    assert "models" in schema["properties"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "opsquad.cli.main", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT)


def test_cli_config_check_exit_codes(tmp_path: Path) -> None:
    ok = _cli("config", "check", "agents.yaml")
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "agents.yaml"
    bad.write_text((REPO_ROOT / "agents.yaml").read_text().replace("    min_confidence: 0.7",
                                                                   "    min_confidence: 0.7\n    colour: 1"))
    res = _cli("config", "check", str(bad))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "agents.devsecops.colour: unknown key" in lines[0]
    assert "Traceback" not in res.stderr


def test_packaged_defaults_match_the_repository_agents_yaml() -> None:
    """A wheel carries opsquad/defaults/agents.yaml (a copy, since wheels drop symlinks): keep it identical."""
    packaged = REPO_ROOT / "opsquad" / "defaults" / "agents.yaml"
    assert not packaged.is_symlink()
    assert packaged.read_bytes() == (REPO_ROOT / "agents.yaml").read_bytes(), "cp agents.yaml opsquad/defaults/"
