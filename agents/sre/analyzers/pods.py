"""Pod problems, container by container: CrashLoopBackOff, OOMKilled, image pulls, missing config, Pending,
failing probes and high restart counts.

One finding per container and problem, the most specific first: a container crash-looping because it is
OOM-killed is reported as OOMKilled (with its memory limit), not twice. A container that is waiting for a
known reason is not also reported as "not ready": the waiting reason already says why.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Obj, Snapshot, condition, event_line, meta, ns_name, workload_of
from opsquad.findings import Severity

HIGH_RESTARTS = 5
PULL_REASONS = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}
CONFIG_REF = re.compile(r'(configmap|secret)s? "?([a-z0-9.-]+)"?', re.I)
CONFIG_KEY = re.compile(r"couldn't find key (\S+) in (ConfigMap|Secret) ([\w.-]+)/([\w.-]+)", re.I)


def _finding(pod: Obj, problem: str, severity: Severity, message: str, evidence: list[str],
             remediation: str = "", command: str = "") -> AnalyzerFinding:
    ns, name = ns_name(pod)
    return AnalyzerFinding(analyzer="pods", kind="pod", namespace=ns, name=name, problem=problem, severity=severity,
                           message=message, evidence=evidence, remediation=remediation, command=command)


def _spec_container(pod: Obj, name: str) -> Obj:
    spec = pod.get("spec") or {}
    return next((c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                 if c.get("name") == name), {})


def _container(pod: Obj, cs: Obj, snap: Snapshot, probe_events: list[Obj]) -> list[AnalyzerFinding]:
    ns, pod_name = ns_name(pod)
    c, restarts = str(cs.get("name")), int(cs.get("restartCount") or 0)
    probe_events = [e for e in probe_events  # kubelet events name the container in fieldPath
                    if f"{{{c}}}" in str((e.get("involvedObject") or {}).get("fieldPath") or f"{{{c}}}")]
    where = f"pod/{pod_name} container {c}"
    state, last = cs.get("state") or {}, (cs.get("lastState") or {}).get("terminated") or {}
    waiting, terminated = state.get("waiting") or {}, state.get("terminated") or {}
    reason = waiting.get("reason")
    wk, wn = workload_of(pod, snap.of("replicaset"))
    target, nsf = f"{wk}/{wn}", f"-n {ns}"
    oom = last if last.get("reason") == "OOMKilled" else terminated if terminated.get("reason") == "OOMKilled" else {}
    if oom:
        limit = ((_spec_container(pod, c).get("resources") or {}).get("limits") or {}).get("memory")
        ev = [f"{where}: lastState.terminated.reason=OOMKilled exitCode={oom.get('exitCode')} "
              f"finishedAt={oom.get('finishedAt')}", f"{where}: resources.limits.memory={limit or 'unset'}",
              f"{where}: restartCount={restarts}"]
        if reason:
            ev.append(f"{where}: state.waiting.reason={reason}")
        cmd = f"kubectl set resources {target} {nsf} -c {c} --limits=memory=<higher than {limit}>" if limit else ""
        return [_finding(pod, "OOMKilled", Severity.high,
                         f"container {c} was OOM-killed (memory limit {limit or 'unset'}, {restarts} restarts)", ev,
                         "Raise the memory limit (or fix the leak / reduce memory use) for this container.", cmd)]
    if reason == "CrashLoopBackOff":
        ev = [f"{where}: state.waiting.reason=CrashLoopBackOff", f"{where}: restartCount={restarts}"]
        if last:
            ev.append(f"{where}: lastState.terminated.reason={last.get('reason')} exitCode={last.get('exitCode')} "
                      f"finishedAt={last.get('finishedAt')}")
        why = f" (last exit: {last.get('reason')}, code {last.get('exitCode')})" if last else ""
        return [_finding(pod, "CrashLoopBackOff", Severity.high,
                         f"container {c} is crash-looping after {restarts} restarts{why}", ev,
                         "Read the previous container's logs for the crash; roll back if a rollout caused it.",
                         f"kubectl logs {pod_name} {nsf} -c {c} --previous")]
    if reason in PULL_REASONS:
        return [_finding(pod, "ImagePullBackOff", Severity.high,
                         f"container {c} cannot pull image {cs.get('image')} ({reason})",
                         [f"{where}: state.waiting.reason={reason}", f"{where}: image={cs.get('image')}",
                          f"{where}: state.waiting.message={waiting.get('message', '')[:200]}"],
                         "Fix the image name/tag or the registry credentials (imagePullSecrets), or roll back.",
                         f"kubectl rollout undo {target} {nsf}" if wk == "deployment" else "")]
    if reason == "CreateContainerConfigError":
        msg = str(waiting.get("message") or "")
        ev = [f"{where}: state.waiting.reason=CreateContainerConfigError", f"{where}: message={msg[:200]}"]
        key, ref = CONFIG_KEY.search(msg), CONFIG_REF.search(msg)
        cmd = ""
        if key:
            cmd = f"kubectl get {key.group(2).lower()} {key.group(4)} -n {key.group(3)}"
        elif ref:
            cmd = f"kubectl get {ref.group(1).lower()} {ref.group(2)} {nsf}"
        return [_finding(pod, "CreateContainerConfigError", Severity.high,
                         f"container {c} cannot start: {msg[:160] or 'missing configmap/secret or key'}", ev,
                         "Create the missing ConfigMap/Secret (or key) the container references, or fix the reference.",
                         cmd)]
    out = []
    running = "running" in state
    if running and not cs.get("ready") and (pod.get("status") or {}).get("phase") == "Running":
        ready = condition(pod, "Ready") or {}
        ev = [f"{where}: ready=false while state=running"]
        if ready:
            ev.append(f"pod/{pod_name}: condition Ready={ready.get('status')} {ready.get('reason', '')} "
                      f"{ready.get('message', '')}".strip())
        ev += [event_line(e) for e in probe_events if "Readiness" in str(e.get("message"))][-3:]
        probe = _spec_container(pod, c).get("readinessProbe")
        out.append(_finding(pod, "NotReady", Severity.medium,
                            f"container {c} is running but not ready (readiness probe failing)", ev,
                            "Check the readiness probe endpoint and what it depends on."
                            + ("" if probe else " (no readinessProbe defined)"),
                            f"kubectl describe pod {pod_name} {nsf}"))
    liveness = [e for e in probe_events if "Liveness" in str(e.get("message"))]
    if liveness:
        out.append(_finding(pod, "LivenessProbeFailing", Severity.medium,
                            f"container {c} fails its liveness probe (the kubelet restarts it)",
                            [f"{where}: restartCount={restarts}"] + [event_line(e) for e in liveness[-3:]],
                            "Check the liveness endpoint and its timeout; a slow dependency must not fail liveness.",
                            f"kubectl describe pod {pod_name} {nsf}"))
    if restarts >= HIGH_RESTARTS:
        out.append(_finding(pod, "HighRestarts", Severity.medium, f"container {c} restarted {restarts} times",
                            [f"{where}: restartCount={restarts}"]
                            + ([f"{where}: lastState.terminated.reason={last.get('reason')} "
                                f"exitCode={last.get('exitCode')}"] if last else []),
                            "Read the previous container's logs to find why it restarts.",
                            f"kubectl logs {pod_name} {nsf} -c {c} --previous"))
    return out


def _pending(pod: Obj, snap: Snapshot) -> list[AnalyzerFinding]:
    ns, name = ns_name(pod)
    sched = condition(pod, "PodScheduled") or {}
    events = [e for e in snap.events_for("pod", ns, name) if e.get("reason") == "FailedScheduling"]
    if sched.get("status") != "False" and not events:
        return []  # scheduled and starting: container states tell the rest
    message = str(sched.get("message") or (events[-1].get("message") if events else "") or "not scheduled")
    ev = [f"pod/{name}: condition PodScheduled=False reason={sched.get('reason')} message={message[:200]}"] \
        if sched else []
    ev += [event_line(e) for e in events[-3:]]
    return [_finding(pod, "Pending", Severity.high, f"pod cannot be scheduled: {message[:200]}", ev,
                     "Free or add capacity, or relax the pod's requests/nodeSelector/affinity/tolerations.",
                     f"kubectl describe pod {name} -n {ns}")]


class PodAnalyzer:
    name: ClassVar[str] = "pods"
    needs: ClassVar[tuple[str, ...]] = ("pod",)
    optional: ClassVar[tuple[str, ...]] = ("event", "replicaset")

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        for pod in snap.of("pod"):
            if meta(pod).get("deletionTimestamp"):
                continue  # terminating pods are expected to be unhealthy
            st: dict[str, Any] = pod.get("status") or {}
            if st.get("phase") == "Pending" and not any(
                    (cs.get("state") or {}).get("waiting", {}).get("reason") not in (None, "ContainerCreating",
                                                                                      "PodInitializing")
                    for cs in st.get("containerStatuses") or []):
                found = _pending(pod, snap)
                if found:
                    out += found
                    continue
            ns, name = ns_name(pod)
            unhealthy = [e for e in snap.events_for("pod", ns, name) if e.get("reason") == "Unhealthy"]
            for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                out += _container(pod, cs, snap, unhealthy)
        return out
