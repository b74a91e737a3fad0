"""The read-only ``kubernetes`` tool: get / list / describe / events / logs / rollout_history.

Objects are never shown raw: each kind is summarized from an allow-list of fields (``tools.kube_summary``:
status, conditions, container states, owners), so a ConfigMap shows its keys and never its values, a Secret
only its name (it is fetched as metadata only), env vars only their names, and the last-applied annotation
(which can hold anything) is dropped. Outputs are cut to the configured token budget with a note saying what
was left out. The agent's grant (namespaces, read verbs) is enforced here as well as by the policy: a call outside it
returns ``denied``, so direct callers and tests get the same answer as the model.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsquad.config import ToolGrant
from tools import kube_client as kc
from tools import kube_objects as ko
from tools.base import ToolContext, ToolResult, ToolStatus
from tools.kube_objects import meta
from tools.kube_summary import WORKLOADS, event_row, images, summarize

Kind = Literal["pod", "deployment", "replicaset", "service", "endpoints", "node", "pvc", "pv", "storageclass",
               "resourcequota", "limitrange", "configmap", "secret", "event", "namespace", "statefulset",
               "daemonset", "job", "cronjob", "ingress", "hpa"]
Action = Literal["get", "list", "describe", "events", "logs", "rollout_history"]

# Which grant verb each action needs; "read" or "*" in the grant allows every read verb.
VERB: dict[str, str] = {"get": "get", "list": "list", "describe": "get", "events": "events", "logs": "logs",
                        "rollout_history": "get"}
ERROR_LINE = re.compile(r"(?i)error|exception|fatal|panic|traceback|oom|out of memory|refused|timed? ?out|killed")


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


def pick_container(pod: dict[str, Any], wanted: str | None) -> str | None:
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    if wanted or not names:
        return wanted
    if len(names) == 1:
        return str(names[0])
    default = (meta(pod).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    return str(default or names[0])


def _log_priority(pod: dict[str, Any]) -> tuple[int, bool]:
    """Which of a workload's pods to read logs from: the most restarts, then one that is not Running."""
    row = summarize("pod", pod)
    return int(row["restarts"]), row["status"] != "Running"


def split_logs(text: str, tail: int, budget: int) -> dict[str, Any]:
    """Error lines first (they are what an on-call reader looks for), then the tail, both within budget."""
    lines = text.splitlines()
    errors = [f"{i + 1}: {line[:300]}" for i, line in enumerate(lines) if ERROR_LINE.search(line)]
    shown_err, err_note = ko.fit(errors[-50:], budget // 2)
    tail_lines = [line[:300] for line in lines[-tail:]]
    shown_tail, _ = ko.fit(list(reversed(tail_lines)), budget - sum(len(e) + 3 for e in shown_err))
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
            rows, note = ko.fit([summarize(p.kind, o) for o in items], budget - 200)
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
            evs = sorted(kube.list("event", ns, field_selector=sel), key=ko.event_time)
            events = [event_row(e) for e in evs]
        shown, note = ko.fit(list(reversed(events)), max(400, budget - len(str(summary)) - 100))
        out = {"kind": p.kind, "object": summary, "events": list(reversed(shown))}
        return ToolResult.ok({**out, **({"note": "events " + note} if note else {})})

    def _events(self, kube: kc.Kube, ns: str | None, p: KubernetesParams, budget: int) -> ToolResult:
        sel = f"involvedObject.name={p.name}" if p.name else None
        evs = sorted(kube.list("event", ns, field_selector=sel), key=ko.event_time)
        if not evs:
            return ToolResult.empty(f"no events in {ns or 'any namespace'}" + (f" for {p.name}" if p.name else ""))
        rows = [event_row(e) for e in evs]
        shown, note = ko.fit(list(reversed(rows)), budget - 200)  # the newest matter most: keep them
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
            pod = max(pods, key=_log_priority)
        else:
            return ToolResult.fail(f"logs need kind pod or a workload ({', '.join(sorted(WORKLOADS))}), not {p.kind}")
        name = str(meta(pod).get("name"))
        container = pick_container(pod, p.container)
        text = kube.logs(ns, name, container, p.tail, p.limit_bytes, p.previous)
        if not text.strip():
            return ToolResult.empty(f"pod {ns}/{name} has no log output" + (" (previous)" if p.previous else ""))
        out = split_logs(text, p.tail, budget - 200)
        return ToolResult.ok({"pod": name, "namespace": ns, "container": container, "previous": p.previous, **out})


def rollout_history(kube: kc.Kube, p: KubernetesParams, dep: dict[str, Any], budget: int) -> ToolResult:
    if p.kind != "deployment":
        return ToolResult.fail(f"rollout_history needs kind deployment, not {p.kind}")
    ns = meta(dep).get("namespace")
    labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    rss = ko.owned_replicasets(dep, kube.list("replicaset", ns, ",".join(f"{k}={v}" for k, v in labels.items())))
    if not rss:
        return ToolResult.empty(f"deployment {ns}/{p.name} has no ReplicaSets yet")
    current = ko.revision(dep)
    rows = [{"revision": ko.revision(rs), "replicaset": meta(rs).get("name"),
             "created": meta(rs).get("creationTimestamp"), "replicas": (rs.get("status") or {}).get("replicas", 0),
             "ready": (rs.get("status") or {}).get("readyReplicas", 0),
             "images": images(((rs.get("spec") or {}).get("template") or {}).get("spec") or {}),
             "change_cause": (meta(rs).get("annotations") or {}).get("kubernetes.io/change-cause")} for rs in rss]
    cur = next((rs for rs in rss if ko.revision(rs) == current), rss[-1])
    older = [rs for rs in rss if ko.revision(rs) < ko.revision(cur)]
    out: dict[str, Any] = {"deployment": p.name, "namespace": ns, "current_revision": ko.revision(cur)}
    if older:
        prev = older[-1]
        out["diff_from_revision"] = ko.revision(prev)
        out["template_diff"] = ko.template_diff((prev.get("spec") or {}).get("template") or {},
                                                (cur.get("spec") or {}).get("template") or {}) or ["no change"]
    shown, note = ko.fit(list(reversed(rows)), max(400, budget - len(str(out)) - 100))
    out["revisions"] = shown  # newest first
    return ToolResult.ok({**out, **({"note": note} if note else {})})
