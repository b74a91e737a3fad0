"""Storage problems: PVCs stuck Pending, and claims naming a storage class that does not exist (or none when
the cluster has no default). A Pending claim on a WaitForFirstConsumer class with no consumer yet is normal
and is not reported.
"""

from __future__ import annotations

from typing import ClassVar

from agents.sre.analyzers.base import AnalyzerFinding, Snapshot, finding
from opsquad.findings import Severity
from tools.kube_objects import event_line, meta, ns_name

DEFAULT_ANN = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


class StorageAnalyzer:
    name: ClassVar[str] = "storage"
    needs: ClassVar[tuple[str, ...]] = ("pvc",)
    optional: ClassVar[tuple[str, ...]] = ("storageclass", "event")

    def analyze(self, snap: Snapshot) -> list[AnalyzerFinding]:
        out: list[AnalyzerFinding] = []
        known = "storageclass" in snap.objects
        classes = {meta(sc).get("name"): sc for sc in snap.of("storageclass")}
        defaults = [n for n, sc in classes.items() if any((meta(sc).get("annotations") or {}).get(a) == "true"
                                                          for a in DEFAULT_ANN)]
        for pvc in snap.of("pvc"):
            if (pvc.get("status") or {}).get("phase") != "Pending":
                continue
            ns, name = ns_name(pvc)
            cls = (pvc.get("spec") or {}).get("storageClassName")
            ref = f"pvc/{name}"
            events = snap.events_for("persistentvolumeclaim", ns, name)
            ev = [f"{ref}: status.phase=Pending", f"{ref}: spec.storageClassName={cls if cls is not None else 'unset'}"]
            ev += [event_line(e) for e in events[-3:]]
            problem, msg, fix = "PVCPending", f"claim {name} is Pending", "See the claim's events for the provisioner."
            if known and cls and cls not in classes:
                problem = "StorageClassNotFound"
                msg = f"claim {name} asks for storage class '{cls}', which does not exist"
                ev.append(f"storage classes in the cluster: {', '.join(sorted(map(str, classes))) or 'none'}")
                fix = "Use an existing storage class (or create this one)."
            elif known and cls is None and not defaults:
                problem, msg = "NoStorageClass", f"claim {name} names no storage class and the cluster has no default"
                ev.append("no storage class is annotated is-default-class=true")
                fix = "Set spec.storageClassName, or mark a storage class as the default."
            elif cls in classes and classes[cls].get("volumeBindingMode") == "WaitForFirstConsumer" and all(
                    e.get("reason") == "WaitForFirstConsumer" for e in events):
                continue  # bound once a pod uses it
            out.append(finding(self.name, "pvc", pvc, problem, Severity.high, msg, ev, fix,
                               f"kubectl describe pvc {name} -n {ns}"))
        return out
