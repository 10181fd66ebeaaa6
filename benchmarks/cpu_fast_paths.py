"""CPU fast paths against FlagReranker and sentence-transformers, side by side in one run.

Times, on the same model folder and the same realistic mixed-length pairs (queries of 5-20
tokens, passages of 30-400 tokens, counted with the model's tokenizer):

- ``FlagReranker.compute_score`` in fp32, at its default batch size (128) and at ours;
- ``sentence-transformers`` ``CrossEncoder.predict`` (fp32);
- rerankkit ``score`` in fp32, in bf16 (``--bf16``), and in int8 with each int8 backend.

Each timed pass scores every pair end to end (tokenization included). Contenders are
interleaved: repeat 1 runs all of them, then repeat 2, and so on, so a noisy neighbour on a
shared machine slows them alike. One untimed warm-up pass on a few pairs precedes timing.
Prints pairs/s (median, min, max over the repeats), ratios against FlagReranker fp32,
agreement of every path with FlagReranker's scores, and the hardware, versions and date.

    python benchmarks/cpu_fast_paths.py                                    # bge-reranker-v2-m3 shape, 2 threads
    python benchmarks/cpu_fast_paths.py --model tiny-random --pairs 64     # quick smoke run
    python benchmarks/cpu_fast_paths.py --json results.json

``random:BAAI/bge-reranker-v2-m3`` has the real architecture and size with random weights:
timings are honest for that model; the agreement figures on random weights only show that
each path computes the same function, not how the real model's rankings move (run with
``--model BAAI/bge-reranker-v2-m3`` for that).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # FlagEmbedding's own progress bars would flood the table

import numpy as np
import torch

FLAG_DEFAULT_BATCH = 128  # FlagReranker's default batch_size


def token_controlled_pairs(tokenizer, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Pairs whose query and passage lengths, in tokens of this tokenizer, follow a realistic spread."""
    rng = np.random.default_rng(seed)
    words = ("paris france capital city river museum tower history people language food wine art bridge train "
             "station north south old new large small famous centre park street market panda bear china water "
             "learning model data quantum computer energy light music school garden winter summer").split()
    word_tokens = {w: len(tokenizer(" " + w, add_special_tokens=False)["input_ids"]) for w in words}

    def text(target: int) -> str:
        out, count = [], 0
        while count < target:
            w = str(rng.choice(words))
            out.append(w)
            count += word_tokens[w]
        return " ".join(out)

    return [(text(int(rng.integers(5, 21))), text(int(round(rng.triangular(30, 80, 400))))) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="random:BAAI/bge-reranker-v2-m3")
    parser.add_argument("--pairs", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8, help="rerankkit's batch size (and FlagReranker's second row)")
    parser.add_argument("--int8-backends", default="torch,onnxruntime,openvino")
    parser.add_argument("--bf16", action="store_true", help="also time rerankkit bf16 (slow without AVX512-BF16/AMX)")
    parser.add_argument("--no-st", action="store_true", help="skip sentence-transformers")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    import rerankkit
    from rerankkit.measure.timing import environment

    base = rerankkit.load(args.model, device="cpu", dtype="fp32", batch_size=args.batch_size)
    path = base.info.path
    pairs = token_controlled_pairs(base.tokenizer, args.pairs)
    lengths = base.encode(pairs).n_tokens
    flag_pairs = [list(p) for p in pairs]
    warm = pairs[: min(4, len(pairs))]

    contenders: dict[str, tuple[callable, callable]] = {}
    flag = base.flag  # the real FlagReranker on the same folder (fp32 on CPU)
    # Passed explicitly: this FlagReranker was built with rerankkit's batch size, and 128 is
    # FlagReranker's own default (FlagEmbedding's encoder-only reranker, ``batch_size: int = 128``).
    contenders[f"FlagReranker fp32 (default batch {FLAG_DEFAULT_BATCH})"] = (
        lambda: flag.compute_score(flag_pairs, batch_size=FLAG_DEFAULT_BATCH, normalize=False),
        lambda: flag.compute_score([list(p) for p in warm], batch_size=FLAG_DEFAULT_BATCH, normalize=False),
    )
    contenders[f"FlagReranker fp32 (batch {args.batch_size})"] = (
        lambda: flag.compute_score(flag_pairs, batch_size=args.batch_size, normalize=False),
        lambda: flag.compute_score([list(p) for p in warm], batch_size=args.batch_size, normalize=False),
    )
    if not args.no_st:
        from sentence_transformers import CrossEncoder

        ce = CrossEncoder(path, device="cpu", max_length=base.info.max_length)
        contenders[f"sentence-transformers CrossEncoder fp32 (batch {args.batch_size})"] = (
            lambda: ce.predict(pairs, batch_size=args.batch_size, activation_fn=torch.nn.Identity(),
                               show_progress_bar=False),
            lambda: ce.predict(warm, batch_size=args.batch_size, show_progress_bar=False),
        )
    rerankers = {f"rerankkit fp32 (batch {args.batch_size})": base}
    if args.bf16:
        rerankers[f"rerankkit bf16 (batch {args.batch_size})"] = rerankkit.load(
            path, device="cpu", dtype="bf16", batch_size=args.batch_size)
    for backend in [b.strip() for b in args.int8_backends.split(",") if b.strip()]:
        os.environ["RERANKKIT_INT8_BACKEND"] = backend
        started = time.perf_counter()
        try:
            rr = rerankkit.load(path, device="cpu", dtype="int8", batch_size=args.batch_size)
        except Exception as exc:  # report a backend that cannot run here, keep measuring the rest
            print(f"int8 backend {backend}: unavailable ({type(exc).__name__}: {exc})")
            continue
        print(f"int8 backend {backend}: ready in {time.perf_counter() - started:.1f} s "
              "(ONNX and OpenVINO exports are cached after the first run)")
        rerankers[f"rerankkit int8 {backend} (batch {args.batch_size})"] = rr
    os.environ.pop("RERANKKIT_INT8_BACKEND", None)
    for name, rr in rerankers.items():
        contenders[name] = (
            (lambda rr=rr: rr.score(pairs, show_progress=False)),
            (lambda rr=rr: rr.score(warm, show_progress=False)),
        )

    env = environment()
    print(f"\nmodel {base.info.label}, {base.info.n_parameters / 1e6:.1f}M parameters, max_length {base.info.max_length}")
    print(f"{len(pairs)} pairs, tokens per pair: min {lengths.min()}, median {int(np.median(lengths))}, "
          f"max {lengths.max()}, mean {lengths.mean():.0f}; {args.repeats} interleaved repeats, {args.threads} threads")
    print("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()))

    for _, warmup in contenders.values():
        warmup()
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    scores: dict[str, np.ndarray] = {}
    # The 1-minute load average before each repeat records how busy the machine was (this
    # benchmark alone adds about --threads to it); other jobs on a shared machine show above that.
    load_averages: list[float] = []
    for repeat in range(args.repeats):
        load_averages.append(round(os.getloadavg()[0], 2))
        for name, (run, _) in contenders.items():
            start = time.perf_counter()
            out = run()
            seconds[name].append(time.perf_counter() - start)
            scores[name] = np.asarray(out, dtype=np.float64).reshape(-1)
            print(f"  repeat {repeat + 1}: {name}: {len(pairs) / seconds[name][-1]:.3f} pairs/s", flush=True)

    baseline = f"FlagReranker fp32 (default batch {FLAG_DEFAULT_BATCH})"
    same_batch = f"FlagReranker fp32 (batch {args.batch_size})"
    rate = {name: statistics.median(len(pairs) / s for s in secs) for name, secs in seconds.items()}
    print(f"\n{'contender':<58} {'pairs/s':>8} {'min':>7} {'max':>7} {'vs Flag':>8} {'vs Flag b' + str(args.batch_size):>11}"
          f" {'max|diff|':>10}")
    results = []
    for name, secs in seconds.items():
        rates = [len(pairs) / s for s in secs]
        diff = float(np.abs(scores[name] - scores[baseline]).max())
        row = dict(contender=name, pairs_per_s=rate[name], min=min(rates), max=max(rates),
                   ratio_vs_flag_default=rate[name] / rate[baseline], ratio_vs_flag_same_batch=rate[name] / rate[same_batch],
                   max_abs_diff_vs_flag=diff, repeats=len(secs), pairs_per_s_each_repeat=rates)
        results.append(row)
        print(f"{name:<58} {row['pairs_per_s']:8.3f} {row['min']:7.3f} {row['max']:7.3f} "
              f"{row['ratio_vs_flag_default']:7.2f}x {row['ratio_vs_flag_same_batch']:10.2f}x {diff:10.4f}")
    fastest = max((r for r in results if r["contender"].startswith("rerankkit")), key=lambda r: r["pairs_per_s"])
    print(f"\nfastest rerankkit CPU path: {fastest['contender']}: {fastest['ratio_vs_flag_default']:.2f}x FlagReranker "
          f"fp32 at its default batch size, {fastest['ratio_vs_flag_same_batch']:.2f}x at batch {args.batch_size}")
    if base.info.random_weights:
        print("note: random weights: the timings are honest for this architecture; score differences only show "
              "that each path computes the same function.")
    load_averages.append(round(os.getloadavg()[0], 2))
    print(f"1-minute load average before each repeat and at the end: {load_averages}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"model": args.model, "n_pairs": len(pairs), "threads": args.threads, "environment": env,
                       "load_average_1min": load_averages,
                       "tokens_per_pair": {"min": int(lengths.min()), "median": float(np.median(lengths)),
                                           "max": int(lengths.max())},
                       "results": results}, fh, indent=2)


if __name__ == "__main__":
    main()
