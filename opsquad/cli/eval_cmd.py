"""``opsquad eval devsecops``: measure the DevSecOps agent on the labelled cases in ``evals/devsecops``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from opsquad.cli.common import ConfigOpt
from opsquad.cli.common import progress as progress_ctx

app = typer.Typer(help="Evaluate opsquad's agents on labelled cases (figures are printed, never asserted).",
                  no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Evaluations of opsquad's agents."""


@app.command("devsecops")
def devsecops(
    no_triage: bool = typer.Option(False, "--no-triage", help="Semgrep only: skip the model's triage."),
    cases: Path | None = typer.Option(None, "--cases", help="Cases directory (default: evals/devsecops/cases)."),
    config: Path | None = ConfigOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON instead of the table."),
    split: str | None = typer.Option(None, "--split", help="Only the tune or the holdout cases."),
) -> None:
    """Precision, recall and F1 per category, before and after the model's triage, with Bandit alongside; per
    split (tune, holdout) TPR, FPR and the Youden-style score."""
    from evals.devsecops.run import format_table, run_eval
    from opsquad.errors import OpsquadError

    if split not in (None, "tune", "holdout"):
        raise OpsquadError(f"--split must be tune or holdout, not '{split}'")
    with progress_ctx("opsquad eval devsecops") as update:
        result = run_eval(cases, triage=not no_triage, config_path=config, progress=update, split=split)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))
    raise typer.Exit(0)


@app.command("changes")
def changes(
    no_triage: bool = typer.Option(False, "--no-triage", help="Semgrep and the SDET check only: skip the model."),
    config: Path | None = ConfigOpt,
) -> None:
    """Real release pairs of Flask projects reviewed as pull requests: active findings and the ones a senior
    reviewer dismisses at sight (high findings in test code, built or vendored files, untested migrations)."""
    import subprocess
    import tarfile

    from evals.devsecops.changes import PAIRS, PairResult, format_table, review_pair
    from opsquad.cli.common import get_config, services_for
    from opsquad.errors import OpsquadError
    from opsquad.findings import Report
    from opsquad.request import Request
    from workflows.dispatch import dispatch

    cfg = get_config(config)
    rows: list[PairResult] = []
    with progress_ctx("opsquad eval changes") as update:
        services = services_for(cfg, update)

        def review(repo: Path, base: str, head: str, triage: bool) -> Report:
            req = Request(workflow="pr_review", repo=str(repo), base=base, head=head,
                          options={"no_triage": not triage, "no_fix": True})
            return dispatch(req, services).report

        for pair in PAIRS:
            update(f"{pair[0]} {pair[1]}..{pair[3]}")
            try:
                rows.append(review_pair(pair, not no_triage, review))
            except (OpsquadError, OSError, subprocess.CalledProcessError, tarfile.TarError) as exc:
                # one pair that cannot be fetched or unpacked does not sink the run
                rows.append(PairResult(f"{pair[0]} {pair[1]}..{pair[3]}", 0, 0.0, error=str(exc)[:200]))
    typer.echo(format_table(rows, not no_triage))
    raise typer.Exit(0)


@app.command("sdet")
def sdet(
    case: list[str] = typer.Option([], "--case", help="Run only these cases (folder names under evals/sdet/cases)."),
    split: str | None = typer.Option(None, "--split", help="Only the tune or the holdout libraries."),
    budget: float = typer.Option(300.0, "--budget", help="Seconds of test generation per library."),
    no_mutation: bool = typer.Option(False, "--no-mutation", help="Skip mutmut (coverage only)."),
    no_pynguin: bool = typer.Option(False, "--no-pynguin", help="Skip the Pynguin row even if it is installed."),
    config: Path | None = ConfigOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON instead of the table."),
) -> None:
    """Each library's own tests beside opsquad's generated ones: coverage, mutation score, tests kept, time."""
    import dataclasses

    from evals.sdet.run import format_table, pynguin_exe, run_eval
    from opsquad.answers import TestgenAnswer
    from opsquad.cli.common import get_config, services_for
    from opsquad.errors import OpsquadError
    from opsquad.request import Request
    from workflows.dispatch import dispatch

    if split not in (None, "tune", "holdout"):
        raise OpsquadError(f"--split must be tune or holdout, not '{split}'")
    cfg = get_config(config)
    with progress_ctx("opsquad eval sdet") as update:
        services = services_for(cfg, update)

        def generate(project: Path, seconds: float) -> TestgenAnswer:
            req = Request(workflow="testgen", options={"path": str(project), "out": str(project / "tests"),
                                                        "budget": seconds})
            report = dispatch(req, services).report
            if isinstance(report.answer, TestgenAnswer):
                return report.answer
            return TestgenAnswer.nothing("; ".join(x for n in report.notes for x in n.not_checked) or "no answer")

        rows = run_eval(generate, case or None, budget, not no_mutation, update, pynguin=not no_pynguin, split=split)
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
    else:
        typer.echo(format_table(rows, pynguin_missing=pynguin_exe() is None))
    raise typer.Exit(0)


@app.command("sre")
def sre(
    case: list[str] = typer.Option(None, "--case", help="Run only this scenario (repeatable; folder name under "
                                   "evals/sre/cases)."),
    no_model: bool = typer.Option(False, "--no-model", help="Analyzers and scoring only: deterministic, no model."),
    config: Path | None = ConfigOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON instead of the table."),
) -> None:
    """Incident scenarios on a real control plane: pass rate, median time and tool calls, beside a naive
    events-dump baseline."""
    from evals.sre.run import format_table, run_eval
    from opsquad.errors import OpsquadError

    with progress_ctx("opsquad eval sre") as update:
        try:
            result = run_eval(case or None, use_model=not no_model, config_path=config, progress=update)
        except ValueError as exc:  # an unknown --case or a bad scenario file
            raise OpsquadError(str(exc)) from None
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))
    raise typer.Exit(0)
