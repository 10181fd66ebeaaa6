"""Platt scaling against the plain sigmoid, on the packaged labelled case sets."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.evaluation.calibration import (
    calibrate,
    calibration_summary,
    labelled_pairs,
    platt_fit,
    reliability_table,
)


def test_labelled_pairs_follow_the_grades():
    frame = labelled_pairs(["keyword_traps"])
    assert (frame.label == (frame.grade >= 2)).all()
    loose = labelled_pairs(["keyword_traps"], min_grade=1)
    assert loose.label.sum() > frame.label.sum()
    assert set(labelled_pairs().set) == {"keyword_traps", "workplace_qa", "product_search"}


def test_platt_recovers_a_known_shift():
    rng = np.random.default_rng(0)
    logits = rng.uniform(-8, 12, 4000)
    # True P(relevant) = sigmoid(logit - 2): the plain sigmoid puts 0.5 at 0, the truth at 2.
    labels = (rng.uniform(size=logits.size) < 1 / (1 + np.exp(-(logits - 2.0)))).astype(int)
    fit = platt_fit(logits, labels)
    assert fit.logit_at_half == pytest.approx(2.0, abs=0.3)
    assert fit.slope == pytest.approx(1.0, abs=0.15)
    assert fit.probability([fit.logit_at_half])[0] == pytest.approx(0.5)


def test_no_positive_slope_means_no_half_point():
    fit = platt_fit([3.0, 2.0, 1.0, -1.0, -2.0, -3.0], [0, 0, 0, 1, 1, 1])
    assert fit.slope < 0 and fit.logit_at_half is None


def test_reliability_table_counts_every_pair():
    p = np.array([0.05, 0.15, 0.55, 0.95, 1.0])
    table = reliability_table({"sigmoid": p}, [0, 0, 1, 1, 1], n_bins=10)
    assert table.n.sum() == 5 and table.observed.between(0, 1).all()
    assert table.iloc[-1].bin == "0.9-1.0" and table.iloc[-1].n == 2  # 1.0 falls in the last bin


def test_calibrate_a_model_and_label_random_weights(tiny):
    pairs = labelled_pairs(["keyword_traps"])
    cal = calibrate(tiny, pairs, folds=3)
    assert cal.random_weights and cal.n_pairs == len(pairs) and cal.n_relevant == int(pairs.label.sum())
    np.testing.assert_allclose(cal.logits, tiny.score(list(zip(pairs["query"], pairs["passage"]))), atol=1e-6)
    assert 0 <= cal.brier_platt <= 1 and 0 <= cal.brier_sigmoid <= 1
    assert set(cal.reliability.mapping) == {"sigmoid", "platt (cross-validated)"}
    row = calibration_summary([cal]).iloc[0]
    assert row.model == "tiny-random" and bool(row.random_weights) and row["sigmoid_0.5_at_logit"] == 0.0


def test_bad_input_names_the_argument(tiny):
    with pytest.raises(ValueError, match="min_grade"):
        labelled_pairs(min_grade=3)
    with pytest.raises(ValueError, match="sets"):
        labelled_pairs("keyword_traps")
    with pytest.raises(ValueError, match="one logit per label"):
        platt_fit([1.0, 2.0], [0, 1, 1])
    with pytest.raises(ValueError, match="finite"):
        platt_fit([1.0, np.inf], [0, 1])
    with pytest.raises(ValueError, match="columns"):
        calibrate(tiny, labelled_pairs(["keyword_traps"]).drop(columns="label"))
    with pytest.raises(ValueError, match="empty"):
        calibration_summary([])
