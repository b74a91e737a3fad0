"""The SDET agent's test generation as the orchestrator runs it: from a ``Request`` to files and a report.

Two callers: the ``testgen`` workflow (a module, file, package or git range; writes the kept tests to
``--out`` and, only with ``--write``, into the project) and ``pr_review`` (the changed functions, a short
budget, the kept tests offered as suggestions). Both get the same funnel in the report: generated → parsed →
passing → kept, with the reason every other candidate was discarded.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from agents.base import AgentRun
from agents.sdet.testgen.engine import AskFn, Result, Settings, run_testgen
from agents.sdet.testgen.targets import (
    Project,
    Target,
    find_project,
    module_targets,
    package_modules,
    resolve_file,
    resolve_module,
)
from opsquad.answers import Funnel, TestgenAnswer
from opsquad.errors import OpsquadError
from opsquad.model.protocol import Message
from tools import git

MAX_TOKENS = {"GeneratedBatch": 700, "RepairedTest": 420}


def model_ask(run: AgentRun) -> AskFn:
    def ask(messages: list[Message], kind: type[Any]) -> Any:
        return run.ask(messages, kind, schema_name=kind.__name__, max_tokens=MAX_TOKENS.get(kind.__name__))
    return ask


def changed_targets(project: Project, changed: dict[str, set[int]], repo: Path,
                    tree: Path | None = None) -> list[Target]:
    """Functions whose lines changed (``changed``: path -> line numbers), in non-test modules of the project.

    ``tree`` is where the head version is checked out (the repository itself when it is the working tree).
    """
    targets: list[Target] = []
    for rel, lines in changed.items():
        path = ((tree or repo) / rel).resolve()
        module = next((m for m, f in project.modules.items() if f.resolve() == path), None)
        if module is not None and lines:
            targets += module_targets(project, module, only_lines=set(lines))
    return targets


def select_targets(run: AgentRun, project: Project) -> list[Target]:
    req, opts = run.request, run.request.options
    if opts.get("module"):
        return module_targets(project, resolve_module(project, str(opts["module"])))
    if opts.get("file"):
        return module_targets(project, resolve_file(project, Path(str(opts["file"]))))
    if req.base and req.head and req.repo is not None:
        repo = git.repo_root(Path(req.repo))
        base, head = req.base, req.head
        changed = run.use("git", "changed_lines", lambda: git.changed_lines(repo, base, head),
                          args={"base": base, "head": head}, size=len)
        return changed_targets(project, changed, repo)
    path = Path(str(opts.get("path") or project.root))
    return [t for m in package_modules(project, path) for t in module_targets(project, m)]


def funnel(result: Result) -> Funnel:
    cands = result.candidates
    return Funnel(generated=len(cands), parsed=sum(c.parsed for c in cands), passing=sum(c.passed for c in cands),
                  kept=sum(c.stage == "kept" for c in cands))


def report_answer(result: Result, written: list[str]) -> TestgenAnswer:
    """The report's answer: funnel, coverage before/after, where the time went, discard reasons."""
    reasons = Counter(c.reason.split(":")[0] if c.reason.startswith(("fails", "flaky", "does not parse"))
                      else c.reason for c in result.candidates if c.stage == "discarded")
    f = funnel(result)
    b, a = result.before, result.after
    return TestgenAnswer(
        summary=(f"{f.kept} test(s) kept of {f.generated} generated for {result.targets} function(s); "
                 f"line coverage {b.line_pct:.1f}% → {a.line_pct:.1f}%, branch {b.branch_pct:.1f}% → "
                 f"{a.branch_pct:.1f}%"),
        funnel=f, coverage_before=b.as_dict(), coverage_after=a.as_dict(), time_s=result.timings,
        stopped_by_budget=result.stopped_by_budget,
        mutation=result.mutation or "not run (no time left after generation)",
        discarded=[f"{n} × {r}" for r, n in reasons.most_common()],
        kept_tests=[f"{c.target}: {c.name} ({c.reason}; {c.origin})" for c in result.candidates
                    if c.stage == "kept"],
        files=written, existing_tests=result.existing_tests)


def candidates_json(result: Result) -> str:
    """Every candidate with where it stopped and why, so a discarded test can be read and rescued by hand."""
    return json.dumps([{"id": c.id, "target": c.target, "name": c.name, "origin": c.origin, "stage": c.stage,
                        "reason": c.reason, "imports": c.imports, "code": c.code} for c in result.candidates],
                      indent=1) + "\n"


def write_files(files: dict[str, str], out: Path) -> list[str]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OpsquadError(f"{out}: cannot write the kept tests ({exc.strerror or exc})") from None
    return [str(out / name) for name in files]


def settings_for(run: AgentRun, budget: float) -> Settings:
    serve = run.config.models[run.agent_config.model].serve
    parallel = serve.parallel if serve is not None else 2
    return Settings(budget_s=budget, parallel=max(1, parallel), reserve_s=min(25.0, budget * 0.15))


def generate_for_request(run: AgentRun) -> tuple[Result, TestgenAnswer]:
    req = run.request
    opts = req.options
    project = find_project(Path(str(opts.get("path") or req.repo or ".")))
    targets = select_targets(run, project)
    budget = float(opts.get("budget") or 300)
    result = run_testgen(project, targets, model_ask(run), settings_for(run, budget), run.progress,
                         run.user("pytest"))
    written: list[str] = []
    if opts.get("out"):
        out = Path(str(opts["out"]))
        written += write_files(result.files, out)
        write_files({"opsquad-testgen-candidates.json": candidates_json(result)}, out)
    if opts.get("write") and result.files:
        written += write_files(result.files, project.root / "tests")
    return result, report_answer(result, written)

