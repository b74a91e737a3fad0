"""The printed table of an eval result (``run_eval``'s dict): per category, overall, and the side figures."""

from __future__ import annotations

from typing import Any

DASH = "–"


def _num(x: float | None) -> str:
    return f"{x:.2f}" if x is not None else DASH


def _prf(m: dict[str, Any] | None) -> str:
    if not m:
        return f"{DASH:>5} {DASH:>5} {DASH:>5}"
    return f"{_num(m['precision']):>5} {_num(m['recall']):>5} {_num(m['f1']):>5}"


def _counts(m: dict[str, Any]) -> str:
    return f"tp {m['tp']}, fp {m['fp']}, fn {m['fn']}, tn {m['tn']}"


def _row(label: str, size: str, result: dict[str, Any], key: str, table: str = "categories") -> str:
    src = result[table] if table != "python" else {v: {key: m} for v, m in result["python"].items()}
    cells = [_prf(src.get(v, {}).get(key)) for v in ("before", "after", "bandit")]
    return f"{label:<28} {size:>8} | {cells[0]} | {cells[1]} | {cells[2]}"


def format_table(result: dict[str, Any]) -> str:
    per_case = result["per_case"]
    triage = result["triage"]
    cats = sorted({r["category"] for r in per_case if "category" in r})
    vuln = result["vulnerable"]
    head = (f"opsquad DevSecOps eval: {result['cases']} cases ({vuln} vulnerable / {result['cases'] - vuln} safe) "
            f"in {len(cats)} categories; model triage: "
            + (f"on (triage_may_suppress=all, min_confidence {result['min_confidence']})" if triage else "off"))
    lines = [head, "",
             f"{'category':<28} {'vul/safe':>8} | {'before triage':^17} | {'after triage':^17} | {'bandit':^17}",
             f"{'':<28} {'':>8} | {'P':>5} {'R':>5} {'F1':>5} | {'P':>5} {'R':>5} {'F1':>5} | "
             f"{'P':>5} {'R':>5} {'F1':>5}",
             "-" * 90]

    def size(pred: Any) -> str:
        rows = [r for r in per_case if pred(r)]
        v = sum(1 for r in rows if r.get("vulnerable"))
        return f"{v}/{len(rows) - v}"

    for cat in cats:
        lines.append(_row(cat, size(lambda r, c=cat: r.get("category") == c), result, cat))
    lines.append("-" * 90)
    lines.append(_row("overall", size(lambda r: "category" in r), result, "overall"))
    py_ids = {r["id"] for r in per_case if r.get("bandit") is not None}
    lines.append(_row("python cases only", size(lambda r: r["id"] in py_ids), result, "overall", "python"))
    for level in ("easy", "medium", "hard"):
        lines.append(_row(f"difficulty {level}", "", result, level, "difficulty"))
    lines.append("")
    before = result["categories"]["before"]["overall"]
    lines.append(f"before triage: {_counts(before)}")
    if triage:
        after = result["categories"]["after"]["overall"]
        default = result["categories"]["after_default"]["overall"]
        lines.append(f"after triage (triage_may_suppress=all): {_counts(after)}")
        lines.append(f"after triage, default policy (high/critical never suppressed by the model alone): "
                     f"P {_num(default['precision'])} R {_num(default['recall'])} F1 {_num(default['f1'])} "
                     f"({_counts(default)})")
    lines += split_tables(result)
    bandit = result["categories"].get("bandit", {}).get("overall")
    if result.get("bandit_error"):
        lines.append(f"Bandit: {result['bandit_error']}")
    elif bandit:
        lines.append(f"Bandit on the {len(py_ids)} Python cases (by issue_cwe.id): P {_num(bandit['precision'])} "
                     f"R {_num(bandit['recall'])} F1 {_num(bandit['f1'])} ({_counts(bandit)}); "
                     f"opsquad on the same cases: before {_prf(result['python']['before'])}"
                     + (f", after {_prf(result['python']['after'])}" if triage else "") + " (P R F1)")
    eq = "; ".join(f"{k} ~ {', '.join(v)}" for k, v in result["equivalent_cwes"].items())
    lines.append(f"CWE equivalence map (either direction): {eq}")
    fix = result["autofix"]
    if fix["offered"]:
        lines.append(f"autofix: {fix['reverified']}/{fix['offered']} offered patches re-verify "
                     f"({100 * fix['reverified'] / fix['offered']:.0f}%: apply cleanly and the rescan drops the "
                     f"finding); the agent verified {fix['verified']} of {fix['attempted']} attempts")
    elif fix["attempted"]:
        lines.append(f"autofix: 0 patches offered; the agent verified {fix['verified']} of {fix['attempted']} attempts")
    else:
        lines.append("autofix: n/a (no finding carries a fix_patch: autofix not built yet or disabled)" if triage
                     else "autofix: n/a (no triage, no autofix)")
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(result["model_calls_by_kind"].items()))
    kinds = f" ({kinds})" if kinds else ""
    lines.append(f"wall time {result['wall_s']:.1f}s (dispatch {result['eval_s']:.1f}s); "
                 f"findings {result['findings']}; model calls {result['model_calls']}{kinds}")
    if result["errors"]:
        lines.append(f"{len(result['errors'])} problem(s), first: {result['errors'][0]}")
    if triage:
        lines += _verdict(before, result["categories"]["after"]["overall"])
    return "\n".join(lines)


def _verdict(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    pb, pa = before["precision"], after["precision"]
    if pb is not None and pa is not None and pa <= pb:
        out.append(f"NOTE: precision after triage ({pa:.2f}) is not higher than before ({pb:.2f}).")
    rb, ra = before["recall"], after["recall"]
    if rb is not None and ra is not None and (rb - ra) > 0.05:
        out.append(f"NOTE: recall drops by {100 * (rb - ra):.1f} points with triage ({rb:.2f} -> {ra:.2f}).")
    return out


def _rates(m: dict[str, Any] | None) -> str:
    if not m:
        return f"{DASH:>5} {DASH:>5} {DASH:>5}"
    return f"{_num(m['tpr']):>5} {_num(m['fpr']):>5} {_num(m['precision']):>5}"


def split_tables(result: dict[str, Any]) -> list[str]:
    """Per split: per category TPR (= recall), FPR and precision before/after triage and for Bandit, and the
    Youden-style score (mean over categories of TPR - FPR)."""
    lines: list[str] = []
    for split, data in result.get("splits", {}).items():
        views = [v for v in ("before", "after", "bandit") if v in data]
        youdens = ", ".join(f"{v} {_num(data[v]['youden'])}" for v in views)
        lines += ["", f"split {split}: {data['cases']} cases ({data['vulnerable']} vulnerable); "
                      f"Youden (mean over categories of TPR - FPR): {youdens}",
                  f"{'category':<28} | {'before triage':^17} | {'after triage':^17} | {'bandit':^17}",
                  f"{'':<28} | " + " | ".join(f"{'TPR':>5} {'FPR':>5} {'P':>5}" for _ in range(3))]
        cats = sorted({c for v in views for c in data[v]["categories"] if c != "overall"})
        for cat in [*cats, "overall"]:
            cells = [_rates(data[v]["categories"].get(cat)) if v in data else _rates(None)
                     for v in ("before", "after", "bandit")]
            lines.append(f"{cat:<28} | {cells[0]} | {cells[1]} | {cells[2]}")
    return lines
