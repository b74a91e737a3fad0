"""Cache of triage verdicts keyed by (model, rule, normalized code), so re-runs on unchanged code are free.

The key ignores line numbers and whitespace: a finding that only moved keeps its verdict, while any change
to the code around it asks the model again.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

from opsquad.findings import Triage

_SCHEMA = """CREATE TABLE IF NOT EXISTS verdicts (
  key TEXT PRIMARY KEY, verdict TEXT NOT NULL, confidence REAL NOT NULL, reason TEXT NOT NULL, created REAL NOT NULL
)"""


def cache_key(model: str, rule_id: str, code: str) -> str:
    return hashlib.sha256(f"{model}\0{rule_id}\0{code}".encode()).hexdigest()


class TriageCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.execute(_SCHEMA)
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: str) -> Triage | None:
        with self._lock:
            row = self._conn.execute("SELECT verdict, confidence, reason FROM verdicts WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        self.hits += 1
        return Triage(verdict=row[0], confidence=row[1], reason=row[2])

    def put(self, key: str, triage: Triage) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?)",
                               (key, triage.verdict, triage.confidence, triage.reason, time.time()))
            self._conn.commit()

    def close(self) -> None:
        self._conn.close()
