"""SDET agent: tests that prove a change works.

Two depths. The cheap one is deterministic: the head version of each changed ``.py`` file is parsed,
functions whose lines were touched are listed, and the project's test files are searched for their names.
The full one (``agents/testgen``) writes tests with the local model and keeps only those that pass 5 runs of
5 and add coverage; it serves the ``testgen`` workflow and, when ``testgen_budget_s`` is set for the agent,
suggests kept tests in ``pr_review``.
"""

from __future__ import annotations

import ast
import re
import tempfile
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
        if req.workflow == "testgen" or req.options.get("testgen"):
            return self._generate(run)
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
        not_checked: list[str] = []
        stats: dict[str, float | int | str] = {"changed_functions": checked, "untested": len(findings)}
        if findings and run.cfg.testgen_budget_s > 0:
            suggestions, stats_gen = self._suggest(run, findings)
            findings += suggestions
            stats.update(stats_gen)
        elif findings:
            not_checked.append("generated tests (testgen_budget_s is 0 for this agent)")
        return AgentOutput(findings=findings, note=AgentNote(
            agent=run.name, summary=summary, stats=stats, not_checked=not_checked))

    @staticmethod
    def _generate(run: AgentRun) -> AgentOutput:
        from agents.sdet.testgen.service import generate_for_request

        _result, answer = generate_for_request(run)
        return AgentOutput(answer=answer, note=AgentNote(agent=run.name, summary=str(answer["summary"]),
                                                         stats={k: int(v) for k, v in answer["funnel"].items()}))

    @staticmethod
    def _suggest(run: AgentRun, untested: list[Finding]) -> tuple[list[Finding], dict[str, float | int | str]]:
        """Generate tests for the changed functions within the review's budget; kept ones become suggestions."""
        from agents.sdet.testgen.engine import run_testgen
        from agents.sdet.testgen.service import changed_targets, funnel, settings_for
        from agents.sdet.testgen.service import model_ask as ask_for
        from agents.sdet.testgen.targets import find_project

        req = run.request
        assert req.repo and req.base and req.head
        repo = git.repo_root(Path(req.repo))
        names = {f.title.split("`")[1] for f in untested}
        try:
            with tempfile.TemporaryDirectory(prefix="opsquad-head-") as tmp:
                tree = git.checkout_tree(repo, req.head, Path(tmp) / "tree")
                project = find_project(tree)
                targets = [t for t in changed_targets(project, repo, req.base, req.head, tree)
                           if t.qualname in names]
                result = run_testgen(project, targets, ask_for(run), settings_for(run, run.cfg.testgen_budget_s),
                                     run.progress)
        except Exception as exc:  # a generation failure must not sink the review
            return [], {"testgen_error": str(exc)[:200]}
        out: list[Finding] = []
        for cand in (c for c in result.candidates if c.stage == "kept"):
            target = next(t for t in targets if t.key == cand.target)
            rel = str(target.path.relative_to(project.root))
            out.append(Finding(
                rule_id="sdet.suggested-test", title=f"Suggested test for `{target.qualname}`",
                message=f"A generated test for `{target.qualname}` passed 5 of 5 runs and adds coverage "
                        f"({cand.reason}).",
                severity=Severity.info, category="testing", confidence=1.0,
                location=FileLocation(path=rel, start_line=target.lineno, end_line=target.lineno),
                evidence=cand.code.splitlines()[0], remediation=f"```python\n{cand.code.strip()}\n```",
                source="opsquad-sdet", agent=run.name))
        return out, {f"testgen_{k}": v for k, v in funnel(result).items()}

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
