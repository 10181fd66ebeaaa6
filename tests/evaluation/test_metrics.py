"""Metrics against hand-computed values, the rank-shift table and the retrieve-then-rerank pipeline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rerankkit import cases
from rerankkit.evaluation.metrics import mean_metrics, per_query_metrics, qrels_from_cases, rank_shift
from rerankkit.evaluation.pipeline import compare_stages, edit_passage, retrieve_then_rerank
from rerankkit.retrieval import Candidate
from rerankkit.scoring.results import Ranking

QRELS = {"q1": {"a": 2, "b": 0, "c": 1, "d": 1}, "q2": {"x": 2, "y": 0}}
RUNS = {"first": {"q1": ["b", "c", "a"], "q2": ["y", "z", "x"]}, "second": {"q1": ["a", "c", "b"], "q2": ["x", "y"]}}


def _value(frame, stage, query, name):
    row = frame[(frame.stage == stage) & (frame.query_id == query) & (frame.name == name)]
    assert len(row) == 1
    return float(row.value.iloc[0])


def test_ndcg_mrr_recall_match_hand_computation():
    frame = per_query_metrics(QRELS, RUNS, ks=(1, 2, 3))
    log2 = math.log2
    # q1, first stage b(0) c(1) a(2): DCG@3 = 1/log2(3) + 2/log2(4); ideal a c d = 2 + 1/log2(3) + 1/log2(4).
    assert _value(frame, "first", "q1", "nDCG@3") == pytest.approx((1 / log2(3) + 2 / 2) / (2 + 1 / log2(3) + 0.5))
    assert _value(frame, "first", "q1", "nDCG@1") == 0.0
    assert _value(frame, "first", "q1", "MRR@3") == pytest.approx(1 / 2)  # c (grade 1) at rank 2
    assert _value(frame, "first", "q1", "MRR@1") == 0.0
    assert _value(frame, "first", "q1", "Recall@2") == pytest.approx(1 / 3)  # c of {a, c, d}
    assert _value(frame, "first", "q1", "Recall@3") == pytest.approx(2 / 3)
    # q2, first stage y z x: x at rank 3.
    assert _value(frame, "first", "q2", "nDCG@3") == pytest.approx((2 / log2(4)) / 2)
    assert _value(frame, "first", "q2", "MRR@3") == pytest.approx(1 / 3)
    # second stage puts the best passage first.
    assert _value(frame, "second", "q1", "nDCG@1") == 1.0
    assert _value(frame, "second", "q2", "MRR@1") == 1.0
    means = mean_metrics(frame)
    assert list(means.index) == ["first", "second"]
    assert means.loc["first", "MRR@3"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert list(means.columns)[:3] == ["nDCG@1", "nDCG@2", "nDCG@3"]


def test_rel_2_counts_only_full_answers():
    frame = per_query_metrics(QRELS, RUNS, ks=(3,), rel=2)
    assert _value(frame, "first", "q1", "MRR@3") == pytest.approx(1 / 3)  # a at rank 3
    assert _value(frame, "first", "q1", "Recall@3") == 1.0  # {a} only


def test_a_query_missing_from_a_stage_scores_zero_and_bad_runs_are_named():
    frame = per_query_metrics(QRELS, {"s": {"q1": ["a"]}}, ks=(1,))
    assert _value(frame, "s", "q2", "nDCG@1") == 0.0
    with pytest.raises(ValueError, match="appears twice"):
        per_query_metrics(QRELS, {"s": {"q1": ["a", "a"]}})
    with pytest.raises(ValueError, match="no labels"):
        per_query_metrics(QRELS, {"s": {"q9": ["a"]}})
    with pytest.raises(ValueError, match="ks must be"):
        per_query_metrics(QRELS, RUNS, ks=(0,))
    with pytest.raises(ValueError, match="no passage graded"):
        per_query_metrics({"q": {"a": 0}}, {"s": {"q": ["a"]}})


def test_rank_shift_table_records_both_orders_and_labels():
    kt = cases.load("keyword_traps")
    case = kt["kt-en-001"]
    passages = list(case.passages)
    candidates = [Candidate(rank=1, index=2, score=9.0, text=passages[2].text),
                  Candidate(rank=2, index=0, score=5.0, text=passages[0].text),
                  Candidate(rank=3, index=3, score=1.0, text=passages[3].text)]
    ranking = Ranking.from_scores(query=case.query, texts=[c.text for c in candidates],
                                  logits=np.array([-1.0, 3.0, 0.5]), n_tokens=np.array([9, 9, 9]),
                                  n_cut=np.zeros(3, dtype=int))
    table = rank_shift(candidates, ranking, passages, query_id=case.id, first_stage="bm25")
    assert table["passage_id"].tolist() == ["kt-en-001/p1", "kt-en-001/p4", "kt-en-001/p3"]
    assert table["first_rank"].tolist() == [2, 3, 1]
    assert table["rerank_rank"].tolist() == [1, 2, 3]
    assert table["shift"].tolist() == [1, 1, -2]
    assert table["relevance"].tolist() == [2, 0, 0] and table["role"].tolist()[0] == "relevant"
    with pytest.raises(ValueError, match="rows but there are"):
        rank_shift(candidates[:2], ranking, passages)


def test_pipeline_pools_the_corpus_and_keeps_recall_at_the_cutoff(tiny):
    kt = cases.load("keyword_traps")
    subset = kt[:6]
    result = retrieve_then_rerank(subset, tiny, first_stage="bm25", top_n=6)
    shift = result.shift
    assert shift.groupby("query_id").size().tolist() == [6] * 6
    qrels = qrels_from_cases(subset)
    for _, row in shift.iterrows():
        assert row.relevance == qrels[row.query_id].get(row.passage_id, 0)
    # The reranked order is the order of the reranker's logits.
    for _, group in shift.groupby("query_id"):
        assert group.sort_values("rerank_rank")["rerank_logit"].is_monotonic_decreasing
        assert sorted(group["first_rank"]) == list(range(1, 7))
    summary = result.summary(ks=(1, 6))
    # Reranking reorders the same candidates: recall at the cut-off cannot change.
    assert summary.loc["bm25", "Recall@6"] == pytest.approx(summary.loc["bm25 → rerank", "Recall@6"])
    assert result.random_weights and "random weights" in result.model_label


def test_pipeline_per_case_corpus_and_dense_first_stage(tiny):
    wq = cases.load("workplace_qa")[:2]
    result = retrieve_then_rerank(wq, tiny, first_stage="dense", encoder="tiny-random-encoder", corpus="case")
    for case in wq:
        rows = result.shift[result.shift.query_id == case.id]
        assert len(rows) == len(case.passages)
        assert set(rows.passage_id) == {p.uid for p in case.passages}
    with pytest.raises(ValueError, match="first_stage"):
        retrieve_then_rerank(wq, tiny, first_stage="sparse")
    with pytest.raises(ValueError, match="top_n"):
        retrieve_then_rerank(wq, tiny, top_n=0)


def test_compare_stages_and_editing_a_distractor(tiny):
    case = cases.load("keyword_traps")["kt-zh-001"]
    frame = compare_stages(case.query, case.passages, tiny, encoder="tiny-random-encoder")
    n = len(case.passages)
    for stage in ("bm25", "dense", "rerank"):
        assert sorted(frame[f"{stage}_rank"]) == list(range(1, n + 1))
    distractor = next(p for p in case.passages if p.role == "distractor")
    edited = edit_passage(case.passages, distractor.id, case.query)  # the query itself as the passage
    after = compare_stages(case.query, edited, tiny, encoder="tiny-random-encoder")
    row = after[after.passage_id == distractor.id].iloc[0]
    assert row.text == case.query and row.relevance == 0
    assert row.bm25_rank == 1  # every query term, nothing else
    with pytest.raises(ValueError, match="empty"):
        edit_passage(case.passages, distractor.id, " ")
    with pytest.raises(KeyError, match="choose one of"):
        edit_passage(case.passages, "p99", "text")


def test_judged_at_k_is_the_share_of_the_top_k_that_has_judgements():
    from rerankkit.evaluation import judged_at_k

    qrels = {"q1": {"a": 2, "b": 0}, "q2": {"c": 1}, "q3": {"d": 1}}
    run = {"q1": ["a", "x", "b", "y"], "q2": ["c", "z"]}  # q3 is judged but missing: it counts 0
    per_query = judged_at_k(qrels, run, k=2, per_query=True)
    assert per_query.to_dict() == {"q1": 0.5, "q2": 0.5, "q3": 0.0}
    assert judged_at_k(qrels, run, k=2) == pytest.approx(1 / 3)
    scored = {"q1": {"a": 3.0, "x": 2.0, "b": 1.0}}
    assert judged_at_k({"q1": qrels["q1"]}, scored, k=3) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="k must be a positive int"):
        judged_at_k(qrels, run, k=0)
