"""Exercises for notebook 02 (batching): what padding costs, and what ``max_length`` cuts.

Example:
    >>> from rerankkit.exercises import nb02
    >>> print(nb02.padded_tokens.check(100, lengths=[10, 10, 10, 10, 30, 10, 10, 10], batch_size=4))
    ✗ 02.1 Padding in a batch: not yet. 100 is not right: that is only the real tokens; every pair in a batch is padded to the longest pair of that batch, and the model computes the padding too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rerankkit.exercises._answers import numbers
from rerankkit.exercises.core import Exercise, expect_number
from rerankkit.exercises.solutions import SOLUTIONS

__all__ = ["padded_tokens", "tokens_cut", "EXERCISES", "batch_cost"]


def batch_cost(lengths: Any, batch_size: int, *, sort: bool = False) -> int:
    """Token positions the model computes: each batch is padded to its longest pair.

    Example:
        >>> batch_cost([3, 9, 4, 8], 2), batch_cost([3, 9, 4, 8], 2, sort=True)
        (34, 26)
    """
    arr = numbers(lengths, "lengths").astype(np.int64)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if sort:
        arr = np.sort(arr)
    return int(sum(batch.max() * len(batch) for batch in (arr[i:i + batch_size] for i in range(0, len(arr), batch_size))))


def _padded(answer: Any, lengths: Any = None, batch_size: int = 4) -> tuple[bool, str]:
    if lengths is None:
        raise ValueError("pass the pair lengths you counted: check(answer, lengths=lengths, batch_size=4)")
    arr = numbers(lengths, "lengths")
    expected = batch_cost(arr, batch_size)
    real = int(arr.sum())
    return expect_number(answer, expected, what="a whole number of tokens", because=(
        f"the token positions computed: every batch of {batch_size} in input order is padded to its longest pair "
        f"({real} real tokens + {expected - real} padding)"), mistakes={
        real: "that is only the real tokens; every pair in a batch is padded to the longest pair of that batch, "
              "and the model computes the padding too",
        batch_cost(arr, batch_size, sort=True): "that is the cost after sorting by length; the task asks for input "
                                                "order (sorting is what saves that difference)",
        int(arr.max()) * len(arr): "that pads every pair to the longest of all; padding only reaches the longest "
                                   "pair of the same batch",
    })


padded_tokens = Exercise(
    "02.1", "Padding in a batch",
    "Count the tokens of each (query, passage) pair of section 1 with `rr.encode(...).n_tokens`. Scored in "
    "**input order** in batches of 4, how many token positions (real tokens plus padding) does the model compute?",
    hints=["A batch is a rectangle: (pairs in the batch) × (longest pair in the batch).",
           "Cut the lengths into consecutive groups of 4; the last group may be shorter.",
           "sum(max(group) * len(group) for each group of 4 consecutive lengths)"],
    checker=_padded, solution=SOLUTIONS["02.1"])


def _cut(answer: Any, rr: Any = None, query: str | None = None, passage: str | None = None,
         max_length: int = 32) -> tuple[bool, str]:
    if rr is None or query is None or passage is None:
        raise ValueError("pass the reranker and the pair: check(answer, rr=rr, query=query, passage=passage)")
    encoded = rr.encode([(query, passage)], max_length=max_length)
    expected = int(encoded.n_cut[0])
    kept = int(encoded.n_tokens[0])
    full = expected + kept
    special = rr.tokenizer.num_special_tokens_to_add(pair=True)
    q = len(rr.tokenizer(query, add_special_tokens=False)["input_ids"])
    query_budget = max_length * 3 // 4
    words = len(query.split()) + len(passage.split())
    where = (f"the query keeps at most 3/4 of max_length ({query_budget} tokens; it has {q}), the passage fills "
             "the rest and is cut from its end")
    mistakes = {
        float(full): "that is the whole pair's length; the question is how many of its tokens are cut",
        float(max(words - max_length, 0)): "that counts words past the limit; max_length counts tokens, and words "
                                           "are often several tokens",
        float(max_length): "that is the number of tokens kept (max_length), not the number cut",
        float(full - special - max_length): "the special tokens count against max_length too: the pair with them "
                                            "must fit",
        float(max(full - max_length, 0)): (
            f"that assumes the pair is filled up to max_length; here the query is longer than its budget of 3/4 of "
            f"max_length ({query_budget} tokens), so it is cut too and only {kept} tokens are kept"),
    }
    return expect_number(answer, expected, what="a whole number of tokens", because=(
        f"what the model never sees: the pair has {full} tokens with its {special} special tokens, {kept} are kept "
        f"({where})"), mistakes=mistakes)


tokens_cut = Exercise(
    "02.2", "What max_length cuts",
    "Take `query` and the longest of section 1's `passages` (`long_passage` below). With `max_length=32`, how "
    "many tokens of that pair does the model **not** see?",
    hints=["max_length counts tokens of the whole pair, special tokens included.",
           "Tokens cut = tokens of the full pair - tokens kept. The query keeps at most 3/4 of max_length; the "
           "passage gets what is left.",
           "rr.encode([(query, passage)], max_length=32).n_cut[0]"],
    checker=_cut, solution=SOLUTIONS["02.2"])

EXERCISES = (padded_tokens, tokens_cut)
