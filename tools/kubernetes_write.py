"""The ``kubernetes_write`` tool: rollback, scale, set_resources, restart, delete_pod — never without approval.

Every call first builds the exact patch and sends it with a server-side dry run (``dryRun=All``), so the
human approving it sees what the API server itself would store: a unified YAML diff before → after and the
equivalent kubectl command. When the agent calls the tool, ``AgentRun.call_tool`` passes ``dry_run`` and only
queues the action; after a human approves, the apply step (``workflows/fanout.py``) calls the tool again with
``approved_by`` and only then is the patch applied for real, followed by a verification that watches the
workload until its rollout is complete (or reports "not healthy after N s"). A call with neither flag does
the dry run and answers ``approval_required``: nothing in this module writes without an approver's name.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from tools import kube_client as kc
from tools.base import ToolContext, ToolResult, ToolStatus
from tools.kubernetes import denied, namespace_denied

WriteAction = Literal["rollback", "scale", "set_resources", "restart", "delete_pod"]
# The grant verb each action needs (agents.yaml: kubernetes_write: {verbs: [rollback, scale, ...]}).
WRITE_VERB: dict[str, str] = {"rollback": "rollback", "scale": "scale", "set_resources": "patch",
                              "restart": "restart", "delete_pod": "delete"}
RESOURCE_KEYS = {"cpu", "memory", "ephemeral-storage"}
POLL_S = 1.0


class KubernetesWriteParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: WriteAction = Field(description="rollback a deployment to its previous (or a given) revision, scale "
                                "replicas, set_resources of a container, restart (rolling), or delete_pod.")
    kind: Literal["deployment", "statefulset", "daemonset"] = Field(
        default="deployment", description="Workload kind (rollback: deployment only; ignored by delete_pod).")
    name: str = Field(description="Workload name, or the pod name for delete_pod.")
    namespace: str = Field(description="Namespace of the object.")
    revision: int | None = Field(default=None, ge=1, description="rollback: target revision (default: previous).")
    replicas: int | None = Field(default=None, ge=0, le=500, description="scale: desired replicas.")
    container: str | None = Field(default=None, description="set_resources: container (default: the first).")
    requests: dict[str, str] | None = Field(default=None, description="set_resources: e.g. {'memory': '256Mi'}.")
    limits: dict[str, str] | None = Field(default=None, description="set_resources: e.g. {'memory': '512Mi'}.")
    verify_timeout_s: int = Field(default=120, ge=5, le=900, description="How long to wait for a healthy rollout.")

    @property
    def verb(self) -> str:
        """Read by ``opsquad.policy.check``: the grant must list this verb."""
        return WRITE_VERB[self.action]


class Plan(BaseModel):
    kind: str
    patch: Any
    patch_type: Literal["strategic", "merge", "json", "delete"]
    kubectl: str


def _sel(obj: dict[str, Any]) -> str:
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items())


def plan(kube: kc.Kube, p: KubernetesWriteParams, current: dict[str, Any]) -> Plan:
    """The exact patch for one action against the object as it is now; raises ValueError when impossible."""
    ref, ns = f"{p.kind}/{p.name}", f"-n {p.namespace}"
    if p.action == "rollback":
        if p.kind != "deployment":
            raise ValueError("rollback works on deployments only")
        rss = kc.owned_replicasets(current, kube.list("replicaset", p.namespace, _sel(current)))
        now = kc.revision(current)
        if p.revision is not None:
            target = next((rs for rs in rss if kc.revision(rs) == p.revision), None)
            if target is None:
                raise ValueError(f"revision {p.revision} not found (have: {[kc.revision(r) for r in rss]})")
            if p.revision == now:
                raise ValueError(f"deployment {p.name} is already at revision {now}")
        else:
            older = [rs for rs in rss if kc.revision(rs) < now]
            if not older:
                raise ValueError(f"deployment {p.name} has no revision before {now} to roll back to")
            target = older[-1]
        tpl = kc.clean_template(((target.get("spec") or {}).get("template")) or {})
        return Plan(kind=p.kind, patch=[{"op": "replace", "path": "/spec/template", "value": tpl}], patch_type="json",
                    kubectl=f"kubectl rollout undo {ref} {ns} --to-revision={kc.revision(target)}")
    if p.action == "scale":
        if p.replicas is None:
            raise ValueError("scale needs replicas")
        if p.kind == "daemonset":
            raise ValueError("a daemonset cannot be scaled")
        return Plan(kind=p.kind, patch={"spec": {"replicas": p.replicas}}, patch_type="merge",
                    kubectl=f"kubectl scale {ref} {ns} --replicas={p.replicas}")
    if p.action == "set_resources":
        if not p.requests and not p.limits:
            raise ValueError("set_resources needs requests and/or limits")
        bad = (set(p.requests or {}) | set(p.limits or {})) - RESOURCE_KEYS
        if bad:
            raise ValueError(f"unknown resource {sorted(bad)} (use {sorted(RESOURCE_KEYS)})")
        names = [c.get("name") for c in (((current.get("spec") or {}).get("template") or {}).get("spec") or {})
                 .get("containers") or []]
        container = p.container or (names[0] if names else None)
        if container not in names:
            raise ValueError(f"container '{container}' not in {p.kind} {p.name} (containers: {names})")
        res = {k: v for k, v in (("requests", p.requests), ("limits", p.limits)) if v}
        flags = " ".join(f"--{k}=" + ",".join(f"{r}={q}" for r, q in v.items()) for k, v in res.items())
        return Plan(kind=p.kind, patch_type="strategic",
                    patch={"spec": {"template": {"spec": {"containers": [{"name": container, "resources": res}]}}}},
                    kubectl=f"kubectl set resources {ref} {ns} -c {container} {flags}")
    if p.action == "restart":
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Plan(kind=p.kind, patch_type="strategic", kubectl=f"kubectl rollout restart {ref} {ns}", patch={
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}})
    return Plan(kind="pod", patch=None, patch_type="delete", kubectl=f"kubectl delete pod {p.name} {ns}")


def _mask_env(obj: Any) -> Any:
    """Env values become a short hash: a changed value still shows in the diff, the value itself never does."""
    if isinstance(obj, dict):
        out = {k: _mask_env(v) for k, v in obj.items()}
        if "name" in obj and isinstance(obj.get("value"), str) and set(obj) <= {"name", "value"}:
            out["value"] = "*** sha256:" + hashlib.sha256(obj["value"].encode()).hexdigest()[:8]
        return out
    if isinstance(obj, list):
        return [_mask_env(v) for v in obj]
    return obj


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a reviewer wants to read it: no status, managedFields, or server bookkeeping."""
    m = obj.get("metadata") or {}
    ann = {k: v for k, v in (m.get("annotations") or {}).items()
           if k != "kubectl.kubernetes.io/last-applied-configuration"}
    meta = {k: v for k, v in {"name": m.get("name"), "namespace": m.get("namespace"), "labels": m.get("labels"),
                              "annotations": ann or None, "deletionTimestamp": m.get("deletionTimestamp")}.items()
            if v}
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta,
            "spec": _mask_env(obj.get("spec") or {})}


def unified_diff(before: dict[str, Any] | None, after: dict[str, Any] | None, label: str) -> str:
    a = yaml.safe_dump(clean(before), sort_keys=True).splitlines(keepends=True) if before else []
    b = yaml.safe_dump(clean(after), sort_keys=True).splitlines(keepends=True) if after else []
    return "".join(difflib.unified_diff(a, b, f"{label} (live)", f"{label} (after)", n=2))


def healthy(kind: str, obj: dict[str, Any]) -> tuple[bool, str]:
    """kubectl rollout status, as a predicate: done?, and a one-line progress string."""
    spec, st, m = obj.get("spec") or {}, obj.get("status") or {}, obj.get("metadata") or {}
    if int(st.get("observedGeneration") or 0) < int(m.get("generation") or 0):
        return False, "controller has not observed the change yet"
    if kind == "daemonset":
        want = int(st.get("desiredNumberScheduled") or 0)
        upd, avail = int(st.get("updatedNumberScheduled") or 0), int(st.get("numberAvailable") or 0)
        return upd >= want and avail >= want, f"{upd}/{want} updated, {avail}/{want} available"
    want = int(spec.get("replicas", 1))
    upd, total = int(st.get("updatedReplicas") or 0), int(st.get("replicas") or 0)
    ready = int(st.get("availableReplicas" if kind == "deployment" else "readyReplicas") or 0)
    for c in st.get("conditions") or []:
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            return False, f"rollout stuck: {c.get('message')}"
    if kind == "statefulset" and st.get("updateRevision") and st.get("currentRevision") != st.get("updateRevision"):
        return False, f"{upd}/{want} updated to {st.get('updateRevision')}, {ready}/{want} ready"
    done = upd >= want and total <= want and ready >= want
    return done, f"{upd}/{want} updated, {ready}/{want} available, {total} total"


def verify(kube: kc.Kube, p: KubernetesWriteParams, kind: str, before: dict[str, Any]) -> tuple[bool, str, float]:
    started = time.monotonic()
    uid = (before.get("metadata") or {}).get("uid")
    progress = ""
    while True:
        elapsed = time.monotonic() - started
        try:
            obj = kube.get(kind, p.name, p.namespace)
            if kind == "pod":
                done = (obj.get("metadata") or {}).get("uid") != uid
                progress = "replaced" if done else "still terminating"
            else:
                done, progress = healthy(kind, obj)
        except kc.KubeError as err:
            if kind == "pod" and err.status == 404:
                return True, "deleted", elapsed
            progress = err.message
            done = False
        if done:
            return True, progress, elapsed
        if elapsed >= p.verify_timeout_s or progress.startswith("rollout stuck"):
            return False, progress, elapsed
        time.sleep(POLL_S)


class KubernetesWriteTool:
    name: ClassVar[str] = "kubernetes_write"
    description: ClassVar[str] = ("Change a workload (needs human approval): rollback, scale, set_resources, restart, "
                                  "delete_pod. Shows a server-side dry-run diff and the kubectl command first.")
    Params: ClassVar[type[BaseModel]] = KubernetesWriteParams
    writes: ClassVar[bool] = True

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(params, KubernetesWriteParams)
        p = params
        if not ({p.verb, "*"} & set(ctx.grant.verbs)):
            return denied(f"verb '{p.verb}' is not granted (allowed: {', '.join(ctx.grant.verbs)})")
        why = namespace_denied(ctx.grant, p.namespace)
        if why:
            return denied(why)
        approved_by = str(ctx.extra.get("approved_by") or "")
        apply = bool(approved_by) and not ctx.extra.get("dry_run")
        budget = ctx.config.tools.max_output_tokens * 4
        kind = "pod" if p.action == "delete_pod" else p.kind
        label = f"{kind}/{p.namespace}/{p.name}"
        try:
            with kc.from_context(ctx) as kube:
                before = kube.get(kind, p.name, p.namespace)
                try:
                    pl = plan(kube, p, before)
                except ValueError as exc:
                    return ToolResult.fail(str(exc))
                preview: dict[str, Any] = {"action": p.action, "target": label, "kubectl": pl.kubectl}
                try:
                    if pl.patch_type == "delete":
                        kube.delete(kind, p.name, p.namespace, dry_run=True)
                        after = None
                    else:
                        after = kube.patch(kind, p.name, p.namespace, pl.patch, pl.patch_type, dry_run=True)
                except kc.KubeError as err:
                    return ToolResult(status=ToolStatus.error, error=f"server-side dry run refused: {err.message}",
                                      data={**preview, "patch": pl.patch})
                diff = unified_diff(before, after, label) or "(no change: the object already looks like this)"
                if len(diff) > budget:
                    diff = diff[:budget] + f"\n… [diff cut: {len(diff) - budget} more chars]"
                preview.update(diff=diff, patch=pl.patch if pl.patch_type != "json" else "replace /spec/template")
                if not apply:
                    if ctx.extra.get("dry_run"):
                        return ToolResult.ok({**preview, "dry_run": True})
                    return ToolResult(status=ToolStatus.approval_required, data={**preview, "dry_run": True},
                                      error="not applied: writes run only after a human approves them")
                if pl.patch_type == "delete":
                    kube.delete(kind, p.name, p.namespace)
                else:
                    kube.patch(kind, p.name, p.namespace, pl.patch, pl.patch_type)
                ok, progress, took = verify(kube, p, kind, before)
        except kc.KubeError as err:
            if err.status == 404 and not err.not_served:
                return ToolResult.empty(f"{label} not found: {err.message}")
            return ToolResult.fail(err.message)
        result = {"action": p.action, "target": label, "kubectl": pl.kubectl, "applied": True,
                  "approved_by": approved_by, "healthy": ok, "progress": progress, "after_s": round(took, 1)}
        if not ok:
            return ToolResult(status=ToolStatus.error, data=result,
                              error=f"applied, but {label} not healthy after {took:.0f} s: {progress}")
        return ToolResult.ok(result)
