"""One model folder through FlagReranker, CrossEncoder and transformers: scales, parity and kept tokens."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.errors import ModelUnavailableError
from rerankkit.measure.parity import LIBRARIES, kept_tokens, load_three, score_scales, truncation_summary

PAIRS = [("what is panda?", "The giant panda is a bear species endemic to China."),
         ("capital of France?", "Berlin is the capital of Germany.")]
LONG_QUERY = "How do I improve the generalization of deep learning models when the data is small and noisy? " * 2
LONG_PASSAGE = "Dropout, data augmentation and weight decay reduce overfitting; early stopping also helps. " * 3


@pytest.fixture(scope="module")
def libs(tiny_path):
    return load_three(tiny_path, max_length=32)


@pytest.mark.slow
def test_each_library_default_scale_and_one_logit_behind_them(libs, tiny):
    frame = score_scales(libs, PAIRS)
    assert len(frame) == len(PAIRS) * len(LIBRARIES)
    by = {lib: frame[frame.library == lib].sort_values("pair") for lib in LIBRARIES}
    # The default activation is read from the loaded CrossEncoder, and it is what predict applied.
    assert libs.cross_encoder_activation == "Sigmoid"
    ce = by["sentence-transformers"].score.to_numpy()
    assert ((ce > 0) & (ce < 1)).all()
    np.testing.assert_allclose(by["FlagEmbedding"].score, by["transformers"].score, atol=1e-4)
    np.testing.assert_allclose(by["sentence-transformers"].as_logit, by["FlagEmbedding"].score, atol=1e-4)
    # Short pairs are cut by nobody: the kit's own scores agree with all three.
    np.testing.assert_allclose(tiny.score(PAIRS, max_length=32), by["FlagEmbedding"].score, atol=1e-4)


def test_flag_reranker_cuts_the_passage_and_keeps_the_query_up_to_three_quarters(libs):
    summary = truncation_summary(kept_tokens(libs, LONG_QUERY, LONG_PASSAGE)).set_index(["library", "side"])
    flag_q, flag_p = summary.loc[("FlagEmbedding", "query")], summary.loc[("FlagEmbedding", "passage")]
    assert flag_q.kept == 32 * 3 // 4  # the query's cap
    assert flag_q.kept + flag_p.kept + 4 == 32  # <s> q </s></s> p </s>
    ce_q, ce_p = summary.loc[("sentence-transformers", "query")], summary.loc[("sentence-transformers", "passage")]
    assert abs(ce_q.kept - ce_p.kept) <= 1 and ce_q.kept + ce_p.kept + 4 == 32  # longest_first: both sides cut evenly
    assert (summary.loc["transformers"].kept.to_numpy() == summary.loc["sentence-transformers"].kept.to_numpy()).all()
    assert flag_p.first_lost and flag_p.lost == flag_p.tokens - flag_p.kept


def test_kept_tokens_marks_a_prefix_of_each_side(libs):
    tokens = kept_tokens(libs, "what is panda?", LONG_PASSAGE)
    for (_, _), group in tokens.groupby(["library", "side"]):
        kept = group.kept.to_numpy()
        assert not (np.diff(kept.astype(int)) > 0).any()  # True..True then False..False
    assert tokens[tokens.side == "query"].kept.all()  # a short query is never cut


def test_bad_input_names_the_argument(libs, tmp_path):
    with pytest.raises(ValueError, match="pairs"):
        score_scales(libs, [])
    with pytest.raises(ValueError, match=r"pairs\[0\]"):
        score_scales(libs, [("only one",)])
    with pytest.raises(ValueError, match="passage"):
        kept_tokens(libs, "q", "  ")
    with pytest.raises(ValueError, match="max_length"):
        load_three(libs.folder, max_length=4)
    with pytest.raises(ModelUnavailableError, match="incomplete"):
        load_three(tmp_path)
    with pytest.raises(ValueError, match="kept_tokens"):
        truncation_summary(score_scales(libs, PAIRS[:1]))
