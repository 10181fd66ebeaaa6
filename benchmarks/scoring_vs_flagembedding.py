"""rerankkit's scoring loop against FlagReranker.compute_score: same weights, same pairs, one run.

Prints pairs/s (median of --repeats runs, with min and max) for each, their ratio, and the
largest |difference| between the two sets of scores. Never passes or fails on time.

    python benchmarks/scoring_vs_flagembedding.py                    # tiny-random, quick
    python benchmarks/scoring_vs_flagembedding.py --model BAAI/bge-reranker-v2-m3 --pairs 128
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # FlagEmbedding's own progress bars would flood the table

import numpy as np
import torch

import rerankkit


def mixed_length_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Queries of 4-12 words against passages of 10-300 words: a realistic rerank spread."""
    rng = np.random.default_rng(seed)
    words = ("paris france capital city river museum tower history people language food wine art bridge "
             "train station north south old new large small famous centre park street market").split()
    pairs = []
    for _ in range(n):
        query = " ".join(rng.choice(words, rng.integers(4, 13))) + "?"
        passage = " ".join(rng.choice(words, int(rng.triangular(10, 40, 300)))) + "."
        pairs.append((query, passage))
    return pairs


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny-random")
    parser.add_argument("--pairs", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    rr = rerankkit.load(args.model, device=args.device, batch_size=args.batch_size)
    pairs = mixed_length_pairs(args.pairs)
    flag_pairs = [list(p) for p in pairs]
    flag = rr.flag  # the same FlagReranker object, so the same weights

    def ours():
        return rr.score(pairs, batch_size=args.batch_size, show_progress=False)

    def theirs():
        return flag.compute_score(flag_pairs, batch_size=args.batch_size)

    warnings.simplefilter("ignore", rerankkit.TruncationWarning)
    ours(), theirs()  # warm-up, not counted
    # Alternate the two so that drift in machine load hits both alike.
    t_ours, t_theirs = [], []
    for _ in range(args.repeats):
        t_theirs.append(seconds(theirs))
        t_ours.append(seconds(ours))
    diff = float(np.max(np.abs(ours() - np.asarray(theirs()))))

    print(f"model {rr.info.label}, {rr.info.n_parameters / 1e6:.1f}M parameters, device {rr.info.device}, "
          f"dtype {rr.info.dtype}, torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}")
    print(f"{args.pairs} pairs of mixed length, batch size {args.batch_size}, {args.repeats} runs each (after warm-up)\n")
    print(f"{'scorer':<34} {'pairs/s (median)':>16} {'min':>8} {'max':>8}")
    rows = [("FlagReranker.compute_score", t_theirs), ("rerankkit Reranker.score", t_ours)]
    for name, times in rows:
        rates = [args.pairs / t for t in times]
        print(f"{name:<34} {statistics.median(rates):>16.1f} {min(rates):>8.1f} {max(rates):>8.1f}")
    ratio = statistics.median(t_theirs) / statistics.median(t_ours)
    print(f"\nratio rerankkit / FlagReranker (median pairs/s): {ratio:.2f}x")
    print(f"max |score difference|: {diff:.2e}")


if __name__ == "__main__":
    main()
