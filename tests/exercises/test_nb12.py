"""Notebook 12's exercise: a split with no query leakage, and the wrong answers it names."""

from __future__ import annotations

from rerankkit.evaluation import from_cases
from rerankkit.exercises import get, nb12
from rerankkit.training import split_queries

QUERIES = {"q1": "What is BM25?", "q2": "what is  BM25?", "q3": "Why rerank?", "q4": "What is RRF?"}


def test_the_solution_is_right_on_a_case_set() -> None:
    data = from_cases("keyword_traps")
    split = split_queries(data, test_fraction=0.3, seed=0)
    verdict = nb12.no_leakage.check((split.train, split.test), queries=data.queries)
    assert verdict.correct is True, str(verdict)
    assert get("12.1") is nb12.no_leakage


def test_a_split_by_pair_is_wrong() -> None:
    verdict = nb12.no_leakage.check((["q1", "q2", "q3"], ["q3", "q4"]), queries=QUERIES)
    assert verdict.correct is False and "both sides" in str(verdict) and "by pair" in str(verdict)


def test_the_same_question_under_two_ids_is_wrong() -> None:
    verdict = nb12.no_leakage.check((["q1", "q3"], ["q2", "q4"]), queries=QUERIES)
    assert verdict.correct is False and "'q2' (test) is 'q1' (train)" in str(verdict)


def test_forgotten_queries_unknown_ids_and_bad_shapes_are_explained() -> None:
    assert "neither side" in str(nb12.no_leakage.check((["q1", "q2"], ["q4"]), queries=QUERIES))
    assert "not queries of the data" in str(nb12.no_leakage.check((["q1", "d9"], ["q4"]), queries=QUERIES))
    assert "pair (train_ids, test_ids)" in str(nb12.no_leakage.check(["q1", "q2", "q3"], queries=QUERIES))
    assert "side is empty" in str(nb12.no_leakage.check(([], ["q4"]), queries=QUERIES))
    assert nb12.no_leakage.check(None, queries=QUERIES).correct is None
