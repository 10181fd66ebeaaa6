"""The ``rerankkit finetune`` command (argparse wiring; the work is in :mod:`rerankkit.training`).

Examples:
    rerankkit finetune --data cases:keyword_traps --model tiny-random --output out/ --max-steps 4
    rerankkit finetune --data my-eval-folder/ --first-stage hybrid --output out/ --minutes 10
    rerankkit finetune --train train.jsonl --model multilingual-e5-small-q4 --output out/   # your own JSONL
Run the same command again after an interruption: training resumes from the last checkpoint in out/checkpoints.
"""

from __future__ import annotations

import argparse
import json
import threading

__all__ = ["add_commands"]


def _recipe(args: argparse.Namespace):
    from rerankkit.training.trainer import Recipe

    return Recipe(loss=args.loss, group_size=args.group_size, batch_size=args.batch_size, epochs=args.epochs,
                  max_steps=args.max_steps, learning_rate=args.learning_rate, max_length=args.max_length,
                  seed=args.seed, save_steps=args.save_steps, freeze_embeddings=args.freeze_embeddings,
                  gradient_checkpointing=args.gradient_checkpointing, precision=args.precision)


def _cmd_finetune(args: argparse.Namespace) -> int:
    from rerankkit.training.pipeline import finetune
    from rerankkit.training.trainer import train_reranker

    if (args.data is None) == (args.train is None):
        raise ValueError("name the training data: --data (evaluation data: split, mined and measured) or --train "
                         "(a JSONL file of {\"query\", \"pos\", \"neg\"} lines), one of the two")
    recipe = _recipe(args)
    seconds = None if args.minutes is None else args.minutes * 60
    stop = threading.Event()
    try:
        if args.train is not None:
            result = train_reranker(args.train, args.model, args.output, recipe=recipe, resume=not args.restart,
                                    stop=stop, show_progress=not args.no_progress, max_seconds=seconds)
            print(f"{'Saved' if result.complete else 'Stopped'}: step {result.step} of {result.total_steps} -> "
                  f"{result.output}")
            return 0 if result.complete else 130
        report = finetune(args.data, args.output, model=args.model, split=args.split, test_fraction=args.test_fraction,
                          first_stage=args.first_stage, rank_window=(args.window[0], args.window[1]),
                          n_negatives=args.negatives, false_negative_margin=None if args.no_filter else args.margin,
                          recipe=recipe, top_n=args.top_n, measure=not args.no_measure, resume=not args.restart,
                          stop=stop, show_progress=not args.no_progress, max_seconds=seconds)
    except KeyboardInterrupt:
        print(f"\nInterrupted. Run the same command to resume from the last checkpoint in {args.output}/checkpoints.")
        return 130
    print(report.mining.summary())
    if report.table is not None:
        print(report.table.round(4).to_string())
        for name, frame in report.tests.items():
            row = frame.loc["nDCG@10"]
            print(f"nDCG@10, {name}: mean Δ {row['mean_delta']:+.4f}, better {row['better']}, worse {row['worse']}, "
                  f"paired t-test p = {row['p_t_test']:.3g}")
    if args.json and report.table is not None:
        print(json.dumps({"output": str(report.output), "table": report.table.to_dict(orient="index")}, indent=1))
    print(f"Model and card in {report.output} (rerankkit.load or FlagReranker load it).")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``finetune`` on the command line's subparsers."""
    ft = sub.add_parser("finetune", help="fine-tune a reranker on your data (split by query, hard negatives mined, "
                                         "measured before and after; resumable)")
    ft.add_argument("--data", help="evaluation data to split and mine: fixture, cases:<set>, docstrings, a folder "
                                   "(queries.jsonl, corpus.jsonl, qrels.trec) or a benchmark name")
    ft.add_argument("--train", help="instead: a JSONL file of {\"query\", \"pos\", \"neg\"} lines (no split, no "
                                    "measurement)")
    ft.add_argument("--output", required=True, help="folder for the model, its card, split.json and checkpoints")
    ft.add_argument("--model", default="multilingual-e5-small-q4",
                    help="start from: multilingual-e5-small-q4 (default; a new one-logit head), tiny-random, a "
                         "folder or a hub id")
    ft.add_argument("--split", help="a split.json to reuse (default: output/split.json, else a new seeded split)")
    ft.add_argument("--test-fraction", type=float, default=0.2, help="share of queries held out (default: 0.2)")
    ft.add_argument("--first-stage", default="hybrid", choices=("bm25", "dense", "hybrid"),
                    help="mines the negatives and feeds the held-out reranking (default: hybrid)")
    ft.add_argument("--window", type=int, nargs=2, default=(3, 50), metavar=("FIRST", "LAST"),
                    help="first-stage ranks negatives come from (default: 3 50)")
    ft.add_argument("--negatives", type=int, default=7, help="negatives per query (default: 7)")
    ft.add_argument("--margin", type=float, default=0.0, help="false-negative filter: drop candidates whose dense "
                                                              "cosine exceeds the positive's minus this (default: 0)")
    ft.add_argument("--no-filter", action="store_true", help="keep every mined candidate")
    ft.add_argument("--loss", default="grouped", choices=("grouped", "bce"), help="default: grouped")
    ft.add_argument("--group-size", type=int, default=8, help="passages per query per step (default: 8)")
    ft.add_argument("--batch-size", type=int, default=4, help="queries per step (default: 4)")
    ft.add_argument("--epochs", type=int, default=1)
    ft.add_argument("--max-steps", type=int, default=None)
    ft.add_argument("--minutes", type=float, default=None, help="training time budget")
    ft.add_argument("--learning-rate", type=float, default=2e-5)
    ft.add_argument("--max-length", type=int, default=256, help="tokens per pair (default: 256)")
    ft.add_argument("--seed", type=int, default=0)
    ft.add_argument("--save-steps", type=int, default=50, help="checkpoint every N steps (default: 50)")
    ft.add_argument("--freeze-embeddings", action="store_true", help="keep the word embeddings fixed")
    ft.add_argument("--gradient-checkpointing", action="store_true")
    ft.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"), help="bf16/fp16: GPU only")
    ft.add_argument("--top-n", type=int, default=20, help="held-out candidates reranked per query (default: 20)")
    ft.add_argument("--no-measure", action="store_true", help="skip the before/after measurement")
    ft.add_argument("--restart", action="store_true", help="ignore existing checkpoints and start over")
    ft.add_argument("--no-progress", action="store_true")
    ft.add_argument("--json", action="store_true", help="also print the metrics as JSON")
    ft.set_defaults(func=_cmd_finetune)
