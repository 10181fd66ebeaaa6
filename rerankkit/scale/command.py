"""``rerankkit rerank-dataset``: the command-line front end of :func:`rerankkit.scale.rerank_dataset`.

Examples:
    rerankkit rerank-dataset pairs.jsonl --output scored/ --model tiny-random
    RAY_ADDRESS=ray://head:10001 rerankkit rerank-dataset s3-mounted/run.parquet --output scored/ --batch-size 64
"""

from __future__ import annotations

import argparse

from rerankkit.scale.job import rerank_dataset

__all__ = ["add_rerank_dataset_command", "run_rerank_dataset"]


def run_rerank_dataset(args: argparse.Namespace) -> int:
    """Run the job described by parsed arguments and print what it did; returns the exit code."""
    job = rerank_dataset(
        args.inputs, args.output, model=args.model, device=args.device, dtype=args.dtype,
        max_length=args.max_length, batch_size=args.batch_size, concurrency=args.concurrency,
        cpus_per_actor=args.cpus_per_actor, gpus_per_actor=args.gpus_per_actor,
        threads_per_actor=args.threads_per_actor, keep_text=not args.drop_text, shard_rows=args.shard_rows,
        address=args.address, overwrite=args.overwrite, show_progress=not args.no_progress,
    )
    print(job)
    if job.n_errors:
        print(f"{job.n_errors} pairs could not be scored: see {job.output / 'errors.jsonl'} (row_id, line, reason)")
    print(f"read the scores in input order: rerankkit.scale.read_scores({str(job.output)!r})")
    return 0


def add_rerank_dataset_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``rerank-dataset`` on the CLI's subparsers."""
    cmd = subparsers.add_parser(
        "rerank-dataset", help="score many pairs on Ray Data (local, or a cluster via RAY_ADDRESS), resumably")
    cmd.add_argument("inputs", nargs="+", help="JSONL or parquet files (or folders) with query and passage "
                                               "(optionally qid, docid)")
    cmd.add_argument("--output", required=True, help="output folder (scores/, errors.jsonl, job.json); "
                                                     "run again to resume")
    cmd.add_argument("--model", default=None, help="hub id, folder, tiny-random or random:<hub id> "
                                                   "(default: $RERANKKIT_MODEL or BAAI/bge-reranker-v2-m3)")
    cmd.add_argument("--device", default="auto", help="device of every actor: auto, cpu, cuda (default: auto)")
    cmd.add_argument("--dtype", default="auto", help="auto, fp32, fp16 or bf16 (default: auto)")
    cmd.add_argument("--max-length", type=int, default=None, help="tokens per pair (default: 512)")
    cmd.add_argument("--batch-size", type=int, default=32, help="pairs per forward pass per actor (default: 32)")
    cmd.add_argument("--concurrency", type=int, default=None,
                     help="actors (model replicas); default: one per GPU, or one per node on CPU")
    cmd.add_argument("--cpus-per-actor", type=float, default=1.0, help="CPUs Ray reserves per actor (default: 1)")
    cmd.add_argument("--gpus-per-actor", type=float, default=None,
                     help="GPUs per actor; 0.5 puts two replicas on a GPU (default: 1 when there are GPUs)")
    cmd.add_argument("--threads-per-actor", type=int, default=None,
                     help="torch threads per CPU actor (default: the node's cores shared by its actors)")
    cmd.add_argument("--shard-rows", type=int, default=10_000, help="JSONL rows per read task (default: 10000)")
    cmd.add_argument("--drop-text", action="store_true", help="leave query and passage out of the output")
    cmd.add_argument("--address", default=None, help="Ray cluster address (default: $RAY_ADDRESS; "
                                                     "with neither, Ray starts on this machine)")
    cmd.add_argument("--overwrite", action="store_true", help="delete an earlier job's scores instead of resuming")
    cmd.add_argument("--no-progress", action="store_true", help="hide Ray Data's progress bars")
    cmd.set_defaults(func=run_rerank_dataset)
    return cmd
