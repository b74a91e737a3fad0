"""SDET agent, basic depth: find changed Python functions that no test of the project mentions.

This is deterministic and cheap: the head version of each changed ``.py`` file is parsed, functions whose
lines were touched are listed, and the project's test files are searched for their names. Generating,
running and filtering tests (5/5 passes, coverage or a killed mutant) is the agent's full depth, built on
top of this target selection.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from agents.base import AgentOutput, AgentRun
from opsquad.findings import AgentNote, FileLocation, Finding, Severity
from tools import git

_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$|(^|/)tests?/.*\.py$")


def changed_functions(source: str, lines: set[int]) -> list[tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function whose body contains a changed line."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                end = child.end_lineno or child.lineno
                if any(child.lineno <= n <= end for n in lines):
                    out.append((prefix + child.name, child.lineno, end))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return out


class SdetAgent:
    role = "sdet"

    def run(self, run: AgentRun) -> AgentOutput:
        req = run.request
        if not (req.repo and req.base and req.head):
            return AgentOutput(note=AgentNote(agent=run.name, summary="No git range given; nothing to check.",
                                              not_checked=["untested changes (needs --base and --head)"]))
        repo = git.repo_root(Path(req.repo))
        changed = git.changed_lines(repo, req.base, req.head)
        py_files = [p for p in changed if p.endswith(".py") and not _TEST_FILE.search(p)]
        test_text = self._tests_text(repo, req.head)
        findings: list[Finding] = []
        checked = 0
        for path in py_files:
            source = git.read_at(repo, req.head, path, max_bytes=1_000_000)
            if source is None:
                continue
            for name, start, _end in changed_functions(source, changed[path]):
                checked += 1
                short = name.rsplit(".", 1)[-1]
                if short.startswith("_") or re.search(rf"\b{re.escape(short)}\b", test_text):
                    continue
                findings.append(Finding(
                    rule_id="sdet.untested-change", title=f"Changed function `{name}` has no test",
                    message=f"`{name}` changed in this range and no test file mentions it.",
                    severity=Severity.low, category="testing", confidence=0.8,
                    location=FileLocation(path=path, start_line=start, end_line=start),
                    evidence=source.splitlines()[start - 1].strip() if source else "",
                    remediation=f"Add a unit test that calls `{short}` and asserts its result.",
                    source="opsquad-sdet", agent=run.name))
        summary = f"{checked} changed function(s) in {len(py_files)} file(s); {len(findings)} without a test."
        return AgentOutput(findings=findings, note=AgentNote(
            agent=run.name, summary=summary, stats={"changed_functions": checked, "untested": len(findings)},
            not_checked=["generated tests (the SDET agent's test generation is not wired into reviews yet)"]))

    @staticmethod
    def _tests_text(repo: Path, ref: str) -> str:
        names = git.list_files(repo, ref)
        chunks = []
        for name in names:
            if _TEST_FILE.search(name):
                text = git.read_at(repo, ref, name, max_bytes=500_000)
                if text:
                    chunks.append(text)
        return "\n".join(chunks)
