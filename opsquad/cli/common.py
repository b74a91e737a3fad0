"""What every CLI command shares: loading the config once, building services, progress, writing output."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from opsquad.audit import AuditLog
from opsquad.config import OpsquadConfig, load_config
from opsquad.errors import ConfigError, OpsquadError
from opsquad.findings import Report, Severity

if TYPE_CHECKING:
    from opsquad.request import Request
    from workflows.dispatch import RunResult
    from workflows.services import Services

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOpt = typer.Option(None, "--config", "-c", help="agents.yaml to use (default: ./agents.yaml, else built-in).")
FormatOpt = typer.Option("text", "--format", "-f", help="text | json | markdown | sarif")
OutputOpt = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout.")


_loaded: list[OpsquadConfig] = []  # the config this process loaded, for where an internal error is written


def get_config(path: Path | None) -> OpsquadConfig:
    from tools.registry import TOOLS

    config = load_config(config_file(path), known_tools=set(TOOLS))
    _loaded[:] = [config]
    return config


def config_file(path: Path | None) -> Path | None:
    """``--config DIR`` (and ``config check DIR``) means DIR/agents.yaml, as ``load_config`` looks in the working
    directory; a directory without one is a one-line error naming both."""
    if path is None or not path.is_dir():
        return path
    inner = path / "agents.yaml"
    if not inner.is_file():
        raise ConfigError(f"{path}: is a directory with no agents.yaml in it")
    return inner


def state_dir() -> Path:
    """opsquad's state directory (``OPSQUAD_STATE_DIR``, else ``storage.state_dir``), resolved by the config's own
    ``state_dir``: the loaded config's, or the defaults' when the error came before any config was loaded."""
    config = _loaded[0] if _loaded else OpsquadConfig.model_construct()
    return config.state_dir


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


def services_for(config: OpsquadConfig, update: Callable[[str], None], audit: AuditLog | None = None) -> Services:
    """The one place a command builds the services a run needs (the local model reports progress to ``update``)."""
    from workflows.services import Services, litellm_factory

    return Services(config=config, audit=audit or audit_log(config), make_model=litellm_factory(config, update),
                    progress=update)


def parse_fail_on(value: str) -> Severity | None:
    """``--fail-on``: a severity, or ``none`` for never failing."""
    if value == "none":
        return None
    try:
        return Severity(value)
    except ValueError:
        raise OpsquadError(f"--fail-on must be one of {', '.join(Severity)} or none, not '{value}'") from None


def git_range(repo: Path, base: str | None, head: str | None) -> tuple[str, str | None, str | None]:
    """The repository root and a checked base..head (both refs, or neither)."""
    from tools import git

    for flag, ref in (("--base", base), ("--head", head)):
        if ref is not None and not ref.strip():
            raise OpsquadError(f"{flag} is empty: give a branch, tag or commit")
    root = git.repo_root(repo)
    if (base is None) != (head is None):
        raise OpsquadError("give both --base and --head, or neither")
    if base and head:
        git.resolve_ref(root, base)
        git.resolve_ref(root, head)
    return str(root), base, head


def run_request(request: Request, config_path: Path | None, fmt: str, output: Path | None, *,
                fail_on: str | None = None, gate: bool = True,
                check: Callable[[RunResult], None] | None = None, label: str | None = None) -> None:
    """Dispatch one request, write its report and exit with the workflow's gate (0 without ``gate``).

    ``check`` sees the result before anything is written, so a command can turn an empty answer into an error.
    """
    from workflows.dispatch import dispatch

    config = get_config(config_path)
    if fail_on is not None and (wf := config.workflows.get(request.workflow)) is not None:
        wf.fail_on = parse_fail_on(fail_on)
    audit = audit_log(config)
    with audit.failed_if_raises(request.run_id):  # a rejected result or unwritable output fails the run too
        with progress(label or f"opsquad {request.workflow}") as update:
            result = dispatch(request, services_for(config, update, audit))
        if check is not None:
            check(result)
        write_output(result.report, fmt, output)
        if request.options.get("update_baseline"):
            _update_baseline(request, result)
    if result.awaiting_approval:
        err_console.print(f"run {result.run_id} is waiting for approval: opsquad approve {result.run_id}",
                          markup=False)
    raise typer.Exit(exit_code(result.report, config, request.workflow) if gate else 0)


def _update_baseline(request: Request, result: RunResult) -> None:
    """``--update-baseline``: every finding of this run becomes an answered fingerprint."""
    from opsquad import baseline

    path = Path(str(request.options["baseline"]))
    count = baseline.write(path, result.report.findings, baseline.load(path))
    err_console.print(f"baseline {path}: {count} fingerprint(s)", markup=False)
