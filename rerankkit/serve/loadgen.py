"""A small load generator for the service: N concurrent clients on asyncio and httpx, bounded in requests and time.

Used by ``benchmarks/serve_load.py`` and notebook 13. Each client sends its next request as soon as its
last one is answered (a closed loop, like users waiting on a search box), so the figures show what
concurrency does to throughput and latency. :func:`replica_stats` reads the batch sizes the service saw
from its ``GET /metrics``.

Example:
    >>> summarize(LoadRun(clients=2, seconds=2.0, latencies=[0.01, 0.02, 0.03], pairs=60, statuses={200: 3}))["pairs_per_s"]
    30.0
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.optional import require

__all__ = ["LoadRun", "run_load", "summarize", "replica_stats", "percentiles_ms"]


@dataclass
class LoadRun:
    """What one level of load did: wall seconds, per-request latencies (successes), pairs scored, statuses."""

    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    pairs: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies in seconds, in milliseconds (NaN when empty).

    Example:
        >>> percentiles_ms([0.010, 0.020, 0.030])["p50_ms"]
        20.0
    """
    if not len(seconds):
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    values = np.percentile(np.asarray(seconds) * 1000, [50, 95, 99])
    return {"p50_ms": round(float(values[0]), 2), "p95_ms": round(float(values[1]), 2),
            "p99_ms": round(float(values[2]), 2)}


def summarize(run: LoadRun) -> dict[str, float]:
    """Requests/s, pairs/s and latency percentiles of a run."""
    ok = len(run.latencies)
    return {"clients": run.clients, "requests": ok, "errors": sum(n for s, n in run.statuses.items() if s != 200),
            "seconds": round(run.seconds, 3), "requests_per_s": round(ok / run.seconds, 2) if run.seconds else 0.0,
            "pairs_per_s": round(run.pairs / run.seconds, 1) if run.seconds else 0.0, **percentiles_ms(run.latencies)}


async def _client(http, url: str, path: str, body_of, queue: asyncio.Queue, run: LoadRun, deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            query, docs = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        try:
            response = await http.post(url + path, json=body_of(query, docs))
            status = response.status_code
        except Exception:  # a broken connection counts as an error, the run goes on
            status = 0
        run.statuses[status] = run.statuses.get(status, 0) + 1
        if status == 200:
            run.latencies.append(time.perf_counter() - started)
            run.pairs += len(docs)


async def run_load(url: str, requests: Sequence[tuple[str, Sequence[str]]], clients: int, *,
                   max_seconds: float = 30.0, api: str = "tei", timeout: float = 120.0) -> LoadRun:
    """Send ``requests`` (each a query and its documents) from ``clients`` concurrent clients.

    Stops when every request is answered or after ``max_seconds`` (requests already sent finish).

    Args:
        url: The service's base URL.
        requests: ``(query, documents)`` pairs, sent in order, each once.
        clients: Concurrent clients (connections).
        max_seconds: No new request is sent after this long.
        api: ``"tei"`` (``POST /rerank``) or ``"cohere"`` (``POST /v1/rerank``).
        timeout: Seconds one request may take.
    """
    httpx = require("httpx", feature="The load generator (rerankkit.serve.loadgen)")
    check_positive_int(clients, "clients")
    path = "/rerank" if api == "tei" else "/v1/rerank"

    def body_of(query: str, docs: Sequence[str]) -> dict:
        key = "texts" if api == "tei" else "documents"
        return {"query": query, key: list(docs), **({"truncate": True} if api == "tei" else {})}

    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    run = LoadRun(clients=clients, seconds=0.0)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
        started = time.perf_counter()
        deadline = started + max_seconds
        await asyncio.gather(*(_client(http, url.rstrip("/"), path, body_of, queue, run, deadline)
                               for _ in range(clients)))
        run.seconds = time.perf_counter() - started
    return run


def replica_stats(metrics_text: str) -> dict[str, float]:
    """Totals from one replica's ``GET /metrics``: batches, requests and pairs batched, requests answered.

    Subtract two readings to get a level's mean batch size.

    Example:
        >>> text = 'rerankkit_batch_requests_count 4.0\\nrerankkit_batch_requests_sum 10.0\\nrerankkit_batch_pairs_sum 200.0'
        >>> replica_stats(text)["batch_requests_sum"]
        10.0
    """
    wanted = {"rerankkit_batch_requests_count": "batches", "rerankkit_batch_requests_sum": "batch_requests_sum",
              "rerankkit_batch_pairs_sum": "batch_pairs_sum", "rerankkit_queue_depth": "queue_depth"}
    totals: dict[str, float] = dict.fromkeys(wanted.values(), 0.0)
    for line in metrics_text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        key = wanted.get(name.split("{", 1)[0])
        if key:
            totals[key] += float(value)
    return {key: float(totals[key]) for key in wanted.values()}
