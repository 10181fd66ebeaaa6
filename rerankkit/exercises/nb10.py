"""Exercises for notebook 10 (cross-lingual matching): what BM25 can share across languages, and ranking share.

Example:
    >>> from rerankkit.exercises import nb10
    >>> print(nb10.ranking_share.check(0.75, matching=[2.0, 1.0], other=[0.0, 1.5]))
    ✓ 10.2 Does the match outrank the rest?: right. 0.75 is the share of (matching, non-matching) pairs the matching passage wins, ties counting half (3 of 4 pairs won, 0 ties).
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
    q_words, p_words = set(query.casefold().split()), set(passage.casefold().split())
    listed = f" ({', '.join(shared)})" if shared else ""
    return expect_number(answer, len(shared), what="a whole number of terms", because=(
        f"the number of BM25 terms the two texts share{listed}: BM25 compares surface terms, and a Chinese query "
        "and an English passage have almost none in common, whatever they mean"), mistakes={
        float(len(q_words & p_words)): "that splits on spaces; Chinese has no spaces, so BM25 (the kit's "
                                       "`tokenize`) cuts CJK text into character bigrams. Count with tokenize()",
    })


shared_terms = Exercise(
    "10.1", "What BM25 can match across languages",
    "Take fact `f01`: its **Chinese** query and its **English** passage. How many BM25 terms do they share? "
    "Use `rerankkit.retrieval.base.tokenize`, the tokenizer BM25 uses here.",
    hints=["BM25 only scores terms that appear in both texts; meaning does not count.",
           "tokenize() lowercases and cuts CJK runs into character bigrams.",
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
        f"({wins} of {m.size * o.size} pairs won, {ties} ties)"), mistakes={
        threshold_share: "that is the share of matching passages above a logit of 0 (a threshold question); the "
                         "task compares each matching passage with each non-matching one (a ranking question)",
        float(m.mean() - o.mean()): "that is the gap between the means; one very high score can move a mean without "
                                    "changing who wins most comparisons",
        float(m.mean() > o.mean()): "that only says which mean is larger; count the pairwise wins",
        1 - expected: "that is the share the non-matching passage wins; flip the comparison",
    })


ranking_share = Exercise(
    "10.2", "Does the match outrank the rest?",
    "For one language pair, e.g. query `zh` and passage `en`, take the raw logits of the matching passages "
    "(`match == True` in `frame`) and of the non-matching ones. In what share of all (matching, non-matching) "
    "pairs does the matching passage score higher (ties count half)? This is the AUC that `threshold_transfer` "
    "reports.",
    hints=["Compare every matching score with every non-matching score: len(matching) × len(other) comparisons.",
           "Count the comparisons the matching score wins; a tie counts 0.5; divide by the number of comparisons.",
           "np.mean([(m > o) + 0.5 * (m == o) for m in matching for o in other])"],
    checker=_share, solution=SOLUTIONS["10.2"],
    real_weights="the share is about a model that learnt nothing (expect about 0.5); the check verifies the "
                 "method, which reads the real model's numbers the same way.")

EXERCISES = (shared_terms, ranking_share)
