"""Helpers on Kubernetes API JSON (plain dicts, as ``tools.kube_client`` returns them), shared by the
``kubernetes`` tools and the SRE analyzers: metadata and conditions, quantities, event times and lines,
rollout revisions and pod-template diffs, and cutting a list to an output budget.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from opsquad.text import one_line

Obj = dict[str, Any]


# --- metadata, conditions, labels ---

def meta(o: Obj) -> Obj:
    return o.get("metadata") or {}


def ns_name(o: Obj) -> tuple[str | None, str]:
    m = meta(o)
    return m.get("namespace"), str(m.get("name"))


def condition(o: Obj, ctype: str) -> Obj | None:
    return next((c for c in (o.get("status") or {}).get("conditions") or [] if c.get("type") == ctype), None)


def labels_match(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


_SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_QTY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ('500m', '2Gi', '1e3', '10') as a number; None when it is not one."""
    match = _QTY.match(str(value).strip())
    if not match:
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2) or ""]


# --- events ---

def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def event_time(ev: Obj) -> datetime:
    """When an event last happened: lastTimestamp, else eventTime, else firstTimestamp, else creation."""
    for key in ("lastTimestamp", "eventTime", "firstTimestamp"):
        t = parse_time(ev.get(key))
        if t:
            return t
    return parse_time(meta(ev).get("creationTimestamp")) or datetime.min.replace(tzinfo=UTC)


def involved(ev: Obj) -> Obj:
    """The object an event is about (core/v1 ``involvedObject``, events.k8s.io ``regarding``)."""
    return ev.get("involvedObject") or ev.get("regarding") or {}


def kind_name(ref: Obj) -> str:
    """``pod/checkout-1`` for an object reference."""
    return f"{str(ref.get('kind', '')).lower()}/{ref.get('name')}"


def event_line(ev: Obj) -> str:
    """One event as evidence: type, reason, object, repeat count, time and message."""
    count = int(ev.get("count") or 1)
    return (f"event {ev.get('type')} {ev.get('reason')} on {kind_name(ev.get('involvedObject') or {})}"
            f"{f' x{count}' if count > 1 else ''} at {event_time(ev).isoformat()}: "
            f"{one_line(str(ev.get('message') or ''), 200)}")


# --- rollouts ---

def revision(obj: Obj) -> int:
    ann = meta(obj).get("annotations") or {}
    try:
        return int(ann.get("deployment.kubernetes.io/revision", "0"))
    except ValueError:
        return 0


def owned_replicasets(deployment: Obj, replicasets: list[Obj]) -> list[Obj]:
    """The deployment's ReplicaSets (by owner uid), oldest revision first."""
    uid = meta(deployment).get("uid")
    owned = [rs for rs in replicasets if any(o.get("uid") == uid for o in meta(rs).get("ownerReferences") or [])]
    return sorted(owned, key=revision)


def workload_of(pod: Obj, replicasets: list[Obj]) -> tuple[str, str]:
    """(kind, name) of what manages a pod: the Deployment behind its ReplicaSet, else the direct owner."""
    owners = meta(pod).get("ownerReferences") or []
    if not owners:
        return "pod", str(meta(pod).get("name"))
    owner = owners[0]
    if owner.get("kind") == "ReplicaSet":
        rs = next((r for r in replicasets if meta(r).get("name") == owner.get("name")), None)
        rs_owner = (meta(rs).get("ownerReferences") or [{}])[0] if rs else {}
        if rs_owner.get("kind") == "Deployment":
            return "deployment", str(rs_owner.get("name"))
        tpl_hash = (meta(pod).get("labels") or {}).get("pod-template-hash")
        name = str(owner.get("name"))
        if rs is None and tpl_hash and name.endswith("-" + tpl_hash):
            return "deployment", name[: -len(tpl_hash) - 1]
        return "replicaset", name
    return str(owner.get("kind", "pod")).lower(), str(owner.get("name"))


def _containers(template: Obj) -> dict[str, Obj]:
    spec = template.get("spec") or {}
    out = {}
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            out[("init:" if key == "initContainers" else "") + str(c.get("name"))] = c
    return out


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))[:160] if value is not None else "none"


def _env_diff(a: Obj, b: Obj) -> list[str]:
    """Env var names added, removed or changed; values are never shown."""
    ae = {e.get("name"): e for e in a.get("env") or []}
    be = {e.get("name"): e for e in b.get("env") or []}
    return ([f"env {env} added" for env in sorted(set(be) - set(ae))]
            + [f"env {env} removed" for env in sorted(set(ae) - set(be))]
            + [f"env {env} changed (value not shown)" for env in sorted(set(ae) & set(be)) if ae[env] != be[env]])


def _resources_diff(a: Obj, b: Obj) -> list[str]:
    ar, br = a.get("resources") or {}, b.get("resources") or {}
    lines = []
    for section in ("requests", "limits"):
        sa, sb = ar.get(section) or {}, br.get(section) or {}
        lines += [f"{section}.{res} {sa.get(res, 'unset')} -> {sb.get(res, 'unset')}"
                  for res in sorted(set(sa) | set(sb)) if sa.get(res) != sb.get(res)]
    return lines


def _container_diff(a: Obj, b: Obj) -> list[str]:
    lines = [f"image {a.get('image')} -> {b.get('image')}"] if a.get("image") != b.get("image") else []
    lines += [f"{key} {_compact(a.get(key))} -> {_compact(b.get(key))}"
              for key in ("command", "args") if a.get(key) != b.get(key)]
    lines += _env_diff(a, b) + _resources_diff(a, b)
    lines += [f"{key} {_compact(a.get(key))} -> {_compact(b.get(key))}"
              for key in ("readinessProbe", "livenessProbe", "startupProbe", "ports") if a.get(key) != b.get(key)]
    return lines


def _pod_spec_diff(old: Obj, new: Obj) -> list[str]:
    osp, nsp = old.get("spec") or {}, new.get("spec") or {}
    lines = []
    if osp.get("serviceAccountName") != nsp.get("serviceAccountName"):
        lines.append(f"serviceAccountName {osp.get('serviceAccountName')} -> {nsp.get('serviceAccountName')}")
    ov = sorted(str(v.get("name")) for v in osp.get("volumes") or [])
    nv = sorted(str(v.get("name")) for v in nsp.get("volumes") or [])
    if ov != nv:
        lines.append(f"volumes {ov} -> {nv}")
    return lines


def template_diff(old: Obj, new: Obj) -> list[str]:
    """What changed between two pod templates, one line each: images, command/args, env names (never values),
    resources, probes, ports, service account and volumes. This is how a bad rollout shows its cause."""
    oc, nc = _containers(old), _containers(new)
    lines = [f"container {name}: removed" for name in sorted(set(oc) - set(nc))]
    lines += [f"container {name}: added (image {nc[name].get('image')})" for name in sorted(set(nc) - set(oc))]
    lines += [f"container {name}: {line}" for name in sorted(set(oc) & set(nc))
              for line in _container_diff(oc[name], nc[name])]
    return lines + _pod_spec_diff(old, new)


def clean_template(template: Obj) -> Obj:
    """A ReplicaSet's template as a Deployment template: without the pod-template-hash label (kubectl does this)."""
    tpl = json.loads(json.dumps(template))
    labels = meta(tpl).get("labels") or {}
    labels.pop("pod-template-hash", None)
    return dict(tpl)


# --- output budget ---

def fit(items: list[Any], budget: int) -> tuple[list[Any], str]:
    """Keep items (in order) while their JSON fits ``budget`` chars; the note says how many were left out."""
    kept: list[Any] = []
    used = 0
    for item in items:
        size = len(json.dumps(item, default=str, separators=(",", ":"))) + 1
        if used + size > budget and kept:
            break
        kept.append(item)
        used += size
    note = f"showing {len(kept)} of {len(items)}; narrow with name/label_selector" if len(kept) < len(items) else ""
    return kept, note
