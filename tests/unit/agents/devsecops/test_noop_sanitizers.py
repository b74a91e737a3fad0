"""A "sanitizer" that does nothing never gets a real vulnerability suppressed: its body is read before it counts,
and a false-positive verdict whose own reason says the value is not made safe does not stand — under the default
policy and with ``triage_may_suppress: all``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.devsecops.triage_facts import kept_if_contradicted
from opsquad.config import OpsquadConfig
from opsquad.findings import Triage
from opsquad.model.protocol import FakeModel, Message
from opsquad.request import Request
from tests.support.common import make_services
from tests.support.triage_fakes import triage_answer
from workflows.dispatch import dispatch

HEAD = ("import os\nimport sqlite3\nimport subprocess\n\nfrom flask import Flask, redirect, request\n\n"
        "app = Flask(__name__)\n")
NOOP_CASES = {
    "redirect": ("def sanitize_redirect(url):\n    return url\n", "@app.route('/next')\ndef nxt():\n"
                 "    return redirect(sanitize_redirect(request.args['then']))\n"),
    "shell": ("def shell_escape(value):\n    return value\n", "@app.route('/ping')\ndef ping():\n"
              "    host = shell_escape(request.args['host'])\n"
              "    return subprocess.run('ping -c1 ' + host, shell=True).returncode\n"),
    "sql": ("def escape_sql(value):\n    return str(value)\n", "@app.route('/user')\ndef user():\n"
            "    name = escape_sql(request.args['name'])\n    db = sqlite3.connect('app.db')\n"
            "    return str(db.execute(\"SELECT * FROM users WHERE name = '%s'\" % name).fetchall())\n"),
    "path": ("def secure_filename(name):\n    return name\n", "@app.route('/file')\ndef read():\n"
             "    name = secure_filename(request.args['f'])\n"
             "    with open(os.path.join('/srv/files', name)) as fh:\n        return fh.read()\n"),
}
REAL_SHELL = ("import shlex\n", "@app.route('/ping')\ndef ping():\n    host = shlex.quote(request.args['host'])\n"
              "    return subprocess.run('ping -c1 ' + host, shell=True).returncode\n")
SAYS_NOT_SAFE = "The helper returns its input unchanged, so it does not make this use safe. The attacker can choose it"


def _always_false_positive(reason: str):
    def answer(messages: list[Message], schema: dict) -> dict:
        if "replacement" in json.dumps(schema):
            return {"explanation": "none", "replacement": []}
        return triage_answer(schema, "false_positive", reason)
    return answer


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSQUAD_STATE_DIR", str(tmp_path / "state"))  # a triage cache of this test's own


def _scan(config: OpsquadConfig, root: Path, reason: str, policy: str):
    agents = dict(config.agents)
    agents["devsecops"] = agents["devsecops"].model_copy(update={"triage_may_suppress": policy, "autofix": False})
    cfg = config.model_copy(update={"agents": agents})
    model = FakeModel(default=_always_false_positive(reason))
    return dispatch(Request(workflow="scan", repo=str(root), options={}), make_services(cfg, model)).report.findings


@pytest.mark.parametrize("policy", ["below_high", "all"])
@pytest.mark.parametrize("sink", sorted(NOOP_CASES))
def test_a_noop_sanitizer_keeps_the_finding_a_true_positive(config: OpsquadConfig, tmp_path: Path, sink: str,
                                                            policy: str) -> None:
    helper, handler = NOOP_CASES[sink]
    (tmp_path / "app.py").write_text(f"{HEAD}\n\n{helper}\n\n{handler}")
    findings = [f for f in _scan(config, tmp_path, SAYS_NOT_SAFE, policy) if f.severity.rank >= 2]
    assert findings, "the rules must flag the sink"
    assert all(not f.suppressed and f.triage and f.triage.verdict == "true_positive" for f in findings), [
        (f.rule_id, f.triage) for f in findings]


def test_a_real_sanitizer_with_a_plain_reason_is_suppressed_under_all(config: OpsquadConfig, tmp_path: Path) -> None:
    """The control: the same scripted model does suppress when the safeguard is real and its reason agrees."""
    helper, handler = REAL_SHELL
    (tmp_path / "app.py").write_text(f"{HEAD}{helper}\n\n{handler}")
    findings = [f for f in _scan(config, tmp_path, "shlex.quote quotes the host for the shell", "all")
                if "command-injection" in f.rule_id]
    assert findings and all(f.suppressed for f in findings)


@pytest.mark.parametrize("reason", [
    "does not make this use safe", "The attacker can choose the value", "the wrapper is a no-op",
    "the value is not properly sanitized before it reaches the shell", "it returns its argument unchanged",
    "The query is still vulnerable", "escape_html doesn't escape for SQL",
])
def test_a_reason_that_says_unsafe_overrides_a_derived_false_positive(reason: str) -> None:
    kept = kept_if_contradicted(Triage(verdict="false_positive", confidence=0.9, reason=reason))
    assert kept.verdict == "true_positive" and "kept" in kept.reason


@pytest.mark.parametrize("reason", [
    "the value is a constant, so the code is not vulnerable", "no attacker can control the host",
    "the literal does not need escaping", "shlex.quote quotes it for the shell", "an attacker cannot choose it",
    "The attacker can choose the host, but shlex.quote quotes it for the shell",
])
def test_a_reason_that_agrees_leaves_the_verdict(reason: str) -> None:
    fp = Triage(verdict="false_positive", confidence=0.9, reason=reason)
    assert kept_if_contradicted(fp) == fp
    proven = Triage(verdict="false_positive", confidence=1.0, reason="decided in code: the attacker can not")
    assert kept_if_contradicted(proven) == proven
