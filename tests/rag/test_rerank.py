"""The rerank step the adapters call: same order and scores as rr.rerank, checked input, the calibrated cut,
one shared load, and an async form that leaves the event loop free."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from rerankkit.errors import TruncationWarning
from rerankkit.evaluation.calibration import calibrate, labelled_pairs
from rerankkit.rag.rerank import CalibratedCut, arerank_texts, rerank_texts, shared_reranker

QUERY = "What is the capital of France?"
DOCS = ["Paris is the capital of France.", "Berlin is in Germany.", "The Seine flows through Paris.",
        "Bread is baked in ovens.", "France borders Spain and Italy."]


def test_same_order_and_scores_as_rerank(tiny):
    expected = tiny.rerank(QUERY, DOCS)
    rows = rerank_texts(tiny, QUERY, DOCS)
    assert [r.index for r in rows] == expected.indices
    np.testing.assert_allclose([r.logit for r in rows], expected.logits)
    np.testing.assert_allclose([r.sigmoid for r in rows], expected.scores)
    meta = rows[0].metadata()
    assert meta["rerank_logit"] == rows[0].logit and meta["rerank_sigmoid"] == rows[0].sigmoid
    assert meta["rerank_rank"] == 1 and meta["rerank_truncated"] is False
    assert [r.index for r in rerank_texts(tiny, QUERY, DOCS, top_n=2)] == expected.indices[:2]


def test_truncation_is_reported(tiny):
    with pytest.warns(TruncationWarning, match="1 of 2 pairs"):
        rows = rerank_texts(tiny, QUERY, ["word " * 400, "short"], max_length=32)
    long = next(r for r in rows if r.index == 0)
    assert long.n_cut > 0 and long.metadata()["rerank_truncated"] is True
    assert long.metadata()["rerank_tokens_cut"] == long.n_cut


def test_empty_document_list_gives_an_empty_list(tiny):
    assert rerank_texts(tiny, QUERY, []) == []


@pytest.mark.parametrize(("query", "docs", "options", "error", "match"), [
    ("", DOCS, {}, ValueError, "query is empty"),
    (None, DOCS, {}, TypeError, "query must be a str"),
    (QUERY, ["ok", 3], {}, TypeError, r"documents\[1\] must be text"),
    (QUERY, "one string", {}, TypeError, "documents must be a list"),
    (QUERY, ["ok", "  "], {}, ValueError, r"documents\[1\] is empty"),
    (QUERY, DOCS, {"top_n": 0}, ValueError, "top_n"),
    (QUERY, DOCS, {"score_cut": 0.5}, TypeError, "score_cut must be a CalibratedCut"),
])
def test_bad_input_names_the_argument(tiny, query, docs, options, error, match):
    with pytest.raises(error, match=match):
        rerank_texts(tiny, query, docs, **options)


@pytest.fixture(scope="module")
def calibration(tiny):
    return calibrate(tiny, labelled_pairs(["keyword_traps"]))


@pytest.mark.slow
def test_calibrated_cut_keeps_what_reaches_the_probability(tiny, calibration):
    if calibration.platt.slope <= 0:  # random weights: the fit may find no rising relation, which is refused
        with pytest.raises(ValueError, match="no rising relation"):
            CalibratedCut.from_calibration(calibration)
        return
    cut = CalibratedCut.from_calibration(calibration, min_probability=0.5)
    assert cut.random_weights and cut.probability(cut.logit) == pytest.approx(0.5)
    rows = rerank_texts(tiny, QUERY, DOCS, score_cut=cut)
    every = rerank_texts(tiny, QUERY, DOCS)
    assert [r.index for r in rows] == [r.index for r in every if r.logit >= cut.logit]
    assert all(r.metadata()["rerank_calibrated_probability"] >= 0.5 for r in rows)


def test_a_cut_for_another_model_is_refused(tiny):
    cut = CalibratedCut("BAAI/bge-reranker-v2-m3", 0.5, 1.0, 0.0)
    with pytest.raises(ValueError, match="calibrated on 'BAAI/bge-reranker-v2-m3'"):
        rerank_texts(tiny, QUERY, DOCS, score_cut=cut)
    with pytest.raises(ValueError, match="min_probability"):
        CalibratedCut.from_calibration(None, min_probability=1.5)  # type: ignore[arg-type]


def test_one_load_is_shared():
    assert shared_reranker("tiny-random", device="cpu") is shared_reranker("tiny-random", device="cpu")
    rr = shared_reranker("tiny-random", device="cpu")
    assert shared_reranker(rr) is rr
    with pytest.raises(ValueError, match="apply when loading"):
        shared_reranker(rr, dtype="int8")


def test_async_rerank_leaves_the_event_loop_free(tiny_copy):
    original = tiny_copy.rerank

    def slow_rerank(*args, **kwargs):
        time.sleep(0.4)  # a model that takes a while, as a real one on CPU does
        return original(*args, **kwargs)

    tiny_copy.rerank = slow_rerank

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        rows = await arerank_texts(tiny_copy, QUERY, DOCS, top_n=2)
        task.cancel()
        return rows, ticks

    rows, ticks = asyncio.run(main())
    assert len(rows) == 2
    assert ticks >= 10  # the loop kept running while the model scored in its thread
