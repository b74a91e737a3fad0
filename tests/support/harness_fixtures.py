"""Pytest fixtures for the SRE harness: a real Kubernetes control plane, a fake kubelet, Prometheus + Alertmanager.

Why session scope for the plane: it costs ~6-15 s and ~520 MB to start, so every test module shares one. Tests keep
out of each other's way by working in their own namespace (`kube_namespace`). The binaries are built on first use
(scripts/build-kube.sh, ~8-15 min once), never skipped, so CI really exercises the harness.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.harness._proc import pid_alive
from tests.support.harness.kube import ControlPlane, ensure_binaries
from tests.support.harness.kubelet import FakeKubelet
from tests.support.harness.prom import Alertmanager, Exporter, Prometheus, WebhookReceiver

_ns_counter = itertools.count(1)


@pytest.fixture(scope="session")
def kube_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd + kube-apiserver + controller-manager + scheduler on 127.0.0.1; stopped (and checked gone) at the end."""
    ensure_binaries()
    plane = ControlPlane(tmp_path_factory.mktemp("kube-plane"))
    plane.start(timeout=180)  # generous: CI machines are shared and the API server needs ~4-10 s
    yield plane
    pids = plane.pids
    plane.stop()
    alive = {name: pid for name, pid in pids.items() if pid_alive(pid)}
    assert not alive, f"control plane processes survived stop(): {alive}"


@pytest.fixture(scope="session")
def fake_kubelet(kube_plane: ControlPlane) -> Iterator[FakeKubelet]:
    """The Node "node-1" and its pod-status loop. States are keyed by namespace, so use `kube_namespace`."""
    kubelet = FakeKubelet(kube_plane)
    kubelet.start()
    yield kubelet
    kubelet.stop()


@pytest.fixture
def kube_namespace(kube_plane: ControlPlane, request: pytest.FixtureRequest) -> str:
    """A fresh namespace (with its default ServiceAccount token ready) named after the test."""
    base = "".join(ch if ch.isalnum() else "-" for ch in request.node.name.lower())[:40].strip("-")
    name = f"{base}-{next(_ns_counter)}"
    kube_plane.create_namespace(name)
    return name


@dataclass
class PromStack:
    """One started Prometheus (+ Alertmanager + webhook sink when alerting) scraping `exporter`."""

    exporter: Exporter
    prometheus: Prometheus
    alertmanager: Alertmanager | None = None
    webhook: WebhookReceiver | None = None
    pids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def prom_stack(tmp_path: Path) -> Iterator[Callable[..., PromStack]]:
    """Factory: prom_stack(rules_yaml=None, alerting=True, backfill=None) starts Exporter, WebhookReceiver,
    Alertmanager and Prometheus on loopback; everything is stopped (and checked gone) after the test."""
    stacks: list[PromStack] = []

    def start(rules_yaml: str | None = None, alerting: bool = True, backfill: str | None = None) -> PromStack:
        workdir = tmp_path / f"prom-{len(stacks)}"
        stack = PromStack(exporter=Exporter().start(), prometheus=Prometheus(workdir / "prometheus"))
        stacks.append(stack)
        if alerting:
            stack.webhook = WebhookReceiver().start()
            stack.alertmanager = Alertmanager(workdir / "alertmanager")
            stack.alertmanager.start(stack.webhook.url)
            stack.pids["alertmanager"] = stack.alertmanager.pid or 0
        if backfill:
            stack.prometheus.backfill(backfill)
        stack.prometheus.start([stack.exporter.url], rules_yaml,
                               stack.alertmanager.url if stack.alertmanager else None)
        stack.pids["prometheus"] = stack.prometheus.pid or 0
        return stack

    yield start
    for stack in stacks:
        stack.prometheus.stop()
        if stack.alertmanager:
            stack.alertmanager.stop()
        if stack.webhook:
            stack.webhook.stop()
        stack.exporter.stop()
        alive = {name: pid for name, pid in stack.pids.items() if pid and pid_alive(pid)}
        assert not alive, f"Prometheus/Alertmanager survived stop(): {alive}"
