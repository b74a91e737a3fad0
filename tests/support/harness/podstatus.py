"""Pod and container status the way a kubelet reports it, for the fake kubelet's scenario states.

Why a separate module: these are pure functions of (pod, state), so the shapes the SRE agent reads (CrashLoopBackOff
with an OOMKilled lastState, ImagePullBackOff naming the image, Ready=False from a failing probe) are defined in one
place, independent of the loop that writes them to the API server.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

STATES = ("running", "crashloop", "imagepull", "not_ready", "pending", "succeeded", "failed")


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod_status(pod: dict[str, Any], state: str, kw: dict[str, Any], started: str, ip: str) -> dict[str, Any]:
    """The status a kubelet would report for `pod` in `state` (see STATES; keywords as FakeKubelet.set_pod_state)."""
    uid = pod["metadata"]["uid"]
    now = now_rfc3339()
    only = kw.get("container")
    statuses = []
    for c in pod["spec"]["containers"]:
        c_state = state if only in (None, c["name"]) else "running"
        statuses.append(container_status(uid, c, c_state, kw, started))
    all_ready = all(s["ready"] for s in statuses)
    phase = {"pending": "Pending", "imagepull": "Pending", "succeeded": "Succeeded", "failed": "Failed"}.get(
        state, "Running")

    def cond(kind: str, ok: bool, reason: str | None = None) -> dict[str, Any]:
        c: dict[str, Any] = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None,
                             "lastTransitionTime": started if ok else now}
        if not ok and reason:
            c["reason"] = reason
            c["message"] = "containers with unready status: [" + " ".join(
                s["name"] for s in statuses if not s["ready"]) + "]"
        return c
    reason = "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"
    status: dict[str, Any] = {
        "phase": phase, "hostIP": "127.0.0.1", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": started,
        "qosClass": pod.get("status", {}).get("qosClass", "BestEffort"),
        "conditions": [cond("Initialized", True), cond("Ready", all_ready, reason),
                       cond("ContainersReady", all_ready, reason), cond("PodScheduled", True)],
        "containerStatuses": statuses}
    if pod["spec"].get("initContainers"):
        status["initContainerStatuses"] = [container_status(uid, c, "succeeded", {}, started)
                                           for c in pod["spec"]["initContainers"]]
    return status


def container_status(uid: str, c: dict[str, Any], state: str, kw: dict[str, Any], started: str) -> dict[str, Any]:
    """One containerStatuses entry; ids and image digests are derived from the pod uid so they stay stable."""
    image = c["image"]
    digest = hashlib.sha256(image.encode()).hexdigest()
    cid = "containerd://" + hashlib.sha256(f"{uid}/{c['name']}/{kw.get('restart_count', 0)}".encode()).hexdigest()
    s: dict[str, Any] = {"name": c["name"], "image": image, "imageID": f"{image.split(':')[0]}@sha256:{digest}",
                         "containerID": cid, "restartCount": 0, "ready": True, "started": True,
                         "state": {"running": {"startedAt": started}}, "lastState": {}}
    if state == "running":
        return s
    if state == "not_ready":
        s["ready"] = False
    elif state == "crashloop":
        reason = kw.get("reason", "Error")
        exit_code = kw.get("exit_code", 137 if reason == "OOMKilled" else 1)
        s.update(ready=False, started=False, restartCount=kw.get("restart_count", 5), state={"waiting": {
            "reason": "CrashLoopBackOff",
            "message": kw.get("message", f"back-off 5m0s restarting failed container={c['name']} pod={uid}")}},
            lastState={"terminated": {"exitCode": exit_code, "reason": reason, "startedAt": started,
                                      "finishedAt": now_rfc3339(), "containerID": cid}})
    elif state == "imagepull":
        pull_image = kw.get("image", image)
        reason = kw.get("reason", "ImagePullBackOff")
        default_msg = (f'Back-off pulling image "{pull_image}"' if reason == "ImagePullBackOff" else
                       f'rpc error: code = NotFound desc = failed to pull and unpack image "{pull_image}": '
                       f'failed to resolve reference "{pull_image}": not found')
        s.update(ready=False, started=False, imageID="", state={"waiting": {
            "reason": reason, "message": kw.get("message", default_msg)}})
        s.pop("containerID")
    elif state == "pending":
        s.update(ready=False, started=False, imageID="", state={"waiting": {"reason": "ContainerCreating"}})
        s.pop("containerID")
    elif state in ("succeeded", "failed"):
        code = 0 if state == "succeeded" else kw.get("exit_code", 1)
        s.update(ready=False, started=False, state={"terminated": {
            "exitCode": code, "reason": "Completed" if code == 0 else kw.get("reason", "Error"),
            "startedAt": started, "finishedAt": now_rfc3339(), "containerID": cid}})
    return s
