"""Several rerankers side by side: quality on the packaged case sets, latency, memory and licence.

Every model gets the same labelled pairs (:data:`~rerankkit.evaluation.calibration.CALIBRATION_SETS`),
scored once; its rankings are measured with the kit's metrics (nDCG@10 on the graded labels, MRR@10
of the first full answer). Latency is the median wall time of scoring one query against
``n_candidates`` passages on this machine, after a warm-up call. Memory is the bytes of the model's
parameters in the dtype it was loaded in. Licence and the rest come from the catalogue
(:mod:`rerankkit.models.catalogue`); a built test model (``tiny-random``, ``tiny-random:<hub id>``,
``random:<hub id>``) is shown against the hub id whose architecture it has, and its row says
``random_weights``: its quality figures mean nothing.

Example:
    >>> frame = compare_rerankers(["tiny-random"], sets=["keyword_traps"], repeats=1)
    >>> row = frame.iloc[0]
    >>> row.model, bool(row.random_weights), row.architecture_of, row.status
    ('tiny-random', True, 'BAAI/bge-reranker-v2-m3', 'ok')
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.evaluation.calibration import CALIBRATION_SETS, labelled_pairs
from rerankkit.evaluation.metrics import mean_metrics, per_query_metrics
from rerankkit.models.catalogue import DEFAULT_MODEL, lookup
from rerankkit.models.synthetic import RANDOM_PREFIX, TINY_RANDOM

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["compare_rerankers", "comparison_summary", "real_model_of", "architecture_of", "COMPARE_METRICS"]

COMPARE_METRICS = ("nDCG@10", "MRR@10")


def architecture_of(spec: str) -> str:
    """The hub id a spec stands for in the catalogue: itself, or the model a built test model copies.

    Example:
        >>> architecture_of("tiny-random"), architecture_of("tiny-random:Qwen/Qwen3-Reranker-0.6B")
        ('BAAI/bge-reranker-v2-m3', 'Qwen/Qwen3-Reranker-0.6B')
        >>> architecture_of("random:BAAI/bge-reranker-base")
        'BAAI/bge-reranker-base'
    """
    if spec == TINY_RANDOM:
        return DEFAULT_MODEL
    for prefix in (TINY_RANDOM + ":", RANDOM_PREFIX):
        if spec.startswith(prefix):
            return spec[len(prefix):]
    return spec


def _catalogue_columns(spec: str) -> dict:
    hub_id = architecture_of(spec)
    known = lookup(hub_id)
    return {
        "architecture_of": hub_id,
        "kind": known.kind if known else None,
        "card_parameters": known.parameters if known else None,
        "licence": known.licence if known else "not in the catalogue: read the model card",
        "commercial_use": known.commercial_use if known else None,
        "languages": known.languages if known else None,
        "max_tokens": known.max_tokens if known else None,
    }


def _quality(reranker: Reranker, pairs: pd.DataFrame) -> dict[str, float]:
    logits = reranker.score(list(zip(pairs["query"], pairs["passage"])), show_progress=False)
    frame = pairs.assign(logit=logits, qid=pairs["set"] + "/" + pairs["case_id"],
                         docid=pairs["set"] + "/" + pairs["case_id"] + "/" + pairs["passage_id"])
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, list[str]] = {}
    for qid, group in frame.groupby("qid", sort=False):
        qrels[str(qid)] = dict(zip(group.docid, group.grade.astype(int)))
        order = np.argsort(-group.logit.to_numpy(), kind="stable")
        run[str(qid)] = group.docid.to_numpy()[order].tolist()
    table = mean_metrics(per_query_metrics(qrels, {"model": run}, ks=(10,), rel=2))
    return {name: float(table.loc["model", name]) for name in COMPARE_METRICS}


def _candidates(pairs: pd.DataFrame, n: int) -> tuple[str, list[str]]:
    texts = pairs["passage"].drop_duplicates().tolist()
    return str(pairs["query"].iloc[0]), [texts[i % len(texts)] for i in range(n)]


def _median_ms(reranker: Reranker, query: str, candidates: list[str], repeats: int) -> float:
    # rerankkit.measure.timing sits beside this layer, not below it: the same warm-up-then-median, inline.
    reranker.score(query, candidates, show_progress=False)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        reranker.score(query, candidates, show_progress=False)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1e3


def _parameter_megabytes(reranker: Reranker) -> float:
    return sum(p.numel() * p.element_size() for p in reranker.model.parameters()) / 2**20


def compare_rerankers(
    models: Sequence[str],
    *,
    sets: Sequence[str] = CALIBRATION_SETS,
    n_candidates: int = 20,
    repeats: int = 5,
    loaded: Sequence[Reranker] = (),
    loader: Callable[[str], Reranker] | None = None,
) -> pd.DataFrame:
    """One row per model: quality on the labelled case sets, latency, memory and catalogue facts.

    Args:
        models: Model specs (hub ids, folders, ``tiny-random``, ``tiny-random:<hub id>``); repeats are dropped.
        sets: Packaged case sets to measure quality on.
        n_candidates: Passages per query for the latency figure.
        repeats: Timed calls per model (the median is reported), after one warm-up call.
        loaded: Rerankers already loaded, reused for the spec equal to their ``info.model_id``.
        loader: How a spec becomes a reranker (default :func:`rerankkit.load`).

    Returns:
        ``model, status`` ("ok" or why it could not run), ``random_weights``, ``nDCG@10``, ``MRR@10``,
        ``ms_per_<n_candidates>``, ``param_mb``, ``parameters`` (counted), ``dtype``, ``device``, then the
        catalogue's ``architecture_of, kind, card_parameters, licence, commercial_use, languages, max_tokens``.
        A model that cannot be loaded or scored keeps its row, with the reason in ``status``.
    """
    import pandas as pd

    from rerankkit.scoring.loading import load

    if isinstance(models, str) or not models:
        raise ValueError("models must be a non-empty list of model specs, e.g. ['tiny-random']")
    check_positive_int(n_candidates, "n_candidates")
    check_positive_int(repeats, "repeats")
    specs = list(dict.fromkeys(str(m).strip() for m in models))
    reuse = {rr.info.model_id: rr for rr in loaded}
    load_spec = loader or load
    pairs = labelled_pairs(sets)
    query, candidates = _candidates(pairs, n_candidates)
    latency = f"ms_per_{n_candidates}"
    rows = []
    for spec in specs:
        row: dict = {"model": spec, "status": "ok", "random_weights": None, **dict.fromkeys(COMPARE_METRICS),
                     latency: None, "param_mb": None, "parameters": None, "dtype": None, "device": None}
        try:
            reranker = reuse.get(spec) or load_spec(spec)
            row.update(_quality(reranker, pairs))
            info = reranker.info
            row.update({"random_weights": info.random_weights, latency: _median_ms(reranker, query, candidates, repeats),
                        "param_mb": _parameter_megabytes(reranker), "parameters": info.n_parameters,
                        "dtype": info.dtype, "device": info.device})
        except Exception as exc:  # one model that cannot run must not hide the others
            row["status"] = f"not run: {type(exc).__name__}: {exc}"
        row.update(_catalogue_columns(spec))
        rows.append(row)
    return pd.DataFrame(rows)


def real_model_of(spec: str) -> str:
    """The hub model whose real weights a spec stands in for (``tiny-random:<id>`` and ``random:<id>``: ``<id>``;
    plain ``tiny-random``: the default model), else the spec itself.

    Example:
        >>> real_model_of("tiny-random:Qwen/Qwen3-Reranker-0.6B"), real_model_of("tiny-random")
        ('Qwen/Qwen3-Reranker-0.6B', 'BAAI/bge-reranker-v2-m3')
    """
    from rerankkit.models.catalogue import DEFAULT_MODEL

    if spec == "tiny-random":
        return DEFAULT_MODEL
    for prefix in ("tiny-random:", "random:"):
        if spec.startswith(prefix):
            return spec[len(prefix):]
    return spec


def comparison_summary(table: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """The columns a reader compares, rounded: model, status, quality, latency, size, licence, length limit.

    ``compare_rerankers`` keeps every column; this is the narrow view for a notebook or a widget (a status
    longer than 60 characters is cut with an ellipsis; the full text stays in the table).
    """
    latency = [c for c in table.columns if c.startswith("ms_per_")]
    columns = ["model", "status", *COMPARE_METRICS, *latency, "param_mb", "licence", "max_tokens"]
    shown = table[[c for c in columns if c in table.columns]].copy()
    shown["status"] = [s if len(str(s)) <= 60 else str(s)[:59] + "…" for s in shown["status"]]
    return shown.round(digits)
