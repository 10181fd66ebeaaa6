"""The offline fine-tuning demonstration: a cross-encoder trained from real multilingual-e5-small weights, measured.

Data: the "find the documentation" task of :mod:`rerankkit.training.docstrings` (the summary line of a numpy,
scipy or pandas docstring is the query; the rest of that docstring, cut to ``--words`` words, is the passage to
find among all of them), read from the installed packages. It is disjoint from the kit's hand-written case sets.

Steps, each timed: split by query (seeded; the split is saved and checked: no held-out query, nor any held-out
query's passage, reaches training); first stages over the whole corpus (BM25, dense multilingual-e5-small and
their RRF hybrid); hard negatives for the training queries from the hybrid (a rank window, the dense score as the
false-negative filter); training a cross-encoder initialised from multilingual-e5-small (a new one-logit head) with
the grouped listwise loss for at most ``--minutes`` of CPU; then, on the held-out queries only, the hybrid's top
``--top-n`` reranked by the untrained head ("before") and by the trained model ("after"): nDCG@10 and MRR@10 with
paired t-tests and Wilcoxon tests over queries (scipy), next to the dense and hybrid first stages alone. Finally
the same before/after on a case set it never saw (``keyword_traps``, BM25 top ``--top-n``): what tuning can break.

    python benchmarks/finetune_e5_docstrings.py --out /tmp/ft-demo            # about 30 minutes on 2 busy cores
    python benchmarks/finetune_e5_docstrings.py --out /tmp/ft-demo --minutes 0.5 --test 10 --top-n 5 --modules numpy.linalg scipy.linalg

Prints a table and writes ``summary.json`` beside the model. Timings on a shared machine are noisy: the load
average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def loadavg() -> str:
    try:
        return open("/proc/loadavg").read().split(" ")[0]
    except OSError:
        return "n/a"


class SubsetDense:
    """A dense retriever over a subset of another's corpus, reusing its vectors (no second encoding)."""

    name = "dense"

    def __init__(self, full, keep: list[int]) -> None:
        self.encoder = full.encoder
        self.corpus = [full.corpus[i] for i in keep]
        self.vectors = full.vectors[keep]

    def scores(self, query: str) -> np.ndarray:
        return (self.vectors @ self.encoder.encode([query], kind="query")[0]).astype(np.float64)

    def retrieve(self, query: str, k: int | None = None):
        from rerankkit.retrieval.base import ranked

        return ranked(self.scores(query), self.corpus, k)


def run_of(retriever, data, ids: list[str], k: int) -> dict[str, dict[str, float]]:
    return {q: {ids[c.index]: c.score for c in retriever.retrieve(data.queries[q], k=k)} for q in data.queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the split, training data, model and summary")
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU training budget")
    parser.add_argument("--test", type=int, default=100, help="held-out queries")
    parser.add_argument("--top-n", type=int, default=10, help="first-stage candidates reranked per query")
    parser.add_argument("--words", type=int, default=40, help="words per passage")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case-set", default="keyword_traps")
    parser.add_argument("--case-top-n", type=int, default=5, help="BM25 candidates reranked per case-set query")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (on a shared, overloaded machine one "
                                                                   "thread measured faster than two)")
    parser.add_argument("--modules", nargs="*", help="modules to read docstrings from (default: DOC_MODULES)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from rerankkit import load
    from rerankkit.evaluation import evaluate, from_cases
    from rerankkit.evaluation.report import compare_runs, significance, summary_table
    from rerankkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever, load_encoder
    from rerankkit.training import (
        Recipe,
        check_no_leakage,
        held_out_part,
        mine_hard_negatives,
        save_initial,
        split_queries,
        train_part,
        train_reranker,
        write_examples,
    )
    from rerankkit.training.docstrings import DOC_MODULES, docstring_data

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    loads: dict[str, str] = {}

    def timed(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 1)
        loads[name] = loadavg()
        print(f"[{name}: {timings[name]} s, load {loads[name]}]", flush=True)

    t = time.perf_counter()
    data = docstring_data(args.modules or DOC_MODULES, max_words=args.words)
    split = split_queries(data, test_fraction=min(0.5, args.test / len(data.queries)), seed=args.seed)
    split.save(out / "split.json")
    train, test = train_part(data, split), held_out_part(data, split)
    print(f"{len(data.queries)} queries ({data.notes[0]}); {len(split.train)} train, {len(split.test)} held out")
    timed("data", t)

    t = time.perf_counter()
    encoder = load_encoder("multilingual-e5-small-q4", max_length=128)
    ids = list(data.docs)
    dense = DenseRetriever([data.docs[d] for d in ids], encoder)
    bm25 = BM25Retriever(dense.corpus)
    hybrid = HybridRetriever([bm25, dense])
    timed("encode corpus", t)

    t = time.perf_counter()
    dense_run = run_of(dense, test, ids, args.top_n)
    hybrid_run = run_of(hybrid, test, ids, args.top_n)
    bm25_run = run_of(bm25, test, ids, args.top_n)
    timed("first stages (held out)", t)

    t = time.perf_counter()
    keep = [i for i, d in enumerate(ids) if d in train.docs]
    sub = SubsetDense(dense, keep)
    train_hybrid = HybridRetriever([BM25Retriever(sub.corpus), sub])
    examples, report = mine_hard_negatives(train, train_hybrid, rank_window=(2, 30), n_negatives=7,
                                           scorer=sub, margin=-0.03, show_progress=True)
    check_no_leakage(examples, split, data.queries)
    write_examples(examples, out / "train.jsonl")
    print(report.summary())
    print(report.dropped[["query", "candidate", "positive_score", "candidate_score"]].head(5).to_string())
    timed("mining", t)

    recipe = Recipe(loss="grouped", group_size=4, batch_size=8, learning_rate=6e-5, max_length=128,
                    freeze_embeddings=True, seed=args.seed, save_steps=25, warmup_ratio=0.1)
    t = time.perf_counter()
    result = train_reranker(out / "train.jsonl", "multilingual-e5-small-q4", out / "model", recipe=recipe,
                            resume=False, max_seconds=args.minutes * 60)
    timed("training", t)
    print(f"trained {result.step} of {result.total_steps} steps ({result.step * recipe.batch_size} queries, "
          f"{result.step * recipe.pairs_per_step} pairs) in {result.seconds:.0f} s; "
          f"loss first/last 10: {np.mean([v for _, v in result.losses[:10]]):.3f} / "
          f"{np.mean([v for _, v in result.losses[-10:]]):.3f}")

    t = time.perf_counter()
    before_dir = save_initial("multilingual-e5-small-q4", out / "before", seed=args.seed)
    held = test.with_run(hybrid_run, "hybrid")
    reports = {}
    for name, folder in (("before", before_dir), ("after", out / "model")):
        rr = load(folder, max_length=128)
        reports[name] = evaluate(held, rr, top_n=args.top_n, show_progress=True)
        del rr
    timed("evaluation (held out)", t)
    first = {"dense": dense_run, "hybrid": hybrid_run, "bm25": bm25_run}
    table = {}
    for name, run in first.items():
        pq = compare_runs(test.qrels, run, run, top_n=args.top_n)
        table[f"{name} first stage"] = summary_table(pq).loc["Base"][["nDCG@10", "MRR@10"]].to_dict()
    for name, rep in reports.items():
        table[f"hybrid + cross-encoder {name}"] = rep.table.loc["Reranked"][["nDCG@10", "MRR@10"]].to_dict()
    tests = {
        "after vs hybrid": significance(compare_runs(test.qrels, hybrid_run, reports["after"].reranked,
                                                     top_n=args.top_n)),
        "after vs dense": significance(compare_runs(test.qrels, dense_run, reports["after"].reranked,
                                                    top_n=args.top_n)),
        "after vs before": significance(compare_runs(test.qrels, reports["before"].reranked,
                                                     reports["after"].reranked, top_n=args.top_n)),
    }

    t = time.perf_counter()
    cases = {}
    for name, folder in (("before", before_dir), ("after", out / "model")):
        rr = load(folder, max_length=128)
        rep = evaluate(from_cases(args.case_set), rr, top_n=args.case_top_n, show_progress=False)
        cases[name] = rep
        del rr
    timed("evaluation (case set)", t)
    case_table = {"bm25 first stage": cases["after"].table.iloc[0][["nDCG@10", "MRR@10"]].to_dict(),
                  **{f"bm25 + cross-encoder {n}": r.table.loc["Reranked"][["nDCG@10", "MRR@10"]].to_dict()
                     for n, r in cases.items()}}
    case_test = significance(compare_runs(from_cases(args.case_set).qrels, cases["before"].reranked,
                                          cases["after"].reranked, top_n=args.case_top_n))

    print(f"\nHeld-out queries: {len(test.queries)} (of {len(data.queries)}); reranking depth {args.top_n}")
    for name, row in table.items():
        print(f"  {name:34s} nDCG@10 {row['nDCG@10']:.4f}  MRR@10 {row['MRR@10']:.4f}")
    for name, frame in tests.items():
        print(f"  {name}:")
        print(frame[["n_queries", "mean_delta", "better", "worse", "tied", "p_t_test", "p_wilcoxon"]].to_string())
    print(f"\nCase set {args.case_set} (never trained on), BM25 top {args.case_top_n}:")
    for name, row in case_table.items():
        print(f"  {name:34s} nDCG@10 {row['nDCG@10']:.4f}  MRR@10 {row['MRR@10']:.4f}")
    print(case_test[["n_queries", "mean_delta", "better", "worse", "tied", "p_t_test", "p_wilcoxon"]].to_string())
    print(f"\nTimings (s): {timings}\nLoad average at each: {loads}\nCPU threads: {torch.get_num_threads()}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    summary = {"data": data.notes[0], "n_queries": len(data.queries), "n_train": len(split.train),
               "n_test": len(split.test), "top_n": args.top_n, "recipe": recipe.__dict__,
               "steps": result.step, "total_steps": result.total_steps, "train_seconds": round(result.seconds, 1),
               "mining": report.summary(), "held_out": table,
               "tests": {k: v.reset_index().to_dict(orient="records") for k, v in tests.items()},
               "case_set": {args.case_set: case_table,
                            "after_vs_before": case_test.reset_index().to_dict(orient="records")},
               "timings_s": timings, "loadavg": loads}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))


if __name__ == "__main__":
    main()
