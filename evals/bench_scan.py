"""Benchmarks for the DevSecOps agent (printed figures, never timed assertions).

1. Full scan vs diff-aware scan of a one-file change in a large real project (Django's source release,
   fetched with ``pip download --no-binary :all: --no-deps django`` and cached under ~/.cache/opsquad/bench).
2. Triage throughput (findings per minute) with parallel requests vs one at a time, cache disabled.

    .venv/bin/python evals/bench_scan.py [--skip-triage] [--findings 8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from opsquad.config import load_config
from opsquad.demo import create_example_repo
from tools.registry import TOOLS

BENCH = Path(os.path.expanduser("~/.cache/opsquad/bench"))
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@opsquad.invalid", "-c", "commit.gpgsign=false"]


def django_repo() -> Path:
    repo = BENCH / "django-repo"
    if (repo / ".git").exists():
        return repo
    BENCH.mkdir(parents=True, exist_ok=True)
    dl = BENCH / "sdist"
    if not list(dl.glob("*.tar.gz")):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                        "-d", str(dl), "django"], check=True)
    sdist = sorted(dl.glob("*.tar.gz"))[-1]
    with tempfile.TemporaryDirectory(dir=BENCH) as tmp, tarfile.open(sdist) as tf:
        tf.extractall(tmp, filter="data")
        top = next(Path(tmp).iterdir())
        shutil.move(str(top), repo)
    subprocess.run([*GIT, "-C", str(repo), "init", "-q"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "django"], check=True)
    return repo


def one_file_change(repo: Path) -> tuple[str, str]:
    """Commit a one-file change (a new view with an injection) on a branch; returns (base, head)."""
    subprocess.run([*GIT, "-C", str(repo), "checkout", "-q", "-B", "bench-change", "HEAD"], check=True)
    base = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    target = repo / "django" / "contrib" / "admindocs" / "views.py"
    target.write_text(target.read_text() + "\n\ndef _bench_export(request):\n    import subprocess\n"
                      "    subprocess.run('tar czf out.tgz ' + request.GET['dir'], shell=True)\n")
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qam", "bench change"], check=True)
    return base, "HEAD"


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}: {res.stderr.strip()[-300:]}")
    return time.perf_counter() - t


def bench_diff_aware() -> None:
    repo = django_repo()
    base, head = one_file_change(repo)
    opsquad = [str(Path(sys.executable).parent / "opsquad")]
    py_files = sum(1 for _ in (repo / "django").rglob("*.py"))
    fulls, diffs = [], []
    for _ in range(3):  # medians of three: one run of either swings by 10% on a shared 2-core machine
        fulls.append(timed([*opsquad, "scan", str(repo / "django"), "--no-triage", "--format", "json"]))
        diffs.append(timed([*opsquad, "scan", str(repo), "--base", base, "--head", head, "--no-triage",
                            "--format", "json"]))
    full, diff = statistics.median(fulls), statistics.median(diffs)
    print(f"django ({py_files} .py files): full scan {full:.1f}s, diff-aware one-file scan {diff:.2f}s "
          f"(medians of 3; runs {', '.join(f'{x:.1f}' for x in fulls)} / {', '.join(f'{x:.2f}' for x in diffs)}), "
          f"ratio {full / diff:.1f}x")


def bench_triage(findings: int) -> None:
    from agents.devsecops.agent import DevSecOpsAgent
    from opsquad.audit import AuditLog
    from opsquad.request import Request
    from workflows.dispatch import dispatch
    from workflows.services import Services, litellm_factory

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ex"
        create_example_repo(root)
        src = (root / "inventory" / "store.py").read_text()
        copies = max(1, findings // 4)
        for i in range(copies):  # distinct code so the cache cannot help
            (root / "inventory" / f"store_{i}.py").write_text(src.replace("items", f"items_{i}"))
        del DevSecOpsAgent
        for workers in (1, 2):
            os.environ["OPSQUAD_STATE_DIR"] = str(Path(tmp) / f"state-{workers}")
            cfg = load_config(known_tools=TOOLS)
            cfg.agents["devsecops"].autofix = False
            serve = cfg.models["coder"].serve
            assert serve is not None
            serve.parallel = workers  # the client's concurrency; the server keeps its slots
            svc = Services(config=cfg, audit=AuditLog(cfg.state_dir / "audit.sqlite"),
                           make_model=litellm_factory(cfg, lambda _m: None))
            t = time.perf_counter()
            rep = dispatch(Request(workflow="scan", repo=str(root), paths=[f"inventory/store_{i}.py"
                                                                          for i in range(copies)]), svc).report
            took = time.perf_counter() - t
            judged = sum(1 for f in rep.findings if f.triage)
            print(f"triage with {workers} parallel request(s): {judged} findings in {took:.1f}s = "
                  f"{judged / took * 60:.1f} findings/min")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-triage", action="store_true")
    ap.add_argument("--skip-scan", action="store_true")
    ap.add_argument("--findings", type=int, default=8)
    args = ap.parse_args()
    if not args.skip_scan:
        bench_diff_aware()
    if not args.skip_triage:
        bench_triage(args.findings)


if __name__ == "__main__":
    main()
