"""What every CLI command shares: loading the config once, building services, progress, writing output."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig, load_config
from opsquad.errors import OpsquadError
from opsquad.findings import Report

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOpt = typer.Option(None, "--config", "-c", help="agents.yaml to use (default: ./agents.yaml, else built-in).")
FormatOpt = typer.Option("text", "--format", "-f", help="text | json | markdown | sarif")
OutputOpt = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout.")


def get_config(path: Path | None) -> OpsquadConfig:
    return load_config(path)


def audit_log(config: OpsquadConfig) -> AuditLog:
    return AuditLog(config.state_dir / "audit.sqlite")


@contextmanager
def progress(label: str) -> Iterator[Callable[[str], None]]:
    """A live status line on stderr (only on a terminal); yields a function that updates it."""
    started = time.monotonic()
    if not err_console.is_terminal:
        def plain(msg: str) -> None:
            err_console.print(f"[{time.monotonic() - started:5.1f}s] {msg}", markup=False)

        yield plain
        return
    with err_console.status(label) as status:
        def update(msg: str) -> None:
            status.update(f"{msg} [dim]({time.monotonic() - started:.0f}s)[/dim]")

        yield update


def write_output(report: Report, fmt: str, output: Path | None) -> None:
    from workflows.formatters import render

    text = render(report, fmt)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OpsquadError(f"{output}: cannot write: {exc.strerror}") from None
    if fmt != "text":
        err_console.print(render(report, "text"), markup=False, highlight=False)
    err_console.print(f"wrote {fmt} report to {output}", markup=False)


def exit_code(report: Report, config: OpsquadConfig, workflow: str) -> int:
    wf = config.workflows.get(workflow)
    return 1 if wf and report.fails(wf.fail_on) else 0
