"""The filter's second way in: a passing candidate that adds no coverage is still kept if it kills a mutant
the suite so far lets survive (the step Meta's mutation-guided TestGen-LLM added).

It runs with the time left after generation: mutmut mutates only the target functions (its mutants are
named per function), first against the project's suite plus the kept tests to find the survivors, then
against each spare candidate alone on just those survivors. The kill counts are the report's mutation figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from agents.sdet.testgen.candidates import Candidate, file_text
from agents.sdet.testgen.targets import Project, Target
from tools import mutation
from tools.pytest_sandbox import Sandbox


@dataclass
class MutationOutcome:
    total: int = 0
    killed: int = 0
    killed_by_spares: int = 0
    duration_s: float = 0.0
    error: str = ""
    newly_kept: list[Candidate] = field(default_factory=list)

    def as_dict(self) -> dict[str, int | float | str]:
        return {"mutants": self.total, "killed_by_kept_suite": self.killed, "killed_by_spares": self.killed_by_spares,
                "duration_s": round(self.duration_s, 1), **({"error": self.error} if self.error else {})}


def source_paths(project: Project, sb: Sandbox, targets: list[Target]) -> list[str]:
    paths: list[str] = []
    for t in targets:
        top = t.module.split(".")[0]
        pkg = sb.import_root / top
        item = pkg if pkg.is_dir() else sb.import_root / f"{top}.py"
        rel = str(item.relative_to(sb.root))
        if rel not in paths:
            paths.append(rel)
    return paths


def run_stage(project: Project, sb: Sandbox, targets: list[Target], suite: list[str],
              spares: list[tuple[Candidate, str]], deadline: float) -> MutationOutcome:
    """Survivors of the kept suite, then which spare candidates kill some of them (until ``deadline``)."""
    out = MutationOutcome()
    started = time.monotonic()
    only = [mutation.function_pattern(t.module, t.qualname) for t in targets]
    paths = source_paths(project, sb, targets)
    first = sb.use("mutmut", lambda: mutation.run(sb.root, paths, suite, only=only,
                                                  timeout_s=max(10.0, deadline - time.monotonic())),
                   {"paths": paths, "tests": len(suite), "functions": len(only)})
    out.total, out.killed, out.error = first.total, first.killed + first.timeout, first.error
    survivors = list(first.survivors)
    spare_dir = sb.gen_dir / "spares"
    spare_dir.mkdir(exist_ok=True)
    for cand, head in spares:
        if not survivors or deadline - time.monotonic() < 15:
            break
        path = spare_dir / f"test_opsquad_spare{cand.id}.py"
        path.write_text(file_text(head, cand), encoding="utf-8")
        rel = str(Path(path).relative_to(sb.root))
        res = sb.use("mutmut", lambda r=rel, s=survivors: mutation.run(  # type: ignore[misc]
            sb.root, paths, [r], only=s, timeout_s=max(10.0, deadline - time.monotonic())),
                     {"paths": paths, "tests": [rel], "survivors": len(survivors)})
        killed = [k for k in survivors if k in res.killed_keys]
        if killed:
            cand.stage, cand.reason = "kept", f"kills {len(killed)} mutant(s) the suite lets survive"
            out.newly_kept.append(cand)
            out.killed_by_spares += len(killed)
            survivors = [k for k in survivors if k not in killed]
    out.duration_s = time.monotonic() - started
    return out
