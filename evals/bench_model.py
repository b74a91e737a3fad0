"""Benchmark: the raw llama.cpp server vs the same request through opsquad's model layer.

Prints prefill and generation tokens/s of the raw server (from its own timings), time to first token (a
streamed request), wall time of the same schema-constrained request raw and through opsquad (litellm +
redaction + pydantic validation), the overhead ratio, and the server's RSS. Requests are interleaved and the
median is taken, so both paths see the same prompt cache.

    .venv/bin/python evals/bench_model.py [--alias coder] [--runs 3] [--config agents.yaml]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Literal

import httpx
from pydantic import BaseModel, Field

from opsquad.config import load_config
from opsquad.model import runtime
from opsquad.model.litellm_model import LiteLLMModel
from opsquad.model.structured import ModelCall, ask
from tools.registry import TOOLS

SYSTEM = ("You are a senior application-security engineer triaging a static-analysis finding. Decide whether the "
          "flagged code is really exploitable. Answer in JSON: verdict, confidence (0-100), one short reason.")
CODE = "\n".join(f"    total += item_{i}.price * item_{i}.qty  # line {i}" for i in range(25))
USER = (f"Rule: python.sqli.fstring (CWE-89) - SQL built with an f-string\nCode:\ndef report(conn, name):\n{CODE}\n"
        "    q = f\"SELECT * FROM orders WHERE customer = '{name}'\"\n    return conn.execute(q).fetchall()\n")


class Verdict(BaseModel):
    verdict: Literal["true_positive", "false_positive"]
    confidence: int = Field(ge=0, le=100)
    reason: str = Field(max_length=200)


def _payload(schema: dict, stream: bool = False) -> dict:
    return {"model": "bench", "temperature": 0, "max_tokens": 96, "stream": stream,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "Verdict", "schema": schema,
                                                                       "strict": True}}}


def raw_call(base: str, schema: dict) -> tuple[float, dict]:
    t = time.perf_counter()
    r = httpx.post(f"{base}/chat/completions", json=_payload(schema), timeout=600)
    r.raise_for_status()
    return time.perf_counter() - t, r.json()


def ttft(base: str, schema: dict) -> float:
    t = time.perf_counter()
    with httpx.stream("POST", f"{base}/chat/completions", json=_payload(schema, stream=True), timeout=600) as r:
        for line in r.iter_lines():
            if line.startswith("data: ") and '"content"' in line and '"content":null' not in line:
                return time.perf_counter() - t
    return float("nan")


def rss_mb(pid: int | None, port: int) -> float:
    if pid is None:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
        if "pid=" not in out:
            return float("nan")
        pid = int(out.split("pid=")[1].split(",")[0])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alias", default="coder")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--config", default=None)
    args = ap.parse_args()
    cfg = load_config(args.config, known_tools=TOOLS)
    mcfg = cfg.models[args.alias]
    t0 = time.perf_counter()
    runtime.ensure_served(cfg, args.alias, lambda m: print(f"  {m}"))
    print(f"server ready after {time.perf_counter() - t0:.1f}s")
    base = (mcfg.api_base or "").rstrip("/")
    schema = Verdict.model_json_schema()
    model = LiteLLMModel(args.alias, mcfg)
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]

    # cold request: prefill speed on an uncached prompt
    cold_wall, cold = raw_call(base, schema)
    timings = cold.get("timings", {})
    ask(model, messages, Verdict, max_tokens=96)  # warm litellm's import and connection
    raw_walls, ops_walls, gen_tps, raw_tps, ops_tps = [], [], [], [], []
    for _ in range(args.runs):
        w, body = raw_call(base, schema)
        raw_walls.append(w)
        gen_tps.append(body.get("timings", {}).get("predicted_per_second", float("nan")))
        raw_tps.append(body.get("usage", {}).get("completion_tokens", 0) / w)
        calls: list[ModelCall] = []
        t = time.perf_counter()
        ask(model, messages, Verdict, max_tokens=96, record=calls.append)
        ops_walls.append(time.perf_counter() - t)
        ops_tps.append(calls[-1].completion_tokens / ops_walls[-1])
    first = ttft(base, schema)
    rec = runtime.read_record(cfg, args.alias)
    raw_med, ops_med = statistics.median(raw_walls), statistics.median(ops_walls)
    figures = {
        "model": mcfg.model,
        "prompt_tokens": cold.get("usage", {}).get("prompt_tokens"),
        "prefill_tok_s_raw": round(timings.get("prompt_per_second", float("nan")), 1),
        "generation_tok_s_raw": round(statistics.median(gen_tps), 1),
        "cold_request_s": round(cold_wall, 2),
        "ttft_warm_s": round(first, 3),
        "raw_completion_tok_s_wall": round(statistics.median(raw_tps), 1),
        "opsquad_completion_tok_s_wall": round(statistics.median(ops_tps), 1),
        "raw_median_s": round(raw_med, 3),
        "opsquad_median_s": round(ops_med, 3),
        "overhead_ratio": round(ops_med / raw_med - 1, 4),
        "server_rss_mb": round(rss_mb(rec.pid if rec else None, runtime.endpoint_port(mcfg)), 0),
    }
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
