"""The SRE eval's printed table: per scenario pass/fail, time and tool calls, then the agent's and the naive
baseline's pass rates side by side."""

from __future__ import annotations

from typing import Any


def format_table(result: dict[str, Any]) -> str:
    rows = result["cases"]
    width = max([len(r["name"]) for r in rows] + [8])
    mode = f"model {result['model']}" if result.get("model") else "analyzers only (--no-model)"
    lines = [f"SRE eval — {mode}", "",
             f"{'scenario':<{width}}  {'tag':<6}  {'class':<22}  agent  {'time':>6}  tools  baseline  missing"]
    for r in rows:
        missing = "; ".join(r["missing"])[:80]
        agent, base = "pass" if r["passed"] else "FAIL", "pass" if r["baseline_passed"] else "fail"
        lines.append(f"{r['name']:<{width}}  {r['tag']:<6}  {r['class'][:22]:<22}  {agent:<5}"
                     f"  {r['seconds']:>5.1f}s  {r['tool_calls']:>5}  {base:<8}  {missing}".rstrip())
    s = result["summary"]
    lines += ["",
              f"{'':<{width}}  {'pass rate':>12}  {'median time':>11}  {'median tool calls':>17}",
              f"{'agent':<{width}}  {s['passed']:>4}/{s['cases']:<3} {s['pass_rate']:>4.0%}  "
              f"{s['median_seconds']:>10.1f}s  {s['median_tool_calls']:>17}",
              f"{'baseline':<{width}}  {s['baseline_passed']:>4}/{s['cases']:<3} {s['baseline_pass_rate']:>4.0%}  "
              f"{'-':>11}  {0:>17}",
              "",
              "by tag (agent): " + ", ".join(f"{t} {v}" for t, v in s["by_tag"].items()),
              "baseline: every Warning event of the namespace as the answer, scored on the same facts.",
              f"wall time {result['wall_seconds']:.0f} s"]
    return "\n".join(lines)
