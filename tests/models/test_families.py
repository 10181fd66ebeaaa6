"""tiny-random:<hub id>: the named model's architecture and tokenizer layout, tiny, built offline."""

from __future__ import annotations

import json

import pytest

from rerankkit.models.catalogue import KNOWN_MODELS, lookup
from rerankkit.models.families import (
    TINY_BUILDERS,
    TinyBuilder,
    build_tiny_bert,
    can_build_tiny,
    tiny_builder,
    tiny_family_path,
)
from rerankkit.models.synthetic import read_marker

MINILM = "cross-encoder/ms-marco-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def bert_path():
    return tiny_family_path(f"tiny-random:{MINILM}")


def test_bert_config_has_the_minilm_layout(bert_path):
    config = json.loads((bert_path / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertForSequenceClassification"]
    assert len(config["id2label"]) == 1
    assert config["type_vocab_size"] == 2 and config["pad_token_id"] == 0
    assert config["max_position_embeddings"] == lookup(MINILM).max_tokens
    assert read_marker(bert_path)["random_weights"] is True
    assert read_marker(bert_path)["tiny_random_of"] == MINILM


def test_bert_tokenizer_has_bert_special_ids(bert_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(bert_path)
    assert tok.convert_ids_to_tokens([0, 100, 101, 102, 103]) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = (bert_path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab[:1] + vocab[100:104] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] and len(vocab) == len(tok)
    pair = tok("What is Panda?", "The panda is a bear.")
    tokens = tok.convert_ids_to_tokens(pair["input_ids"])
    # [CLS] q [SEP] p [SEP], uncased, with the passage marked by token type 1.
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and tokens.count("[SEP]") == 2
    assert "what" in tokens and "panda" in tokens
    first_sep = tokens.index("[SEP]")
    assert pair["token_type_ids"] == [0] * (first_sep + 1) + [1] * (len(tokens) - first_sep - 1)
    assert tok.model_max_length == lookup(MINILM).max_tokens
    # Every character of the corpus is in the vocabulary, so no script turns into [UNK].
    for text in ["中国的首都是哪里?", "Москва — столица России.", "Café crème"]:
        assert "[UNK]" not in tok.tokenize(text)


def test_bert_build_is_deterministic(tmp_path):
    known = lookup(MINILM)
    a = build_tiny_bert(known, tmp_path / "a")
    b = build_tiny_bert(known, tmp_path / "b")
    for name in ("tokenizer.json", "vocab.txt", "model.safetensors"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_xlmr_family_takes_the_entry_length_limit():
    path = tiny_family_path("tiny-random:BAAI/bge-reranker-v2-m3")
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "xlm-roberta" and config["architectures"] == ["XLMRobertaForSequenceClassification"]
    assert config["max_position_embeddings"] == 8192 + 2  # positions start after pad_token_id
    assert (config["pad_token_id"], config["bos_token_id"], config["eos_token_id"]) == (1, 0, 2)
    assert json.loads((path / "tokenizer_config.json").read_text())["model_max_length"] == 8192


def test_unknown_hub_id_names_the_buildable_ones():
    with pytest.raises(ValueError, match="not in the catalogue") as err:
        tiny_builder("tiny-random:someone/else")
    assert f"tiny-random:{MINILM}" in str(err.value)


@pytest.mark.parametrize("hub_id", [m.hub_id for m in KNOWN_MODELS.values() if m.remote_code])
def test_remote_code_families_say_to_load_the_real_model(hub_id):
    with pytest.raises(ValueError, match="only in its Hub repository") as err:
        tiny_builder(f"tiny-random:{hub_id}")
    assert "trust_remote_code=True" in str(err.value)
    assert not can_build_tiny(hub_id)


def test_family_without_builder_is_a_clear_error(monkeypatch):
    monkeypatch.delitem(TINY_BUILDERS, "bert")
    with pytest.raises(ValueError, match="no tiny builder for the 'bert' family"):
        tiny_builder(f"tiny-random:{MINILM}")
    assert not can_build_tiny(MINILM)


def test_registered_builder_is_the_one_used(monkeypatch, tmp_path):
    calls = []

    def build(known, target):
        calls.append(known.hub_id)
        target.mkdir(parents=True)
        (target / "rerankkit.json").write_text('{"random_weights": true}')
        return target

    monkeypatch.setenv("RERANKKIT_CACHE", str(tmp_path))
    monkeypatch.setitem(TINY_BUILDERS, "bert", TinyBuilder(build, lambda: "v1"))
    path = tiny_family_path(f"tiny-random:{MINILM}")
    assert calls == [MINILM] and path.parent == tmp_path
    assert tiny_family_path(f"tiny-random:{MINILM}") == path and calls == [MINILM]  # cached
    monkeypatch.setitem(TINY_BUILDERS, "bert", TinyBuilder(build, lambda: "v2"))
    assert tiny_family_path(f"tiny-random:{MINILM}") != path  # a changed fingerprint rebuilds
