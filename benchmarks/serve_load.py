"""The reranking service under load against in-process ``rr.rerank``, on the same requests, in the same run.

Each request is a real query with ``--candidates`` real passages of mixed lengths (the packaged case sets,
:func:`rerankkit.measure.latency.interactive_requests`). The service (``rerankkit.serve.start``: Ray Serve,
one replica with this machine's cores) is called on 127.0.0.1 by an asyncio + httpx load generator at each
level of concurrent clients; before each level, the same requests are run through ``rr.rerank`` in this
process, one after another (how a notebook calls the model). Printed per level: requests/s, pairs/s, p50,
p95, p99 and the mean batch the service formed (requests and pairs per model batch, from its /metrics).

Goals (reported, never asserted): at 16 clients the service reaches at least 80% of in-process pairs/s;
at 1 client its p95 is within 20 ms of in-process. Every level is bounded in requests and seconds.
The load generator runs on the same cores as the service: on a small machine it takes a share of them.

    python benchmarks/serve_load.py                                    # tiny-random, 1, 4, 16, 64 clients
    python benchmarks/serve_load.py --model random:BAAI/bge-reranker-v2-m3 --clients 1,4,16 --requests 16 \
        --max-seconds 40 --repeats 3                                      # the real shape: about 15 minutes
    python benchmarks/serve_load.py --json benchmarks/reference/serve_load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import httpx

import rerankkit
from rerankkit.measure.latency import interactive_requests
from rerankkit.serve import ServeSettings, start
from rerankkit.serve.loadgen import percentiles_ms, replica_stats, run_load, summarize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-random")
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--clients", default="1,4,16,64", help="comma-separated levels of concurrent clients")
    parser.add_argument("--requests", type=int, default=200, help="requests per level (default: 200)")
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=30.0, help="most seconds per level and side")
    parser.add_argument("--repeats", type=int, default=1, help="runs of every level (medians are printed)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", default=None, help="write the results to this JSON file")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=rerankkit.TruncationWarning)

    levels = [int(c) for c in args.clients.split(",")]
    rr = rerankkit.load(args.model, device="cpu", dtype=args.dtype)
    torch = __import__("torch")
    requests = interactive_requests(args.requests, n_candidates=args.candidates, seed=0)
    rr.rerank(*requests[0])  # warm-up
    loadavg_before = os.getloadavg()
    print(f"{rr.info.label}, dtype {rr.info.dtype}, {args.candidates} candidates per request, up to "
          f"{args.requests} requests and {args.max_seconds:.0f} s per level and side, {torch.get_num_threads()} "
          f"torch threads, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"ray {__import__('ray').__version__}; load average {loadavg_before[0]:.2f}")
    service = start(ServeSettings(model=args.model, load_options={"dtype": args.dtype}), port=args.port)
    print(f"service started in {service.start_seconds:.1f} s at {service.url}")
    rows = []
    try:
        asyncio.run(run_load(service.url, requests[:4], 1))  # warm-up
        for clients in levels:
            runs = []
            for _ in range(args.repeats):
                # In-process on the same requests, one after another, bounded like the service's side.
                local = in_process(rr, requests, args.max_seconds)
                before = replica_stats(httpx.get(f"{service.url}/metrics").text)
                served = summarize(asyncio.run(run_load(service.url, requests, clients,
                                                        max_seconds=args.max_seconds)))
                after = replica_stats(httpx.get(f"{service.url}/metrics").text)
                batches = after["batches"] - before["batches"]
                served["mean_batch_requests"] = round((after["batch_requests_sum"] - before["batch_requests_sum"])
                                                      / batches, 2) if batches else 0.0
                served["mean_batch_pairs"] = round((after["batch_pairs_sum"] - before["batch_pairs_sum"])
                                                   / batches, 1) if batches else 0.0
                runs.append({**served, "in_process": local, "loadavg": round(os.getloadavg()[0], 2)})
            row = _median_row(runs)
            rows.append(row)
            local = row["in_process"]
            print(f"{clients:>3} clients | service {row['requests_per_s']:7.1f} req/s {row['pairs_per_s']:8.1f} "
                  f"pairs/s p50 {row['p50_ms']:7.1f} p95 {row['p95_ms']:7.1f} p99 {row['p99_ms']:7.1f} ms, batch "
                  f"{row['mean_batch_requests']:.1f} req / {row['mean_batch_pairs']:.0f} pairs, {row['errors']} "
                  f"errors | in-process {local['pairs_per_s']:8.1f} pairs/s p95 {local['p95_ms']:7.1f} ms | "
                  f"service/in-process pairs/s {row['pairs_per_s'] / local['pairs_per_s']:.0%} | load "
                  f"{row['loadavg']:.2f}", flush=True)
    finally:
        service.shutdown()
    goals = {}
    by_clients = {row["clients"]: row for row in rows}
    if 16 in by_clients:
        ratio = by_clients[16]["pairs_per_s"] / by_clients[16]["in_process"]["pairs_per_s"]
        goals["pairs_per_s_at_16_clients_vs_in_process"] = {"ratio": round(ratio, 3), "goal": ">= 0.80",
                                                            "met": ratio >= 0.8}
    if 1 in by_clients:
        gap = by_clients[1]["p95_ms"] - by_clients[1]["in_process"]["p95_ms"]
        goals["p95_gap_ms_at_1_client"] = {"gap_ms": round(gap, 2), "goal": "<= 20", "met": gap <= 20}
    for name, goal in goals.items():
        print(f"goal {name}: {goal}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "benchmark": "serve_load", "model": args.model, "random_weights": rr.info.random_weights,
            "dtype": rr.info.dtype, "candidates": args.candidates, "requests_per_level": args.requests,
            "max_seconds": args.max_seconds, "repeats": args.repeats, "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "ray": __import__("ray").__version__, "rerankkit": rerankkit.__version__,
            "loadavg_start": [round(x, 2) for x in loadavg_before], "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "note": "loopback only; the load generator runs on the same cores as the service; the load average "
                    "before the run and after each level says how busy the machine was",
            "levels": rows, "goals": goals,
        }, indent=2) + "\n")
        print(f"wrote {args.json}")


def in_process(rr, requests, max_seconds: float) -> dict:
    # The same requests through rr.rerank, in order, stopping after max_seconds like the service's side.
    done, latencies, pairs = 0, [], 0
    started = time.perf_counter()
    for query, docs in requests:
        if time.perf_counter() - started > max_seconds:
            break
        t = time.perf_counter()
        rr.rerank(query, docs)
        latencies.append(time.perf_counter() - t)
        done += 1
        pairs += len(docs)
    seconds = time.perf_counter() - started
    return {"requests": done, "seconds": round(seconds, 3), "requests_per_s": round(done / seconds, 2),
            "pairs_per_s": round(pairs / seconds, 1), **percentiles_ms(latencies)}


def _median_row(runs: list[dict]) -> dict:
    if len(runs) == 1:
        return runs[0]
    numeric = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and k != "clients"]
    row = {k: statistics.median(r[k] for r in runs) for k in numeric}
    row["clients"] = runs[0]["clients"]
    row["in_process"] = {k: statistics.median(r["in_process"][k] for r in runs) for k in runs[0]["in_process"]}
    row["runs"] = runs
    return row


if __name__ == "__main__":
    main()
