"""The SRE agent's action loop: ``agents.loop``'s schema-constrained union of tool calls and a final answer, with
two differences the investigation needs.

Every tool result the model sees is also added to the citation corpus (``agents.sre_cite``), so its evidence can
be checked against what the tools really returned; and the number of steps is the caller's (when the analyzers
found a clear problem the model gets one optional read before it must answer, which keeps a small model's
investigation short). Repeats and the forced final step behave exactly as in ``agents.loop``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from agents.base import AgentRun
from agents.loop import run_loop
from agents.sre_cite import Corpus

A = TypeVar("A", bound=BaseModel)


def loop(run: AgentRun, system: str, question: str, context: str, answer_type: type[A], max_steps: int,
         corpus: Corpus) -> tuple[A, list[dict[str, Any]]]:
    """Run at most ``max_steps`` model turns; the last one offers only the final answer.

    The question is the first user message as asked; what the analyzers found (``context``) follows it as a
    second one, so the model reads the evidence right before it answers."""
    return run_loop(run, system, question, answer_type, context=context, max_steps=max_steps, on_result=corpus.add)
