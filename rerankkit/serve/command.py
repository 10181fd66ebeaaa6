"""``rerankkit serve``: the command-line front end of :func:`rerankkit.serve.start`.

Examples:
    rerankkit serve --model tiny-random                       # http://127.0.0.1:8000, Ctrl-C stops it
    rerankkit serve --dtype int8 --port 8080                  # the int8 fast path on this CPU
    rerankkit serve --model tiny-random:Qwen/Qwen3-Reranker-0.6B --instruction "Find the product page"
    RAY_ADDRESS=ray://head:10001 rerankkit serve --host 0.0.0.0 --min-replicas 1 --max-replicas 8
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import Any

__all__ = ["add_serve_command", "run_serve", "settings_from_args"]


def settings_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~rerankkit.serve.app.ServeSettings` that parsed arguments describe."""
    from rerankkit.serve.app import ServeSettings
    from rerankkit.serve.schemas import Limits

    load_options: dict[str, Any] = {"device": args.device, "dtype": args.dtype, "batch_size": args.batch_size}
    for name in ("max_length", "max_batch_tokens", "instruction", "revision"):
        if getattr(args, name) is not None:
            load_options[name] = getattr(args, name)
    if args.trust_remote_code:
        load_options["trust_remote_code"] = True
    return ServeSettings(
        model=args.model, load_options=load_options,
        limits=Limits(max_documents=args.max_documents, max_chars=args.max_chars,
                      max_request_tokens=args.max_request_tokens),
        max_batch_requests=args.max_batch_requests, batch_wait_ms=args.batch_wait_ms,
        max_ongoing_requests=args.max_ongoing_requests, max_queued_requests=args.max_queued_requests,
        threads=args.threads,
    )


def run_serve(args: argparse.Namespace) -> int:
    """Start the service, print where it answers, run until Ctrl-C or SIGTERM, then drain and stop."""
    from rerankkit.serve.service import start

    autoscaling = None
    if args.min_replicas is not None or args.max_replicas is not None:
        autoscaling = {"min_replicas": args.min_replicas or 1,
                       "max_replicas": args.max_replicas or max(args.min_replicas or 1, args.replicas),
                       "target_ongoing_requests": args.target_ongoing_requests}
    stop = threading.Event()
    service = start(settings_from_args(args), host=args.host, port=args.port, replicas=args.replicas,
                    autoscaling=autoscaling, cpus_per_replica=args.cpus_per_replica,
                    gpus_per_replica=args.gpus_per_replica, address=args.address,
                    quiet=not args.verbose)
    # After Ray started: its core worker installs a crash handler for SIGTERM that logs a stack dump and makes
    # the process abort at exit; ours replaces it, so a SIGTERM is the same clean stop as Ctrl-C.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        import httpx

        info = httpx.get(f"{service.url}/info", timeout=30).json()
        note = " (random weights: scores mean nothing)" if info.get("random_weights") else ""
        print(f"Serving {info['model']}{note} on {service.url} ({info['dtype']}, {info['backend']}, "
              f"max_length {info['max_length']}); started in {service.start_seconds:.1f} s", flush=True)
        print(f"  POST {service.url}/rerank      (Text Embeddings Inference)\n"
              f"  POST {service.url}/v1/rerank   (Cohere / Jina)\n"
              f"  GET  {service.url}/health  /info  /metrics  /docs  /openapi.json", flush=True)
        if args.print_info:
            print(json.dumps(info, indent=2), flush=True)
        print("Ctrl-C stops it (accepted requests finish first).", flush=True)
        stop.wait()
    finally:
        print("Stopping: accepted requests finish first ...", flush=True)
        service.shutdown()
        print("Stopped.", flush=True)
    return 0


def add_serve_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``serve`` on the CLI's subparsers."""
    from rerankkit.serve.schemas import Limits

    limits = Limits()
    cmd = subparsers.add_parser(
        "serve", help="serve a reranker over HTTP on Ray Serve (TEI /rerank and Cohere /v1/rerank APIs)")
    cmd.add_argument("--model", default=None, help="hub id, folder, tiny-random or random:<hub id> "
                                                   "(default: $RERANKKIT_MODEL or BAAI/bge-reranker-v2-m3)")
    cmd.add_argument("--device", default="auto", help="auto (a replica's GPU if it has one, else CPU), cpu or cuda "
                                                      "(default: auto)")
    cmd.add_argument("--dtype", default="auto", help="auto, fp32, bf16, int8 or fastest (default: auto)")
    cmd.add_argument("--max-length", type=int, default=None, help="tokens per pair (default: 512)")
    cmd.add_argument("--batch-size", type=int, default=32, help="pairs per forward pass (default: 32)")
    cmd.add_argument("--max-batch-tokens", type=int, default=None,
                     help="padded tokens per forward pass (default: the kit's CPU budget)")
    cmd.add_argument("--instruction", default=None, help="task instruction of decoders that take one (Qwen3-Reranker)")
    cmd.add_argument("--revision", default=None, help="branch, tag or commit of a hub model")
    cmd.add_argument("--trust-remote-code", action="store_true", help="run the model repository's own code")
    cmd.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1, this machine "
                                                         "only; 0.0.0.0 for every interface)")
    cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    cmd.add_argument("--replicas", type=int, default=1, help="model replicas, each loads the model (default: 1)")
    cmd.add_argument("--min-replicas", type=int, default=None, help="autoscaling: fewest replicas")
    cmd.add_argument("--max-replicas", type=int, default=None, help="autoscaling: most replicas")
    cmd.add_argument("--target-ongoing-requests", type=float, default=8.0,
                     help="autoscaling: requests per replica to aim for (default: 8)")
    cmd.add_argument("--cpus-per-replica", type=float, default=None,
                     help="CPUs Ray reserves per replica (default: this machine's cores shared by the replicas; "
                          "1 on a cluster)")
    cmd.add_argument("--gpus-per-replica", type=float, default=0.0,
                     help="GPUs Ray reserves per replica; 0.5 puts two replicas on a GPU (default: 0, CPU only)")
    cmd.add_argument("--threads", type=int, default=None, help="torch threads per replica (default: its CPUs)")
    cmd.add_argument("--address", default=None, help="Ray cluster address (default: $RAY_ADDRESS; with neither, "
                                                     "Ray starts on this machine)")
    cmd.add_argument("--max-documents", type=int, default=limits.max_documents,
                     help=f"documents per request (default: {limits.max_documents})")
    cmd.add_argument("--max-chars", type=int, default=limits.max_chars,
                     help=f"characters per text (default: {limits.max_chars})")
    cmd.add_argument("--max-request-tokens", type=int, default=limits.max_request_tokens,
                     help=f"tokens of all pairs of a request (default: {limits.max_request_tokens})")
    cmd.add_argument("--max-batch-requests", type=int, default=16,
                     help="requests merged into one model batch (default: 16)")
    cmd.add_argument("--batch-wait-ms", type=float, default=2.0,
                     help="how long a batch waits for more requests (default: 2)")
    cmd.add_argument("--max-ongoing-requests", type=int, default=32,
                     help="requests one replica holds at once (default: 32)")
    cmd.add_argument("--max-queued-requests", type=int, default=64,
                     help="requests waiting for a replica; past it, 503 with Retry-After (default: 64)")
    cmd.add_argument("--print-info", action="store_true", help="print GET /info once started")
    cmd.add_argument("--verbose", action="store_true", help="show Ray's and Serve's logs and the access log")
    cmd.set_defaults(func=run_serve)
    return cmd
