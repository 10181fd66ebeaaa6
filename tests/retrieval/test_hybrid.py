"""Reciprocal rank fusion and the hybrid first stage."""

from __future__ import annotations

import pytest

from rerankkit.retrieval import BM25Retriever, HybridRetriever, reciprocal_rank_fusion

CORPUS = ["Paris is the capital of France.", "Berlin is the capital of Germany.", "France borders Spain.",
          "Pandas eat bamboo."]


def test_rrf_sums_reciprocal_ranks_by_hand():
    fused = dict(reciprocal_rank_fusion([[3, 1], [1, 2, 3]], k=10))
    assert fused[1] == pytest.approx(1 / 12 + 1 / 11)
    assert fused[3] == pytest.approx(1 / 11 + 1 / 13)
    assert fused[2] == pytest.approx(1 / 12)
    assert [i for i, _ in reciprocal_rank_fusion([[3, 1], [1, 2, 3]], k=10)] == [1, 3, 2]


def test_rrf_rewards_agreement_over_one_top_rank():
    # Ranked second by both beats first by one and absent from the other.
    assert reciprocal_rank_fusion([[0, 1], [2, 1]], k=60)[0][0] == 1


def test_rrf_rejects_bad_k():
    with pytest.raises(ValueError, match="k must be a positive int"):
        reciprocal_rank_fusion([[0]], k=0)


def test_hybrid_matches_fusion_of_its_parts():
    a, b = BM25Retriever(CORPUS), BM25Retriever(CORPUS, k1=0.5, b=0.1)
    hybrid = HybridRetriever([a, b], depth=3, k=5)
    query = "capital of France"
    expected = reciprocal_rank_fusion([[c.index for c in r.retrieve(query, k=3)] for r in (a, b)], k=5)
    got = hybrid.retrieve(query)
    assert [(c.index, c.score) for c in got] == [(i, pytest.approx(s)) for i, s in expected]
    assert [c.rank for c in got] == list(range(1, len(got) + 1))
    assert got[0].text == CORPUS[got[0].index]
    scores = hybrid.scores(query)
    assert scores[got[0].index] == pytest.approx(got[0].score)
    assert len(hybrid.retrieve(query, k=1)) == 1


def test_hybrid_refuses_different_corpora_and_single_stage():
    with pytest.raises(ValueError, match=r"retrievers\[1\].*another corpus"):
        HybridRetriever([BM25Retriever(CORPUS), BM25Retriever(CORPUS[:2])])
    with pytest.raises(ValueError, match="at least two"):
        HybridRetriever([BM25Retriever(CORPUS)])
    with pytest.raises(ValueError, match="query"):
        HybridRetriever([BM25Retriever(CORPUS), BM25Retriever(CORPUS)]).retrieve("  ")


def test_bm25_passages_without_a_shared_term_take_no_rank():
    a, b = BM25Retriever(CORPUS), BM25Retriever(CORPUS, k1=0.5)
    got = HybridRetriever([a, b], depth=None).retrieve("pandas bamboo")
    assert [c.index for c in got] == [3]  # only the passage with the query's terms, not the zero scores in order
    assert HybridRetriever([a, b]).scores("pandas")[:3].tolist() == [0.0, 0.0, 0.0]
