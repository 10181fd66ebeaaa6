"""Bi-encoder measures on the case sets: shapes and labels on the random encoder, real figures on e5-small."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit import cases
from rerankkit.evaluation.bi_encoder import crosslingual_similarity, trap_top1


def test_crosslingual_similarity_rows_ranks_and_label(encoder):
    xl = cases.load("cross_lingual")
    frame = crosslingual_similarity(encoder, xl, languages=["en", "zh", "ar"], facts=["f01", "f02", "f03", "f04"])
    assert len(frame) == 4 * 3 * 3
    assert frame["rank"].between(1, 4).all() and (frame["n_candidates"] == 4).all()
    np.testing.assert_allclose(frame.gap, frame.match - frame.other)
    # The rank agrees with a direct count: passages of other facts with a higher cosine, plus one.
    row = frame[(frame.fact == "f02") & (frame.query_lang == "zh") & (frame.passage_lang == "ar")].iloc[0]
    q = encoder.encode([xl.fact("f02").queries["zh"]], kind="query")[0]
    p = encoder.encode([xl.fact(f).passages["ar"] for f in ("f01", "f02", "f03", "f04")], kind="passage")
    sims = p @ q
    assert row["rank"] == 1 + int((sims > sims[1]).sum())
    assert row["match"] == pytest.approx(float(sims[1]), abs=1e-5)
    assert frame.attrs["random_weights"] is True and "random" in frame.attrs["encoder_label"]
    with pytest.raises(ValueError, match="languages"):
        crosslingual_similarity(encoder, xl, languages=["en", "xx"], facts=["f01"])


def test_bm25_puts_a_trap_first_in_every_keyword_trap_case(encoder):
    """The library is written so: each case's distractors out-match its answer on words. BM25 needs no weights."""
    traps = cases.load("keyword_traps")
    top = trap_top1(encoder, traps)
    assert len(top) == len(traps) == 50
    assert top.bm25_trap_top1.all()
    assert set(top.dense_role) <= {"relevant", "partial", "distractor"}


@pytest.mark.slow
def test_real_encoder_trap_top1_is_its_own_argmax(e5_encoder):
    traps = cases.load("keyword_traps")
    top = trap_top1(e5_encoder, traps).set_index("case")
    assert top.attrs["random_weights"] is False and "not bge-m3" in top.attrs["encoder_label"]
    for case in traps[:5]:  # the batched figure equals a direct, one-case computation
        sims = e5_encoder.encode([p.text for p in case.passages], kind="passage") @ e5_encoder.encode(
            [case.query], kind="query")[0]
        best = case.passages[int(np.argmax(sims))]
        assert top.loc[case.id, "dense_top1"] == best.id
        assert top.loc[case.id, "dense_trap_top1"] == (best.role == "distractor" and best.trap is not None)


@pytest.mark.slow
def test_real_encoder_finds_the_matching_passage_across_languages(e5_encoder):
    frame = crosslingual_similarity(e5_encoder, cases.load("cross_lingual"), languages=["en", "zh", "ar", "hi", "de"],
                                    facts=[f"f{i:02d}" for i in range(1, 9)])
    assert frame.attrs["random_weights"] is False
    same = frame.query_lang == frame.passage_lang
    assert (frame["rank"][same] == 1).all()  # same language: the fact's own passage first, every fact
    assert (frame["rank"] == 1).mean() > 0.9  # across languages too, nearly always
    assert (frame.gap > 0).all()  # the matching passage beats the mean of the others in every pair
