"""deploy/ (Kustomize) and the Dockerfile: rendered by kubectl 1.20's kustomize, accepted by a real API server.

Why these checks: manifests nobody applies rot silently. Every overlay is rendered with the kustomize that
kubectl 1.20 embeds (v2 syntax), then every object goes through a server-side dry run on the harness's real
kube-apiserver 1.20.2 (schema, defaulting and admission, nothing persisted); opsquad's own Kubernetes and
Dockerfile Semgrep rules scan what would be deployed; and the security properties the README promises
(read-only RBAC unless the write-remediation overlay is chosen, non-root, read-only root filesystem, no
committed secrets) are asserted on the rendered objects rather than on the source files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from opsquad.config import OpsquadConfig, parse_config
from opsquad.findings import FileLocation, Severity
from opsquad.model.weights import PRESETS
from tests.support.common import REPO_ROOT
from tests.support.harness.kube import ControlPlane, ensure_binaries, kube_bin_dir
from tools.registry import TOOLS
from tools.semgrep import RULES_DIR, run_semgrep
from tools.semgrep_findings import to_findings

DEPLOY = REPO_ROOT / "deploy"
OVERLAYS = ["base", "overlays/write-remediation", "overlays/vllm", "overlays/ollama"]
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}
READ_VERBS = {"get", "list", "watch"}
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def kubectl() -> Path:
    ensure_binaries()
    binary = kube_bin_dir() / "kubectl"
    assert binary.is_file(), f"kubectl was not built ({binary}); run scripts/build-kube.sh"
    return binary


def render(kubectl: Path, overlay: str, workdir: Path, namespace: str | None = None) -> str:
    """`kubectl kustomize` of an overlay, optionally moved to another namespace through a wrapping overlay."""
    target = DEPLOY / overlay
    if namespace:
        wrapper = workdir / f"ns-{overlay.replace('/', '-')}"
        wrapper.mkdir(parents=True, exist_ok=True)
        # kustomize v2 refuses absolute base paths: name the overlay relative to the wrapper.
        (wrapper / "kustomization.yaml").write_text(yaml.safe_dump(
            {"namespace": namespace, "bases": [os.path.relpath(target, wrapper)]}))
        target = wrapper
    done = subprocess.run([str(kubectl), "kustomize", str(target)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"kubectl kustomize {overlay}: {done.stderr}"
    return done.stdout


def docs(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.fixture(scope="module")
def rendered(kubectl: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("rendered")
    return {o: render(kubectl, o, out) for o in OVERLAYS}


def objects(rendered: dict[str, str], overlay: str, kind: str) -> list[Doc]:
    return [d for d in docs(rendered[overlay]) if d["kind"] == kind]


def one(rendered: dict[str, str], overlay: str, kind: str, name: str) -> Doc:
    [found] = [d for d in objects(rendered, overlay, kind) if d["metadata"]["name"] == name]
    return found


def pod_specs(items: list[Doc]) -> Iterator[tuple[str, Doc]]:
    for d in items:
        if d["kind"] in WORKLOADS:
            spec = d["spec"]
            spec = spec["jobTemplate"]["spec"] if d["kind"] == "CronJob" else spec
            yield d["metadata"]["name"], spec if d["kind"] == "Pod" else spec["template"]["spec"]


def agents_configs(rendered: dict[str, str], overlay: str) -> dict[str, OpsquadConfig]:
    [cm] = [c for c in objects(rendered, overlay, "ConfigMap") if c["metadata"]["name"].startswith("opsquad-config")]
    return {key: parse_config(yaml.safe_load(text), key, known_tools=TOOLS) for key, text in cm["data"].items()}


# -- the real API server ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_passes_a_server_side_dry_run(overlay: str, kubectl: Path, kube_plane: ControlPlane,
                                                   kube_namespace: str, tmp_path: Path) -> None:
    manifest = render(kubectl, overlay, tmp_path, namespace=kube_namespace)
    items = docs(manifest)
    kinds = {d["kind"] for d in items}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
            "PodDisruptionBudget", "PersistentVolumeClaim"} <= kinds
    assert all(d["metadata"].get("namespace") == kube_namespace for d in items
               if d["kind"] not in ("ClusterRole", "ClusterRoleBinding"))
    for crb in (d for d in items if d["kind"] == "ClusterRoleBinding"):
        assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "opsquad", "namespace": kube_namespace}]
    done = subprocess.run([str(kubectl), f"--kubeconfig={kube_plane.kubeconfig}", "apply", "--dry-run=server",
                           "-f", "-"], input=manifest, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    accepted = [line for line in done.stdout.splitlines() if "(server dry run)" in line]
    assert len(accepted) == len(items), done.stdout
    # Nothing was persisted: a dry run leaves the namespace empty.
    assert kube_plane.rest("GET", f"/apis/apps/v1/namespaces/{kube_namespace}/deployments")["items"] == []


def test_the_pdb_uses_the_only_policy_version_1_20_serves(rendered: dict[str, str],
                                                          kube_plane: ControlPlane) -> None:
    served = {v["version"] for v in kube_plane.rest("GET", "/apis/policy")["versions"]}
    assert served == {"v1beta1"}  # no policy/v1 before Kubernetes 1.21
    for overlay in OVERLAYS:
        [pdb] = objects(rendered, overlay, "PodDisruptionBudget")
        assert pdb["apiVersion"] == "policy/v1beta1" and pdb["spec"]["maxUnavailable"] == 1
        server = one(rendered, overlay, "Deployment", "opsquad")
        assert server["spec"]["replicas"] >= 2
        assert pdb["spec"]["selector"]["matchLabels"].items() <= server["spec"]["template"]["metadata"][
            "labels"].items()


# -- opsquad's own Semgrep rules ---------------------------------------------------------------------------------
def test_semgrep_finds_nothing_of_medium_or_higher(rendered: dict[str, str], tmp_path: Path) -> None:
    targets = []
    for overlay, text in rendered.items():
        path = tmp_path / f"{overlay.replace('/', '-')}.yaml"
        path.write_text(text)
        targets.append(Path(path.name))
    shutil.copy(REPO_ROOT / "Dockerfile", tmp_path / "Dockerfile")
    targets.append(Path("Dockerfile"))
    # A control: the base with its protections stripped must be reported, or the scan proves nothing.
    control = re.sub(r"(?m)^\s*(allowPrivilegeEscalation|runAsNonRoot): .*\n", "", rendered["base"])
    (tmp_path / "control.yaml").write_text(control.replace("opsquad:0.1.0", "opsquad:latest"))
    targets.append(Path("control.yaml"))
    rules = [RULES_DIR / "kubernetes-workload-security.yaml", RULES_DIR / "dockerfile-security.yaml"]
    run = run_semgrep(targets, rules, tmp_path, timeout_s=180, jobs=1)
    assert run.errors == [] and sorted(run.scanned) == sorted(str(t) for t in targets)
    findings = to_findings(run, tmp_path)
    serious = [f"{f.location.path}:{f.location.start_line} {f.rule_id} ({f.severity})" for f in findings
               if f.severity.at_least(Severity.medium) and isinstance(f.location, FileLocation)
               and f.location.path != "control.yaml"]
    assert serious == []
    control_rules = {f.rule_id for f in findings if isinstance(f.location, FileLocation)
                     and f.location.path == "control.yaml"}
    assert {"kubernetes-allow-privilege-escalation", "kubernetes-run-as-non-root-not-enforced",
            "kubernetes-image-not-pinned"} <= control_rules


# -- RBAC ------------------------------------------------------------------------------------------------------
def rbac_rules(rendered: dict[str, str], overlay: str) -> list[Doc]:
    return [r for kind in ("ClusterRole", "Role") for role in objects(rendered, overlay, kind)
            for r in role.get("rules", [])]


def test_rbac_is_read_only_except_in_the_write_remediation_overlay(rendered: dict[str, str]) -> None:
    for overlay in OVERLAYS:
        rules = rbac_rules(rendered, overlay)
        resources = {res for r in rules for res in r["resources"]}
        assert "secrets" not in resources and "configmaps" not in resources and "*" not in resources
        assert all("*" not in r["verbs"] and "*" not in r["apiGroups"] for r in rules)
        assert {"pods", "pods/log", "events", "deployments", "replicasets", "services", "endpoints", "nodes",
                "persistentvolumeclaims", "resourcequotas"} <= resources
        writes = {(verb, res) for r in rules for verb in set(r["verbs"]) - READ_VERBS for res in r["resources"]}
        if overlay == "overlays/write-remediation":
            assert writes == {("patch", "deployments"), ("update", "deployments"), ("delete", "pods")}
        else:
            assert writes == set(), overlay


def test_agents_yaml_matches_the_rbac_and_the_model_server(rendered: dict[str, str]) -> None:
    for overlay in OVERLAYS:
        configs = agents_configs(rendered, overlay)
        cfg = configs["agents.yaml"]
        assert cfg.storage.checkpointer == "postgres" and cfg.serve.workflow == "oncall"
        # No serve: block, so `opsquad serve` never starts a model inside its own pod.
        assert all(m.serve is None for m in cfg.models.values())
        for model in cfg.models.values():
            base = urlsplit(model.api_base or "")
            service = one(rendered, overlay, "Service", base.hostname or "?")
            assert [p["port"] for p in service["spec"]["ports"]] == [base.port]
        tools = cfg.agents["sre"].tools
        assert tools["kubernetes"].verbs == ["read"]
        if overlay == "overlays/write-remediation":
            write = tools["kubernetes_write"]
            assert write.approval == "required" and set(write.verbs) == {"rollback", "scale", "restart", "patch",
                                                                         "delete"}
        else:
            assert "kubernetes_write" not in tools
    pull = agents_configs(rendered, "base")["model-pull.yaml"].models["coder"].serve
    assert pull is not None and pull.gguf.preset in PRESETS  # type: ignore[union-attr]
    server = one(rendered, "base", "Deployment", "opsquad-model")["spec"]["template"]["spec"]["containers"][0]
    args = server["args"]
    assert args[args.index("--model") + 1] == f"/models/{PRESETS[pull.gguf.preset].filename}"  # type: ignore
    assert args[args.index("--alias") + 1] == "coder"


# -- pods ------------------------------------------------------------------------------------------------------
def test_every_container_is_locked_down_and_bounded(rendered: dict[str, str]) -> None:
    for overlay in OVERLAYS:
        for name, spec in pod_specs(docs(rendered[overlay])):
            pod_ctx = spec.get("securityContext", {})
            assert pod_ctx.get("seccompProfile") == {"type": "RuntimeDefault"}, (overlay, name)
            assert pod_ctx.get("runAsNonRoot") is True and pod_ctx.get("runAsUser", 0) > 0, (overlay, name)
            assert spec.get("automountServiceAccountToken") is (name == "opsquad"), (overlay, name)
            writable = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v or "persistentVolumeClaim" in v}
            for c in spec.get("initContainers", []) + spec["containers"]:
                where = (overlay, name, c["name"])
                ctx = c.get("securityContext", {})
                assert ctx.get("readOnlyRootFilesystem") is True, where
                assert ctx.get("allowPrivilegeEscalation") is False, where
                assert ctx.get("capabilities") == {"drop": ["ALL"]}, where
                assert not ctx.get("privileged") and ctx.get("runAsUser", 1) != 0, where
                assert {"cpu", "memory"} <= set(c["resources"]["requests"]), where
                assert "memory" in c["resources"]["limits"], where
                assert any(m["mountPath"] == "/tmp" and m["name"] in writable for m in c["volumeMounts"]), where


def test_the_server_has_probes_secrets_by_reference_and_a_writable_state_dir(rendered: dict[str, str]) -> None:
    for overlay in OVERLAYS:
        assert objects(rendered, overlay, "Secret") == []  # no secret value is ever rendered
        spec = one(rendered, overlay, "Deployment", "opsquad")["spec"]["template"]["spec"]
        assert spec["serviceAccountName"] == "opsquad"
        [c] = spec["containers"]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        ready = "/healthz" if overlay == "overlays/ollama" else "/readyz"  # Ollama has no /health: see overlay
        assert c["readinessProbe"]["httpGet"]["path"] == ready
        assert c["args"][:3] == ["serve", "--host", "0.0.0.0"]
        env = {e["name"]: e for e in c["env"]}
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "OPSQUAD_POSTGRES_URL",
                     "OPSQUAD_ALERTMANAGER_TOKEN"):
            assert "value" not in env[name] and env[name]["valueFrom"]["secretKeyRef"]["name"] == "opsquad-secrets"
        assert not env["OPSQUAD_POSTGRES_URL"]["valueFrom"]["secretKeyRef"].get("optional")
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes[mounts[env["OPSQUAD_STATE_DIR"]["value"]]]
        assert volumes[mounts["/etc/opsquad"]]["configMap"]["name"].startswith("opsquad-config-")  # hashed name


def test_dockerfile_listens_on_all_interfaces_only_in_the_container() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r'(?m)^CMD \["serve", "--host", "0\.0\.0\.0"', text)
    assert re.search(r"(?m)^USER 10001$", text) and re.search(r"(?m)^FROM python:3\.11-slim", text)
    ignored = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "**/*.gguf", ".env"} <= set(ignored)
    from opsquad.cli.main import serve

    defaults = serve.__defaults__ or ()
    assert any(getattr(d, "default", None) == "127.0.0.1" for d in defaults)  # the CLI default stays loopback
