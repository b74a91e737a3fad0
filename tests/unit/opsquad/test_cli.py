"""The CLI's contract: every command has --help, and bad input is one line on stderr with exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.common import REPO_ROOT, git

COMMANDS = ["review", "scan", "testgen", "investigate", "config", "model", "runs", "approve", "reject", "serve"]


def cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "opsquad.cli.main", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_command() -> None:
    res = cli("--help")
    assert res.returncode == 0
    for command in COMMANDS:
        assert command in res.stdout
    for command in COMMANDS:
        assert cli(command, "--help").returncode == 0, command


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["review"], "Missing option '--base'"),
        (["bogus"], "No such command 'bogus'"),
        (["review", "--repo", "/", "--base", "a", "--head", "b"], "/ is not a git repository"),
        (["scan", "/nonexistent/x"], "no such file or directory"),
        (["scan", ".", "--format", "xml"], "--format must be one of"),
        (["runs", "show", "nope"], "no run with id 'nope'"),
        (["model", "status", "ghost"], "unknown model alias 'ghost'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], expected: str) -> None:
    res = cli(*args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_ref_is_named(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    res = cli("review", "--repo", str(tmp_path), "--base", "no-such-ref", "--head", "HEAD")
    assert res.returncode == 2
    assert "no-such-ref" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_scan_without_triage_writes_json_and_gates(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n")
    out = tmp_path / "r.json"
    res = cli("scan", str(tmp_path), "--no-triage", "--format", "json", "--output", str(out))
    assert res.returncode == 1, res.stderr  # a high finding remains: fail_on high
    import json

    data = json.loads(out.read_text())
    assert any("command" in f["rule_id"] for f in data["findings"])
    assert cli("scan", str(tmp_path), "--no-triage", "--fail-on", "critical").returncode == 0


def test_runs_show_prints_grant_decisions_and_the_report(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n")
    assert cli("scan", str(tmp_path), "--no-triage").returncode == 1
    run_id = cli("runs", "list").stdout.split()[0]
    shown = cli("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    tool_lines = [line for line in shown.stdout.splitlines() if " tool " in line]
    assert tool_lines and all("grant=allow" in line for line in tool_lines), shown.stdout
    report = shown.stdout.split("\nreport:\n", 1)[1]
    assert "command" in report and "app.py:4" in report


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    res = cli("--version")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"opsquad {version('opsquad')}"


def test_config_check_accepts_a_directory_holding_agents_yaml(tmp_path: Path) -> None:
    empty = cli("config", "check", str(tmp_path))
    assert empty.returncode == 2 and "Traceback" not in empty.stderr
    lines = empty.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{tmp_path}: is a directory with no agents.yaml" in lines[0], empty.stderr
    (tmp_path / "agents.yaml").write_text((REPO_ROOT / "agents.yaml").read_text())
    ok = cli("config", "check", str(tmp_path))
    assert ok.returncode == 0 and f"{tmp_path / 'agents.yaml'}: ok" in ok.stderr, ok.stderr
