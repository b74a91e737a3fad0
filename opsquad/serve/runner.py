"""Worker threads for runs: ``dispatch`` and ``resume`` off the event loop, with metrics and busy keys.

A local-model investigation takes seconds to minutes; running it on the ASGI event loop (or in Slack's
3-second acknowledgement window) would stall health checks and make Slack retry. So every run goes through
``Runner``: a bounded thread pool (``serve.workers``) sized for a small CPU budget. Busy keys let a caller
claim "one thing at a time" for an alert group, a Slack thread or an approval without a second lock scheme.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from opsquad.audit import AuditLog
from opsquad.errors import OpsquadError
from opsquad.request import Request
from opsquad.serve.metrics import Metrics
from workflows.dispatch import RunResult, dispatch, resume
from workflows.services import Services

log = logging.getLogger("opsquad.serve")

Progress = Callable[[str], None]
# Builds the run-scoped Services; the progress callback lets a run update its Slack message as it goes.
ServicesFactory = Callable[[Progress], Services]


def _quiet(_message: str) -> None:
    return None


class Runner:
    def __init__(self, services_factory: ServicesFactory, metrics: Metrics, workers: int) -> None:
        self._factory = services_factory
        self._metrics = metrics
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="opsquad-run")
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._audit: AuditLog | None = None

    @property
    def audit(self) -> AuditLog:
        """The audit trail the factory's services write to (for events outside a run, e.g. a refused click)."""
        if self._audit is None:
            self._audit = self._factory(_quiet).audit
        return self._audit

    # -- busy keys ---------------------------------------------------------------------------------------------
    def try_claim(self, key: str) -> bool:
        """Mark ``key`` busy; False when it already is (the caller then reports a duplicate)."""
        with self._lock:
            if key in self._busy:
                return False
            self._busy.add(key)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._busy.discard(key)

    def is_busy(self, key: str) -> bool:
        with self._lock:
            return key in self._busy

    # -- work --------------------------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn`` in a worker; an exception is logged (the caller's ``fn`` reports it to the user)."""
        def logged() -> Any:
            try:
                return fn(*args)
            except Exception:
                log.exception("background task %s failed", getattr(fn, "__name__", fn))
                raise

        return self._pool.submit(logged)

    def dispatch(self, request: Request, progress: Progress = _quiet) -> RunResult:
        """Run one request (call from a worker thread) and record its metrics."""
        services = self._factory(progress)
        return self._measured(request.workflow, request.source, request.run_id, services,
                              lambda: dispatch(request, services))

    def resume(self, run_id: str, approved: bool, by: str, progress: Progress = _quiet) -> RunResult:
        """Resume a paused run with a human's decision (call from a worker thread)."""
        services = self._factory(progress)
        run = services.audit.run(run_id)
        workflow = str(run["workflow"]) if run else "?"
        result = self._measured(workflow, "approval", run_id, services,
                                lambda: resume(run_id, approved, by, services))
        self._metrics.approvals.labels("approved" if approved else "rejected").inc()
        return result

    def _measured(self, workflow: str, source: str, run_id: str, services: Services,
                  call: Callable[[], RunResult]) -> RunResult:
        before = max((e["id"] for e in services.audit.events(run_id)), default=0)
        outcome = "error"
        started = time.perf_counter()
        self._metrics.in_flight.inc()
        try:
            result = call()
            outcome = result.report.status
            return result
        except OpsquadError:
            outcome = "failed"
            raise
        finally:
            self._metrics.in_flight.dec()
            self._metrics.run_seconds.labels(workflow).observe(time.perf_counter() - started)
            self._metrics.runs.labels(workflow, source, outcome).inc()
            self._metrics.record_events([e for e in services.audit.events(run_id) if e["id"] > before])

    def shutdown(self) -> None:
        """Drop queued work; let running investigations finish (their state is checkpointed either way)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
