"""Decoder readouts: Qwen3-Reranker and mxbai-rerank-v2 against hand computations, FlagLLMReranker against
FlagEmbedding, sentence-transformers' CrossEncoder against the kit, and a template that survives truncation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import rerankkit
from rerankkit.errors import TruncationWarning

QWEN3_ID = "tiny-random:Qwen/Qwen3-Reranker-0.6B"
MXBAI_ID = "tiny-random:mixedbread-ai/mxbai-rerank-base-v2"
GEMMA_ID = "tiny-random:BAAI/bge-reranker-v2-gemma"

# Written out from the Qwen3-Reranker model card (not imported), so a drifted template fails here.
QWEN3_PREFIX = ("<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the "
                'Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n')
QWEN3_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
QWEN3_TASK = "Given a web search query, retrieve relevant passages that answer the query"
# From the mxbai-rerank package (mxbai_rerank/mxbai_rerank_v2.py, version 0.1.6).
MXBAI_PREFIX = ("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                "<|im_start|>user\n")
MXBAI_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n"
MXBAI_TASK = ("You are a search relevance expert who evaluates how well documents match search queries. For each "
              "query-document pair, carefully analyze the semantic relationship between them, then provide your "
              "binary relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:")

PAIRS = [
    ("what is panda?", "The giant panda is a bear species endemic to China."),
    ("what is panda?", "hi"),
    ("capital of France?", "Paris is the capital and largest city of France, on the Seine."),
]


@pytest.fixture(scope="module")
def qwen3() -> rerankkit.Reranker:
    return rerankkit.load(QWEN3_ID, device="cpu")


@pytest.fixture(scope="module")
def mxbai() -> rerankkit.Reranker:
    return rerankkit.load(MXBAI_ID, device="cpu")


def _causal_lm(path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def _last_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1]


def _qwen3_by_hand(model, tok, query: str, doc: str, instruction: str = QWEN3_TASK) -> float:
    body = f"<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {doc}"
    ids = (tok.encode(QWEN3_PREFIX, add_special_tokens=False) + tok(body, add_special_tokens=False)["input_ids"]
           + tok.encode(QWEN3_SUFFIX, add_special_tokens=False))
    logits = _last_logits(model, ids)
    return float(logits[tok.convert_tokens_to_ids("yes")] - logits[tok.convert_tokens_to_ids("no")])


def _mxbai_by_hand(model, tok, query: str, doc: str, instruction: str | None = None) -> float:
    def ids(text: str) -> list[int]:
        return tok(text, add_special_tokens=False)["input_ids"]

    query_text = (f"instruction: {instruction}\n" if instruction else "") + f"query: {query}"
    full = (ids(MXBAI_PREFIX) + ids(query_text) + ids("\n") + ids(f"document: {doc}") + ids("\n") + ids(MXBAI_TASK)
            + ids(MXBAI_SUFFIX))
    logits = _last_logits(model, full)
    return float(logits[ids("1")[0]] - logits[ids("0")[0]])


def test_qwen3_matches_the_model_card_computation(qwen3):
    model, tok = _causal_lm(qwen3.info.path)
    expected = [_qwen3_by_hand(model, tok, q, d) for q, d in PAIRS]
    np.testing.assert_allclose(qwen3.score(PAIRS), expected, atol=1e-4)  # batched, left-padded
    np.testing.assert_allclose(qwen3.score(PAIRS, normalize=True), 1 / (1 + np.exp(-np.array(expected))), atol=1e-5)


def test_mxbai_matches_the_package_computation(mxbai):
    model, tok = _causal_lm(mxbai.info.path)
    expected = [_mxbai_by_hand(model, tok, q, d) for q, d in PAIRS]
    np.testing.assert_allclose(mxbai.score(PAIRS), expected, atol=1e-4)


def test_instruction_changes_the_score_and_matches_by_hand():
    task = "Given a question, retrieve passages that name a city"
    rr = rerankkit.load(QWEN3_ID, device="cpu", instruction=task)
    model, tok = _causal_lm(rr.info.path)
    assert rr.instruction == task
    custom = rr.score(PAIRS)
    np.testing.assert_allclose(custom, [_qwen3_by_hand(model, tok, q, d, task) for q, d in PAIRS], atol=1e-4)
    rr.instruction = None  # back to the model card's default
    assert rr.instruction == QWEN3_TASK
    assert not np.allclose(rr.score(PAIRS), custom)


def test_mxbai_instruction_goes_before_the_query(mxbai):
    model, tok = _causal_lm(mxbai.info.path)
    rr = rerankkit.load(MXBAI_ID, device="cpu", instruction="Find recipes")
    q, d = PAIRS[0]
    assert rr.score(q, d) == pytest.approx(_mxbai_by_hand(model, tok, q, d, "Find recipes"), abs=1e-4)
    assert rr.score(q, d) != pytest.approx(mxbai.score(q, d), abs=1e-6)


def test_instruction_is_refused_where_the_model_takes_none():
    with pytest.raises(ValueError, match="instruction"):
        rerankkit.load("tiny-random", device="cpu", instruction="anything")


@pytest.mark.parametrize("which", ["qwen3", "mxbai"])
@pytest.mark.parametrize("long_part", ["passage", "query"])
def test_template_survives_truncation(request, which, long_part):
    rr = request.getfixturevalue(which)
    tok = rr.tokenizer
    prefix, suffix = (QWEN3_PREFIX, QWEN3_SUFFIX) if which == "qwen3" else (MXBAI_PREFIX, MXBAI_TASK + MXBAI_SUFFIX)
    prefix_ids = tok.encode(prefix, add_special_tokens=False)
    suffix_ids = tok.encode(suffix, add_special_tokens=False)
    long_text = " ".join(f"word{i}" for i in range(400))
    pairs = [("what is panda?", long_text), ("capital?", "Paris.")] if long_part == "passage" else \
        [(long_text, "A bear."), ("capital?", "Paris.")]
    max_length = rr.flag.template_length() + 60  # the query keeps at most 3/4 of the 60 tokens left
    encoded = rr.encode(pairs, max_length=max_length)
    for ids in encoded.input_ids:
        assert len(ids) <= max_length
        assert ids[: len(prefix_ids)] == prefix_ids
        assert ids[-len(suffix_ids):] == suffix_ids  # the answer is read right after the intact template
    assert encoded.n_cut[0] > 0 and encoded.n_cut[1] == 0
    text = tok.decode(encoded.input_ids[0])
    query, passage = pairs[0]
    labels = ("<Query>: ", "\n<Document>: ") if which == "qwen3" else ("query: ", "\ndocument: ")
    assert labels[0] in text and labels[1] in text
    kept_query = text.split(labels[0], 1)[1].split(labels[1], 1)[0]
    kept_passage = text.split(labels[1], 1)[1]
    if long_part == "passage":
        assert kept_query == query  # the short query is whole; the passage lost its end
        assert long_text.startswith(kept_passage.split("<|im_end|>")[0].split("\n")[0].strip())
    else:
        assert long_text.startswith(kept_query) and len(kept_query) < len(long_text)
        assert passage in kept_passage  # the passage is whole
    with pytest.warns(TruncationWarning):
        scores = rr.score(pairs, max_length=max_length)
    assert np.isfinite(scores).all()


def test_too_small_max_length_names_the_template_length(qwen3):
    with pytest.raises(ValueError, match="template alone takes"):
        qwen3.score("q", "d", max_length=16)


def test_encode_counts_what_the_model_reads(qwen3):
    encoded = qwen3.encode(PAIRS)
    assert list(encoded.n_tokens) == [len(ids) for ids in encoded.input_ids]
    assert not encoded.n_cut.any()
    model, _ = _causal_lm(qwen3.info.path)
    yes, no = qwen3.flag.yes_id, qwen3.flag.no_id
    by_ids = [float(lg[yes] - lg[no]) for lg in (_last_logits(model, ids) for ids in encoded.input_ids)]
    np.testing.assert_allclose(qwen3.score(PAIRS), by_ids, atol=1e-4)


def test_flag_llm_reranker_path_matches_flagembedding():
    from FlagEmbedding import FlagLLMReranker

    rr = rerankkit.load(GEMMA_ID, device="cpu")
    assert rr.info.flag_class == "FlagLLMReranker"
    reference = FlagLLMReranker(rr.info.path, use_fp16=False, devices=["cpu"])
    expected = reference.compute_score([list(p) for p in PAIRS], normalize=False)
    np.testing.assert_allclose(rr.score(PAIRS), expected, atol=1e-4)
    # The ids encode() counts are the ones FlagEmbedding feeds the model: scoring them alone gives its scores.
    model, tok = _causal_lm(rr.info.path)
    yes = tok("Yes", add_special_tokens=False)["input_ids"][0]
    encoded = rr.encode(PAIRS)
    np.testing.assert_allclose([float(_last_logits(model, ids)[yes]) for ids in encoded.input_ids], expected,
                               atol=1e-4)


def test_sentence_transformers_cross_encoder_gives_the_same_scores(qwen3):
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(qwen3.info.path, device="cpu")
    # It renders the pair with the folder's chat template and reads LogitScore("yes", "no").
    st = model.predict(PAIRS, activation_fn=torch.nn.Identity())
    np.testing.assert_allclose(st, qwen3.score(PAIRS), atol=1e-4)


def test_reranker_instruction_is_refused_for_encoders(tiny):
    assert tiny.instruction is None
    with pytest.raises(AttributeError, match="takes no instruction"):
        tiny.instruction = "x"


def test_no_nan_and_warning_free_for_short_pairs(qwen3):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        assert np.isfinite(qwen3.score(PAIRS)).all()


def test_flag_llm_reranker_draws_no_progress_bar_for_a_few_pairs(capsys):
    rr = rerankkit.load("tiny-random:BAAI/bge-reranker-v2-gemma", device="cpu")
    rr.score("capital of France?", ["Paris is the capital of France.", "Berlin."])
    assert "it/s" not in capsys.readouterr().err
    rr.score([(f"query {i}", f"passage {i}") for i in range(80)], batch_size=8, show_progress=False)
    assert "it/s" not in capsys.readouterr().err  # FlagEmbedding would draw its own bars for several batches
    rr.score("capital of France?", ["Paris.", "Berlin."], show_progress=True)
    assert "it/s" in capsys.readouterr().err  # asked for: FlagEmbedding's own bars show
