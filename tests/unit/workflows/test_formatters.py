"""The four output formatters: SARIF validity and content, redaction everywhere, markdown and text layout."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from opsquad.answers import Evidence, SreAnswer, Step
from opsquad.errors import OpsquadError
from opsquad.findings import (
    AgentNote,
    FileLocation,
    Finding,
    K8sLocation,
    Report,
    Severity,
    Suppression,
    Triage,
)
from tests.support.common import SARIF_SCHEMA
from workflows.formatters import FORMATTERS, render
from workflows.formatters import markdown as md_fmt
from workflows.formatters import text as text_fmt
from workflows.formatters.sarif import artifact_location, parse_unified_diff, to_sarif

SCHEMA_PATH = SARIF_SCHEMA
# Built by concatenation so this file itself does not trip secret scanners.
CANARY = "AKIA" + "IOSFODNN7EXAMPLE"
KEY = "opsquadFingerprint/v1"
JUSTIFICATION = "constant command, no user input reaches it"

SQL_PATCH = """\
--- a/app/db.py
+++ b/app/db.py
@@ -10,4 +10,4 @@ def get(user_id):
     conn = connect()
-    q = "SELECT * FROM users WHERE id=" + user_id
-    return conn.execute(q)
+    q = "SELECT * FROM users WHERE id=?"
+    return conn.execute(q, (user_id,))
     conn.close()
"""


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text()))


def assert_valid_sarif(validator: jsonschema.Draft4Validator, doc: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


def make_findings() -> dict[str, Finding]:
    return {
        "fp": Finding(
            rule_id="py.shell-true", title="subprocess with shell=True", message="shell=True runs a shell.",
            severity=Severity.medium, agent="devsecops",
            location=FileLocation(path="app/run.py", start_line=3, end_line=3, start_col=5, end_col=30),
            evidence="subprocess.run('ls -l', shell=True)",
            triage=Triage(verdict="false_positive", confidence=0.9, reason="the command is a constant"),
            suppression=Suppression(kind="triage", justification=JUSTIFICATION),
        ),
        "sql": Finding(
            rule_id="py.sql-injection", title="SQL built from `user` | input", message="User input in SQL.",
            severity=Severity.high, confidence=0.8, cwe=["CWE-89"], agent="devsecops",
            location=FileLocation(path="app/db.py", start_line=11, end_line=12),
            evidence='q = "SELECT * FROM users WHERE id=" + user_id',
            remediation="Use a parameterised query.", fix_patch=SQL_PATCH,
            triage=Triage(verdict="true_positive", confidence=0.85, reason="user_id comes from the request"),
        ),
        "k8s": Finding(
            rule_id="k8s.privileged", title="Privileged container", message="Container web runs privileged.",
            severity=Severity.medium, cwe=["250"], agent="k8s",
            location=K8sLocation(api_version="apps/v1", object_kind="Deployment", namespace="prod",
                                 name="web"),
        ),
        "secret": Finding(
            rule_id="secrets.aws-key", title="AWS access key in settings",
            message=f"Hard-coded key {CANARY}.", severity=Severity.critical,
            location=FileLocation(path="conf/settings.py", start_line=2, end_line=2),
            evidence=f'AWS_ACCESS_KEY_ID = "{CANARY}"', remediation="Rotate the key; read it from the env.",
        ),
        "nowhere": Finding(
            rule_id="sre.no-alerts", title="No alert rules", message="Prometheus has no alerting rules.",
            severity=Severity.info, category="reliability",
        ),
    }


@pytest.fixture
def findings() -> dict[str, Finding]:
    return make_findings()


@pytest.fixture
def report(findings: dict[str, Finding]) -> Report:
    return Report(
        run_id="run-42", workflow="review", target="/src/shop", findings=list(findings.values()),
        notes=[AgentNote(agent="devsecops", summary="Scanned 3 files.", not_checked=["Dockerfile", "helm/"])],
        answer=SreAnswer(root_cause="web OOM-killed",
                         evidence=[Evidence(claim="5 restarts", source="pod/web"),
                                   Evidence(claim=f"env had {CANARY}", source="pod/web env")],
                         remediation=[Step(step="raise the memory limit")], confidence=0.7),
    )


def result_for(doc: dict[str, Any], finding: Finding) -> dict[str, Any]:
    matches = [r for r in doc["runs"][0]["results"] if r["partialFingerprints"][KEY] == finding.fingerprint]
    assert len(matches) == 1
    return matches[0]


def rule_for(doc: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = doc["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == result["ruleId"]
    return rule


# --- registry ---------------------------------------------------------------------------------------------


def test_registry_names_the_four_formats(report: Report) -> None:
    assert set(FORMATTERS) == {"sarif", "json", "markdown", "text"}
    for name in FORMATTERS:
        assert render(report, name).endswith("\n")


def test_unknown_format_is_one_line_opsquad_error(report: Report) -> None:
    expected = r"unknown output format 'xml'.*json, markdown, sarif, text"
    with pytest.raises(OpsquadError, match=expected) as info:
        render(report, "xml")
    assert "\n" not in str(info.value)


# --- SARIF ------------------------------------------------------------------------------------------------


def test_schema_check_is_not_vacuous(validator: jsonschema.Draft4Validator, report: Report) -> None:
    doc = to_sarif(report)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    doc["runs"][0]["results"][0]["suppressions"][0]["kind"] = "triage"
    assert len(list(validator.iter_errors(doc))) == 2


@pytest.mark.parametrize("which", [["fp", "sql", "k8s", "secret", "nowhere"], ["nowhere"], ["k8s"], []])
def test_sarif_is_schema_valid(validator: jsonschema.Draft4Validator, which: list[str]) -> None:
    fs = make_findings()
    doc = json.loads(render(Report(run_id="r", workflow="review", findings=[fs[k] for k in which]), "sarif"))
    assert_valid_sarif(validator, doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(doc["runs"][0]["results"]) == len(which)


def test_sarif_run_tool_and_invocation(report: Report) -> None:
    run = to_sarif(report)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "opsquad"
    assert driver["version"] == __import__("opsquad").__version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [f.rule_id for f in report.findings]
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["properties"]["run_id"] == "run-42"
    assert run["properties"]["workflow"] == "review"


def test_sarif_fingerprints_levels_and_rule_properties(report: Report, findings: dict[str, Finding]) -> None:
    doc = to_sarif(report)
    sql = result_for(doc, findings["sql"])
    assert sql["partialFingerprints"] == {KEY: findings["sql"].fingerprint}
    assert sql["fingerprints"] == {KEY: findings["sql"].fingerprint}
    assert sql["level"] == "error"
    rule = rule_for(doc, sql)
    assert rule["properties"]["security-severity"] == "8.0"
    assert "security" in rule["properties"]["tags"] and "CWE-89" in rule["properties"]["tags"]
    assert rule["properties"]["cwe"] == ["CWE-89"]
    assert rule["properties"]["precision"] == "high"
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["help"]["text"] == "Use a parameterised query."
    region = sql["locations"][0]["physicalLocation"]
    assert region["artifactLocation"] == {"uri": "app/db.py", "uriBaseId": "%SRCROOT%"}
    assert region["region"] == {"startLine": 11, "endLine": 12}

    k8s = result_for(doc, findings["k8s"])
    assert k8s["level"] == "warning"
    assert rule_for(doc, k8s)["properties"]["cwe"] == ["CWE-250"]  # bare "250" normalised
    assert rule_for(doc, k8s)["properties"]["security-severity"] == "5.5"
    assert rule_for(doc, result_for(doc, findings["secret"]))["properties"]["security-severity"] == "9.5"
    nowhere = result_for(doc, findings["nowhere"])
    assert nowhere["level"] == "note" and "locations" not in nowhere
    assert rule_for(doc, nowhere)["properties"]["security-severity"] == "1.0"


def test_sarif_triage_and_suppressions(report: Report, findings: dict[str, Finding]) -> None:
    doc = to_sarif(report)
    fp = result_for(doc, findings["fp"])
    assert fp["properties"]["triage"] == {"verdict": "false_positive", "confidence": 0.9,
                                          "reason": "the command is a constant"}
    assert fp["properties"]["agent"] == "devsecops" and fp["properties"]["severity"] == "medium"
    assert fp["suppressions"][0]["kind"] == "external"
    assert fp["suppressions"][0]["status"] == "accepted"
    assert fp["suppressions"][0]["justification"] == JUSTIFICATION
    assert fp["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "endLine": 3, "startColumn": 5, "endColumn": 30}
    sql = result_for(doc, findings["sql"])
    assert "suppressions" not in sql
    assert sql["properties"]["triage"]["verdict"] == "true_positive"
    assert "triage" not in result_for(doc, findings["k8s"])["properties"]

    inline_suppression = Suppression(kind="inline", justification="ok")
    inline = findings["k8s"].model_copy(update={"suppression": inline_suppression})
    doc = to_sarif(Report(run_id="r", workflow="w", findings=[inline]))
    assert doc["runs"][0]["results"][0]["suppressions"][0]["kind"] == "inSource"


def test_sarif_kubernetes_location_is_logical(report: Report, findings: dict[str, Finding]) -> None:
    k8s = result_for(to_sarif(report), findings["k8s"])
    [location] = k8s["locations"]
    assert "physicalLocation" not in location
    [logical] = location["logicalLocations"]
    assert logical["fullyQualifiedName"] == "Deployment/prod/web"
    assert logical["kind"] == "object"


def test_sarif_fix_from_unified_diff(report: Report, findings: dict[str, Finding]) -> None:
    [fix] = result_for(to_sarif(report), findings["sql"])["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "app/db.py", "uriBaseId": "%SRCROOT%"}
    # Old lines 11-12 replaced: the region runs from 11:1 to the start of line 13.
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 11, "startColumn": 1, "endLine": 13, "endColumn": 1},
        "insertedContent": {
            "text": '    q = "SELECT * FROM users WHERE id=?"\n    return conn.execute(q, (user_id,))\n'},
    }]


@pytest.mark.parametrize("patch", [
    "not a diff at all",
    SQL_PATCH.replace("@@ -10,4 +10,4 @@", "@@ -10,9 +10,4 @@"),  # counts disagree with the body
    "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n",  # creates a file: no region to anchor
    f"--- a/c.py\n+++ b/c.py\n@@ -1 +1 @@\n-KEY = 'x'\n+KEY = '{CANARY}'\n",  # redaction changed it
])
def test_sarif_omits_fixes_it_cannot_trust(validator: jsonschema.Draft4Validator, patch: str) -> None:
    finding = make_findings()["sql"].model_copy(update={"fix_patch": patch})
    doc = to_sarif(Report(run_id="r", workflow="w", findings=[finding]))
    assert_valid_sarif(validator, doc)
    assert "fixes" not in doc["runs"][0]["results"][0]


def test_parse_unified_diff_insertions_deletions_and_no_eol() -> None:
    patch = ("--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@\n+a\n+b\n@@ -9,2 +10,1 @@\n keep\n-gone\n"
             "@@ -20 +20 @@\n-old\n+new\n\\ No newline at end of file\n")
    assert parse_unified_diff(patch) == [("x.py", [(4, 0, "a\nb\n"), (10, 1, ""), (20, 1, "new")])]


def test_artifact_location_is_relative_to_srcroot_when_it_can_be() -> None:
    under_root = artifact_location("/src/shop/app/a b.py", "/src/shop")
    assert under_root == {"uri": "app/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("./app/x.py") == {"uri": "app/x.py", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("/etc/passwd", "/src/shop") == {"uri": "file:///etc/passwd"}


# --- redaction across all outputs -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["sarif", "json", "markdown", "text"])
def test_canary_secret_never_appears(report: Report, fmt: str) -> None:
    out = render(report, fmt)
    assert CANARY not in out
    assert "[REDACTED:aws-access-key]" in out  # masked in place, not silently dropped
    assert report.findings[3].evidence.endswith(f'"{CANARY}"')  # the caller's report is left untouched


# --- JSON -------------------------------------------------------------------------------------------------


def test_json_is_the_report_plus_counts(report: Report, findings: dict[str, Finding]) -> None:
    data = json.loads(render(report, "json"))
    assert data["counts"] == {"info": 1, "low": 0, "medium": 1, "high": 1, "critical": 1}
    counts = data.pop("counts")
    back = Report.model_validate(data)
    assert [f.fingerprint for f in back.findings] == [f.fingerprint for f in findings.values()]
    assert back.counts() == counts
    assert back.findings[0].triage is not None and back.findings[0].suppressed


# --- markdown ---------------------------------------------------------------------------------------------


def test_markdown_pr_comment(report: Report) -> None:
    out = render(report, "markdown")
    assert out.startswith("## opsquad review")
    assert "**4 findings (1 critical, 1 high, 1 medium, 1 info), 1 suppressed**" in out
    assert "| 1 | 1 | 1 | 0 | 1 | 1 |" in out  # critical, high, medium, low, info, suppressed
    rows = [line for line in out.splitlines() if line.startswith("| ") and "app/db.py:11" in line]
    assert rows == ["| HIGH | py.sql-injection | app/db.py:11 | SQL built from \\`user\\` \\| input |"]
    assert "| MEDIUM | k8s.privileged | Deployment/prod/web | Privileged container |" in out
    assert "<summary>1 suppressed finding</summary>" in out
    assert JUSTIFICATION in out
    suppressed = out.split("<details>")[1].split("</details>")[0]
    assert "py.shell-true" in suppressed
    assert "py.shell-true" not in out.split("<details>")[0]  # not in the active table or details
    assert "```diff\n--- a/app/db.py" in out
    assert "**Triage:** true positive (confidence 0.85): user_id comes from the request" in out
    assert "Not checked:\n- Dockerfile\n- helm/" in out
    assert "**Root cause:** web OOM-killed" in out and "- step: raise the memory limit" in out


def test_markdown_fences_outrun_backticks_in_evidence() -> None:
    finding = Finding(rule_id="r", title="t", message="m", severity=Severity.low,
                      evidence="before\n```\n<script>x</script>\n```", location=None)
    out = render(Report(run_id="r", workflow="w", findings=[finding]), "markdown")
    assert "````\nbefore\n```\n<script>x</script>\n```\n````" in out
    assert md_fmt.code("a`b") == "``a`b``"
    assert md_fmt.cell("a|b\nc`d\\") == "a\\|b c\\`d\\\\"


# --- text -------------------------------------------------------------------------------------------------


def test_text_lines_notes_answer_and_summary(report: Report) -> None:
    out = render(report, "text")
    lines = out.splitlines()
    active_part, _, suppressed_part = out.partition("\nSuppressed:\n")
    finding_lines = [line for line in active_part.splitlines() if re.match(r"^(CRITICAL|HIGH|MEDIUM|LOW|INFO) ", line)]
    assert [line.split()[:3] for line in finding_lines] == [
        ["HIGH", "py.sql-injection", "app/db.py:11"],
        ["MEDIUM", "k8s.privileged", "Deployment/prod/web"],
        ["CRITICAL", "secrets.aws-key", "conf/settings.py:2"],
        ["INFO", "sre.no-alerts", "-"],
    ]
    assert finding_lines[0].endswith("  SQL built from `user` | input")
    assert "py.shell-true" not in active_part  # suppressed: listed apart, with why
    assert suppressed_part.splitlines()[0].split()[:2] == ["MEDIUM", "py.shell-true"]
    assert "suppressed (triage):" in suppressed_part and "model: false positive" in suppressed_part
    assert "Not checked:" in out and "- Dockerfile" in out
    assert "Root cause: web OOM-killed" in out
    assert lines[-1] == "4 findings (1 critical, 1 high, 1 medium, 1 info), 1 suppressed"


def test_text_strips_terminal_escapes_and_counts_simply() -> None:
    finding = Finding(rule_id="r", title="evil \x1b[31mred\x1b[0m title", message="m", severity=Severity.high)
    report = Report(run_id="r", workflow="w", findings=[finding])
    out = render(report, "text")
    assert "\x1b" not in out and "evil [31mred[0m title" in out
    assert out.splitlines()[-1] == "1 finding (1 high)"
    assert text_fmt.summary_line(Report(run_id="r", workflow="w")) == "0 findings"


def test_text_redacts_a_secret_split_by_a_control_character() -> None:
    split = f"key {CANARY[:4]}\x1b{CANARY[4:]}"
    finding = Finding(rule_id="r", title=split, message="m", severity=Severity.low)
    out = render(Report(run_id="r", workflow="w", findings=[finding]), "text")
    assert CANARY not in out and "[REDACTED:aws-access-key]" in out
