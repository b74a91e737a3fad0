"""Schema-constrained answers, validated in code, with one bounded repair retry.

Small models break on native tool calls and on free-form JSON. Every answer we take from a model is therefore
generated under the server's JSON-schema grammar *and* validated here with pydantic. If validation still
fails (a value out of range, a truncated answer), the model sees the validation error once and may answer
again; after that the call fails with ``ModelOutputError``. We never parse prose or fenced code blocks.
Every message is passed through the redactor first, so secrets never reach a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from opsquad.errors import ModelOutputError
from opsquad.model.protocol import ChatModel, Completion, Message
from opsquad.redact import redact

T = TypeVar("T")


@dataclass
class ModelCall:
    """What the audit trail records about one model call."""

    model: str
    schema_name: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    ok: bool
    attempt: int
    restarted: str = ""


Recorder = Callable[[ModelCall], None]


def schema_for(output_type: Any) -> dict[str, Any]:
    adapter = output_type if isinstance(output_type, TypeAdapter) else TypeAdapter(output_type)
    return adapter.json_schema()


def _short_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def ask(
    model: ChatModel,
    messages: list[Message],
    output_type: type[T] | TypeAdapter[T],
    *,
    schema_name: str | None = None,
    max_tokens: int | None = None,
    record: Recorder | None = None,
    repair_retries: int = 1,
) -> T:
    """Ask ``model`` for one value of ``output_type`` (a pydantic model or any type TypeAdapter takes)."""
    adapter: TypeAdapter[T] = output_type if isinstance(output_type, TypeAdapter) else TypeAdapter(output_type)
    schema = adapter.json_schema()
    name = schema_name or (output_type.__name__ if isinstance(output_type, type) else "answer")
    convo = [{"role": m["role"], "content": redact(m["content"])} for m in messages]
    last_error = ""
    for attempt in range(repair_retries + 1):
        completion: Completion = model.complete_json(convo, schema, name, max_tokens)
        try:
            value = adapter.validate_json(completion.text)
        except ValidationError as err:
            last_error = _short_error(err)
            if record:
                record(ModelCall(completion.model, name, completion.prompt_tokens, completion.completion_tokens,
                                 completion.latency_s, False, attempt, completion.restarted))
            convo = [*convo, {"role": "assistant", "content": completion.text[:2000]},
                     {"role": "user", "content": f"That answer is invalid: {last_error}. Answer again with "
                                                 "valid JSON for the same schema."}]
            continue
        if record:
            record(ModelCall(completion.model, name, completion.prompt_tokens, completion.completion_tokens,
                             completion.latency_s, True, attempt, completion.restarted))
        return value
    raise ModelOutputError(f"model '{model.name}' gave no valid '{name}' answer: {last_error}")
