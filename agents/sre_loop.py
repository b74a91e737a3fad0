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
from agents.loop import action_adapter, render_result, tool_menu
from agents.sre_cite import Corpus
from opsquad.model.protocol import Message

A = TypeVar("A", bound=BaseModel)


def loop(run: AgentRun, system: str, question: str, context: str, answer_type: type[A], max_steps: int,
         corpus: Corpus) -> tuple[A, list[dict[str, Any]]]:
    """Run at most ``max_steps`` model turns; the last one offers only the final answer.

    The question is the first user message as asked; what the analyzers found (``context``) follows it as a
    second one, so the model reads the evidence right before it answers."""
    messages: list[Message] = [
        {"role": "system", "content": f"{system}\n\nTools:\n{tool_menu(run)}\n"
                                      "Answer with one JSON action per turn; use 'final' when you know."},
        {"role": "user", "content": question},
    ]
    if context:
        messages.append({"role": "user", "content": context})
    transcript: list[dict[str, Any]] = []
    seen: set[str] = set()
    force_final = False
    steps = max(1, max_steps)
    for step in range(steps):
        last = force_final or step == steps - 1
        action = run.ask(messages, action_adapter(run, answer_type, final_only=last), schema_name="action")
        if action.action == "final":
            return action.answer, transcript
        tool = run.tools[action.action]
        key = action.model_dump_json()
        if key in seen:  # a small model repeating itself learns nothing new: make it answer
            messages.append({"role": "assistant", "content": key})
            messages.append({"role": "user", "content": "You already made that call and have its result. "
                                                        "Give the final answer now."})
            force_final = True
            continue
        seen.add(key)
        run.progress(f"{run.name}: {action.action}")
        result = run.call_tool(action.action, tool.Params.model_validate(action.args.model_dump()))
        transcript.append({"tool": action.action, "args": action.args.model_dump(mode="json"),
                           "status": result.status.value})
        shown = render_result(run, action.action, result)
        corpus.add(shown)
        messages.append({"role": "assistant", "content": action.model_dump_json()})
        messages.append({"role": "user", "content": shown})
    raise AssertionError("unreachable: the last step offers only the final answer")
