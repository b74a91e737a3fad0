"""``opsquad config check|schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from opsquad.cli.common import config_file, err_console, get_config
from opsquad.config import config_json_schema

app = typer.Typer(help="Validate agents.yaml or print its JSON schema.", no_args_is_help=True)


@app.command("check")
def check(file: Path = typer.Argument(Path("agents.yaml"), help="The agents.yaml to validate (or a directory "
                                     "holding one).")) -> None:
    """Exit 0 on a valid file; on a bad one print one line naming the file, key path and problem, exit 2."""
    path = config_file(file)
    cfg = get_config(path)
    err_console.print(f"{path}: ok ({len(cfg.models)} models, {len(cfg.agents)} agents, "
                      f"{len(cfg.workflows)} workflows)", markup=False)


@app.command("schema")
def schema() -> None:
    """Print the JSON schema of agents.yaml."""
    typer.echo(json.dumps(config_json_schema(), indent=2))
