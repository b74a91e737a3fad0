"""``read_file``: show the model a bounded, numbered slice of one file in the repository under review.

The model uses it to look at the code around a finding before judging it. It is fenced to the repository
root (no ``..``, no absolute paths or symlinks that lead outside), refuses binary files, and never returns
more than ``MAX_LINES`` lines so one call cannot flood the model's context.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolContext, ToolResult, ToolStatus

MAX_LINES = 200
MAX_LINE_CHARS = 400  # minified code would otherwise blow the budget with a handful of lines
MAX_FILE_BYTES = 5_000_000
_BINARY_SNIFF = 8000


class ReadFileParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="File path relative to the repository root, e.g. 'app/db.py'.")
    start_line: int = Field(default=1, ge=1, description="First line to show (1-based).")
    end_line: int | None = Field(
        default=None, ge=1,
        description=f"Last line to show (inclusive); at most {MAX_LINES} lines are shown per call.",
    )


def resolve_inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` with symlinks resolved, or None if that lands outside ``root``."""
    base = root.resolve()
    candidate = (base / rel).resolve()
    return candidate if candidate == base or candidate.is_relative_to(base) else None


class ReadFileTool:
    """Numbered lines from one repository file, so the model can quote and reason about exact code."""

    name: ClassVar[str] = "read_file"
    description: ClassVar[str] = (
        f"Read lines of a text file in the repository under review, with line numbers. "
        f"Give a repository-relative path and a line range; at most {MAX_LINES} lines per call."
    )
    Params: ClassVar[type[BaseModel]] = ReadFileParams
    writes: ClassVar[bool] = False

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        try:
            p = ReadFileParams.model_validate(params.model_dump())
            return self._read(p, ctx)
        except Exception as exc:  # a tool never raises into the run
            return ToolResult.fail(f"read_file failed: {type(exc).__name__}: {exc}".splitlines()[0])

    def _read(self, p: ReadFileParams, ctx: ToolContext) -> ToolResult:
        if ctx.repo is None:
            return ToolResult.fail("no repository in this run")
        target = resolve_inside(ctx.repo, p.path)
        if target is None:
            return ToolResult(status=ToolStatus.denied, error=f"{p.path} is outside the repository")
        if not target.exists():
            return ToolResult.empty(f"{p.path} does not exist")
        if not target.is_file():
            return ToolResult.fail(f"{p.path} is not a regular file")
        with target.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES)
        if b"\0" in data[:_BINARY_SNIFF]:
            return ToolResult.fail("binary file")
        lines = data.decode("utf-8", "replace").splitlines()
        total = len(lines)
        if total == 0:
            return ToolResult.empty(f"{p.path} is empty")
        if p.start_line > total:
            return ToolResult.empty(f"{p.path} has only {total} lines")
        wanted_end = p.end_line if p.end_line is not None else p.start_line + MAX_LINES - 1
        if wanted_end < p.start_line:
            return ToolResult.fail("end_line is before start_line")
        end = min(wanted_end, total, p.start_line + MAX_LINES - 1)
        width = len(str(end))
        shown = []
        for number in range(p.start_line, end + 1):
            text = lines[number - 1]
            if len(text) > MAX_LINE_CHARS:
                text = text[:MAX_LINE_CHARS] + " …[line cut]"
            shown.append(f"{number:>{width}}| {text}")
        return ToolResult.ok({
            "path": p.path,
            "start_line": p.start_line,
            "end_line": end,
            "total_lines": total,
            "truncated": end < min(wanted_end, total),
            "text": "\n".join(shown),
        })
