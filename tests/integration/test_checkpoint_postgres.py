"""The Postgres checkpointer (for several replicas): a run paused on one 'replica' resumes on another.

Starts a throwaway PostgreSQL cluster from Debian's server binaries on a loopback port, as the postgres
user (initdb refuses root), and stops it by PID.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsquad.model.protocol import FakeModel
from opsquad.request import Request
from tests.support.common import make_services
from tests.unit.workflows.test_graph import _final, sre_config  # noqa: F401 - fixture reused
from workflows.dispatch import dispatch, resume


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def postgres_dsn() -> Iterator[str]:
    pg = _pg_bin()
    if pg is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing: .ci/run should install postgresql")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="opsquad-pg-"))  # under /tmp: pytest's own tmp is root-only
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(_as_postgres([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(_as_postgres([str(pg / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                                          "-k", str(sock), "-F"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    import psycopg

    while True:
        try:
            psycopg.connect(dsn, connect_timeout=1).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)
    yield dsn
    postmaster = int((data / "postmaster.pid").read_text().split()[0])  # runuser does not forward signals
    os.kill(postmaster, signal.SIGINT)  # fast shutdown
    proc.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


def test_paused_run_resumes_from_postgres_on_another_replica(sre_config, postgres_dsn: str,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSQUAD_POSTGRES_URL", postgres_dsn)
    sre_config.storage.checkpointer = "postgres"
    first = FakeModel(script=[
        {"action": "fake_scale", "args": {"verb": "scale", "namespace": "shop", "name": "checkout", "replicas": 3}},
        _final(),
    ])
    paused = dispatch(Request(workflow="oncall", question="why slow?"), make_services(sre_config, first))
    assert paused.awaiting_approval
    # a second replica: new services, new model, nothing in memory shared with the first
    second = FakeModel()
    done = resume(paused.run_id, approved=True, by="carol", services=make_services(sre_config, second))
    assert done.report.answer is not None and done.report.answer.approved_by == "carol"
    assert done.report.answer.applied[0].ok is True
    assert second.requests == []  # nothing was re-asked: the state came from Postgres
