"""Word attributions: integrated gradients and occlusion, checked against analytic answers and each other."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import rerankkit
from rerankkit.errors import ConvergenceWarning, SlowExplanationWarning
from rerankkit.explain import explain
from rerankkit.testing import bag_of_words_reranker
from rerankkit.text.words import group_words

# Cost notes and the deliberate non-convergence below are asserted where they matter.
pytestmark = pytest.mark.filterwarnings(
    "ignore::rerankkit.explain.SlowExplanationWarning", "ignore::rerankkit.explain.ConvergenceWarning"
)

QUERY = "What is the capital of France?"
PASSAGE = "Paris is the capital city of France. 北京是中华人民共和国的首都。"


@pytest.fixture(scope="module")
def ig(tiny):
    return explain(tiny, QUERY, PASSAGE, method="integrated_gradients", n_steps=64)


def _expected(word: str, weights: dict[str, float]) -> float:
    """Analytic value of a word of the bag-of-words model: its weight (punctuation weighs 0)."""
    return weights.get(word.strip(".,?!"), 0.0)


# -- completeness and sums on the real architecture ----------------------------------------------
def test_ig_attributions_add_up_to_the_score_change(tiny, ig):
    change = ig.score - ig.baseline_score
    token_sum = float(ig.token_attributions.sum())
    assert abs(token_sum - change) <= abs(ig.delta) + 1e-5
    # and the delta is small: the method converged at 64 steps on this model
    assert abs(ig.delta) <= 0.05 * abs(change)


def test_ig_score_is_the_reranker_score(tiny, ig):
    assert ig.score == pytest.approx(tiny.score(QUERY, PASSAGE), abs=1e-4)


def test_bert_explanations_explain_the_score_with_token_types():
    rr = rerankkit.load("tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2", device="cpu")
    ex = explain(rr, QUERY, PASSAGE, method="integrated_gradients", n_steps=32)
    assert ex.score == pytest.approx(rr.score(QUERY, PASSAGE), abs=1e-4)
    assert float(ex.token_attributions.sum()) == pytest.approx(ex.score - ex.baseline_score, abs=abs(ex.delta) + 1e-5)
    occ = explain(rr, QUERY, PASSAGE, method="occlusion")
    assert occ.score == pytest.approx(ex.score, abs=1e-4)


def test_baseline_keeps_special_tokens_and_explicit_positions_matter(tiny, ig):
    # Special tokens are identical in input and baseline, so they carry no attribution.
    special = [i for i, w in enumerate(ig.token_words) if w is None]
    assert special and np.allclose(ig.token_attributions[special], 0.0)
    # f(baseline) is the score of the <unk>-filled sequence with the same explicit positions.
    tok = tiny.tokenizer
    ids = tiny.encode([(QUERY, PASSAGE)]).input_ids[0]
    base = [t if t in tok.all_special_ids else tok.unk_token_id for t in ids]
    positions = torch.arange(len(ids)).unsqueeze(0) + tok.pad_token_id + 1
    with torch.no_grad():
        logit = tiny.model(input_ids=torch.tensor([base]), position_ids=positions).logits.item()
    assert ig.baseline_score == pytest.approx(logit, abs=1e-5)


def test_word_sums_equal_subword_sums(ig):
    for n, word in enumerate(ig.words):
        tokens = [i for i, w in enumerate(ig.token_words) if w == n]
        assert len(tokens) == word.n_subwords
        assert word.attribution == pytest.approx(float(ig.token_attributions[tokens].sum()), abs=1e-9)
    assert ig.total == pytest.approx(float(ig.token_attributions.sum()), abs=1e-9)


def test_words_are_whitespace_words_and_cjk_pieces(ig):
    assert [w.text for w in ig.query_words] == ["What", "is", "the", "capital", "of", "France?"]
    passage_words = [w.text for w in ig.passage_words]
    assert passage_words[:7] == ["Paris", "is", "the", "capital", "city", "of", "France."]
    # The Han run has no spaces: its words are the tokenizer's pieces and they tile the run exactly.
    cjk = passage_words[7:]
    assert len(cjk) > 1 and "".join(cjk) == "北京是中华人民共和国的首都。"
    for w in ig.words:
        text = ig.query if w.side == "query" else ig.passage
        assert text[w.start : w.end] == w.text


def test_group_words_glues_a_bare_marker_to_the_next_piece():
    spans = group_words(["<s>", "▁", "北", "京", "</s>"], [None, 0, 0, 0, None], [None, 0, 0, 0, None],
                        [(0, 0), (0, 1), (0, 1), (1, 2), (0, 0)], ("北京", ""))
    assert [s.tokens for s in spans] == [(1, 2), (3,)]


def test_not_converged_warns_with_the_steps_to_use(tiny):
    with pytest.warns(ConvergenceWarning, match=r"n_steps=\d+"):
        ex = explain(tiny, QUERY, PASSAGE, method="integrated_gradients", n_steps=1)
    assert ex.relative_delta > 0.05


def test_runs_inside_inference_mode_and_restores_training_flag(tiny):
    tiny.model.train()
    try:
        with torch.inference_mode():
            ex = explain(tiny, "panda?", "a bear", method="integrated_gradients", n_steps=8)
        assert tiny.model.training
    finally:
        tiny.model.eval()
    assert math.isfinite(ex.delta) and ex.score == pytest.approx(tiny.score("panda?", "a bear"), abs=1e-4)
    assert all(p.grad is None for p in tiny.model.parameters())  # gradients w.r.t. embeddings only


def test_occlusion_rows_are_the_scores_without_each_word(tiny):
    ex = explain(tiny, QUERY, "Paris is the capital.", method="occlusion")
    paris = ex.passage_words[0]
    direct = tiny.score(QUERY, "is the capital.")
    assert paris.score_without == pytest.approx(direct, abs=1e-4)
    assert paris.attribution == pytest.approx(ex.score - direct, abs=1e-4)
    assert "score_without" in ex.to_frame().columns


def test_truncated_passage_is_marked(tiny):
    long = "Paris is the capital. " * 40
    with pytest.warns(rerankkit.TruncationWarning):
        scored = tiny.score(QUERY, long, max_length=32)
    ex = explain(tiny, QUERY, long, method="occlusion", max_length=32)
    assert ex.passage_cut_at is not None and 0 < ex.passage_cut_at < len(long)
    assert max(w.end for w in ex.passage_words) <= ex.passage_cut_at
    assert ex.score == pytest.approx(scored, abs=1e-4)
    assert "rk-cutoff" in ex._repr_html_()


def test_html_highlights_every_word_with_its_sign(ig):
    out = ig._repr_html_()
    assert out.count('class="rk-w"') == len(ig.words)
    assert "logit" in out and "random weights" in out
    positive = sum(w.attribution > 0 for w in ig.words)
    assert out.count("rgba(46,125,50") >= positive  # green spans (and the legend swatch)


def test_bad_input_is_refused_before_work(tiny):
    with pytest.raises(ValueError, match="unknown method"):
        explain(tiny, "q", "p", method="gradcam")
    with pytest.raises(ValueError, match="n_steps"):
        explain(tiny, "q", "p", n_steps=0)
    with pytest.raises(ValueError, match="passage is empty"):
        explain(tiny, "q", "  ")
    with pytest.raises(ValueError, match="baseline_token"):
        explain(tiny, "q", "p", baseline_token="no-such-token")


def test_fp16_models_are_refused_with_the_remedy():
    rr = bag_of_words_reranker({"Paris": 1.0})
    rr.model.half()
    with pytest.raises(ValueError, match="dtype='fp32'"):
        explain(rr, "q", "Paris")


def test_slow_runs_say_the_estimate_first(tiny, monkeypatch):
    import rerankkit.explain.attributions as attributions

    monkeypatch.setattr(attributions, "SLOW_SECONDS", 0.0)
    with pytest.warns(SlowExplanationWarning, match=r"estimated to take about .* \(one forward pass"):
        explain(tiny, "panda?", "a bear", method="integrated_gradients", n_steps=4)


# -- analytic answers on the bag-of-words model --------------------------------------------------
BOW_QUERY = "where does the panda live?"
BOW_PASSAGE = "The panda is a bear. Paris is a capital city, not a panda home."


def test_bow_scores_are_the_sum_of_weights(bow, weights):
    words = BOW_QUERY.split() + BOW_PASSAGE.split()
    assert bow.score(BOW_QUERY, BOW_PASSAGE) == pytest.approx(0.5 + sum(_expected(w, weights) for w in words), abs=1e-6)


@pytest.mark.parametrize("method", ["occlusion", "integrated_gradients"])
def test_bow_attributions_are_analytic(bow, weights, method):
    ex = explain(bow, BOW_QUERY, BOW_PASSAGE, method=method, n_steps=8)
    for w in ex.words:
        assert w.attribution == pytest.approx(_expected(w.text, weights), abs=1e-5), w
    if method == "integrated_gradients":
        assert ex.baseline_score == pytest.approx(0.5, abs=1e-6)  # <unk> and specials weigh 0
        assert abs(ex.delta) < 1e-5
    else:
        assert all(w.score_without == pytest.approx(ex.score - _expected(w.text, weights), abs=1e-5) for w in ex.words)


def test_ig_and_occlusion_agree_in_sign_on_the_bow_model(bow):
    a = explain(bow, BOW_QUERY, BOW_PASSAGE, method="integrated_gradients", n_steps=8)
    b = explain(bow, BOW_QUERY, BOW_PASSAGE, method="occlusion")
    signs_a = np.sign(np.round([w.attribution for w in a.words], 6))
    signs_b = np.sign(np.round([w.attribution for w in b.words], 6))
    assert (signs_a != 0).sum() >= 4
    np.testing.assert_array_equal(signs_a, signs_b)


def test_bow_refuses_words_sharing_a_token():
    with pytest.raises(ValueError, match="share the token"):
        bag_of_words_reranker({"zebra": 1.0, "zebras": 2.0})  # both start with the pieces "▁", "ze", "bra"


def test_internal_batch_size_does_not_change_the_result(tiny):
    kwargs = dict(method="integrated_gradients", n_steps=16, show_progress=False)
    one_batch = explain(tiny, "capital of France?", "Paris is the capital.", **kwargs)
    small_batches = explain(tiny, "capital of France?", "Paris is the capital.", internal_batch_size=5, **kwargs)
    np.testing.assert_allclose(small_batches.token_attributions, one_batch.token_attributions, atol=1e-5)


def test_the_estimate_prices_batches_not_single_passes(tiny, monkeypatch):
    # Before: 50 integrated-gradients steps were priced as 150 single passes, so notebook 06 announced about 36 s
    # for a run that took under one. A small model's batch costs about one pass: the estimate must say so.
    import warnings

    from rerankkit.explain import SlowExplanationWarning, attributions

    monkeypatch.setattr(attributions, "_time_forward", lambda *args, **kwargs: 0.2)  # any batch: one pass's time
    seen: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", SlowExplanationWarning)
        attributions.explain(tiny, "capital of France?", "Paris is the capital.", n_steps=50,
                             on_progress=lambda done, total, estimate: seen.append(estimate))
    assert seen[0] == pytest.approx(3 * 0.2)  # one batch of 50 steps, forward and backward
    assert attributions.estimate_seconds("occlusion", seconds_per_forward=0.1, n_words=70, batch_size=32,
                                         seconds_per_batch=0.3) == pytest.approx(0.9)
