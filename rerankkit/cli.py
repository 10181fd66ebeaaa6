"""Command line: ``rerankkit check | score | download | models | doctor | bench | evaluate | prepare | rerank-dataset | serve``.

Examples:
    rerankkit check                      # load the default model and run the classic first check
    rerankkit check --model tiny-random  # the same, offline, on random weights
    rerankkit score "what is panda?" "hi" "The giant panda is a bear species."
    printf '{"query": "q", "passage": "p"}\\n' | rerankkit score --json
    rerankkit download --model BAAI/bge-reranker-v2-m3
    rerankkit models                     # the rerankers people choose between: size, licence, limits, libraries
    rerankkit doctor                     # is this machine ready? one line per component, the fix for each problem
    rerankkit bench --model tiny-random --dtypes fp32,int8 --batch-sizes 8,32 --lengths 64,256 --repeats 3
    rerankkit bench --model tiny-random --dtypes fp32,int8 --batch-sizes 1 --lengths 128,256,512 --max-cell-seconds 30
    rerankkit bench --model tiny-random --dtypes fp32,int8 --interactive   # one rerank of 20 passages, cold and warm
    rerankkit bench --model tiny-random --long-vs-chunks 512 --chunk-length 128  # one long pair vs chunks
    rerankkit rerank-dataset pairs.jsonl --output scored/ --model tiny-random
    rerankkit serve --model tiny-random          # a reranking service on http://127.0.0.1:8000 (Ray Serve)
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence

import numpy as np

from rerankkit.display.style import random_weights_note
from rerankkit.errors import ModelUnavailableError
from rerankkit.evaluation.commands import add_commands as add_evaluation_commands
from rerankkit.examples import CHECK_EXAMPLES
from rerankkit.scale.command import add_rerank_dataset_command
from rerankkit.serve.command import add_serve_command
from rerankkit.training.commands import add_commands as add_training_commands

__all__ = ["main", "build_parser"]

def _load(args: argparse.Namespace):
    from rerankkit.scoring.loading import load

    return load(args.model, device=args.device, dtype=args.dtype, max_length=args.max_length)


def _cmd_check(args: argparse.Namespace) -> int:
    import platform

    import torch

    print(f"Python {platform.python_version()}, torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
    rr = _load(args)
    print(rr.info)
    if rr.info.random_weights:
        print(f"\nNOTE: {random_weights_note()}: the scores below only exercise the code.")
    for query, passages in CHECK_EXAMPLES:
        ranking = rr.rerank(query, passages)
        raw = [round(x, 4) for x in rr.score(query, passages).tolist()]
        print(f"\nQuery: {query}")
        print(f"Scores (raw logits, input order): {raw}")
        print(f"Scores (sigmoid, input order):    {[round(x, 4) for x in rr.score(query, passages, normalize=True).tolist()]}")
        for row in ranking:
            print(f"  #{row.rank}  score {row.score:.4f}  logit {row.logit:+.4f}  {row.text}")
        print(f"Top-1 result: {ranking[0].text}")
    return 0


def _read_stdin_pairs() -> list[tuple[str, str]]:
    pairs = []
    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"stdin line {n} is not JSON ({exc.msg}): expected {{\"query\": ..., \"passage\": ...}}") from exc
        if not isinstance(item, dict) or "query" not in item or "passage" not in item:
            raise ValueError(f"stdin line {n} must be a JSON object with keys 'query' and 'passage'")
        pairs.append((item["query"], item["passage"]))
    if not pairs:
        raise ValueError("no input: pass a query and passages as arguments, or JSON lines on stdin")
    return pairs


def _cmd_score(args: argparse.Namespace) -> int:
    from rerankkit.score_scale import sigmoid

    if args.query is not None and not args.passages:
        raise ValueError("a query needs at least one passage: rerankkit score QUERY PASSAGE [PASSAGE ...]")
    pairs = [(args.query, p) for p in args.passages] if args.query is not None else _read_stdin_pairs()
    rr = _load(args)
    logits = rr.score(pairs, show_progress=False)
    scores = np.asarray(sigmoid(logits))
    if args.json:
        for (query, passage), logit, score in zip(pairs, logits.tolist(), scores.tolist()):
            print(json.dumps({"query": query, "passage": passage, "logit": logit, "score": score,
                              "random_weights": rr.info.random_weights}, ensure_ascii=False))
        return 0
    if rr.info.random_weights:
        print(f"NOTE: {random_weights_note()}.")
    print(f"{'logit':>9}  {'score':>6}  passage")
    for (_, passage), logit, score in zip(pairs, logits.tolist(), scores.tolist()):
        print(f"{logit:+9.4f}  {score:.4f}  {passage}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from rerankkit.models.hub import fetch_model, resolve_model_id

    spec = resolve_model_id(args.model)
    if spec == "tiny-random":
        from rerankkit.models.synthetic import tiny_random_path

        print(f"tiny-random is built locally: {tiny_random_path()}")
        return 0
    if spec.startswith("tiny-random:"):
        from rerankkit.models.families import tiny_family_path

        print(f"{spec} is built locally: {tiny_family_path(spec)}")
        return 0
    folder = fetch_model(spec, cache_dir=args.cache_dir, force=args.force)
    print(f"{spec} is ready at {folder}")
    return 0


def _catalogue_rows() -> list[dict]:
    from dataclasses import asdict

    from rerankkit.models.catalogue import KNOWN_MODELS
    from rerankkit.models.families import can_build_tiny

    return [{**asdict(known), "libraries": list(known.libraries), "tiny_random_offline": can_build_tiny(hub_id)}
            for hub_id, known in KNOWN_MODELS.items()]


def _cmd_models(args: argparse.Namespace) -> int:
    rows = _catalogue_rows()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    yes_no = {True: "yes", False: "no"}
    columns = [("hub id", "hub_id"), ("kind", "kind"), ("params", "parameters"), ("max tokens", "max_tokens"),
               ("licence", "licence"), ("remote code", "remote_code"), ("commercial", "commercial_use"),
               ("tiny-random:<id>", "tiny_random_offline")]
    cells = [[yes_no[row[key]] if isinstance(row[key], bool) else str(row[key]) for _, key in columns] for row in rows]
    widths = [max(len(title), *(len(line[i]) for line in cells)) for i, (title, _) in enumerate(columns)]
    print("  ".join(title.ljust(width) for (title, _), width in zip(columns, widths)).rstrip())
    print("  ".join("-" * width for width in widths))
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    for row in rows:
        print(f"\n{row['hub_id']} ({row['family']}): {row['note']}")
        print(f"  languages: {row['languages']}")
        print(f"  readout:   {row['readout']}")
        print(f"  libraries: {', '.join(row['libraries'])}"
              + (f" (FlagEmbedding class {row['flag_class']})" if row["flag_class"] else ""))
    print("\nremote code: loading runs code from the model's repository: rerankkit.load(id, trust_remote_code=True, "
          "revision='<commit>').\ntiny-random:<id>: rerankkit.load('tiny-random:<id>') builds that architecture "
          "offline, tiny, with random weights (scores mean nothing).")
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from rerankkit.doctor import exit_code, format_report, run_checks, to_json

    findings = run_checks(model=args.model)
    print(to_json(findings) if args.json else format_report(findings))
    return exit_code(findings)


def _csv(text: str, name: str, cast=str) -> list:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError(f"--{name} is empty: pass comma-separated values, e.g. --{name} 8,32")
    try:
        return [item if cast is str or item == "mixed" else cast(item) for item in items]
    except ValueError as exc:
        raise ValueError(f"--{name} must be comma-separated integers (or 'mixed' for lengths), got {text!r}") from exc


def _print_json(payload: dict) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def _cmd_interactive(args: argparse.Namespace) -> int:
    from rerankkit.measure.latency import LATENCY_COLUMNS, interactive_latency
    from rerankkit.measure.timing import environment

    table = interactive_latency(args.model, dtypes=_csv(args.dtypes, "dtypes"), n_candidates=args.candidates,
                                calls=args.calls, cold_loads=args.cold_loads)
    if args.json:
        _print_json({"environment": environment(), "units": LATENCY_COLUMNS,
                     "rows": json.loads(table.to_json(orient="records"))})
        return 0
    for note in dict.fromkeys(n for n in table["note"] if n):
        print(f"NOTE: {note}")
    print(", ".join(f"{k} {v}" for k, v in environment().items()))
    shown = ["dtype", "backend", "phase", "n_calls", "n_candidates", "median_ms", "p95_ms", "mean_tokens", "load_s"]
    print(table[shown].to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    print("One rr.rerank(query, candidates) on the CPU. cold: the first rerank right after rerankkit.load in this "
          "process (imports and reading the weights excluded, see load_s); warm: the reranks after it.")
    return 0


def _cmd_long_vs_chunks(args: argparse.Namespace) -> int:
    from rerankkit.measure.long_context import long_vs_chunks
    from rerankkit.measure.timing import environment
    from rerankkit.scoring.loading import load

    results = []
    for dtype in _csv(args.dtypes, "dtypes"):
        rr = load(args.model, device="cpu", dtype=dtype)
        result = long_vs_chunks(rr, length=args.long_vs_chunks, chunk_length=args.chunk_length,
                                repeats=args.repeats, warmup=args.warmup)
        results.append({"model": rr.info.model_id, "dtype": dtype, "backend": rr.info.backend, **result.as_dict()})
        if not args.json:
            print(f"{dtype} ({rr.info.backend}): {result.text()}", flush=True)
        del rr
    if args.json:
        _print_json({"environment": environment(), "rows": results})
    elif any(r["random_weights"] for r in results):
        print(f"NOTE: {random_weights_note()}; times are honest only for a model of the real shape "
              "(random:<hub id>), not for tiny-random.")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from rerankkit.measure.timing import COLUMNS, benchmark, environment

    if args.interactive:
        return _cmd_interactive(args)
    if args.long_vs_chunks is not None:
        return _cmd_long_vs_chunks(args)
    table = benchmark(
        args.model,
        devices=_csv(args.devices, "devices"),
        dtypes=_csv(args.dtypes, "dtypes"),
        batch_sizes=_csv(args.batch_sizes, "batch-sizes", int),
        lengths=_csv(args.lengths, "lengths", int),
        repeats=args.repeats,
        warmup=args.warmup,
        n_batches=args.n_batches,
        peak_tflops=args.peak_tflops,
        max_cell_seconds=args.max_cell_seconds,
        max_cell_memory_mb=args.max_cell_memory_mb,
    )
    crossover = float(table.attrs.get("attention_crossover_length", float("nan")))
    if args.json:
        _print_json({"environment": table.attrs.get("environment", environment()),
                     "units": COLUMNS, "attention_crossover_length": crossover,
                     "rows": json.loads(table.to_json(orient="records"))})
        return 0
    if bool(table["timing_only"].fillna(False).any()):
        print(f"NOTE: {random_weights_note(timing_only=True)}; speeds are honest for this architecture.")
    env = table.attrs.get("environment", {})
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    shown = ["device", "dtype", "backend", "batch_size", "length", "warmup", "repeats", "pairs_per_s", "tokens_per_s",
             "latency_p50_ms", "latency_p95_ms", "model_tflops_per_s", "peak_memory_mb", "cell_memory_mb",
             "time_growth", "growth_per_doubling", "attention_flop_share", "padding_efficiency", "status", "note"]
    import pandas as pd

    with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        print(table[shown].to_string(index=False, float_format=lambda x: f"{x:.2f}", na_rep="-"))
    cut = " (fewer where --max-cell-seconds cut them: see warmup and repeats)" if args.max_cell_seconds else ""
    print(f"pairs_per_s: median of {args.repeats} timed repeats after {args.warmup} warm-up pass(es){cut}; "
          "latency per batch; peak_memory_mb: on CPU the process's resident memory "
          "sampled every 5 ms during the cell, on CUDA torch's max allocated; cell_memory_mb: what the cell added "
          "to the memory in use when it started (MiB).")
    print("time_growth: time per pair over that of the previous length; growth_per_doubling: 2 = linear in length, "
          "4 = quadratic. attention_flop_share: attention's L^2 products in the model's FLOPs (from its config)"
          + (f"; they pass the dense layers from {crossover:.0f} tokens per pair." if crossover == crossover else "."))
    return 0


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="hub id, folder or tiny-random (default: $RERANKKIT_MODEL or BAAI/bge-reranker-v2-m3)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")
    parser.add_argument("--dtype", default="auto", help="auto, fp32, fp16 or bf16 (default: auto)")
    parser.add_argument("--max-length", type=int, default=None, help="tokens per pair (default: 512)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands register themselves here)."""
    parser = argparse.ArgumentParser(prog="rerankkit", description="Load, score and explain cross-encoder rerankers.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="load a model and run the classic first check (France and China)")
    _add_model_args(check)
    check.set_defaults(func=_cmd_check)

    score = sub.add_parser("score", help="score a query against passages (arguments, or JSON lines on stdin)")
    _add_model_args(score)
    score.add_argument("query", nargs="?", help="the query (omit to read JSON lines from stdin)")
    score.add_argument("passages", nargs="*", help="passages to score")
    score.add_argument("--json", action="store_true", help="print one JSON object per pair")
    score.set_defaults(func=_cmd_score)

    download = sub.add_parser("download", help="fetch a model into the Hugging Face cache for offline use")
    download.add_argument("--model", default=None, help="hub id (default: $RERANKKIT_MODEL or BAAI/bge-reranker-v2-m3)")
    download.add_argument("--cache-dir", default=None, help="Hugging Face hub cache folder (default: the standard one)")
    download.add_argument("--force", action="store_true",
                          help="download every file again, replacing a damaged or partial copy in the cache")
    download.set_defaults(func=_cmd_download)

    models = sub.add_parser("models", help="list the rerankers the kit knows: size, licence, limits, libraries")
    models.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    models.set_defaults(func=_cmd_models)

    doctor = sub.add_parser("doctor", help="check this environment and say how to fix each problem (exit 1 if broken)")
    doctor.add_argument("--model", default=None, help="the model whose weights to look for (default: $RERANKKIT_MODEL "
                                                      "or BAAI/bge-reranker-v2-m3)")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(func=_cmd_doctor)

    bench = sub.add_parser("bench", help="time the forward pass over devices, dtypes, batch sizes and lengths")
    bench.add_argument("--model", default=None,
                       help="hub id, folder, tiny-random or random:<hub id> (default: $RERANKKIT_MODEL or "
                            "BAAI/bge-reranker-v2-m3)")
    bench.add_argument("--devices", default="cpu,cuda", help="comma-separated: cpu, cuda (default: cpu,cuda)")
    bench.add_argument("--dtypes", default="fp32", help="comma-separated: fp32, fp16, bf16, int8, fastest (default: fp32)")
    bench.add_argument("--batch-sizes", default="8,32", help="comma-separated pairs per batch (default: 8,32)")
    bench.add_argument("--lengths", default="64,256", help="comma-separated tokens per pair, or mixed (default: 64,256)")
    bench.add_argument("--repeats", type=int, default=3, help="timed repeats per cell (default: 3)")
    bench.add_argument("--warmup", type=int, default=1, help="untimed warm-up passes per cell (default: 1)")
    bench.add_argument("--n-batches", type=int, default=2, help="batches per pass (default: 2)")
    bench.add_argument("--peak-tflops", type=float, default=None,
                       help="the hardware's peak TFLOP/s for the dtype (e.g. a GPU's dense bf16 peak): "
                            "adds the fraction of it that the model's FLOPs reach")
    bench.add_argument("--max-cell-seconds", type=float, default=None,
                       help="time budget per cell: long lengths run fewer repeats (at least one), estimated from the "
                            "previous length's time scaled by the model's FLOPs (default: no budget)")
    bench.add_argument("--max-cell-memory-mb", type=float, default=None,
                       help="memory guard: skip a cell when the memory the previous length added, scaled by "
                            "length^2, would exceed this many MiB (default: no guard)")
    bench.add_argument("--interactive", action="store_true",
                       help="instead of the grid: median and p95 of one rr.rerank(query, --candidates passages) of "
                            "real text, cold (first call after load) and warm, per dtype")
    bench.add_argument("--candidates", type=int, default=20, help="--interactive: passages per rerank (default: 20)")
    bench.add_argument("--calls", type=int, default=20, help="--interactive: warm reranks timed (default: 20)")
    bench.add_argument("--cold-loads", type=int, default=1,
                       help="--interactive: loads of the model, one cold sample each (default: 1)")
    bench.add_argument("--long-vs-chunks", type=int, default=None, metavar="LENGTH",
                       help="instead of the grid: time one LENGTH-token pair (e.g. 8192) against the same text as "
                            "chunks of --chunk-length tokens scored as one batch, per dtype")
    bench.add_argument("--chunk-length", type=int, default=512, help="--long-vs-chunks: tokens per chunk pair "
                                                                     "(default: 512)")
    bench.add_argument("--json", action="store_true", help="print the table as JSON (with units and environment)")
    bench.set_defaults(func=_cmd_bench)
    add_evaluation_commands(sub, _add_model_args)
    add_rerank_dataset_command(sub)
    add_training_commands(sub)
    add_serve_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success, 1 on a handled error)."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return args.func(args)
    except ModelUnavailableError as exc:
        print(f"error: model unavailable: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, ImportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
