"""Exercises for notebook 10 (cross-lingual matching): what BM25 can share across languages, and the pooled AUC.

Example:
    >>> from rerankkit.exercises import nb10
    >>> print(nb10.ranking_share.check(0.75, matching=[2.0, 1.0], other=[0.0, 1.5]))
    ✓ 10.2 Does the match outscore the rest?: right. 0.75 is the share of (matching, non-matching) pairs the matching passage wins, ties counting half (3 of 4 pairs won, 0 ties): the pooled AUC.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rerankkit.exercises._answers import numbers
from rerankkit.exercises.core import Exercise, expect_number
from rerankkit.exercises.solutions import SOLUTIONS
from rerankkit.retrieval.base import tokenize

__all__ = ["shared_terms", "ranking_share", "EXERCISES"]


def _shared(answer: Any, query: str | None = None, passage: str | None = None) -> tuple[bool, str]:
    if not isinstance(query, str) or not isinstance(passage, str):
        raise ValueError("pass the two texts: check(answer, query=<Chinese query>, passage=<English passage>)")
    shared = sorted(set(tokenize(query)) & set(tokenize(passage)))
    listed = f" ({', '.join(shared)})" if shared else ""
    alike = ("BM25 cannot match meaning across languages, but it still matches what is written alike in both "
             "texts: digits, and letters or names in Latin script")
    spaces = ("splitting on spaces misses them: Chinese has no spaces and punctuation sticks to words, while BM25 "
              "(the kit's `tokenize`) cuts CJK text into character bigrams and words at punctuation. Count with "
              "tokenize()")
    by_spaces = float(len(set(query.casefold().split()) & set(passage.casefold().split())))
    mistakes: dict[float, str] = {0.0: f"{alike}; {spaces}" if by_spaces == 0 else f"{alike}. Count with tokenize()"}
    if by_spaces != 0:
        mistakes[by_spaces] = f"that splits on spaces; {spaces}"
    repeats = [t for t in tokenize(query) if t in set(shared)]
    if len(repeats) != len(shared):
        mistakes[float(len(repeats))] = "that counts repeated terms more than once; count distinct shared terms"
    return expect_number(answer, len(shared), what="a whole number of terms", because=(
        f"the number of distinct BM25 terms the two texts share{listed}: BM25 compares surface terms, so a Chinese "
        "query and an English passage share only what is written alike, whatever they mean"), mistakes=mistakes)


shared_terms = Exercise(
    "10.1", "What BM25 can match across languages",
    "Take fact `f22`: its **Chinese** query and its **English** passage. How many distinct BM25 terms do they "
    "share? Use `tokenize` (imported from `rerankkit.retrieval`), the tokenizer BM25 uses here.",
    hints=["BM25 only scores terms that appear in both texts; meaning does not count, spelling does.",
           "tokenize() lowercases, splits words at spaces and punctuation, and cuts CJK runs into character "
           "bigrams; digits stay digits.",
           "len(set(tokenize(query)) & set(tokenize(passage)))"],
    checker=_shared, solution=SOLUTIONS["10.1"])


def _share(answer: Any, matching: Any = None, other: Any = None) -> tuple[bool, str]:
    if matching is None or other is None:
        raise ValueError("pass the scores: check(answer, matching=<matching scores>, other=<non-matching scores>)")
    m, o = numbers(matching, "matching"), numbers(other, "other")
    wins = int((m[:, None] > o[None, :]).sum())
    ties = int((m[:, None] == o[None, :]).sum())
    expected = (wins + 0.5 * ties) / (m.size * o.size)
    threshold_share = float(np.mean(m >= 0))
    return expect_number(answer, expected, what="a share between 0 and 1", because=(
        "the share of (matching, non-matching) pairs the matching passage wins, ties counting half "
        f"({wins} of {m.size * o.size} pairs won, {ties} ties): the pooled AUC"), mistakes={
        threshold_share: "that is the share of matching passages above a logit of 0 (one fixed cut); the task "
                         "compares each matching passage with each non-matching one",
        float(m.mean() - o.mean()): "that is the gap between the means; one very high score can move a mean without "
                                    "changing who wins most comparisons",
        float(m.mean() > o.mean()): "that only says which mean is larger; count the pairwise wins",
        1 - expected: "that is the share the non-matching passage wins; flip the comparison",
    })


ranking_share = Exercise(
    "10.2", "Does the match outscore the rest?",
    "For one language pair, e.g. query `zh` and passage `en`, take the raw logits of the matching passages "
    "(`match == True` in `frame`) and of the non-matching ones, over all facts. In what share of all (matching, "
    "non-matching) pairs does the matching passage score higher (ties count half)? This is the pooled AUC that "
    "`threshold_transfer` reports. Pooled over queries, it compares one query's match with another query's "
    "non-match, so it mixes ranking with calibration (are scores comparable across queries?): it asks how well "
    "one global cut could separate matches from non-matches. The ranking question alone is per query (each "
    "query's match against its own non-matches: per-query AUC, or MRR).",
    hints=["Compare every matching score with every non-matching score: len(matching) × len(other) comparisons.",
           "Count the comparisons the matching score wins; a tie counts 0.5; divide by the number of comparisons.",
           "np.mean([(m > o) + 0.5 * (m == o) for m in matching for o in other])"],
    checker=_share, solution=SOLUTIONS["10.2"],
    real_weights="the share is about a model that learnt nothing (expect about 0.5); the check verifies the "
                 "method, which reads the real model's numbers the same way.")

EXERCISES = (shared_terms, ranking_share)
