"""Cross-lingual scoring tables, threshold transfer and the figures built on them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from rerankkit import cases
from rerankkit.display import plots
from rerankkit.evaluation.crosslingual import fact_candidates, global_cut, pair_scores, score_matrix, threshold_transfer


@pytest.fixture(scope="module")
def xl():
    return cases.load("cross_lingual")


@pytest.fixture(scope="module")
def frame(tiny, xl):
    return pair_scores(tiny, xl, query_languages=["en", "zh", "ar"], passage_languages=["en", "ja"],
                       facts=["f01", "f02", "f03"], n_other=1)


def test_pair_scores_has_every_pair_once_with_labels(frame, xl, tiny):
    negatives = sum(n.language in ("en", "ja") for n in xl.negatives)
    assert len(frame) == 3 * 3 * (2 * 2 + negatives)
    matches = frame[frame.match]
    assert len(matches) == 3 * 3 * 2
    assert all(pid.split(":")[0] == fid for pid, fid in zip(matches.passage_id, matches.fact_id))
    others = frame[~frame.match]
    assert all(pid.split(":")[0] != fid for pid, fid in zip(others.passage_id, others.fact_id))
    row = frame.iloc[0]
    assert row.logit == pytest.approx(tiny.score(row.query, row.passage), abs=1e-4)
    assert np.allclose(frame.score, 1 / (1 + np.exp(-frame.logit)))
    assert frame.attrs["random_weights"] is True


def test_score_matrix_is_the_mean_over_facts(frame):
    matrix = score_matrix(frame)
    assert list(matrix.index) == ["en", "zh", "ar"] and list(matrix.columns) == ["en", "ja"]
    cell = frame[frame.match & (frame.query_lang == "zh") & (frame.passage_lang == "ja")].logit.mean()
    assert matrix.loc["zh", "ja"] == pytest.approx(cell)
    one = score_matrix(frame, fact="f02", value="score")
    want = frame[frame.match & (frame.fact_id == "f02") & (frame.query_lang == "ar") & (frame.passage_lang == "en")]
    assert one.loc["ar", "en"] == pytest.approx(float(want.score.iloc[0]))
    with pytest.raises(ValueError, match="not in the frame"):
        score_matrix(frame, fact="f09")


def test_threshold_transfer_on_hand_made_scores():
    f = pd.DataFrame({
        "query_lang": ["en"] * 4 + ["zh"] * 4, "passage_lang": ["en"] * 4 + ["ar"] * 4,
        "match": [True, True, False, False] * 2, "score": [0.9, 0.8, 0.2, 0.1, 0.3, 0.25, 0.2, 0.1],
    })
    t = threshold_transfer(f, "balanced").set_index(["query_lang", "passage_lang"])
    assert t.loc[("en", "en"), "match_pass"] == 1.0 and t.loc[("en", "en"), "other_pass"] == 0.0
    # zh→ar scores are low everywhere: 0.5 keeps no match, although a lower cut separates them perfectly.
    assert t.loc[("zh", "ar"), "match_pass"] == 0.0
    assert t.loc[("zh", "ar"), "auc"] == 1.0
    # every cut above 0.2 and up to 0.25 separates zh→ar perfectly; for en→en, anything above 0.2 up to 0.8
    assert (t.loc[("zh", "ar"), "best_low"], t.loc[("zh", "ar"), "best_high"]) == (0.2, 0.25)
    assert (t.loc[("en", "en"), "best_low"], t.loc[("en", "en"), "best_high"]) == (0.2, 0.8)
    with pytest.raises(ValueError, match="threshold"):
        threshold_transfer(f, 3.0)


def test_fact_candidates_label_the_fact_and_the_rest(xl):
    cands = fact_candidates(xl, "f05", ["ko", "hi"], n_other=2)
    own = [p for p in cands if p.relevance == 2]
    assert [p.id for p in own] == ["f05:ko", "f05:hi"]
    others = [p for p in cands if p.relevance == 0]
    assert len(others) == 4 + sum(n.language in ("ko", "hi") for n in xl.negatives)
    with pytest.raises(ValueError, match="n_other"):
        fact_candidates(xl, "f05", ["ko"], n_other=99)


def test_figures(frame, tiny):
    fig = plots.plot_crosslingual_heatmap(score_matrix(frame), title="t")
    assert len(fig.axes[0].texts) == 6  # one annotation per cell
    fig = plots.plot_score_distributions(frame, pairs=[("en", "en"), ("zh", "ja")], threshold=0.5)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["en→en", "zh→ja"]
    with pytest.raises(ValueError, match="not in the frame"):
        plots.plot_score_distributions(frame, pairs=[("hi", "hi")])
    from rerankkit.evaluation.pipeline import retrieve_then_rerank

    result = retrieve_then_rerank(cases.load("keyword_traps")[:2], tiny, top_n=4)
    fig = plots.plot_bump(result.shift, query_id="kt-en-002")
    assert len(fig.axes[0].get_lines()) >= 4
    fig = plots.plot_stage_metrics(result.summary(ks=(1, 3)))
    assert fig.axes[0].get_ylim() == (0.0, 1.0)
    with pytest.raises(ValueError, match="not in the table"):
        plots.plot_bump(result.shift, query_id="nope")


def test_one_global_cut_with_its_uncertainty():
    # Two language pairs whose first argmax differs (0.8 against 0.25) although one cut separates both.
    f = pd.DataFrame({
        "fact_id": ["a", "a", "b", "b"] * 2, "query_lang": ["en"] * 4 + ["zh"] * 4,
        "passage_lang": ["en"] * 4 + ["ar"] * 4, "match": [True, False] * 4,
        "score": [0.9, 0.2, 0.8, 0.1, 0.3, 0.2, 0.25, 0.1],
    })
    g = global_cut(f, n_boot=200)
    assert g["common_optimum"] == (0.2, 0.25)  # every cut in (0.2, 0.25] is optimal for both pairs
    assert g["match_pass"] == 1.0 and g["other_pass"] == 0.0 and g["worst_pair_separation"] == 1.0
    lo, hi = g["cut_interval"]
    assert lo <= g["cut"] <= hi and g["unit"] == "fact_id" and g["n_units"] == 2
    # Pairs that no single cut separates: no common optimum, and the worst pair says how far off it is.
    f.loc[(f.query_lang == "zh") & f.match, "score"] = [0.05, 0.06]
    g = global_cut(f, n_boot=50)
    assert g["common_optimum"] is None and g["worst_pair_separation"] < 1.0
    with pytest.raises(ValueError, match="pair_scores"):
        global_cut(f.drop(columns="match"))
