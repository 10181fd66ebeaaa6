"""Tiny decoder rerankers: every family builds offline with its real class, tokens and template, and scores."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rerankkit
from rerankkit.errors import BrokenEnvironmentError
from rerankkit.models.catalogue import KNOWN_MODELS
from rerankkit.models.decoders import (
    DECODER_FAMILIES,
    decoder_model_path,
    flag_class_problem,
)
from rerankkit.models.families import tiny_family_path, tiny_hub_id
from rerankkit.models.synthetic import read_marker

DECODERS = sorted(m.hub_id for m in KNOWN_MODELS.values() if m.family in DECODER_FAMILIES)
BUILDABLE = [h for h in DECODERS if flag_class_problem(KNOWN_MODELS[h].family) is None]
ARCHITECTURE = {"gemma": "GemmaForCausalLM", "qwen3": "Qwen3ForCausalLM", "qwen2": "Qwen2ForCausalLM"}


@pytest.fixture(scope="module", params=BUILDABLE)
def built(request):
    from transformers import AutoTokenizer

    path = decoder_model_path(request.param)
    return request.param, path, AutoTokenizer.from_pretrained(path)


def test_spec_parsing_goes_through_the_family_registry():
    assert tiny_hub_id("tiny-random:Qwen/Qwen3-Reranker-4B") == "Qwen/Qwen3-Reranker-4B"
    assert tiny_family_path("tiny-random:Qwen/Qwen3-Reranker-0.6B") == decoder_model_path("Qwen/Qwen3-Reranker-0.6B")
    with pytest.raises(ValueError, match="not in the catalogue"):
        tiny_family_path("tiny-random:")


def test_unknown_hub_id_names_the_known_ones():
    with pytest.raises(ValueError, match="tiny-random:Qwen/Qwen3-Reranker-0.6B"):
        decoder_model_path("someone/else")


def test_every_decoder_family_is_in_the_catalogue():
    assert {KNOWN_MODELS[h].family for h in DECODERS} == set(DECODER_FAMILIES)


def test_folder_has_the_real_architecture_and_a_random_weights_marker(built):
    hub_id, path, _ = built
    family = KNOWN_MODELS[hub_id].family
    config = json.loads((path / "config.json").read_text())
    assert config["architectures"] == [ARCHITECTURE[family]]
    assert config["tie_word_embeddings"] is True
    assert config["num_key_value_heads"] < config["num_attention_heads"]  # grouped-query attention, as the real ones
    if family == "qwen3":  # Qwen3 sets head_dim apart from hidden_size / heads
        assert config["head_dim"] * config["num_attention_heads"] != config["hidden_size"]
    marker = read_marker(path)
    assert marker["random_weights"] is True and marker["family"] == family


def test_build_is_cached(built):
    hub_id, path, _ = built
    assert decoder_model_path(hub_id) == path


def test_special_and_answer_tokens(built):
    hub_id, _, tok = built
    family = KNOWN_MODELS[hub_id].family
    if family == "gemma":
        assert (tok.bos_token, tok.eos_token, tok.pad_token) == ("<bos>", "<eos>", "<pad>")
        assert tok.convert_tokens_to_ids(["<pad>", "<eos>", "<bos>", "<unk>"]) == [0, 1, 2, 3]
        assert tok("hi")["input_ids"][0] == tok.bos_token_id  # Gemma adds <bos>
        chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
        assert chat == "<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n"
        answers = ["Yes"]
    else:
        assert tok.bos_token is None and (tok.eos_token, tok.pad_token) == ("<|im_end|>", "<|endoftext|>")
        assert tok("hi")["input_ids"] == tok("hi", add_special_tokens=False)["input_ids"]  # Qwen adds nothing
        specials = ["<|im_start|>", "<|im_end|>"] + (["<think>", "</think>"] if family == "qwen3" else [])
        for token in specials:
            assert tok(token, add_special_tokens=False)["input_ids"] == [tok.convert_tokens_to_ids(token)]
        answers = ["yes", "no"] if family == "qwen3" else ["1", "0"]
    for word in answers:
        assert len(tok(word, add_special_tokens=False)["input_ids"]) == 1


def test_qwen3_chat_template_renders_the_model_card_prompt():
    from transformers import AutoTokenizer

    from rerankkit.scoring.decoder import QWEN3

    tok = AutoTokenizer.from_pretrained(decoder_model_path("Qwen/Qwen3-Reranker-0.6B"))
    rendered = tok.apply_chat_template([{"role": "query", "content": "Q?"}, {"role": "document", "content": "D."}],
                                       tokenize=False)
    assert rendered == QWEN3.prefix + QWEN3.body.format(instruction=QWEN3.default_instruction, query="Q?",
                                                         passage="D.") + QWEN3.suffix


@pytest.mark.parametrize("hub_id", BUILDABLE)
def test_every_buildable_family_scores_via_load(hub_id):
    rr = rerankkit.load(f"tiny-random:{hub_id}", device="cpu")
    assert rr.info.random_weights and rr.info.kind == KNOWN_MODELS[hub_id].kind
    scores = rr.score("what is panda?", ["The giant panda is a bear.", "Paris is the capital of France."])
    assert scores.shape == (2,) and np.isfinite(scores).all() and scores[0] != scores[1]
    assert rr.rerank("capital of France?", ["Paris.", "Berlin."]).top_k(1)[0].rank == 1


@pytest.mark.parametrize("hub_id", sorted(set(DECODERS) - set(BUILDABLE)))
def test_families_flagembedding_cannot_run_raise_a_clear_error(hub_id):
    with pytest.raises(BrokenEnvironmentError, match=r"transformers<5"):
        rerankkit.load(f"tiny-random:{hub_id}", device="cpu")
