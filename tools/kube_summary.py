"""Summaries of Kubernetes objects for the ``kubernetes`` tool: an allow-list of fields per kind.

Objects are never shown raw: each kind is summarized from the fields below (status, conditions, container
states, owners), so a ConfigMap shows its keys and never its values, a Secret only its name, env vars not at
all, and the last-applied annotation (which can hold anything) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from opsquad.text import one_line
from tools import kube_objects as ko
from tools.kube_objects import Obj, meta

WORKLOADS = {"deployment", "replicaset", "statefulset", "daemonset", "job"}


def conditions(o: Obj, only_bad: bool = False) -> list[str]:
    good = {"Ready", "Available", "Progressing", "PodScheduled", "Initialized", "ContainersReady", "Complete"}
    out = []
    for c in (o.get("status") or {}).get("conditions") or []:
        ok = (c.get("status") == "True") == (c.get("type") in good)
        if only_bad and ok:
            continue
        why = " ".join(str(x) for x in (c.get("reason"), c.get("message")) if x)
        out.append(f"{c.get('type')}={c.get('status')}" + (f" ({one_line(why, 200)})" if why else ""))
    return out


def _state(state: Obj) -> str:
    if not state:
        return "unknown"
    key, val = next(iter(state.items()))
    val = val or {}
    if key == "running":
        return "running"
    if key == "waiting":
        return f"waiting: {val.get('reason', '')} {one_line(val.get('message') or '', 160)}".strip()
    return f"terminated: {val.get('reason', '')} exit {val.get('exitCode')}".strip()


def _owner(o: Obj) -> str:
    return ", ".join(f"{r.get('kind')}/{r.get('name')}" for r in meta(o).get("ownerReferences") or [])


def images(spec: Obj) -> list[str]:
    return [str(c.get("image")) for c in spec.get("containers") or []]


def _spec(o: Obj) -> Obj:
    return o.get("spec") or {}


def _status(o: Obj) -> Obj:
    return o.get("status") or {}


def _pod_containers(o: Obj) -> list[Obj]:
    st, spec = _status(o), _spec(o)
    limits = {c.get("name"): c.get("resources") or {} for c in spec.get("containers") or []}
    containers = []
    for c in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
        last = (c.get("lastState") or {}).get("terminated")
        containers.append({"name": c.get("name"), "image": c.get("image"), "ready": c.get("ready"),
                           "restarts": c.get("restartCount"), "state": _state(c.get("state") or {}),
                           "last": f"{last.get('reason')} exit {last.get('exitCode')} at {last.get('finishedAt')}"
                           if last else None, "resources": limits.get(c.get("name"))})
    return containers or [{"name": c.get("name"), "image": c.get("image")} for c in spec.get("containers") or []]


def _pod(o: Obj, detail: bool) -> Obj:
    st, spec = _status(o), _spec(o)
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    main = st.get("containerStatuses") or []
    out: Obj = {
        "status": next((s for s in (_state(c.get("state") or {}) for c in statuses) if s.startswith("waiting")),
                       st.get("reason") or st.get("phase")),
        "ready": f"{sum(1 for c in main if c.get('ready'))}/{len(spec.get('containers') or [])}",
        "restarts": sum(int(c.get("restartCount") or 0) for c in statuses), "node": spec.get("nodeName")}
    if detail:
        out.update(phase=st.get("phase"), message=st.get("message"), conditions=conditions(o), owner=_owner(o),
                   containers=_pod_containers(o))
    return out


def _workload(o: Obj, detail: bool) -> Obj:
    spec, st = _spec(o), _status(o)
    tpl = (spec.get("template") or {}).get("spec") or {}
    out: Obj = {
        "desired": spec.get("replicas", st.get("desiredNumberScheduled")),
        "ready": st.get("readyReplicas", st.get("numberReady", 0)),
        "available": st.get("availableReplicas", st.get("numberAvailable")),
        "updated": st.get("updatedReplicas", st.get("updatedNumberScheduled")),
        "images": images(tpl)}
    if o.get("kind") == "Job":
        out = {"active": st.get("active", 0), "succeeded": st.get("succeeded", 0), "failed": st.get("failed", 0),
               "completions": spec.get("completions"), "images": images(tpl)}
    if detail:
        out.update(revision=ko.revision(o) or None, owner=_owner(o), conditions=conditions(o),
                   selector=(spec.get("selector") or {}).get("matchLabels"),
                   strategy=(spec.get("strategy") or spec.get("updateStrategy") or {}).get("type"))
    return out


def _service(o: Obj, _detail: bool) -> Obj:
    spec = _spec(o)
    return {"type": spec.get("type"), "selector": spec.get("selector"), "cluster_ip": spec.get("clusterIP"),
            "ports": [f"{p.get('port')}->{p.get('targetPort')}/{p.get('protocol', 'TCP')}"
                      for p in spec.get("ports") or []]}


def _endpoints(o: Obj, _detail: bool) -> Obj:
    subsets = o.get("subsets") or []
    return {"ready": sum(len(s.get("addresses") or []) for s in subsets),
            "not_ready": sum(len(s.get("notReadyAddresses") or []) for s in subsets)}


def _node(o: Obj, detail: bool) -> Obj:
    spec, st = _spec(o), _status(o)
    ready = ko.condition(o, "Ready")
    out: Obj = {"ready": ready.get("status") if ready else "Unknown",
                "unschedulable": bool(spec.get("unschedulable")), "problems": conditions(o, only_bad=True)}
    if detail:
        out.update(taints=[f"{t.get('key')}:{t.get('effect')}" for t in spec.get("taints") or []],
                   allocatable=st.get("allocatable"), kubelet=(st.get("nodeInfo") or {}).get("kubeletVersion"))
    return out


def _pvc(o: Obj, _detail: bool) -> Obj:
    spec = _spec(o)
    return {"phase": _status(o).get("phase"), "storage_class": spec.get("storageClassName"),
            "volume": spec.get("volumeName"),
            "requested": ((spec.get("resources") or {}).get("requests") or {}).get("storage")}


def _pv(o: Obj, _detail: bool) -> Obj:
    spec = _spec(o)
    claim = spec.get("claimRef") or {}
    return {"phase": _status(o).get("phase"), "storage_class": spec.get("storageClassName"),
            "capacity": (spec.get("capacity") or {}).get("storage"),
            "claim": f"{claim.get('namespace')}/{claim.get('name')}" if claim else None}


def _storageclass(o: Obj, _detail: bool) -> Obj:
    default = (meta(o).get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    return {"provisioner": o.get("provisioner"), "binding": o.get("volumeBindingMode"), "default": default}


def _cronjob(o: Obj, _detail: bool) -> Obj:
    spec, st = _spec(o), _status(o)
    return {"schedule": spec.get("schedule"), "suspend": spec.get("suspend"), "active": len(st.get("active") or []),
            "last_schedule": st.get("lastScheduleTime")}


def _backend(b: Obj) -> str:
    svc = b.get("service") or {}
    if svc:
        port = svc.get("port") or {}
        return f"{svc.get('name')}:{port.get('number') or port.get('name')}"
    return f"{b.get('serviceName')}:{b.get('servicePort')}"


def _ingress(o: Obj, _detail: bool) -> Obj:
    spec = _spec(o)
    return {"cls": spec.get("ingressClassName"), "rules": [
        f"{r.get('host', '*')}{p.get('path', '/')} -> {_backend(p.get('backend') or {})}"
        for r in spec.get("rules") or [] for p in (r.get("http") or {}).get("paths") or []]}


def _hpa(o: Obj, _detail: bool) -> Obj:
    spec, st = _spec(o), _status(o)
    ref = spec.get("scaleTargetRef") or {}
    return {"target": f"{ref.get('kind')}/{ref.get('name')}", "min": spec.get("minReplicas"),
            "max": spec.get("maxReplicas"), "current": st.get("currentReplicas"), "desired": st.get("desiredReplicas"),
            "problems": conditions(o, only_bad=True)}


Summarizer = Callable[[Obj, bool], Obj]

# The fields shown per kind, after name and namespace; a kind not listed shows only those. Events have their own
# row (``event_row``).
SUMMARIES: dict[str, Summarizer] = {
    "pod": _pod,
    **dict.fromkeys(WORKLOADS, _workload),
    "service": _service,
    "endpoints": _endpoints,
    "node": _node,
    "pvc": _pvc,
    "pv": _pv,
    "storageclass": _storageclass,
    "resourcequota": lambda o, _d: {"hard": _status(o).get("hard") or _spec(o).get("hard"),
                                    "used": _status(o).get("used")},
    "limitrange": lambda o, _d: {"limits": _spec(o).get("limits")},
    "configmap": lambda o, _d: {"keys": sorted(list(o.get("data") or {}) + list(o.get("binaryData") or {}))},
    "secret": lambda _o, _d: {"note": "names only; secret data is never read"},
    "namespace": lambda o, _d: {"phase": _status(o).get("phase")},
    "cronjob": _cronjob,
    "ingress": _ingress,
    "hpa": _hpa,
}


def summarize(kind: str, o: Obj, detail: bool = False) -> Obj:
    """The fields worth showing for one object; never data, values, env values or free-form annotations."""
    m = meta(o)
    if kind == "event":
        row = event_row(o)
    else:
        row = {"name": m.get("name"), **({"namespace": m["namespace"]} if m.get("namespace") else {})}
        summary = SUMMARIES.get(kind)
        if summary is not None:
            row.update(summary(o, detail))
    if detail:
        row["labels"] = m.get("labels")
        row["created"] = m.get("creationTimestamp")
    return row


def event_row(ev: Obj) -> Obj:
    return {"time": ko.event_time(ev).isoformat(), "type": ev.get("type"), "reason": ev.get("reason"),
            "object": ko.kind_name(ko.involved(ev)), "count": ev.get("count") or 1,
            "message": one_line(ev.get("message") or ev.get("note") or "", 240)}
