"""The test-generation loop: aim the model at the least-covered target, filter what it writes, keep the rest.

Why this shape: the model is the expensive part (about 15 tokens/s under a JSON schema on 2 cores), so two
requests stay in flight (the server has two slots and batches them) while the filter runs finished batches.
The next target is always the one with the most uncovered statements, so coverage rises fastest per model
call. The budget is a wall-clock deadline: no new request starts when too little time is left, and what has
passed the filter is kept. Every candidate ends as kept or discarded with a reason, for the report's funnel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.sdet.testgen.assemble import final_check
from agents.sdet.testgen.candidates import (
    Candidate,
    GeneratedBatch,
    RepairedTest,
    clean_imports,
    header,
    normalize,
    public_names,
)
from agents.sdet.testgen.context import messages_for, repair_messages, style_example
from agents.sdet.testgen.doc_examples import doc_example_test
from agents.sdet.testgen.filter import CandidateRunner, CoverageState, short_error
from agents.sdet.testgen.mutation_stage import run_stage
from agents.sdet.testgen.targets import Project, Target
from opsquad.errors import OpsquadError
from opsquad.model.protocol import Message
from tools.base import ToolUse, direct
from tools.coverage_run import CoverageFigures, measure
from tools.pytest_sandbox import Sandbox

AskFn = Callable[[list[Message], type[Any]], Any]


class _DaemonPool:
    """Runs each model call on a daemon thread: a call still waiting at the deadline must not hold up the exit
    (a ThreadPoolExecutor joins its threads when the interpreter stops)."""

    def __init__(self) -> None:
        self.started: dict[Future[Any], float] = {}

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()

        def work() -> None:
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # handed to the loop through the future
                fut.set_exception(exc)

        self.started[fut] = time.monotonic()
        threading.Thread(target=work, daemon=True, name="testgen-model").start()
        return fut


@dataclass
class Settings:
    budget_s: float = 300.0
    repeat: int = 5
    tests_per_call: int = 3
    max_attempts: int = 3
    repair_rounds: int = 1
    parallel: int = 2
    reserve_s: float = 25.0  # kept back for the final together-run and the coverage figures
    min_call_s: float = 20.0  # don't start a model call with less than this left before the reserve
    mutation: bool = True  # time left after generation goes to mutmut on the target functions
    min_mutation_s: float = 40.0


@dataclass
class Result:
    candidates: list[Candidate]
    files: dict[str, str]
    before: CoverageFigures
    after: CoverageFigures
    timings: dict[str, float]
    targets: int
    existing_tests: int
    stopped_by_budget: bool = False
    mutation: dict[str, int | float | str] | None = None


class _Loop:
    def __init__(self, project: Project, targets: list[Target], ask: AskFn, settings: Settings,
                 progress: Callable[[str], None]) -> None:
        self.project, self.targets, self.ask, self.s, self.progress = project, targets, ask, settings, progress
        self.use: ToolUse = direct
        self.start = time.monotonic()
        self.deadline = self.start + settings.budget_s
        self.candidates: list[Candidate] = []
        self.by_id: dict[int, Target] = {}
        self.timings = {"model_s": 0.0, "tests_s": 0.0, "coverage_s": 0.0}
        self.cum = CoverageState()
        self.heads: dict[str, str] = {}
        self.busy: set[str] = set()
        self.stopped_by_budget = False

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def _timed_ask(self, messages: list[Message], kind: type[Any]) -> Any:
        started = time.monotonic()
        result = self.ask(messages, kind)
        self.timings["model_s"] += time.monotonic() - started
        return result

    def head(self, t: Target) -> str:
        if t.module not in self.heads:
            self.heads[t.module] = header(t.module, public_names(t.path.read_text(encoding="utf-8", errors="replace")))
        return self.heads[t.module]

    def uncovered(self, sb: Sandbox, t: Target) -> set[int]:
        return self.cum.uncovered(sb.root / t.path.relative_to(self.project.root), t.lineno, t.end_lineno,
                                  t.executable)

    def next_target(self, sb: Sandbox) -> Target | None:
        ready = [t for t in self.targets if t.attempts < self.s.max_attempts and t.key not in self.busy]
        scored = [(len(self.uncovered(sb, t)), -t.attempts, t) for t in ready]
        scored = [x for x in scored if x[0] > 0]
        if not scored:
            return None
        scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
        return scored[0][2]

    def baseline(self, sb: Sandbox, source: str) -> list[str]:
        """Run the project's own suite once; its coverage is what candidates must add to."""
        run = sb.pytest([], coverage_source=Path(source), timeout_s=max(120.0, self.s.budget_s))
        self.timings["tests_s"] += run.duration_s
        passed = [n for n, o in run.outcomes.items() if o.passed and not o.failed]
        if run.returncode in (2, 3, 4) or (run.returncode == 1 and not passed and run.collect_errors):
            detail = next(iter(run.collect_errors.values()), run.output_tail)
            raise OpsquadError(f"the project's own tests do not run: {short_error(detail)}")
        for nodeid in passed:
            lines, arcs = run.coverage.get(nodeid, (set(), set()))
            self.cum.add(lines, arcs)
        return sorted({n.split("::")[0] for n in run.outcomes if not n.startswith("opsquad_generated/")})

    def run(self) -> Result:
        with Sandbox(self.project.root, self.project.import_root, use=self.use) as sb:
            source = self.project.coverage_source(self.targets, sb.import_root)
            existing = self.baseline(sb, source)
            runner = CandidateRunner(sb, source, self.s.repeat)
            self._seed(sb, runner)
            self._generate(sb, runner)
            self.progress("final check: kept tests with the project's suite, 5 runs")
            kept = [c for c in self.candidates if c.stage == "kept"]
            files, tests_s = final_check(sb, runner, kept, self.by_id, self.heads, existing, self.s.repeat)
            self.timings["tests_s"] += tests_s
            if self.s.mutation and self.left() > self.s.reserve_s + self.s.min_mutation_s:
                files = self._mutation(sb, runner, existing, files)
            started = time.monotonic()
            modules = sorted({t.module for t in self.targets})
            before = measure(sb, existing, source, modules)
            after = measure(sb, existing + [f"opsquad_generated/{name}" for name in files], source, modules)
            self.timings["coverage_s"] += time.monotonic() - started
        self.timings["total_s"] = time.monotonic() - self.start
        return Result(candidates=self.candidates, files=files, before=before, after=after,
                      timings={k: round(v, 1) for k, v in self.timings.items()}, targets=len(self.targets),
                      existing_tests=len(existing), stopped_by_budget=self.stopped_by_budget, mutation=self.mutation)

    def _mutation(self, sb: Sandbox, runner: CandidateRunner, existing: list[str],
                  files: dict[str, str]) -> dict[str, str]:
        """Spend the time left on mutants: the kept suite's kill count, and spares that kill a survivor."""
        self.progress("mutation testing the target functions with mutmut")
        spares = [(c, self.heads[self.by_id[c.id].module]) for c in self.candidates
                  if c.reason == "adds no line or branch coverage"]
        suite = existing + [f"opsquad_generated/{name}" for name in files]
        outcome = run_stage(self.project, sb, self.targets, suite, spares, self.deadline - self.s.reserve_s)
        self.timings["mutation_s"] = self.timings.get("mutation_s", 0.0) + outcome.duration_s
        self.mutation = outcome.as_dict()
        if not outcome.newly_kept:
            return files
        kept = [c for c in self.candidates if c.stage == "kept"]
        files, tests_s = final_check(sb, runner, kept, self.by_id, self.heads, existing, self.s.repeat)
        self.timings["tests_s"] += tests_s
        return files

    mutation: dict[str, int | float | str] | None = None

    def _seed(self, sb: Sandbox, runner: CandidateRunner) -> None:
        """Docstring examples first: deterministic, free of model time, filtered like everything else."""
        batch: list[Candidate] = []
        for t in self.targets:
            known = set(self.head(t).replace(",", " ").split())
            made = doc_example_test(t, known)
            if made is None:
                continue
            c = Candidate(id=len(self.candidates) + 1, target=t.key, name=made[0], code=made[1], origin="docstring")
            self.candidates.append(c)
            self.by_id[c.id] = t
            batch.append(c)
        if batch:
            self.progress(f"checking {len(batch)} docstring example test(s)")
            self._filter(sb, runner, None, {}, batch)

    def _generate(self, sb: Sandbox, runner: CandidateRunner) -> None:
        pool = _DaemonPool()
        inflight: dict[Future[Any], tuple[str, Target, Candidate | None]] = {}
        try:
            while True:
                while len(inflight) < self.s.parallel and self.left() > self.s.reserve_s + self.s.min_call_s:
                    t = self.next_target(sb)
                    if t is None:
                        break
                    t.attempts += 1
                    self.busy.add(t.key)
                    names = [c.name for c in self.candidates if c.target == t.key and c.stage == "kept"]
                    msgs = messages_for(t, self.head(t), self.uncovered(sb, t), self.example(sb),
                                        self.s.tests_per_call, names)
                    self.progress(f"writing tests for {t.key} (attempt {t.attempts})")
                    inflight[pool.submit(self._timed_ask, msgs, GeneratedBatch)] = ("gen", t, None)
                if not inflight:
                    if self.left() <= self.s.reserve_s + self.s.min_call_s:
                        self.stopped_by_budget = True
                    return
                done, _ = wait(list(inflight), timeout=max(0.5, self.left() - self.s.reserve_s),
                               return_when=FIRST_COMPLETED)
                if not done:
                    self.stopped_by_budget = True
                    return
                for fut in done:
                    pool.started.pop(fut, None)
                    kind, t, cand = inflight.pop(fut)
                    self.busy.discard(t.key)
                    self._handle(sb, runner, pool, inflight, kind, t, cand, fut)
        finally:
            # calls still running past the deadline are abandoned (their threads are daemons)
            self.timings["model_s"] += sum(time.monotonic() - pool.started[f] for f in inflight if f in pool.started)

    _example: str | None = None

    def example(self, sb: Sandbox) -> str:
        if self._example is None:
            files = [p for p in sb.root.rglob("test_*.py") if "opsquad_generated" not in p.parts]
            self._example = style_example(sorted(files))
        return self._example

    def _handle(self, sb: Sandbox, runner: CandidateRunner, pool: _DaemonPool,
                inflight: dict[Future[Any], tuple[str, Target, Candidate | None]], kind: str, t: Target,
                cand: Candidate | None, fut: Future[Any]) -> None:
        try:
            answer = fut.result()
        except OpsquadError as exc:
            if cand is not None:
                cand.discard(f"repair answer unusable: {exc}")
            self.progress(f"model answer for {t.key} unusable: {exc}")
            return
        batch: list[Candidate] = []
        if kind == "gen":
            assert isinstance(answer, GeneratedBatch)
            for g in answer.tests:
                name, code = normalize(g.name, g.code)
                c = Candidate(id=len(self.candidates) + 1, target=t.key, name=name, code=code,
                              imports=clean_imports(answer.imports))
                self.candidates.append(c)
                self.by_id[c.id] = t
                batch.append(c)
        else:
            assert isinstance(answer, RepairedTest) and cand is not None
            cand.name, cand.code = normalize(answer.test.name, answer.test.code)
            cand.imports = clean_imports(answer.imports)
            cand.origin, cand.stage = "model-repaired", "generated"
            cand.repairs += 1
            batch.append(cand)
        self._filter(sb, runner, pool, inflight, batch)

    def _filter(self, sb: Sandbox, runner: CandidateRunner, pool: _DaemonPool | None,
                inflight: dict[Future[Any], tuple[str, Target, Candidate | None]], batch: list[Candidate]) -> None:
        outcome = runner.run([(c, self.heads[self.by_id[c.id].module]) for c in batch])
        self.timings["tests_s"] += outcome.tests_s
        failing = outcome.failing
        if failing:
            repaired = runner.oracle_repair([(c, self.heads[self.by_id[c.id].module], e) for c, e in failing],
                                            {self.by_id[c.id].module.split(".")[0] for c, _ in failing})
            self.timings["tests_s"] += runner.last_oracle_s
            errors = {c.id: e for c, e in failing}
            if repaired:
                again = runner.run([(c, self.heads[self.by_id[c.id].module]) for c in repaired])
                self.timings["tests_s"] += again.tests_s
                outcome.passing += again.passing
                failing = [(c, e) for c, e in failing if c not in repaired] + again.failing
                errors.update({c.id: e for c, e in again.failing})
            for c, err in failing:
                t = self.by_id[c.id]
                if pool is not None and c.repairs < self.s.repair_rounds + (c.origin == "oracle-repaired") \
                        and self.left() > self.s.reserve_s + self.s.min_call_s and c.origin != "model-repaired":
                    msgs = repair_messages(t, self.heads[t.module], c.code, errors.get(c.id, err))
                    inflight[pool.submit(self._timed_ask, msgs, RepairedTest)] = ("repair", t, c)
                    self.busy.add(t.key)
                else:
                    c.discard(f"fails: {short_error(err)}")
                runner.drop(c)
        for c in outcome.passing:
            lines, arcs = runner.coverage.get(c.id, (set(), set()))
            new_lines, new_arcs = self.cum.gain(lines, arcs)
            if new_lines or new_arcs:
                self.cum.add(lines, arcs)
                c.stage, c.reason = "kept", f"+{new_lines} lines, +{new_arcs} branches"
            else:
                c.discard("adds no line or branch coverage")
            runner.drop(c)


def run_testgen(project: Project, targets: list[Target], ask: AskFn, settings: Settings | None = None,
                progress: Callable[[str], None] = lambda _m: None, use: ToolUse = direct) -> Result:
    """Generate, filter and keep tests for ``targets``; every sandboxed run reports through ``use``."""
    if not targets:
        raise OpsquadError("no functions to write tests for in the given target")
    loop = _Loop(project, targets, ask, settings or Settings(), progress)
    loop.use = use
    return loop.run()
