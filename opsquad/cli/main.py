"""Entry point: the typer app, its sub-apps, and the wrapper that turns errors into one line and exit 2."""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from opsquad.answers import SreAnswer
from opsquad.cli import config_cmd, eval_cmd, github_cmd, model_cmd, runs_cmd, testgen_cmd
from opsquad.cli.common import (
    ConfigOpt,
    FormatOpt,
    OutputOpt,
    audit_log,
    err_console,
    get_config,
    git_range,
    run_request,
    services_for,
    state_dir,
)
from opsquad.errors import OpsquadError, Terminated
from opsquad.request import Request

if TYPE_CHECKING:
    from workflows.dispatch import RunResult

app = typer.Typer(
    name="opsquad",
    help="Specialized AI agents for DevSecOps, SDET and SRE work, served by a local small model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(model_cmd.app, name="model")
app.add_typer(runs_cmd.runs_app, name="runs")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(github_cmd.app, name="github")
app.command("approve")(runs_cmd.approve)
app.command("testgen")(testgen_cmd.testgen)
app.command("reject")(runs_cmd.reject)

FORMATS = ("text", "json", "markdown", "sarif")


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise OpsquadError(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    return fmt


BaselineOpt = typer.Option(None, "--baseline", help="Fingerprints of answered findings (default: "
                           "<repo>/.opsquad-baseline.json when present).")
UpdateBaselineOpt = typer.Option(False, "--update-baseline", help="Write every finding of this run into the baseline.")
NoFixOpt = typer.Option(False, "--no-fix", help="Do not propose fixes.")


def _scan_options(root: Path, no_triage: bool, no_fix: bool, baseline: Path | None, update: bool,
                  min_confidence: float | None = None) -> dict[str, object]:
    options: dict[str, object] = {"no_triage": no_triage, "no_fix": no_fix}
    if min_confidence is not None:
        options["min_confidence"] = min_confidence
    path = baseline or root / ".opsquad-baseline.json"
    if baseline is not None or path.exists() or update:
        options["baseline"] = str(path.resolve())
        options["update_baseline"] = update
    return options


@app.command()
def review(
    repo: Path = typer.Option(Path("."), "--repo", help="The git repository to review."),
    base: str = typer.Option(..., "--base", help="Base ref of the change (e.g. origin/main)."),
    head: str = typer.Option("HEAD", "--head", help="Head ref of the change."),
    config: Path | None = ConfigOpt,
    fmt: str = FormatOpt,
    output: Path | None = OutputOpt,
    all_lines: bool = typer.Option(False, "--all", help="Report findings on unchanged lines too."),
    no_triage: bool = typer.Option(False, "--no-triage", help="Skip the model's triage."),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Override the workflow's fail_on severity."),
    workflow: str = typer.Option("pr_review", "--workflow", help="Workflow from agents.yaml."),
    no_fix: bool = NoFixOpt,
    baseline: Path | None = BaselineOpt,
    update_baseline: bool = UpdateBaselineOpt,
) -> None:
    """Review a change (base..head) with the pr_review agents: security findings and untested code."""
    root, b, h = git_range(repo, base, head)
    req = Request(workflow=workflow, repo=root, base=b, head=h, all_lines=all_lines,
                  options=_scan_options(Path(root), no_triage, no_fix, baseline, update_baseline))
    run_request(req, config, _check_format(fmt), output, fail_on=fail_on)


@app.command()
def scan(
    path: Path = typer.Argument(Path("."), help="File or directory (a git repository for --base/--head)."),
    base: str | None = typer.Option(None, "--base", help="Scan only files changed since this ref."),
    head: str | None = typer.Option(None, "--head", help="Head ref (with --base)."),
    config: Path | None = ConfigOpt,
    fmt: str = FormatOpt,
    output: Path | None = OutputOpt,
    all_lines: bool = typer.Option(False, "--all", help="With --base/--head: report unchanged lines too."),
    no_triage: bool = typer.Option(False, "--no-triage", help="Skip the model's triage."),
    min_confidence: float | None = typer.Option(None, "--min-confidence", min=0.0, max=1.0,
                                                help="How sure the model must be to suppress a finding."),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Override the workflow's fail_on severity."),
    no_fix: bool = NoFixOpt,
    baseline: Path | None = BaselineOpt,
    update_baseline: bool = UpdateBaselineOpt,
) -> None:
    """Security scan with opsquad's Semgrep rules, triaged by the local model."""
    if not path.exists():
        raise OpsquadError(f"{path}: no such file or directory")
    if not (path.is_file() or path.is_dir()):
        raise OpsquadError(f"{path}: not a regular file or a directory")
    where = path.resolve() if path.is_dir() else path.resolve().parent
    options = _scan_options(where, no_triage, no_fix, baseline, update_baseline, min_confidence)
    if base or head:
        root, b, h = git_range(path, base, head)
        req = Request(workflow="scan", repo=root, base=b, head=h, all_lines=all_lines, options=options)
    else:
        target = path.resolve()
        root_dir = target if target.is_dir() else target.parent
        req = Request(workflow="scan", repo=str(root_dir), paths=[] if target.is_dir() else [target.name],
                      options=options)
    run_request(req, config, _check_format(fmt), output, fail_on=fail_on)


@app.command()
def investigate(
    question: str = typer.Argument(..., help="What to investigate, as you would ask a colleague."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Namespace to investigate (default: all "
                                         "the agent is granted)."),
    kubeconfig: Path | None = typer.Option(None, "--kubeconfig", help="Kubeconfig (default: tools.kubernetes."
                                           "kubeconfig, then KUBECONFIG, then ~/.kube/config)."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context (default: its current one)."),
    prometheus_url: str | None = typer.Option(None, "--prometheus-url", envvar="PROMETHEUS_URL",
                                              help="Prometheus base URL (default: tools.prometheus.url)."),
    config: Path | None = ConfigOpt,
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | markdown"),
    output: Path | None = OutputOpt,
) -> None:
    """Investigate an incident with the SRE agent: analyzers first, then the model explains (read-only; a
    proposed write waits for `opsquad approve`). Exit 2 when nothing at all could be read."""
    if fmt not in ("text", "json", "markdown"):
        raise OpsquadError(f"--format must be one of text, json, markdown, not '{fmt}'")
    if not question.strip():
        raise OpsquadError("the question is empty: say what is wrong, e.g. \"checkout returns 500s since 14:00\"")
    opts: dict[str, object] = {}
    if prometheus_url:
        opts["prometheus_url"] = prometheus_url
    if kubeconfig is not None:
        if not kubeconfig.expanduser().is_file():
            raise OpsquadError(f"--kubeconfig {kubeconfig}: no such file")
        opts["kubeconfig"] = str(kubeconfig.expanduser().resolve())
    if context:
        opts["context"] = context
    req = Request(workflow="oncall", question=question, namespace=namespace, options=opts)
    run_request(req, config, fmt, output, check=_something_read, label="opsquad investigate")


def _something_read(result: RunResult) -> None:
    """An investigation that could read no source at all is an error (exit 2), not an empty report."""
    answer = result.report.answer
    if isinstance(answer, SreAnswer) and answer.nothing_readable:
        reasons = "; ".join(x for x in answer.not_checked if x)
        raise OpsquadError(f"nothing could be read: {reasons or 'no source configured'}")


@app.command()
def demo(
    keep: Path | None = typer.Option(None, "--keep", help="Create the example repository here and keep it."),
    config: Path | None = ConfigOpt,
    fmt: str = typer.Option("markdown", "--format", "-f", help="text | json | markdown | sarif"),
    output: Path | None = OutputOpt,
) -> None:
    """Review the bundled example change end to end with the local model (the README's first command)."""
    import tempfile

    from opsquad.demo import create_example_repo

    with tempfile.TemporaryDirectory(prefix="opsquad-demo-") as tmp:
        repo = keep or Path(tmp) / "inventory"
        base, head = create_example_repo(repo)
        err_console.print(f"example change: {repo} ({base}..{head})", markup=False)
        req = Request(workflow="pr_review", repo=str(repo), base=base, head=head)
        run_request(req, config, _check_format(fmt), output, gate=False)  # findings are the point of a demo: exit 0


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (loopback unless told otherwise)."),
    port: int = typer.Option(8080, "--port", min=1, max=65535),
    config: Path | None = ConfigOpt,
    log_level: str = typer.Option("info", "--log-level", help="debug | info | warning | error"),
) -> None:
    """Serve the Slack on-call bot, the Alertmanager webhook (/alertmanager) and /healthz, /readyz, /metrics.

    Secrets come from the environment: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket
    Mode), SLACK_API_URL to point the Web API client elsewhere, OPSQUAD_ALERTMANAGER_TOKEN to require a bearer
    token on /alertmanager. Without Slack variables it serves the webhook and health routes only.
    """
    import logging
    import os

    import uvicorn

    from opsquad.serve import SlackSettings, create_app
    from opsquad.serve.app import warm_models
    from workflows.services import Services

    if log_level not in ("debug", "info", "warning", "error"):
        raise OpsquadError(f"--log-level must be debug, info, warning or error, not '{log_level}'")
    cfg = get_config(config)
    slack = SlackSettings.from_env(os.environ)
    alert_token = os.environ.get("OPSQUAD_ALERTMANAGER_TOKEN") or None
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    audit = audit_log(cfg)

    def services(progress: Callable[[str], None]) -> Services:
        return services_for(cfg, progress, audit)

    application = create_app(cfg, services, slack=slack, alert_token=alert_token, on_startup=[lambda: warm_models(cfg)])
    if host not in ("127.0.0.1", "localhost", "::1") and not alert_token:
        logging.getLogger("opsquad.serve").warning(
            "listening on %s without OPSQUAD_ALERTMANAGER_TOKEN: anyone who reaches it can start investigations", host)
    uvicorn.run(application, host=host, port=port, log_level=log_level, server_header=False)


def _version() -> str:
    """The installed distribution's version (what pip reports), else the source tree's ``__version__``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opsquad")
    except PackageNotFoundError:
        from opsquad import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"opsquad {_version()}")
        raise typer.Exit(0)


@app.callback()
def _main(_version_flag: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                             help="Print opsquad's version and exit.")) -> None:
    """Specialized AI agents for DevSecOps, SDET and SRE work, served by a local small model."""


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM raises ``Terminated`` in the main thread: ``finally`` blocks run and the run is marked failed."""
    raise Terminated(signum)


def run() -> None:
    """Console-script entry: every OpsquadError is one line on stderr and exit 2, never a traceback."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except OpsquadError as exc:
        err_console.print(f"opsquad: error: {exc.line}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Terminated as exc:
        err_console.print(f"opsquad: {exc}", markup=False)
        sys.exit(exc.code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("opsquad: interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # usage errors (typer's click) and genuine bugs
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # help was printed already
        fmt = getattr(exc, "format_message", None)
        if callable(fmt) and any(c.__name__ == "ClickException" for c in type(exc).__mro__):
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            err_console.print(f"opsquad: error: {fmt()}{where}", markup=False, highlight=False)
            sys.exit(2)
        _internal_error(exc)


def _internal_error(exc: Exception) -> NoReturn:
    """A bug: one line on stderr naming the file in opsquad's state directory that holds the redacted traceback
    (a traceback can quote a token from the config or the environment)."""
    from opsquad.redact import redact

    lines = str(exc).strip().splitlines()
    what = redact(f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__)
    try:
        log = state_dir() / "last-error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.touch(mode=0o600)
        log.write_text(redact(traceback.format_exc()), encoding="utf-8")
        where = f"details in {log}"
    except OSError as err:
        where = f"details could not be written to the state directory: {err.strerror}"
    err_console.print(f"opsquad: internal error: {what} ({where})", markup=False, highlight=False)
    sys.exit(2)


if __name__ == "__main__":
    run()
