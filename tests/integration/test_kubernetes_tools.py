"""The kubernetes read/write tools: grants, bounded output and one-line errors without a cluster, then the real
thing against the Kubernetes 1.20 control plane harness (tests/support/harness) when it is available."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsquad.config import AgentConfig, OpsquadConfig, ToolGrant
from opsquad.policy import check
from tools import kube_client as kc
from tools.base import ToolContext, ToolResult, ToolStatus
from tools.kubernetes import KubernetesParams, KubernetesTool, split_logs, summarize
from tools.kubernetes_write import KubernetesWriteParams, KubernetesWriteTool, clean, healthy, unified_diff
from tools.registry import TOOLS, tool_class

try:  # session fixtures of the real control plane + fake kubelet (skipped where the harness cannot run)
    from tests.support.harness_fixtures import fake_kubelet, kube_plane  # noqa: F401
    HARNESS = True
except ImportError:
    HARNESS = False

READ_ALL = ToolGrant(verbs=["get", "list", "describe", "events", "logs"], namespaces=["*"])
WRITE_ALL = ToolGrant(verbs=["rollback", "scale", "patch", "restart", "delete"], namespaces=["*"], approval="required")


def closed_port_kubeconfig(tmp_path: Path) -> Path:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    path = tmp_path / "dead.kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                  "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}]}))
    return path


def ctx(config: OpsquadConfig, grant: ToolGrant = READ_ALL, **extra: Any) -> ToolContext:
    return ToolContext(config=config, grant=grant, extra={k: str(v) if isinstance(v, Path) else v
                                                         for k, v in extra.items()})


def read(config: OpsquadConfig, grant: ToolGrant = READ_ALL, extra: dict[str, Any] | None = None,
         **params: Any) -> ToolResult:
    return KubernetesTool().run(KubernetesParams(**params), ctx(config, grant, **(extra or {})))


# --- without a cluster ---

def test_registered_with_strict_schemas() -> None:
    assert tool_class("kubernetes") is KubernetesTool and tool_class("kubernetes_write") is KubernetesWriteTool
    assert set(TOOLS) >= {"git", "read_file", "semgrep", "prometheus"} and tool_class("nope") is None
    assert all(tool_class(name) is not None for name, entry in TOOLS.items() if entry is not None)
    assert tool_class("pytest") is None  # granted, audited, but never offered to the model
    assert KubernetesTool.writes is False and KubernetesWriteTool.writes is True
    for tool in (KubernetesTool, KubernetesWriteTool):
        schema = tool.Params.model_json_schema()
        assert schema["additionalProperties"] is False
        assert all(p.get("description") for k, p in schema["properties"].items() if k not in ("kind",))
    with pytest.raises(ValueError):
        KubernetesParams(action="get", kind="pod", name="x", verb="delete")  # type: ignore[call-arg]


def test_read_grant_verbs_and_namespaces(config: OpsquadConfig) -> None:
    only_list = ToolGrant(verbs=["list"], namespaces=["shop"])
    r = read(config, only_list, action="logs", kind="pod", name="x", namespace="shop")
    assert r.status == ToolStatus.denied and "verb 'logs' is not granted" in (r.error or "")
    r = read(config, only_list, action="list", kind="pod", namespace="kube-system")
    assert r.status == ToolStatus.denied and "namespace 'kube-system'" in (r.error or "")
    r = read(config, only_list, action="list", kind="pod")
    assert r.status == ToolStatus.denied and "all namespaces" in (r.error or "")


def test_write_verbs_go_through_policy_and_the_tool() -> None:
    agent = AgentConfig(role="sre", model="coder", tools={"kubernetes_write": ToolGrant(
        verbs=["rollback"], namespaces=["shop"], approval="required")})
    rollback = KubernetesWriteParams(action="rollback", name="checkout", namespace="shop")
    scale = KubernetesWriteParams(action="scale", name="checkout", namespace="shop", replicas=3)
    assert check(agent, "kubernetes_write", True, rollback).outcome == "approval_required"
    assert check(agent, "kubernetes_write", True, scale).outcome == "deny"
    elsewhere = KubernetesWriteParams(action="rollback", name="checkout", namespace="prod")
    assert check(agent, "kubernetes_write", True, elsewhere).outcome == "deny"


def test_write_tool_denies_ungranted_verb(config: OpsquadConfig) -> None:
    r = KubernetesWriteTool().run(KubernetesWriteParams(action="delete_pod", name="p", namespace="shop"),
                                  ctx(config, ToolGrant(verbs=["scale"], approval="required")))
    assert r.status == ToolStatus.denied and "verb 'delete'" in (r.error or "")


def test_unreachable_api_server_is_one_line_not_an_exception(config: OpsquadConfig, tmp_path: Path) -> None:
    dead = closed_port_kubeconfig(tmp_path)
    started = time.monotonic()
    r = read(config, extra={"kubeconfig": dead}, action="list", kind="pod", namespace="shop")
    assert r.status == ToolStatus.error and "unreachable (connection refused)" in (r.error or "")
    assert "\n" not in (r.error or "")
    w = KubernetesWriteTool().run(KubernetesWriteParams(action="restart", name="x", namespace="shop"),
                                  ctx(config, WRITE_ALL, kubeconfig=dead, dry_run=True))
    assert w.status == ToolStatus.error and "unreachable" in (w.error or "")
    assert time.monotonic() - started < 20


def test_missing_kubeconfig_file(config: OpsquadConfig, tmp_path: Path) -> None:
    r = read(config, extra={"kubeconfig": tmp_path / "nope"}, action="list", kind="node")
    assert r.status == ToolStatus.error and r.error == f"kubeconfig {tmp_path / 'nope'} does not exist"


def test_kubeconfig_resolution_order(config: OpsquadConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/env/kc")
    assert kc.resolve_kubeconfig(ctx(config)) == ("/env/kc", None)
    config.tools.kubernetes.kubeconfig = "/cfg/kc"
    config.tools.kubernetes.context = "cfg-ctx"
    assert kc.resolve_kubeconfig(ctx(config)) == ("/cfg/kc", "cfg-ctx")
    assert kc.resolve_kubeconfig(ctx(config, kubeconfig="/req/kc", context="c")) == ("/req/kc", "c")


def test_logs_show_error_lines_first_within_budget() -> None:
    lines = [f"{i} INFO request ok path=/cart" for i in range(1000)]
    lines[100] = "100 ERROR connection refused to db:5432"
    lines[700] = "700 Traceback (most recent call last):"
    out = split_logs("\n".join(lines), tail=200, budget=3000)
    assert out["error_lines"] == ["101: 100 ERROR connection refused to db:5432",
                                  "701: 700 Traceback (most recent call last):"]
    assert out["error_line_count"] == 2 and out["lines"] == 1000
    assert out["tail"][-1] == "999 INFO request ok path=/cart"
    assert len(json.dumps(out)) < 3400 and "cut to budget" in out["note"]


def test_configmaps_show_keys_and_secrets_nothing() -> None:
    cm = {"metadata": {"name": "app", "namespace": "shop", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"DB_PASSWORD":"hunter2"}}'}},
        "data": {"DB_PASSWORD": "hunter2", "MODE": "fast"}}
    secret = {"metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}, "type": "Opaque"}
    for detail in (False, True):
        text = json.dumps([summarize("configmap", cm, detail), summarize("secret", secret, detail)])
        assert "hunter2" not in text and "aHVudGVyMg" not in text
    assert summarize("configmap", cm)["keys"] == ["DB_PASSWORD", "MODE"]


def test_write_diff_masks_env_values_but_shows_changes() -> None:
    before = {"kind": "Deployment", "metadata": {"name": "d", "managedFields": [{"x": 1}], "resourceVersion": "9"},
              "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:1",
                                                             "env": [{"name": "TOKEN", "value": "s3cr3t-1"}]}]}}},
              "status": {"replicas": 1}}
    after = json.loads(json.dumps(before))
    after["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "s3cr3t-2"
    diff = unified_diff(before, after, "deployment/shop/d")
    assert "s3cr3t" not in diff and "-          value: '*** sha256:" in diff
    assert "managedFields" not in json.dumps(clean(before)) and "status" not in clean(before)


@pytest.mark.parametrize("status,expected", [
    ({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}, False),
    ({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}, False),
    ({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}, False),
    ({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}, True),
])
def test_rollout_complete_predicate(status: dict[str, Any], expected: bool) -> None:
    dep = {"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": status}
    assert healthy("deployment", dep)[0] is expected


def test_kube_errors_become_one_line() -> None:
    from kubernetes.client.exceptions import ApiException

    err = kc.describe_error(ApiException(status=403, reason="Forbidden", body=json.dumps({
        "kind": "Status", "message": 'secrets is forbidden: User "v" cannot list resource "secrets"\nin "shop"'})))
    assert err.status == 403 and err.denied
    assert err.message == 'forbidden: secrets is forbidden: User "v" cannot list resource "secrets" in "shop"'


# --- against the real control plane (tests/support/harness) ---

needs_cluster = pytest.mark.skipif(not HARNESS, reason="tests/harness_fixtures.py (the Kubernetes harness) is absent")
IMAGE_1, IMAGE_2 = "registry.local/shop/checkout:1.0", "registry.local/shop/checkout:1.1"


def _deployment(name: str, image: str, replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                         "name": "app", "image": image, "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                         "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m"}},
                         "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}]}}}}


def _wait(check: Any, timeout: float = 60, what: str = "condition") -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def shop(kube_plane: Any, fake_kubelet: Any) -> Iterator[dict[str, Any]]:
    """A namespace with a 2-replica checkout deployment (running), a service, a configmap and a secret."""
    ns = f"shop-{uuid.uuid4().hex[:6]}"
    kube_plane.create_namespace(ns)
    base = f"/api/v1/namespaces/{ns}"
    kube_plane.apply(f"/apis/apps/v1/namespaces/{ns}/deployments", _deployment("checkout", IMAGE_1))
    kube_plane.apply(f"{base}/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "checkout"},
                                          "spec": {"selector": {"app": "checkout"}, "ports": [{"port": 80}]}})
    kube_plane.apply(f"{base}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                                            "data": {"DB_PASSWORD": "hunter2", "MODE": "fast"}})
    kube_plane.apply(f"{base}/secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                                         "stringData": {"password": "hunter2"}})
    pods = fake_kubelet.wait_for_pods(ns, "app=checkout", 2)
    yield {"ns": ns, "pods": [p["metadata"]["name"] for p in pods], "plane": kube_plane, "kubelet": fake_kubelet}


def kctx(config: OpsquadConfig, shop: dict[str, Any], grant: ToolGrant = READ_ALL, **extra: Any) -> ToolContext:
    return ctx(config, grant, kubeconfig=shop["plane"].kubeconfig, **extra)


def kread(config: OpsquadConfig, shop: dict[str, Any], grant: ToolGrant = READ_ALL, **params: Any) -> ToolResult:
    params.setdefault("namespace", shop["ns"])
    return KubernetesTool().run(KubernetesParams(**params), kctx(config, shop, grant))


def kwrite(config: OpsquadConfig, shop: dict[str, Any], **params: Any) -> Any:
    extra = {k: params.pop(k) for k in ("dry_run", "approved_by") if k in params}
    params.setdefault("namespace", shop["ns"])
    return KubernetesWriteTool().run(KubernetesWriteParams(**params), kctx(config, shop, WRITE_ALL, **extra))


def _image(shop: dict[str, Any]) -> str:
    dep = shop["plane"].rest("GET", f"/apis/apps/v1/namespaces/{shop['ns']}/deployments/checkout")
    return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])


@needs_cluster
def test_list_get_describe(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    r = kread(config, shop, action="list", kind="pod", label_selector="app=checkout")
    assert r.status == ToolStatus.ok and r.data["total"] == 2
    assert {row["status"] for row in r.data["items"]} == {"Running"}
    dep = kread(config, shop, action="get", kind="deployment", name="checkout")
    assert dep.status == ToolStatus.ok and dep.data["object"]["images"] == [IMAGE_1]
    pod = shop["pods"][0]
    shop["kubelet"].add_event(shop["ns"], pod, "Unhealthy", "Readiness probe failed: 503",
                              field_path="spec.containers{app}")
    d = kread(config, shop, action="describe", kind="pod", name=pod)
    assert d.status == ToolStatus.ok and d.data["object"]["containers"][0]["state"] == "running"
    assert any(e["reason"] == "Unhealthy" for e in d.data["events"])
    missing = kread(config, shop, action="get", kind="deployment", name="nope")
    assert missing.status == ToolStatus.no_data


@needs_cluster
def test_configmap_and_secret_values_never_leave(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    cm = kread(config, shop, action="get", kind="configmap", name="cfg")
    assert cm.data["object"]["keys"] == ["DB_PASSWORD", "MODE"]
    for r in (cm, kread(config, shop, action="get", kind="secret", name="db"),
              kread(config, shop, action="list", kind="secret"),
              kread(config, shop, action="describe", kind="deployment", name="checkout")):
        assert r.status == ToolStatus.ok and "hunter2" not in json.dumps(r.data) and "aHVudGVyMg" not in json.dumps(
            r.data)


@needs_cluster
def test_events_in_time_order(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    kubelet, ns = shop["kubelet"], shop["ns"]
    kubelet.add_event(ns, "checkout", "Second", "b", kind="Deployment", last_timestamp="2030-01-01T00:00:02Z")
    kubelet.add_event(ns, "checkout", "First", "a", kind="Deployment", last_timestamp="2030-01-01T00:00:01Z")
    r = kread(config, shop, action="events", name="checkout")
    reasons = [e["reason"] for e in r.data["events"]]
    assert reasons[-2:] == ["First", "Second"]


@needs_cluster
def test_logs_tail_and_error_first(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    pod = shop["pods"][1]
    text = "\n".join(["boot: ERROR cannot reach db: connection refused"]
                     + [f"{i} INFO served /cart in 3ms" for i in range(400)])
    for name in shop["pods"]:
        shop["kubelet"].set_logs(shop["ns"], name, "app", text)
    r = kread(config, shop, action="logs", kind="pod", name=pod, tail=50)
    assert r.status == ToolStatus.ok, r.error
    assert r.data["container"] == "app"
    assert r.data["lines"] == 50 and r.data["tail"][-1] == "399 INFO served /cart in 3ms"
    full = kread(config, shop, action="logs", kind="deployment", name="checkout", tail=1000)
    assert full.status == ToolStatus.ok and full.data["pod"] in shop["pods"]
    assert full.data["error_lines"] == ["1: boot: ERROR cannot reach db: connection refused"]
    assert full.data["lines"] == 401 and "cut to budget" in full.data["note"]
    prev = kread(config, shop, action="logs", kind="pod", name=pod, previous=True)
    assert prev.status == ToolStatus.error and "previous terminated container" in (prev.error or "")


@needs_cluster
def test_denied_namespace_and_readonly_user(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    r = kread(config, shop, ToolGrant(verbs=["list"], namespaces=["other"]), action="list", kind="pod")
    assert r.status == ToolStatus.denied
    viewer = shop["plane"].readonly_kubeconfig()
    view = ctx(config, READ_ALL, kubeconfig=viewer)
    ok = KubernetesTool().run(KubernetesParams(action="list", kind="pod", namespace=shop["ns"]), view)
    assert ok.status == ToolStatus.ok
    secrets = KubernetesTool().run(KubernetesParams(action="list", kind="secret", namespace=shop["ns"]), view)
    assert secrets.status == ToolStatus.error and (secrets.error or "").startswith("forbidden:")
    w = KubernetesWriteTool().run(KubernetesWriteParams(action="scale", name="checkout", namespace=shop["ns"],
                                                        replicas=5), ctx(config, WRITE_ALL, kubeconfig=viewer,
                                                                         dry_run=True))
    assert w.status == ToolStatus.error and "forbidden" in (w.error or "")


@needs_cluster
def test_cronjob_on_a_1_20_server_is_served_as_v1beta1(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    shop["plane"].apply(f"/apis/batch/v1beta1/namespaces/{shop['ns']}/cronjobs", {
        "apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}})
    r = kread(config, shop, action="list", kind="cronjob")
    assert r.status == ToolStatus.ok and r.data["items"][0]["schedule"] == "0 3 * * *"
    assert kread(config, shop, action="list", kind="hpa").status == ToolStatus.no_data


@needs_cluster
def test_rollout_history_dry_run_rollback_and_apply(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    ns, plane = shop["ns"], shop["plane"]
    plane.rest("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/checkout",
               {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": IMAGE_2}]}}}},
               content_type="application/strategic-merge-patch+json")
    shop["kubelet"].wait_for_pods(ns, "app=checkout", 2)
    hist = _wait(lambda: (h := kread(config, shop, action="rollout_history", kind="deployment", name="checkout"))
                 .data and h.data.get("current_revision") == 2 and h, what="revision 2")
    assert f"container app: image {IMAGE_1} -> {IMAGE_2}" in hist.data["template_diff"]
    assert [r["revision"] for r in hist.data["revisions"]] == [2, 1]

    dry = kwrite(config, shop, action="rollback", name="checkout", dry_run=True)
    assert dry.status == ToolStatus.ok and dry.data["kubectl"] == f"kubectl rollout undo deployment/checkout -n {ns} " \
        "--to-revision=1"
    assert f"-        image: {IMAGE_2}" in dry.data["diff"] and f"+        image: {IMAGE_1}" in dry.data["diff"]
    assert "hunter2" not in dry.data["diff"]
    assert _image(shop) == IMAGE_2  # a dry run changes nothing
    unapproved = kwrite(config, shop, action="rollback", name="checkout")
    assert unapproved.status == ToolStatus.approval_required and _image(shop) == IMAGE_2

    done = kwrite(config, shop, action="rollback", name="checkout", approved_by="alice", verify_timeout_s=60)
    assert done.status == ToolStatus.ok, done.error
    assert done.data["healthy"] and done.data["applied"] and _image(shop) == IMAGE_1


@needs_cluster
def test_other_write_actions_dry_run(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    scale = kwrite(config, shop, action="scale", name="checkout", replicas=3, dry_run=True)
    assert "-  replicas: 2" in scale.data["diff"] and "+  replicas: 3" in scale.data["diff"]
    res = kwrite(config, shop, action="set_resources", name="checkout", limits={"memory": "256Mi"}, dry_run=True)
    assert "+            memory: 256Mi" in res.data["diff"] and "--limits=memory=256Mi" in res.data["kubectl"]
    restart = kwrite(config, shop, action="restart", name="checkout", dry_run=True)
    assert "kubectl.kubernetes.io/restartedAt" in restart.data["diff"]
    bad = kwrite(config, shop, action="set_resources", name="checkout", container="nope", limits={"cpu": "1"},
                 dry_run=True)
    assert bad.status == ToolStatus.error and "container 'nope'" in (bad.error or "")
    invalid = kwrite(config, shop, action="set_resources", name="checkout", limits={"memory": "lots"}, dry_run=True)
    assert invalid.status == ToolStatus.error and "dry run refused" in (invalid.error or "")
    dep = shop["plane"].rest("GET", f"/apis/apps/v1/namespaces/{shop['ns']}/deployments/checkout")
    assert dep["spec"]["replicas"] == 2


@needs_cluster
def test_delete_pod_is_replaced(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    pods = shop["kubelet"].wait_for_pods(shop["ns"], "app=checkout", 2)
    victim = pods[0]["metadata"]["name"]
    dry = kwrite(config, shop, action="delete_pod", name=victim, dry_run=True)
    assert dry.status == ToolStatus.ok and dry.data["kubectl"] == f"kubectl delete pod {victim} -n {shop['ns']}"
    done = kwrite(config, shop, action="delete_pod", name=victim, approved_by="bob", verify_timeout_s=30)
    assert done.status == ToolStatus.ok and done.data["progress"] in ("deleted", "replaced")


@needs_cluster
def test_unhealthy_after_apply_is_reported(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    kubelet, ns = shop["kubelet"], shop["ns"]
    kubelet.set_state_for_deployment(ns, "checkout", "crashloop", restart_count=4, reason="OOMKilled")
    try:
        r = kwrite(config, shop, action="restart", name="checkout", approved_by="carol", verify_timeout_s=5)
        assert r.status == ToolStatus.error and "not healthy after" in (r.error or "") and r.data["applied"]
        from agents.sre.analyzers.collect import collect

        with kc.connect(str(shop["plane"].kubeconfig)) as kube:
            result = collect(kube, ns)
        oom = [f for f in result.findings if f.problem == "OOMKilled"]
        assert oom and "resources.limits.memory=128Mi" in " ".join(oom[0].evidence)
        assert "pods" in result.checked and "deployments" in result.checked
    finally:
        kubelet.set_state_for_deployment(ns, "checkout", "running")  # not clear_states(): the kubelet is shared
        kubelet.wait_for_pods(ns, "app=checkout", 2)


@needs_cluster
def test_approval_path_runs_the_write_after_approval(config: OpsquadConfig, shop: dict[str, Any]) -> None:
    """AgentRun.call_tool queues the write with its dry run; the graph's apply step runs it after approval."""
    from opsquad.answers import ProposedAction
    from opsquad.model.protocol import FakeModel
    from tests.support.common import make_services
    from workflows.graph import _apply_one

    ns = shop["ns"]
    config.tools.kubernetes.kubeconfig = str(shop["plane"].kubeconfig)  # the apply step has no request options
    config.agents["sre"].tools["kubernetes_write"] = ToolGrant(verbs=["scale"], namespaces=[ns], approval="required")
    params = KubernetesWriteParams(action="scale", name="checkout", namespace=ns, replicas=3, verify_timeout_s=60)
    dry = KubernetesWriteTool().run(params, kctx(config, shop, WRITE_ALL, dry_run=True))
    action = ProposedAction(id="sre-1", agent="sre", tool="kubernetes_write", params=params.model_dump(mode="json"),
                            description="scale", dry_run=json.dumps(dry.data))
    assert "+  replicas: 3" in action.dry_run
    result = _apply_one(make_services(config, FakeModel([])), action, "dave")
    assert result.status == ToolStatus.ok, result.error
    assert result.data["approved_by"] == "dave"
    shop["kubelet"].wait_for_pods(ns, "app=checkout", 3)


@needs_cluster
def test_collect_finds_a_broken_namespace(kube_plane: Any, fake_kubelet: Any) -> None:
    """Image pull failure, quota, services without pods/endpoints and a claim on a missing storage class, all
    produced by the real controllers and found by the analyzers with their evidence."""
    from agents.sre.analyzers.collect import collect

    ns = f"broken-{uuid.uuid4().hex[:6]}"
    kube_plane.create_namespace(ns)
    fake_kubelet.set_state_for(ns, "app=web", "imagepull", image="registry.local/web:typo")
    base = f"/api/v1/namespaces/{ns}"
    kube_plane.apply(f"{base}/resourcequotas", {"apiVersion": "v1", "kind": "ResourceQuota",
                                                "metadata": {"name": "pods"}, "spec": {"hard": {"pods": "1"}}})
    _wait(lambda: kube_plane.rest("GET", f"{base}/resourcequotas/pods").get("status", {}).get("hard"),
          what="quota status")
    kube_plane.apply(f"/apis/apps/v1/namespaces/{ns}/deployments", _deployment("web", "registry.local/web:typo"))
    for name, app in (("web", "web"), ("ghost", "ghost")):
        kube_plane.apply(f"{base}/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                                              "spec": {"selector": {"app": app}, "ports": [{"port": 80}]}})
    kube_plane.apply(f"{base}/persistentvolumeclaims", {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
        "spec": {"storageClassName": "fast-ssd", "accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}}})
    wanted = {("pod", "ImagePullBackOff"), ("deployment", "UnavailableReplicas"), ("service", "NoReadyEndpoints"),
              ("service", "NoMatchingPods"), ("pvc", "StorageClassNotFound"), ("resourcequota", "QuotaExhausted"),
              ("replicaset", "QuotaExceeded")}

    def found() -> Any:
        with kc.connect(str(kube_plane.kubeconfig)) as kube:
            result = collect(kube, ns)
        return result if wanted <= {(f.kind, f.problem) for f in result.findings} else None

    result = _wait(found, 90, "the broken namespace's findings")
    pull = next(f for f in result.findings if f.problem == "ImagePullBackOff")
    assert "image=registry.local/web:typo" in " ".join(pull.evidence)
    ghost = next(f for f in result.findings if f.problem == "NoMatchingPods")
    assert ghost.name == "ghost" and "app=ghost" in ghost.message
    assert result.not_checked == ["prometheus: no Prometheus URL given"]
