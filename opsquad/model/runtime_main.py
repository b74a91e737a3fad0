"""Child process that hosts llama.cpp's OpenAI-compatible server (xllamacpp) on 127.0.0.1.

Run by ``opsquad.model.runtime.start`` with ``python -m opsquad.model.runtime_main``; it loads the model, serves
until SIGTERM, and exits. Keeping it in its own process lets the CLI exit while the model stays warm, and lets
us stop it by PID.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="opsquad-model-server")
    ap.add_argument("--model", required=True)
    ap.add_argument("--alias", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=8192)
    ap.add_argument("--runtime", default="xllamacpp")
    args = ap.parse_args(argv)

    if args.runtime == "llama-cpp-python":
        import runpy

        sys.argv = ["llama_cpp.server", "--model", args.model, "--host", "127.0.0.1", "--port", str(args.port),
                    "--n_threads", str(args.threads), "--n_ctx", str(args.ctx), "--model_alias", args.alias]
        runpy.run_module("llama_cpp.server", run_name="__main__")
        return 0

    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = args.model
    p.model_alias = {args.alias}
    p.hostnames = ["127.0.0.1"]
    p.port = args.port
    p.n_ctx = args.ctx
    p.n_parallel = args.parallel
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    p.cache_prompt = True
    p.verbosity = 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = xllamacpp.Server(p)
    print(f"serving {args.alias} on 127.0.0.1:{args.port}", flush=True)
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
