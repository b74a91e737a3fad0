"""Slack threads as conversations: run ids derived from channel + thread ts, context read from checkpoints.

A Slack thread is one conversation. Turn N of the thread with key K runs as ``K-NN`` — a run id, and
therefore the LangGraph checkpointer thread id (``dispatch`` uses the run id for both). That makes the history
durable and restart-proof without a second store: the earlier turns of a thread are exactly the checkpoints
``K-01 … K-(N-1)``, read back with ``graph.get_state``. A follow-up question is sent to the agent together with
a short summary of those turns, so "and what about the database?" has something to refer to.

Ids are fixed-width (12 characters, like generated ones) so ``opsquad runs show``'s prefix lookup stays
unambiguous; a thread is capped at ``MAX_TURNS`` turns.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from opsquad.answers import SreAnswer
from opsquad.config import OpsquadConfig
from opsquad.errors import OpsquadError
from opsquad.request import Request
from workflows.dispatch import RunResult, load_result

MAX_TURNS = 99
CONTEXT_CHARS = 1500  # earlier turns shown to a small model: enough to refer back, not enough to crowd it


@dataclass
class Turn:
    run_id: str
    question: str
    summary: str


def thread_key(channel: str, thread_ts: str) -> str:
    return hashlib.sha256(f"{channel}:{thread_ts}".encode()).hexdigest()[:9]


def turn_run_id(key: str, turn: int) -> str:
    return f"{key}-{turn:02d}"


def _summary(result: RunResult) -> str:
    answer = result.report.answer
    if not isinstance(answer, SreAnswer):
        return "(no answer)"
    parts = [answer.root_cause or "(no root cause)", f"confidence {answer.confidence:.0%}"]
    if answer.actions:
        verdict = "approved" if answer.approved else "rejected"
        parts.append(f"proposed {', '.join(a.tool for a in answer.actions)}: {verdict}")
    elif result.awaiting_approval:
        parts.append("a proposed action awaits approval")
    return "; ".join(parts)


class Conversations:
    def __init__(self, config: OpsquadConfig) -> None:
        self._config = config
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def history(self, key: str) -> list[Turn]:
        """The finished or paused turns of thread ``key``, oldest first, read from the checkpointer."""
        turns: list[Turn] = []
        for n in range(1, MAX_TURNS + 1):
            run_id = turn_run_id(key, n)
            found = load_result(run_id, self._config)
            if found is None:
                break
            request, result = found
            asked = request.options.get("asked") or request.question or ""
            turns.append(Turn(run_id, str(asked), _summary(result)))
        if turns:
            with self._lock:
                self._known.add(key)
        return turns

    def is_conversation(self, key: str) -> bool:
        """Has opsquad answered in this thread before? (Cheap for known threads, one checkpoint read otherwise.)"""
        with self._lock:
            if key in self._known:
                return True
        return bool(self.history(key))

    def request(self, *, workflow: str, source: str, channel: str, thread_ts: str, question: str,
                namespace: str | None = None, extra: dict[str, Any] | None = None) -> Request:
        """The next turn's ``Request``: its run id continues the thread, its question carries earlier turns."""
        key = thread_key(channel, thread_ts)
        turns = self.history(key)
        if len(turns) >= MAX_TURNS:
            raise OpsquadError(f"this thread has {MAX_TURNS} questions already: start a new thread")
        with self._lock:
            self._known.add(key)
        return Request(workflow=workflow, source=source,  # type: ignore[arg-type]
                       run_id=turn_run_id(key, len(turns) + 1), question=with_context(question, turns),
                       namespace=namespace, thread_id=f"slack:{channel}:{thread_ts}",
                       options={"asked": question, **(extra or {})})


def with_context(question: str, turns: list[Turn]) -> str:
    """The question, preceded by the most recent earlier turns that fit in ``CONTEXT_CHARS``."""
    if not turns:
        return question
    lines: list[str] = []
    used = 0
    for t in reversed(turns):
        line = f"- Q: {' '.join(t.question.split())[:300]}\n  A: {' '.join(t.summary.split())[:400]}"
        if used + len(line) > CONTEXT_CHARS:
            break
        lines.insert(0, line)
        used += len(line)
    return "Earlier in this conversation (oldest first):\n" + "\n".join(lines) + f"\n\nFollow-up question: {question}"
