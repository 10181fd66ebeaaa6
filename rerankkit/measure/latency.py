"""Interactive latency: how long one ``rr.rerank(query, 20 candidates)`` takes, cold and warm.

A person at a search box waits for one rerank of a short list, not for a throughput figure. Here a
request is a real query of the packaged case sets with ``n_candidates`` real passages (its own passages,
filled up with passages of other cases), so lengths are those of real text, counted by the model's tokenizer.

- **cold**: the first ``rr.rerank`` right after :func:`rerankkit.load` returned, in this process. It pays the
  first forward pass's memory allocation and kernel selection, not imports or reading the weights (those are
  ``load_s``; a fresh process pays imports too). Each of ``cold_loads`` loads gives one cold sample.
- **warm**: the ``calls`` reranks that follow on the same loaded model, each on a different request.

:class:`LatencyLog` keeps the same two figures for a session (the playground's status line).

Example:
    >>> table = interactive_latency("tiny-random", dtypes=["fp32"], calls=3, n_candidates=5)
    >>> table[["dtype", "phase", "n_calls"]].values.tolist()
    [['fp32', 'cold', 1], ['fp32', 'warm', 3]]
    >>> bool((table["p95_ms"] >= table["median_ms"]).all())
    True
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.display.style import timing_note

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LatencyLog", "interactive_requests", "interactive_latency", "LATENCY_COLUMNS"]

LATENCY_COLUMNS: dict[str, str] = {
    "model": "model spec",
    "dtype": "dtype asked of rerankkit.load",
    "backend": "what ran the forward pass",
    "timing_only": "True for random weights (speed is honest, scores mean nothing)",
    "phase": "cold (first rerank right after load) or warm (the reranks after it)",
    "n_calls": "reranks timed in this phase",
    "n_candidates": "passages per rerank",
    "median_ms": "median wall time of one rr.rerank, milliseconds",
    "p95_ms": "95th percentile of one rr.rerank, milliseconds (with one call: that call)",
    "mean_tokens": "mean tokens per (query, passage) pair in the timed requests, specials included",
    "load_s": "seconds rerankkit.load took before the cold call (median over cold loads)",
    "note": "what the times are worth with random weights (empty for real weights)",
}


def interactive_requests(n: int, *, n_candidates: int = 20, seed: int = 0) -> list[tuple[str, list[str]]]:
    """``n`` requests ``(query, candidates)`` of real text: a case's query, its passages, then other cases' passages.

    Example:
        >>> requests = interactive_requests(2, n_candidates=20)
        >>> [len(candidates) for _, candidates in requests]
        [20, 20]
    """
    from rerankkit import cases

    check_positive_int(n, "n")
    check_positive_int(n_candidates, "n_candidates")
    pool = [case for name in cases.names() for case in cases.load(name).cases]
    passages = list(dict.fromkeys(text for case in pool for text in case.texts))
    if n_candidates > len(passages):
        raise ValueError(f"n_candidates={n_candidates} is more than the {len(passages)} packaged passages: "
                         "ask for fewer")
    rng = np.random.default_rng(seed)
    requests = []
    for pick in rng.integers(0, len(pool), size=n):
        case = pool[int(pick)]
        own = list(dict.fromkeys(case.texts))[:n_candidates]
        others = [passages[int(i)] for i in rng.permutation(len(passages)) if passages[int(i)] not in own]
        candidates = own + others[: n_candidates - len(own)]
        requests.append((case.query, [candidates[int(i)] for i in rng.permutation(len(candidates))]))
    return requests


def _percentiles_ms(seconds: Sequence[float]) -> tuple[float, float]:
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    return float(np.median(ms)), float(np.percentile(ms, 95))


@dataclass
class LatencyLog:
    """The model calls of a session: the first one (cold) apart from the rest (warm), with median and p95.

    Args:
        cold: Whether the first call came right after loading (then it is labelled cold); a session handed an
            already-used model says "first call" instead.

    Example:
        >>> log = LatencyLog()
        >>> for s in (0.30, 0.10, 0.12, 0.11):
        ...     log.add(s)
        >>> log.cold_ms, log.last_ms, round(log.median_ms, 1), log.n_warm
        (300.0, 110.0, 110.0, 3)
        >>> log.text()
        'this rerank 110 ms · warm median 110 ms, p95 119 ms over 3 calls · first call 300 ms (cold)'
    """

    seconds: list[float] = field(default_factory=list)
    cold: bool = True

    def add(self, seconds: float) -> None:
        """Record one model call's wall time in seconds."""
        if not seconds >= 0:  # NaN fails too
            raise ValueError(f"seconds must be a time >= 0, got {seconds!r}")
        self.seconds.append(float(seconds))

    @property
    def n_warm(self) -> int:
        """Calls after the first."""
        return max(0, len(self.seconds) - 1)

    @property
    def cold_ms(self) -> float | None:
        """The first call, milliseconds (``None`` before any call)."""
        return self.seconds[0] * 1e3 if self.seconds else None

    @property
    def last_ms(self) -> float | None:
        """The latest call, milliseconds."""
        return self.seconds[-1] * 1e3 if self.seconds else None

    @property
    def median_ms(self) -> float | None:
        """Median of the warm calls, milliseconds (``None`` until a second call)."""
        return _percentiles_ms(self.seconds[1:])[0] if self.n_warm else None

    @property
    def p95_ms(self) -> float | None:
        """95th percentile of the warm calls, milliseconds (``None`` until a second call)."""
        return _percentiles_ms(self.seconds[1:])[1] if self.n_warm else None

    def text(self, *, cached: bool = False) -> str:
        """One line for a status bar; ``cached=True`` when the rerank shown made no model call (then the
        line speaks of the last model call, not of "this rerank")."""
        if not self.seconds:
            return "no rerank timed yet"
        last = "last model call" if cached else "this rerank"
        first = "first call after load: cold" if self.cold else "first call of this session"
        if not self.n_warm:
            return f"{last} {self.last_ms:.0f} ms ({first})"
        label = " (cold)" if self.cold else ""
        return (f"{last} {self.last_ms:.0f} ms · warm median {self.median_ms:.0f} ms, p95 {self.p95_ms:.0f} ms "
                f"over {self.n_warm} call{'s' if self.n_warm > 1 else ''} · first call {self.cold_ms:.0f} ms{label}")


def interactive_latency(
    model: str | None = "tiny-random",
    *,
    dtypes: Iterable[str] = ("fp32", "int8"),
    device: str = "cpu",
    n_candidates: int = 20,
    calls: int = 20,
    cold_loads: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """Median and p95 of one ``rr.rerank(query, n_candidates passages)``, cold and warm, per dtype.

    Args:
        model: Model spec for :func:`rerankkit.load`.
        dtypes: Each is passed to :func:`rerankkit.load` as is (``fp32``, ``int8``, or any dtype it takes).
        device: Device for :func:`rerankkit.load`.
        n_candidates: Passages per rerank (real text, see :func:`interactive_requests`).
        calls: Warm reranks timed after the cold one, each a different request.
        cold_loads: Times the model is loaded anew for a cold sample (each load costs its full load time).
        seed: Seed of the requests.

    Returns:
        One row per (dtype, phase) with the columns of :data:`LATENCY_COLUMNS`.
    """
    import pandas as pd

    from rerankkit.models.hub import resolve_model_id
    from rerankkit.scoring.loading import load

    check_positive_int(calls, "calls")
    check_positive_int(cold_loads, "cold_loads")
    dtypes = [dtypes] if isinstance(dtypes, str) else list(dtypes)
    if not dtypes:
        raise ValueError("dtypes is empty: pass at least one, e.g. ['fp32', 'int8']")
    spec = resolve_model_id(model)
    requests = interactive_requests(cold_loads + calls, n_candidates=n_candidates, seed=seed)
    rows = []
    for dtype in dtypes:
        cold, loads = [], []
        rr = None
        for query, candidates in requests[:cold_loads]:
            rr = None
            gc.collect()
            started = time.perf_counter()
            rr = load(spec, device=device, dtype=dtype)
            loads.append(time.perf_counter() - started)
            started = time.perf_counter()
            rr.rerank(query, candidates, show_progress=False)
            cold.append(time.perf_counter() - started)
        assert rr is not None
        warm = []
        for query, candidates in requests[cold_loads:]:
            started = time.perf_counter()
            rr.rerank(query, candidates, show_progress=False)
            warm.append(time.perf_counter() - started)
        tokens = {
            phase: float(np.mean([n for q, c in chosen for n in rr.encode([(q, p) for p in c]).n_tokens]))
            for phase, chosen in (("cold", requests[:cold_loads]), ("warm", requests[cold_loads:]))
        }
        for phase, seconds in (("cold", cold), ("warm", warm)):
            median, p95 = _percentiles_ms(seconds)
            rows.append({"model": spec, "dtype": dtype, "backend": rr.info.backend, "timing_only": rr.info.timing_only,
                         "phase": phase, "n_calls": len(seconds), "n_candidates": n_candidates, "median_ms": median,
                         "p95_ms": p95, "mean_tokens": tokens[phase], "load_s": float(np.median(loads)),
                         "note": timing_note(random_weights=rr.info.random_weights, timing_only=rr.info.timing_only)})
        del rr
        gc.collect()
    return pd.DataFrame(rows, columns=list(LATENCY_COLUMNS))
