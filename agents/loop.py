"""The schema-constrained action loop: how an agent uses tools without native tool calling.

Each step the model answers with exactly one JSON object from a discriminated union: a call to one of the
agent's granted tools (``{"action": "<tool>", "args": {...}}``) or the final answer
(``{"action": "final", "answer": {...}}``). The server's grammar enforces the union's JSON schema, pydantic
validates it, and the tool's output goes back as the next user message, redacted and cut to the output
budget. The last step only offers the final answer, so a run always ends with one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from agents.base import AgentRun
from opsquad.answers import ToolCall
from opsquad.model.protocol import Message
from opsquad.redact import redact

A = TypeVar("A", bound=BaseModel)


def _call_model(name: str, params: type[BaseModel]) -> type[BaseModel]:
    # The tag is only known at runtime, so the Literal is a value here, not a static type: hold it as Any.
    action: Any = Literal[name]
    return create_model(
        f"Call_{name}",
        __config__=ConfigDict(extra="forbid"),
        action=(action, ...),
        args=(params, ...),
    )


def action_adapter(run: AgentRun, answer_type: type[A], final_only: bool = False) -> TypeAdapter[Any]:
    final_action: Any = Literal["final"]
    final = create_model(
        "Final", __config__=ConfigDict(extra="forbid"), action=(final_action, ...), answer=(answer_type, ...)
    )
    if final_only or not run.tools:
        return TypeAdapter(final)
    members = [_call_model(name, tool.Params) for name, tool in run.tools.items()] + [final]
    # A discriminated union built at runtime from the granted tools; a value to pydantic, not a static type.
    union: Any = Annotated[Union[tuple(members)], Field(discriminator="action")]  # noqa: UP007
    return TypeAdapter(union)


def tool_menu(run: AgentRun) -> str:
    lines = []
    for name, tool in run.tools.items():
        fields = ", ".join(tool.Params.model_fields)
        lines.append(f"- {name}({fields}): {tool.description}")
    return "\n".join(lines)


def render_result(run: AgentRun, name: str, result: Any) -> str:
    body = json.dumps(result.data, default=str, separators=(",", ":")) if result.data is not None else ""
    budget = run.budget_chars()
    if len(body) > budget:
        body = body[:budget] + f"… [cut: {len(body) - budget} more chars]"
    err = f" error: {result.error}" if result.error else ""
    return redact(f"Result of {name}: status={result.status.value}{err} {body}".strip())


def run_loop(run: AgentRun, system: str, task: str, answer_type: type[A], *, context: str = "",
             max_steps: int | None = None,
             on_result: Callable[[str], None] | None = None) -> tuple[A, list[ToolCall]]:
    """Run the action loop; returns the final answer and the transcript of tool calls.

    ``context`` (e.g. what deterministic analyzers found) follows the task as a second user message, so the
    model reads it right before it acts; ``max_steps`` overrides the agent's setting; ``on_result`` sees every
    tool result exactly as the model is shown it (the SRE agent checks citations against them)."""
    messages: list[Message] = [
        {"role": "system", "content": f"{system}\n\nTools:\n{tool_menu(run)}\n"
                                      "Answer with one JSON action per turn; use 'final' when you know."},
        {"role": "user", "content": task},
    ]
    if context:
        messages.append({"role": "user", "content": context})
    transcript: list[ToolCall] = []
    seen: set[str] = set()
    force_final = False
    steps = max(1, max_steps if max_steps is not None else run.agent_config.max_steps)
    for step in range(steps):
        last = force_final or step == steps - 1
        adapter = action_adapter(run, answer_type, final_only=last)
        action = run.ask(messages, adapter, schema_name="action")
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
        params = tool.Params.model_validate(action.args.model_dump())
        result = run.call_tool(action.action, params)
        transcript.append(ToolCall.of(action.action, params, result))
        shown = render_result(run, action.action, result)
        if on_result is not None:
            on_result(shown)
        messages.append({"role": "assistant", "content": action.model_dump_json()})
        messages.append({"role": "user", "content": shown})
    raise AssertionError("unreachable: the last step offers only the final answer")
