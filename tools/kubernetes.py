"""The read-only ``kubernetes`` tool: get / list / describe / events / logs / rollout_history.

Objects are never shown raw: each kind is summarized from an allow-list of fields (status, conditions,
container states, owners), so a ConfigMap shows its keys and never its values, a Secret only its name (it is
fetched as metadata only), env vars only their names, and the last-applied annotation (which can hold
anything) is dropped. Outputs are cut to the configured token budget with a note saying what was left out.
The agent's grant (namespaces, read verbs) is enforced here as well as by the policy: a call outside it
returns ``denied``, so direct callers and tests get the same answer as the model.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsquad.config import ToolGrant
from tools import kube_client as kc
from tools.base import ToolContext, ToolResult, ToolStatus

Kind = Literal["pod", "deployment", "replicaset", "service", "endpoints", "node", "pvc", "pv", "storageclass",
               "resourcequota", "limitrange", "configmap", "secret", "event", "namespace", "statefulset",
               "daemonset", "job", "cronjob", "ingress", "hpa"]
Action = Literal["get", "list", "describe", "events", "logs", "rollout_history"]

# Which grant verb each action needs; "read" or "*" in the grant allows every read verb.
VERB: dict[str, str] = {"get": "get", "list": "list", "describe": "get", "events": "events", "logs": "logs",
                        "rollout_history": "get"}
ERROR_LINE = re.compile(r"(?i)error|exception|fatal|panic|traceback|oom|out of memory|refused|timed? ?out|killed")
WORKLOADS = {"deployment", "replicaset", "statefulset", "daemonset", "job"}


class KubernetesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action = Field(description="get/describe one object (describe adds its events), list objects, "
                           "events of a namespace or object, logs of a pod (or a workload's worst pod), "
                           "rollout_history of a deployment with the template diff of its last rollout.")
    kind: Kind = Field(default="pod", description="Object kind; logs take pod or a workload kind.")
    name: str | None = Field(default=None, description="Object name (required for get, describe, logs, "
                             "rollout_history; optional filter for events).")
    namespace: str | None = Field(default=None, description="Namespace; omit with list/events for all.")
    label_selector: str | None = Field(default=None, description="e.g. 'app=checkout' (list, events, logs).")
    container: str | None = Field(default=None, description="Container for logs (default: the first).")
    tail: int = Field(default=200, ge=1, le=5000, description="Log lines from the end.")
    previous: bool = Field(default=False, description="Logs of the previous (crashed) container instance.")
    limit_bytes: int = Field(default=256_000, ge=1_000, le=2_000_000, description="Upper bound on log bytes read.")


def read_verbs_allowed(grant: ToolGrant, verb: str) -> bool:
    return bool({"*", "read", verb} & set(grant.verbs))


def namespace_denied(grant: ToolGrant, namespace: str | None) -> str | None:
    """None when allowed; else why. No namespace means all namespaces, which only a '*' grant allows."""
    if "*" in grant.namespaces:
        return None
    if namespace is None:
        return f"all namespaces are not granted: give a namespace (allowed: {', '.join(grant.namespaces)})"
    if namespace not in grant.namespaces:
        return f"namespace '{namespace}' is not granted (allowed: {', '.join(grant.namespaces)})"
    return None


def denied(reason: str) -> ToolResult:
    return ToolResult(status=ToolStatus.denied, error=reason)


# --- summaries: allow-listed fields per kind ---

def _meta(o: dict[str, Any]) -> dict[str, Any]:
    return o.get("metadata") or {}


def conditions(o: dict[str, Any], only_bad: bool = False) -> list[str]:
    good = {"Ready", "Available", "Progressing", "PodScheduled", "Initialized", "ContainersReady", "Complete"}
    out = []
    for c in (o.get("status") or {}).get("conditions") or []:
        ok = (c.get("status") == "True") == (c.get("type") in good)
        if only_bad and ok:
            continue
        why = " ".join(str(x) for x in (c.get("reason"), c.get("message")) if x)
        out.append(f"{c.get('type')}={c.get('status')}" + (f" ({kc.one_line(why, 200)})" if why else ""))
    return out


def _state(state: dict[str, Any]) -> str:
    if not state:
        return "unknown"
    key, val = next(iter(state.items()))
    val = val or {}
    if key == "running":
        return "running"
    if key == "waiting":
        return f"waiting: {val.get('reason', '')} {kc.one_line(val.get('message') or '', 160)}".strip()
    return f"terminated: {val.get('reason', '')} exit {val.get('exitCode')}".strip()


def _owner(o: dict[str, Any]) -> str:
    return ", ".join(f"{r.get('kind')}/{r.get('name')}" for r in _meta(o).get("ownerReferences") or [])


def _images(spec: dict[str, Any]) -> list[str]:
    return [str(c.get("image")) for c in spec.get("containers") or []]


def _pod(o: dict[str, Any], detail: bool) -> dict[str, Any]:
    st, spec = o.get("status") or {}, o.get("spec") or {}
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    main = st.get("containerStatuses") or []
    out: dict[str, Any] = {
        "status": next((s for s in (_state(c.get("state") or {}) for c in statuses) if s.startswith("waiting")),
                       st.get("reason") or st.get("phase")),
        "ready": f"{sum(1 for c in main if c.get('ready'))}/{len(spec.get('containers') or [])}",
        "restarts": sum(int(c.get("restartCount") or 0) for c in statuses), "node": spec.get("nodeName")}
    if not detail:
        return out
    limits = {c.get("name"): c.get("resources") or {} for c in spec.get("containers") or []}
    containers = []
    for c in statuses:
        last = (c.get("lastState") or {}).get("terminated")
        containers.append({"name": c.get("name"), "image": c.get("image"), "ready": c.get("ready"),
                           "restarts": c.get("restartCount"), "state": _state(c.get("state") or {}),
                           "last": f"{last.get('reason')} exit {last.get('exitCode')} at {last.get('finishedAt')}"
                           if last else None, "resources": limits.get(c.get("name"))})
    out.update(phase=st.get("phase"), message=st.get("message"), conditions=conditions(o), owner=_owner(o),
               containers=containers or [{"name": c.get("name"), "image": c.get("image")}
                                         for c in spec.get("containers") or []])
    return out


def _workload(o: dict[str, Any], detail: bool) -> dict[str, Any]:
    spec, st = o.get("spec") or {}, o.get("status") or {}
    tpl = (spec.get("template") or {}).get("spec") or {}
    out: dict[str, Any] = {
        "desired": spec.get("replicas", st.get("desiredNumberScheduled")),
        "ready": st.get("readyReplicas", st.get("numberReady", 0)),
        "available": st.get("availableReplicas", st.get("numberAvailable")),
        "updated": st.get("updatedReplicas", st.get("updatedNumberScheduled")),
        "images": _images(tpl)}
    if o.get("kind") == "Job":
        out = {"active": st.get("active", 0), "succeeded": st.get("succeeded", 0), "failed": st.get("failed", 0),
               "completions": spec.get("completions"), "images": _images(tpl)}
    if detail:
        out.update(revision=kc.revision(o) or None, owner=_owner(o), conditions=conditions(o),
                   selector=(spec.get("selector") or {}).get("matchLabels"),
                   strategy=(spec.get("strategy") or spec.get("updateStrategy") or {}).get("type"))
    return out


def summarize(kind: str, o: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    """The fields worth showing for one object; never data, values, env values or free-form annotations."""
    m, spec, st = _meta(o), o.get("spec") or {}, o.get("status") or {}
    row: dict[str, Any] = {"name": m.get("name")}
    if m.get("namespace"):
        row["namespace"] = m["namespace"]
    if kind == "pod":
        row.update(_pod(o, detail))
    elif kind in WORKLOADS:
        row.update(_workload(o, detail))
    elif kind == "service":
        row.update(type=spec.get("type"), selector=spec.get("selector"), cluster_ip=spec.get("clusterIP"),
                   ports=[f"{p.get('port')}->{p.get('targetPort')}/{p.get('protocol', 'TCP')}"
                          for p in spec.get("ports") or []])
    elif kind == "endpoints":
        subsets = o.get("subsets") or []
        row.update(ready=sum(len(s.get("addresses") or []) for s in subsets),
                   not_ready=sum(len(s.get("notReadyAddresses") or []) for s in subsets))
    elif kind == "node":
        row.update(ready=next((c.get("status") for c in st.get("conditions") or [] if c.get("type") == "Ready"),
                              "Unknown"), unschedulable=bool(spec.get("unschedulable")),
                   problems=conditions(o, only_bad=True))
        if detail:
            row.update(taints=[f"{t.get('key')}:{t.get('effect')}" for t in spec.get("taints") or []],
                       allocatable=st.get("allocatable"),
                       kubelet=(st.get("nodeInfo") or {}).get("kubeletVersion"))
    elif kind == "pvc":
        row.update(phase=st.get("phase"), storage_class=spec.get("storageClassName"), volume=spec.get("volumeName"),
                   requested=((spec.get("resources") or {}).get("requests") or {}).get("storage"))
    elif kind == "pv":
        claim = spec.get("claimRef") or {}
        row.update(phase=st.get("phase"), storage_class=spec.get("storageClassName"),
                   capacity=(spec.get("capacity") or {}).get("storage"),
                   claim=f"{claim.get('namespace')}/{claim.get('name')}" if claim else None)
    elif kind == "storageclass":
        row.update(provisioner=o.get("provisioner"), binding=o.get("volumeBindingMode"),
                   default=(m.get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true")
    elif kind == "resourcequota":
        row.update(hard=st.get("hard") or spec.get("hard"), used=st.get("used"))
    elif kind == "limitrange":
        row.update(limits=spec.get("limits"))
    elif kind == "configmap":
        row.update(keys=sorted(list(o.get("data") or {}) + list(o.get("binaryData") or {})))
    elif kind == "secret":
        row.update(note="names only; secret data is never read")
    elif kind == "event":
        row = event_row(o)
    elif kind == "namespace":
        row.update(phase=st.get("phase"))
    elif kind == "cronjob":
        row.update(schedule=spec.get("schedule"), suspend=spec.get("suspend"), active=len(st.get("active") or []),
                   last_schedule=st.get("lastScheduleTime"))
    elif kind == "ingress":
        row.update(cls=spec.get("ingressClassName"), rules=[
            f"{r.get('host', '*')}{p.get('path', '/')} -> {_backend(p.get('backend') or {})}"
            for r in spec.get("rules") or [] for p in (r.get("http") or {}).get("paths") or []])
    elif kind == "hpa":
        ref = spec.get("scaleTargetRef") or {}
        row.update(target=f"{ref.get('kind')}/{ref.get('name')}", min=spec.get("minReplicas"),
                   max=spec.get("maxReplicas"), current=st.get("currentReplicas"), desired=st.get("desiredReplicas"),
                   problems=conditions(o, only_bad=True))
    if detail:
        row["labels"] = m.get("labels")
        row["created"] = m.get("creationTimestamp")
    return row


def _backend(b: dict[str, Any]) -> str:
    svc = b.get("service") or {}
    if svc:
        port = svc.get("port") or {}
        return f"{svc.get('name')}:{port.get('number') or port.get('name')}"
    return f"{b.get('serviceName')}:{b.get('servicePort')}"


def event_row(ev: dict[str, Any]) -> dict[str, Any]:
    inv = ev.get("involvedObject") or ev.get("regarding") or {}
    return {"time": kc.event_time(ev).isoformat(), "type": ev.get("type"), "reason": ev.get("reason"),
            "object": f"{str(inv.get('kind', '')).lower()}/{inv.get('name')}", "count": ev.get("count") or 1,
            "message": kc.one_line(ev.get("message") or ev.get("note") or "", 240)}


def pick_container(pod: dict[str, Any], wanted: str | None) -> str | None:
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    if wanted or not names:
        return wanted
    if len(names) == 1:
        return str(names[0])
    default = (_meta(pod).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    return str(default or names[0])


def split_logs(text: str, tail: int, budget: int) -> dict[str, Any]:
    """Error lines first (they are what an on-call reader looks for), then the tail, both within budget."""
    lines = text.splitlines()
    errors = [f"{i + 1}: {line[:300]}" for i, line in enumerate(lines) if ERROR_LINE.search(line)]
    shown_err, err_note = kc.fit(errors[-50:], budget // 2)
    tail_lines = [line[:300] for line in lines[-tail:]]
    shown_tail, _ = kc.fit(list(reversed(tail_lines)), budget - sum(len(e) + 3 for e in shown_err))
    out: dict[str, Any] = {"lines": len(lines), "error_line_count": len(errors), "error_lines": shown_err,
                           "tail": list(reversed(shown_tail))}
    if err_note or len(errors) > 50 or len(shown_tail) < len(tail_lines):
        out["note"] = (f"cut to budget: {len(shown_err)} of {len(errors)} error lines, "
                       f"last {len(shown_tail)} of {len(tail_lines)} tail lines")
    return out


class KubernetesTool:
    name: ClassVar[str] = "kubernetes"
    description: ClassVar[str] = ("Read the Kubernetes cluster: get, list, describe (with events), events, "
                                  "logs (error lines first), rollout_history (template diff of the last rollout).")
    Params: ClassVar[type[BaseModel]] = KubernetesParams
    writes: ClassVar[bool] = False

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(params, KubernetesParams)
        p = params
        verb = VERB[p.action]
        if not read_verbs_allowed(ctx.grant, verb):
            return denied(f"verb '{verb}' is not granted (allowed: {', '.join(ctx.grant.verbs)})")
        res = kc.RESOURCES[p.kind]
        ns = p.namespace or ctx.extra.get("namespace")
        if res.namespaced and not ns and p.action not in ("list", "events"):
            ns = "default"
        if res.namespaced or p.action in ("events",):
            why = namespace_denied(ctx.grant, ns)
            if why:
                return denied(why)
        if p.action in ("get", "describe", "logs", "rollout_history") and not p.name:
            return ToolResult.fail(f"{p.action} needs a name")
        budget = ctx.config.tools.max_output_tokens * 4
        try:
            with kc.from_context(ctx) as kube:
                return self._run(kube, p, ns if res.namespaced else None, ns, budget, ctx.grant)
        except kc.KubeError as err:
            if err.status == 404 and not err.not_served:
                return ToolResult.empty(f"{p.kind} {p.name or ''} not found in {ns or 'the cluster'}: {err.message}")
            return ToolResult.fail(err.message)

    def _run(self, kube: kc.Kube, p: KubernetesParams, ns: str | None, event_ns: str | None, budget: int,
             grant: ToolGrant) -> ToolResult:
        if p.action == "list":
            items = kube.list(p.kind, ns, p.label_selector)
            if not items:
                return ToolResult.empty(f"no {p.kind} in {ns or 'any namespace'}"
                                        + (f" matching {p.label_selector}" if p.label_selector else ""))
            rows, note = kc.fit([summarize(p.kind, o) for o in items], budget - 200)
            return ToolResult.ok({"kind": p.kind, "namespace": ns, "total": len(items), "items": rows,
                                  **({"note": note} if note else {})})
        if p.action == "events":
            return self._events(kube, event_ns, p, budget)
        if p.action == "logs":
            return self._logs(kube, p, str(ns), budget)
        obj = kube.get(p.kind, str(p.name), ns)
        if p.action == "rollout_history":
            return rollout_history(kube, p, obj, budget)
        summary = summarize(p.kind, obj, detail=True)
        if p.action == "get":
            return ToolResult.ok({"kind": p.kind, "object": summary})
        events: list[dict[str, Any]] = []
        if read_verbs_allowed(grant, "events"):
            sel = f"involvedObject.name={p.name}" + (f",involvedObject.namespace={ns}" if ns else "")
            evs = sorted(kube.list("event", ns, field_selector=sel), key=kc.event_time)
            events = [event_row(e) for e in evs]
        shown, note = kc.fit(list(reversed(events)), max(400, budget - len(str(summary)) - 100))
        out = {"kind": p.kind, "object": summary, "events": list(reversed(shown))}
        return ToolResult.ok({**out, **({"note": "events " + note} if note else {})})

    def _events(self, kube: kc.Kube, ns: str | None, p: KubernetesParams, budget: int) -> ToolResult:
        sel = f"involvedObject.name={p.name}" if p.name else None
        evs = sorted(kube.list("event", ns, field_selector=sel), key=kc.event_time)
        if not evs:
            return ToolResult.empty(f"no events in {ns or 'any namespace'}" + (f" for {p.name}" if p.name else ""))
        rows = [event_row(e) for e in evs]
        shown, note = kc.fit(list(reversed(rows)), budget - 200)  # the newest matter most: keep them
        return ToolResult.ok({"namespace": ns, "total": len(rows), "events": list(reversed(shown)),
                              **({"note": note} if note else {})})

    def _logs(self, kube: kc.Kube, p: KubernetesParams, ns: str, budget: int) -> ToolResult:
        if p.kind == "pod":
            pod = kube.get("pod", str(p.name), ns)
        elif p.kind in WORKLOADS:
            owner = kube.get(p.kind, str(p.name), ns)
            labels = ((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            sel = p.label_selector or ",".join(f"{k}={v}" for k, v in labels.items())
            pods = kube.list("pod", ns, sel)
            if not pods:
                return ToolResult.empty(f"{p.kind} {p.name} has no pods (selector {sel})")
            pod = max(pods, key=lambda o: (int(_pod(o, False)["restarts"]), _pod(o, False)["status"] != "Running"))
        else:
            return ToolResult.fail(f"logs need kind pod or a workload ({', '.join(sorted(WORKLOADS))}), not {p.kind}")
        name = str(_meta(pod).get("name"))
        container = pick_container(pod, p.container)
        text = kube.logs(ns, name, container, p.tail, p.limit_bytes, p.previous)
        if not text.strip():
            return ToolResult.empty(f"pod {ns}/{name} has no log output" + (" (previous)" if p.previous else ""))
        out = split_logs(text, p.tail, budget - 200)
        return ToolResult.ok({"pod": name, "namespace": ns, "container": container, "previous": p.previous, **out})


def rollout_history(kube: kc.Kube, p: KubernetesParams, dep: dict[str, Any], budget: int) -> ToolResult:
    if p.kind != "deployment":
        return ToolResult.fail(f"rollout_history needs kind deployment, not {p.kind}")
    ns = _meta(dep).get("namespace")
    labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    rss = kc.owned_replicasets(dep, kube.list("replicaset", ns, ",".join(f"{k}={v}" for k, v in labels.items())))
    if not rss:
        return ToolResult.empty(f"deployment {ns}/{p.name} has no ReplicaSets yet")
    current = kc.revision(dep)
    rows = [{"revision": kc.revision(rs), "replicaset": _meta(rs).get("name"),
             "created": _meta(rs).get("creationTimestamp"), "replicas": (rs.get("status") or {}).get("replicas", 0),
             "ready": (rs.get("status") or {}).get("readyReplicas", 0),
             "images": _images(((rs.get("spec") or {}).get("template") or {}).get("spec") or {}),
             "change_cause": (_meta(rs).get("annotations") or {}).get("kubernetes.io/change-cause")} for rs in rss]
    cur = next((rs for rs in rss if kc.revision(rs) == current), rss[-1])
    older = [rs for rs in rss if kc.revision(rs) < kc.revision(cur)]
    out: dict[str, Any] = {"deployment": p.name, "namespace": ns, "current_revision": kc.revision(cur)}
    if older:
        prev = older[-1]
        out["diff_from_revision"] = kc.revision(prev)
        out["template_diff"] = kc.template_diff((prev.get("spec") or {}).get("template") or {},
                                                (cur.get("spec") or {}).get("template") or {}) or ["no change"]
    shown, note = kc.fit(list(reversed(rows)), max(400, budget - len(str(out)) - 100))
    out["revisions"] = shown  # newest first
    return ToolResult.ok({**out, **({"note": note} if note else {})})
