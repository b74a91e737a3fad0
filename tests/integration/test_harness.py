"""The SRE harness works end to end: real control plane + fake kubelet, real Prometheus + Alertmanager.

Why these tests: the SRE agent's evals trust that a Deployment really becomes a ReplicaSet and bound, Running
pods, that pod logs flow through the API server's log subresource, that failure states look like a kubelet's,
and that a PromQL rule fires into a webhook. If any of that breaks, the evals would measure the harness instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest

from tests.support.harness._proc import pid_alive, wait_until
from tests.support.harness.kube import ControlPlane
from tests.support.harness.kubelet import FakeKubelet
from tests.support.harness_fixtures import PromStack


@pytest.fixture
def api(kube_plane: ControlPlane) -> Iterator[kubernetes.client.ApiClient]:
    client = kube_plane.api_client()
    yield client
    client.close()


def _deployment(name: str, replicas: int, image: str = "registry.example/shop/checkout:1.4.2") -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                         {"name": "app", "image": image, "resources": {"limits": {"memory": "128Mi"}}}]}}}}


def _pods(api: kubernetes.client.ApiClient, namespace: str, selector: str) -> list[Any]:
    items: list[Any] = kubernetes.client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=selector).items
    return items


def test_plane_is_up_on_loopback(kube_plane: ControlPlane, api: kubernetes.client.ApiClient) -> None:
    assert kube_plane.server.startswith("https://127.0.0.1:")
    names = {ns.metadata.name for ns in kubernetes.client.CoreV1Api(api).list_namespace().items}
    assert {"default", "kube-system"} <= names
    assert kube_plane.rest("GET", "/readyz") == "ok"


def test_deployment_gets_replicaset_and_running_pods(
        kube_plane: ControlPlane, fake_kubelet: FakeKubelet, kube_namespace: str,
        api: kubernetes.client.ApiClient) -> None:
    apps = kubernetes.client.AppsV1Api(api)
    apps.create_namespaced_deployment(kube_namespace, _deployment("checkout", 2))
    pods = fake_kubelet.wait_for_pods(kube_namespace, "app=checkout", 2)

    rs = apps.list_namespaced_replica_set(kube_namespace, label_selector="app=checkout").items
    assert len(rs) == 1 and rs[0].metadata.owner_references[0].name == "checkout"
    for pod in _pods(api, kube_namespace, "app=checkout"):
        assert pod.spec.node_name == "node-1"
        assert pod.metadata.owner_references[0].name == rs[0].metadata.name
        assert pod.status.phase == "Running" and pod.status.pod_ip and pod.status.start_time
        assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
        assert pod.status.container_statuses[0].ready and pod.status.container_statuses[0].state.running
    assert len(pods) == 2
    wait_until(lambda: apps.read_namespaced_deployment(
        "checkout", kube_namespace).status.available_replicas == 2, 60, "deployment available")
    node = kubernetes.client.CoreV1Api(api).read_node("node-1")
    assert node.status.daemon_endpoints.kubelet_endpoint.port == fake_kubelet.port
    assert not node.spec.taints


def test_pod_logs_through_the_api_server(
        fake_kubelet: FakeKubelet, kube_namespace: str, api: kubernetes.client.ApiClient) -> None:
    kubernetes.client.AppsV1Api(api).create_namespaced_deployment(kube_namespace, _deployment("web", 1))
    pod = fake_kubelet.wait_for_pods(kube_namespace, "app=web", 1)[0]["metadata"]["name"]
    text = "".join(f"line {i}: GET /health 200\n" for i in range(1, 6))
    fake_kubelet.set_logs(kube_namespace, pod, "app", text)
    fake_kubelet.set_logs(kube_namespace, pod, "app", "panic: out of memory\n", previous=True)

    core = kubernetes.client.CoreV1Api(api)
    assert core.read_namespaced_pod_log(pod, kube_namespace, container="app") == text
    assert core.read_namespaced_pod_log(pod, kube_namespace, tail_lines=2) == "line 4: GET /health 200\n" \
        "line 5: GET /health 200\n"
    assert core.read_namespaced_pod_log(pod, kube_namespace, limit_bytes=6) == "line 1"
    assert core.read_namespaced_pod_log(pod, kube_namespace, previous=True) == "panic: out of memory\n"


def test_crashloop_oomkilled_is_visible(
        kube_plane: ControlPlane, fake_kubelet: FakeKubelet, kube_namespace: str,
        api: kubernetes.client.ApiClient) -> None:
    kubernetes.client.AppsV1Api(api).create_namespaced_deployment(kube_namespace, _deployment("worker", 1))
    fake_kubelet.wait_for_pods(kube_namespace, "app=worker", 1)
    fake_kubelet.set_state_for_deployment(kube_namespace, "worker", "crashloop", reason="OOMKilled", restart_count=7)
    fake_kubelet.sync()

    pod = _pods(api, kube_namespace, "app=worker")[0]
    cs = pod.status.container_statuses[0]
    assert cs.state.waiting.reason == "CrashLoopBackOff" and not cs.ready and cs.restart_count == 7
    assert cs.last_state.terminated.reason == "OOMKilled" and cs.last_state.terminated.exit_code == 137
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "False"
    events = kubernetes.client.CoreV1Api(api).list_namespaced_event(
        kube_namespace, field_selector=f"involvedObject.name={pod.metadata.name}").items
    assert any(e.reason == "BackOff" and e.type == "Warning" for e in events)


def test_imagepull_not_ready_and_force_delete(
        fake_kubelet: FakeKubelet, kube_namespace: str, api: kubernetes.client.ApiClient) -> None:
    core = kubernetes.client.CoreV1Api(api)
    for name in ("pull", "probe"):
        core.create_namespaced_pod(kube_namespace, {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": name, "labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "ghcr.io/x/y:9"}]}})
    fake_kubelet.set_pod_state(kube_namespace, "pull", "imagepull", reason="ErrImagePull")
    fake_kubelet.set_state_for(kube_namespace, "app=probe", "not_ready")
    fake_kubelet.wait_for_pods(kube_namespace, "app=probe", 1)
    fake_kubelet.sync()

    waiting = core.read_namespaced_pod("pull", kube_namespace).status.container_statuses[0].state.waiting
    assert waiting.reason == "ErrImagePull" and "ghcr.io/x/y:9" in waiting.message
    probe = core.read_namespaced_pod("probe", kube_namespace).status
    assert probe.phase == "Running" and not probe.container_statuses[0].ready
    fake_kubelet.add_event(kube_namespace, "probe", "Unhealthy", "Liveness probe failed: timeout")
    reasons = [e.reason for e in core.list_namespaced_event(kube_namespace).items]
    assert "Unhealthy" in reasons and "Failed" in reasons

    core.delete_namespaced_pod("probe", kube_namespace)  # default grace 30 s: the fake kubelet confirms at once
    wait_until(lambda: "probe" not in {p.metadata.name for p in core.list_namespaced_pod(kube_namespace).items},
               20, "terminating pod removed")


def test_kubectl_and_readonly_kubeconfig(
        kube_plane: ControlPlane, fake_kubelet: FakeKubelet, kube_namespace: str) -> None:
    if not (kube_plane.bin_dir / "kubectl").exists():
        pytest.fail("kubectl was not built; scripts/build-kube.sh should have produced it")
    kube_plane.rest("POST", f"/apis/apps/v1/namespaces/{kube_namespace}/deployments", _deployment("api", 1))
    pod = fake_kubelet.wait_for_pods(kube_namespace, "app=api", 1)[0]["metadata"]["name"]
    fake_kubelet.set_logs(kube_namespace, pod, "app", "started\nlistening on :8080\n")

    out = kube_plane.kubectl("get", "pods", "-A", "-o", "json").stdout
    assert pod in {p["metadata"]["name"] for p in json.loads(out)["items"]}
    assert kube_plane.kubectl("logs", "-n", kube_namespace, pod, "--tail=1").stdout == "listening on :8080\n"

    readonly = kube_plane.readonly_kubeconfig()
    assert pod in kube_plane.kubectl("get", "pods", "-n", kube_namespace, kubeconfig=readonly).stdout
    denied = kube_plane.kubectl("delete", "pod", "-n", kube_namespace, pod, kubeconfig=readonly, check=False)
    assert denied.returncode != 0 and "forbidden" in denied.stderr.lower()


RULES = """
groups:
- name: harness
  rules:
  - alert: CheckoutErrorsHigh
    expr: sum(rate(http_requests_total{code="500"}[5s])) > 1
    labels: {severity: page}
    annotations: {summary: checkout returns 500s}
"""


def test_prometheus_scrapes_and_alert_reaches_webhook(prom_stack: Callable[..., PromStack]) -> None:
    now = time.time()
    history = "# TYPE deploys gauge\n" + "".join(
        f'deploys{{service="checkout"}} {i} {now - 3600 + 60 * i:.0f}\n' for i in range(30)) + "# EOF\n"
    stack = prom_stack(RULES, backfill=history)
    assert stack.prometheus.ready_seconds is not None and stack.prometheus.ready_seconds < 30
    exporter, prom, webhook = stack.exporter, stack.prometheus, stack.webhook
    assert webhook is not None
    exporter.set_gauge("queue_depth", 17, {"queue": "orders"})
    exporter.observe("request_seconds", 0.3, {"route": "/pay"}, times=4)
    result = prom.wait_for('queue_depth{queue="orders"}')
    assert result[0]["value"][1] == "17" and result[0]["metric"]["job"] == "app"
    assert prom.wait_for('request_seconds_count{route="/pay"}')[0]["value"][1] == "4"
    assert len(prom.query('deploys{service="checkout"}[2h]')[0]["values"]) == 30  # backfilled history

    for _ in range(8):  # a steadily growing error counter: rate > 1/s
        exporter.inc_counter("http_requests_total", 50, {"code": "500", "service": "checkout"})
        time.sleep(0.5)
        if webhook.received:
            break
    payload = webhook.wait_for(lambda p: p.get("status") == "firing", timeout=30)
    alert = payload["alerts"][0]
    assert alert["labels"]["alertname"] == "CheckoutErrorsHigh" and alert["labels"]["severity"] == "page"
    assert alert["annotations"]["summary"] == "checkout returns 500s"

    pids = dict(stack.pids)
    prom.stop()
    assert stack.alertmanager is not None
    stack.alertmanager.stop()
    assert not [pid for pid in pids.values() if pid_alive(pid)]


def test_private_plane_stops_every_process(tmp_path: Path) -> None:
    with ControlPlane(tmp_path / "plane") as plane:
        pids = plane.pids
        assert set(pids) == {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}
        assert all(pid_alive(pid) for pid in pids.values())
        assert plane.ready_seconds is not None
    assert not [name for name, pid in pids.items() if pid_alive(pid)]
