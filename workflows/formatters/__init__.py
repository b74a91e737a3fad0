"""One formatter per output format, chosen by name from an explicit registry.

The registry is a plain dict rather than plugin discovery so the set of formats is visible in one place, the
CLI can list it in ``--help``, and a typo in ``--format`` fails with one line instead of a traceback.
Every formatter takes the output-agnostic ``Report`` and returns text; all of them redact secrets.
"""

from __future__ import annotations

from collections.abc import Callable

from opsquad.errors import OpsquadError
from opsquad.findings import Report
from workflows.formatters import json_fmt, markdown, sarif, text

FORMATTERS: dict[str, Callable[[Report], str]] = {
    "sarif": sarif.render,
    "json": json_fmt.render,
    "markdown": markdown.render,
    "text": text.render,
}


def render(report: Report, fmt: str) -> str:
    """Render ``report`` in format ``fmt``; an unknown name raises ``OpsquadError`` listing the known ones."""
    formatter = FORMATTERS.get(fmt.strip().lower())
    if formatter is None:
        raise OpsquadError(f"unknown output format {fmt!r}: choose one of {', '.join(sorted(FORMATTERS))}")
    return formatter(report)


__all__ = ["FORMATTERS", "render"]
