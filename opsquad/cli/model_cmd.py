"""``opsquad model pull|serve|status|stop``: the local model's weights and server."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from opsquad.cli.common import ConfigOpt, err_console, get_config, progress
from opsquad.config import OpsquadConfig
from opsquad.errors import ConfigError
from opsquad.model import runtime
from opsquad.model.weights import is_verified, resolve_gguf

app = typer.Typer(help="Fetch, verify, serve and stop the local model.", no_args_is_help=True)

AliasArg = typer.Argument(None, help="Model alias from agents.yaml (default: the first one).")


def _alias(cfg: OpsquadConfig, alias: str | None) -> str:
    name = alias or next(iter(cfg.models))
    if name not in cfg.models:
        raise ConfigError(f"unknown model alias '{name}' (agents.yaml has: {', '.join(cfg.models)})")
    return name


@app.command()
def pull(alias: str | None = AliasArg, config: Path | None = ConfigOpt) -> None:
    """Download the GGUF and verify its sha256 (cached under ~/.cache/opsquad/models)."""
    cfg = get_config(config)
    name = _alias(cfg, alias)
    serve_cfg = cfg.models[name].serve
    if serve_cfg is None:
        raise ConfigError(f"models.{name}: has no 'serve' block, so there are no weights to pull")
    with progress(f"pulling {name}") as update:
        path, digest = resolve_gguf(serve_cfg.gguf, update)
    typer.echo(f"{name}: {path} (sha256 {digest or 'not pinned'})")


@app.command("serve")
def serve_cmd(alias: str | None = AliasArg, config: Path | None = ConfigOpt) -> None:
    """Start the model server on 127.0.0.1 (if not already up) and wait until it is healthy."""
    cfg = get_config(config)
    name = _alias(cfg, alias)
    with progress(f"serving {name}") as update:
        runtime.ensure_served(cfg, name, update)
    typer.echo(f"{name}: serving at {cfg.models[name].api_base}")


@app.command()
def status(alias: str | None = AliasArg, config: Path | None = ConfigOpt,
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show whether each model is verified and served."""
    cfg = get_config(config)
    names = [_alias(cfg, alias)] if alias else list(cfg.models)
    rows = []
    for name in names:
        st = runtime.status(cfg, name)
        path, digest = st.get("model_path"), st.get("sha256")
        st["verified"] = bool(path and digest and is_verified(Path(str(path)), str(digest)))
        rows.append(st)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for st in rows:
        served = "served" if st["healthy"] else "not served"
        ver = f"verified sha256 {str(st['sha256'])[:12]}…" if st["verified"] else "weights not verified"
        pid = f" pid {st['pid']}" if st["pid"] else ""
        typer.echo(f"{st['alias']}: {served} at {st['api_base']}{pid}; {ver}; {st['model_path'] or ''}".rstrip("; "))


@app.command()
def stop(alias: str | None = AliasArg, config: Path | None = ConfigOpt,
         all_models: bool = typer.Option(False, "--all", help="Stop every model opsquad started.")) -> None:
    """Stop a model server that opsquad started (by PID)."""
    cfg = get_config(config)
    names = list(cfg.models) if all_models else [_alias(cfg, alias)]
    for name in names:
        stopped = runtime.stop(cfg, name)
        err_console.print(f"{name}: {'stopped' if stopped else 'was not running'}", markup=False)
