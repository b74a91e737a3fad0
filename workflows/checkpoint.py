"""Durable run state: the SQLite checkpointer by default, Postgres as a setting for several replicas.

State is stored masked: a checkpoint holds what the agents read (log lines, events, code around a finding), and a
secret in it must not outlive the process in a database. Every string of the state passes through the redactor
before it is serialized.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

from opsquad.config import OpsquadConfig
from opsquad.errors import ConfigError
from opsquad.redact import redact


def masked(value: Any) -> Any:
    """``value`` with every string inside it redacted: dicts, lists, tuples, pydantic models and dataclasses."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(masked(v) for v in value) if not hasattr(value, "_fields") else value
    if isinstance(value, BaseModel):
        return value.model_copy(update={k: masked(getattr(value, k)) for k in type(value).model_fields})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: masked(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


class RedactingSerializer(JsonPlusSerializer):
    """LangGraph's serializer, fed the masked copy of what it is given."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        return super().dumps_typed(masked(obj))


@contextmanager
def open_checkpointer(config: OpsquadConfig) -> Iterator[BaseCheckpointSaver[str]]:
    if config.storage.checkpointer == "postgres":
        dsn = os.environ.get(config.storage.postgres_url_env)
        if not dsn:
            raise ConfigError(f"storage.checkpointer is postgres but ${config.storage.postgres_url_env} is not set")
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError:
            raise ConfigError("the postgres checkpointer needs: pip install 'opsquad[postgres]'") from None
        with PostgresSaver.from_conn_string(dsn) as saver:
            saver.serde = RedactingSerializer()
            saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    config.state_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(config.state_dir / "checkpoints.sqlite"), check_same_thread=False, timeout=30)
    try:
        yield SqliteSaver(conn, serde=RedactingSerializer())
    finally:
        conn.close()
