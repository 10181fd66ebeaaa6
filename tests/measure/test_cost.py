"""Cross-encoder against bi-encoder: the inputs each sees, and a like-for-like cost measurement."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.measure.cost import _embed, cost_comparison, inputs_seen

QUERY = "What is the capital of France?"
PASSAGES = ["Paris is the capital city of France.", "Berlin is the capital of Germany.", "Hi."]


def test_cross_encoder_reads_both_texts_in_one_sequence(tiny):
    seen = inputs_seen(tiny, QUERY, PASSAGES[0])
    q, p = seen["bi-encoder (query)"], seen["bi-encoder (passage)"]
    assert q[0] == p[0] == "<s>" and q[-1] == p[-1] == "</s>"
    # XLM-RoBERTa's pair layout: <s> query </s></s> passage </s>
    assert seen["cross-encoder"] == q + ["</s>"] + p[1:]


def test_mean_pooling_ignores_padding(tiny):
    alone = _embed(tiny, [PASSAGES[2]], batch_size=4)
    padded = _embed(tiny, [PASSAGES[2], " ".join(PASSAGES * 3)], batch_size=4)
    np.testing.assert_allclose(alone[0], padded[0], atol=1e-5)


def test_cost_comparison_counts_and_times(tiny):
    frame = cost_comparison(tiny, QUERY, PASSAGES, repeats=2)
    assert frame[["architecture", "stage"]].values.tolist() == [
        ["cross-encoder", "per query"], ["bi-encoder", "once, ahead of time"], ["bi-encoder", "per query"]
    ]
    assert frame.texts_encoded.tolist() == [len(PASSAGES), len(PASSAGES), 1]
    pair_tokens = tiny.encode([(QUERY, p) for p in PASSAGES]).n_tokens.sum()
    alone = [len(ids) for ids in tiny.tokenizer(PASSAGES + [QUERY])["input_ids"]]
    assert frame.tokens.tolist() == [pair_tokens, sum(alone[:-1]), alone[-1]]
    assert (frame.seconds > 0).all()


def test_cost_comparison_rejects_bad_input(tiny):
    with pytest.raises(ValueError, match="repeats must be a positive int"):
        cost_comparison(tiny, QUERY, PASSAGES, repeats=0)
    with pytest.raises(ValueError, match="passages is empty"):
        cost_comparison(tiny, QUERY, [])
