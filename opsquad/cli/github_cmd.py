"""``opsquad github review|cache-key``: what the composite action (``action.yml``) runs on the runner.

``review`` reads the ``pull_request`` event, reviews its base..head through ``dispatch`` and publishes the
result (see ``workflows.github``); ``cache-key`` tells the action which model weights to restore from
``actions/cache`` before anything is downloaded. Both write their results to ``$GITHUB_OUTPUT`` when set.
Exit status: 0, 1 when a finding at or above ``fail_on`` remains, 2 for a usage or environment error
(one line, like every opsquad command).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from opsquad.cli.common import ConfigOpt, audit_log, err_console, get_config, parse_fail_on, services_for
from opsquad.cli.common import progress as progress_ctx
from opsquad.config import OpsquadConfig, PathGGUF, PresetGGUF
from opsquad.errors import ConfigError, OpsquadError
from opsquad.findings import Severity

if TYPE_CHECKING:
    from workflows.github.review import ReviewOutcome

app = typer.Typer(help="Run opsquad in GitHub Actions: review a pull request and publish the result.",
                  no_args_is_help=True)

GitHubOutputOpt = typer.Option(None, "--github-output", envvar="GITHUB_OUTPUT", hidden=True)


def _in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _warn(message: str) -> None:
    err_console.print(f"opsquad: warning: {message}", markup=False, highlight=False)
    if _in_actions():  # an annotation on the run's summary page
        typer.echo(f"::warning title=opsquad::{message}")


def _workflow_overrides(cfg: OpsquadConfig, workflow: str, agents: str | None, model: str | None,
                        fail_on: str | None) -> Severity | None:
    """Apply the action's ``agents``/``model``/``fail-on`` inputs to the loaded config; returns fail_on."""
    wf = cfg.workflows.get(workflow)
    if wf is None:
        raise ConfigError(f"unknown workflow '{workflow}' (agents.yaml has: {', '.join(cfg.workflows) or 'none'})")
    if agents:
        names = [a.strip() for a in agents.split(",") if a.strip()]
        unknown = [a for a in names if a not in cfg.agents]
        if unknown or not names:
            raise ConfigError(f"--agents: unknown agent '{unknown[0] if unknown else agents}' "
                              f"(agents.yaml has: {', '.join(cfg.agents)})")
        wf.agents = names
    if model:
        if model not in cfg.models:
            raise ConfigError(f"--model: unknown model alias '{model}' (agents.yaml has: {', '.join(cfg.models)})")
        for name in wf.agents:
            cfg.agents[name].model = model
    return wf.fail_on if fail_on is None or fail_on == "" else parse_fail_on(fail_on)


def _write_outputs(path: Path | None, values: dict[str, str]) -> None:
    from workflows.github.review import write_github_output

    if path is not None and str(path):
        write_github_output(path, values)


@app.command()
def review(
    event: Path | None = typer.Option(None, "--event", envvar="GITHUB_EVENT_PATH",
                                      help="The pull_request event payload (default: $GITHUB_EVENT_PATH)."),
    event_name: str | None = typer.Option(None, "--event-name", envvar="GITHUB_EVENT_NAME",
                                          help="The event name; pull_request_target is refused."),
    repo: Path | None = typer.Option(None, "--repo", envvar="GITHUB_WORKSPACE",
                                     help="The checked-out repository (default: $GITHUB_WORKSPACE, else .)."),
    config: Path | None = ConfigOpt,
    fail_on: str | None = typer.Option(None, "--fail-on", help="Severity that fails the job, or none."),
    agents: str | None = typer.Option(None, "--agents", help="Comma-separated agents instead of the workflow's."),
    model: str | None = typer.Option(None, "--model", help="Model alias for those agents."),
    sarif: Path = typer.Option(Path("opsquad.sarif"), "--sarif", help="Where to write the SARIF file."),
    inline: bool = typer.Option(True, "--inline/--no-inline", help="Post inline comments on changed lines."),
    publish: bool = typer.Option(True, "--publish/--no-publish", help="Post to the pull request at all."),
    no_triage: bool = typer.Option(False, "--no-triage", help="Skip the model's triage (and fixes)."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Baseline file (default: "
                                         "<repo>/.opsquad-baseline.json when present)."),
    max_inline: int = typer.Option(30, "--max-inline", min=0, help="At most this many inline comments per push."),
    api_url: str = typer.Option("https://api.github.com", "--api-url", envvar="GITHUB_API_URL",
                                help="GitHub REST API base (GitHub Enterprise: https://HOST/api/v3)."),
    github_output: Path | None = GitHubOutputOpt,
    step_summary: Path | None = typer.Option(None, "--step-summary", envvar="GITHUB_STEP_SUMMARY", hidden=True),
) -> None:
    """Review a pull request from its event payload and publish a sticky summary and inline comments."""
    from workflows.github.event import check_event_name, load_event
    from workflows.github.review import ReviewOptions, outputs, review_pull_request

    check_event_name(event_name)  # before anything runs: never review untrusted code with a write token
    if event is None:
        raise OpsquadError("no event payload: pass --event or run inside GitHub Actions (GITHUB_EVENT_PATH)")
    pr = load_event(event)
    workspace = (repo or Path(".")).resolve()
    cfg = get_config(config)
    gate = _workflow_overrides(cfg, "pr_review", agents, model, fail_on)
    opts = ReviewOptions(workspace=workspace, sarif=sarif if sarif.is_absolute() else workspace / sarif,
                         fail_on=gate, api_url=api_url or "https://api.github.com",
                         token=os.environ.get("GITHUB_TOKEN", ""), publish=publish, inline=inline,
                         max_inline=max_inline, no_triage=no_triage, baseline=baseline)
    err_console.print(f"opsquad: reviewing {pr.repo}#{pr.number} {pr.base_sha[:7]}..{pr.head_sha[:7]}",
                      markup=False, highlight=False)
    audit = audit_log(cfg)
    with progress_ctx("opsquad github review") as update:
        outcome = review_pull_request(pr, services_for(cfg, update, audit), opts, log=update)
    with audit.failed_if_raises(outcome.result.run_id):  # unwritable outputs, a fatal publishing error: exit 2
        _print_outcome(outcome)
        _write_outputs(github_output, outputs(outcome))
        _append_step_summary(step_summary, outcome)
        if outcome.publish_fatal:  # outputs and SARIF are written: the upload step can still run
            raise OpsquadError(outcome.publish_error)
    _gate(outcome, gate)


def _append_step_summary(path: Path | None, outcome: ReviewOutcome) -> None:
    from workflows.formatters import render

    if path is not None and str(path):
        with path.open("a", encoding="utf-8") as fh:
            fh.write(render(outcome.result.report, "markdown") + "\n")


def _gate(outcome: ReviewOutcome, gate: Severity | None) -> NoReturn:
    """Exit with the review's status (1 when a finding at or above ``fail_on`` remains)."""
    if outcome.exit_code and gate is not None:
        failing = sum(1 for f in outcome.result.report.active() if f.severity.at_least(gate))
        err_console.print(f"opsquad: {failing} finding(s) at or above fail_on '{gate.value}': failing the job",
                          markup=False)
    raise typer.Exit(outcome.exit_code)


def _print_outcome(outcome: ReviewOutcome) -> None:
    """The report as text on stderr (the job log), where the SARIF went, and what was published."""
    from workflows.formatters import render

    err_console.print(render(outcome.result.report, "text"), markup=False, highlight=False)
    err_console.print(f"wrote sarif report to {outcome.sarif}", markup=False)
    if outcome.publish_error and not outcome.publish_fatal:
        _warn(outcome.publish_error)
    elif outcome.published is not None:
        p = outcome.published
        err_console.print(f"published: summary {'created' if p.created else 'updated'} {p.summary_url}; "
                          f"{p.inline_posted} inline comment(s), {len(p.plan.new)} new, "
                          f"{len(p.plan.resolved_now)} resolved", markup=False)


def _model_sha(cfg: OpsquadConfig, alias: str) -> str:
    from opsquad.model.weights import PRESETS

    serve = cfg.models[alias].serve
    if serve is None:
        return "not-served"
    src = serve.gguf
    if isinstance(src, PresetGGUF):
        preset = PRESETS.get(src.preset)
        if preset is None:
            raise ConfigError(f"models.{alias}.serve.gguf.preset: unknown preset '{src.preset}'")
        return preset.sha256
    if isinstance(src, PathGGUF):
        return src.sha256 or "unpinned-" + hashlib.sha256(src.path.encode()).hexdigest()[:16]
    return src.sha256


def _rules_key(cfg: OpsquadConfig) -> str:
    from opsquad import __version__
    from tools.semgrep import resolve_rules

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(resolve_rules(cfg.tools.semgrep.rules, cfg.base_dir)):
        files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for f in files:
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:24]


@app.command("cache-key")
def cache_key(
    config: Path | None = ConfigOpt,
    model: str | None = typer.Option(None, "--model", help="Model alias (default: the pr_review agents' model)."),
    github_output: Path | None = GitHubOutputOpt,
) -> None:
    """Print the model's sha256 and cache folder, and a key for the compiled Semgrep rules."""
    from opsquad.model.weights import cache_dir

    cfg = get_config(config)
    wf = cfg.workflows.get("pr_review")
    alias = model or (cfg.agents[wf.agents[0]].model if wf and wf.agents else next(iter(cfg.models)))
    if alias not in cfg.models:
        raise ConfigError(f"--model: unknown model alias '{alias}' (agents.yaml has: {', '.join(cfg.models)})")
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    values = {"model": alias, "model-sha256": _model_sha(cfg, alias), "model-dir": str(cache_dir()),
              "rules-key": _rules_key(cfg), "rules-dir": str(cache_root / "opsquad" / "rules")}
    for key, value in values.items():
        typer.echo(f"{key}={value}")
    _write_outputs(github_output, values)
