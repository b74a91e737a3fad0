"""A real Kubernetes 1.20.2 control plane (etcd, kube-apiserver, controller-manager, scheduler) on loopback.

Why: the SRE agent reads and changes clusters through the Kubernetes API; a real API server gives the true
validation, RBAC, field selectors, log subresource and controller behaviour (Deployment -> ReplicaSet -> Pods)
that a mock cannot. Binaries come from Debian 12's source package (scripts/build-kube.sh) and are cached in
~/.cache/opsquad/kube/v1.20.2/bin. Version 1.20 has CronJob only as batch/v1beta1 and no policy/v1, so nothing
here relies on either. There is no kubelet: see tests/support/harness/kubelet.py.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tests.support.harness._proc import ManagedProcess, free_port, http_ok, wait_until

if TYPE_CHECKING:
    import kubernetes.client

KUBE_VERSION = "v1.20.2"
REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-kube.sh"
REQUIRED_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
SERVICE_CIDR = "10.96.0.0/16"
VIEWER_USER = "opsquad-viewer"


def kube_bin_dir() -> Path:
    """Where the built binaries live: ~/.cache/opsquad/kube/v1.20.2/bin, or $OPSQUAD_KUBE_BIN."""
    override = os.environ.get("OPSQUAD_KUBE_BIN")
    if override:
        return Path(override)
    return Path.home() / ".cache" / "opsquad" / "kube" / KUBE_VERSION / "bin"


def ensure_binaries() -> Path:
    """Return the binary folder, building it with scripts/build-kube.sh first if a binary is missing (~8 min)."""
    bin_dir = kube_bin_dir()
    if all(os.access(bin_dir / b, os.X_OK) for b in REQUIRED_BINARIES):
        return bin_dir
    env = dict(os.environ, OPSQUAD_KUBE_BIN=str(bin_dir))
    result = subprocess.run(["bash", str(BUILD_SCRIPT)], env=env, capture_output=True, text=True)
    if result.returncode != 0 or not all(os.access(bin_dir / b, os.X_OK) for b in REQUIRED_BINARIES):
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"building Kubernetes binaries failed: {last}")
    return bin_dir


class KubeHTTPError(RuntimeError):
    """An API server answer outside 2xx, with the status code kept for callers that tolerate 404/409."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_pki(pki: Path) -> None:
    """CA, API server serving cert (SANs for 127.0.0.1 and the in-cluster names) and service-account key pair.

    Made with the openssl CLI so the harness needs no extra Python dependency; extensions satisfy strict verifiers.
    """
    pki.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
             "-subj", "/CN=opsquad-harness-ca", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)
    sans = ",".join(["IP:127.0.0.1", "IP:10.96.0.1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                     "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"])
    (pki / "apiserver.ext").write_text(
        f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "apiserver.key", "-out", "apiserver.csr",
             "-subj", "/CN=kube-apiserver", cwd=pki)
    _openssl("x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "apiserver.crt", "-days", "30", "-extfile", "apiserver.ext", cwd=pki)
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler bound to 127.0.0.1 on free ports.

    Use as a context manager or call start()/stop(). `kubeconfig` is an admin (system:masters) token kubeconfig;
    `readonly_kubeconfig()` gives one for a user bound to the built-in "view" ClusterRole.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.pki = self.workdir / "pki"
        self.kubeconfig = self.workdir / "admin.kubeconfig"
        self.server = ""
        self.bin_dir = kube_bin_dir()
        self.processes: dict[str, ManagedProcess] = {}
        self.ready_seconds: float | None = None
        self._tokens = {name: secrets.token_hex(16) for name in ("admin", "cm", "sched", "viewer")}
        self._ssl: ssl.SSLContext | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def pids(self) -> dict[str, int]:
        """PIDs of the four processes (for tests that prove stop() leaves nothing behind)."""
        return {name: p.pid for name, p in self.processes.items() if p.pid is not None}

    def start(self, timeout: float = 60) -> None:
        """Start all four components and return once the API server is ready and controllers are working."""
        began = time.monotonic()
        self.bin_dir = ensure_binaries()
        self.workdir.mkdir(parents=True, exist_ok=True)
        _make_pki(self.pki)
        etcd_port, etcd_peer, api_port = free_port(), free_port(), free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        self._ssl = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        (self.workdir / "tokens.csv").write_text(
            f'{self._tokens["admin"]},admin,uid-admin,"system:masters"\n'
            f'{self._tokens["cm"]},system:kube-controller-manager,uid-cm,"system:masters"\n'
            f'{self._tokens["sched"]},system:kube-scheduler,uid-sched,"system:masters"\n'
            f'{self._tokens["viewer"]},{VIEWER_USER},uid-viewer\n')
        self._write_kubeconfig(self.kubeconfig, "admin", self._tokens["admin"])
        cm_kc = self._write_kubeconfig(self.workdir / "cm.kubeconfig", "cm", self._tokens["cm"])
        sched_kc = self._write_kubeconfig(self.workdir / "sched.kubeconfig", "sched", self._tokens["sched"])
        try:
            self._start_etcd(etcd_port, etcd_peer, timeout)
            self._start_apiserver(api_port, etcd_port, timeout - (time.monotonic() - began))
            self._start_controllers(cm_kc, sched_kc, timeout - (time.monotonic() - began))
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop the components by PID in reverse start order (scheduler, controller-manager, API server, etcd)."""
        for name in reversed(list(self.processes)):
            self.processes[name].stop()

    def _spawn(self, name: str, argv: list[str]) -> ManagedProcess:
        proc = ManagedProcess(name, argv, self.workdir / "logs" / f"{name}.log", cwd=self.workdir)
        self.processes[name] = proc
        proc.start()
        return proc

    def _start_etcd(self, port: int, peer: int, timeout: float) -> None:
        client, peer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer}"
        proc = self._spawn("etcd", [
            "etcd", "--name", "opsquad", "--data-dir", str(self.workdir / "etcd"), "--unsafe-no-fsync",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"opsquad={peer_url}", "--logger", "zap", "--log-level", "warn"])
        self.etcd_url = client

        def healthy() -> bool:
            proc.check_alive()
            return http_ok(f"{client}/health")
        wait_until(healthy, timeout, "etcd /health")

    def _start_apiserver(self, port: int, etcd_port: int, timeout: float) -> None:
        pki = self.pki
        proc = self._spawn("kube-apiserver", [
            str(self.bin_dir / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1", f"--secure-port={port}", "--advertise-address=127.0.0.1",
            "--insecure-port=0", f"--cert-dir={self.workdir / 'apiserver'}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}", f"--token-auth-file={self.workdir / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--api-audiences=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,"
            "Priority,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
            "--enable-priority-and-fairness=false",
            # 127.0.0.1 is not a valid Endpoints address, so the "kubernetes" service endpoints are not reconciled.
            "--endpoint-reconciler-type=none",
            "--kubelet-preferred-address-types=InternalIP", "--allow-privileged=true", "--profiling=false", "--v=1"])

        def ready() -> bool:
            proc.check_alive()
            return http_ok(f"{self.server}/readyz", self._ssl, self._auth("admin"))
        wait_until(ready, timeout, "kube-apiserver /readyz", interval=0.2)

    def _start_controllers(self, cm_kc: Path, sched_kc: Path, timeout: float) -> None:
        pki = self.pki
        cm_port, sched_port = free_port(), free_port()
        cm = self._spawn("kube-controller-manager", [
            str(self.bin_dir / "kube-controller-manager"), f"--kubeconfig={cm_kc}",
            f"--authentication-kubeconfig={cm_kc}", f"--authorization-kubeconfig={cm_kc}",
            "--bind-address=127.0.0.1", f"--secure-port={cm_port}", "--port=0",
            f"--cert-dir={self.workdir / 'controller-manager'}", "--leader-elect=false",
            # No kubelet reports real node health, so the node lifecycle controller would taint and evict.
            "--controllers=*,-nodelifecycle",
            f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
            f"--cluster-signing-cert-file={pki / 'ca.crt'}", f"--cluster-signing-key-file={pki / 'ca.key'}",
            "--profiling=false", "--v=1"])
        sched = self._spawn("kube-scheduler", [
            str(self.bin_dir / "kube-scheduler"), f"--kubeconfig={sched_kc}",
            f"--authentication-kubeconfig={sched_kc}", f"--authorization-kubeconfig={sched_kc}",
            "--bind-address=127.0.0.1", f"--secure-port={sched_port}", "--port=0",
            f"--cert-dir={self.workdir / 'scheduler'}", "--leader-elect=false", "--profiling=false", "--v=1"])
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE

        def controllers_working() -> bool:
            cm.check_alive()
            sched.check_alive()
            if not http_ok(f"https://127.0.0.1:{sched_port}/healthz", insecure):
                return False
            return self.service_account_ready("default")
        wait_until(controllers_working, timeout, "scheduler /healthz and the default ServiceAccount token",
                   interval=0.2)

    # -- access ------------------------------------------------------------------------------------------------
    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens[who]}"}

    def _write_kubeconfig(self, path: Path, user: str, token: str, namespace: str = "default") -> Path:
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "opsquad",
            "clusters": [{"name": "opsquad", "cluster": {
                "server": self.server, "certificate-authority": str(self.pki / "ca.crt")}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": "opsquad", "context": {"cluster": "opsquad", "user": user, "namespace": namespace}}],
        }
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML, and kubectl/client-python read it
        path.chmod(0o600)
        return path

    def api_client(self) -> kubernetes.client.ApiClient:
        """An official-client ApiClient authenticated as admin (close it when done)."""
        import kubernetes.config

        return kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig))

    def readonly_kubeconfig(self) -> Path:
        """A kubeconfig for user "opsquad-viewer", bound to the built-in "view" ClusterRole (read-only tests)."""
        self.apply("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "opsquad-viewer-view"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": VIEWER_USER}]})
        # "view" is an aggregated role: its rules appear once the aggregation controller has run.
        wait_until(lambda: self.rest("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view").get("rules"),
                   30, "aggregated rules of ClusterRole view")
        return self._write_kubeconfig(self.workdir / "readonly.kubeconfig", VIEWER_USER, self._tokens["viewer"])

    def rest(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
             content_type: str = "application/json", who: str = "admin") -> Any:
        """One raw API call; returns parsed JSON (or text). Used by the harness so it does not depend on the
        Python client's models matching a 1.20 server."""
        url = self.server + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self._auth(who), "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30, context=self._ssl) as resp:
                raw = resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise KubeHTTPError(exc.code, exc.read().decode(errors="replace")) from None
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return raw

    def apply(self, collection_path: str, obj: dict[str, Any]) -> Any:
        """Create `obj` under `collection_path`; if it exists already, return the existing object (idempotent)."""
        try:
            return self.rest("POST", collection_path, obj)
        except KubeHTTPError as exc:
            if exc.status != 409:
                raise
            return self.rest("GET", f"{collection_path}/{obj['metadata']['name']}")

    def service_account_ready(self, namespace: str, name: str = "default") -> bool:
        """True once the ServiceAccount exists with its token Secret (pods are rejected by admission before)."""
        try:
            sa = self.rest("GET", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}")
        except (KubeHTTPError, OSError):
            return False
        return bool(sa.get("secrets"))

    def create_namespace(self, name: str, labels: dict[str, str] | None = None, timeout: float = 30) -> None:
        """Create a namespace and wait for its default ServiceAccount token, so pods can be created right away."""
        self.apply("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": name, "labels": labels or {}}})
        wait_until(lambda: self.service_account_ready(name), timeout, f"default ServiceAccount in {name}")

    def kubectl(self, *args: str, kubeconfig: Path | None = None,
                check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the built kubectl (if present) against this plane."""
        binary = self.bin_dir / "kubectl"
        if not binary.exists():
            raise FileNotFoundError(f"kubectl was not built ({binary})")
        return subprocess.run([str(binary), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args],
                              capture_output=True, text=True, check=check, timeout=60)
