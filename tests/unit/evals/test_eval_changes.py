"""The real-changes eval: a release pair becomes a two-commit repository, and dismiss-at-sight is counted."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from evals.devsecops import changes
from evals.devsecops.changes import PairResult, dismissed_kind, format_table, review_pair
from opsquad.findings import FileLocation, Finding, Report, Severity


def _sdist(path: Path, top: str, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _finding(rule: str, path: str, severity: Severity = Severity.high) -> Finding:
    return Finding(rule_id=rule, title="t", message="m", severity=severity,
                   location=FileLocation(path=path, start_line=1, end_line=1))


def test_a_release_pair_is_reviewed_and_dismissals_counted(tmp_path: Path, monkeypatch) -> None:
    base = _sdist(tmp_path / "app-1.0.tar.gz", "app-1.0", {"app/views.py": "x = 1\n"})
    head = _sdist(tmp_path / "app-1.1.tar.gz", "app-1.1", {
        "app/views.py": "x = 2\ny = 3\n", "tests/test_login.py": "PASSWORD = 'hunter22'\n",
        "app/static/bundle.js": "var a=1;" * 100, "migrations/versions/1_add.py": "from alembic import op\n"})
    monkeypatch.setattr(changes, "sdist", lambda _p, v, _s: base if v == "1.0" else head)
    seen: list[tuple[str, str]] = []

    def review(repo: Path, b: str, h: str, triage: bool) -> Report:
        seen.append((b, h))
        assert (repo / "app/views.py").read_text() == "x = 2\ny = 3\n"
        return Report(run_id="r", workflow="pr_review", findings=[
            _finding("hardcoded-secret-assignment", "tests/test_login.py"),
            _finding("aws-access-key-id", "tests/test_login.py", Severity.critical),
            _finding("javascript-eval-injection", "app/static/bundle.js"),
            _finding("sdet.untested-change", "migrations/versions/1_add.py", Severity.low),
            _finding("sdet.untested-change", "app/views.py", Severity.low)])

    result = review_pair(("app", "1.0", "s1", "1.1", "s2"), False, review)
    assert len(seen) == 1 and seen[0][0] != seen[0][1]
    assert result.changed_py_lines == 5 and result.active == 5  # views.py 1 - 2 +, the test 1, the migration 1
    assert {k: len(v) for k, v in result.dismissed.items()} == {
        "test-code-high": 1, "built-or-vendored": 1, "migration-untested": 1}
    table = format_table([result, PairResult("gone 1..2", 0, 0.0, error="no sdist")], triage=False)
    assert "dismiss-at-sight findings: 3" in table and "error: no sdist" in table


def test_product_code_is_never_dismissed(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/main.js").write_text("function f() {\n  return 1;\n}\n")
    assert dismissed_kind(_finding("python-sql-injection", "app/views.py"), tmp_path) is None
    assert dismissed_kind(_finding("javascript-eval-injection", "app/main.js"), tmp_path) is None
    assert dismissed_kind(_finding("javascript-eval-injection", "app/index-3fa2c91b.js"), tmp_path) == \
        "built-or-vendored"
