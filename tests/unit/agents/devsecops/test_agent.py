"""DevSecOps depth: code context, inline suppressions, baselines, the triage cache and verified autofix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agents.devsecops.code_context import snippet
from opsquad.config import OpsquadConfig
from opsquad.findings import FileLocation
from opsquad.model.protocol import FakeModel, Message
from opsquad.request import Request
from tests.support.common import REPO_ROOT, make_services
from tests.support.triage_fakes import triage_answer
from workflows.dispatch import dispatch

SHELL_APP = '''import subprocess


def compress(filename):
    """filename comes from the request."""
    subprocess.run(f"gzip -f {filename}", shell=True, check=True)
'''


def _triage(verdict: str = "true_positive"):
    def answer(messages: list[Message], schema: dict) -> dict:
        if "replacement" in json.dumps(schema):
            return FIX_GOOD
        return triage_answer(schema, verdict, "the filename comes from the caller")
    return answer


FIX_GOOD = {"explanation": "pass an argument list", "replacement": [
    '    subprocess.run(["gzip", "-f", filename], check=True)']}


def _scan(config: OpsquadConfig, model: FakeModel, root: Path, **options: object):
    svc = make_services(config, model)
    return dispatch(Request(workflow="scan", repo=str(root), options=dict(options)), svc)


def test_context_is_the_enclosing_function_even_for_newer_syntax(tmp_path: Path) -> None:
    # PEP 701 nested quotes: not valid Python 3.11, still a file Semgrep scans and we must show
    (tmp_path / "a.py").write_text('import os\n\n\ndef handler(req):\n    n = req.args["n"]\n'
                                   '    os.system(f"echo {req.args["n"]}")\n    return n\n\n\ndef other():\n    pass\n')
    text = snippet(tmp_path, FileLocation(path="a.py", start_line=6, end_line=6))
    assert "def handler(req):" in text and "6> " in text.replace("   6>", "6> ")
    assert "def other" not in text
    # module-level names the function uses are shown above it, after a gap marker
    assert text.index("import os") < text.index("…") < text.index("def handler")


def test_inline_suppressions_are_reported_not_dropped(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import subprocess\n\n\ndef a(cmd):\n"
        "    subprocess.run(cmd, shell=True)  # opsquad: ignore[python-os-command-injection-shell] admin-only tool\n"
        "\n\ndef b(cmd):\n    subprocess.run(cmd, shell=True)  # nosemgrep\n")
    result = _scan(config, FakeModel(), tmp_path, no_triage=True)
    sup = sorted((f.location.start_line, f.suppression.justification) for f in result.report.findings
                 if f.suppression and isinstance(f.location, FileLocation))
    assert sup == [(5, "opsquad: ignore: admin-only tool"), (9, "nosemgrep comment")]
    assert all(f.suppression and f.suppression.kind == "inline" for f in result.report.findings)


def test_baseline_suppresses_answered_findings(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_APP)
    cmd = [sys.executable, "-m", "opsquad.cli.main", "scan", str(tmp_path), "--no-triage"]
    first = subprocess.run([*cmd, "--update-baseline"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert first.returncode == 1, first.stderr  # reported once, and written to the baseline
    assert (tmp_path / ".opsquad-baseline.json").exists()
    (tmp_path / "app.py").write_text("# moved down a line\n" + SHELL_APP)
    second = subprocess.run([*cmd, "--format", "json"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert second.returncode == 0, second.stderr
    f = json.loads(second.stdout)["findings"][0]
    assert f["suppression"]["kind"] == "baseline"


def test_triage_is_cached_by_code_not_line(config: OpsquadConfig, tmp_path: Path) -> None:
    config.agents["devsecops"].autofix = False
    (tmp_path / "app.py").write_text(SHELL_APP)
    first = FakeModel(default=_triage())
    _scan(config, first, tmp_path)
    assert len(first.requests) == 1
    (tmp_path / "app.py").write_text("\n\n" + SHELL_APP)
    second = FakeModel()  # any request would fail: the script is empty
    result = _scan(config, second, tmp_path)
    assert second.requests == []
    assert result.report.findings[0].triage is not None
    assert result.report.notes[0].stats["triage_cache_hits"] == 1


def test_verified_fix_is_offered(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_APP)
    result = _scan(config, FakeModel(default=_triage()), tmp_path)
    f = result.report.findings[0]
    assert f.fix_patch and '+    subprocess.run(["gzip", "-f", filename], check=True)' in f.fix_patch
    assert result.report.notes[0].stats["fixes_verified"] == 1


def test_fix_that_keeps_the_finding_or_breaks_parsing_is_refused(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_APP)
    for replacement, why in (
        (['    subprocess.run(f"gzip -f {filename!s}", shell=True, check=True)'], "still reports"),
        (['    subprocess.run(["gzip", "-f", filename], check=True'], "no longer parses"),
    ):
        def answer(messages: list[Message], schema: dict, rep: list[str] = replacement) -> dict:
            if "replacement" in json.dumps(schema):
                return {"explanation": "x", "replacement": rep}
            return triage_answer(schema, "true_positive", "caller input")

        result = _scan(config, FakeModel(default=answer), tmp_path)
        f = result.report.findings[0]
        assert f.fix_patch is None
        assert why in f.remediation


def test_fix_is_reindented_and_must_not_use_undefined_names(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_APP)
    for replacement, expect_patch in (
        (['subprocess.run(["gzip", "-f", filename], check=True)'], True),  # dedented by the model
        (['    sh.gzip("-f", filename)'], False),  # 'sh' is never imported
    ):
        def answer(messages: list[Message], schema: dict, rep: list[str] = replacement) -> dict:
            if "replacement" in json.dumps(schema):
                return {"explanation": "x", "replacement": rep}
            return triage_answer(schema, "true_positive", "caller input")

        f = _scan(config, FakeModel(default=answer), tmp_path).report.findings[0]
        assert bool(f.fix_patch) is expect_patch, f.remediation
        if expect_patch:
            assert f.fix_patch and '+    subprocess.run(["gzip"' in f.fix_patch
        else:
            assert "undefined name(s): sh" in f.remediation


def test_constant_flow_is_decided_in_code_without_the_model(config: OpsquadConfig, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import subprocess\nfrom flask import request\n\n\ndef run():\n    param = request.args['x']\n"
        "    num = 106\n    bar = 'date' if (7 * 18) + num > 200 else param\n"
        "    subprocess.run('echo ' + bar, shell=True)\n\n\n"
        "def run_unsafe():\n    param = request.args['x']\n    subprocess.run('echo ' + param, shell=True)\n")
    model = FakeModel(default=_triage("true_positive"))
    report = _scan(config, model, tmp_path, no_fix=True).report
    by_line = {f.location.start_line: f for f in report.findings if isinstance(f.location, FileLocation)}
    proven, unsafe = by_line[9], by_line[14]
    assert proven.suppression is not None and proven.triage is not None
    assert proven.triage.reason.startswith("decided in code") and "line 8" in proven.triage.reason
    assert unsafe.suppression is None
    assert len(model.requests) == 1, "only the unproven finding went to the model"
