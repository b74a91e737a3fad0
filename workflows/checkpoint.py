"""Durable run state: the SQLite checkpointer by default, Postgres as a setting for several replicas."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from opsquad.config import OpsquadConfig
from opsquad.errors import ConfigError


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
            saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    config.state_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(config.state_dir / "checkpoints.sqlite"), check_same_thread=False, timeout=30)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()
