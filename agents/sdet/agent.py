"""SDET agent: tests that prove a change works.

Two depths. The cheap one is deterministic: the head version of each changed ``.py`` file is parsed,
functions whose lines were touched are listed, and a call graph from the project's tests (names, route URLs,
call chains: ``agents.sdet.reach``) says which of them no test reaches.
The full one (``testgen``) writes tests with the local model and keeps only those that pass 5 runs of
5 and add coverage; it serves the ``testgen`` workflow and, when ``testgen_budget_s`` is set for the agent,
suggests kept tests in ``pr_review``. Git reads go through the ``git`` grant, sandboxed test runs through
``pytest`` (``AgentRun.use``): without them the agent says what it could not check.
"""

from __future__ import annotations

import ast
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agents.base import AgentOutput, AgentRun
from agents.sdet.reach import reached_from_tests
from opsquad.conventions import Conventions, FileKind
from opsquad.errors import ToolDenied
from opsquad.findings import AgentNote, FileLocation, Finding, Severity
from tools import git

if TYPE_CHECKING:  # test generation is imported only when a run asks for it
    from agents.sdet.testgen.candidates import Candidate
    from agents.sdet.testgen.targets import Target



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


@dataclass
class Untested:
    """A changed public function no test file mentions, and the finding that says so."""

    qualname: str
    finding: Finding


class SdetAgent:
    role = "sdet"

    def run(self, run: AgentRun) -> AgentOutput:
        req = run.request
        if req.workflow == "testgen" or req.options.get("testgen"):
            return self._generate(run)
        if not (req.repo and req.base and req.head):
            return AgentOutput(note=AgentNote(agent=run.name, summary="No git range given; nothing to check.",
                                              not_checked=["untested changes (needs --base and --head)"]))
        try:
            untested, checked, files, by_convention = self._untested(run, git.repo_root(Path(req.repo)), req.base,
                                                                     req.head)
        except ToolDenied as exc:
            return AgentOutput(note=AgentNote(agent=run.name, summary="Could not read the change.",
                                              not_checked=[f"untested changes ({exc.line})"]))
        findings = [u.finding for u in untested]
        summary = f"{checked} changed function(s) in {files} file(s); {len(findings)} without a test."
        not_checked = _by_convention_line(by_convention)
        stats: dict[str, float | int | str] = {"changed_functions": checked, "untested": len(findings)}
        if findings and run.agent_config.testgen_budget_s > 0:
            suggestions, stats_gen = self._suggest(run, {u.qualname for u in untested})
            findings += suggestions
            stats.update(stats_gen)
        elif findings:
            not_checked.append("generated tests (testgen_budget_s is 0 for this agent)")
        return AgentOutput(findings=findings, note=AgentNote(
            agent=run.name, summary=summary, stats=stats, not_checked=not_checked))

    def _untested(self, run: AgentRun, repo: Path, base: str,
                  head: str) -> tuple[list[Untested], int, int, dict[str, FileKind]]:
        """(untested changed functions, changed functions checked, changed source files, and the changed test,
        migration, generated or vendored Python files, which by convention ask for no unit test)."""
        changed = run.use("git", "changed_lines", lambda: git.changed_lines(repo, base, head),
                          args={"base": base, "head": head}, size=len)
        conventions = Conventions(run.config.conventions, run.use(
            "git", "read_at", lambda: git.gitattributes(repo, head),
            args={"ref": head, "path": ".gitattributes"}) or "")
        sources: dict[str, str | None] = {}

        def read(path: str) -> str | None:
            if path not in sources:
                sources[path] = self._read(run, repo, head, path)
            return sources[path]

        kinds = {p: conventions.kind(p, read) for p in changed if p.endswith(".py")}
        py_files = [p for p, k in kinds.items() if k is FileKind.source]
        test_text = run.use("git", "read_tests", lambda: self._tests_text(repo, head, conventions),
                            args={"ref": head}, size=len)
        project = run.use("git", "read_sources", lambda: self._sources(repo, head, conventions),
                          args={"ref": head}, size=len)
        reached = reached_from_tests({**project, **{p: s for p, s in sources.items() if s}}, test_text)
        out: list[Untested] = []
        checked = 0
        for path in py_files:
            source = read(path)
            if source is None:
                continue
            for name, start, _end in changed_functions(source, changed[path]):
                checked += 1
                short = name.rsplit(".", 1)[-1]
                if not short.startswith("_") and short not in reached:
                    out.append(Untested(name, _untested_finding(run.name, path, name, start, source)))
        return out, checked, len(py_files), {p: k for p, k in kinds.items() if k is not FileKind.source}

    @staticmethod
    def _read(run: AgentRun, repo: Path, ref: str, path: str) -> str | None:
        return run.use("git", "read_at", lambda: git.read_at(repo, ref, path, max_bytes=1_000_000),
                       args={"ref": ref, "path": path})

    @staticmethod
    def _generate(run: AgentRun) -> AgentOutput:
        from agents.sdet.testgen.service import generate_for_request

        _result, answer = generate_for_request(run)
        return AgentOutput(answer=answer, note=AgentNote(agent=run.name, summary=answer.summary,
                                                         stats=dict(answer.funnel.model_dump())))

    @staticmethod
    def _suggest(run: AgentRun, names: set[str]) -> tuple[list[Finding], dict[str, float | int | str]]:
        """Generate tests for the changed functions within the review's budget; kept ones become suggestions."""
        from agents.sdet.testgen.engine import run_testgen
        from agents.sdet.testgen.service import changed_targets, funnel, model_ask, settings_for
        from agents.sdet.testgen.targets import find_project

        req = run.request
        assert req.repo and req.base and req.head
        repo, base, head = git.repo_root(Path(req.repo)), req.base, req.head
        try:
            with tempfile.TemporaryDirectory(prefix="opsquad-head-") as tmp:
                tree = run.use("git", "checkout_tree", lambda: git.checkout_tree(repo, head, Path(tmp) / "tree"),
                               args={"ref": head})
                changed = run.use("git", "changed_lines", lambda: git.changed_lines(repo, base, head),
                                  args={"base": base, "head": head}, size=len)
                project = find_project(tree)
                targets = [t for t in changed_targets(project, changed, repo, tree) if t.qualname in names]
                result = run_testgen(project, targets, model_ask(run),
                                     settings_for(run, run.agent_config.testgen_budget_s), run.progress,
                                     run.user("pytest"))
        except Exception as exc:  # a generation failure (or a tool not granted) must not sink the review
            return [], {"testgen_error": str(exc)[:200]}
        out = [_suggestion(run.name, project.root, next(t for t in targets if t.key == cand.target), cand)
               for cand in result.candidates if cand.stage == "kept"]
        return out, {f"testgen_{k}": v for k, v in funnel(result).model_dump().items()}

    @staticmethod
    def _sources(repo: Path, ref: str, conventions: Conventions) -> dict[str, str]:
        """The project's own Python code at ``ref`` (what the call graph from the tests walks)."""
        out = {}
        for name in git.list_files(repo, ref):
            if name.endswith(".py") and conventions.kind(name) is FileKind.source:
                text = git.read_at(repo, ref, name, max_bytes=500_000)
                if text:
                    out[name] = text
        return out

    @staticmethod
    def _tests_text(repo: Path, ref: str, conventions: Conventions) -> str:
        chunks = []
        for name in git.list_files(repo, ref):
            if name.endswith(".py") and conventions.is_test(name):
                text = git.read_at(repo, ref, name, max_bytes=500_000)
                if text:
                    chunks.append(text)
        return "\n".join(chunks)


def _by_convention_line(kinds: dict[str, FileKind]) -> list[str]:
    """One not-checked line for the changed migrations and generated or vendored files (test files say nothing)."""
    asked_none = sorted(p for p, k in kinds.items() if k is not FileKind.test)
    if not asked_none:
        return []
    what = ", ".join(sorted({kinds[p].value for p in asked_none}))
    more = f" (+{len(asked_none) - 3} more)" if len(asked_none) > 3 else ""
    return [f"untested changes in {what} code (by convention): {', '.join(asked_none[:3])}{more}"]


def _untested_finding(agent: str, path: str, name: str, start: int, source: str) -> Finding:
    short = name.rsplit(".", 1)[-1]
    return Finding(
        rule_id="sdet.untested-change", title=f"Changed function `{name}` has no test",
        message=f"`{name}` changed in this range and no test reaches it (by name, by the URL of its route, or "
                f"through a function that calls it).",
        severity=Severity.low, category="testing", confidence=0.8,
        location=FileLocation(path=path, start_line=start, end_line=start),
        evidence=source.splitlines()[start - 1].strip() if source else "",
        remediation=f"Add a unit test that calls `{short}` and asserts its result.",
        source="opsquad-sdet", agent=agent)


def _suggestion(agent: str, root: Path, target: Target, cand: Candidate) -> Finding:
    rel = str(target.path.relative_to(root))
    return Finding(
        rule_id="sdet.suggested-test", title=f"Suggested test for `{target.qualname}`",
        message=f"A generated test for `{target.qualname}` passed 5 of 5 runs and adds coverage ({cand.reason}).",
        severity=Severity.info, category="testing", confidence=1.0,
        location=FileLocation(path=rel, start_line=target.lineno, end_line=target.lineno),
        evidence=cand.code.splitlines()[0], remediation=f"```python\n{cand.code.strip()}\n```",
        source="opsquad-sdet", agent=agent)
