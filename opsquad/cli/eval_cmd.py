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
) -> None:
    """Precision, recall and F1 per category, before and after the model's triage, with Bandit alongside."""
    from evals.devsecops.run import format_table, run_eval

    with progress_ctx("opsquad eval devsecops") as update:
        result = run_eval(cases, triage=not no_triage, config_path=config, progress=update)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))
    raise typer.Exit(0)
