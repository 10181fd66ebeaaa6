"""How busy `rerankkit evaluate` keeps the model: the share of wall time spent in the forward pass.

Pairs come from the shipped evaluation fixture (queries against the kit's BM25 ranking of its corpus,
deepest first, so each query contributes many documents). Two ways of scoring the same pairs:

* ``overlapped``: rerankkit.evaluation.score_pairs, as `rerankkit evaluate` runs it (a background thread
  looks texts up, tokenizes and pads the next batches while the model runs; scores appended to a file);
* ``serial``: tokenize a batch, then run it, in one thread (what a plain loop does).

The share is forward-pass seconds (logits back on the CPU included) over the scoring loop's wall time.
Models: ``tiny-random`` on 10,000 pairs (median of --repeats runs), and ``random:BAAI/bge-reranker-v2-m3``
(bge-reranker-v2-m3's shape, random weights: timing only) on as many pairs as fit in --large-seconds,
measured once. It prints a table and never passes or fails.

    python benchmarks/evaluate_forward_share.py [--pairs 10000] [--repeats 3] [--large-seconds 300] [--device cpu]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

import rerankkit
from rerankkit.evaluation import first_stage_run, load_fixture
from rerankkit.evaluation.runner import ScoreLog, score_pairs


def pairs(n: int):
    data = load_fixture()
    k = -(-n // len(data.queries))
    run = first_stage_run(data, k=k)
    keys = [(q, d) for q, docs in run.items() for d in docs][:n]
    return keys, (lambda key: (data.queries[key[0]], data.docs[key[1]]))


def overlapped(rr, keys, text, batch_size: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        log = ScoreLog(Path(tmp) / "scores.jsonl", {"model": rr.info.model_id, "max_length": rr.info.max_length})
        _, stats = score_pairs(rr, keys, text, log=log, batch_size=batch_size, show_progress=False)
    return stats.wall_s, stats.forward_s


def serial(rr, keys, text, batch_size: int) -> tuple[float, float]:
    forward = 0.0
    started = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(keys), batch_size):
            encoded = rr.encode([text(k) for k in keys[b : b + batch_size]])
            width = int(encoded.n_tokens.max())
            ids = torch.full((len(encoded), width), rr.tokenizer.pad_token_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, seq in enumerate(encoded.input_ids):
                ids[row, : len(seq)] = torch.as_tensor(seq)
                mask[row, : len(seq)] = 1
            t0 = time.perf_counter()
            rr.model(input_ids=ids.to(rr.model.device), attention_mask=mask.to(rr.model.device)).logits.float().cpu()
            forward += time.perf_counter() - t0
    return time.perf_counter() - started, forward


def measure(name: str, rr, keys, text, batch_size: int, repeats: int) -> list[dict]:
    rows = []
    for mode, fn in (("overlapped", overlapped), ("serial", serial)):
        runs = [fn(rr, keys, text, batch_size) for _ in range(repeats)]
        walls = [w for w, _ in runs]
        shares = [f / w for w, f in runs]
        rows.append({"model": name, "mode": mode, "pairs": len(keys), "batch": batch_size, "repeats": repeats,
                     "wall_s": statistics.median(walls), "pairs_per_s": len(keys) / statistics.median(walls),
                     "forward_share": statistics.median(shares)})
        print(f"  {name:<34} {mode:<10} {len(keys):>6} pairs  wall {rows[-1]['wall_s']:8.1f} s  "
              f"{rows[-1]['pairs_per_s']:8.1f} pairs/s  forward share {100 * rows[-1]['forward_share']:5.1f}%",
              flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000, help="pairs for tiny-random (default: 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per mode for tiny-random (median)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--large", default="random:BAAI/bge-reranker-v2-m3")
    parser.add_argument("--large-seconds", type=float, default=300, help="time budget per mode for the large model")
    parser.add_argument("--large-batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"device {args.device}")
    keys, text = pairs(args.pairs)
    rows = []
    rr = rerankkit.load("tiny-random", device=args.device, max_length=args.max_length)
    print(f"{rr.info.label}: {len(keys)} pairs, median of {args.repeats}")
    rows += measure("tiny-random", rr, keys, text, args.batch_size, args.repeats)
    if not args.skip_large:
        big = rerankkit.load(args.large, device=args.device, max_length=args.max_length)
        probe = keys[: 2 * args.large_batch_size]
        wall, _ = overlapped(big, probe, text, args.large_batch_size)  # also warms up
        n = max(args.large_batch_size, int(len(probe) / wall * args.large_seconds) // 2)  # two modes share the time
        n = min(n, len(keys))
        print(f"{big.info.label}: probe {len(probe) / wall:.2f} pairs/s -> {n} pairs per mode, measured once")
        rows += measure(args.large, big, keys[:n], text, args.large_batch_size, 1)
    print("\n| model | mode | pairs | batch | runs | wall s | pairs/s | forward share |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['mode']} | {r['pairs']} | {r['batch']} | {r['repeats']} | {r['wall_s']:.1f} | "
              f"{r['pairs_per_s']:.1f} | {100 * r['forward_share']:.1f}% |")


if __name__ == "__main__":
    main()
