"""The scenario format of the SRE eval: one folder per case under ``evals/sre/cases/<name>/scenario.yaml``.

Scenarios are data, not code, so a new incident class is added by writing YAML: the Kubernetes objects to apply,
the pod states the fake kubelet reports, extra events and container logs, Prometheus metrics (live exporter
values, backfilled history, alert rules), what to wait for before investigating, the question an on-call
engineer would ask, and the facts a correct answer must state (regexes, matched case-insensitively).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CASES_DIR = Path(__file__).parent / "cases"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PodRule(Strict):
    """Fake-kubelet state for the pods a label selector matches (also pods created later)."""

    selector: str
    state: Literal["running", "crashloop", "imagepull", "not_ready", "pending", "succeeded", "failed"]
    reason: str | None = None
    message: str | None = None
    restart_count: int | None = None
    exit_code: int | None = None
    probe_message: str | None = None
    container: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"selector", "state"}).items() if v is not None}


class Rollout(Strict):
    """After the deployment's first revision runs, patch it (strategic merge) into a second revision."""

    deployment: str
    patch: dict[str, Any]
    pods: list[PodRule] = Field(default_factory=list, description="States of the new revision's pods.")
    wait_running: int = Field(default=1, description="Pods of revision 1 to wait for before patching.")


class EventSpec(Strict):
    """An extra event, on every pod a selector matches (``pods_of``) or on one named object."""

    reason: str
    message: str
    type: Literal["Warning", "Normal"] = "Warning"
    count: int = 1
    pods_of: str | None = None
    kind: str = "Pod"
    name: str | None = None


class LogSpec(Strict):
    selector: str
    container: str
    text: str
    previous: bool = False


class Counter(Strict):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    per_second: float


class Gauge(Strict):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    value: float


class Observation(Strict):
    """Histogram observations of ``value`` seconds, ``per_second`` of them."""

    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    value: float
    per_second: float


class Trend(Strict):
    """Backfilled history: a gauge moving linearly from ``start`` to ``end`` over the last ``minutes``."""

    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    start: float
    end: float
    minutes: int = 60
    step_s: int = 15


class Metrics(Strict):
    rules: str | None = None
    counters: list[Counter] = Field(default_factory=list)
    gauges: list[Gauge] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    backfill: list[Trend] = Field(default_factory=list)
    wait_for: list[str] = Field(default_factory=list, description="PromQL that must return data first.")


class Wait(Strict):
    """What must be true before the investigation starts (besides the pod rules being applied)."""

    running: dict[str, int] = Field(default_factory=dict, description="selector -> Running pods.")
    unschedulable: list[str] = Field(default_factory=list, description="selectors with PodScheduled=False pods.")
    events: list[str] = Field(default_factory=list, description="event reasons that must exist.")


class Expect(Strict):
    facts: list[str] = Field(min_length=1, description="Regexes root_cause + cited evidence must all match.")
    remediation: list[str] = Field(default_factory=list, description="Regexes the remediation must all match.")


class Scenario(Strict):
    name: str = ""
    tag: Literal["easy", "medium", "hard"]
    incident_class: str = Field(alias="class")
    namespace: str
    question: str
    objects: list[dict[str, Any]] = Field(default_factory=list)
    pods: list[PodRule] = Field(default_factory=list)
    rollout: Rollout | None = None
    events: list[EventSpec] = Field(default_factory=list)
    logs: list[LogSpec] = Field(default_factory=list)
    metrics: Metrics | None = None
    wait: Wait = Field(default_factory=Wait)
    expect: Expect

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def load_cases(names: list[str] | None = None, cases_dir: Path = CASES_DIR) -> list[Scenario]:
    """Every scenario (or the named ones), sorted by name; a bad file fails with its path and the first error."""
    out = []
    for path in sorted(cases_dir.glob("*/scenario.yaml")):
        name = path.parent.name
        if names and name not in names:
            continue
        try:
            scenario = Scenario.model_validate(yaml.safe_load(path.read_text()))
        except ValidationError as err:
            first = err.errors()[0]
            raise ValueError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        scenario.name = name
        out.append(scenario)
    if names:
        missing = sorted(set(names) - {s.name for s in out})
        if missing:
            raise ValueError(f"no such SRE eval case: {', '.join(missing)} (see {cases_dir})")
    spaces = [s.namespace for s in out]
    dupes = sorted({n for n in spaces if spaces.count(n) > 1})
    if dupes:
        raise ValueError(f"two scenarios share the namespace {', '.join(dupes)}: each needs its own")
    return out
