"""Precision, recall and F1 per category and overall, from (case, predicted) pairs; no model involved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, vulnerable: bool, predicted: bool) -> None:
        if vulnerable and predicted:
            self.tp += 1
        elif vulnerable:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def fpr(self) -> float | None:
        """False-positive rate: the share of safe cases flagged."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None

    @property
    def f1(self) -> float | None:
        """2PR/(P+R), written as 2TP/(2TP+FP+FN) so it is 0 (not undefined) when nothing was predicted."""
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else None

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": r(self.precision), "recall": r(self.recall), "f1": r(self.f1),
                "tpr": r(self.recall), "fpr": r(self.fpr)}


def score(rows: Iterable[tuple[str, bool, bool]]) -> dict[str, dict[str, Any]]:
    """``(group, vulnerable, predicted)`` rows → metrics per group plus ``"overall"`` (micro-averaged)."""
    groups: dict[str, Counts] = {}
    overall = Counts()
    for group, vulnerable, predicted in rows:
        groups.setdefault(group, Counts()).add(vulnerable, predicted)
        overall.add(vulnerable, predicted)
    out = {g: groups[g].as_dict() for g in sorted(groups)}
    out["overall"] = overall.as_dict()
    return out


def youden(per_group: dict[str, dict[str, Any]]) -> float | None:
    """Mean over groups (``"overall"`` left out) of TPR − FPR, as standard benchmarks score a tool: flagging
    everything or nothing scores 0. Groups without both vulnerable and safe cases are skipped."""
    scores = [m["tpr"] - m["fpr"] for g, m in per_group.items()
              if g != "overall" and m.get("tpr") is not None and m.get("fpr") is not None]
    return round(sum(scores) / len(scores), 4) if scores else None
