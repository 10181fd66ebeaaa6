"""What Ray Data costs: pairs/s and the forward-pass share of wall time, Ray Data against plain score().

The same N pairs (mixed lengths, from a JSONL file) are scored three ways on this machine:

* forward only: ``Reranker.forward`` on pairs tokenized beforehand (the model's own work, the floor),
* ``Reranker.score``: tokenize + forward in this process,
* ``rerankkit.scale.rerank_dataset``: read the JSONL, score in one actor (all cores), write parquet.

Each is timed ``--repeats`` times and the median is printed. The Ray job is timed with Ray already
running (start-up is printed on its own line, paid once per session) and includes the actor loading the
model, which a long job pays once. ``forward share`` = forward-only seconds / the method's seconds;
``overhead`` = the method's seconds / score()'s seconds - 1. Never passes or fails.

    python benchmarks/scale_overhead.py                                   # tiny-random, 10,000 pairs
    python benchmarks/scale_overhead.py --model random:BAAI/bge-reranker-v2-m3 --pairs 2000 --repeats 1 \
        --skip-floor --json benchmarks/reference/scale_overhead_large.json   # the large-job figure (aim: < 15%)

``--skip-floor`` leaves out the forward-only pass (a third of a large job's time); the forward share column
is then left empty.

The load average is printed (and written with ``--json``) before and after: on a shared machine it says how
much else was running.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import rerankkit
from rerankkit.scale import ray_runtime, read_scores, rerank_dataset

WORDS = ("panda bear bamboo forest China mountain species giant black white eats lives sleeps climbs the a is of in "
         "and river capital city Paris tea garden north south").split()


def make_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        query = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 9))))
        passage = " ".join(rng.choice(WORDS, size=int(rng.integers(10, 120))))
        pairs.append((query, passage))
    return pairs


def median_time(fn, repeats: int) -> tuple[float, list[float], object]:
    """The median seconds of ``repeats`` calls, every call's seconds, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-random")
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-floor", action="store_true", help="leave out the forward-only pass")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    loadavg_start = os.getloadavg()

    pairs = make_pairs(args.pairs)
    rr = rerankkit.load(args.model, device="cpu", batch_size=args.batch_size)
    threads = __import__("torch").get_num_threads()
    random_weights = rr.info.random_weights
    print(f"{args.model} ({rr.info.n_parameters / 1e6:.1f}M parameters{', random weights: timing only' if rr.info.random_weights else ''}), "
          f"{args.pairs} pairs, batch {args.batch_size}, {threads} torch threads, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, ray {__import__('ray').__version__}; medians of {args.repeats}")
    workdir = Path(tempfile.mkdtemp(prefix="scale_overhead_"))
    src = workdir / "pairs.jsonl"
    with src.open("w", encoding="utf-8") as handle:
        for q, p in pairs:
            handle.write(json.dumps({"query": q, "passage": p}) + "\n")

    encoded = rr.encode(pairs)
    rr.forward(encoded.input_ids[: args.batch_size], show_progress=False)  # warm-up
    forward_s = None
    if not args.skip_floor:
        forward_s, _, _ = median_time(lambda: rr.forward(encoded.input_ids, show_progress=False), args.repeats)
    score_s, _, reference = median_time(lambda: rr.score(pairs, show_progress=False), args.repeats)
    rr = None  # free the model before Ray's actors load their own

    started = time.perf_counter()
    with ray_runtime():
        startup_s = time.perf_counter() - started
        runs = iter(range(10**6))

        def ray_job() -> None:
            rerank_dataset(src, workdir / f"out{next(runs)}", model=args.model, device="cpu", batch_size=args.batch_size,
                           show_progress=False)

        ray_s, ray_all, _ = median_time(ray_job, args.repeats)
    got = read_scores(workdir / "out0")
    max_diff = float(np.abs(got["logit"].to_numpy() - reference).max())

    rows = [("forward only (floor)", forward_s)] if forward_s is not None else []
    rows += [("Reranker.score()", score_s), ("rerank_dataset (Ray Data)", ray_s)]
    print(f"\n{'method':<28}{'seconds':>9}{'pairs/s':>10}{'forward share':>15}{'overhead vs score()':>21}")
    for name, seconds in rows:
        share = f"{forward_s / seconds:>14.0%}" if forward_s is not None else f"{'-':>14}"
        print(f"{name:<28}{seconds:>9.2f}{args.pairs / seconds:>10.1f}{share}{seconds / score_s - 1:>+20.1%}")
    print(f"\nRay start-up (once per session, not in the table): {startup_s:.1f} s; Ray job repeats: "
          f"{', '.join(f'{t:.2f}' for t in ray_all)} s")
    print(f"Ray Data scores equal score()'s: max |difference| {max_diff:.2e} over {len(got)} pairs")
    overhead = ray_s / score_s - 1
    print(f"Ray Data's overhead against score(): {overhead:+.1%} (aim: under +15% on a large job); load average "
          f"{loadavg_start[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "benchmark": "scale_overhead", "model": args.model, "pairs": args.pairs, "repeats": args.repeats,
            "batch_size": args.batch_size, "cores": os.cpu_count(), "ray": __import__("ray").__version__,
            "seconds": {name: round(seconds, 3) for name, seconds in rows}, "ray_job_runs_s": ray_all,
            "ray_startup_s": round(startup_s, 2), "overhead_vs_score": round(overhead, 4), "aim": "< 0.15",
            "max_abs_difference": max_diff, "loadavg_start": [round(x, 2) for x in loadavg_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "skip_floor": args.skip_floor,
            "note": "random weights, timing only" if random_weights else "real weights",
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
