"""The Semgrep adapter: the real CLI on small files (few runs, ~2 s each) and result mapping on fixed JSON."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsquad.config import OpsquadConfig
from opsquad.findings import FileLocation, Severity
from tools.base import ToolContext, ToolStatus
from tools.semgrep import (
    NOT_INSTALLED,
    RULES_DIR,
    SemgrepError,
    SemgrepParams,
    SemgrepRun,
    SemgrepTool,
    resolve_rules,
    run_semgrep,
    semgrep_binary,
)
from tools.semgrep_findings import normalize_cwe, short_rule_id, to_findings
from tools.semgrep_skips import FileBudget

VULNERABLE = '''\
import hashlib
import subprocess

import yaml


def lookup(cur, name):
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    cur.execute("SELECT * FROM users WHERE name = %s", (name,))


def ping(host):
    subprocess.run("ping -c 1 " + host, shell=True)
    subprocess.run("uptime", shell=True)


def digest(data, text):
    return hashlib.md5(data).hexdigest(), yaml.load(text), yaml.safe_load(text)
'''


def test_real_semgrep_reports_vulnerable_lines_only(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(VULNERABLE)
    run = run_semgrep([Path("app.py")], resolve_rules(["builtin"]), tmp_path, timeout_s=120, jobs=1)
    assert run.errors == [] and run.scanned == ["app.py"] and run.elapsed_s > 0
    found = {(f.rule_id, f.location.start_line) for f in to_findings(run, tmp_path)
             if isinstance(f.location, FileLocation)}
    assert found == {
        ("python-sql-injection-string-built-query", 8),
        ("python-os-command-injection-shell", 13),
        ("python-weak-hash-md5-sha1", 18),
        ("python-yaml-unsafe-load", 18),
    }
    sqli = next(f for f in to_findings(run, tmp_path) if f.rule_id.startswith("python-sql"))
    assert sqli.cwe == ["CWE-89"] and sqli.severity == Severity.high and sqli.confidence == 0.6
    assert sqli.location == FileLocation(path="app.py", start_line=8, end_line=8, start_col=17, end_col=63)
    assert "% name" in sqli.evidence  # read from the file: semgrep prints "requires login" for lines
    assert sqli.title == "SQL query built from formatted strings" and sqli.remediation
    assert sqli.source == "semgrep" and sqli.agent == "devsecops"


def test_a_file_with_a_stray_non_utf8_byte_costs_that_file_not_the_scan(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(VULNERABLE)
    (tmp_path / "broken.py").write_bytes(b"x = 1\n\xff\n")
    run = run_semgrep([Path("app.py"), Path("broken.py")], resolve_rules(["builtin"]), tmp_path, timeout_s=120,
                      jobs=1)
    assert any(e.get("path") == "broken.py" for e in run.errors) and "app.py" in run.scanned
    assert {f.rule_id for f in to_findings(run, tmp_path)} >= {"python-os-command-injection-shell"}


def _junk_python(size: int) -> str:
    """Valid Python that keeps the taint rules busy: a dense mesh of calls and concatenations."""
    rows = [f"v{i % 97} = os.system(v{(i * 7) % 97} + v{(i * 13) % 97})" for i in range(size // 30)]
    return "import os\n" + "\n".join(rows) + "\n"


def test_files_over_the_budget_are_listed_and_the_rest_is_scanned(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(VULNERABLE)
    (tmp_path / "huge.js").write_text("var a=1;" * 40_000 + "eval(req.query.expr);")
    (tmp_path / "junk.py").write_text(_junk_python(150_000))
    (tmp_path / "mid.py").write_text(VULNERABLE + "# padding\n" * 2_000)
    budget = FileBudget(large_bytes=10_000, max_bytes=200_000, seconds=5.0)
    run = run_semgrep([Path(".")], resolve_rules(["builtin"]), tmp_path, timeout_s=120, jobs=1, budget=budget)
    reasons = {e["path"]: e["reason"] for e in run.skipped}
    assert reasons == {"huge.js": "too_big", "junk.py": "time_budget"}
    paths = {r["path"] for r in run.results}
    assert paths == {"app.py", "mid.py"}  # mid.py is large but not junk: scanned on its own, within the budget
    assert set(run.scanned) >= {"app.py", "mid.py"}


def test_semgrep_tool_scans_only_changed_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       cwd=repo, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "old.py").write_text("import hashlib\nhashlib.md5(b'x')\n")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (repo / "new.py").write_text("import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n")
    git("add", "-A")
    git("commit", "-q", "-m", "head")
    ctx = ToolContext(config=OpsquadConfig.model_construct(), repo=repo, base="main~1", head="main")
    res = SemgrepTool().run(SemgrepParams(), ctx)
    assert res.status == ToolStatus.ok, res.error
    assert res.data["files_scanned"] == 1
    [only] = res.data["findings"]
    assert (only["rule_id"], only["path"], only["line"], only["cwe"]) == (
        "python-pickle-deserialization", "new.py", 4, ["CWE-502"])
    denied = SemgrepTool().run(SemgrepParams(paths=["../x.py"]), ctx)
    assert denied.status == ToolStatus.denied


def test_builtin_rules_pass_semgrep_test() -> None:
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    proc = subprocess.run(
        [str(semgrep_binary()), "--test", "--metrics=off", str(RULES_DIR)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "All tests passed" in proc.stdout + proc.stderr


def test_every_builtin_rule_has_the_metadata_findings_need() -> None:
    import yaml

    for path in sorted(RULES_DIR.glob("*.yaml")):
        tests = [t for t in RULES_DIR.glob(path.stem + ".*") if t.suffix not in {".yaml", ".yml"}]
        assert tests, f"{path.name} has no test file beside it"
        for rule in yaml.safe_load(path.read_text())["rules"]:
            meta = rule["metadata"]
            assert {"id", "message", "severity", "languages"} <= set(rule), rule["id"]
            assert meta["category"] == "security" and meta["title"] and meta["remediation"], rule["id"]
            assert Severity(meta["severity"]) and meta["confidence"] in {"HIGH", "MEDIUM", "LOW"}, rule["id"]
            assert normalize_cwe(meta["cwe"]) and meta["owasp"], rule["id"]


def test_to_findings_maps_fields_without_running_semgrep(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\nq = 'SELECT %s' % name\ncur.execute(q)\n")
    result = {
        "check_id": "home.user.rules.custom.rule-one",
        "path": "src/a.py",
        "start": {"line": 3, "col": 1}, "end": {"line": 3, "col": 15},
        "extra": {
            "message": "Query is built from data. Use parameters.",
            "severity": "WARNING",
            "metadata": {"cwe": "CWE-089: SQL Injection", "confidence": "LOW"},
            "lines": "requires login",
            "fix": "cur.execute(q, params)",
            "dataflow_trace": {
                "taint_source": ["CliLoc", [{"path": "src/a.py"}, "'SELECT %s' % name"]],
                "intermediate_vars": [{"location": {}, "content": "q"}],
                "taint_sink": ["CliLoc", [{"path": "src/a.py"}, "q"]],
            },
        },
    }
    run = SemgrepRun(results=[result], cwd=tmp_path, rule_ids={"rule-one"})
    [f] = to_findings(run, tmp_path)
    assert f.rule_id == "rule-one" and f.title == "Query is built from data"
    assert f.severity == Severity.medium and f.confidence == 0.3 and f.category == "security"
    assert f.cwe == ["CWE-89"] and f.remediation == "Suggested fix: cur.execute(q, params)"
    assert f.evidence == "cur.execute(q)\ntaint: 'SELECT %s' % name → q → q"
    assert isinstance(f.location, FileLocation) and f.location.path == "src/a.py"


def test_helpers() -> None:
    assert normalize_cwe(["CWE-78: OS Command Injection", "cwe-78", "CWE-95"]) == ["CWE-78", "CWE-95"]
    known = {"python-eval-injection"}
    assert short_rule_id("tools.rules.python-eval-injection", known) == "python-eval-injection"
    assert short_rule_id("python.sqli.string-format", set()) == "python.sqli.string-format"
    assert run_semgrep([], [RULES_DIR], Path.cwd(), 10, 1).results == []
    with pytest.raises(SemgrepError, match="offline"):
        resolve_rules(["p/python"])


def test_missing_semgrep_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SemgrepError) as info:
        semgrep_binary()
    assert str(info.value) == NOT_INSTALLED


def test_a_flagged_credential_is_masked_wherever_it_shows_up_later(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import opsquad.redact as redact_module

    monkeypatch.setattr(redact_module, "_remembered", set())
    monkeypatch.setattr(redact_module, "_remembered_re", None)
    text = 'import ftplib\nftp = ftplib.FTP("files", "bob", "odd~Shape~7731")\n'
    (tmp_path / "a.py").write_text(text)
    start = text.index("ftplib.FTP(")
    result = {"check_id": "python-hardcoded-credentials-in-call", "path": "a.py",
              "start": {"line": 2, "col": 7, "offset": start}, "end": {"line": 2, "col": 50, "offset": len(text) - 1},
              "extra": {"message": "literal password", "severity": "ERROR", "lines": "requires login",
                        "metadata": {"cwe": ["CWE-798: Use of Hard-coded Credentials"]}}}
    [f] = to_findings(SemgrepRun(results=[result], cwd=tmp_path, rule_ids={"python-hardcoded-credentials-in-call"}),
                      tmp_path)
    assert "odd~Shape~7731" not in f.evidence  # no pattern knows a positional password: the rule's match does
    assert redact_module.redact("the log said odd~Shape~7731") == "the log said [REDACTED:secret]"
