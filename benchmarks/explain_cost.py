"""What an explanation costs for a model of bge-reranker-v2-m3's shape, on this machine.

Builds XLMRobertaForSequenceClassification with the shape of BAAI/bge-reranker-v2-m3
(24 layers, hidden 1024, vocab 250002: about 568M parameters) with random weights (timings
do not depend on the values) and measures, for passages of several lengths:

* one forward pass of the pair (median of several runs),
* integrated gradients through rerankkit.explain (n_steps given below),
* occlusion through rerankkit.explain (one forward per word),

and prints the measured times next to rerankkit's estimate (3 x n_steps forwards for
integrated gradients, n_words forwards for occlusion). It never passes or fails.

    python benchmarks/explain_cost.py [--device cpu] [--n-steps 8] [--words 20 60 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time
import types
import warnings

import torch
from transformers import AutoTokenizer, XLMRobertaForSequenceClassification

import rerankkit
from rerankkit.errors import SlowExplanationWarning
from rerankkit.explain.attributions import estimate_seconds
from rerankkit.measure.timing import median_seconds
from rerankkit.models.synthetic import random_config, tiny_random_path
from rerankkit.scoring.info import ModelInfo
from rerankkit.scoring.reranker import Reranker

WORDS = ("panda bear bamboo forest China mountain species giant black white eats lives sleeps climbs the a is of in "
         "and").split()


def m3_shaped(device: str) -> Reranker:
    tokenizer = AutoTokenizer.from_pretrained(tiny_random_path())
    # The shape of random:BAAI/bge-reranker-v2-m3, built in memory (no 2.2 GB folder on disk).
    model = XLMRobertaForSequenceClassification(random_config("random:BAAI/bge-reranker-v2-m3")).eval().to(device)
    info = ModelInfo(model_id="bge-reranker-v2-m3-shaped (random)", path=os.fspath(tiny_random_path()),
                     kind="encoder", flag_class="FlagReranker", device=device, dtype="fp32", max_length=8192,
                     model_max_length=8192, n_parameters=sum(p.numel() for p in model.parameters()),
                     load_seconds=0.0, random_weights=True)
    return Reranker(types.SimpleNamespace(model=model, tokenizer=tokenizer), info)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-steps", type=int, default=8)
    parser.add_argument("--words", type=int, nargs="+", default=[20, 60])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    rr = m3_shaped(args.device)
    print(f"built {rr.info.n_parameters / 1e6:.0f}M-parameter model on {args.device} in "
          f"{time.perf_counter() - started:.0f} s; torch threads: {torch.get_num_threads()}")
    query = "what does the giant panda eat?"
    print(f"{'words':>5} {'tokens':>6} {'forward s':>9} {'IG meas. s':>10} {'IG est. s':>9} "
          f"{'occl. meas. s':>13} {'occl. est. s':>12}")
    for n_words in args.words:
        passage = " ".join(WORDS[i % len(WORDS)] for i in range(n_words))
        ids = rr.encode([(query, passage)]).input_ids
        forward = median_seconds(lambda: rr.forward(ids), repeats=args.repeats, warmup=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SlowExplanationWarning)
            ig = median_seconds(lambda: rerankkit.explain(rr, query, passage, method="integrated_gradients",
                                                          n_steps=args.n_steps, show_progress=False),
                                repeats=1, warmup=0)
            occ = median_seconds(lambda: rerankkit.explain(rr, query, passage, method="occlusion",
                                                           show_progress=False),
                                 repeats=1, warmup=0)
        n_all = len(query.split()) + n_words
        ig_est = estimate_seconds("integrated_gradients", seconds_per_forward=forward, n_steps=args.n_steps)
        occ_est = estimate_seconds("occlusion", seconds_per_forward=forward, n_words=n_all)
        print(f"{n_words:>5} {len(ids[0]):>6} {forward:>9.3f} {ig:>10.1f} {ig_est:>9.1f} {occ:>13.1f} {occ_est:>12.1f}")
    print(f"IG measured with n_steps={args.n_steps}; at the default 50 steps it scales about linearly "
          "(x50/n_steps). Measured times include explain()'s own scoring and timing passes.")


if __name__ == "__main__":
    main()
