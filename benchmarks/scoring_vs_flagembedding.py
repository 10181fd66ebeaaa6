"""rerankkit's scoring loop against FlagReranker.compute_score: same weights, same pairs, one run.

Prints pairs/s (median of --repeats runs, with min and max) for each, their ratio, and the
largest |difference| between the two sets of scores, for each call size in --pairs. Never passes or
fails on time.

FlagReranker.compute_score runs one extra forward pass of its first (longest) batch on every call,
to size the batch: a fixed cost per call, large next to 24 pairs and small next to thousands. So the
ratio depends on the call size: the default times a small call (24 pairs, one rerank) and a large one
(2,000 pairs), interleaved in one run so that machine load hits all four alike.

    python benchmarks/scoring_vs_flagembedding.py                    # tiny-random, 24 and 2,000 pairs
    python benchmarks/scoring_vs_flagembedding.py --model random:BAAI/bge-reranker-base --short \
        --out benchmarks/reference/scoring_vs_flagembedding_<date>.json
    python benchmarks/scoring_vs_flagembedding.py --model BAAI/bge-reranker-v2-m3 --pairs 128
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # FlagEmbedding's own progress bars would flood the table

import numpy as np
import torch

import rerankkit


def mixed_length_pairs(n: int, seed: int = 0, *, short: bool = False) -> list[tuple[str, str]]:
    """Queries of 4-12 words against passages of 10-300 words (``short``: 10-40): a realistic rerank spread."""
    rng = np.random.default_rng(seed)
    words = ("paris france capital city river museum tower history people language food wine art bridge "
             "train station north south old new large small famous centre park street market").split()
    pairs = []
    for _ in range(n):
        query = " ".join(rng.choice(words, rng.integers(4, 13))) + "?"
        longest = 40 if short else 300
        passage = " ".join(rng.choice(words, int(rng.triangular(10, min(40, longest - 1), longest)))) + "."
        pairs.append((query, passage))
    return pairs


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny-random")
    parser.add_argument("--pairs", type=int, nargs="+", default=[24, 2000], help="call sizes (default: 24 2000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--short", action="store_true", help="passages of 10-40 words instead of 10-300")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args()

    rr = rerankkit.load(args.model, device=args.device, batch_size=args.batch_size)
    flag = rr.flag  # the same FlagReranker object, so the same weights
    sizes = list(dict.fromkeys(args.pairs))
    sets = {n: mixed_length_pairs(n, short=args.short) for n in sizes}

    def ours(n: int):
        return rr.score(sets[n], batch_size=args.batch_size, show_progress=False)

    def theirs(n: int):
        return flag.compute_score([list(p) for p in sets[n]], batch_size=args.batch_size)

    warnings.simplefilter("ignore", rerankkit.TruncationWarning)
    load_before = os.getloadavg()
    for n in sizes:
        ours(n), theirs(n)  # warm-up, not counted
    # Interleaved: every repeat times both scorers at every size, so drift in machine load hits all alike.
    times: dict[tuple[str, int], list[float]] = {(who, n): [] for who in ("flag", "ours") for n in sizes}
    for _ in range(args.repeats):
        for n in sizes:
            times[("flag", n)].append(seconds(lambda: theirs(n)))
            times[("ours", n)].append(seconds(lambda: ours(n)))
    load_after = os.getloadavg()
    diffs = {n: float(np.max(np.abs(ours(n) - np.asarray(theirs(n))))) for n in sizes}

    shape = "short passages (10-40 words)" if args.short else "mixed passages (10-300 words)"
    print(f"model {rr.info.label}, {rr.info.n_parameters / 1e6:.1f}M parameters, device {rr.info.device}, "
          f"dtype {rr.info.dtype}, torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}")
    print(f"{shape}, batch size {args.batch_size}, {args.repeats} interleaved runs each (after warm-up); "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print(f"{'pairs':>6} {'scorer':<28} {'pairs/s (median)':>16} {'min':>8} {'max':>8}")
    rows = []
    for n in sizes:
        for who, name in (("flag", "FlagReranker.compute_score"), ("ours", "rerankkit Reranker.score")):
            rates = [n / t for t in times[(who, n)]]
            print(f"{n:>6} {name:<28} {statistics.median(rates):>16.1f} {min(rates):>8.1f} {max(rates):>8.1f}")
        ratio = statistics.median(times[("flag", n)]) / statistics.median(times[("ours", n)])
        print(f"{n:>6} ratio rerankkit / FlagReranker (median pairs/s): {ratio:.2f}x; "
              f"max |score difference| {diffs[n]:.2e}")
        rows.append({"pairs": n, "ratio": ratio, "max_abs_diff": diffs[n],
                     "flag_pairs_per_s": [n / t for t in times[("flag", n)]],
                     "ours_pairs_per_s": [n / t for t in times[("ours", n)]]})
    if args.out:
        record = {"benchmark": "scoring_vs_flagembedding", "model": rr.info.model_id, "label": rr.info.label,
                  "random_weights": rr.info.random_weights, "parameters": rr.info.n_parameters,
                  "device": rr.info.device, "dtype": rr.info.dtype, "torch": torch.__version__,
                  "threads": torch.get_num_threads(), "machine": platform.machine(), "passages": shape,
                  "batch_size": args.batch_size, "repeats": args.repeats, "interleaved": True,
                  "load_average_before": load_before, "load_average_after": load_after, "sizes": rows,
                  "note": "FlagReranker.compute_score runs an extra forward pass of its first batch on every "
                          "call; the ratio at the small size carries that fixed cost, at the large size hardly."}
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2)
        print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
