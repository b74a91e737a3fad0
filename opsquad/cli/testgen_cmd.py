"""``opsquad testgen``: write the unit tests a change (or a module) is missing, keep only those that earn it."""

from __future__ import annotations

from pathlib import Path

import typer

from opsquad.cli.common import ConfigOpt, OutputOpt, git_range, run_request
from opsquad.errors import OpsquadError
from opsquad.request import Request


def testgen(
    path: Path = typer.Argument(Path("."), help="The Python project (or a package directory inside it)."),
    module: str | None = typer.Option(None, "--module", help="Target one module by import name, e.g. pkg.util."),
    file: Path | None = typer.Option(None, "--file", help="Target one module by file path."),
    base: str | None = typer.Option(None, "--base", help="Target the functions changed since this ref."),
    head: str | None = typer.Option(None, "--head", help="Head ref (with --base)."),
    out: Path = typer.Option(..., "--out", help="Folder the kept tests are written to (one file per module)."),
    budget: float = typer.Option(300.0, "--budget", help="Seconds to spend; what passed by then is kept."),
    write: bool = typer.Option(False, "--write", help="Also write the kept tests into the project's tests/."),
    config: Path | None = ConfigOpt,
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    output: Path | None = OutputOpt,
) -> None:
    """Generate pytest tests; keep those that pass 5/5 and add coverage (the project is untouched without --write)."""
    if fmt not in ("text", "json"):
        raise OpsquadError(f"--format must be text or json, not '{fmt}'")
    if sum(x is not None for x in (module, file, base)) > 1:
        raise OpsquadError("give one target: --module, --file, or --base/--head")
    if head is not None and base is None:
        raise OpsquadError("--head needs --base")
    if budget < 30:
        raise OpsquadError("--budget must be at least 30 seconds")
    if not path.exists():
        raise OpsquadError(f"{path}: no such file or directory")
    options: dict[str, object] = {"path": str(path.resolve()), "out": str(out.resolve()), "budget": budget,
                                  "write": write}
    if module:
        options["module"] = module
    if file:
        options["file"] = str(file)
    repo, b, h = None, None, None
    if base is not None:
        repo, b, h = git_range(path, base, head or "HEAD")
    run_request(Request(workflow="testgen", repo=repo, base=b, head=h, options=options), config, fmt, output,
                gate=False)
