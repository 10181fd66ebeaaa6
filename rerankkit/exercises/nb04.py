"""Exercises for notebook 04 (keyword traps): MRR and nDCG by hand, checked against ir-measures.

Example:
    >>> from rerankkit.exercises import nb04
    >>> print(nb04.mrr.check(0.444))
    ✓ 04.1 MRR@10 by hand: right. 0.444 is the mean over the 3 judged queries of 1/rank of the first relevant passage (0 when none is in the top 10), as ir-measures computes RR@10.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rerankkit.exercises._metrics import aggregate
from rerankkit.exercises.core import Exercise, expect_number
from rerankkit.exercises.solutions import SOLUTIONS

__all__ = ["mrr", "ndcg", "EXERCISES", "RUN", "QRELS", "RANKING", "GRADES"]

# The worked example of exercise 04.1: a BM25 ranking per query (best first) and the judgements.
RUN: dict[str, list[str]] = {
    "q1": ["d3", "d7", "d1", "d2"],
    "q2": ["d5", "d4", "d9"],
    "q3": ["d8", "d6", "d2", "d1"],
}
QRELS: dict[str, dict[str, int]] = {
    "q1": {"d1": 1, "d2": 0},
    "q2": {"d5": 2, "d4": 1},
    "q3": {"d10": 1, "d6": 0},  # q3's relevant passage was never retrieved
}
# Exercise 04.2: one ranking, best first, and the graded judgements of that query (2 answers, 1 partly, 0 not).
RANKING: list[str] = ["p4", "p1", "p3", "p2", "p5"]
GRADES: dict[str, int] = {"p1": 2, "p2": 2, "p3": 1, "p4": 0, "p5": 0}


def _first_relevant(docs: Sequence[str], labels: Mapping[str, int]) -> int | None:
    return next((i + 1 for i, d in enumerate(docs) if labels.get(d, 0) > 0), None)


def _mrr(answer: Any, run: Mapping[str, Sequence[str]] = RUN, qrels: Mapping[str, Mapping[str, int]] = QRELS,
         k: int = 10) -> tuple[bool, str]:
    expected = aggregate(f"RR@{k}", qrels, run)
    judged = [q for q in run if q in qrels]
    ranks = [_first_relevant(list(run[q]), qrels[q]) for q in judged]
    found = [r for r in ranks if r is not None and r <= k]
    mistakes = {
        sum(1 / r for r in found) / max(len(found), 1): "that averages only over the queries where a relevant "
                                                       "passage was found; a query with none in the top k counts as 0",
        sum(r for r in found) / max(len(found), 1): "that is the mean rank; MRR averages the reciprocal rank, 1/rank",
        sum(1 / r for r in found): "that is the sum of reciprocal ranks; divide by the number of judged queries",
    }
    return expect_number(answer, expected, what="a number between 0 and 1", because=(
        f"the mean over the {len(judged)} judged queries of 1/rank of the first relevant passage (0 when none is in "
        f"the top {k}), as ir-measures computes RR@{k}"), mistakes=mistakes)


mrr = Exercise(
    "04.1", "MRR@10 by hand",
    "`nb04.RUN` holds three BM25 rankings (best first) and `nb04.QRELS` their judgements (grade > 0 is relevant). "
    "Compute **MRR@10** by hand.",
    hints=["For each query, find the rank (counted from 1) of the first passage with grade > 0.",
           "Reciprocal rank is 1/rank; a query with no relevant passage in the top 10 gets 0 and still counts.",
           "MRR = mean of the reciprocal ranks over all judged queries."],
    checker=_mrr, solution=SOLUTIONS["04.1"])


def _ndcg(answer: Any, ranking: Sequence[str] = RANKING, grades: Mapping[str, int] = GRADES,
          k: int = 3) -> tuple[bool, str]:
    expected = aggregate(f"nDCG@{k}", {"q": dict(grades)}, {"q": list(ranking)})
    top = [grades.get(d, 0) for d in list(ranking)[:k]]

    def dcg(gains: Sequence[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(gains))

    ideal = sorted(grades.values(), reverse=True)[:k]
    return expect_number(answer, expected, what="a number between 0 and 1", because=(
        f"DCG@{k} of the ranking ({dcg(top):.4f}, gains {top}, discount log2(rank + 1)) divided by the DCG@{k} of "
        f"the best possible order of all judged passages ({dcg(ideal):.4f}), as ir-measures (trec_eval) computes it"),
        mistakes={
        dcg(top): "that is DCG, not normalised: divide by the ideal DCG",
        dcg([2 ** g - 1 for g in top]) / dcg([2 ** g - 1 for g in ideal]): "that uses exponential gains 2^grade - 1; "
                                                                           "trec_eval's nDCG (ir-measures) uses the grade itself",
        dcg(top) / dcg(sorted(top, reverse=True)) if any(top) else -1.0: (
            "the ideal order is built from all judged passages, not only the ones this ranking put in its top k"),
        dcg([1.0 if g > 0 else 0.0 for g in top]) / dcg([1.0 if g > 0 else 0.0 for g in ideal]): (
            "that treats every relevant passage alike; the grades (2 answers, 1 partly) are the gains"),
    })


ndcg = Exercise(
    "04.2", "nDCG@3 by hand",
    "`nb04.RANKING` is one query's ranking (best first) and `nb04.GRADES` the graded judgements of that query "
    "(2 answers, 1 partly, 0 not). Compute **nDCG@3** with linear gains (the grade) and discount log2(rank + 1).",
    hints=["DCG@3 = sum over the top 3 of grade / log2(rank + 1), rank counted from 1.",
           "The ideal DCG@3 sorts *all* judged passages by grade, best first, and takes the top 3.",
           "nDCG@3 = DCG@3 / ideal DCG@3."],
    checker=_ndcg, solution=SOLUTIONS["04.2"])

EXERCISES = (mrr, ndcg)
