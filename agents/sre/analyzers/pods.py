"""Pod problems, container by container: CrashLoopBackOff, OOMKilled, image pulls, missing config, Pending,
failing probes and high restart counts.

One finding per container and problem, the most specific first: a container crash-looping because it is
OOM-killed is reported as OOMKilled (with its memory limit), not twice. A container that is waiting for a
known reason is not also reported as "not ready": the waiting reason already says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from tools.kube_objects import Obj, condition, event_line, meta, ns_name, workload_of

HIGH_RESTARTS = 5
PULL_REASONS = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}
CONFIG_REF = re.compile(r'(configmap|secret)s? "?([a-z0-9.-]+)"?', re.I)
CONFIG_KEY = re.compile(r"couldn't find key (\S+) in (ConfigMap|Secret) ([\w.-]+)/([\w.-]+)", re.I)
ANALYZER = "pods"


def _spec_container(pod: Obj, name: str) -> Obj:
    spec = pod.get("spec") or {}
    return next((c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                 if c.get("name") == name), {})


@dataclass(frozen=True)
class _Container:
    """One container of one pod, as the checks read it."""

    pod: Obj
    status: Obj  # its entry in status.containerStatuses (or initContainerStatuses)
    probe_events: list[Obj]  # the pod's Unhealthy events about this container
    workload: tuple[str, str]  # (kind, name) of what manages the pod

    @classmethod
    def read(cls, pod: Obj, cs: Obj, snap: Snapshot, probe_events: list[Obj]) -> _Container:
        c = str(cs.get("name"))
        mine = [e for e in probe_events  # kubelet events name the container in fieldPath
                if f"{{{c}}}" in str((e.get("involvedObject") or {}).get("fieldPath") or f"{{{c}}}")]
        return cls(pod, cs, mine, workload_of(pod, snap.of("replicaset")))

    @property
    def name(self) -> str:
        return str(self.status.get("name"))

    @property
    def pod_name(self) -> str:
        return ns_name(self.pod)[1]

    @property
    def nsf(self) -> str:
        return f"-n {ns_name(self.pod)[0]}"

    @property
    def where(self) -> str:
        return f"pod/{self.pod_name} container {self.name}"

    @property
    def target(self) -> str:
        return "/".join(self.workload)

    @property
    def restarts(self) -> int:
        return int(self.status.get("restartCount") or 0)

    @property
    def state(self) -> Obj:
        return self.status.get("state") or {}

    @property
    def waiting(self) -> Obj:
        return self.state.get("waiting") or {}

    @property
    def reason(self) -> Any:
        return self.waiting.get("reason")

    @property
    def last(self) -> Obj:
        """lastState.terminated: how the previous instance ended."""
        return (self.status.get("lastState") or {}).get("terminated") or {}

    def last_exit(self) -> str:
        last = self.last
        return f"{self.where}: lastState.terminated.reason={last.get('reason')} exitCode={last.get('exitCode')}"

    def previous_logs(self) -> str:
        return f"kubectl logs {self.pod_name} {self.nsf} -c {self.name} --previous"

    def describe(self) -> str:
        return f"kubectl describe pod {self.pod_name} {self.nsf}"


Check = Callable[[_Container], AnalyzerFinding | None]


def _oom_killed(c: _Container) -> AnalyzerFinding | None:
    terminated = c.state.get("terminated") or {}
    oom = c.last if c.last.get("reason") == "OOMKilled" else terminated if terminated.get("reason") == "OOMKilled" \
        else {}
    if not oom:
        return None
    limit = ((_spec_container(c.pod, c.name).get("resources") or {}).get("limits") or {}).get("memory")
    ev = [f"{c.where}: lastState.terminated.reason=OOMKilled exitCode={oom.get('exitCode')} "
          f"finishedAt={oom.get('finishedAt')}", f"{c.where}: resources.limits.memory={limit or 'unset'}",
          f"{c.where}: restartCount={c.restarts}"]
    if c.reason:
        ev.append(f"{c.where}: state.waiting.reason={c.reason}")
    cmd = f"kubectl set resources {c.target} {c.nsf} -c {c.name} --limits=memory=<higher than {limit}>" if limit else ""
    return finding(ANALYZER, "pod", c.pod, "OOMKilled", Severity.high,
                   f"container {c.name} was OOM-killed (memory limit {limit or 'unset'}, {c.restarts} restarts)", ev,
                   "Raise the memory limit (or fix the leak / reduce memory use) for this container.", cmd)


def _crash_loop(c: _Container) -> AnalyzerFinding | None:
    if c.reason != "CrashLoopBackOff":
        return None
    ev = [f"{c.where}: state.waiting.reason=CrashLoopBackOff", f"{c.where}: restartCount={c.restarts}"]
    if c.last:
        ev.append(f"{c.last_exit()} finishedAt={c.last.get('finishedAt')}")
    why = f" (last exit: {c.last.get('reason')}, code {c.last.get('exitCode')})" if c.last else ""
    return finding(ANALYZER, "pod", c.pod, "CrashLoopBackOff", Severity.high,
                   f"container {c.name} is crash-looping after {c.restarts} restarts{why}", ev,
                   "Read the previous container's logs for the crash; roll back if a rollout caused it.",
                   c.previous_logs())


def _image_pull(c: _Container) -> AnalyzerFinding | None:
    if c.reason not in PULL_REASONS:
        return None
    image = c.status.get("image")
    return finding(ANALYZER, "pod", c.pod, "ImagePullBackOff", Severity.high,
                   f"container {c.name} cannot pull image {image} ({c.reason})",
                   [f"{c.where}: state.waiting.reason={c.reason}", f"{c.where}: image={image}",
                    f"{c.where}: state.waiting.message={c.waiting.get('message', '')[:200]}"],
                   "Fix the image name/tag or the registry credentials (imagePullSecrets), or roll back.",
                   f"kubectl rollout undo {c.target} {c.nsf}" if c.workload[0] == "deployment" else "")


def _config_error(c: _Container) -> AnalyzerFinding | None:
    if c.reason != "CreateContainerConfigError":
        return None
    msg = str(c.waiting.get("message") or "")
    key, ref = CONFIG_KEY.search(msg), CONFIG_REF.search(msg)
    cmd = ""
    if key:
        cmd = f"kubectl get {key.group(2).lower()} {key.group(4)} -n {key.group(3)}"
    elif ref:
        cmd = f"kubectl get {ref.group(1).lower()} {ref.group(2)} {c.nsf}"
    return finding(ANALYZER, "pod", c.pod, "CreateContainerConfigError", Severity.high,
                   f"container {c.name} cannot start: {msg[:160] or 'missing configmap/secret or key'}",
                   [f"{c.where}: state.waiting.reason=CreateContainerConfigError", f"{c.where}: message={msg[:200]}"],
                   "Create the missing ConfigMap/Secret (or key) the container references, or fix the reference.",
                   cmd)


def _not_ready(c: _Container) -> AnalyzerFinding | None:
    if "running" not in c.state or c.status.get("ready") or (c.pod.get("status") or {}).get("phase") != "Running":
        return None
    ready = condition(c.pod, "Ready") or {}
    ev = [f"{c.where}: ready=false while state=running"]
    if ready:
        ev.append(f"pod/{c.pod_name}: condition Ready={ready.get('status')} {ready.get('reason', '')} "
                  f"{ready.get('message', '')}".strip())
    ev += [event_line(e) for e in c.probe_events if "Readiness" in str(e.get("message"))][-3:]
    probe = _spec_container(c.pod, c.name).get("readinessProbe")
    return finding(ANALYZER, "pod", c.pod, "NotReady", Severity.medium,
                   f"container {c.name} is running but not ready (readiness probe failing)", ev,
                   "Check the readiness probe endpoint and what it depends on."
                   + ("" if probe else " (no readinessProbe defined)"), c.describe())


def _liveness_failing(c: _Container) -> AnalyzerFinding | None:
    liveness = [e for e in c.probe_events if "Liveness" in str(e.get("message"))]
    if not liveness:
        return None
    return finding(ANALYZER, "pod", c.pod, "LivenessProbeFailing", Severity.medium,
                   f"container {c.name} fails its liveness probe (the kubelet restarts it)",
                   [f"{c.where}: restartCount={c.restarts}"] + [event_line(e) for e in liveness[-3:]],
                   "Check the liveness endpoint and its timeout; a slow dependency must not fail liveness.",
                   c.describe())


def _high_restarts(c: _Container) -> AnalyzerFinding | None:
    if c.restarts < HIGH_RESTARTS:
        return None
    return finding(ANALYZER, "pod", c.pod, "HighRestarts", Severity.medium,
                   f"container {c.name} restarted {c.restarts} times",
                   [f"{c.where}: restartCount={c.restarts}"] + ([c.last_exit()] if c.last else []),
                   "Read the previous container's logs to find why it restarts.", c.previous_logs())


# The most specific problems first: the first of these that fires is the container's only finding (a container
# crash-looping because it is OOM-killed is OOMKilled, not twice; a known waiting reason already says why it is
# not ready). When none fires, every check of ALSO reports on its own.
FIRST_OF: tuple[Check, ...] = (_oom_killed, _crash_loop, _image_pull, _config_error)
ALSO: tuple[Check, ...] = (_not_ready, _liveness_failing, _high_restarts)


def _container(pod: Obj, cs: Obj, snap: Snapshot, probe_events: list[Obj]) -> list[AnalyzerFinding]:
    c = _Container.read(pod, cs, snap, probe_events)
    for check in FIRST_OF:
        found = check(c)
        if found:
            return [found]
    return [f for check in ALSO if (f := check(c)) is not None]


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
    return [finding(ANALYZER, "pod", pod, "Pending", Severity.high, f"pod cannot be scheduled: {message[:200]}", ev,
                    "Free or add capacity, or relax the pod's requests/nodeSelector/affinity/tolerations.",
                    f"kubectl describe pod {name} -n {ns}")]


def _only_starting(st: dict[str, Any]) -> bool:
    """A Pending pod none of whose containers waits for a reason other than being created."""
    return st.get("phase") == "Pending" and not any(
        (cs.get("state") or {}).get("waiting", {}).get("reason") not in (None, "ContainerCreating", "PodInitializing")
        for cs in st.get("containerStatuses") or [])


class PodAnalyzer:
    name: ClassVar[str] = ANALYZER
    needs: ClassVar[tuple[str, ...]] = ("pod",)
    optional: ClassVar[tuple[str, ...]] = ("event", "replicaset")

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        for pod in snap.of("pod"):
            if meta(pod).get("deletionTimestamp"):
                continue  # terminating pods are expected to be unhealthy
            st: dict[str, Any] = pod.get("status") or {}
            if _only_starting(st):
                found = _pending(pod, snap)
                if found:
                    out += found
                    continue
            ns, name = ns_name(pod)
            unhealthy = [e for e in snap.events_for("pod", ns, name) if e.get("reason") == "Unhealthy"]
            for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                out += _container(pod, cs, snap, unhealthy)
        return out
