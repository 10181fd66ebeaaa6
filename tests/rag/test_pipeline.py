"""The pipeline over a real Milvus Lite collection: the hybrid first stage is RRF of BM25 and the collection,
the sweep measures what the context holds, the knee is read from measured figures."""

from __future__ import annotations

import pytest

from rerankkit.rag.corpus import crosslingual_corpus
from rerankkit.rag.evaluate import context_precision, context_recall, knee, rerank_latency, sweep
from rerankkit.rag.explore import setting_figures
from rerankkit.rag.pipeline import RagPipeline
from rerankkit.retrieval import reciprocal_rank_fusion

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]


@pytest.fixture(scope="module")
def pipe(rag_store, tiny):
    return RagPipeline(rag_store, tiny)


def test_hybrid_is_rrf_of_bm25_and_the_collection(pipe):
    question = "What is the capital of France?"
    bm25 = [h.chunk.id for h in pipe.retrieve(question, stage="bm25", k=100)]
    dense = [h.chunk.id for h in pipe.retrieve(question, stage="dense", k=100)]
    ids = {c.id: i for i, c in enumerate(pipe.chunks)}
    fused = reciprocal_rank_fusion([[ids[c] for c in bm25], [ids[c] for c in dense]], k=60)[:10]
    hybrid = pipe.retrieve(question, stage="hybrid", k=10)
    assert [h.chunk.id for h in hybrid] == [pipe.chunks[i].id for i, _ in fused]
    assert [h.score for h in hybrid] == pytest.approx([s for _, s in fused])


def test_rerank_reorders_the_candidates_by_logit(pipe, tiny):
    question = "What is the capital of France?"
    hits = pipe.retrieve(question, stage="hybrid", k=20)
    reranked = pipe.rerank(question, hits)
    expected = tiny.rerank(question, [h.chunk.text for h in hits])
    assert [h.chunk.id for h in reranked] == [hits[i].chunk.id for i in expected.indices]
    assert [h.score for h in reranked] == pytest.approx(list(expected.logits))


def test_sweep_measures_recall_precision_and_tokens(pipe, rag_corpus, tiny):
    questions = rag_corpus.questions[:6]
    frame = sweep(pipe, questions, depths=[10, 50], budgets=[128, 1024], tokenizer=tiny.tokenizer,
                  show_progress=False)
    assert len(frame) == 3 * 2 * 2 * 2 and set(frame.questions) == {6}
    assert frame.tokens.max() <= 1024 and frame[frame.budget == 128].tokens.max() <= 128
    # Without reranking, a larger budget only adds chunks after the same ones: recall cannot fall.
    plain = frame[~frame.reranked].set_index(["stage", "k", "budget"]).recall
    for stage in ("bm25", "dense", "hybrid"):
        for k in (10, 50):
            assert plain[(stage, k, 1024)] >= plain[(stage, k, 128)]
    # One question checked by hand against the definitions.
    q = questions[0]
    ctx = pipe.context(q.text, stage="bm25", k=10, budget=1024, rerank=False, tokenizer=tiny.tokenizer)
    row = frame[(frame.stage == "bm25") & (frame.k == 10) & (frame.budget == 1024) & ~frame.reranked]
    single = sweep(pipe, [q], stages=["bm25"], depths=[10], budgets=[1024], tokenizer=tiny.tokenizer,
                   rerank=False, show_progress=False)
    assert single.recall.iloc[0] == context_recall(ctx, q.answer_docs)
    assert single.precision.iloc[0] == context_precision(ctx, q.answer_docs)
    assert not row.empty
    table = setting_figures(frame, None, stage="hybrid", k=10, budget=1024)
    assert list(table.reranked) == [False, True]


def test_latency_rows_and_knee(pipe, rag_corpus):
    lat = rerank_latency(pipe, rag_corpus.questions[:3], depths=[10, 20], repeats=2, show_progress=False)
    assert list(lat.k) == [10, 20] and (lat.p95_ms >= lat.median_ms).all() and (lat.median_ms > 0).all()
    assert knee([10, 20, 50], [0.5, 0.9, 0.91], [1.0, 2.0, 5.0]) == 20


def test_crosslingual_pipeline_searches_one_language(rag_store, tiny):
    corpus = crosslingual_corpus("zh", "en")
    pipe = RagPipeline(rag_store, tiny, documents=corpus.documents.keys())
    assert {c.doc_id for c in pipe.chunks} == set(corpus.documents)
    hits = pipe.retrieve(corpus.questions[0].text, stage="hybrid", k=30)
    assert hits and all(h.chunk.doc_id in corpus.documents for h in hits)
