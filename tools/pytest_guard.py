"""A pytest plugin that opsquad loads into every sandboxed test run (``-p _opsquad_guard``).

It is copied into the sandbox and imported by the test process, so it depends on nothing but pytest and
coverage. Why a plugin rather than pytest options: one process run must repeat the generated tests (a test
kept by opsquad has passed 5 runs out of 5), bound each test's time, refuse network access, and record each
test's own coverage so that a candidate is kept only when it adds lines or branches.

Settings come from the environment:
  OPSQUAD_RESULTS    JSON-lines file: one record per test phase outcome (nodeid, rep, outcome, message)
  OPSQUAD_REPEAT     how often to run each test from OPSQUAD_REPEAT_FILES (default 1)
  OPSQUAD_REPEAT_FILES  comma-separated file names whose tests are repeated (others run once)
  OPSQUAD_COVERAGE   a source directory: record the lines and arcs each test executes under it (first rep)
  OPSQUAD_TEST_TIMEOUT  seconds one test may run (SIGALRM), default 10
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
from collections.abc import Generator
from typing import Any

import pytest

_RESULTS = os.environ.get("OPSQUAD_RESULTS", "")
_REPEAT = max(1, int(os.environ.get("OPSQUAD_REPEAT", "1") or 1))
_REPEAT_FILES = {f for f in os.environ.get("OPSQUAD_REPEAT_FILES", "").split(",") if f}
_COVER = os.environ.get("OPSQUAD_COVERAGE", "")
_TIMEOUT = int(os.environ.get("OPSQUAD_TEST_TIMEOUT", "10") or 10)
_REP_ARG = "_opsquad_rep"


class NetworkBlocked(OSError):
    """Raised when a test under opsquad's sandbox tries to reach another host."""


def _is_local(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like stay on this machine
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.startswith("/")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guard_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        raise NetworkBlocked(f"network access is blocked in opsquad's test sandbox: {address!r}")
    return _real_connect(self, address)


def _guard_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        raise NetworkBlocked(f"network access is blocked in opsquad's test sandbox: {address!r}")
    return _real_connect_ex(self, address)


def _guard_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_local(host):
        raise NetworkBlocked(f"name resolution is blocked in opsquad's test sandbox: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guard_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guard_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guard_getaddrinfo


def _repeated(path: str) -> bool:
    return _REPEAT > 1 and os.path.basename(path) in _REPEAT_FILES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _repeated(str(metafunc.definition.path)):
        metafunc.fixturenames.append(_REP_ARG)
        metafunc.parametrize(_REP_ARG, range(_REPEAT), ids=[f"rep{i}" for i in range(_REPEAT)])


def _base_id(item: pytest.Item) -> tuple[str, int]:
    callspec = getattr(item, "callspec", None)
    rep = int(callspec.params.get(_REP_ARG, 0)) if callspec is not None else 0
    nodeid = item.nodeid
    if callspec is not None and _REP_ARG in callspec.params:
        nodeid = nodeid.replace(f"-rep{rep}]", "]").replace(f"[rep{rep}]", "")
    return nodeid, rep


def _write(record: dict[str, Any]) -> None:
    if _RESULTS:
        with open(_RESULTS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def _on_alarm(signum: int, frame: Any) -> None:
    raise TimeoutError(f"test exceeded {_TIMEOUT} s in opsquad's sandbox")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    nodeid, rep = _base_id(item)
    cov = None
    if _COVER and rep == 0:
        import coverage

        cov = coverage.Coverage(branch=True, source=_COVER.split(","), data_file=None, config_file=False)
        cov.start()
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if cov is not None:
            cov.stop()
            data = cov.get_data()
            lines = {f: sorted(data.lines(f) or []) for f in data.measured_files()}
            arcs = {f: sorted(data.arcs(f) or []) for f in data.measured_files()}
            _write({"kind": "coverage", "nodeid": nodeid, "lines": lines, "arcs": arcs})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.outcome != "passed":
        nodeid = report.nodeid
        rep = 0
        for i in range(_REPEAT):
            for suffix in (f"[rep{i}]", f"-rep{i}]"):
                if nodeid.endswith(suffix):
                    rep = i
                    nodeid = nodeid[: -len(suffix)] + ("]" if suffix.startswith("-") else "")
        message = ""
        if report.failed or report.skipped:
            message = str(getattr(report, "longreprtext", "") or report.longrepr or "")[-1500:]
        _write({"kind": "result", "nodeid": nodeid, "rep": rep, "when": report.when, "outcome": report.outcome,
                "message": message})


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write({"kind": "collect_error", "nodeid": report.nodeid, "outcome": "failed",
                "message": str(report.longrepr)[-1500:]})
