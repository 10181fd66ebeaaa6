"""Exercise for notebook 12 (fine-tuning on your own data): a split with no query leakage.

Example:
    >>> from rerankkit.exercises import nb12
    >>> queries = {"q1": "What is BM25?", "q2": "what is  bm25?", "q3": "Why rerank?", "q4": "What is RRF?"}
    >>> print(nb12.no_leakage.check((["q1", "q3"], ["q2", "q4"]), queries=queries))
    ✗ 12.1 A split with no leakage: not yet. The same question is on both sides under different ids: 'q2' (test) is 'q1' (train) with other case or spacing; keep each question, whatever its id, on one side.
    >>> print(nb12.no_leakage.check((["q1", "q2", "q3"], ["q4"]), queries=queries))
    ✓ 12.1 A split with no leakage: right. 3 training and 1 test queries, no id and no question on both sides, every query placed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rerankkit.exercises.core import AnswerError, Exercise, Solution

__all__ = ["no_leakage", "EXERCISES"]


def _key(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _ids(value: Any, side: str, queries: Mapping[str, str]) -> list[str]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise AnswerError(f"the {side} side should be a list of query ids, got {type(value).__name__}.")
    ids = [str(q) for q in value]
    unknown = [q for q in ids if q not in queries]
    if unknown:
        raise AnswerError(f"the {side} side names ids that are not queries of the data: {unknown[:3]}; use the keys "
                          "of data.queries (passages or pairs are not what is split).")
    if not ids:
        raise AnswerError(f"the {side} side is empty: both sides need queries.")
    return ids


def _leakage(answer: Any, queries: Mapping[str, str] | None = None) -> tuple[bool, str]:
    if queries is None:
        raise ValueError("pass the queries: check((train_ids, test_ids), queries=data.queries)")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise AnswerError("the answer should be a pair (train_ids, test_ids).")
    train, test = _ids(answer[0], "train", queries), _ids(answer[1], "test", queries)
    both = sorted(set(train) & set(test))
    if both:
        return False, (f"{len(both)} query ids are on both sides (e.g. {both[:3]}): that is a split by pair or by "
                       "row; split the query ids, so each query's pairs all land on one side.")
    train_text = {_key(queries[q]): q for q in train}
    twins = [(q, train_text[_key(queries[q])]) for q in test if _key(queries[q]) in train_text]
    if twins:
        q, t = twins[0]
        return False, (f"The same question is on both sides under different ids: {q!r} (test) is {t!r} (train) with "
                       "other case or spacing; keep each question, whatever its id, on one side.")
    missing = sorted(set(queries) - set(train) - set(test))
    if missing:
        return False, (f"{len(missing)} queries are on neither side (e.g. {missing[:3]}): place every query, so the "
                       "test share is what you meant.")
    return True, (f"{len(train)} training and {len(test)} test queries, no id and no question on both sides, every "
                  "query placed.")


no_leakage = Exercise(
    "12.1", "A split with no leakage",
    "Split the queries of `data` into training and test **by query**, so that no test question is ever trained on. "
    "Answer with the pair `(train_ids, test_ids)` of query ids. Watch for the same question under two ids.",
    hints=["Split the keys of `data.queries`, not the (query, passage) pairs: a query's pairs go to one side.",
           "Group ids whose text is the same once case and spacing are ignored, and move each group as a whole.",
           "`rerankkit.training.split_queries(data)` does both; compare yours with `leaked_queries`."],
    checker=_leakage,
    solution=Solution(
        "from rerankkit.training import split_queries\n"
        "split = split_queries(data, test_fraction=0.3, seed=0)\n"
        "answer = (split.train, split.test)\n"
        "nb12.no_leakage.check(answer, queries=data.queries)",
        "A split by query puts every pair of a query on one side; grouping equal texts keeps a question asked "
        "twice, under two ids, from being trained on and then tested on."))

EXERCISES = (no_leakage,)
