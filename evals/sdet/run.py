"""``opsquad eval sdet``: opsquad's generated tests next to each library's own tests (and Pynguin's, if present).

Each case (``cases/<name>/case.yaml``) names a small pure-Python library from a PyPI source release, or a
module of this repository. For each, in one run: the library's own tests, and opsquad's tests generated from
nothing within the budget (the library copied without its tests), each scored the same way: line and branch
coverage of the library's source (coverage.py) and mutation score (mutmut, killed / total), tests kept and
wall time. Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsquad.answers import TestgenAnswer
from tools import mutation
from tools.coverage_run import measure
from tools.pytest_sandbox import Sandbox

CASES = Path(__file__).parent / "cases"
REPO = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "opsquad" / "evals" / "sdet"


@dataclass
class Row:
    case: str
    suite: str
    tests: int = 0
    line_pct: float = 0.0
    branch_pct: float = 0.0
    mutation: str = "-"
    mutation_score: float | None = None
    wall_s: float = 0.0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def load_cases(names: list[str] | None = None, split: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The cases (all, the named ones, or one split: ``tune`` is looked at while developing, ``holdout`` only run)."""
    out = []
    for d in sorted(p for p in CASES.iterdir() if (p / "case.yaml").exists()):
        if names and d.name not in names:
            continue
        case = yaml.safe_load((d / "case.yaml").read_text(encoding="utf-8"))
        if split is None or case.get("split", "tune") == split:
            out.append((d.name, case))
    return out


def fetch(name: str, case: dict[str, Any]) -> Path:
    """The unpacked source of the case (a PyPI sdist, cached; or a file of this repository)."""
    src = case["source"]
    if "local" in src:
        dest = Path(tempfile.mkdtemp(prefix=f"opsquad-eval-{name}-"))
        shutil.copy(REPO / src["local"], dest / f"{case['package']}.py")
        return dest
    spec = src["pypi"]
    folder = CACHE / name
    unpacked = next((p for p in folder.glob("*/") if p.is_dir()), None) if folder.exists() else None
    if unpacked is None:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", spec,
                        "-d", str(folder)], check=True, capture_output=True, text=True, timeout=300)
        archive = next(folder.glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        unpacked = next(p for p in folder.glob("*/") if p.is_dir())
    return unpacked


def library_copy(unpacked: Path, case: dict[str, Any], dest: Path) -> Path:
    """A bare project: only the library's code (package dir or module file) and a minimal pyproject."""
    dest.mkdir(parents=True)
    root = unpacked / case.get("import_root", ".")
    pkg = root / case["package"]
    if pkg.is_dir():
        shutil.copytree(pkg, dest / case["package"], ignore=shutil.ignore_patterns("test_*.py", "tests", "__pycache__"))
    else:
        shutil.copy(root / f"{case['package']}.py", dest / f"{case['package']}.py")
    (dest / "pyproject.toml").write_text(f'[project]\nname = "{case["package"]}-eval"\nversion = "0"\n')
    (dest / "tests").mkdir()
    return dest


def source_arg(project: Path, case: dict[str, Any]) -> str:
    return str(project / case["package"]) if (project / case["package"]).is_dir() else case["package"]


def score_suite(project: Path, case: dict[str, Any], row: Row, mutate: bool) -> Row:
    tests = sorted(str(p.relative_to(project)) for p in (project / "tests").glob("test_*.py"))
    with Sandbox(project, project) as sb:
        cov = measure(sb, tests, source_arg(sb.root, case), [case["package"]])
        row.line_pct, row.branch_pct = round(cov.line_pct, 1), round(cov.branch_pct, 1)
        if cov.error and tests:
            row.note = cov.error
        if mutate and tests:
            paths = [case["package"] if (sb.root / case["package"]).is_dir() else f"{case['package']}.py"]
            mut = mutation.run(sb.root, paths, ["tests"], timeout_s=900)
            row.mutation = f"{mut.killed + mut.timeout}/{mut.total}"
            row.mutation_score = round(mut.score, 3)
            row.extra["mutation_s"] = round(mut.duration_s, 1)
            if mut.error:
                row.note = (row.note + "; " if row.note else "") + mut.error
    return row


def count_tests(project: Path) -> int:
    import ast

    n = 0
    for f in (project / "tests").glob("test_*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8", errors="replace"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                n += 1
    return n


def own_row(name: str, case: dict[str, Any], unpacked: Path, work: Path, mutate: bool) -> Row:
    row = Row(name, "own tests")
    if not case.get("own_tests"):
        row.note = "no tests shipped"
        return row
    project = library_copy(unpacked, case, work / "own")
    for i, rel in enumerate(case["own_tests"]):
        text = (unpacked / rel).read_text(encoding="utf-8")
        # a test module written to be run as a script calls unittest.main() at import; guard it for pytest
        text = re.sub(r"(?m)^unittest\.main\(\)\s*$", 'if __name__ == "__main__":\n    unittest.main()', text)
        (project / "tests" / f"test_own_{i}.py").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    score_suite(project, case, row, mutate)
    row.tests, row.wall_s = count_tests(project), round(time.perf_counter() - started, 1)
    return row


def opsquad_row(name: str, case: dict[str, Any], unpacked: Path, work: Path, budget: float, mutate: bool,
                generate: Callable[[Path, float], TestgenAnswer]) -> Row:
    row = Row(name, "opsquad")
    project = library_copy(unpacked, case, work / "gen")
    started = time.perf_counter()
    answer = generate(project, budget)
    row.wall_s = round(time.perf_counter() - started, 1)
    row.extra = {"funnel": answer.funnel.model_dump(), "time_s": answer.time_s, "discarded": answer.discarded}
    score_suite(project, case, row, mutate)
    row.tests = count_tests(project)
    return row


PYNGUIN_VENV = Path.home() / ".cache" / "opsquad" / "pynguin"  # `make eval-deps` installs it there


def pynguin_exe() -> str | None:
    for cand in (os.environ.get("OPSQUAD_PYNGUIN"), str(PYNGUIN_VENV / "bin" / "pynguin"), shutil.which("pynguin")):
        if cand and Path(cand).exists():
            return cand
    return None


def pynguin_row(name: str, case: dict[str, Any], unpacked: Path, work: Path, budget: float, mutate: bool) -> Row | None:
    exe = pynguin_exe()
    if exe is None:
        return None
    row = Row(name, "pynguin")
    project = library_copy(unpacked, case, work / "pynguin")
    started = time.perf_counter()
    proc = subprocess.run([exe, "--project-path", str(project), "--output-path", str(project / "tests"),
                           "--module-name", case["package"], "--maximum-search-time", str(int(budget))],
                          capture_output=True, text=True, timeout=budget * 3, cwd=work,
                          env={"PYNGUIN_DANGER_AWARE": "1", "PATH": "/usr/bin:/bin"})
    row.wall_s = round(time.perf_counter() - started, 1)
    if proc.returncode != 0:
        row.note = f"pynguin exit {proc.returncode}"
    score_suite(project, case, row, mutate)
    row.tests = count_tests(project)
    return row


def run_eval(generate: Callable[[Path, float], TestgenAnswer], names: list[str] | None = None,
             budget: float = 300, mutate: bool = True, progress: Callable[[str], None] = lambda _m: None,
             pynguin: bool = True, split: str | None = None) -> list[Row]:
    rows: list[Row] = []
    for name, case in load_cases(names, split):
        unpacked = fetch(name, case)
        with tempfile.TemporaryDirectory(prefix=f"opsquad-eval-sdet-{name}-") as tmp:
            work = Path(tmp)
            progress(f"{name}: own tests")
            rows.append(own_row(name, case, unpacked, work, mutate))
            progress(f"{name}: opsquad testgen ({budget:.0f} s budget)")
            rows.append(opsquad_row(name, case, unpacked, work, budget, mutate, generate))
            progress(f"{name}: pynguin")
            pyn = pynguin_row(name, case, unpacked, work, budget, mutate) if pynguin else None
            if pyn is not None:
                rows.append(pyn)
        if "local" in case["source"]:
            shutil.rmtree(unpacked, ignore_errors=True)
    return rows


def format_table(rows: list[Row], pynguin_missing: bool) -> str:
    head = (f"{'library':<16} {'suite':<10} {'tests':>5} {'line%':>6} {'branch%':>7} {'mutants killed':>15} "
            f"{'wall s':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.case:<16} {r.suite:<10} {r.tests:>5} {r.line_pct:>6.1f} {r.branch_pct:>7.1f} "
                     f"{r.mutation + (f' ({r.mutation_score:.0%})' if r.mutation_score is not None else ''):>15} "
                     f"{r.wall_s:>7.1f}" + (f"  {r.note}" if r.note else ""))
    lines.append("")
    for r in rows:
        if r.suite == "opsquad" and r.extra.get("funnel"):
            f = r.extra["funnel"]
            per_min = f["kept"] / (r.wall_s / 60) if r.wall_s else 0.0
            lines.append(f"{r.case}: funnel generated {f['generated']} → parsed {f['parsed']} → passing "
                         f"{f['passing']} → kept {f['kept']} ({per_min:.1f} kept/min); time split "
                         f"{r.extra.get('time_s')}")
            for d in (r.extra.get("discarded") or [])[:5]:
                lines.append(f"    discarded {d}")
    if pynguin_missing:
        lines.append("pynguin: not installed on this Python, no row")
    return "\n".join(lines)
