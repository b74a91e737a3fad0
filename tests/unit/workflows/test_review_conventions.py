"""pr_review applies the conventions every reviewer applies: test code, built bundles and migrations."""

from __future__ import annotations

from pathlib import Path

from opsquad.config import OpsquadConfig
from opsquad.findings import FileLocation, Severity
from opsquad.model.protocol import FakeModel
from opsquad.request import Request
from tests.support.common import git, make_services
from workflows.dispatch import dispatch

FILES = {
    "app/views.py": "import subprocess\n\n\ndef archive(name):\n    subprocess.run('tar czf ' + name, shell=True)\n",
    "tests/test_login.py": 'ADMIN_PASSWORD = "s3cretAdminPass"\n\n\ndef test_login():\n    assert ADMIN_PASSWORD\n',
    "tests/test_keys.py": 'KEY = "AKIAQ3EGRTW7K2JD5PLN"\n',
    "app/static/assets/index-3fa2c91b.js": "function r(){eval(location.hash.slice(1))}\nr();\n",
    "migrations/versions/3fa2c91b_users.py": "from alembic import op\n\n\ndef upgrade():\n    op.add_column('u', 'x')"
                                            "\n\n\ndef downgrade():\n    op.drop_column('u', 'x')\n",
}


def _repo(root: Path) -> tuple[str, str]:
    git(root, "init", "-q")
    (root / "README.md").write_text("app\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    base = git(root, "rev-parse", "HEAD")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "change")
    return base, git(root, "rev-parse", "HEAD")


def test_review_by_convention(config: OpsquadConfig, tmp_path: Path) -> None:
    base, head = _repo(tmp_path)
    req = Request(workflow="pr_review", repo=str(tmp_path), base=base, head=head, options={"no_triage": True})
    report = dispatch(req, make_services(config, FakeModel())).report
    by_path: dict[str, list] = {}
    for f in report.findings:
        assert isinstance(f.location, FileLocation)
        by_path.setdefault(f.location.path, []).append(f)
    # the built, content-hashed bundle is not reviewed line by line, and the report says so
    assert "app/static/assets/index-3fa2c91b.js" not in by_path
    notes = {n.agent: n for n in report.notes}
    assert any(line.startswith("generated: 1 file(s)") and "index-3fa2c91b.js" in line
               for line in notes["devsecops"].not_checked)
    # a dummy password in a test is low; a key recognizable by its format stays critical; product code is untouched
    [password] = by_path["tests/test_login.py"]
    assert password.severity is Severity.low and "lowered" in password.message
    [key] = by_path["tests/test_keys.py"]
    assert key.severity is Severity.critical
    assert any(f.severity.at_least(Severity.high) for f in by_path["app/views.py"])
    # migrations ask for no unit test; the changed product function still does
    untested = [f for f in report.findings if f.rule_id == "sdet.untested-change"]
    assert [f.location.path for f in untested if isinstance(f.location, FileLocation)] == ["app/views.py"]
    assert any("migration" in line and "3fa2c91b_users.py" in line for line in notes["sdet"].not_checked)


def test_directory_scan_by_convention(config: OpsquadConfig, tmp_path: Path) -> None:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "app/jobs.py").write_text(FILES["app/views.py"])
    (tmp_path / ".gitattributes").write_text("app/views.py linguist-generated\n")
    req = Request(workflow="scan", repo=str(tmp_path), options={"no_triage": True})
    report = dispatch(req, make_services(config, FakeModel())).report
    paths = {f.location.path for f in report.findings if isinstance(f.location, FileLocation)}
    assert "app/jobs.py" in paths and not paths & {"app/views.py", "app/static/assets/index-3fa2c91b.js"}
    [note] = report.notes
    assert any(line.startswith("generated: 2 file(s)") and "app/views.py" in line for line in note.not_checked)
