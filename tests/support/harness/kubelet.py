"""The test-side stand-in for a kubelet: it owns one Node and makes pods bound to it look the way a scenario needs.

Why: there is no container runtime here, yet the SRE agent must see realistic pod status (Running, CrashLoopBackOff
after an OOMKill, ImagePullBackOff, failing readiness), container logs through the API server's log subresource,
and kubelet-style Events. The real API server, controller-manager and scheduler still do everything else, so a
Deployment created through the API really gets a ReplicaSet, pods, a binding and endpoints.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid
from typing import Any

from tests.support.harness._proc import wait_until
from tests.support.harness.kube import ControlPlane, KubeHTTPError
from tests.support.harness.podstatus import STATES, now_rfc3339, pod_status
from tests.support.loopback import LoopbackServer, QuietHandler

_State = tuple[str, dict[str, Any]]
_Logs = dict[tuple[str, str, str, bool], str]  # (namespace, pod, container, previous) -> text


def _tail(text: str, tail_lines: int | None, limit_bytes: int | None) -> bytes:
    """Apply the kubelet's tailLines then limitBytes semantics to a stored log."""
    if tail_lines is not None:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-tail_lines:]) if tail_lines > 0 else ""
    data = text.encode()
    return data[:limit_bytes] if limit_bytes is not None else data


def _log_handler(logs: _Logs) -> type[QuietHandler]:
    class LogHandler(QuietHandler):
        """Serves GET /containerLogs/{namespace}/{pod}/{container} the way the API server expects from a kubelet."""

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            url = urllib.parse.urlsplit(self.path)
            parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
            if len(parts) != 4 or parts[0] != "containerLogs":
                self.send_error(404, "only /containerLogs/{namespace}/{pod}/{container} is served")
                return
            query = urllib.parse.parse_qs(url.query)
            previous = query.get("previous", ["false"])[0] == "true"
            text = logs.get((parts[1], parts[2], parts[3], previous))
            if text is None and previous:
                self.send_error(400, f'previous terminated container "{parts[3]}" in pod "{parts[2]}" not found')
                return
            tail = int(query["tailLines"][0]) if "tailLines" in query else None
            limit = int(query["limitBytes"][0]) if "limitBytes" in query else None
            self.send_body(200, _tail(text or "", tail, limit), "text/plain")

    return LogHandler


class FakeKubelet:
    """Registers `node_name` (InternalIP 127.0.0.1, Ready) and keeps pods bound to it in the configured states.

    Pods default to "running"; set_pod_state/set_state_for/set_state_for_deployment pick another state. Terminating
    pods are force-deleted (grace 0) the way a kubelet confirms a container stop.
    """

    def __init__(self, plane: ControlPlane, node_name: str = "node-1", cpu: str = "8", memory: str = "16Gi",
                 pods: str = "110", interval: float = 0.3, auto_events: bool = True) -> None:
        self.plane = plane
        self.node_name = node_name
        self.capacity = {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"}
        self.interval = interval
        self.auto_events = auto_events
        self.port = 0
        self.errors: list[str] = []
        self._pod_states: dict[tuple[str, str], _State] = {}
        self._selector_states: dict[tuple[str, str], _State] = {}
        self._applied: dict[str, str] = {}
        self._ips: dict[str, str] = {}
        self._started_at: dict[str, str] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._loops = 0
        self._loop_cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._server: LoopbackServer | None = None
        self._logs: _Logs = {}
        self._last_heartbeat = 0.0

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the HTTPS log server, register the Node and start the status loop."""
        certdir = self.plane.workdir / f"kubelet-{self.node_name}"  # removed with the plane's workdir
        certdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "kubelet.key",
                        "-out", "kubelet.crt", "-days", "30", "-subj", f"/CN={self.node_name}",
                        "-addext", "subjectAltName=IP:127.0.0.1"], cwd=certdir, check=True, capture_output=True)
        self._logs = {}
        server = LoopbackServer(_log_handler(self._logs), name=f"kubelet-logs-{self.node_name}")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(certdir / "kubelet.crt"), str(certdir / "kubelet.key"))
        server.httpd.socket = ctx.wrap_socket(server.httpd.socket, server_side=True)
        self._server = server.start()
        self.port = server.port
        self._register_node()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"kubelet-{self.node_name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeKubelet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _register_node(self) -> None:
        name = self.node_name
        status = {
            "capacity": self.capacity, "allocatable": self.capacity, "conditions": self._conditions(),
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
            "nodeInfo": {"machineID": uuid.uuid4().hex, "systemUUID": str(uuid.uuid4()), "bootID": str(uuid.uuid4()),
                         "kernelVersion": "6.1.0-fake", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "containerRuntimeVersion": "containerd://1.4.13", "kubeletVersion": "v1.20.2",
                         "kubeProxyVersion": "v1.20.2", "operatingSystem": "linux", "architecture": "amd64"}}
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
        self.plane.apply("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                           "metadata": {"name": name, "labels": labels}, "spec": {}})

        def settle() -> bool:
            # Admission adds a not-ready NoSchedule taint (a real kubelet's node controller lifts it) and the TTL
            # controller annotates the node meanwhile, so retry read-modify-write on conflicts.
            node = self.plane.rest("GET", f"/api/v1/nodes/{name}")
            taints = node["spec"].get("taints") or []
            kept = [t for t in taints if not t["key"].startswith("node.kubernetes.io/not-ready")]
            try:
                if len(kept) != len(taints):
                    node["spec"]["taints"] = kept
                    node = self.plane.rest("PUT", f"/api/v1/nodes/{name}", node)
                node["status"] = status
                self.plane.rest("PUT", f"/api/v1/nodes/{name}/status", node)
            except KubeHTTPError as exc:
                if exc.status == 409:
                    return False
                raise
            return True
        wait_until(settle, 30, f"registering node {name}")
        self._last_heartbeat = time.monotonic()

    @staticmethod
    def _conditions() -> list[dict[str, str]]:
        now = now_rfc3339()
        conds = [("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                 ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                 ("PIDPressure", "False", "KubeletHasSufficientPID"), ("Ready", "True", "KubeletReady")]
        return [{"type": t, "status": s, "reason": r, "message": f"kubelet: {r}", "lastHeartbeatTime": now,
                 "lastTransitionTime": now} for t, s, r in conds]

    # -- scenario control --------------------------------------------------------------------------------------
    def set_pod_state(self, namespace: str, pod: str, state: str, **kw: Any) -> None:
        """Put one pod into `state` (see STATES). Keywords: container (only that container), restart_count,
        exit_code, reason (e.g. "OOMKilled" -> exit 137; "ErrImagePull"), message, image, probe_message."""
        self._check_state(state)
        with self._lock:
            self._pod_states[(namespace, pod)] = (state, dict(kw))
        self._wake.set()

    def set_state_for(self, namespace: str, label_selector: str, state: str, **kw: Any) -> None:
        """Put every pod in `namespace` matching `label_selector` (server-side syntax) into `state`, including
        pods created later (e.g. a Deployment's replacement pods). A per-pod state still wins."""
        self._check_state(state)
        with self._lock:
            self._selector_states.pop((namespace, label_selector), None)  # re-set moves it last (highest priority)
            self._selector_states[(namespace, label_selector)] = (state, dict(kw))
        self._wake.set()

    def set_state_for_deployment(self, namespace: str, deployment: str, state: str, **kw: Any) -> None:
        """set_state_for with the Deployment's own selector (matchLabels)."""
        dep = self.plane.rest("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}")
        labels = dep["spec"]["selector"].get("matchLabels", {})
        self.set_state_for(namespace, ",".join(f"{k}={v}" for k, v in sorted(labels.items())), state, **kw)

    def clear_states(self) -> None:
        """Forget every configured state: all pods go back to "running"."""
        with self._lock:
            self._pod_states.clear()
            self._selector_states.clear()
        self._wake.set()

    def set_logs(self, namespace: str, pod: str, container: str, text: str, previous: bool = False) -> None:
        """Serve `text` for the container's log (previous=True: the log of the last terminated instance)."""
        if self._server is None:
            raise RuntimeError("FakeKubelet.start() first")
        self._logs[(namespace, pod, container, previous)] = text

    def sync(self, timeout: float = 15) -> None:
        """Wait until the loop has fully run after this call, so states set before are applied."""
        with self._loop_cv:
            target = self._loops + 2
        self._wake.set()
        with self._loop_cv:
            if not self._loop_cv.wait_for(lambda: self._loops >= target, timeout):
                raise TimeoutError(f"fake kubelet loop did not run within {timeout}s (errors: {self.errors[-3:]})")

    def add_event(self, namespace: str, involved_name: str, reason: str, message: str, *, kind: str = "Pod",
                  type: str = "Warning", count: int = 1, api_version: str = "v1",  # noqa: A002 - Event field
                  uid: str | None = None, field_path: str | None = None, component: str = "kubelet",
                  first_timestamp: str | None = None, last_timestamp: str | None = None) -> dict[str, Any]:
        """Create a core/v1 Event (there is no kubelet to emit BackOff, Unhealthy, Failed, OOMKilling...)."""
        now = now_rfc3339()
        involved: dict[str, Any] = {"kind": kind, "namespace": namespace, "name": involved_name,
                                    "apiVersion": api_version}
        if uid:
            involved["uid"] = uid
        if field_path:
            involved["fieldPath"] = field_path
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": f"{involved_name}.{uuid.uuid4().hex[:16]}", "namespace": namespace},
                 "involvedObject": involved, "reason": reason, "message": message, "type": type, "count": count,
                 "source": {"component": component, "host": self.node_name},
                 "firstTimestamp": first_timestamp or now, "lastTimestamp": last_timestamp or now,
                 "reportingComponent": component, "reportingInstance": self.node_name}
        result: dict[str, Any] = self.plane.rest("POST", f"/api/v1/namespaces/{namespace}/events", event)
        return result

    def wait_for_pods(self, namespace: str, label_selector: str, count: int, phase: str = "Running",
                      timeout: float = 60) -> list[dict[str, Any]]:
        """Wait until `count` pods matching the selector are bound here and in `phase`; returns them."""
        def check() -> list[dict[str, Any]] | None:
            items = self.plane.rest("GET", f"/api/v1/namespaces/{namespace}/pods",
                                    params={"labelSelector": label_selector})["items"]
            good = [p for p in items if p["status"].get("phase") == phase
                    and p["spec"].get("nodeName") == self.node_name and not p["metadata"].get("deletionTimestamp")]
            return good if len(good) >= count else None
        return wait_until(check, timeout, f"{count} {phase} pods for {label_selector} in {namespace}")

    @staticmethod
    def _check_state(state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown pod state {state!r}; expected one of {', '.join(STATES)}")

    # -- loop ----------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sync_once()
            except Exception as exc:  # keep running: the API server may be restarting or stopping
                self.errors.append(repr(exc))
                del self.errors[:-20]
            with self._loop_cv:
                self._loops += 1
                self._loop_cv.notify_all()
            self._wake.wait(self.interval)
            self._wake.clear()

    def _sync_once(self) -> None:
        if time.monotonic() - self._last_heartbeat > 10:
            self.plane.rest("PATCH", f"/api/v1/nodes/{self.node_name}/status",
                            {"status": {"conditions": self._conditions()}},
                            content_type="application/strategic-merge-patch+json")
            self._last_heartbeat = time.monotonic()
        node_sel = f"spec.nodeName={self.node_name}"
        pods = self.plane.rest("GET", "/api/v1/pods", params={"fieldSelector": node_sel})["items"]
        with self._lock:
            selector_rules = list(self._selector_states.items())
            pod_states = dict(self._pod_states)
        wanted: dict[tuple[str, str], _State] = {}
        for (namespace, selector), rule in selector_rules:
            matched = self.plane.rest("GET", f"/api/v1/namespaces/{namespace}/pods",
                                      params={"labelSelector": selector, "fieldSelector": node_sel})["items"]
            for p in matched:
                wanted[(namespace, p["metadata"]["name"])] = rule
        wanted.update(pod_states)
        for pod in pods:
            meta = pod["metadata"]
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
            if meta.get("deletionTimestamp"):
                with contextlib.suppress(KubeHTTPError):
                    self.plane.rest("DELETE", path, {"kind": "DeleteOptions", "apiVersion": "v1",
                                                     "gracePeriodSeconds": 0})
                continue
            state, kw = wanted.get((meta["namespace"], meta["name"]), ("running", {}))
            images = [c["image"] for c in pod["spec"]["containers"]]
            signature = json.dumps([state, kw, images], sort_keys=True, default=str)
            if self._applied.get(meta["uid"]) == signature:
                continue
            uid = meta["uid"]
            started = self._started_at.setdefault(uid, now_rfc3339())
            ip = self._ips.setdefault(uid, f"10.244.{len(self._ips) // 250}.{len(self._ips) % 250 + 2}")
            pod["status"] = pod_status(pod, state, kw, started, ip)
            try:
                self.plane.rest("PUT", f"{path}/status", pod)
            except KubeHTTPError as exc:
                if exc.status in (404, 409):  # deleted or changed meanwhile: the next loop sees the new version
                    continue
                raise
            self._applied[meta["uid"]] = signature
            if self.auto_events:
                self._emit_events(pod, state, kw)

    def _emit_events(self, pod: dict[str, Any], state: str, kw: dict[str, Any]) -> None:
        meta = pod["metadata"]
        only = kw.get("container")
        for c in pod["spec"]["containers"]:
            if only not in (None, c["name"]):
                continue
            ref = {"uid": meta["uid"], "field_path": f"spec.containers{{{c['name']}}}"}
            if state == "crashloop":
                self.add_event(meta["namespace"], meta["name"], "BackOff", "Back-off restarting failed container",
                               count=int(kw.get("restart_count", 5)), **ref)
            elif state == "imagepull":
                image = kw.get("image", c["image"])
                self.add_event(meta["namespace"], meta["name"], "Failed", f'Failed to pull image "{image}": rpc '
                               f'error: code = NotFound desc = failed to pull and unpack image "{image}"', **ref)
                self.add_event(meta["namespace"], meta["name"], "BackOff", f'Back-off pulling image "{image}"',
                               type="Normal", **ref)
            elif state == "not_ready":
                self.add_event(meta["namespace"], meta["name"], "Unhealthy", kw.get(
                    "probe_message", "Readiness probe failed: HTTP probe failed with statuscode: 503"), **ref)
