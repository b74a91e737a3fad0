"""Fault and abuse suite: bad paths, refs, configs, encodings, sizes, flags and unreachable services, each through
the real CLI. Every one ends in one clear line on stderr and a non-zero exit (or, where the input is merely odd, a
completed run that says what it did not check) — never a traceback, never an internal error, never a lost report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.support.common import REPO_ROOT, git, isolated_env
from tests.support.recording_model import RecordingModel
from tests.support.slack import closed_port, dead_kubeconfig

VULNERABLE = "import os\nfrom flask import request\n\n\ndef ping():\n    os.system('ping ' + request.args['host'])\n"


def _opsquad(tmp: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "opsquad.cli.main", *args], capture_output=True, text=True,
                          env={**isolated_env(home), "KUBECONFIG": str(home / "no-kubeconfig")}, cwd=tmp,
                          timeout=timeout, check=False, errors="replace")


def _one_clear_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("[")]  # "[ 0.2s] …" progress
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[-2000:]
    assert len(lines) == 1, proc.stderr[-2000:]
    return lines[0]


def _repo(tmp: Path) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text(VULNERABLE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    return repo


def _config(tmp: Path, text: str) -> str:
    path = tmp / "bad.yaml"
    path.write_text(text)
    return str(path)


def _good_config(**changes: object) -> str:
    doc = yaml.safe_load((REPO_ROOT / "agents.yaml").read_text())
    for dotted, value in changes.items():
        node = doc
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return yaml.safe_dump(doc)


Case = Callable[[Path], list[str]]
# (id, how to build the arguments in a fresh directory, the exit code, words the one stderr line must hold)
BAD_INPUTS: list[tuple[str, Case, int, str]] = [
    # paths
    ("scan-missing-path", lambda t: ["scan", str(t / "nope"), "--no-triage"], 2, "nope"),
    ("scan-dev-null", lambda t: ["scan", "/dev/null", "--no-triage"], 2, "/dev/null"),
    ("review-repo-is-a-file", lambda t: ["review", "--repo", str(t / "f.txt"), "--base", "HEAD~1"], 2,
     "not a git repository"),
    ("review-not-a-git-repo", lambda t: ["review", "--repo", str(t), "--base", "HEAD~1"], 2, "git"),
    ("testgen-missing-source", lambda t: ["testgen", str(t / "nope"), "--out", str(t / "o")], 2, "nope"),
    # refs
    ("review-unknown-base", lambda t: ["review", "--repo", str(_repo(t)), "--base", "no-such-ref"], 2,
     "no-such-ref"),
    ("review-unknown-head", lambda t: ["review", "--repo", str(_repo(t)), "--base", "main", "--head", "zz-top"], 2,
     "zz-top"),
    ("review-option-like-ref", lambda t: ["review", "--repo", str(_repo(t)), "--base=--output=/tmp/x"], 2,
     "--output"),
    ("review-shell-metachar-ref", lambda t: ["review", "--repo", str(_repo(t)), "--base", "main;touch pwned"], 2,
     "main;touch pwned"),
    ("scan-head-without-base", lambda t: ["scan", str(_repo(t)), "--head", "main", "--no-triage"], 2, "--base"),
    ("review-empty-ref", lambda t: ["review", "--repo", str(_repo(t)), "--base", ""], 2, "base"),
    # configs
    ("config-missing", lambda t: ["config", "check", str(t / "none.yaml")], 2, "none.yaml"),
    ("config-empty", lambda t: ["config", "check", _config(t, "")], 2, "bad.yaml"),
    ("config-invalid-yaml", lambda t: ["config", "check", _config(t, "models: [unclosed\n")], 2, "bad.yaml"),
    ("config-a-list", lambda t: ["config", "check", _config(t, "- 1\n- 2\n")], 2, "bad.yaml"),
    ("config-unknown-key", lambda t: ["config", "check", _config(t, _good_config(surprise=1))], 2, "surprise"),
    ("config-wrong-type", lambda t: ["config", "check", _config(t, _good_config(**{
        "tools.semgrep.timeout_s": "soon"}))], 2, "timeout_s"),
    ("config-unknown-model", lambda t: ["config", "check", _config(t, _good_config(**{
        "agents.devsecops.model": "gpt-99"}))], 2, "gpt-99"),
    ("config-unknown-tool-grant", lambda t: ["config", "check", _config(t, _good_config(**{
        "agents.devsecops.tools": {"rm_rf": {}}}))], 2, "rm_rf"),
    ("config-write-without-approval", lambda t: ["config", "check", _config(t, _good_config(**{
        "agents.sre.tools.kubernetes_write": {"verbs": ["scale"], "approval": "none"}}))], 2, "approval"),
    ("config-future-version", lambda t: ["config", "check", _config(t, _good_config(version=99))], 2, "version"),
    ("config-binary", lambda t: ["config", "check", str(_binary(t))], 2, "blob.yaml"),
    ("config-dir-without-file", lambda t: ["config", "check", str(t)], 2, "agents.yaml"),
    ("scan-with-bad-config", lambda t: ["scan", ".", "-c", _config(t, "version: [\n"), "--no-triage"], 2,
     "bad.yaml"),
    ("scan-missing-rules", lambda t: ["scan", ".", "--no-triage", "-c", _config(t, _good_config(**{
        "tools.semgrep.rules": ["no/such/rules.yaml"]}))], 2, "no/such/rules.yaml"),
    ("scan-registry-rules", lambda t: ["scan", ".", "--no-triage", "-c", _config(t, _good_config(**{
        "tools.semgrep.rules": ["p/python"]}))], 2, "offline"),
    # flags
    ("scan-unknown-format", lambda t: ["scan", ".", "--no-triage", "-f", "yaml"], 2, "yaml"),
    ("scan-bad-fail-on", lambda t: ["scan", ".", "--no-triage", "--fail-on", "sometimes"], 2, "sometimes"),
    ("scan-confidence-out-of-range", lambda t: ["scan", ".", "--no-triage", "--min-confidence", "2"], 2,
     "min-confidence"),
    ("scan-output-under-a-file", lambda t: ["scan", str(_repo(t)), "--no-triage", "-o",
                                            str(t / "f.txt" / "r.json")], 2, "r.json"),
    ("scan-output-is-a-directory", lambda t: ["scan", str(_repo(t)), "--no-triage", "-o", str(t)], 2,
     "directory"),
    ("runs-show-unknown", lambda t: ["runs", "show", "000000000000"], 2, "000000000000"),
    ("approve-unknown-run", lambda t: ["approve", "deadbeef0000"], 2, "deadbeef0000"),
    ("unknown-command", lambda t: ["frobnicate"], 2, "frobnicate"),
    ("investigate-unknown-format", lambda t: ["investigate", "why?", "-f", "sarif"], 2, "sarif"),
    ("investigate-empty-question", lambda t: ["investigate", "  "], 2, "question"),
    ("testgen-budget-negative", lambda t: ["testgen", str(t), "--out", str(t / "o"), "--budget", "-5"], 2,
     "budget"),
    ("github-review-missing-event", lambda t: ["github", "review", "--event", str(t / "event.json")], 2,
     "event.json"),
    ("github-review-event-not-json", lambda t: ["github", "review", "--event", str(t / "f.txt")], 2, "f.txt"),
    ("model-status-unknown-alias", lambda t: ["model", "status", "gpt-99"], 2, "gpt-99"),
    # unreachable services
    ("investigate-missing-kubeconfig", lambda t: ["investigate", "why is checkout failing?", "-n", "shop",
                                                  "--kubeconfig", str(t / "nokube")], 2, "nokube"),
    ("investigate-unreachable-everything", lambda t: ["investigate", "why is checkout failing?", "-n", "shop",
                                                      "--prometheus-url", f"http://127.0.0.1:{closed_port()}",
                                                      "--kubeconfig", str(dead_kubeconfig(t))], 2, "unreachable"),
    ("investigate-prometheus-not-a-url", lambda t: ["investigate", "why?", "-n", "shop", "--prometheus-url",
                                                    "ftp://x y", "--kubeconfig", str(dead_kubeconfig(t))], 2,
     "prometheus"),
    ("scan-model-unreachable-no-serve", lambda t: ["scan", ".", "-c", _config(t, _unreachable_model_config()),
                                                   "--fail-on", "none"], 0, ""),
]


def _unreachable_model_config() -> str:
    doc = yaml.safe_load(_good_config())
    doc["models"] = {"coder": {"model": "openai/coder", "api_base": f"http://127.0.0.1:{closed_port()}/v1"}}
    return yaml.safe_dump(doc)


def _binary(tmp: Path) -> Path:
    path = tmp / "blob.yaml"
    path.write_bytes(bytes(range(256)) * 8)
    return path


@pytest.mark.parametrize(("build", "code", "words"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path, build: Case, code: int, words: str) -> None:
    (tmp_path / "f.txt").write_text("not a repo\n")
    (tmp_path / "app.py").write_text(VULNERABLE)
    proc = _opsquad(tmp_path, *build(tmp_path))
    if code == 0:  # odd but workable: the run completes and says what it did not do
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert "not checked" in proc.stdout.lower() or "model triage" in proc.stdout, proc.stdout[-2000:]
        return
    line = _one_clear_line(proc)
    assert proc.returncode == code, (proc.returncode, line)
    assert words in line, line


ODD_FILES: dict[str, bytes] = {
    "latin1.py": "name = 'café'\n".encode("latin-1"),
    "utf16.py": "x = 1\n".encode("utf-16"),
    "nul.py": b"x = 1\x00\x00\ny = 2\n",
    "bom.py": b"\xef\xbb\xbfimport os\nos.system(input())\n",
    "crlf.py": b"import os\r\nos.system(input())\r\n",
    "empty.py": b"",
    "only-newlines.py": b"\n" * 1000,
    "unicode name \xe2\x98\x83.py".encode().decode(): b"x = 1\n",
    "deep/" * 30 + "leaf.py": b"x = 1\n",
    "huge-line.py": b"x = '" + b"a" * 300_000 + b"'\n",
}


def test_odd_files_degrade_per_file_and_the_real_finding_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    (root / "app.py").write_text(VULNERABLE)
    for name, data in ODD_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "loop").symlink_to(root)  # a symlink loop
    (root / "dangling.py").symlink_to(root / "gone.py")
    proc = _opsquad(tmp_path, "scan", str(root), "--no-triage", "-f", "json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "python-os-command-injection-shell" in proc.stdout


def test_an_undecodable_a_huge_minified_and_a_junk_file_cost_only_themselves(tmp_path: Path) -> None:
    root = tmp_path / "mix"
    root.mkdir()
    (root / "app.py").write_text(VULNERABLE)
    (root / "broken.py").write_bytes(b"x = 1\n\xff\xfe\n")
    (root / "bundle.js").write_text("var a=1;" * 2_500_000 + "eval(req.query.expr);")
    rows = [f"v{i % 97} = os.system(v{(i * 7) % 97} + v{(i * 13) % 97})" for i in range(16_000)]
    (root / "junk.py").write_text("import os\n" + "\n".join(rows) + "\n")
    started = time.monotonic()
    proc = _opsquad(tmp_path, "scan", str(root), "--no-triage", "-f", "json")
    elapsed = time.monotonic() - started
    print(f"\nscan with an undecodable, a 20 MB minified and a junk file: {elapsed:.1f}s")  # a figure, not a limit
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert any(f["rule_id"] == "python-os-command-injection-shell" for f in report["findings"])
    notes = [item for n in report["notes"] for item in n["not_checked"]]
    assert any("broken.py" in x and "undecodable" in x for x in notes), notes
    assert any("bundle.js" in x and "size limit" in x for x in notes), notes
    assert any("junk.py" in x and "time budget" in x for x in notes), notes


def test_a_model_that_goes_away_mid_run_costs_the_triage_not_the_report(tmp_path: Path) -> None:
    """The model answers the first question, then its server is gone: the scan still reports every finding and
    lists what the model did not judge."""
    root = tmp_path / "many"
    root.mkdir()
    for i in range(4):
        (root / f"app{i}.py").write_text(VULNERABLE)
    doc = yaml.safe_load(_good_config())
    with RecordingModel(answers=1) as model:
        doc["models"] = {"coder": {"model": "openai/coder", "api_base": model.api_base, "timeout_s": 10}}
        config = _config(tmp_path, yaml.safe_dump(doc))
        proc = _opsquad(tmp_path, "scan", str(root), "-c", config, "-f", "json", "--no-fix")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert len(report["findings"]) >= 4 and len(model.bodies) >= 2
    assert sum(1 for f in report["findings"] if f.get("triage")) >= 1  # what was judged before it went is kept
    assert any("model triage of" in item for n in report["notes"] for item in n["not_checked"])
