"""The SRE analyzers on hand-built API JSON: every problem they report, and the healthy cases that must not fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.sre.analyzers import ANALYZERS, AnalyzerFinding, Snapshot
from agents.sre.analyzers.collect import collect
from agents.sre.analyzers.deployments import DeploymentAnalyzer
from agents.sre.analyzers.events import EventAnalyzer
from agents.sre.analyzers.nodes import NodeAnalyzer
from agents.sre.analyzers.pods import PodAnalyzer
from agents.sre.analyzers.prometheus import PrometheusAnalyzer, PromMetrics
from agents.sre.analyzers.quotas import QuotaAnalyzer
from agents.sre.analyzers.services import ServiceAnalyzer
from agents.sre.analyzers.storage import StorageAnalyzer
from tools import kube_client as kc
from tools.base import ToolResult
from tools.kube_objects import quantity, workload_of

NOW = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
NS = "shop"


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def container_status(name: str = "app", ready: bool = True, restarts: int = 0, state: dict[str, Any] | None = None,
                     last: dict[str, Any] | None = None, image: str = "shop/checkout:1.4") -> dict[str, Any]:
    cs: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts, "image": image,
                          "state": state or {"running": {"startedAt": ts(30)}}, "lastState": {}}
    if last:
        cs["lastState"] = {"terminated": last}
    return cs


def pod(name: str = "checkout-7d9f-abcde", phase: str = "Running", statuses: list[dict[str, Any]] | None = None,
        labels: dict[str, str] | None = None, conditions: list[dict[str, Any]] | None = None,
        limits: dict[str, str] | None = None, owner: str | None = "checkout-7d9f") -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS,
                     "labels": labels or {"app": "checkout", "pod-template-hash": "7d9f"},
                     "ownerReferences": [{"kind": "ReplicaSet", "name": owner, "uid": "rs-uid"}] if owner else []},
        "spec": {"containers": [{"name": "app", "image": "shop/checkout:1.4",
                                 "resources": {"limits": limits or {"memory": "128Mi"}}}], "nodeName": "node-1"},
        "status": {"phase": phase, "conditions": conditions or [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [container_status()] if statuses is None else statuses},
    }


def event(reason: str, obj_kind: str, obj_name: str, message: str, minutes_ago: float = 1, count: int = 1,
          etype: str = "Warning", field_path: str | None = None) -> dict[str, Any]:
    inv = {"kind": obj_kind, "name": obj_name, "namespace": NS}
    if field_path:
        inv["fieldPath"] = field_path
    return {"kind": "Event", "metadata": {"name": f"{obj_name}.{reason}", "namespace": NS}, "type": etype,
            "reason": reason, "message": message, "count": count, "involvedObject": inv,
            "firstTimestamp": ts(minutes_ago + 5), "lastTimestamp": ts(minutes_ago)}


def run(analyzer: Any, **objects: list[dict[str, Any]]) -> list[AnalyzerFinding]:
    return list(analyzer.analyze(Snapshot(objects=dict(objects), now=NOW)))


def problems(findings: list[AnalyzerFinding]) -> list[str]:
    return [f.problem for f in findings]


# --- pods ---

def test_crashloop_reports_restarts_and_last_exit() -> None:
    p = pod(statuses=[container_status(ready=False, restarts=7, state={"waiting": {"reason": "CrashLoopBackOff"}},
                                       last={"reason": "Error", "exitCode": 1, "finishedAt": ts(1)})])
    [f] = run(PodAnalyzer(), pod=[p])
    assert f.problem == "CrashLoopBackOff" and f.severity == "high"
    assert "restartCount=7" in " ".join(f.evidence)
    assert "lastState.terminated.reason=Error exitCode=1" in " ".join(f.evidence)
    assert f.command == f"kubectl logs {p['metadata']['name']} -n shop -c app --previous"


def test_oomkilled_names_the_memory_limit_and_the_deployment() -> None:
    p = pod(statuses=[container_status(ready=False, restarts=4, state={"waiting": {"reason": "CrashLoopBackOff"}},
                                       last={"reason": "OOMKilled", "exitCode": 137, "finishedAt": ts(2)})],
            limits={"memory": "64Mi"})
    [f] = run(PodAnalyzer(), pod=[p])
    assert f.problem == "OOMKilled"
    assert "resources.limits.memory=64Mi" in " ".join(f.evidence)
    assert "exitCode=137" in " ".join(f.evidence)
    assert f.command.startswith("kubectl set resources deployment/checkout -n shop -c app --limits=memory=")


def test_image_pull_backoff_names_the_image() -> None:
    p = pod(statuses=[container_status(ready=False, image="shop/checkout:1.5-typo", state={"waiting": {
        "reason": "ImagePullBackOff", "message": 'Back-off pulling image "shop/checkout:1.5-typo"'}})],
        phase="Pending")
    [f] = run(PodAnalyzer(), pod=[p])
    assert f.problem == "ImagePullBackOff"
    assert "container app: image=shop/checkout:1.5-typo" in " ".join(f.evidence)
    assert f.command == "kubectl rollout undo deployment/checkout -n shop"


def test_err_image_pull_is_reported_as_image_pull() -> None:
    p = pod(statuses=[container_status(ready=False, state={"waiting": {"reason": "ErrImagePull"}})])
    assert problems(run(PodAnalyzer(), pod=[p])) == ["ImagePullBackOff"]


def test_pending_uses_the_scheduler_reason_and_event() -> None:
    msg = "0/3 nodes are available: 3 Insufficient memory."
    p = pod(name="big-0", phase="Pending", statuses=[], owner=None,
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}])
    ev = event("FailedScheduling", "Pod", "big-0", msg)
    [f] = run(PodAnalyzer(), pod=[p], event=[ev])
    assert f.problem == "Pending" and "Insufficient memory" in f.message
    assert any("FailedScheduling" in e for e in f.evidence)
    assert any("PodScheduled=False" in e for e in f.evidence)


def test_pending_pod_still_creating_containers_is_not_reported() -> None:
    p = pod(phase="Pending", statuses=[container_status(ready=False, state={"waiting": {
        "reason": "ContainerCreating"}})], conditions=[{"type": "PodScheduled", "status": "True"}])
    assert run(PodAnalyzer(), pod=[p]) == []


def test_running_but_not_ready_cites_readiness_events() -> None:
    p = pod(statuses=[container_status(ready=False)], conditions=[
        {"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": "containers with unready "
         "status: [app]"}])
    ev = event("Unhealthy", "Pod", p["metadata"]["name"], "Readiness probe failed: HTTP probe failed with "
               "statuscode: 503", count=12, field_path="spec.containers{app}")
    [f] = run(PodAnalyzer(), pod=[p], event=[ev])
    assert f.problem == "NotReady"
    assert any("Readiness probe failed" in e and "x12" in e for e in f.evidence)


def test_liveness_failures_and_high_restarts() -> None:
    p = pod(statuses=[container_status(restarts=9, last={"reason": "Error", "exitCode": 137})])
    ev = event("Unhealthy", "Pod", p["metadata"]["name"], "Liveness probe failed: Get http://10.0.0.5:8080/health: "
               "context deadline exceeded", field_path="spec.containers{app}")
    assert sorted(problems(run(PodAnalyzer(), pod=[p], event=[ev]))) == ["HighRestarts", "LivenessProbeFailing"]


def test_probe_events_of_another_container_do_not_count() -> None:
    p = pod(statuses=[container_status()])
    ev = event("Unhealthy", "Pod", p["metadata"]["name"], "Liveness probe failed: boom",
               field_path="spec.containers{sidecar}")
    assert run(PodAnalyzer(), pod=[p], event=[ev]) == []


def test_create_container_config_error_names_the_missing_key() -> None:
    msg = "couldn't find key DB_URL in ConfigMap shop/checkout-config"
    p = pod(statuses=[container_status(ready=False, state={"waiting": {"reason": "CreateContainerConfigError",
                                                                       "message": msg}})])
    [f] = run(PodAnalyzer(), pod=[p])
    assert f.problem == "CreateContainerConfigError" and "DB_URL" in f.message
    assert f.command == "kubectl get configmap checkout-config -n shop"


def test_missing_secret_reference() -> None:
    p = pod(statuses=[container_status(ready=False, state={"waiting": {
        "reason": "CreateContainerConfigError", "message": 'secret "db-creds" not found'}})])
    [f] = run(PodAnalyzer(), pod=[p])
    assert f.command == "kubectl get secret db-creds -n shop"


def test_healthy_and_terminating_pods_are_quiet() -> None:
    healthy = pod(statuses=[container_status(restarts=1)])
    dying = pod(name="old", statuses=[container_status(ready=False, state={"waiting": {"reason": "CrashLoopBackOff"}})])
    dying["metadata"]["deletionTimestamp"] = ts(0)
    done = pod(name="job-x", phase="Succeeded", statuses=[container_status(ready=False, state={
        "terminated": {"reason": "Completed", "exitCode": 0}})])
    assert run(PodAnalyzer(), pod=[healthy, dying, done]) == []


def test_workload_of_follows_replicaset_to_deployment() -> None:
    rs = {"metadata": {"name": "checkout-7d9f", "ownerReferences": [{"kind": "Deployment", "name": "checkout"}]}}
    assert workload_of(pod(), [rs]) == ("deployment", "checkout")
    assert workload_of(pod(), []) == ("deployment", "checkout")  # by the pod-template-hash suffix
    assert workload_of(pod(owner=None), []) == ("pod", "checkout-7d9f-abcde")


# --- deployments ---

def deployment(name: str = "checkout", replicas: int = 3, available: int = 3, revision: int = 2,
               conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {
        "name": name, "namespace": NS, "uid": f"{name}-uid", "generation": 2,
        "annotations": {"deployment.kubernetes.io/revision": str(revision)}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}},
        "status": {"replicas": replicas, "availableReplicas": available, "updatedReplicas": replicas,
                   "unavailableReplicas": replicas - available, "observedGeneration": 2,
                   "conditions": conditions or [{"type": "Available", "status": "True"},
                                                {"type": "Progressing", "status": "True",
                                                 "reason": "NewReplicaSetAvailable"}]}}


def replicaset(rev: int, minutes_ago: float, image: str, mem: str = "128Mi", env: list[str] | None = None,
               owner: str = "checkout") -> dict[str, Any]:
    return {"kind": "ReplicaSet", "metadata": {
        "name": f"{owner}-r{rev}", "namespace": NS, "creationTimestamp": ts(minutes_ago),
        "annotations": {"deployment.kubernetes.io/revision": str(rev)},
        "ownerReferences": [{"kind": "Deployment", "name": owner, "uid": f"{owner}-uid"}]},
        "spec": {"template": {"metadata": {"labels": {"app": owner, "pod-template-hash": f"h{rev}"}}, "spec": {
            "containers": [{"name": "app", "image": image, "resources": {"limits": {"memory": mem}},
                            "env": [{"name": n, "value": "x"} for n in env or []]}]}}}}


def test_unavailable_replicas() -> None:
    [f] = run(DeploymentAnalyzer(), deployment=[deployment(available=1)])
    assert f.problem == "UnavailableReplicas" and f.severity == "medium"
    assert "status.availableReplicas=1 of spec.replicas=3" in " ".join(f.evidence)
    [f0] = run(DeploymentAnalyzer(), deployment=[deployment(available=0)])
    assert f0.severity == "high"


def test_stuck_rollout() -> None:
    cond = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
             "message": 'ReplicaSet "checkout-r2" has timed out progressing.'}]
    found = run(DeploymentAnalyzer(), deployment=[deployment(conditions=cond)])
    assert problems(found) == ["ProgressDeadlineExceeded"]
    assert found[0].command == "kubectl rollout undo deployment/checkout -n shop"


def test_recent_rollout_carries_the_template_diff_and_is_high_when_unhealthy() -> None:
    rss = [replicaset(1, 600, "shop/checkout:1.4", env=["A"]),
           replicaset(2, 12, "shop/checkout:1.5", mem="64Mi", env=["A", "FEATURE_X"])]
    found = run(DeploymentAnalyzer(), deployment=[deployment(available=1)], replicaset=rss)
    rollout = next(f for f in found if f.problem == "RecentRollout")
    text = " ".join(rollout.evidence)
    assert "image shop/checkout:1.4 -> shop/checkout:1.5" in text
    assert "limits.memory 128Mi -> 64Mi" in text and "env FEATURE_X added" in text
    assert rollout.severity == "high"
    assert rollout.command == "kubectl rollout undo deployment/checkout -n shop --to-revision=1"


def test_old_rollout_and_healthy_deployment_are_quiet() -> None:
    rss = [replicaset(1, 6000, "a:1"), replicaset(2, 600, "a:2")]
    assert run(DeploymentAnalyzer(), deployment=[deployment()], replicaset=rss) == []
    assert run(DeploymentAnalyzer(), deployment=[deployment(revision=1)], replicaset=rss[:1]) == []


def test_recent_healthy_rollout_is_info() -> None:
    rss = [replicaset(1, 600, "a:1"), replicaset(2, 5, "a:2")]
    [f] = run(DeploymentAnalyzer(), deployment=[deployment()], replicaset=rss)
    assert f.problem == "RecentRollout" and f.severity == "info"


def test_scaled_to_zero_is_not_unavailable() -> None:
    assert run(DeploymentAnalyzer(), deployment=[deployment(replicas=0, available=0)]) == []


# --- services ---

def service(selector: dict[str, str] | None, name: str = "checkout") -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": {"type": "ClusterIP", "selector": selector, "ports": [{"port": 80}]}}


def endpoints(ready: int, not_ready: int, name: str = "checkout") -> dict[str, Any]:
    return {"kind": "Endpoints", "metadata": {"name": name, "namespace": NS}, "subsets": [{
        "addresses": [{"ip": f"10.0.0.{i}"} for i in range(ready)],
        "notReadyAddresses": [{"ip": f"10.0.1.{i}"} for i in range(not_ready)]}]}


def test_service_selector_matching_no_pods_hints_at_the_labels() -> None:
    [f] = run(ServiceAnalyzer(), service=[service({"app": "checkout-v2"})], pod=[pod()], endpoints=[])
    assert f.problem == "NoMatchingPods"
    assert "pods in shop carry instead: app=checkout" in f.evidence


def test_service_without_ready_endpoints() -> None:
    [f] = run(ServiceAnalyzer(), service=[service({"app": "checkout"})], pod=[pod()], endpoints=[endpoints(0, 2)])
    assert f.problem == "NoReadyEndpoints" and "2 notReadyAddresses" in " ".join(f.evidence)


def test_healthy_and_selectorless_services_are_quiet() -> None:
    objs = {"service": [service({"app": "checkout"}), service(None, name="external-db")], "pod": [pod()],
            "endpoints": [endpoints(1, 0)]}
    assert run(ServiceAnalyzer(), **objs) == []


# --- storage ---

def pvc(name: str, cls: str | None, phase: str = "Pending") -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": NS},
            "spec": {"storageClassName": cls, "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": phase}}


def sc(name: str, default: bool = False, mode: str = "Immediate") -> dict[str, Any]:
    ann = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {"kind": "StorageClass", "metadata": {"name": name, "annotations": ann}, "provisioner": "x",
            "volumeBindingMode": mode}


def test_pvc_pending_with_unknown_storage_class() -> None:
    [f] = run(StorageAnalyzer(), pvc=[pvc("data", "fast-ssd")], storageclass=[sc("standard", default=True)])
    assert f.problem == "StorageClassNotFound" and "standard" in " ".join(f.evidence)


def test_pvc_pending_without_class_and_no_default() -> None:
    [f] = run(StorageAnalyzer(), pvc=[pvc("data", None)], storageclass=[sc("standard")])
    assert f.problem == "NoStorageClass"


def test_pvc_pending_with_provisioning_event() -> None:
    ev = event("ProvisioningFailed", "PersistentVolumeClaim", "data", "failed to provision volume: quota")
    [f] = run(StorageAnalyzer(), pvc=[pvc("data", "standard")], storageclass=[sc("standard")], event=[ev])
    assert f.problem == "PVCPending" and any("ProvisioningFailed" in e for e in f.evidence)


def test_bound_and_wait_for_first_consumer_claims_are_quiet() -> None:
    wait = event("WaitForFirstConsumer", "PersistentVolumeClaim", "later", "waiting for first consumer",
                 etype="Normal")
    objs = {"pvc": [pvc("data", "standard", phase="Bound"), pvc("later", "local")],
            "storageclass": [sc("standard"), sc("local", mode="WaitForFirstConsumer")], "event": [wait]}
    assert run(StorageAnalyzer(), **objs) == []


# --- nodes ---

def node(name: str, ready: str = "True", pressure: str | None = None, unschedulable: bool = False) -> dict[str, Any]:
    conds = [{"type": "Ready", "status": ready, "reason": "KubeletReady" if ready == "True" else "NodeStatusUnknown",
              "message": "Kubelet stopped posting node status." if ready != "True" else ""}]
    for t in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        conds.append({"type": t, "status": "True" if t == pressure else "False", "reason": f"Kubelet{t}"})
    return {"kind": "Node", "metadata": {"name": name}, "spec": {"unschedulable": unschedulable},
            "status": {"conditions": conds}}


def test_node_problems() -> None:
    found = run(NodeAnalyzer(), node=[node("n1", ready="Unknown"), node("n2", pressure="DiskPressure"),
                                      node("n3", unschedulable=True)])
    assert sorted((f.name, f.problem) for f in found) == [
        ("n1", "NodeNotReady"), ("n2", "DiskPressure"), ("n3", "Unschedulable")]
    assert found[0].severity == "critical" and "Kubelet stopped posting" in found[0].evidence[0]
    assert next(f for f in found if f.name == "n3").command == "kubectl uncordon n3"


def test_healthy_node_is_quiet() -> None:
    assert run(NodeAnalyzer(), node=[node("n1")]) == []


# --- quotas ---

def quota(hard: dict[str, str], used: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": NS},
            "spec": {"hard": hard}, "status": {"hard": hard, "used": used}}


def test_quota_used_up_and_failed_create_events() -> None:
    q = quota({"requests.memory": "2Gi", "pods": "10"}, {"requests.memory": "2048Mi", "pods": "4"})
    ev = event("FailedCreate", "ReplicaSet", "checkout-r2", 'Error creating: pods "checkout-r2-x" is forbidden: '
               "exceeded quota: compute, requested: requests.memory=512Mi", count=6)
    found = run(QuotaAnalyzer(), resourcequota=[q], event=[ev, ev])
    assert problems(found) == ["QuotaExhausted", "QuotaExceeded"]
    assert found[0].evidence == ["resourcequota/compute: requests.memory used 2048Mi >= hard 2Gi"]
    assert found[1].kind == "replicaset" and found[1].name == "checkout-r2"


def test_quota_with_headroom_is_quiet() -> None:
    q = quota({"requests.cpu": "4", "pods": "10"}, {"requests.cpu": "3500m", "pods": "9"})
    other = event("FailedCreate", "ReplicaSet", "x", "some other error")
    assert run(QuotaAnalyzer(), resourcequota=[q], event=[other]) == []


def test_quantity_parsing() -> None:
    assert quantity("2Gi") == quantity("2048Mi") == 2 * 2**30
    assert quantity("500m") == 0.5 and quantity("1e3") == 1000 and quantity("1k") == 1000
    assert quantity("abc") is None


# --- events ---

def test_warning_events_deduplicated_in_time_order() -> None:
    evs = [event("BackOff", "Pod", "a", "Back-off restarting failed container", minutes_ago=1, count=4),
           event("BackOff", "Pod", "a", "Back-off restarting failed container", minutes_ago=3, count=2),
           event("FailedMount", "Pod", "b", "MountVolume.SetUp failed", minutes_ago=10),
           event("Scheduled", "Pod", "a", "Successfully assigned", etype="Normal")]
    found = run(EventAnalyzer(), event=evs)
    assert [(f.problem, f.name) for f in found] == [("FailedMount", "b"), ("BackOff", "a")]
    assert "x6" in found[1].message and found[1].severity == "medium" and found[0].severity == "low"


def test_no_warnings_no_findings() -> None:
    assert run(EventAnalyzer(), event=[event("Pulled", "Pod", "a", "ok", etype="Normal")]) == []


# --- prometheus ---

def fake_prom(answers: dict[str, list[tuple[dict[str, str], str]]]) -> Any:
    asked: list[str] = []

    def query(promql: str) -> ToolResult:
        asked.append(promql)
        for needle, series in answers.items():
            if needle in promql:
                return ToolResult.ok({"series": [{"metric": m, "values": [v]} for m, v in series]})
        return ToolResult.empty("query returned no series")

    query.asked = asked  # type: ignore[attr-defined]
    return query


def prom_run(query: Any, metrics: PromMetrics | None = None) -> tuple[list[AnalyzerFinding], list[str]]:
    snap = Snapshot(now=NOW, prometheus=query)
    found = (PrometheusAnalyzer(metrics) if metrics else PrometheusAnalyzer()).analyze(snap)
    return found, snap.not_checked


def test_prometheus_findings() -> None:
    q = fake_prom({
        "ALERTS": [({"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "shop"}, "1"),
                   ({"alertname": "Watchdog", "severity": "none"}, "1")],
        'code=~"5.."': [({"service": "checkout"}, "0.23"), ({"service": "cart"}, "0.001")],
        "histogram_quantile": [({"service": "checkout"}, "2.5"), ({"service": "cart"}, "0.1"),
                               ({"service": "idle"}, "NaN")],
        "predict_linear(node_filesystem": [({"instance": "n1", "mountpoint": "/var", "fstype": "ext4"}, "-1.5e9")],
        "node_filesystem_avail_bytes{": [],
        "predict_linear(node_memory": [({"instance": "n2"}, "-2e8")],
    })
    found, not_checked = prom_run(q)
    assert sorted((f.problem, f.name) for f in found) == [
        ("AlertFiring", "KubePodCrashLooping"), ("DiskWillFillUp", "n1:/var"), ("HighErrorRate", "checkout"),
        ("HighLatency", "checkout"), ("MemoryWillRunOut", "n2")]
    err = next(f for f in found if f.problem == "HighErrorRate")
    assert "23.0%" in err.message and "= 0.2300" in err.evidence[0]
    assert not_checked == []


def test_prometheus_almost_full_disk_and_custom_metric_names() -> None:
    q = fake_prom({"/ node_filesystem_size_bytes": [({"instance": "n1", "mountpoint": "/"}, "0.04")]})
    found, _ = prom_run(q, PromMetrics(requests_total="myapp_requests_total", service_label="job"))
    assert problems(found) == ["DiskAlmostFull"]
    assert any("myapp_requests_total" in a and "by (job)" in a for a in q.asked)


def test_prometheus_unreachable_is_not_checked_once() -> None:
    calls: list[str] = []

    def down(promql: str) -> ToolResult:
        calls.append(promql)
        return ToolResult.fail("Prometheus at http://127.0.0.1:1 is unreachable (ConnectError)")

    found, not_checked = prom_run(down)
    assert found == [] and len(calls) == 1
    assert not_checked == ["prometheus: Prometheus at http://127.0.0.1:1 is unreachable (ConnectError)"]


def test_prometheus_quiet_when_healthy_and_absent_without_url() -> None:
    found, not_checked = prom_run(fake_prom({'code=~"5.."': [({"service": "checkout"}, "0.0")]}))
    assert found == [] and not_checked == []
    snap = Snapshot(now=NOW)
    assert PrometheusAnalyzer().analyze(snap) == [] and snap.not_checked == ["prometheus: no Prometheus URL given"]


# --- collect ---

class FakeKube:
    """Stands in for tools.kube_client.Kube: lists from a dict, or raises the configured KubeError."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]], errors: dict[str, kc.KubeError] | None = None):
        self.objects, self.errors, self.listed = objects, errors or {}, []  # type: ignore[var-annotated]

    def list(self, kind: str, namespace: str | None = None, *_: Any, **__: Any) -> list[dict[str, Any]]:
        self.listed.append((kind, namespace))
        if kind in self.errors:
            raise self.errors[kind]
        return self.objects.get(kind, [])


def test_collect_runs_every_analyzer_and_names_what_it_could_not_read() -> None:
    crash = pod(statuses=[container_status(ready=False, restarts=7, state={"waiting": {"reason": "CrashLoopBackOff"}})])
    kube = FakeKube({"pod": [crash], "node": [node("n1")]},
                    errors={"resourcequota": kc.KubeError("forbidden: resourcequotas is forbidden", 403)})
    result = collect(kube, NS, now=NOW)  # type: ignore[arg-type]
    assert [f.problem for f in result.findings] == ["CrashLoopBackOff"]
    assert "resourcequota: forbidden: resourcequotas is forbidden" in result.not_checked
    assert "analyzer quotas: cannot read resourcequota" in result.not_checked
    assert "prometheus: no Prometheus URL given" in result.not_checked
    assert "pods" in result.checked and "quotas" not in result.checked
    assert ("node", None) in kube.listed and ("pod", NS) in kube.listed  # cluster-scoped kinds ignore the namespace


def test_collect_with_unreachable_api_reports_it_once() -> None:
    down = kc.KubeError("Kubernetes API at https://127.0.0.1:1 is unreachable (connection refused)")
    kube = FakeKube({}, errors={k: down for k in kc.RESOURCES})
    result = collect(kube, None, now=NOW)  # type: ignore[arg-type]
    assert len(kube.listed) == 1
    assert result.not_checked[0] == f"kubernetes: {down.message}"
    assert sum("unreachable" in n for n in result.not_checked) == 1
    assert result.findings == [] and result.checked == ["prometheus"]  # the only one needing no cluster


def test_analyzer_crash_is_not_checked_not_raised() -> None:
    class Broken:
        name = "broken"
        needs: tuple[str, ...] = ()
        optional: tuple[str, ...] = ()

        def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
            raise KeyError("status")

    result = collect(FakeKube({}), NS, analyzers={"broken": Broken()}, now=NOW)  # type: ignore[arg-type,dict-item]
    assert result.not_checked == ["analyzer broken: KeyError: 'status'"]


def test_registry_is_explicit_and_complete() -> None:
    assert set(ANALYZERS) == {"pods", "deployments", "services", "storage", "nodes", "quotas", "events", "prometheus"}
    for name, analyzer in ANALYZERS.items():
        assert analyzer.name == name
        assert set(analyzer.needs) | set(analyzer.optional) <= set(kc.RESOURCES)


@pytest.mark.parametrize("old,new,expected", [
    ({"containers": [{"name": "a", "image": "x:1", "command": ["run"]}]},
     {"containers": [{"name": "a", "image": "x:1", "command": ["run", "--fast"]}]},
     ['container a: command ["run"] -> ["run","--fast"]']),
    ({"containers": [{"name": "a", "env": [{"name": "K", "value": "secret1"}]}]},
     {"containers": [{"name": "a", "env": [{"name": "K", "value": "secret2"}]}]},
     ["container a: env K changed (value not shown)"]),
    ({"containers": [{"name": "a", "readinessProbe": {"httpGet": {"path": "/ready"}}}]},
     {"containers": [{"name": "a", "readinessProbe": {"httpGet": {"path": "/healthz"}}}]},
     ['container a: readinessProbe {"httpGet":{"path":"/ready"}} -> {"httpGet":{"path":"/healthz"}}']),
    ({"containers": [{"name": "a"}]}, {"containers": [{"name": "a"}]}, []),
])
def test_template_diff(old: dict[str, Any], new: dict[str, Any], expected: list[str]) -> None:
    diff = kc.template_diff({"spec": old}, {"spec": new})
    assert diff == expected
    assert "secret" not in " ".join(diff)


# --- against a real Prometheus (tests/support/harness/prom.py), when its binaries are installed ---

def _have_prometheus() -> bool:
    import shutil

    return bool(shutil.which("prometheus") and shutil.which("promtool"))


@pytest.mark.skipif(not _have_prometheus(), reason="prometheus/promtool are not installed")
def test_prometheus_analyzer_on_a_real_server(tmp_path: Any) -> None:
    """An hour of backfilled history: a filling disk, a 5xx-heavy service, a slow one, and a firing alert."""
    import time as _time

    from tests.support.harness.prom import Prometheus
    from tools.prometheus import query

    now = _time.time()
    points = [now - 3600 + i * 15 for i in range(240)]
    series: list[tuple[str, dict[str, str], list[tuple[float, float]]]] = [
        ("node_filesystem_avail_bytes", {"instance": "n1", "mountpoint": "/var", "fstype": "ext4"},
         [(t, 50e9 - (t - points[0]) * 5e6) for t in points]),  # -5 MB/s: empty in ~2.8 h
        ("node_filesystem_size_bytes", {"instance": "n1", "mountpoint": "/var", "fstype": "ext4"},
         [(t, 100e9) for t in points]),
        ("node_filesystem_avail_bytes", {"instance": "n1", "mountpoint": "/", "fstype": "ext4"},
         [(t, 80e9) for t in points]),
        ("node_filesystem_size_bytes", {"instance": "n1", "mountpoint": "/", "fstype": "ext4"},
         [(t, 100e9) for t in points]),
    ]
    for svc, bad in (("checkout", 0.3), ("cart", 0.0)):
        for code, share in (("200", 1 - bad), ("500", bad)):
            series.append(("http_requests_total", {"service": svc, "code": code},
                           [(t, (t - points[0]) * 10 * share) for t in points]))
    for le, share in (("0.5", 0.2), ("1", 0.5), ("2.5", 0.7), ("5", 1.0), ("+Inf", 1.0)):
        series.append(("http_request_duration_seconds_bucket", {"service": "checkout", "le": le},
                       [(t, (t - points[0]) * 10 * share) for t in points]))
    prom = Prometheus(tmp_path)
    prom.backfill_series(series)
    rules = ("groups:\n- name: t\n  rules:\n  - alert: CheckoutErrors\n    expr: vector(1)\n"
             "    labels: {severity: critical, namespace: shop}\n")
    prom.start([], rules_yaml=rules)
    try:
        prom.wait_for('ALERTS{alertstate="firing"}')
        snap = Snapshot(prometheus=lambda q: query(prom.url, q))
        found = {(f.problem, f.name): f for f in PrometheusAnalyzer().analyze(snap)}
    finally:
        prom.stop()
    assert snap.not_checked == []
    assert set(found) == {("AlertFiring", "CheckoutErrors"), ("HighErrorRate", "checkout"),
                          ("HighLatency", "checkout"), ("DiskWillFillUp", "n1:/var")}
    assert found[("AlertFiring", "CheckoutErrors")].severity == "critical"
    assert "30.0%" in found[("HighErrorRate", "checkout")].message
