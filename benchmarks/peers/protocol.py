"""The pure parts of the peer benchmark, shared by ``cpu_fast_paths.py`` and ``worker.py`` (standard library only).

The main process and a worker (a separate Python in a peer environment) talk in JSON lines: one
object per line, each with a ``"type"``. Main sends ``setup`` once, then ``warmup`` and ``go`` per
contender, batch size and round (each names its ``batch_size``), then ``quit``; the worker answers
``ready``, ``done`` and ``result`` (scores and the seconds it measured around the scoring call alone), or
``error``.

    >>> decode(encode({"type": "go", "contender": "st-onnx-int8"}))["contender"]
    'st-onnx-int8'
    >>> onnx_quantization_config({"avx2", "avx512f", "avx512_vnni"})
    'avx512_vnni'
    >>> kendall_tau([1, 2, 3], [1, 3, 2])
    0.3333333333333333
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence

MESSAGE_TYPES = frozenset({"setup", "warmup", "go", "quit", "ready", "done", "result", "error"})
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8", "amx_tile")


class ProtocolError(ValueError):
    """A line from the other side that is not a protocol message."""


def encode(message: dict) -> str:
    """One message as one JSON line (newline included)."""
    if message.get("type") not in MESSAGE_TYPES:
        raise ProtocolError(f"message type {message.get('type')!r} is not one of {sorted(MESSAGE_TYPES)}")
    return json.dumps(message, separators=(",", ":")) + "\n"


def decode(line: str) -> dict:
    """The message on one line; :class:`ProtocolError` naming the line when it is not one.

    >>> decode('{"type": "done"}')
    {'type': 'done'}
    """
    text = line.strip()
    if not text:
        raise ProtocolError("empty line: the worker exited or closed its output (see its stderr above)")
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not a JSON line: {text[:200]!r} ({exc.msg})") from None
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        raise ProtocolError(f"not a protocol message (needs a 'type' in {sorted(MESSAGE_TYPES)}): {text[:200]!r}")
    return message


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` text (read from the file when not given; empty elsewhere).

    >>> sorted(cpu_flags("processor : 0\\nflags : fpu avx2 avx512f\\n"))
    ['avx2', 'avx512f', 'fpu']
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as fh:
                cpuinfo = fh.read()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's model name from ``/proc/cpuinfo`` text, or ``"unknown"``."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as fh:
                cpuinfo = fh.read()
        except OSError:
            return "unknown"
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return "unknown"


def isa_summary(flags: Iterable[str]) -> dict[str, bool]:
    """Which of the instruction-set flags that decide the fast paths this CPU has."""
    have = set(flags)
    return {flag: flag in have for flag in ISA_FLAGS}


def onnx_quantization_config(flags: Iterable[str]) -> str:
    """sentence-transformers' ONNX dynamic int8 config that fits these CPU flags.

    ``avx512_vnni`` when the CPU has VNNI, else ``avx512`` with AVX-512F, else ``avx2``.

    >>> onnx_quantization_config({"avx2", "avx512f"}), onnx_quantization_config({"avx2"})
    ('avx512', 'avx2')
    """
    have = set(flags)
    if "avx512_vnni" in have and "avx512f" in have:
        return "avx512_vnni"
    if "avx512f" in have:
        return "avx512"
    return "avx2"


def rotated(names: Sequence[str], round_index: int) -> list[str]:
    """The contenders' order in one round: the list rotated by the round number, so none always runs first.

    >>> rotated(["a", "b", "c"], 1)
    ['b', 'c', 'a']
    """
    if not names:
        return []
    k = round_index % len(names)
    return list(names[k:]) + list(names[:k])


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b between two score lists (exact, O(n^2)); NaN when either list is constant.

    >>> kendall_tau([1, 2, 3, 4], [4, 3, 2, 1])
    -1.0
    """
    if len(a) != len(b):
        raise ValueError(f"kendall_tau: the lists differ in length ({len(a)} and {len(b)})")
    concordant = discordant = ties_a = ties_b = 0
    n = len(a)
    for i in range(n):
        for j in range(i + 1, n):
            da = (a[i] > a[j]) - (a[i] < a[j])
            db = (b[i] > b[j]) - (b[i] < b[j])
            if da == 0 and db == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif da == db:
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b))
    return (concordant - discordant) / denominator if denominator else float("nan")


def best_batches(rows: Iterable[dict]) -> dict[str, dict]:
    """Each path's fastest row: ``{path: row}`` over rows with ``path``, ``batch_size`` and ``pairs_per_s``.

    Rows with a ``variant`` (the same path run another way, such as with the token budget off) are left out.

    >>> best = best_batches([{"path": "a", "batch_size": 1, "pairs_per_s": 2.0},
    ...                      {"path": "a", "batch_size": 4, "pairs_per_s": 3.0}])
    >>> best["a"]["batch_size"]
    4
    """
    best: dict[str, dict] = {}
    for row in rows:
        if row.get("variant"):
            continue
        if row["path"] not in best or row["pairs_per_s"] > best[row["path"]]["pairs_per_s"]:
            best[row["path"]] = row
    return best


def _versus(own: dict[str, dict], peers: dict[str, dict]) -> dict:
    best_own = max(own.values(), key=lambda r: r["pairs_per_s"])
    best_peer = max(peers.values(), key=lambda r: r["pairs_per_s"])
    return {"own": best_own["path"], "own_batch_size": best_own["batch_size"],
            "own_pairs_per_s": best_own["pairs_per_s"],
            "peer": best_peer["path"], "peer_batch_size": best_peer["batch_size"],
            "peer_pairs_per_s": best_peer["pairs_per_s"],
            "ratio": best_own["pairs_per_s"] / best_peer["pairs_per_s"]}


def headline(rows: Sequence[dict], own_prefix: str = "rerankkit") -> dict:
    """rerankkit's fastest path against the fastest peer path, each at its own best batch size, and per batch size.

    ``rows`` are dicts with ``path``, ``batch_size`` and ``pairs_per_s`` (one per path and batch size); a
    path is rerankkit's when its name starts with ``own_prefix``, a peer's otherwise. ``best_at_best`` takes
    every path at its fastest batch size (the fair headline: each side tuned); ``same_batch`` compares the
    fastest of each side at one nominal batch size, for every batch size both sides ran.

    >>> rows = [{"path": "rerankkit int8", "batch_size": 1, "pairs_per_s": 3.0},
    ...         {"path": "rerankkit int8", "batch_size": 16, "pairs_per_s": 4.0},
    ...         {"path": "peer int8", "batch_size": 1, "pairs_per_s": 3.5},
    ...         {"path": "peer int8", "batch_size": 16, "pairs_per_s": 2.0}]
    >>> h = headline(rows)
    >>> h["best_at_best"]["ratio"], h["best_at_best"]["peer_batch_size"]
    (1.1428571428571428, 1)
    >>> [(v["batch_size"], v["ratio"]) for v in h["same_batch"]]
    [(1, 0.8571428571428571), (16, 2.0)]
    """
    rows = [r for r in rows if not r.get("variant")]
    best = best_batches(rows)
    own = {p: r for p, r in best.items() if p.startswith(own_prefix)}
    peers = {p: r for p, r in best.items() if not p.startswith(own_prefix)}
    if not own or not peers:
        raise ValueError(f"headline needs at least one {own_prefix} path and one peer path; got "
                         f"{sorted({r['path'] for r in rows})}")
    same_batch = []
    for batch_size in sorted({r["batch_size"] for r in rows}):
        at = [r for r in rows if r["batch_size"] == batch_size]
        own_at = {r["path"]: r for r in at if r["path"].startswith(own_prefix)}
        peers_at = {r["path"]: r for r in at if not r["path"].startswith(own_prefix)}
        if own_at and peers_at:
            same_batch.append({"batch_size": batch_size, **_versus(own_at, peers_at)})
    return {"best_at_best": _versus(own, peers), "same_batch": same_batch}
