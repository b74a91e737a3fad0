"""``opsquad runs list|show`` (the audit trail) and ``opsquad approve|reject`` (resume a paused run)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import typer

from opsquad.cli.common import (
    ConfigOpt,
    FormatOpt,
    OutputOpt,
    audit_log,
    err_console,
    get_config,
    progress,
    services_for,
    write_output,
)
from opsquad.errors import OpsquadError

runs_app = typer.Typer(help="The audit trail of past runs.", no_args_is_help=True)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


@runs_app.command("list")
def list_runs(config: Path | None = ConfigOpt, limit: int = typer.Option(20, "--limit")) -> None:
    """List recent runs, newest first."""
    audit = audit_log(get_config(config))
    for r in audit.runs(limit):
        took = f"{r['finished'] - r['started']:.1f}s" if r["finished"] else "-"
        typer.echo(f"{r['run_id']}  {_when(r['started'])}  {r['workflow']:<10} {r['source']:<6} "
                   f"{r['status']:<18} {took:>7}  {r['summary']}")


@runs_app.command("show")
def show(run_id: str, config: Path | None = ConfigOpt,
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one run: request, agents, tool calls (with their grant decision), model calls (tokens, latency),
    approvals, and the run's report when its checkpoint is still there."""
    from workflows.dispatch import load_result

    cfg = get_config(config)
    audit = audit_log(cfg)
    run = audit.run(run_id)
    if run is None:
        raise OpsquadError(f"no run with id '{run_id}'")
    events = audit.events(run["run_id"])
    loaded = load_result(run["run_id"], cfg)
    report = loaded[1].report if loaded is not None else None
    if as_json:
        typer.echo(json.dumps({"run": run, "events": events,
                               "report": report.model_dump(mode="json") if report else None}, indent=2))
        return
    typer.echo(f"run {run['run_id']}  workflow={run['workflow']}  source={run['source']}  status={run['status']}")
    typer.echo(f"request: {run['request']}")
    tokens = [0, 0]
    for e in events:
        if e["kind"] == "model":
            tokens[0] += e["prompt_tokens"]
            tokens[1] += e["completion_tokens"]
        typer.echo(_event_line(e))
    typer.echo(f"tokens: prompt={tokens[0]} completion={tokens[1]}; summary: {run['summary']}")
    if report is not None:
        from workflows.formatters import render

        typer.echo("report:")
        typer.echo(render(report, "text").rstrip("\n"))


def _event_line(e: dict[str, Any]) -> str:
    t = _when(e["ts"])
    if e["kind"] == "model":
        return (f"  {t} model  {e['agent']:<10} {e['name']:<10} {e['model']} prompt={e['prompt_tokens']} "
                f"completion={e['completion_tokens']} {e['latency_ms']}ms {e['status']}")
    if e["kind"] in ("tool", "apply"):
        decision = f" grant={e['decision']}" if e.get("decision") else ""
        return (f"  {t} {e['kind']:<6} {e['agent']:<10} {e['name']:<10} args={e['args']} "
                f"result_size={e['result_size']} {e['status']}{decision} {e['latency_ms']}ms {e['detail']}").rstrip()
    return f"  {t} {e['kind']:<6} {e['agent']:<10} {e['name']} {e['detail']}".rstrip()


def _decide(run_id: str, approved: bool, by: str | None, config: Path | None, fmt: str, output: Path | None) -> None:
    from workflows.dispatch import resume

    cfg = get_config(config)
    audit = audit_log(cfg)
    run = audit.run(run_id)
    if run is None:
        raise OpsquadError(f"no run with id '{run_id}'")
    who = by or os.environ.get("USER") or "cli"
    with progress("resuming") as update:
        result = resume(run["run_id"], approved, who, services_for(cfg, update, audit))
    write_output(result.report, fmt, output)
    err_console.print(f"run {run['run_id']}: {'approved' if approved else 'rejected'} by {who}", markup=False)


def approve(run_id: str, by: str | None = typer.Option(None, "--by", help="Who approves (default: $USER)."),
            config: Path | None = ConfigOpt, fmt: str = FormatOpt, output: Path | None = OutputOpt) -> None:
    """Approve the write actions a paused run proposed; they are applied and verified."""
    _decide(run_id, True, by, config, fmt, output)


def reject(run_id: str, by: str | None = typer.Option(None, "--by", help="Who rejects (default: $USER)."),
           config: Path | None = ConfigOpt, fmt: str = FormatOpt, output: Path | None = OutputOpt) -> None:
    """Reject the write actions a paused run proposed; nothing is applied."""
    _decide(run_id, False, by, config, fmt, output)
