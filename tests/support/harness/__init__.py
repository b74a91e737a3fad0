"""Test/eval harness for the SRE agent: a real Kubernetes 1.20 control plane, a fake kubelet, and real
Prometheus/Alertmanager, all on 127.0.0.1 with free ports, started by code and stopped by PID.

Why real servers: the SRE agent's tools talk to the Kubernetes and Prometheus HTTP APIs; mocks would drift from
what those servers actually answer (field selectors, log subresources, PromQL). Only the kubelet is faked, because
running containers is neither possible nor needed here.
"""

from tests.support.harness.kube import ControlPlane, ensure_binaries, kube_bin_dir
from tests.support.harness.kubelet import FakeKubelet
from tests.support.harness.prom import Alertmanager, Exporter, Prometheus, WebhookReceiver

__all__ = [
    "Alertmanager",
    "ControlPlane",
    "Exporter",
    "FakeKubelet",
    "Prometheus",
    "WebhookReceiver",
    "ensure_binaries",
    "kube_bin_dir",
]
