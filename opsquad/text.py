"""Small text helpers shared by the formatters, the tools and the agents."""

from __future__ import annotations


def one_line(text: str, limit: int | None = None) -> str:
    """Collapse whitespace (newlines included) so a field cannot break a one-line-per-item layout.

    With ``limit``, a longer result is cut to ``limit`` characters, the last one an ellipsis.
    """
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
