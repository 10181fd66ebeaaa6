"""The ``rerankkit evaluate`` and ``rerankkit prepare`` commands (argparse wiring; the work is in the library).

Examples:
    rerankkit evaluate --queries q.tsv --corpus corpus.jsonl --qrels qrels.trec --run bm25.trec --top-n 100 \\
        --output reranked.trec --scores scores.jsonl      # rerun the same line to resume after an interruption
    rerankkit evaluate --dataset fixture --model tiny-random --top-n 20
    rerankkit prepare --dataset nanobeir/fiqa              # download once (network), cached for offline use
    rerankkit prepare                                      # everything the notebooks use, for offline use
    rerankkit prepare --check                              # what is cached, what is missing (no network)
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

__all__ = ["add_commands"]


def _data(args: argparse.Namespace):
    from rerankkit.evaluation.datasets import from_files
    from rerankkit.evaluation.runner import resolve_data

    files = (args.queries, args.corpus, args.qrels)
    if args.dataset is not None:
        if any(files) or args.run:
            raise ValueError("pass either --dataset or --queries/--corpus/--qrels (with an optional --run), not both")
        return resolve_data(args.dataset, first_stage=args.first_stage, k=args.top_n, download=not args.no_download)
    if not all(files):
        raise ValueError("name the data: --queries, --corpus and --qrels (and --run for a first-stage TREC run), or "
                         "--dataset fixture | cases:<set> | nanobeir/<set> | beir/<set>[/split] | miracl/<lang>/dev")
    return resolve_data(from_files(*files, run=args.run), first_stage=args.first_stage, k=args.top_n)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from rerankkit.evaluation.runner import evaluate

    data = _data(args)
    scores = args.scores
    if scores is None and args.output is not None:
        scores = str(Path(args.output).with_suffix(".scores.jsonl"))
    if scores is not None:
        print(f"Scores are appended to {scores}; run the same command again to resume after an interruption.")
    from rerankkit.scoring.loading import load

    reranker = load(args.model, device=args.device, dtype=args.dtype, max_length=args.max_length)
    try:
        report = evaluate(data, reranker, top_n=args.top_n, scores_path=scores, output=args.output,
                          batch_size=args.batch_size, show_progress=not args.no_progress)
    except KeyboardInterrupt:
        print(f"\nInterrupted. Scored pairs are kept in {scores}; run the same command to continue."
              if scores else "\nInterrupted (no --scores file: nothing was kept).")
        return 130
    if args.json:
        s = report.scoring
        print(json.dumps({
            "data": report.name, "first_stage": report.base_name, "model": report.model_label,
            "random_weights": report.random_weights, "top_n": report.top_n, "complete": report.complete,
            "means": json.loads(report.table.to_json(orient="index", force_ascii=False)),
            "tests": json.loads(report.tests.to_json(orient="index")),
            "worse": json.loads(report.worse.to_json(orient="records", force_ascii=False)),
            "counts": {"queries": report.data_stats.n_queries, "judged": report.data_stats.n_judged,
                       "unjudged": report.data_stats.n_unjudged, "pairs": s.n_pairs, "resumed": s.n_resumed,
                       "scored": s.n_scored, "truncated": s.n_truncated},
            "timing": {"wall_s": s.wall_s, "forward_s": s.forward_s, "pairs_per_s": s.pairs_per_s},
            "output": report.output_note or None,
        }, ensure_ascii=False, indent=2))
    else:
        print(report.to_text(max_worse=args.show_worse))
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    from rerankkit.evaluation import readiness
    from rerankkit.evaluation.datasets import dataset_cache_dir, prepare

    if args.dataset is None:
        if args.check:
            report = readiness.check()
        else:
            try:
                report = readiness.fetch_all()
            except KeyboardInterrupt:
                print("\nInterrupted: what finished is cached; run `rerankkit prepare` again for the rest.")
                return 130
        print("\n".join(report.lines()))
        print(report.summary())
        return 0 if report.ready else 1
    if args.check:
        ready = (dataset_cache_dir(args.dataset) / "qrels.trec").is_file()
        print(f"{args.dataset}: {'cached' if ready else 'MISSING'} at {dataset_cache_dir(args.dataset)}"
              + ("" if ready else f" (fix: rerankkit prepare --dataset {args.dataset})"))
        return 0 if ready else 1
    folder = prepare(args.dataset, k=args.k)
    print(f"{args.dataset} is ready at {folder} (queries, corpus, qrels, BM25 top {args.k} run)")
    return 0


def add_commands(sub: argparse._SubParsersAction,
                 add_model_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``evaluate`` and ``prepare`` on the command line's subparsers."""
    ev = sub.add_parser("evaluate", help="rerank the top N of a run and report Base -> Reranked metrics (resumable)")
    add_model_args(ev)
    ev.add_argument("--queries", help="queries: TSV (qid<TAB>text) or JSONL ({\"_id\", \"text\"})")
    ev.add_argument("--corpus", help="corpus: JSONL ({\"_id\", \"title\", \"text\"}), TSV or parquet")
    ev.add_argument("--qrels", help="judgements: TREC qrels (qid 0 docid grade)")
    ev.add_argument("--run", help="first-stage TREC run (qid Q0 docid rank score tag); default: the kit's BM25")
    ev.add_argument("--dataset", help="instead of files: fixture, cases:<set>, nanobeir/<set>, beir/<set>[/split] "
                                      "or miracl/<lang>/dev")
    ev.add_argument("--first-stage", default="bm25", choices=("bm25", "dense"),
                    help="retriever that builds the run when none is given (default: bm25)")
    ev.add_argument("--top-n", type=int, default=100, help="documents per query to rerank (default: 100)")
    ev.add_argument("--output", help="write the reranked run here (TREC run file: the reranked top N, then the rest "
                         "of the first-stage run in its own order, scored below)")
    ev.add_argument("--scores", help="score file to append to and resume from (default: <output>.scores.jsonl)")
    ev.add_argument("--batch-size", type=int, default=None, help="pairs per forward pass (default: the model's)")
    ev.add_argument("--show-worse", type=int, default=10, help="queries that got worse to list (default: 10)")
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")
    ev.add_argument("--no-download", action="store_true", help="never download a benchmark; fail if not cached")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.set_defaults(func=_cmd_evaluate)

    prep = sub.add_parser("prepare", help="fetch everything the notebooks use for offline use (models, encoder, data "
                                          "sets), or one benchmark with --dataset; --check only looks")
    prep.add_argument("--dataset", default=None, help="only this benchmark: nanobeir/<set>, beir/<set>[/split] or "
                                                      "miracl/<lang>/dev (downloads it, builds its BM25 run)")
    prep.add_argument("--check", action="store_true", help="no network: report each item (size, the command that "
                                                           "fetches it); exit 1 when something is missing")
    prep.add_argument("--k", type=int, default=100, help="BM25 run depth (default: 100)")
    prep.set_defaults(func=_cmd_prepare)
