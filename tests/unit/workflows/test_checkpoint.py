"""Checkpoints store run state masked: a secret an agent read (a log line, code around a finding) never reaches
the database, while the state's shape (models, dataclasses, numbers) survives the round trip."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from opsquad.config import load_config
from opsquad.findings import FileLocation, Finding, Severity
from tests.support.common import REPO_ROOT
from workflows.checkpoint import RedactingSerializer, masked, open_checkpointer

SECRET = "CnryState-8812xQ"


@dataclasses.dataclass(frozen=True)
class Evidence:
    line: str
    count: int


def _finding() -> Finding:
    return Finding(rule_id="r", title="t", message=f"seen password={SECRET}", severity=Severity.high,
                   location=FileLocation(path="app.py", start_line=1, end_line=1), evidence=f"token: {SECRET}")


def test_masked_reaches_models_dataclasses_and_containers() -> None:
    state = {"findings": [_finding()], "evidence": (Evidence(f"DB_PASSWORD={SECRET}", 3),), "n": 2}
    out = masked(state)
    assert SECRET not in repr(out)
    assert isinstance(out["findings"][0], Finding) and out["findings"][0].location.path == "app.py"
    assert out["evidence"][0].count == 3 and out["n"] == 2 and out["findings"][0].severity is Severity.high
    assert SECRET in repr(state)  # the live state is not changed, only what is stored


def test_the_serializer_round_trips_the_masked_state() -> None:
    serde = RedactingSerializer()
    kind, blob = serde.dumps_typed({"log": f"export API_TOKEN={SECRET}", "finding": _finding()})
    assert SECRET.encode() not in blob
    back = serde.loads_typed((kind, blob))
    assert back["log"] == "export API_TOKEN=[REDACTED:secret-assignment]"


def test_the_sqlite_checkpointer_stores_through_the_redacting_serializer(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSQUAD_STATE_DIR", str(tmp_path))
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    class State(TypedDict):
        log: str

    graph = StateGraph(State)
    graph.add_node("read", lambda s: {"log": s["log"] + " and password=" + SECRET})
    graph.add_edge(START, "read")
    graph.add_edge("read", END)
    with open_checkpointer(load_config(REPO_ROOT / "agents.yaml")) as saver:
        result = graph.compile(checkpointer=saver).invoke({"log": "started"}, {"configurable": {"thread_id": "t"}})
    assert SECRET in result["log"]  # the run itself sees the value
    with sqlite3.connect(tmp_path / "checkpoints.sqlite") as db:
        blobs = b"".join(bytes(row[0]) for row in db.execute("select checkpoint from checkpoints"))
        writes = b"".join(bytes(row[0]) for row in db.execute("select value from writes"))
    assert blobs and SECRET.encode() not in blobs + writes
