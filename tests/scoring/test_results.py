"""Ranking objects: order, cuts, thresholds, frames and score cards."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rerankkit.display.cards import ranking_html
from rerankkit.display.style import FAIL_COLOUR, NEUTRAL_COLOUR, PASS_COLOUR
from rerankkit.score_scale import THRESHOLD_PRESETS, resolve_threshold
from rerankkit.scoring.results import Ranking


@pytest.fixture
def ranking() -> Ranking:
    return Ranking.from_scores(
        query="capital of France?",
        texts=["Berlin <b>is</b> in Germany.", "Paris is the capital.", "Lyon.", "Tie A", "Tie B"],
        logits=np.array([-2.0, 3.0, 0.5, 0.0, 0.0]),
        n_tokens=np.array([10, 9, 5, 4, 4]),
        n_cut=np.array([0, 0, 0, 2, 0]),
        model_label="tiny-random (random weights: scores mean nothing)",
        random_weights=True,
    )


def test_rank_order_and_ties_keep_input_order(ranking):
    assert ranking.indices == [1, 2, 3, 4, 0]
    assert [r.rank for r in ranking] == [1, 2, 3, 4, 5]
    assert ranking[0].text == "Paris is the capital."
    assert np.all(np.diff(ranking.logits) <= 0)


def test_top_k_and_slices(ranking):
    assert ranking.top_k(2).indices == [1, 2]
    assert ranking.top_k(99).indices == ranking.indices
    assert isinstance(ranking[:3], Ranking) and len(ranking[:3]) == 3
    assert ranking.top_k(2).n_candidates == 5
    with pytest.raises(ValueError):
        ranking.top_k(0)


def test_nothing_passes_or_fails_until_a_cut_off_is_chosen(ranking):
    # Before: every ranking was marked at sigmoid 0.5, a threshold nobody had calibrated.
    assert [r.passes for r in ranking] == [None] * 5
    assert ranking.threshold is None and ranking.cutoff is None
    with pytest.raises(ValueError, match="no cut-off chosen"):
        ranking.passing()
    page = ranking_html(ranking)
    assert 'data-passes="true"' not in page and 'data-passes="false"' not in page
    colours = re.findall(r'data-passes="unset".*?border-left-color:(#\w+)', page)
    assert len(colours) == 5 and set(colours) == {NEUTRAL_COLOUR} and "no cut-off chosen" in page


def test_per_query_cut_offs_need_no_threshold(ranking):
    top = ranking.with_top_k(2)
    assert [r.passes for r in top] == [True, True, False, False, False] and len(top) == 5
    assert top.cutoff == "top 2 of this query" and top.threshold is None
    assert top.passing().indices == [1, 2]
    near = ranking.with_gap(3.0)  # logits 3.0, 0.5, 0.0, 0.0, -2.0: within 3 of the top
    assert [r.passes for r in near] == [True, True, True, True, False]
    assert "within 3 logits of the top score" in ranking_html(near)
    for bad in (-1.0, float("nan"), "2"):
        with pytest.raises(ValueError, match="gap must be"):
            ranking.with_gap(bad)  # type: ignore[arg-type]
    assert ranking.with_top_k(2).with_threshold(None).cutoff is None


def test_threshold_marks_without_dropping(ranking):
    ranking = ranking.with_threshold(0.5)
    assert [r.passes for r in ranking] == [True, True, True, True, False]  # sigmoid(0) = 0.5 passes
    assert ranking.cutoff == "threshold 0.50 (balanced preset, uncalibrated)"
    strict = ranking.with_threshold("strict")
    assert len(strict) == 5
    assert [r.passes for r in strict] == [True, False, False, False, False]
    assert strict.passing().indices == [1]
    assert strict.logits.tolist() == ranking.logits.tolist()  # no re-scoring
    assert "threshold 0.80 (strict preset, uncalibrated)" in ranking_html(strict)
    fitted = ranking.with_threshold(0.62, source="calibrated on 40 labelled pairs")
    assert fitted.cutoff == "threshold 0.62 (calibrated on 40 labelled pairs)"


def test_presets_have_rationales_and_are_labelled_uncalibrated():
    assert set(THRESHOLD_PRESETS) == {"strict", "balanced", "permissive"}
    for preset in THRESHOLD_PRESETS.values():
        assert 0 < preset.value < 1 and len(preset.rationale) > 20
        assert not preset.calibrated and preset.label.endswith("(uncalibrated)")
        assert "suggested" in preset.rationale and "Uncalibrated" in preset.rationale
    assert resolve_threshold("permissive") < resolve_threshold("balanced") < resolve_threshold("strict")


def test_to_frame(ranking):
    frame = ranking.to_frame()
    assert list(frame.columns) == ["rank", "index", "text", "logit", "score", "n_tokens", "n_cut", "truncated", "passes"]
    assert frame["rank"].tolist() == [1, 2, 3, 4, 5]
    assert frame.loc[frame["index"] == 3, "truncated"].item()
    np.testing.assert_allclose(frame["score"], 1 / (1 + np.exp(-frame["logit"])))


def test_cards(ranking):
    ranking = ranking.with_threshold(0.5)
    page = ranking_html(ranking)
    assert page == ranking._repr_html_()
    cards = re.findall(r'<div class="rk-card" data-passes="(true|false)".*?border-left-color:(#\w+)', page)
    assert [c[0] for c in cards] == ["true", "true", "true", "true", "false"]
    assert {c[1] for c in cards} == {PASS_COLOUR, FAIL_COLOUR}
    assert "0.9526" in page  # sigmoid(3) to 4 decimals
    assert "raw logit +3.0000" in page
    assert "width:95.3%" in page  # the bar is as wide as the normalized score
    assert "&lt;b&gt;is&lt;/b&gt;" in page  # passage text is escaped
    assert "random weights: scores mean nothing" in page and "class=\"rk-banner\"" not in page  # in the header
    assert "Random weights" in ranking_html(ranking, banner=True)
    assert "truncated: 2 tokens cut" in page


def test_banner_names_the_model_once_and_can_be_left_out(ranking):
    page = ranking_html(ranking, banner=True)
    assert "tiny-random is a test model" in page
    assert "Random weights" not in ranking_html(ranking, banner=False)
    assert ranking_html(ranking, banner=False).count('class="rk-card"') == 5


def test_repr_names_both_scales(ranking):
    text = repr(ranking)
    assert "score 0.9526" in text and "logit  +3.0000" in text
