"""Exercises for notebook 07 (your own data): the change reranking made, and precision at a threshold.

Example:
    >>> from rerankkit.exercises import nb07
    >>> print(nb07.precision.check(0.333, scores=[0.9, 0.8, 0.2, 0.6], labels=[1, 0, 1, 0], threshold=0.5))
    ✓ 07.2 Precision at a threshold: right. 0.333 is relevant passing pairs / passing pairs = 1 / 3 at threshold 0.5 (sigmoid scores at or above it pass).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rerankkit.exercises._answers import numbers
from rerankkit.exercises._metrics import per_query
from rerankkit.exercises.core import AnswerError, Exercise, expect_number
from rerankkit.exercises.solutions import SOLUTIONS

__all__ = ["ndcg_delta", "precision", "EXERCISES"]


def _delta(answer: Any, qrels: Any = None, base: Any = None, reranked: Any = None,
           measure: str = "nDCG@10") -> tuple[bool, str]:
    if qrels is None or base is None or reranked is None:
        raise ValueError("pass the judgements and both runs: check(answer, qrels=data.qrels, base=report.base, "
                         "reranked=report.reranked)")
    b, r = per_query(measure, qrels, base), per_query(measure, qrels, reranked)
    queries = sorted(set(b) | set(r))
    if not queries:
        raise ValueError("no query of the runs has judgements: check qrels against the runs' query ids")
    before = float(np.mean([b.get(q, 0.0) for q in queries]))
    after = float(np.mean([r.get(q, 0.0) for q in queries]))
    expected = after - before
    n_run = len(set(base) | set(reranked))
    mistakes = {
        -expected: "the sign is flipped: reranked minus base",
        (after - before) / before * 100 if before else float("nan"): "that is the relative change in percent; the "
                                                                     "task asks for the absolute change",
    }
    if n_run > len(queries):
        mistakes[expected * len(queries) / n_run] = (f"that averages over all {n_run} queries of the run; queries "
                                                     f"without judgements are left out ({len(queries)} are judged)")
    return expect_number(answer, expected, what="a change in nDCG@10 such as 0.012", because=(
        f"mean {measure} reranked ({after:.4f}) minus base ({before:.4f}) over the {len(queries)} judged queries"),
        mistakes=mistakes)


ndcg_delta = Exercise(
    "07.1", "What reranking changed",
    "By how much did reranking change the mean **nDCG@10** (reranked minus base, absolute, over judged queries)? "
    "Compute it from `report.per_query` (or `report.table`), then check it against the runs.",
    hints=["Only queries with judgements count; the report averages over those.",
           "Δ = mean reranked nDCG@10 - mean base nDCG@10 (absolute points, not percent).",
           "pq = report.per_query; pq[pq.metric == 'nDCG@10'].delta.mean()"],
    checker=_delta, solution=SOLUTIONS["07.1"],
    real_weights="with random weights the change says nothing about bge-reranker-v2-m3; the check verifies how the "
                 "change is computed.")


def _precision(answer: Any, scores: Any = None, labels: Any = None, threshold: float = 0.5) -> tuple[bool, str]:
    if scores is None or labels is None:
        raise ValueError("pass the sigmoid scores and the labels: check(answer, scores=..., labels=..., threshold=...)")
    s, y = numbers(scores, "scores"), numbers(labels, "labels") > 0
    if s.size != y.size:
        raise ValueError(f"scores ({s.size}) and labels ({y.size}) must be the same length")
    passing = s >= threshold
    if not passing.any():
        raise AnswerError(f"no pair reaches {threshold}: precision is undefined there; pick a lower threshold.")
    expected = float((passing & y).sum() / passing.sum())
    mistakes = {float((passing & y).sum() / max(y.sum(), 1)): "that is recall (relevant passing / all relevant); "
                                                               "precision divides by the passing pairs",
                float(np.mean(passing == y)): "that is accuracy over all pairs; precision looks only at passing pairs",
                float(passing.mean()): "that is the share of pairs that pass"}
    return expect_number(answer, expected, what="a share between 0 and 1", because=(
        f"relevant passing pairs / passing pairs = {int((passing & y).sum())} / {int(passing.sum())} at threshold "
        f"{threshold} (sigmoid scores at or above it pass)"), mistakes=mistakes)


precision = Exercise(
    "07.2", "Precision at a threshold",
    "Given sigmoid scores of reranked pairs and their labels (1 relevant, 0 not), what is the **precision** at "
    "the cut `cut` (the median score, so that half the pairs pass whatever the weights): of the pairs at or "
    "above it, what share is relevant?",
    hints=["Passing means sigmoid score >= threshold.",
           "precision = relevant passing pairs / passing pairs (recall would divide by all relevant pairs)."],
    checker=_precision, solution=SOLUTIONS["07.2"])

EXERCISES = (ndcg_delta, precision)
