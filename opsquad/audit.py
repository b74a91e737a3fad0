"""The audit trail: what every run asked, which agent did what, every tool call and model call, approvals.

Stored in SQLite beside the LangGraph checkpoints (``<state_dir>/audit.sqlite``) so ``opsquad runs list``
and ``opsquad runs show`` work without the model or the graph. Arguments are redacted before they are
written; results are recorded by size, not content. A run that dies (an error, Ctrl-C, SIGTERM) is marked
``failed`` with a one-line reason by ``failed_if_raises``, never left ``running``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opsquad.errors import OpsquadError, Terminated
from opsquad.redact import redact, redact_obj

MAX_REASON = 300

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, source TEXT NOT NULL, request TEXT NOT NULL,
  status TEXT NOT NULL, started REAL NOT NULL, finished REAL, summary TEXT DEFAULT ''
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, ts REAL NOT NULL, kind TEXT NOT NULL,
  agent TEXT DEFAULT '', name TEXT DEFAULT '', args TEXT DEFAULT '', result_size INTEGER DEFAULT 0,
  status TEXT DEFAULT '', model TEXT DEFAULT '', prompt_tokens INTEGER DEFAULT 0,
  completion_tokens INTEGER DEFAULT 0, latency_ms INTEGER DEFAULT 0, detail TEXT DEFAULT '',
  decision TEXT DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
"""


class AuditLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(events)")}
        if "decision" not in columns:  # a trail written before tool events carried their grant decision
            self._conn.execute("ALTER TABLE events ADD COLUMN decision TEXT DEFAULT ''")
            self._conn.commit()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def _exec(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self._conn.execute(sql, args)
            self._conn.commit()

    def start_run(self, run_id: str, workflow: str, source: str, request: dict[str, Any]) -> None:
        self._exec("INSERT OR REPLACE INTO runs(run_id, workflow, source, request, status, started) "
                   "VALUES (?,?,?,?,?,?)",
                   (run_id, workflow, source, json.dumps(redact_obj(request)), "running", time.time()))

    def finish_run(self, run_id: str, status: str, summary: str = "") -> None:
        self._exec("UPDATE runs SET status=?, finished=?, summary=? WHERE run_id=?",
                   (status, time.time(), summary, run_id))

    @contextmanager
    def failed_if_raises(self, run_id: str) -> Iterator[None]:
        """Whatever escapes the block (an error, a check that rejects the result, Ctrl-C, SIGTERM's SystemExit)
        marks the run failed with one line and is re-raised: the one place a run's death is recorded."""
        try:
            yield
        except BaseException as exc:
            self.finish_run(run_id, "failed", failure_reason(exc))
            raise

    def event(self, run_id: str, kind: str, *, agent: str = "", name: str = "", args: Any = None,
              result_size: int = 0, status: str = "", model: str = "", prompt_tokens: int = 0,
              completion_tokens: int = 0, latency_ms: int = 0, detail: str = "", decision: str = "") -> None:
        """One event; ``decision`` is the policy's grant decision for a tool call (allow, deny, approval_required)."""
        self._exec(
            "INSERT INTO events(run_id, ts, kind, agent, name, args, result_size, status, model, prompt_tokens,"
            " completion_tokens, latency_ms, detail, decision) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, time.time(), kind, agent, name, json.dumps(redact_obj(args)) if args is not None else "",
             result_size, status, model, prompt_tokens, completion_tokens, latency_ms, str(redact_obj(detail)),
             decision),
        )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute("SELECT run_id, workflow, source, status, started, finished, summary FROM runs"
                                     " ORDER BY started DESC LIMIT ?", (limit,))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def run(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            cur = self._conn.execute("SELECT * FROM runs WHERE run_id=? OR run_id LIKE ?", (run_id, run_id + "%"))
            cols = [c[0] for c in cur.description]
            rows = cur.fetchall()
        if len(rows) != 1:
            return None
        return dict(zip(cols, rows[0], strict=True))

    def events(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute("SELECT * FROM events WHERE run_id=? ORDER BY id", (run_id,))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def failure_reason(exc: BaseException) -> str:
    """One redacted line saying why a run died: the user-facing line of an ``OpsquadError``, else the type."""
    if isinstance(exc, OpsquadError | Terminated):
        return redact(str(exc))[:MAX_REASON]
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, SystemExit):
        return f"exited with status {exc.code}"
    lines = str(exc).strip().splitlines()
    return redact(f"internal error: {type(exc).__name__}" + (f": {lines[0]}" if lines else ""))[:MAX_REASON]
