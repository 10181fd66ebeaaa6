"""The one way the exercises compute a ranking metric: ir-measures (trec_eval's definitions), per query or averaged.

Runs come as ranked lists (best first) or as ``{doc: score}`` maps; judgements as ``{query: {doc: grade}}``.

Example:
    >>> run = {"q1": ["d3", "d1"], "q2": {"d5": 2.0, "d4": 1.0}}
    >>> qrels = {"q1": {"d1": 1}, "q2": {"d5": 1}}
    >>> per_query("RR@10", qrels, run)
    {'q1': 0.5, 'q2': 1.0}
    >>> aggregate("RR@10", qrels, run)
    0.75
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rerankkit._utils.optional import require

__all__ = ["aggregate", "per_query"]

Run = Mapping[str, Sequence[str] | Mapping[str, float]]


def _scored(run: Run) -> dict[str, dict[str, float]]:
    """Ranked lists become descending scores; score maps pass through."""
    out = {}
    for query, docs in run.items():
        if isinstance(docs, Mapping):
            out[query] = {d: float(s) for d, s in docs.items()}
        else:
            docs = list(docs)
            out[query] = {d: float(len(docs) - i) for i, d in enumerate(docs)}
    return out


def _judged(qrels: Mapping[str, Mapping[str, int]], run: Run) -> dict[str, dict[str, int]]:
    return {q: {d: int(g) for d, g in v.items()} for q, v in qrels.items() if q in run}


def per_query(measure: str, qrels: Mapping[str, Mapping[str, int]], run: Run) -> dict[str, float]:
    """``measure`` (e.g. ``"nDCG@10"``) of every judged query of ``run``."""
    ir_measures = require("ir_measures", feature="the metric exercises")
    m = ir_measures.parse_measure(measure)
    return {r.query_id: float(r.value) for r in ir_measures.iter_calc([m], _judged(qrels, run), _scored(run))}


def aggregate(measure: str, qrels: Mapping[str, Mapping[str, int]], run: Run) -> float:
    """``measure`` averaged over the judged queries of ``run``, as ir-measures aggregates it."""
    ir_measures = require("ir_measures", feature="the metric exercises")
    m = ir_measures.parse_measure(measure)
    return float(ir_measures.calc_aggregate([m], _judged(qrels, run), _scored(run))[m])
